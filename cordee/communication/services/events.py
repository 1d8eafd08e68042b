"""The collective's own rituals outside missions (seed, last section): weekly calls, meetups, trips.

Rules:

- any member creates an event; its creator and the collective's admins edit or cancel it;
- an event has a start (in the collective's time zone), an end, a place and/or a video call link, and
  may repeat every week, every two weeks or every month (on the same day of the month, so it starts
  between the 1st and the 28th), until a date or without end;
- occurrences are expanded with ``dateutil.rrule`` on the local wall-clock time, then placed in the
  collective's zone: a weekly call at 9:30 stays at 9:30 across daylight saving changes (its UTC time
  moves);
- members answer going / maybe / not going, one answer per member and event, which they can change; for
  a recurring event the answer covers the whole series (one answer is enough, a member who cannot make
  one occasion says so to the others);
- an edit that changes something raises the event's ``SEQUENCE`` (its ``UID`` never changes), and a
  cancellation raises it too and keeps the event with ``STATUS:CANCELLED`` in the calendar feed, so that
  subscribed calendars update or remove it instead of duplicating it;
- each member can have a private calendar URL of the collective's rituals (a random token, only its
  hash stored), regenerated or revoked at will; it stops working if they leave the collective.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from dateutil import rrule
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from cordee.collectives.access import membership_for
from cordee.collectives.models import Membership
from cordee.collectives.time import collective_zone
from cordee.communication import access
from cordee.communication.access import collective_event_for
from cordee.communication.models import CollectiveEvent, EventFeedToken, EventResponse
from cordee.core import ics
from cordee.core.models import OutboundEmail
from cordee.core.outbox import email_enqueue
from cordee.core.tokens import token_hash, token_new

UPCOMING_WEEKS = 8
MAX_DURATION_MINUTES = 14 * 24 * 60  # a two-week trip
MIN_DURATION_MINUTES = 5
MONTHLY_LAST_DAY = 28
FEED_HISTORY = timedelta(days=365)  # past events the calendar feed still carries

Recurrence = CollectiveEvent.Recurrence
RULES = {
    Recurrence.WEEKLY: (rrule.WEEKLY, 1, "WEEKLY"),
    Recurrence.BIWEEKLY: (rrule.WEEKLY, 2, "WEEKLY"),
    Recurrence.MONTHLY: (rrule.MONTHLY, 1, "MONTHLY"),
}

validate_http_url = URLValidator(schemes=["http", "https"])


# --- Time ----------------------------------------------------------------------------------------------


def _local_naive(moment: datetime, zone: ZoneInfo) -> datetime:
    return timezone.localtime(moment, zone).replace(tzinfo=None)


def _aware(naive: datetime, zone: ZoneInfo) -> datetime:
    return naive.replace(tzinfo=zone)


# Local wall-clock windows are widened by this much, then occurrences are filtered on real instants: a
# daylight saving change inside the window cannot make one slip out.
WALL_CLOCK_MARGIN = timedelta(hours=3)


def _rule(event: CollectiveEvent, zone: ZoneInfo) -> rrule.rrule | None:
    """The event's recurrence on local wall-clock times (None for a one-off event)."""
    if not event.recurrence:
        return None
    frequency, interval, _name = RULES[event.recurrence]
    until = datetime.combine(event.repeat_until, time.max) if event.repeat_until else None
    return rrule.rrule(frequency, interval=interval, dtstart=_local_naive(event.starts_at, zone), until=until)


def event_duration(event: CollectiveEvent) -> timedelta:
    return timedelta(minutes=event.duration_minutes)


def series_end(event: CollectiveEvent, zone: ZoneInfo) -> datetime | None:
    """The end of the event's last occurrence; None for a series without end."""
    rule = _rule(event, zone)
    if rule is None:
        return event.starts_at + event_duration(event)
    if event.repeat_until is None:
        return None
    last = rule.before(datetime.combine(event.repeat_until, time.max), inc=True)
    if last is None:
        return event.starts_at + event_duration(event)
    return _aware(last, zone) + event_duration(event)


