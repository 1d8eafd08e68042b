"""iCalendar files: invitations sent by email (delivery calls, the weekly sync call) and calendar feeds.

Built on the `icalendar` library. What calendar clients (Google Calendar, Outlook, Apple Calendar) need to
accept an invitation and to update it later:

- one stable ``UID`` per event and a ``SEQUENCE`` that goes up on every change sent;
- ``METHOD:REQUEST`` for an invitation or an update, ``METHOD:CANCEL`` (with ``STATUS:CANCELLED``) to
  remove it, the same ``METHOD`` as a parameter of the email part's content type;
- an ``ORGANIZER`` and every ``ATTENDEE`` as ``mailto:`` addresses, attendees with ``RSVP=TRUE``;
- ``DTSTAMP`` in UTC, timed dates with a ``TZID`` and the matching ``VTIMEZONE`` in the file, so that a
  weekly call at 9:30 in Paris stays at 9:30 local time across daylight saving changes.

Timed events are written in the collective's time zone (``time_zone``); all-day events (feeds) are dates.

One convention for what Cordée serves over HTTP (RFC 5545 §8.1: the content type's ``method`` parameter
and the body's ``METHOD`` go together, or neither is there):

- a **feed** (a private address calendars subscribe to) has no ``METHOD``: ``text/calendar; charset=utf-8``,
  through `calendar_feed_response`;
- a **file** to download and add (one event) is ``METHOD:PUBLISH`` with ``method=PUBLISH`` in its content
  type, through `calendar_file_response`.

UIDs that the application derives (feeds) end in ``@cordee``, whatever the server's address: moving
Cordée to another domain does not duplicate the events of subscribed calendars.
"""

import base64
import calendar as pycalendar
import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.http import HttpResponse
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard, vCalAddress

PRODID = "-//Cordée//Cordée//FR"

METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"
METHOD_PUBLISH = "PUBLISH"

STATUS_CONFIRMED = "CONFIRMED"
STATUS_CANCELLED = "CANCELLED"

_WEEKDAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def weekday_code(weekday: int) -> str:
    """The iCalendar day code (``MO``…``SU``) of a Python weekday (0 is Monday)."""
    return _WEEKDAYS[weekday]


