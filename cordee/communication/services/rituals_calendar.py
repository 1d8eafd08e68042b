"""The weekly sync call (seed, Conseil 2: « un call de 30 minutes chaque semaine »), sent as one recurring
calendar invitation to the client's contacts and the mission's team.

Rules:

- for missions whose ritual is the weekly call; the lead and the collective's admins set it up: weekday,
  time (in the collective's time zone), duration, video link, first date (a date of that weekday);
- sending is one email per person with ``invite.ics``: ``METHOD:REQUEST``, ``RRULE:FREQ=WEEKLY;BYDAY=..``,
  the lead as ``ORGANIZER``, everyone as ``ATTENDEE`` with ``RSVP=TRUE``; the ``UID`` stays the same and
  every later change raises the ``SEQUENCE`` (everyone gets the update, so new contacts and new team
  members join the series); saving without a change sends nothing;
- **stopping** (by the lead, when the mission switches to the weekly video, or when it is delivered or
  closed) raises the ``SEQUENCE`` and sends ``METHOD:CANCEL`` to everyone who had the invitation;
  setting the call up again afterwards starts a new series (a new ``UID``);
- who had the invitation is read from the outbox: its keys are ``ritual:<pk>:seq:<sequence>:<email>``.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cordee.accounts.models import User
from cordee.clients.models import ClientContact
from cordee.collectives.time import collective_today, collective_zone
from cordee.communication.models import Ritual, new_calendar_uid
from cordee.communication.services.calls import (
    Attendee,
    attendees_of,
    contact_choices,
    team_choices,
)
from cordee.communication.services.previews import PreviewKind, PreviewUnavailable
from cordee.core import ics
from cordee.core.models import OutboundEmail
from cordee.core.outbox import email_enqueue
from cordee.missions.access import mission_for
from cordee.missions.models import Mission, MissionEvent
from cordee.missions.services.history import mission_event_record

INVITATION_TEMPLATE = "communication/emails/ritual_call_invitation"
CANCELLATION_TEMPLATE = "communication/emails/ritual_call_cancelled"
CLOSED_STATUSES = (Mission.Status.DELIVERED, Mission.Status.CLOSED)


def ritual_of(mission: Mission) -> Ritual | None:
    return Ritual.objects.filter(collective_id=mission.collective_id, mission=mission).first()


def ritual_call_is_live(ritual: Ritual | None, mission: Mission) -> bool:
    """The weekly call is set up and running (its invitation is in the calendars)."""
    return bool(
        ritual
        and mission.ritual_kind == Mission.RitualKind.SYNC_CALL
        and ritual.is_active
        and ritual.first_date
        and mission.status not in CLOSED_STATUSES
    )


def ritual_call_recipients(mission: Mission) -> list[Attendee]:
    """Everyone the weekly call is for: the contacts of the client, then the team."""
    return attendees_of(contacts=contact_choices(mission), users=team_choices(mission))


def _key_prefix(ritual: Ritual, sequence: int) -> str:
    return f"ritual:{ritual.pk}:seq:{sequence}:"


def ritual_call_invited(ritual: Ritual) -> list[str]:
    """The addresses that received the invitation at the current SEQUENCE (from the outbox keys)."""
    prefix = _key_prefix(ritual, ritual.sequence)
    return list(
        OutboundEmail.objects.filter(idempotency_key__startswith=prefix)
        .order_by("pk")
        .values_list("to_email", flat=True)
    )


def ritual_call_first_start(ritual: Ritual, time_zone: str) -> datetime:
    return datetime.combine(ritual.first_date, ritual.start_time, tzinfo=ZoneInfo(time_zone))


def ritual_call_next(ritual: Ritual, time_zone: str, now: datetime | None = None) -> datetime:
    """The next weekly call from now (the first one while it has not come)."""
    now = now or timezone.now()
    start = ritual_call_first_start(ritual, time_zone)
    if start >= now:
        return start
    local_now = now.astimezone(ZoneInfo(time_zone))
    day = local_now.date() + timedelta(days=(ritual.weekday - local_now.weekday()) % 7)
    candidate = datetime.combine(day, ritual.start_time, tzinfo=ZoneInfo(time_zone))
    if candidate < now:
        candidate = datetime.combine(day + timedelta(days=7), ritual.start_time, tzinfo=ZoneInfo(time_zone))
    return candidate


def ritual_call_summary(mission: Mission) -> str:
    return _("Weekly call: %(mission)s") % {"mission": mission.title}


def ritual_call_event(
    ritual: Ritual, *, mission: Mission, attendees: list[Attendee], status: str, language: str
):
    collective = mission.collective
    with translation.override(language):
        lines = [
            _("Every week, 30 minutes to review the progress of “%(mission)s” and agree on what comes next.")
            % {"mission": mission.title}
            if ritual.duration_minutes == 30
            else _("Every week, to review the progress of “%(mission)s” and agree on what comes next.")
            % {"mission": mission.title}
        ]
        if ritual.video_link:
            lines.append(_("Join the call: %(link)s") % {"link": ritual.video_link})
        lines.append(
            _("Organised by %(lead)s, %(collective)s")
            % {"lead": mission.lead.display_name, "collective": collective.name}
        )
        return ics.calendar_event(
            uid=ritual.calendar_uid,
            sequence=ritual.sequence,
            summary=ritual_call_summary(mission),
            description="\n".join(lines),
            start=ritual_call_first_start(ritual, collective.time_zone),
            duration=timedelta(minutes=ritual.duration_minutes),
            location=ritual.video_link,
            url=ritual.video_link,
            organizer=(mission.lead.display_name, mission.lead.email),
            attendees=[(attendee.name, attendee.email) for attendee in attendees],
            rrule={"freq": "WEEKLY", "byday": ics.weekday_code(ritual.weekday)},
            status=status,
        )


def ritual_call_calendar(
    ritual: Ritual, *, mission: Mission, attendees: list[Attendee], method: str, language: str
) -> bytes:
    status = ics.STATUS_CANCELLED if method == ics.METHOD_CANCEL else ics.STATUS_CONFIRMED
    event = ritual_call_event(ritual, mission=mission, attendees=attendees, status=status, language=language)
    return ics.calendar_invitation([event], method=method, time_zone=mission.collective.time_zone)


def ritual_call_email_context(*, ritual: Ritual, mission: Mission, recipient: Attendee, kind: str) -> dict:
    collective = mission.collective
    first = ritual_call_first_start(ritual, collective.time_zone)
    context = {
        "collective": collective,
        "mission": mission,
        "ritual": ritual,
        "lead": mission.lead,
        "recipient": recipient,
        "kind": kind,
        "time_zone": collective.time_zone,
        "first_start": first,
        "first_end": first + timedelta(minutes=ritual.duration_minutes),
        "mission_url": "",
    }
    if recipient.is_team:
        context["mission_url"] = settings.BASE_URL + reverse(
            "missions:detail", args=[collective.slug, mission.pk]
        )
    return context


def _send(ritual: Ritual, *, mission: Mission, recipients: list[Attendee], method: str, kind: str) -> None:
    collective = mission.collective
    template = CANCELLATION_TEMPLATE if method == ics.METHOD_CANCEL else INVITATION_TEMPLATE
    for recipient in recipients:
        data = ritual_call_calendar(
            ritual, mission=mission, attendees=recipients, method=method, language=recipient.language
        )
        email_enqueue(
            key=f"{_key_prefix(ritual, ritual.sequence)}{recipient.key}",
            to=recipient.email,
            template=template,
            context=ritual_call_email_context(ritual=ritual, mission=mission, recipient=recipient, kind=kind),
            language=recipient.language,
            sender=collective.notification_sender(),
            reply_to=mission.lead.email,
            collective=collective,
            attachments=[ics.ics_attachment(data, method)],
        )


def _schedule_text(ritual: Ritual, collective) -> str:
    first = ritual_call_first_start(ritual, collective.time_zone)
    return "{} {} · {} min · {}".format(
        formats.date_format(first, "l"),
        formats.time_format(ritual.start_time, "TIME_FORMAT"),
        ritual.duration_minutes,
        formats.date_format(ritual.first_date, "DATE_FORMAT"),
    )


@transaction.atomic
def ritual_call_save(
    *,
    mission: Mission,
    by,
    weekday: int,
    start_time: time,
    duration_minutes: int,
    video_link: str,
    first_date: date,
    now: datetime | None = None,
) -> tuple[Ritual, bool]:
    """Set up or change the weekly call and send the invitation (or its update) to everyone.

    Returns the ritual and whether anything was sent (nothing when nothing changed).
    """
    mission_for(by, mission.pk, manage=True)
    now = now or timezone.now()
    collective = mission.collective
    if mission.ritual_kind != Mission.RitualKind.SYNC_CALL:
        raise ValidationError(
            _(
                "This mission's weekly ritual is a video: switch it to a weekly call in the mission's settings."
            ),
            code="not_sync_call",
        )
    if mission.status in CLOSED_STATUSES:
        raise ValidationError(
            _("The mission is %(status)s: the weekly call is over.")
            % {"status": mission.get_status_display().lower()},
            code="mission_over",
        )
    video_link = (video_link or "").strip()
    errors: dict[str, list] = {}
    if not 0 <= weekday <= 6:
        errors["weekday"] = [_("Choose a day of the week.")]
    if not 5 <= (duration_minutes or 0) <= 240:
        errors["duration_minutes"] = [
            _("A call lasts from %(min)d to %(max)d minutes.") % {"min": 5, "max": 240}
        ]
    if not video_link:
        errors["video_link"] = [_("Give the link of the video call: it goes in everyone's calendar.")]
    if first_date and first_date.weekday() != weekday:
        errors["first_date"] = [_("The first call must fall on the chosen day of the week.")]
    ritual = ritual_of(mission)
    live = ritual_call_is_live(ritual, mission)
    today = now.astimezone(collective_zone(collective)).date()
    if first_date is None:
        errors["first_date"] = [_("Choose the date of the first call.")]
    elif first_date < today and not (live and ritual.first_date == first_date):
        errors["first_date"] = [_("The first call cannot be in the past.")]
    if not contact_choices(mission).exists():
        errors["__all__"] = [
            _("The client has no contact yet: add the people to invite on the client's page.")
        ]
    if errors:
        raise ValidationError(errors)
    if ritual is None:
        ritual = Ritual.objects.create(collective_id=mission.collective_id, mission=mission)
    recipients = ritual_call_recipients(mission)
    invited = {email.lower() for email in ritual_call_invited(ritual)} if live else set()
    same = (
        live
        and ritual.weekday == weekday
        and ritual.start_time == start_time
        and ritual.duration_minutes == duration_minutes
        and ritual.video_link == video_link
        and ritual.first_date == first_date
        and invited == {recipient.key for recipient in recipients}
    )
    if same:
        return ritual, False
    changes = {
        "weekday": weekday,
        "start_time": start_time,
        "duration_minutes": duration_minutes,
        "video_link": video_link,
        "first_date": first_date,
        "is_active": True,
        "stopped_at": None,
        "updated_at": now,
    }
    # A first invitation keeps SEQUENCE 0; any later one (an update, a new series) raises it.
    sent_before = OutboundEmail.objects.filter(
        idempotency_key__startswith=f"ritual:{ritual.pk}:seq:"
    ).exists()
    if sent_before:
        changes["sequence"] = F("sequence") + 1
    if sent_before and not live:
        changes["calendar_uid"] = new_calendar_uid()  # stopped before: a new series
    claimed = Ritual.objects.filter(pk=ritual.pk, sequence=ritual.sequence).update(**changes)
    if claimed != 1:
        raise ValidationError(
            _("The weekly call was changed by someone else meanwhile: reload the page and try again."),
            code="stale",
        )
    ritual.refresh_from_db()
    _send(
        ritual,
        mission=mission,
        recipients=recipients,
        method=ics.METHOD_REQUEST,
        kind="update" if live else "new",
    )
    removed = invited - {recipient.key for recipient in recipients}
    if removed:
        gone = [_former_attendee(mission, email) for email in sorted(removed)]
        for person in gone:
            _send(ritual, mission=mission, recipients=[person], method=ics.METHOD_CANCEL, kind="removed")
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.RITUAL_CALL_SENT,
        actor=by,
        summary=_schedule_text(ritual, collective),
        data={"ritual": ritual.pk, "sequence": ritual.sequence, "uid": ritual.calendar_uid},
    )
    return ritual, True


def _former_attendee(mission: Mission, email: str) -> Attendee:
    """Someone who had the invitation and is no longer on the list: their name and language if still known."""
    contact = ClientContact.objects.filter(collective_id=mission.collective_id, email__iexact=email).first()
    if contact is not None:
        return Attendee(contact.full_name, email, contact.language or settings.LANGUAGE_CODE)
    user = User.objects.filter(memberships__collective_id=mission.collective_id, email__iexact=email).first()
    if user is not None:
        return Attendee(user.display_name, email, user.language or settings.LANGUAGE_CODE)
    return Attendee("", email, settings.LANGUAGE_CODE)


@transaction.atomic
def ritual_call_stop(*, mission: Mission, by, now: datetime | None = None) -> bool:
    """Stop the weekly call: ``METHOD:CANCEL`` to everyone who had the invitation.

    Called by the lead, and by the mission's status and settings changes (delivered, closed, switched to
    the weekly video). False when there was no call running (nothing sent).
    """
    mission_for(by, mission.pk, manage=True)
    ritual = ritual_of(mission)
    if ritual is None or not ritual.is_active or not ritual.first_date:
        return False
    now = now or timezone.now()
    invited = ritual_call_invited(ritual)
    claimed = Ritual.objects.filter(pk=ritual.pk, sequence=ritual.sequence, is_active=True).update(
        is_active=False, stopped_at=now, sequence=F("sequence") + 1, updated_at=now
    )
    if claimed != 1:
        return False
    ritual.refresh_from_db()
    if invited:
        known = {recipient.email.lower(): recipient for recipient in ritual_call_recipients(mission)}
        people = [known.get(email.lower()) or _former_attendee(mission, email) for email in invited]
        _send(ritual, mission=mission, recipients=people, method=ics.METHOD_CANCEL, kind="stopped")
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.RITUAL_CALL_STOPPED,
        actor=by,
        summary=_schedule_text(ritual, mission.collective),
        data={"ritual": ritual.pk, "sequence": ritual.sequence, "uid": ritual.calendar_uid},
    )
    return True


# --- Calendar feeds -------------------------------------------------------------------------------


def ritual_feed_event(ritual: Ritual, *, mission: Mission, language: str):
    """The weekly call as a recurring event of a subscribed calendar: no organizer nor attendees."""
    collective = mission.collective
    with translation.override(language):
        lines = [
            _("Mission: %(mission)s (%(collective)s)")
            % {"mission": mission.title, "collective": collective.name}
        ]
        if ritual.video_link:
            lines.append(_("Join the call: %(link)s") % {"link": ritual.video_link})
        return ics.calendar_event(
            uid=ritual.calendar_uid,
            sequence=ritual.sequence,
            summary=ritual_call_summary(mission),
            description="\n".join(lines),
            start=ritual_call_first_start(ritual, collective.time_zone),
            duration=timedelta(minutes=ritual.duration_minutes),
            location=ritual.video_link,
            url=ritual.video_link,
            rrule={"freq": "WEEKLY", "byday": ics.weekday_code(ritual.weekday)},
        )


def member_rituals(*, user):
    """The weekly calls running on the missions whose team the member is on (collectives they still
    belong to)."""
    return (
        Ritual.objects.filter(
            is_active=True,
            first_date__isnull=False,
            mission__ritual_kind=Mission.RitualKind.SYNC_CALL,
            mission__team__user=user,
            mission__collective__memberships__user=user,
            mission__collective__memberships__archived_at__isnull=True,
        )
        .exclude(mission__status__in=CLOSED_STATUSES)
        .select_related("mission__collective", "mission__lead")
        .distinct()
        .order_by("mission__title", "pk")
    )


# --- Email preview (registered by CommunicationConfig.ready) ------------------------------------------


def _preview_ritual_call(mission: Mission, contact: ClientContact, params: dict):
    if mission.ritual_kind != Mission.RitualKind.SYNC_CALL:
        raise PreviewUnavailable(_("This mission's weekly ritual is the video: there is no call invitation."))
    ritual = ritual_of(mission)
    if ritual is None or ritual.first_date is None:
        today = collective_today(mission.collective)
        ritual = Ritual(
            collective_id=mission.collective_id,
            mission=mission,
            first_date=today + timedelta(days=7 - today.weekday()),
            video_link="https://meet.example.com/your-room",
        )
    recipient = attendees_of(contacts=[contact], users=[])[0]
    return INVITATION_TEMPLATE, ritual_call_email_context(
        ritual=ritual, mission=mission, recipient=recipient, kind="new"
    )


def email_previews() -> list:
    return [
        PreviewKind(
            "ritual_call",
            gettext_lazy("Weekly call invitation"),
            gettext_lazy(
                "When you set up or change the weekly call, with the invitation for the whole series."
            ),
            _preview_ritual_call,
            template=INVITATION_TEMPLATE,
        ),
    ]