@dataclass(frozen=True)
class Occurrence:
    event: CollectiveEvent
    starts_at: datetime
    ends_at: datetime

    @property
    def is_ongoing(self) -> bool:
        return self.starts_at <= timezone.now() < self.ends_at


def event_occurrences(
    event: CollectiveEvent, *, start: datetime, end: datetime, zone=None
) -> list[Occurrence]:
    """The event's occurrences that are not over at ``start`` and begin before ``end``, in its zone."""
    zone = zone or collective_zone(event.collective)
    duration = event_duration(event)
    rule = _rule(event, zone)
    if rule is None:
        starts = [event.starts_at]
    else:
        window = rule.between(
            _local_naive(start - duration, zone) - WALL_CLOCK_MARGIN,
            _local_naive(end, zone) + WALL_CLOCK_MARGIN,
            inc=True,
        )
        starts = [_aware(naive, zone) for naive in window]
    return [
        Occurrence(event=event, starts_at=moment, ends_at=moment + duration)
        for moment in starts
        if moment + duration > start and moment < end
    ]


def next_occurrence(event: CollectiveEvent, *, now: datetime, zone=None) -> Occurrence | None:
    """The occurrence under way or the next one; None once the series is over."""
    zone = zone or collective_zone(event.collective)
    duration = event_duration(event)
    rule = _rule(event, zone)
    if rule is None:
        moment = event.starts_at
    else:
        naive = rule.after(_local_naive(now - duration, zone) - WALL_CLOCK_MARGIN, inc=True)
        while naive is not None and _aware(naive, zone) + duration <= now:
            naive = rule.after(naive)
        if naive is None:
            return None
        moment = _aware(naive, zone)
    if moment + duration <= now:
        return None
    return Occurrence(event=event, starts_at=moment, ends_at=moment + duration)


def upcoming_occurrences(events, *, now: datetime, weeks: int = UPCOMING_WEEKS) -> list[Occurrence]:
    """Every occurrence of ``events`` under way or starting within ``weeks`` weeks, in time order."""
    end = now + timedelta(weeks=weeks)
    found = []
    for event in events:
        if event.cancelled_at is None:
            found += event_occurrences(event, start=now, end=end)
    return sorted(found, key=lambda occurrence: (occurrence.starts_at, occurrence.event.pk))


def recurrence_label(event: CollectiveEvent) -> str:
    """“Every week until 30 June 2026”, for the pages and the calendar description."""
    from django.utils.formats import date_format

    if not event.recurrence:
        return ""
    label = event.get_recurrence_display()
    if event.repeat_until:
        return _("%(recurrence)s until %(date)s") % {
            "recurrence": label,
            "date": date_format(event.repeat_until, "DATE_FORMAT"),
        }
    return str(label)


# --- Reads ---------------------------------------------------------------------------------------------


