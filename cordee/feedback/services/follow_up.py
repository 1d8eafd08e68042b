"""Follow-up calls (seed, Conseil 3): a worrying answer gets a 30-minute call with the lead.

When a response opens a follow-up (`follow_up_check`, called after each answer and when the lead marks
the improvement points as unclear):

- a score under 8, a ranking outside the top 10 % (top 25 %, top 50 %, second half) or improvement
  points marked unclear by the lead are the *reasons*; one `FollowUpCall` per response (OneToOne), so a
  second check or an edited answer never opens a second call — new reasons are added to it;
- the client gets an email **from the lead** (the collective's notification address with the lead's
  name, replies to the lead) asking for a 30-minute call, with three proposed slots to pick on a page
  (link with a personal token, stored hashed) — or they simply reply;
- the lead gets a task on the mission, assigned to them, due in 2 business days.

Proposed slots, a simple rule: starting the next business day, one slot per business day, at 10:00,
then 14:00, then 16:00 (collective's time zone), so the client gets three different days and times of
day. A slot that collides with the lead's other calls (a delivery call they organise, another follow-up
scheduled or proposed) moves to the next business day at the same hour.

Once the contact picks a slot, the call is scheduled and the calendar invitation (``METHOD:REQUEST``, the
lead as ``ORGANIZER``, the contact and the lead as ``ATTENDEE``, a stable ``UID``) goes to the contact and
to the lead; picking again is refused. The lead marks the call done or declined, which closes the task.
"""

import contextlib
import uuid
from datetime import datetime, time, timedelta
from email.headerregistry import Address

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cordee.collectives.time import collective_zone
from cordee.communication.models import DeliveryCall
from cordee.communication.services.previews import PreviewKind
from cordee.core import ics
from cordee.core.business_days import add_business_days, is_business_day
from cordee.core.outbox import email_enqueue
from cordee.core.tokens import token_hash, token_new
from cordee.feedback.models import FollowUpCall, SurveyResponse
from cordee.missions.access import mission_for
from cordee.missions.models import Mission, Task
from cordee.missions.services.tasks import task_create, task_move

CALL_MINUTES = 30
SLOT_HOURS = (10, 14, 16)
TASK_DUE_BUSINESS_DAYS = 2
GOOD_RANKINGS = {SurveyResponse.Ranking.TOP_1, SurveyResponse.Ranking.TOP_10}

REASON_LOW_SCORE = "low_score"
REASON_RANKING = "ranking"
REASON_UNCLEAR = "improvements_unclear"
REASON_LABELS = {
    REASON_LOW_SCORE: gettext_lazy("Score under 8"),
    REASON_RANKING: gettext_lazy("Ranked outside the top 10 %"),
    REASON_UNCLEAR: gettext_lazy("Improvement points unclear"),
}

REQUEST_TEMPLATE = "feedback/emails/follow_up_request"
CONFIRMED_TEMPLATE = "feedback/emails/follow_up_confirmed"


def follow_up_reasons(response: SurveyResponse) -> list[str]:
    reasons = []
    if response.score < 8:
        reasons.append(REASON_LOW_SCORE)
    if response.ranking not in GOOD_RANKINGS:
        reasons.append(REASON_RANKING)
    if response.improvements_unclear:
        reasons.append(REASON_UNCLEAR)
    return reasons


def reason_labels(reasons) -> list[str]:
    return [str(REASON_LABELS[reason]) for reason in reasons if reason in REASON_LABELS]


def lead_sender(mission: Mission) -> str:
    """The From of the follow-up emails: the lead's name on the collective's notification address."""
    collective = mission.collective
    _name, address = collective.notification_sender_identity()
    name = f"{mission.lead.display_name} — {collective.name}"
    return str(Address(display_name=name, addr_spec=address))


def _busy_intervals(*, lead, collective_id, exclude_pk=None) -> list[tuple[datetime, datetime]]:
    busy = []
    calls = DeliveryCall.objects.filter(
        collective_id=collective_id, organizer=lead, cancelled_at__isnull=True
    ).values_list("starts_at", "duration_minutes")
    for starts_at, minutes in calls:
        busy.append((starts_at, starts_at + timedelta(minutes=minutes)))
    others = FollowUpCall.objects.filter(
        collective_id=collective_id,
        response__survey__mission__lead=lead,
        state__in=[FollowUpCall.State.REQUESTED, FollowUpCall.State.SCHEDULED],
    ).exclude(pk=exclude_pk)
    for state, chosen, proposed in others.values_list("state", "chosen_slot", "proposed_slots"):
        slots = [chosen] if state == FollowUpCall.State.SCHEDULED and chosen else []
        if state == FollowUpCall.State.REQUESTED:
            slots = [datetime.fromisoformat(value) for value in proposed]
        busy += [(slot, slot + timedelta(minutes=CALL_MINUTES)) for slot in slots]
    return busy


