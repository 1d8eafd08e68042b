"""Delivery calls (seed: « Prévoyez un appel pour chacune des livraisons »): a call for a deliverable, sent
as a calendar invitation that Google Calendar, Outlook and Apple Calendar accept.

Rules:

- the lead of the mission and the collective's admins schedule, reschedule and cancel; the organizer of
  the invitation is the mission's lead (the calendars send the answers to them);
- the attendees are chosen among the contacts of the mission's client and the mission's team, at least
  one client contact; the call starts in the future;
- sending is one email per attendee, in their language, from the collective's notification address with
  the lead as Reply-To, carrying ``invite.ics`` (``METHOD:REQUEST``, the lead as ``ORGANIZER``, every
  attendee as ``ATTENDEE`` with ``RSVP=TRUE``); the outbox key ``call:<pk>:seq:<sequence>:<email>`` makes
  a double submission send once;
- a **reschedule** (time, duration, link or attendees) keeps the ``UID`` and raises the ``SEQUENCE``:
  everyone gets the update, the people taken off the call get a ``METHOD:CANCEL``;
- a **cancellation** raises the ``SEQUENCE`` and sends ``METHOD:CANCEL`` with ``STATUS:CANCELLED``;
- every change is in the mission's history.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cordee.clients.models import ClientContact
from cordee.collectives.time import collective_today, collective_zone
from cordee.communication.models import DeliveryCall
from cordee.communication.services.previews import PreviewKind, PreviewUnavailable
from cordee.core import ics
from cordee.core.outbox import email_enqueue
from cordee.missions.access import mission_for
from cordee.missions.models import Deliverable, Mission, MissionEvent
from cordee.missions.queries.team import team_users
from cordee.missions.services.history import mission_event_record

MIN_DURATION, MAX_DURATION = 5, 480
INVITATION_TEMPLATE = "communication/emails/delivery_call_invitation"
CANCELLATION_TEMPLATE = "communication/emails/delivery_call_cancelled"


@dataclass(frozen=True)
class Attendee:
    """Someone invited: a client contact or a member of the team."""

    name: str
    email: str
    language: str
    contact: ClientContact | None = None
    user: object | None = None

    @property
    def is_team(self) -> bool:
        return self.user is not None

    @property
    def key(self) -> str:
        return self.email.lower()


def attendees_of(*, contacts, users) -> list[Attendee]:
    """Client contacts first, then the team, each address once."""
    found: dict[str, Attendee] = {}
    for contact in contacts:
        attendee = Attendee(
            contact.full_name, contact.email, contact.language or settings.LANGUAGE_CODE, contact=contact
        )
        found.setdefault(attendee.key, attendee)
    for user in users:
        attendee = Attendee(user.display_name, user.email, user.language or settings.LANGUAGE_CODE, user=user)
        found.setdefault(attendee.key, attendee)
    return list(found.values())


def call_attendees(call: DeliveryCall) -> list[Attendee]:
    return attendees_of(
        contacts=sorted(call.attendee_contacts.all(), key=lambda c: (c.full_name, c.pk)),
        users=sorted(call.attendee_users.all(), key=lambda u: (u.display_name, u.pk)),
    )


# --- Choices --------------------------------------------------------------------------------------


def contact_choices(mission: Mission):
    """The people of the client who can be invited: the contacts of the mission's client."""
    return (
        ClientContact.objects.current()
        .filter(collective_id=mission.collective_id, client_id=mission.client_id)
        .order_by("full_name", "pk")
    )


def team_choices(mission: Mission):
    return team_users(mission)


# --- Reading --------------------------------------------------------------------------------------


def calls_with_attendees(queryset):
    return queryset.select_related("deliverable", "organizer").prefetch_related(
        Prefetch("attendee_contacts", queryset=ClientContact.objects.order_by("full_name", "pk")),
        Prefetch("attendee_users"),
    )


def deliverable_calls(*, deliverable: Deliverable):
    return calls_with_attendees(
        DeliveryCall.objects.filter(
            collective_id=deliverable.collective_id,
            mission_id=deliverable.mission_id,
            deliverable=deliverable,
        ).order_by("starts_at", "pk")
    )


