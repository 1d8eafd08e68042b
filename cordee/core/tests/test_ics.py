"""cordee.core.ics: every file is read back by two independent parsers, icalendar and vobject."""

import base64
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
import vobject
from icalendar import Calendar

from cordee.core import ics
from cordee.core.ics import (
    METHOD_PUBLISH,
    calendar_event,
    calendar_feed,
    calendar_feed_response,
    calendar_file_response,
    calendar_invitation,
    calendar_method,
)

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 3, 1, 8, 15, tzinfo=UTC)


def _event(**overrides):
    values = {
        "uid": "call-1@cordee.test",
        "sequence": 0,
        "summary": "Delivery call: Brand book",
        "description": "We walk you through the brand book.\nhttps://meet.example.com/abc",
        "start": datetime(2026, 3, 10, 14, 0, tzinfo=PARIS),
        "duration": timedelta(minutes=45),
        "location": "https://meet.example.com/abc",
        "url": "https://meet.example.com/abc",
        "organizer": ("Léa Martin", "lea@collectif.test"),
        "attendees": [("Léa Martin", "lea@collectif.test"), ("Bob Client, Jr", "bob@client.test")],
    }
    values.update(overrides)
    with time_machine.travel(NOW, tick=False):
        return ics.calendar_event(**values)


def _both(data: bytes):
    return Calendar.from_ical(data), vobject.readOne(data.decode())


def _params(address) -> dict:
    return {key: str(value) for key, value in address.params.items()}


def test_request_invitation_properties_with_icalendar():
    data = ics.calendar_invitation([_event()], method="REQUEST", time_zone="Europe/Paris")

    cal = Calendar.from_ical(data)
    assert str(cal["PRODID"]) == "-//Cordée//Cordée//FR"
    assert str(cal["VERSION"]) == "2.0"
    assert str(cal["CALSCALE"]) == "GREGORIAN"
    assert str(cal["METHOD"]) == "REQUEST"
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    [event] = cal.walk("VEVENT")
    assert str(event["UID"]) == "call-1@cordee.test"
    assert event["SEQUENCE"] == 0
    assert str(event["SUMMARY"]) == "Delivery call: Brand book"
    assert str(event["DESCRIPTION"]) == "We walk you through the brand book.\nhttps://meet.example.com/abc"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["LOCATION"]) == "https://meet.example.com/abc"
    assert str(event["URL"]) == "https://meet.example.com/abc"
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event.decoded("DTSTART") == datetime(2026, 3, 10, 14, 0, tzinfo=PARIS)
    assert event.decoded("DTEND") == datetime(2026, 3, 10, 14, 45, tzinfo=PARIS)
    assert event["DTEND"].params["TZID"] == "Europe/Paris"
    assert event.decoded("DTSTAMP") == NOW
    assert event["DTSTAMP"].to_ical() == b"20260301T081500Z"
    organizer = event["ORGANIZER"]
    assert str(organizer) == "mailto:lea@collectif.test"
    assert _params(organizer) == {"CN": "Léa Martin"}
    attendees = {str(a): _params(a) for a in event["ATTENDEE"]}
    assert attendees == {
        "mailto:lea@collectif.test": {
            "CN": "Léa Martin",
            "CUTYPE": "INDIVIDUAL",
            "ROLE": "CHAIR",
            "PARTSTAT": "ACCEPTED",
            "RSVP": "FALSE",
        },
        "mailto:bob@client.test": {
            "CN": "Bob Client, Jr",
            "CUTYPE": "INDIVIDUAL",
            "ROLE": "REQ-PARTICIPANT",
            "PARTSTAT": "NEEDS-ACTION",
            "RSVP": "TRUE",
        },
    }
    assert "RRULE" not in event


def test_request_invitation_properties_with_vobject():
    data = ics.calendar_invitation([_event(sequence=3)], method="REQUEST", time_zone="Europe/Paris")

    cal = vobject.readOne(data.decode())
    assert cal.prodid.value == "-//Cordée//Cordée//FR"
    assert cal.version.value == "2.0"
    assert cal.method.value == "REQUEST"
    assert cal.vtimezone.tzid.value == "Europe/Paris"
    event = cal.vevent
    assert event.uid.value == "call-1@cordee.test"
    assert event.sequence.value == "3"
    # vobject swaps the TZID parameter for the time zone built from the file's VTIMEZONE.
    assert repr(event.dtstart.value.tzinfo) == "<tzicalvtz 'Europe/Paris'>"
    # vobject resolves the time with the VTIMEZONE of the file, not with its own database.
    assert event.dtstart.value.astimezone(UTC) == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
    assert event.dtend.value.astimezone(UTC) == datetime(2026, 3, 10, 13, 45, tzinfo=UTC)
    assert event.dtstamp.value == NOW
    assert event.status.value == "CONFIRMED"
    assert event.organizer.value == "mailto:lea@collectif.test"
    assert event.organizer.params["CN"] == ["Léa Martin"]
    client = next(a for a in event.attendee_list if a.value == "mailto:bob@client.test")
    assert client.params["CN"] == ["Bob Client, Jr"]
    assert client.params["RSVP"] == ["TRUE"]
    assert client.params["ROLE"] == ["REQ-PARTICIPANT"]
    assert client.params["PARTSTAT"] == ["NEEDS-ACTION"]
    assert len(event.attendee_list) == 2