def _next_business_day(day):
    day += timedelta(days=1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def proposed_slots_for(*, mission: Mission, now: datetime | None = None, exclude_pk=None) -> list[datetime]:
    """Three slots: the next business days, one each, at 10:00, 14:00 and 16:00, skipping collisions."""
    now = now or timezone.now()
    zone = collective_zone(mission.collective)
    busy = _busy_intervals(lead=mission.lead, collective_id=mission.collective_id, exclude_pk=exclude_pk)
    day = timezone.localtime(now, zone).date()
    slots = []
    for hour in SLOT_HOURS:
        day = _next_business_day(day)
        for _attempt in range(30):
            start = datetime.combine(day, time(hour), tzinfo=zone)
            end = start + timedelta(minutes=CALL_MINUTES)
            if not any(start < busy_end and busy_start < end for busy_start, busy_end in busy):
                break
            day = _next_business_day(day)
        slots.append(start)
    return slots


def pick_url(raw_token: str) -> str:
    return settings.BASE_URL + reverse("feedback:follow_up_pick", args=[raw_token])


def follow_up_by_token(raw_token: str) -> FollowUpCall | None:
    return (
        FollowUpCall.objects.select_related(
            "collective",
            "response__contact",
            "response__survey__mission__lead",
            "response__survey__mission__collective",
        )
        .filter(token_hash=token_hash(raw_token or ""))
        .first()
    )


def slot_datetimes(follow_up: FollowUpCall) -> list[datetime]:
    zone = collective_zone(follow_up.collective)
    return [datetime.fromisoformat(value).astimezone(zone) for value in follow_up.proposed_slots]


def follow_up_check(response: SurveyResponse, *, now: datetime | None = None) -> FollowUpCall | None:
    """Open the response's follow-up call when it has reasons for one (idempotent).

    Returns the follow-up call (new or existing) or None when the answer needs none.
    """
    response = SurveyResponse.objects.select_related(
        "contact", "survey__mission__lead", "survey__mission__collective"
    ).get(pk=response.pk)
    reasons = follow_up_reasons(response)
    existing = FollowUpCall.objects.filter(response=response).first()
    if existing is not None:
        added = [reason for reason in reasons if reason not in existing.reasons]
        if added:
            existing.reasons = existing.reasons + added
            existing.save(update_fields=["reasons"])
        return existing
    if not reasons:
        return None
    mission = response.survey.mission
    now = now or timezone.now()
    raw, hashed = token_new()
    try:
        with transaction.atomic():
            follow_up = FollowUpCall.objects.create(
                collective_id=response.collective_id,
                response=response,
                reasons=reasons,
                proposed_slots=[slot.isoformat() for slot in proposed_slots_for(mission=mission, now=now)],
                token_hash=hashed,
            )
            follow_up.task = _lead_task(follow_up=follow_up, response=response, mission=mission, now=now)
            follow_up.save(update_fields=["task"])
            _send_request(follow_up=follow_up, response=response, mission=mission, raw_token=raw)
    except IntegrityError:  # a concurrent check opened it first
        return FollowUpCall.objects.get(response=response)
    return follow_up


def _lead_task(*, follow_up, response, mission, now) -> Task:
    zone = collective_zone(mission.collective)
    today = timezone.localdate(now, timezone=zone)
    with translation.override(mission.lead.language or settings.LANGUAGE_CODE):
        title = _("Follow-up call with %(contact)s") % {"contact": response.contact.full_name}
        description = _(
            "%(contact)s answered the satisfaction survey (score %(score)d/10, %(ranking)s). "
            "Reasons for a call: %(reasons)s. They received three proposed slots for a 30-minute call; "
            "if they reply instead, arrange it by email."
        ) % {
            "contact": response.contact.full_name,
            "score": response.score,
            "ranking": response.get_ranking_display(),
            "reasons": ", ".join(reason_labels(follow_up.reasons)).lower(),
        }
    due = add_business_days(today, TASK_DUE_BUSINESS_DAYS)
    try:
        return task_create(
            mission=mission,
            by=mission.lead,
            title=title,
            description=description,
            due_date=due,
            assignee=mission.lead,
        )
    except (ValidationError, PermissionDenied):  # a lead outside the team: the task stays unassigned
        return Task.objects.create(
            collective_id=mission.collective_id,
            mission=mission,
            title=title[:200],
            description=description,
            due_date=due,
            created_by=mission.lead,
        )


def _send_request(*, follow_up, response, mission, raw_token) -> None:
    contact = response.contact
    collective = mission.collective
    language = contact.language or settings.LANGUAGE_CODE
    email_enqueue(
        key=f"follow_up:{follow_up.pk}:request",
        to=contact.email,
        template=REQUEST_TEMPLATE,
        context={
            "collective": collective,
            "mission": mission,
            "lead": mission.lead,
            "contact": contact,
            "response": response,
            "slots": slot_datetimes(follow_up),
            "pick_url": pick_url(raw_token),
            "time_zone": collective.time_zone,
            "minutes": CALL_MINUTES,
        },
        language=language,
        sender=lead_sender(mission),
        reply_to=mission.lead.email,
        collective=collective,
    )


# --- The lead's actions ---------------------------------------------------------------------------


def response_mark_unclear(
    *, response: SurveyResponse, by, now: datetime | None = None
) -> FollowUpCall | None:
    """The lead finds the improvement points unclear: worth a call to understand them."""
    mission = response.survey.mission
    mission_for(by, mission.pk, manage=True)
    with transaction.atomic():
        SurveyResponse.objects.filter(pk=response.pk).update(improvements_unclear=True)
        response.improvements_unclear = True
        return follow_up_check(response, now=now)


CLOSING_STATES = (FollowUpCall.State.DONE, FollowUpCall.State.DECLINED)


@transaction.atomic
def follow_up_close(*, follow_up: FollowUpCall, by, state: str) -> bool:
    """Mark the call done (it took place) or declined (the client did not want one); closes the task."""
    mission = follow_up.response.survey.mission
    mission_for(by, mission.pk, manage=True)
    if state not in CLOSING_STATES:
        raise ValidationError(_("Choose done or declined."), code="invalid_state")
    changed = (
        FollowUpCall.objects.filter(pk=follow_up.pk)
        .filter(state__in=[FollowUpCall.State.REQUESTED, FollowUpCall.State.SCHEDULED])
        .update(state=state)
    )
    if not changed:
        return False
    follow_up.state = state
    if follow_up.task_id:
        task = Task.objects.filter(pk=follow_up.task_id).select_related("mission").first()
        if task is not None and task.status != Task.Status.DONE:
            with contextlib.suppress(PermissionDenied):
                task_move(task=task, status=Task.Status.DONE, by=by)
    return True


# --- The client picks a slot ----------------------------------------------------------------------


def follow_up_pick(*, follow_up: FollowUpCall, slot: str, now: datetime | None = None) -> FollowUpCall:
    """The contact picks one of the proposed slots: the call is scheduled and the invitation goes out."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = FollowUpCall.objects.select_for_update().get(pk=follow_up.pk)
        if locked.state != FollowUpCall.State.REQUESTED:
            if locked.state == FollowUpCall.State.SCHEDULED and locked.chosen_slot:
                raise ValidationError(
                    _("This call is already scheduled. To change it, reply to the lead's email."),
                    code="already_scheduled",
                )
            raise ValidationError(
                _("This follow-up is closed: no slot can be picked any more."), code="closed"
            )
        chosen = None
        for value in locked.proposed_slots:
            if value == slot:
                chosen = datetime.fromisoformat(value)
        if chosen is None:
            raise ValidationError(_("Choose one of the proposed slots."), code="invalid_slot")
        if chosen <= now:
            raise ValidationError(
                _("This slot has passed. Reply to the lead's email to find another time."), code="past_slot"
            )
        locked.chosen_slot = chosen
        locked.state = FollowUpCall.State.SCHEDULED
        if not locked.calendar_uid:
            locked.calendar_uid = f"follow-up-{locked.pk}-{uuid.uuid4().hex}@cordee"
        locked.save(update_fields=["chosen_slot", "state", "calendar_uid"])
        follow_up = FollowUpCall.objects.select_related(
            "collective",
            "response__contact",
            "response__survey__mission__lead",
            "response__survey__mission__collective",
        ).get(pk=locked.pk)
        _send_invitation(follow_up)
    return follow_up


def follow_up_calendar(follow_up: FollowUpCall, *, language: str) -> bytes:
    mission = follow_up.response.survey.mission
    contact = follow_up.response.contact
    lead = mission.lead
    with translation.override(language):
        summary = _("Follow-up call: %(mission)s") % {"mission": mission.title}
        description = _(
            "A 30-minute call about your answers to our satisfaction survey, with %(lead)s (%(collective)s)."
        ) % {"lead": lead.display_name, "collective": mission.collective.name}
        event = ics.calendar_event(
            uid=follow_up.calendar_uid,
            sequence=follow_up.sequence,
            summary=summary,
            description=description,
            start=follow_up.chosen_slot,
            duration=timedelta(minutes=CALL_MINUTES),
            organizer=(lead.display_name, lead.email),
            attendees=[(contact.full_name, contact.email), (lead.display_name, lead.email)],
        )
    return ics.calendar_invitation([event], method=ics.METHOD_REQUEST, time_zone=mission.collective.time_zone)


def _send_invitation(follow_up: FollowUpCall) -> None:
    mission = follow_up.response.survey.mission
    collective = mission.collective
    contact = follow_up.response.contact
    lead = mission.lead
    zone = collective_zone(collective)
    starts_at = follow_up.chosen_slot.astimezone(zone)
    recipients = [
        ("contact", contact.email, contact.full_name, contact.language or settings.LANGUAGE_CODE, lead.email),
        ("lead", lead.email, lead.display_name, lead.language or settings.LANGUAGE_CODE, contact.email),
    ]
    for role, email, name, language, reply_to in recipients:
        email_enqueue(
            key=f"follow_up:{follow_up.pk}:invite:{follow_up.sequence}:{role}",
            to=email,
            template=CONFIRMED_TEMPLATE,
            context={
                "collective": collective,
                "mission": mission,
                "lead": lead,
                "contact": contact,
                "recipient_name": name,
                "for_lead": role == "lead",
                "starts_at": starts_at,
                "ends_at": starts_at + timedelta(minutes=CALL_MINUTES),
                "time_zone": collective.time_zone,
                "minutes": CALL_MINUTES,
            },
            language=language,
            sender=lead_sender(mission) if role == "contact" else collective.notification_sender(),
            reply_to=reply_to,
            collective=collective,
            attachments=[
                ics.ics_attachment(follow_up_calendar(follow_up, language=language), ics.METHOD_REQUEST)
            ],
        )


# --- Email previews (registered by FeedbackConfig.ready) --------------------------------------------


def _preview_response(mission: Mission, contact) -> SurveyResponse:
    """An answer that asks for a call (not saved)."""
    return SurveyResponse(collective=mission.collective, contact=contact, score=6)


def _preview_request(mission: Mission, contact, params: dict) -> tuple[str, dict]:
    follow_up = FollowUpCall(
        collective=mission.collective,
        proposed_slots=[slot.isoformat() for slot in proposed_slots_for(mission=mission)],
    )
    return REQUEST_TEMPLATE, {
        "collective": mission.collective,
        "mission": mission,
        "lead": mission.lead,
        "contact": contact,
        "response": _preview_response(mission, contact),
        "slots": slot_datetimes(follow_up),
        "pick_url": pick_url("example"),
        "time_zone": mission.collective.time_zone,
        "minutes": CALL_MINUTES,
    }


def _preview_confirmed(mission: Mission, contact, params: dict) -> tuple[str, dict]:
    starts_at = proposed_slots_for(mission=mission)[0]
    return CONFIRMED_TEMPLATE, {
        "collective": mission.collective,
        "mission": mission,
        "lead": mission.lead,
        "contact": contact,
        "recipient_name": contact.full_name,
        "for_lead": False,
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=CALL_MINUTES),
        "time_zone": mission.collective.time_zone,
        "minutes": CALL_MINUTES,
    }


def email_previews() -> list:
    return [
        PreviewKind(
            "follow_up_request",
            gettext_lazy("Follow-up call request"),
            gettext_lazy(
                "From the lead, to a contact whose survey answer calls for a talk: three slots for a "
                "30-minute call."
            ),
            _preview_request,
            template=REQUEST_TEMPLATE,
        ),
        PreviewKind(
            "follow_up_confirmed",
            gettext_lazy("Follow-up call confirmed"),
            gettext_lazy("When the contact picks a slot, with the invitation for their calendar."),
            _preview_confirmed,
            template=CONFIRMED_TEMPLATE,
        ),
    ]