def _with_responses(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("created_by", "collective").prefetch_related(
        Prefetch(
            "responses",
            queryset=EventResponse.objects.select_related("user").order_by("user__full_name", "user__email"),
        )
    )


def event_with_responses(*, collective, pk: int) -> CollectiveEvent:
    """One event with its answers (for a card refreshed in place); DoesNotExist outside the collective."""
    return _with_responses(CollectiveEvent.objects.filter(collective=collective, pk=pk)).get()


def upcoming_events(*, collective, now: datetime | None = None) -> list[CollectiveEvent]:
    """The events that are not cancelled and not over, the next one first (each gets ``next``)."""
    now = now or timezone.now()
    events = list(
        _with_responses(
            CollectiveEvent.objects.filter(collective=collective, cancelled_at__isnull=True).filter(
                Q(ends_at__isnull=True) | Q(ends_at__gt=now)
            )
        )
    )
    zone = collective_zone(collective)
    kept = []
    for event in events:
        event.next = next_occurrence(event, now=now, zone=zone)
        if event.next is not None:
            kept.append(event)
    return sorted(kept, key=lambda event: (event.next.starts_at, event.pk))


def past_events(*, collective, now: datetime | None = None) -> QuerySet:
    """Events that are over (not cancelled), the most recent first."""
    now = now or timezone.now()
    return _with_responses(
        CollectiveEvent.objects.filter(collective=collective, cancelled_at__isnull=True, ends_at__lte=now)
    ).order_by("-ends_at", "-pk")


def cancelled_events(*, collective) -> QuerySet:
    return _with_responses(
        CollectiveEvent.objects.filter(collective=collective, cancelled_at__isnull=False)
    ).order_by("-cancelled_at", "-pk")


@dataclass(frozen=True)
class ResponseSummary:
    going: list
    maybe: list
    not_going: list
    mine: str

    @property
    def count(self) -> int:
        return len(self.going) + len(self.maybe) + len(self.not_going)


def response_summary(event: CollectiveEvent, *, user) -> ResponseSummary:
    """Who answered what (from the prefetched responses) and the member's own answer."""
    groups = {answer: [] for answer in EventResponse.Answer.values}
    mine = ""
    for response in event.responses.all():
        groups[response.answer].append(response.user)
        if response.user_id == user.pk:
            mine = response.answer
    return ResponseSummary(
        going=groups[EventResponse.Answer.YES],
        maybe=groups[EventResponse.Answer.MAYBE],
        not_going=groups[EventResponse.Answer.NO],
        mine=mine,
    )


def can_edit_event(*, event: CollectiveEvent, membership: Membership | None) -> bool:
    """For pages: the rule of `collective_event_for(..., edit=True)`, for a membership the page holds."""
    return membership is not None and access.can_edit_event(membership, event)


# --- Changes -------------------------------------------------------------------------------------------


def clean_event_values(
    *,
    collective,
    title: str,
    description: str,
    starts_at: datetime,
    duration_minutes: int,
    location: str,
    video_link: str,
    recurrence: str,
    repeat_until: date | None,
    now: datetime,
    start_may_be_past: bool = False,
) -> dict:
    """Check an event's values; returns them cleaned or raises ValidationError with field errors."""
    errors: dict[str, list] = {}

    def error(field, message, code):
        errors.setdefault(field, []).append(ValidationError(message, code=code))

    title = " ".join((title or "").split())
    if not title:
        error("title", _("Give the event a title, for example: weekly call."), "required")
    elif len(title) > 160:
        error("title", _("Keep the title under 160 characters."), "max_length")
    description = (description or "").strip()
    if len(description) > 5000:
        error("description", _("Keep the description under 5,000 characters."), "max_length")
    location = " ".join((location or "").split())
    if len(location) > 200:
        error("location", _("Keep the place under 200 characters."), "max_length")
    video_link = (video_link or "").strip()
    if video_link:
        try:
            validate_http_url(video_link)
        except ValidationError:
            error("video_link", _("Give a web address starting with https:// (or http://)."), "invalid")
        if len(video_link) > 200:
            error("video_link", _("The link is too long (at most 200 characters)."), "max_length")
    if not location and not video_link:
        error(
            "location",
            _("Give a place, a video call link, or both, so that members know where to join."),
            "where",
        )
    if starts_at is None or timezone.is_naive(starts_at):
        error("starts_at", _("Give the date and time the event starts."), "required")
    elif not start_may_be_past and starts_at < now:
        error("starts_at", _("The event would start in the past: pick a date and time to come."), "past")
    duration_minutes = int(duration_minutes or 0)
    if duration_minutes < MIN_DURATION_MINUTES:
        error("duration_minutes", _("The event must end at least 5 minutes after it starts."), "too_short")
    elif duration_minutes > MAX_DURATION_MINUTES:
        error("duration_minutes", _("An event lasts at most 14 days."), "too_long")
    recurrence = recurrence or ""
    if recurrence not in Recurrence.values:
        error("recurrence", _("Choose how the event repeats."), "invalid")
        recurrence = ""
    if not recurrence:
        repeat_until = None
    elif starts_at is not None and timezone.is_aware(starts_at):
        local_start = timezone.localtime(starts_at, collective_zone(collective))
        if repeat_until and repeat_until < local_start.date():
            error("repeat_until", _("The last date must be on or after the first one."), "before_start")
        if recurrence == Recurrence.MONTHLY and local_start.day > MONTHLY_LAST_DAY:
            error(
                "recurrence",
                _("A monthly event starts between the 1st and the 28th, so that it happens every month."),
                "monthly_day",
            )
        if recurrence == Recurrence.WEEKLY and duration_minutes > 7 * 24 * 60:
            error("duration_minutes", _("A weekly event lasts at most a week."), "overlap")
    if errors:
        raise ValidationError(errors)
    return {
        "title": title,
        "description": description,
        "starts_at": starts_at,
        "duration_minutes": duration_minutes,
        "location": location,
        "video_link": video_link,
        "recurrence": recurrence,
        "repeat_until": repeat_until,
    }


def collective_event_create(
    *,
    collective,
    by,
    title: str,
    starts_at: datetime,
    duration_minutes: int,
    description: str = "",
    location: str = "",
    video_link: str = "",
    recurrence: str = "",
    repeat_until: date | None = None,
    invite_members: bool = False,
) -> CollectiveEvent:
    """Any member of the collective creates an event (a one-off, or a series). With ``invite_members``,
    the other members get an invitation by email (see `event_invitations_send`)."""
    membership_for(by, collective.pk)
    values = clean_event_values(
        collective=collective,
        title=title,
        description=description,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        location=location,
        video_link=video_link,
        recurrence=recurrence,
        repeat_until=repeat_until,
        now=timezone.now(),
    )
    with transaction.atomic():
        event = CollectiveEvent(collective=collective, created_by=by, **values)
        event.ends_at = series_end(event, collective_zone(collective))
        event.save()
        event.invited = event_invitations_send(event=event) if invite_members else 0
    return event


EDITABLE_FIELDS = (
    "title",
    "description",
    "starts_at",
    "duration_minutes",
    "location",
    "video_link",
    "recurrence",
    "repeat_until",
)


def collective_event_update(*, event: CollectiveEvent, by, **changes) -> CollectiveEvent:
    """The creator or an admin changes the event. When something changes, its SEQUENCE goes up (same
    UID) so calendars update it; an unchanged form changes nothing. Returns the event, with ``changed``."""
    collective_event_for(by, event.pk, edit=True)
    if event.cancelled_at:
        raise ValidationError(_("This event was cancelled: it can no longer change."), code="cancelled")
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"Unknown event fields: {sorted(unknown)}")
    current = {field: getattr(event, field) for field in EDITABLE_FIELDS}
    merged = {**current, **changes}
    values = clean_event_values(
        collective=event.collective,
        now=timezone.now(),
        start_may_be_past=merged["starts_at"] == event.starts_at,
        **merged,
    )
    changed = [field for field in EDITABLE_FIELDS if values[field] != current[field]]
    event.changed = bool(changed)
    if not changed:
        return event
    with transaction.atomic():
        for field in changed:
            setattr(event, field, values[field])
        event.ends_at = series_end(event, collective_zone(event.collective))
        event.sequence += 1
        event.save(update_fields=[*changed, "ends_at", "sequence"])
        if invitations_were_sent(event):
            event_invitations_send(event=event)
    event.changed = True
    return event