def test_cancel_has_method_cancel_and_status_cancelled_in_both_parsers():
    data = ics.calendar_invitation(
        [_event(sequence=4, status=ics.STATUS_CANCELLED)], method="CANCEL", time_zone="Europe/Paris"
    )

    cal, vcal = _both(data)
    assert str(cal["METHOD"]) == "CANCEL"
    [event] = cal.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] == 4
    assert str(event["UID"]) == "call-1@cordee.test"
    assert vcal.method.value == "CANCEL"
    assert vcal.vevent.status.value == "CANCELLED"
    assert vcal.vevent.sequence.value == "4"
    assert vcal.vevent.uid.value == "call-1@cordee.test"
    assert vcal.vevent.organizer.value == "mailto:lea@collectif.test"


def test_unknown_method_is_refused():
    with pytest.raises(ValueError):
        ics.calendar_invitation([_event()], method="REPLY")


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        ics.calendar_event(uid="x", summary="x", start=datetime(2026, 3, 10, 9, 30))


def test_utc_start_is_written_in_the_calendar_zone():
    event = _event(start=datetime(2026, 3, 10, 13, 0, tzinfo=UTC))

    data = ics.calendar_invitation([event], time_zone="Europe/Paris")

    cal, vcal = _both(data)
    [parsed] = cal.walk("VEVENT")
    assert parsed["DTSTART"].to_ical() == b"20260310T140000"
    assert parsed["DTSTART"].params["TZID"] == "Europe/Paris"
    assert vcal.vevent.dtstart.value.astimezone(UTC) == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