def mission_calls(*, mission: Mission):
    return calls_with_attendees(
        DeliveryCall.objects.filter(collective_id=mission.collective_id, mission=mission).order_by(
            "-starts_at", "-pk"
        )
    )


# --- Calendar file and email ----------------------------------------------------------------------


def local_time(call: DeliveryCall, collective) -> datetime:
    return timezone.localtime(call.starts_at, collective_zone(collective))


def format_when(when: datetime) -> str:
    """ "Tuesday 10 March 2026, 14:00" in the active language (the datetime is already local)."""
    return "{} {}, {}".format(
        formats.date_format(when, "l"),
        formats.date_format(when, "DATE_FORMAT"),
        formats.time_format(when, "TIME_FORMAT"),
    )


def call_summary(call: DeliveryCall) -> str:
    return _("Delivery call: %(deliverable)s (%(mission)s)") % {
        "deliverable": call.deliverable.title,
        "mission": call.mission.title,
    }


def delivery_call_calendar(
    call: DeliveryCall, *, attendees: list[Attendee], method: str, language: str, collective=None
) -> bytes:
    """The invitation (REQUEST), its cancellation (CANCEL) or a copy to import (PUBLISH), in a language."""
    collective = collective or call.mission.collective
    deliverable = call.deliverable
    with translation.override(language):
        lines = [
            _("Deliverable: %(deliverable)s") % {"deliverable": deliverable.title},
            _("Announced for %(date)s")
            % {"date": formats.date_format(deliverable.announced_date, "DATE_FORMAT")},
        ]
        if call.video_link:
            lines.append(_("Join the call: %(link)s") % {"link": call.video_link})
        lines.append(
            _("Organised by %(lead)s, %(collective)s")
            % {"lead": call.organizer.display_name, "collective": collective.name}
        )
        event = ics.calendar_event(
            uid=call.calendar_uid,
            sequence=call.sequence,
            summary=call_summary(call),
            description="\n".join(lines),
            start=call.starts_at,
            duration=timedelta(minutes=call.duration_minutes),
            location=call.video_link,
            url=call.video_link,
            organizer=(call.organizer.display_name, call.organizer.email),
            attendees=[(attendee.name, attendee.email) for attendee in attendees],
            status=ics.STATUS_CANCELLED if method == ics.METHOD_CANCEL else ics.STATUS_CONFIRMED,
        )
    return ics.calendar_invitation([event], method=method, time_zone=collective.time_zone)


def delivery_call_email_context(
    *,
    call: DeliveryCall,
    recipient: Attendee,
    attendees: list[Attendee],
    kind: str,
    previous_starts_at: datetime | None = None,
    collective=None,
) -> dict:
    """What the invitation (kind new / update) or the cancellation (kind cancel) email says."""
    collective = collective or call.mission.collective
    mission = call.mission
    zone = collective_zone(collective)
    starts_at = call.starts_at.astimezone(zone)
    context = {
        "collective": collective,
        "mission": mission,
        "deliverable": call.deliverable,
        "call": call,
        "lead": mission.lead,
        "organizer": call.organizer,
        "recipient": recipient,
        "attendees": attendees,
        "kind": kind,
        "time_zone": collective.time_zone,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=call.duration_minutes),
        "previous_starts_at": previous_starts_at.astimezone(zone) if previous_starts_at else None,
        "time_changed": bool(previous_starts_at and previous_starts_at != call.starts_at),
        "deliverable_url": "",
    }
    if recipient.is_team:
        context["deliverable_url"] = settings.BASE_URL + reverse(
            "missions:deliverable_detail", args=[collective.slug, mission.pk, call.deliverable_id]
        )
    return context