def _address(name: str, email: str, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = value
    return address


def calendar_event(
    *,
    uid: str,
    sequence: int = 0,
    summary: str,
    description: str = "",
    start: datetime | date,
    duration: timedelta | None = None,
    location: str = "",
    url: str = "",
    organizer: tuple[str, str] | None = None,
    attendees: list[tuple[str, str]] | tuple = (),
    rrule: dict | None = None,
    status: str = STATUS_CONFIRMED,
    transparent: bool = False,
    stamp: datetime | None = None,
) -> Event:
    """One VEVENT.

    ``start`` is an aware datetime (a timed event, written in the calendar's time zone by
    `calendar_invitation` / `calendar_feed`) or a date (an all-day event; ``duration`` in whole days,
    one by default). ``rrule`` is a dict such as ``{"freq": "WEEKLY", "byday": "MO"}``; an ``until`` in
    it may be a date or an aware datetime (written in UTC, as RFC 5545 requires with a TZID start).

    The organizer, when also listed among the attendees, is marked as the chair who has accepted.
    """
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", (stamp or datetime.now(UTC)).astimezone(UTC))
    event.add("sequence", sequence)
    event.add("summary", summary)
    if description:
        event.add("description", description)
    if isinstance(start, datetime):
        if start.utcoffset() is None:
            raise ValueError("calendar_event needs an aware start datetime")
        event.add("dtstart", start)
        event.add("dtend", start + (duration or timedelta(hours=1)))
    else:
        event.add("dtstart", start)
        event.add("dtend", start + (duration or timedelta(days=1)))
    if rrule:
        event.add("rrule", _recurrence(rrule))
    if location:
        event.add("location", location)
    if url:
        event.add("url", url)
    event.add("status", status)
    event.add("transp", "TRANSPARENT" if transparent else "OPAQUE")
    organizer_email = ""
    if organizer:
        organizer_name, organizer_email = organizer
        event.add("organizer", _address(organizer_name, organizer_email))
    for name, email in attendees:
        if organizer_email and email.lower() == organizer_email.lower():
            attendee = _address(
                name, email, cutype="INDIVIDUAL", role="CHAIR", partstat="ACCEPTED", rsvp="FALSE"
            )
        else:
            attendee = _address(
                name, email, cutype="INDIVIDUAL", role="REQ-PARTICIPANT", partstat="NEEDS-ACTION", rsvp="TRUE"
            )
        event.add("attendee", attendee, encode=0)
    return event


def _recurrence(rrule: dict) -> dict:
    rule = {key.lower(): value for key, value in rrule.items()}
    until = rule.get("until")
    if isinstance(until, datetime):
        rule["until"] = until.astimezone(UTC)
    elif isinstance(until, date):
        # The whole last day counts: UNTIL is the end of that day, in UTC.
        rule["until"] = datetime.combine(until, time(23, 59, 59), tzinfo=UTC)
    return rule


def _in_zone(event: Event, zone: ZoneInfo) -> None:
    """Write the event's timed dates in the calendar's zone (their instant does not change)."""
    for name in ("DTSTART", "DTEND"):
        if name not in event:
            continue
        value = event.decoded(name)
        if isinstance(value, datetime):
            del event[name]
            event.add(name, value.astimezone(zone))


def _first_year(events) -> int | None:
    years = [
        event.decoded("DTSTART").year
        for event in events
        if "DTSTART" in event and isinstance(event.decoded("DTSTART"), datetime)
    ]
    return min(years) if years else None


def _build(events, *, time_zone: str, properties: list[tuple]) -> bytes:
    zone = ZoneInfo(time_zone)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    for name, value, *parameters in properties:
        cal.add(name, value, parameters=parameters[0] if parameters else None)
    events = list(events)
    for event in events:
        _in_zone(event, zone)
    year = _first_year(events)
    if year is not None:
        cal.add_component(vtimezone(time_zone, year))
    for event in events:
        cal.add_component(event)
    return cal.to_ical()


def calendar_invitation(events, *, method: str = METHOD_REQUEST, time_zone: str = "Europe/Paris") -> bytes:
    """A VCALENDAR to send by email: ``METHOD:REQUEST`` (invite or update) or ``METHOD:CANCEL``."""
    if method not in (METHOD_REQUEST, METHOD_CANCEL, METHOD_PUBLISH):
        raise ValueError(f"Unsupported iTIP method {method!r}")
    return _build(events, time_zone=time_zone, properties=[("method", method)])


def calendar_feed(events, *, name: str, time_zone: str, description: str = "") -> bytes:
    """A VCALENDAR to subscribe to (no METHOD): a name, the zone, a refresh hint, the events."""
    properties: list[tuple] = [("x-wr-calname", name), ("x-wr-timezone", time_zone)]
    if description:
        properties.append(("x-wr-caldesc", description))
    properties += [
        ("refresh-interval", timedelta(hours=1), {"VALUE": "DURATION"}),
        ("x-published-ttl", "PT1H"),
    ]
    return _build(events, time_zone=time_zone, properties=properties)


def ics_attachment(data: bytes, method: str = METHOD_REQUEST, filename: str = "") -> dict:
    """An attachment for `email_enqueue`: the iTIP method is in the content type, as clients expect."""
    return {
        "filename": filename or ("cancel.ics" if method == METHOD_CANCEL else "invite.ics"),
        "content_base64": base64.b64encode(data).decode("ascii"),
        "mimetype": f'text/calendar; method={method}; charset="utf-8"',
    }


UID_DOMAIN = "cordee"

_METHOD_LINE = re.compile(rb"^METHOD:([A-Z-]+)\r?$", re.MULTILINE)


def calendar_method(data: bytes) -> str | None:
    """The ``METHOD`` of a VCALENDAR (it comes before the first component), or None."""
    first_component = data.find(b"BEGIN:V", len(b"BEGIN:VCALENDAR"))
    match = _METHOD_LINE.search(data, 0, first_component if first_component != -1 else len(data))
    return match.group(1).decode("ascii") if match else None


def calendar_feed_response(data: bytes, *, filename: str) -> HttpResponse:
    """A subscription feed: no METHOD, shown inline, private, never indexed, no referrer leaks the token."""
    if calendar_method(data) is not None:
        raise ValueError("A calendar feed carries no METHOD")
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def calendar_file_response(data: bytes, *, filename: str) -> HttpResponse:
    """A one-event file to add to a calendar: its METHOD (PUBLISH) in the content type too, as a download."""
    method = calendar_method(data)
    if method is None:
        raise ValueError("A calendar file to download carries its METHOD")
    response = HttpResponse(data, content_type=f"text/calendar; method={method}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- VTIMEZONE --------------------------------------------------------------------------------------


def _transitions(zone: ZoneInfo, year: int) -> list[tuple[datetime, timedelta, timedelta, str, bool]]:
    """The offset changes of ``zone`` during ``year``: (local wall time before the change, offset before,
    offset after, name after, is daylight time after)."""
    found = []
    instant = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    step = timedelta(hours=1)
    previous = instant.astimezone(zone).utcoffset()
    while instant < end:
        following = instant + step
        offset = following.astimezone(zone).utcoffset()
        if offset != previous:
            low, high = instant, following  # the change happens in (low, high]
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(zone).utcoffset() == previous:
                    low = middle
                else:
                    high = middle
            after = high.astimezone(zone)
            wall = (high + previous).replace(tzinfo=None)
            found.append((wall, previous, offset, after.tzname() or "", bool(after.dst())))
            previous = offset
        instant = following
    return found


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> int:
    """The day of the month of the nth (1..4, or -1 for last) ``weekday`` of that month."""
    days = pycalendar.monthrange(year, month)[1]
    if nth == -1:
        day = days
        while date(year, month, day).weekday() != weekday:
            day -= 1
        return day
    day = 1
    while date(year, month, day).weekday() != weekday:
        day += 1
    return day + 7 * (nth - 1)


def _rule_of(wall: datetime) -> tuple[int, int, int]:
    days = pycalendar.monthrange(wall.year, wall.month)[1]
    nth = -1 if wall.day + 7 > days else (wall.day - 1) // 7 + 1
    return wall.month, wall.weekday(), nth


@lru_cache(maxsize=64)
def vtimezone(tzid: str, year: int) -> Timezone:
    """The VTIMEZONE of ``tzid`` as calendar clients write it: one STANDARD and one DAYLIGHT observance
    with a yearly rule (``BYMONTH``/``BYDAY``), checked against the real changes for 15 years from
    ``year``. A zone whose changes follow no such rule gets the explicit list of its changes."""
    zone = ZoneInfo(tzid)
    changes = _transitions(zone, year)
    tz = Timezone()
    tz.add("tzid", tzid)
    if not changes:
        offset = datetime(year, 6, 1, tzinfo=UTC).astimezone(zone)
        observance = TimezoneStandard()
        observance.add("dtstart", datetime(1970, 1, 1))
        observance.add("tzoffsetfrom", offset.utcoffset())
        observance.add("tzoffsetto", offset.utcoffset())
        observance.add("tzname", offset.tzname() or tzid)
        tz.add_component(observance)
        return tz
    rules = [_rule_of(wall) for wall, *_rest in changes]
    consistent = len(changes) == 2
    if consistent:
        for later in range(year + 1, year + 16):
            expected = _transitions(zone, later)
            if len(expected) != 2:
                consistent = False
                break
            for (month, weekday, nth), (wall, _old, _new, _name, _dst), original in zip(
                rules, expected, changes, strict=True
            ):
                if (
                    wall.month != month
                    or wall.day != _nth_weekday(later, month, weekday, nth)
                    or wall.time() != original[0].time()
                ):
                    consistent = False
                    break
            if not consistent:
                break
    if not consistent:
        return _vtimezone_with_dates(tzid, zone, year)
    for (wall, before, after, name, is_dst), (month, weekday, nth) in zip(changes, rules, strict=True):
        observance = TimezoneDaylight() if is_dst else TimezoneStandard()
        first = datetime.combine(date(1970, month, _nth_weekday(1970, month, weekday, nth)), wall.time())
        observance.add("dtstart", first)
        observance.add("rrule", {"freq": "YEARLY", "bymonth": month, "byday": f"{nth}{_WEEKDAYS[weekday]}"})
        observance.add("tzoffsetfrom", before)
        observance.add("tzoffsetto", after)
        observance.add("tzname", name)
        tz.add_component(observance)
    return tz


def _vtimezone_with_dates(tzid: str, zone: ZoneInfo, year: int) -> Timezone:
    """Observances listing every change (``RDATE``) from the year before ``year`` to 15 years after.

    (icalendar's own ``Timezone.from_tzid`` misses some short periods, such as Morocco's Ramadan time.)
    """
    tz = Timezone()
    tz.add("tzid", tzid)
    tz.add("comment", f"Changes listed from {year - 1} to {year + 15}.")
    start = datetime(year - 1, 1, 1, tzinfo=UTC).astimezone(zone)
    initial = TimezoneDaylight() if start.dst() else TimezoneStandard()
    initial.add("dtstart", start.replace(tzinfo=None))
    initial.add("tzoffsetfrom", start.utcoffset())
    initial.add("tzoffsetto", start.utcoffset())
    initial.add("tzname", start.tzname() or tzid)
    tz.add_component(initial)
    groups: dict[tuple, list[datetime]] = {}
    for later in range(year - 1, year + 16):
        for wall, before, after, name, is_dst in _transitions(zone, later):
            groups.setdefault((before, after, name, is_dst), []).append(wall)
    for (before, after, name, is_dst), walls in groups.items():
        observance = TimezoneDaylight() if is_dst else TimezoneStandard()
        observance.add("dtstart", walls[0])
        for wall in walls[1:]:  # one RDATE line each: vobject reads only the first of a list
            observance.add("rdate", wall)
        observance.add("tzoffsetfrom", before)
        observance.add("tzoffsetto", after)
        observance.add("tzname", name)
        tz.add_component(observance)
    return tz


def calendar_add_timezones(cal: Calendar) -> None:
    """Insert the VTIMEZONE of every zone the events of ``cal`` use and that it does not carry yet.

    For calendars built by hand whose events come from collectives in different zones (a member's feed).
    """
    present = {str(component["TZID"]) for component in cal.walk("VTIMEZONE")}
    used: dict[str, int] = {}
    for event in cal.walk("VEVENT"):
        for name in ("DTSTART", "DTEND"):
            if name not in event:
                continue
            tzid = event[name].params.get("TZID")
            value = event.decoded(name)
            if tzid and tzid not in present and isinstance(value, datetime):
                used[tzid] = min(used.get(tzid, value.year), value.year)
    for position, (tzid, year) in enumerate(sorted(used.items())):
        try:
            cal.subcomponents.insert(position, vtimezone(tzid, year))
        except (KeyError, ValueError):  # not a zone of the database: calendars fall back on their own
            continue