def collective_event_cancel(*, event: CollectiveEvent, by) -> bool:
    """The creator or an admin cancels the event (the whole series). It stays, marked cancelled, so that
    calendars remove it. Returns False when it was already cancelled."""
    collective_event_for(by, event.pk, edit=True)
    now = timezone.now()
    with transaction.atomic():
        claimed = CollectiveEvent.objects.filter(pk=event.pk, cancelled_at__isnull=True).update(
            cancelled_at=now, sequence=F("sequence") + 1
        )
        if claimed:
            event.refresh_from_db(fields=["cancelled_at", "sequence"])
            if invitations_were_sent(event):
                event_invitations_send(event=event)
    return bool(claimed)


def event_response_set(*, event: CollectiveEvent, user, answer: str) -> EventResponse:
    """A member answers going / maybe / not going, or changes their answer (one per member and event)."""
    collective_event_for(user, event.pk)
    if answer not in EventResponse.Answer.values:
        raise ValidationError(_("Answer going, maybe or not going."), code="invalid")
    if event.cancelled_at:
        raise ValidationError(_("This event was cancelled."), code="cancelled")
    if event.ends_at and event.ends_at <= timezone.now():
        raise ValidationError(_("This event is over."), code="over")
    defaults = {"answer": answer, "collective_id": event.collective_id}
    try:
        with transaction.atomic():
            response, _created = EventResponse.objects.update_or_create(
                event=event, user=user, defaults=defaults
            )
    except IntegrityError:
        # Two answers at the same moment (double click): the second one updates the first.
        response, _created = EventResponse.objects.update_or_create(event=event, user=user, defaults=defaults)
    return response