def _send(
    call: DeliveryCall,
    *,
    recipients: list[Attendee],
    listed: list[Attendee] | None,
    method: str,
    kind: str,
    previous_starts_at=None,
) -> int:
    """One email per recipient; ``listed`` are the ATTENDEEs of the file (None: each recipient alone)."""
    mission = call.mission
    collective = mission.collective
    template = CANCELLATION_TEMPLATE if method == ics.METHOD_CANCEL else INVITATION_TEMPLATE
    for recipient in recipients:
        people = listed if listed is not None else [recipient]
        data = delivery_call_calendar(
            call, attendees=people, method=method, language=recipient.language, collective=collective
        )
        email_enqueue(
            key=f"call:{call.pk}:seq:{call.sequence}:{recipient.key}",
            to=recipient.email,
            template=template,
            context=delivery_call_email_context(
                call=call,
                recipient=recipient,
                attendees=people,
                kind=kind,
                previous_starts_at=previous_starts_at,
                collective=collective,
            ),
            language=recipient.language,
            sender=collective.notification_sender(),
            reply_to=mission.lead.email,
            collective=collective,
            attachments=[ics.ics_attachment(data, method)],
        )
    return len(recipients)


# --- Changes --------------------------------------------------------------------------------------


def _clean(
    *,
    mission: Mission,
    starts_at: datetime,
    duration_minutes: int,
    attendee_users,
    attendee_contacts,
    now: datetime,
) -> tuple[list, list]:
    errors: dict[str, list] = {}
    if mission.status == Mission.Status.CLOSED:
        raise ValidationError(_("The mission is closed: no call can be scheduled on it."), code="closed")
    if starts_at is None or timezone.is_naive(starts_at):
        errors.setdefault("start_time", []).append(_("Choose the day and the time of the call."))
    elif starts_at <= now:
        errors.setdefault("start_date", []).append(_("The call must start in the future."))
    if not (MIN_DURATION <= (duration_minutes or 0) <= MAX_DURATION):
        errors.setdefault("duration_minutes", []).append(
            _("A call lasts from %(min)d to %(max)d minutes.") % {"min": MIN_DURATION, "max": MAX_DURATION}
        )
    contacts = list(attendee_contacts)
    users = list(attendee_users)
    allowed_contacts = set(contact_choices(mission).values_list("pk", flat=True))
    if any(contact.pk not in allowed_contacts for contact in contacts):
        errors.setdefault("attendee_contacts", []).append(
            _("Only the contacts of %(client)s can be invited.") % {"client": mission.client.name}
        )
    elif not contacts:
        errors.setdefault("attendee_contacts", []).append(_("Invite at least one contact of the client."))
    allowed_users = set(team_choices(mission).values_list("pk", flat=True))
    if any(user.pk not in allowed_users for user in users):
        errors.setdefault("attendee_users", []).append(
            _("Only members of the mission's team can be invited.")
        )
    if errors:
        raise ValidationError(errors)
    return contacts, users


def _history_summary(call: DeliveryCall, collective) -> str:
    return f"{call.deliverable.title} · {format_when(local_time(call, collective))}"


@transaction.atomic
def delivery_call_schedule(
    *,
    deliverable: Deliverable,
    by,
    starts_at: datetime,
    duration_minutes: int,
    video_link: str = "",
    attendee_users=(),
    attendee_contacts=(),
    now: datetime | None = None,
) -> DeliveryCall:
    """Create the call and send the invitation to every attendee."""
    mission = deliverable.mission
    mission_for(by, mission.pk, manage=True)
    now = now or timezone.now()
    contacts, users = _clean(
        mission=mission,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        attendee_users=attendee_users,
        attendee_contacts=attendee_contacts,
        now=now,
    )
    call = DeliveryCall.objects.create(
        collective_id=mission.collective_id,
        mission=mission,
        deliverable=deliverable,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        video_link=(video_link or "").strip(),
        organizer=mission.lead,
    )
    call.attendee_contacts.set(contacts)
    call.attendee_users.set(users)
    call.mission, call.deliverable = mission, deliverable
    attendees = attendees_of(contacts=contacts, users=users)
    _send(call, recipients=attendees, listed=attendees, method=ics.METHOD_REQUEST, kind="new")
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.CALL_SCHEDULED,
        actor=by,
        summary=_history_summary(call, mission.collective),
        data={"call": call.pk, "deliverable": deliverable.pk, "starts_at": starts_at.isoformat()},
    )
    return call