def test_weekly_call_keeps_its_local_time_across_the_march_change():
    """A weekly 9:30 Paris call: 8:30 UTC in winter, 7:30 UTC once summer time starts (29 March 2026)."""
    event = _event(
        uid="ritual-1@cordee.test",
        summary="Weekly call",
        start=datetime(2026, 3, 16, 9, 30, tzinfo=PARIS),
        duration=timedelta(minutes=30),
        rrule={"freq": "WEEKLY", "byday": ics.weekday_code(0)},
    )

    data = ics.calendar_invitation([event], method="REQUEST", time_zone="Europe/Paris")

    cal, vcal = _both(data)
    [parsed] = cal.walk("VEVENT")
    assert parsed["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
    assert vcal.vevent.rrule.value == "FREQ=WEEKLY;BYDAY=MO"
    occurrences = [when for _index, when in zip(range(4), vcal.vevent.getrruleset(), strict=False)]
    assert [when.astimezone(UTC) for when in occurrences] == [
        datetime(2026, 3, 16, 8, 30, tzinfo=UTC),
        datetime(2026, 3, 23, 8, 30, tzinfo=UTC),
        datetime(2026, 3, 30, 7, 30, tzinfo=UTC),
        datetime(2026, 4, 6, 7, 30, tzinfo=UTC),
    ]
    # And back in October.
    autumn = [
        when for when in vcal.vevent.getrruleset() if date(2026, 10, 19) <= when.date() <= date(2026, 11, 2)
    ]
    assert [when.astimezone(UTC) for when in autumn] == [
        datetime(2026, 10, 19, 7, 30, tzinfo=UTC),
        datetime(2026, 10, 26, 8, 30, tzinfo=UTC),
        datetime(2026, 11, 2, 8, 30, tzinfo=UTC),
    ]


def test_rrule_until_is_written_in_utc():
    event = _event(
        start=datetime(2026, 3, 16, 9, 30, tzinfo=PARIS),
        rrule={"FREQ": "WEEKLY", "BYDAY": "MO", "UNTIL": date(2026, 4, 6)},
    )

    data = ics.calendar_invitation([event], time_zone="Europe/Paris")

    cal, vcal = _both(data)
    assert cal.walk("VEVENT")[0]["RRULE"].to_ical() == b"FREQ=WEEKLY;UNTIL=20260406T235959Z;BYDAY=MO"
    assert len(list(vcal.vevent.getrruleset())) == 4


def test_feed_has_no_method_a_name_and_all_day_events():
    with time_machine.travel(NOW, tick=False):
        day = ics.calendar_event(
            uid="deliverable-1-announced@cordee.test",
            summary="Brand book",
            start=date(2026, 3, 20),
            transparent=True,
        )
    data = ics.calendar_feed([day], name="Mission · Acme", time_zone="Europe/Paris", description="Dates")

    cal, vcal = _both(data)
    assert "METHOD" not in cal
    assert str(cal["X-WR-CALNAME"]) == "Mission · Acme"
    assert str(cal["X-WR-TIMEZONE"]) == "Europe/Paris"
    assert str(cal["X-WR-CALDESC"]) == "Dates"
    assert cal["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert cal.walk("VTIMEZONE") == []  # only dates: no time zone needed
    [event] = cal.walk("VEVENT")
    assert event["DTSTART"].params["VALUE"] == "DATE"
    assert event.decoded("DTSTART") == date(2026, 3, 20)
    assert event.decoded("DTEND") == date(2026, 3, 21)
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert "ORGANIZER" not in event
    assert not hasattr(vcal, "method")
    assert vcal.vevent.dtstart.value == date(2026, 3, 20)
    assert vcal.vevent.uid.value == "deliverable-1-announced@cordee.test"


def test_feed_with_timed_and_recurring_events_carries_the_zone():
    weekly = _event(
        uid="ritual-2@cordee.test", start=datetime(2026, 3, 16, 9, 30, tzinfo=PARIS), rrule={"freq": "WEEKLY"}
    )

    data = ics.calendar_feed([weekly, _event()], name="Feed", time_zone="Europe/Paris")

    cal, vcal = _both(data)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert [str(e["UID"]) for e in cal.walk("VEVENT")] == ["ritual-2@cordee.test", "call-1@cordee.test"]
    assert len(vcal.vevent_list) == 2
    assert vcal.vevent_list[0].rrule.value == "FREQ=WEEKLY"


@pytest.mark.parametrize(
    "tzid", ["Europe/Paris", "America/New_York", "Australia/Sydney", "Asia/Tokyo", "Africa/Casablanca"]
)
def test_vtimezone_gives_the_real_offsets_for_years(tzid):
    """Rule-based zones (Paris, New York, Sydney), a zone without daylight time (Tokyo) and one whose
    changes follow no yearly rule (Casablanca, explicit dates): vobject, reading only our VTIMEZONE,
    finds the same offsets as the time zone database, in winter, in summer and around the changes."""
    zone = ZoneInfo(tzid)
    starts = [
        datetime(2026, month, day, 9, 30, tzinfo=zone) for month in range(1, 13) for day in (1, 15, 28)
    ] + [datetime(2031, 7, 1, 12, 0, tzinfo=zone), datetime(2033, 12, 1, 12, 0, tzinfo=zone)]
    events = [_event(uid=f"e{i}", start=start) for i, start in enumerate(starts)]

    data = ics.calendar_invitation(events, time_zone=tzid)

    vcal = vobject.readOne(data.decode())
    assert [e.dtstart.value.astimezone(UTC) for e in vcal.vevent_list] == [s.astimezone(UTC) for s in starts]
    assert Calendar.from_ical(data).walk("VTIMEZONE")[0]["TZID"] == tzid


def test_vtimezone_of_paris_is_two_yearly_rules():
    tz = ics.vtimezone("Europe/Paris", 2026)

    assert [(c.name, c["RRULE"].to_ical(), c["TZOFFSETTO"].to_ical()) for c in tz.subcomponents] == [
        ("DAYLIGHT", b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "+0200"),
        ("STANDARD", b"FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "+0100"),
    ]


def test_ics_attachment_for_the_outbox():
    data = ics.calendar_invitation([_event()], method="REQUEST")

    attachment = ics.ics_attachment(data, "REQUEST")
    cancel = ics.ics_attachment(data, "CANCEL")

    assert attachment["filename"] == "invite.ics"
    assert attachment["mimetype"] == 'text/calendar; method=REQUEST; charset="utf-8"'
    assert base64.b64decode(attachment["content_base64"]) == data
    assert cancel["filename"] == "cancel.ics"
    assert cancel["mimetype"] == 'text/calendar; method=CANCEL; charset="utf-8"'


# --- One convention over HTTP -----------------------------------------------------------------------


def test_the_method_of_a_calendar_is_read_from_its_header_only():
    invitation = calendar_invitation([calendar_event(uid="a@cordee", summary="x", start=date(2026, 3, 2))])
    feed = calendar_feed(
        [calendar_event(uid="b@cordee", summary="METHOD:CANCEL", start=date(2026, 3, 2))],
        name="n",
        time_zone="Europe/Paris",
    )

    assert calendar_method(invitation) == "REQUEST"
    assert calendar_method(feed) is None


def test_a_feed_response_has_no_method_and_a_file_response_has_it_in_its_content_type():
    event = calendar_event(uid="a@cordee", summary="x", start=date(2026, 3, 2))
    file = calendar_file_response(calendar_invitation([event], method=METHOD_PUBLISH), filename="call.ics")
    feed = calendar_feed_response(
        calendar_feed([event], name="n", time_zone="Europe/Paris"), filename="f.ics"
    )

    assert file["Content-Type"] == "text/calendar; method=PUBLISH; charset=utf-8"
    assert file["Content-Disposition"] == 'attachment; filename="call.ics"'
    assert feed["Content-Type"] == "text/calendar; charset=utf-8"
    assert feed["Content-Disposition"] == 'inline; filename="f.ics"'
    assert feed["Cache-Control"] == "private, max-age=300"
    with pytest.raises(ValueError):
        calendar_feed_response(calendar_invitation([event], method=METHOD_PUBLISH), filename="f.ics")
    with pytest.raises(ValueError):
        calendar_file_response(calendar_feed([event], name="n", time_zone="Europe/Paris"), filename="f.ics")