# --- Calendar feed -------------------------------------------------------------------------------------


def events_feed_url(raw_token: str) -> str:
    return settings.BASE_URL + reverse("communication:events_feed", args=[raw_token])


@transaction.atomic
def event_feed_create(*, user, collective) -> tuple[str, bool]:
    """Create the member's rituals calendar URL, or give it a new token (the previous URL stops
    working). Returns the raw token, to show once, and whether a previous URL was replaced."""
    membership_for(user, collective.pk)
    raw, hashed = token_new()
    _feed, created = EventFeedToken.objects.update_or_create(
        user=user, collective=collective, defaults={"token_hash": hashed, "created_at": timezone.now()}
    )
    return raw, not created


@transaction.atomic
def event_feed_revoke(*, user, collective) -> bool:
    deleted, _by_model = EventFeedToken.objects.filter(user=user, collective=collective).delete()
    return bool(deleted)


def event_feed_of(*, user, collective) -> EventFeedToken | None:
    return EventFeedToken.objects.filter(user=user, collective=collective).first()


def event_feed_lookup(*, raw_token: str) -> EventFeedToken | None:
    """The feed this token opens, while its member is active and still in the collective."""
    feed = (
        EventFeedToken.objects.select_related("user", "collective")
        .filter(token_hash=token_hash(raw_token), user__is_active=True)
        .first()
    )
    if feed is None or not Membership.objects.filter(collective=feed.collective, user=feed.user).exists():
        return None
    return feed


def ics_rrule(event: CollectiveEvent, zone: ZoneInfo) -> dict | None:
    """The event's RRULE for iCalendar; UNTIL is the end of the last day in the collective's zone."""
    if not event.recurrence:
        return None
    _frequency, interval, name = RULES[event.recurrence]
    rule: dict = {"freq": name}
    if interval != 1:
        rule["interval"] = interval
    if event.repeat_until:
        rule["until"] = datetime.combine(event.repeat_until, time(23, 59, 59), tzinfo=zone)
    return rule


def event_calendar_entry(event: CollectiveEvent, *, transparent: bool = False, attendees=()):
    """One VEVENT of the collective's event: its stable UID and SEQUENCE, RRULE for a series,
    STATUS:CANCELLED once cancelled."""
    collective = event.collective
    zone = collective_zone(collective)
    page_url = (
        settings.BASE_URL + reverse("communication:events", args=[collective.slug]) + f"#event-{event.pk}"
    )
    lines = [event.description] if event.description else []
    if event.video_link:
        lines.append(_("Video call: %(link)s") % {"link": event.video_link})
    if event.recurrence:
        lines.append(recurrence_label(event))
    lines.append(_("Answer and see who comes: %(url)s") % {"url": page_url})
    creator = event.created_by
    return ics.calendar_event(
        uid=event.calendar_uid,
        sequence=event.sequence,
        summary=event.title,
        description="\n\n".join(lines),
        start=event.starts_at,
        duration=event_duration(event),
        location=event.location or event.video_link,
        url=event.video_link or page_url,
        organizer=(creator.display_name, creator.email) if creator else None,
        attendees=list(attendees),
        rrule=ics_rrule(event, zone),
        status=ics.STATUS_CANCELLED if event.cancelled_at else ics.STATUS_CONFIRMED,
        transparent=transparent,
    )