@transaction.atomic
def delivery_call_update(
    *,
    call: DeliveryCall,
    by,
    starts_at: datetime,
    duration_minutes: int,
    video_link: str = "",
    attendee_users=(),
    attendee_contacts=(),
    now: datetime | None = None,
) -> bool:
    """Reschedule: same UID, a higher SEQUENCE, the update to everyone and a cancellation to those taken
    off. False (and nothing sent) when nothing changed."""
    mission = call.mission
    mission_for(by, mission.pk, manage=True)
    now = now or timezone.now()
    if call.cancelled_at:
        raise ValidationError(_("This call was cancelled: schedule a new one instead."), code="cancelled")
    if call.starts_at <= now:
        raise ValidationError(_("This call has already started: it can no longer be changed."), code="past")
    contacts, users = _clean(
        mission=mission,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        attendee_users=attendee_users,
        attendee_contacts=attendee_contacts,
        now=now,
    )
    video_link = (video_link or "").strip()
    before = call_attendees(call)
    after = attendees_of(contacts=contacts, users=users)
    unchanged = (
        call.starts_at == starts_at
        and call.duration_minutes == duration_minutes
        and call.video_link == video_link
        and {a.key for a in before} == {a.key for a in after}
    )
    if unchanged:
        return False
    previous_starts_at = call.starts_at
    # Claimed on the sequence the lead saw: two submissions at once cannot both send an update.
    claimed = DeliveryCall.objects.filter(
        pk=call.pk, sequence=call.sequence, cancelled_at__isnull=True
    ).update(
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        video_link=video_link,
        sequence=F("sequence") + 1,
        updated_at=now,
    )
    if claimed != 1:
        raise ValidationError(
            _("This call was changed by someone else meanwhile: reload the page and try again."), code="stale"
        )
    call.starts_at, call.duration_minutes, call.video_link = starts_at, duration_minutes, video_link
    call.sequence += 1
    call.attendee_contacts.set(contacts)
    call.attendee_users.set(users)
    _send(
        call,
        recipients=after,
        listed=after,
        method=ics.METHOD_REQUEST,
        kind="update",
        previous_starts_at=previous_starts_at,
    )
    kept = {a.key for a in after}
    removed = [attendee for attendee in before if attendee.key not in kept]
    # Each person taken off gets a cancellation naming only them: the others keep the call.
    _send(call, recipients=removed, listed=None, method=ics.METHOD_CANCEL, kind="removed")
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.CALL_RESCHEDULED,
        actor=by,
        summary=_history_summary(call, mission.collective),
        data={
            "call": call.pk,
            "deliverable": call.deliverable_id,
            "from": previous_starts_at.isoformat(),
            "to": starts_at.isoformat(),
            "sequence": call.sequence,
        },
    )
    return True


@transaction.atomic
def delivery_call_cancel(*, call: DeliveryCall, by, now: datetime | None = None) -> DeliveryCall:
    """Cancel: a higher SEQUENCE, ``METHOD:CANCEL`` and ``STATUS:CANCELLED`` to every attendee."""
    mission = call.mission
    mission_for(by, mission.pk, manage=True)
    now = now or timezone.now()
    if call.cancelled_at:
        raise ValidationError(_("This call was already cancelled."), code="cancelled")
    if call.starts_at <= now:
        raise ValidationError(_("This call has already started: it can no longer be cancelled."), code="past")
    claimed = DeliveryCall.objects.filter(
        pk=call.pk, sequence=call.sequence, cancelled_at__isnull=True
    ).update(cancelled_at=now, sequence=F("sequence") + 1, updated_at=now)
    if claimed != 1:
        raise ValidationError(
            _("This call was changed by someone else meanwhile: reload the page and try again."), code="stale"
        )
    call.cancelled_at = now
    call.sequence += 1
    attendees = call_attendees(call)
    _send(call, recipients=attendees, listed=attendees, method=ics.METHOD_CANCEL, kind="cancel")
    mission_event_record(
        mission=mission,
        kind=MissionEvent.Kind.CALL_CANCELLED,
        actor=by,
        summary=_history_summary(call, mission.collective),
        data={"call": call.pk, "deliverable": call.deliverable_id, "sequence": call.sequence},
    )
    return call


def delivery_call_file(call: DeliveryCall, *, language: str) -> bytes:
    """The call to import by hand (the .ics download): the same UID and SEQUENCE, ``METHOD:PUBLISH``."""
    attendees = call_attendees(call)
    if call.cancelled_at:
        return delivery_call_calendar(call, attendees=attendees, method=ics.METHOD_CANCEL, language=language)
    return delivery_call_calendar(call, attendees=attendees, method=ics.METHOD_PUBLISH, language=language)


# --- Calendar feeds -------------------------------------------------------------------------------


def call_feed_event(call: DeliveryCall, *, collective, language: str):
    """The call in a subscribed calendar (the client's mission feed, a member's feed): the same UID as the
    invitation, no organizer nor attendees (a feed is not an invitation)."""
    deliverable = call.deliverable
    with translation.override(language):
        lines = [
            _("Deliverable: %(deliverable)s") % {"deliverable": deliverable.title},
            _("Announced for %(date)s")
            % {"date": formats.date_format(deliverable.announced_date, "DATE_FORMAT")},
        ]
        if call.video_link:
            lines.append(_("Join the call: %(link)s") % {"link": call.video_link})
        return ics.calendar_event(
            uid=call.calendar_uid,
            sequence=call.sequence,
            summary=call_summary(call),
            description="\n".join(lines),
            start=call.starts_at.astimezone(collective_zone(collective)),
            duration=timedelta(minutes=call.duration_minutes),
            location=call.video_link,
            url=call.video_link,
        )


def member_calls(*, user, since: datetime):
    """The delivery calls a member is invited to or organises, not cancelled, in collectives they still
    belong to, from ``since`` on."""
    return (
        DeliveryCall.objects.filter(
            Q(attendee_users=user) | Q(organizer=user),
            cancelled_at__isnull=True,
            starts_at__gte=since,
            collective__memberships__user=user,
            collective__memberships__archived_at__isnull=True,
        )
        .select_related("deliverable", "mission__collective")
        .distinct()
        .order_by("starts_at", "pk")
    )


# --- Email previews (registered by CommunicationConfig.ready) -------------------------------------------


def _preview_delivery_call(mission: Mission, contact: ClientContact, params: dict):
    """The invitation of the mission's next call, or of an example call on its next delivery."""
    collective = mission.collective
    call = (
        calls_with_attendees(
            DeliveryCall.objects.filter(
                collective_id=collective.pk,
                mission=mission,
                cancelled_at__isnull=True,
                starts_at__gt=timezone.now(),
            )
        )
        .order_by("starts_at", "pk")
        .first()
    )
    if call is None:
        deliverable = (
            Deliverable.objects.filter(collective_id=collective.pk, mission=mission)
            .exclude(status__in=[Deliverable.Status.DELIVERED, Deliverable.Status.ACCEPTED])
            .order_by("announced_date", "pk")
            .first()
        )
        if deliverable is None:
            raise PreviewUnavailable(
                _("Add a deliverable still to deliver: the example is its delivery call.")
            )
        day = max(deliverable.announced_date, collective_today(collective))
        call = DeliveryCall(
            collective=collective,
            mission=mission,
            deliverable=deliverable,
            organizer=mission.lead,
            starts_at=datetime.combine(
                day, datetime.min.time().replace(hour=10), tzinfo=collective_zone(collective)
            ),
            duration_minutes=30,
            video_link="https://meet.example.com/your-room",
        )
        attendees = attendees_of(contacts=[contact], users=[mission.lead])
    else:
        attendees = call_attendees(call)
    call.mission = mission
    recipient = attendees_of(contacts=[contact], users=[])[0]
    return INVITATION_TEMPLATE, delivery_call_email_context(
        call=call, recipient=recipient, attendees=attendees, kind="new", collective=collective
    )


def email_previews() -> list:
    return [
        PreviewKind(
            "delivery_call",
            gettext_lazy("Delivery call invitation"),
            gettext_lazy(
                "When you schedule a delivery call, with the invitation for their calendar (the next call, or "
                "an example on the next delivery)."
            ),
            _preview_delivery_call,
            template=INVITATION_TEMPLATE,
        ),
    ]