def events_feed_ics(*, collective, user, now: datetime | None = None) -> bytes:
    """Every event of the collective for a member's calendar: current and recent ones (a year back),
    series with their RRULE, cancelled ones with STATUS:CANCELLED. The events the member said they would
    not attend (or may attend) do not block their time."""
    now = now or timezone.now()
    events = (
        CollectiveEvent.objects.filter(collective=collective)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gte=now - FEED_HISTORY))
        .select_related("created_by", "collective")
        .order_by("starts_at", "pk")
    )
    answers = dict(
        EventResponse.objects.filter(event__collective=collective, user=user).values_list(
            "event_id", "answer"
        )
    )
    with translation.override(user.language or settings.LANGUAGE_CODE):
        entries = [
            event_calendar_entry(event, transparent=answers.get(event.pk, "yes") != EventResponse.Answer.YES)
            for event in events
        ]
        return ics.calendar_feed(
            entries,
            name=_("%(collective)s · rituals") % {"collective": collective.name},
            description=_("The weekly calls, meetups and trips of %(collective)s.")
            % {"collective": collective.name},
            time_zone=collective.time_zone,
        )


# --- Invitations by email -----------------------------------------------------------------------------

INVITATION_TEMPLATE = "communication/emails/event_invitation"


def _invitation_key_prefix(event: CollectiveEvent) -> str:
    return f"event-invite:{event.pk}:"


def invitations_were_sent(event: CollectiveEvent) -> bool:
    """Whether the members were invited by email: then changes and the cancellation follow by email."""
    return OutboundEmail.objects.filter(idempotency_key__startswith=_invitation_key_prefix(event)).exists()


def event_invitations_send(*, event: CollectiveEvent) -> int:
    """Email the event to every other member of the collective, in their language, from the collective's
    notification address, with its creator as reply-to.

    A member who does not subscribe to the rituals calendar gets an ``invite.ics`` (``METHOD:REQUEST``,
    or ``METHOD:CANCEL`` once cancelled; same UID, the event's SEQUENCE), which their calendar adds or
    updates; a subscriber gets the email without the file, since the event already is in the calendar
    they subscribed to (a second copy would show it twice). Their answer is given in Cordée (the button),
    where everyone sees it. One email per member and version of the event (key with the SEQUENCE).
    """
    collective = event.collective
    creator = event.created_by
    members = (
        Membership.objects.filter(collective=collective, user__is_active=True)
        .exclude(user_id=event.created_by_id)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    subscribers = set(EventFeedToken.objects.filter(collective=collective).values_list("user_id", flat=True))
    method = ics.METHOD_CANCEL if event.cancelled_at else ics.METHOD_REQUEST
    kind = "cancelled" if event.cancelled_at else ("updated" if event.sequence else "new")
    page_url = (
        settings.BASE_URL + reverse("communication:events", args=[collective.slug]) + f"#event-{event.pk}"
    )
    zone = collective_zone(collective)
    # A series already under way is shown by its next occurrence.
    occurrence = next_occurrence(event, now=timezone.now(), zone=zone) or Occurrence(
        event=event, starts_at=event.starts_at, ends_at=event.starts_at + event_duration(event)
    )
    sent = 0
    for membership in members:
        user = membership.user
        language = user.language or settings.LANGUAGE_CODE
        attachments = []
        if user.pk not in subscribers:
            with translation.override(language):
                entry = event_calendar_entry(event, attendees=[(user.display_name, user.email)])
                data = ics.calendar_invitation([entry], method=method, time_zone=collective.time_zone)
            attachments.append(ics.ics_attachment(data, method))
        email_enqueue(
            key=f"{_invitation_key_prefix(event)}{user.pk}:{event.sequence}",
            to=user.email,
            template=INVITATION_TEMPLATE,
            context={
                "collective": collective,
                "event": event,
                "member": user,
                "creator": creator,
                "kind": kind,
                "starts_at": timezone.localtime(occurrence.starts_at, zone),
                "ends_at": timezone.localtime(occurrence.ends_at, zone),
                "recurrence": recurrence_label_in(event, language),
                "page_url": page_url,
                "has_file": bool(attachments),
            },
            language=language,
            sender=collective.notification_sender(),
            reply_to=creator.email if creator else "",
            collective=collective,
            attachments=attachments,
        )
        sent += 1
    return sent


def recurrence_label_in(event: CollectiveEvent, language: str) -> str:
    with translation.override(language):
        return recurrence_label(event)
