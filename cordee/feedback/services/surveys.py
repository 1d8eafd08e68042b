"""Satisfaction surveys (seed, Conseil 3: « demandez du feedback en continu »).

Schedule (`surveys_schedule_run`, every hour): for each active mission with surveys on, the rounds are
due on days `start + first_after_days`, then every `every_days` (14, 44, 74, 104… by default; the
mission's values, initialised from the collective's defaults, win). A round is sent from
`SURVEY_SEND_HOUR` on its day in the collective's time zone; only the latest due round is created
when the worker comes back after a stop (the client gets one survey, not a burst of stale ones).
(mission, due date, trigger) is unique in the database: the round, its invitations and its emails are
created in one transaction and an `IntegrityError` means another worker did it, so a round is never
sent twice. A paused, delivered or closed mission gets no new round.

Recipients: the client's sponsor and project contacts (not finance) who did not opt out, each with a
personal link (`/s/<token>/`) and a one-click opt-out link, in their language, from the collective's
generic feedback identity with reply-to that same address (not the lead: clients answer more frankly).

The link's token is derived from the secret key, the round and the contact (like Django's password
reset tokens), and only its SHA-256 is stored: the reminder can carry the same link as the first
email without the raw token being kept anywhere.

Reminder (`survey_reminders_run`): once, `SURVEY_REMINDER_DAYS` (3) days after sending, to each
invited contact who has not answered and not opted out, while the round is open and the mission
active. The invitation is claimed with a conditional UPDATE (`reminder_sent_at` still null) in the
transaction that enqueues the email, so two workers never remind twice.
"""

import base64
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cordee.clients.models import ClientContact
from cordee.collectives.time import collective_zone
from cordee.communication.services.previews import PreviewKind
from cordee.core.outbox import email_enqueue
from cordee.core.tokens import token_hash
from cordee.feedback.models import (
    FeedbackOptOut,
    Initiative,
    Survey,
    SurveyInvitation,
    SurveyResponse,
    validate_score,
)
from cordee.feedback.services import follow_up
from cordee.missions.models import Mission

SURVEY_SEND_HOUR = 9
SURVEY_REMINDER_DAYS = 3
SURVEY_ROLES = (ClientContact.Role.SPONSOR, ClientContact.Role.PROJECT)
ANSWERS_MAX = 3
TEMPLATE = "feedback/emails/survey"
REMINDER_TEMPLATE = "feedback/emails/survey_reminder"


def survey_open_days() -> int:
    return settings.SURVEY_OPEN_DAYS


# --- The schedule ---------------------------------------------------------------------------------


def survey_due_dates(start: date, first_after: int, every: int, today: date) -> list[date]:
    """The scheduled rounds due by `today`: start + first_after, then every `every` days."""
    every = max(every, 1)
    dates = []
    due = start + timedelta(days=first_after)
    while due <= today:
        dates.append(due)
        due += timedelta(days=every)
    return dates


def _local_now(collective, now: datetime) -> datetime:
    return now.astimezone(collective_zone(collective))


def _send_moment(collective, day: date) -> datetime:
    return datetime.combine(day, time(SURVEY_SEND_HOUR), tzinfo=collective_zone(collective))


def survey_latest_due_date(mission: Mission, now: datetime) -> date | None:
    """The latest scheduled round whose sending moment has come, or None."""
    local = _local_now(mission.collective, now)
    dates = survey_due_dates(
        mission.start_date, mission.feedback_first_after_days, mission.feedback_every_days, local.date()
    )
    while dates and _send_moment(mission.collective, dates[-1]) > now:
        dates.pop()
    return dates[-1] if dates else None


def survey_recipients(mission: Mission) -> list[ClientContact]:
    """The client's sponsor and project contacts who did not opt out."""
    return list(
        ClientContact.objects.current()
        .filter(
            collective_id=mission.collective_id,
            client_id=mission.client_id,
            role__in=SURVEY_ROLES,
            feedback_opt_out__isnull=True,
        )
        .order_by("full_name", "pk")
    )


def surveys_due(*, now: datetime | None = None) -> list[tuple[int, date]]:
    """(mission id, due date) of every scheduled round to open now: two queries whatever the number of
    missions. Opening one is `survey_scheduled_round_open`, a mission at a time (one worker task each)."""
    now = now or timezone.now()
    # Plain values, not model instances: building 10,000 instances costs more than the rest of the tick.
    missions = [
        SimpleNamespace(
            pk=pk,
            start_date=start_date,
            feedback_first_after_days=first_after,
            feedback_every_days=every,
            collective=SimpleNamespace(time_zone=time_zone),
        )
        for pk, start_date, first_after, every, time_zone in Mission.objects.filter(
            status=Mission.Status.ACTIVE, feedback_enabled=True
        ).values_list(
            "pk", "start_date", "feedback_first_after_days", "feedback_every_days", "collective__time_zone"
        )
    ]
    due = {}
    for mission in missions:
        day = survey_latest_due_date(mission, now)
        # A round is caught up after a stop only while it would still be open: a mission resumed
        # after a pause, or a worker down for weeks, waits for the next round instead.
        if day and _send_moment(mission.collective, day) + timedelta(days=survey_open_days()) > now:
            due[mission.pk] = day
    if not due:
        return []
    existing = set(
        Survey.objects.filter(mission_id__in=due, trigger=Survey.Trigger.SCHEDULE).values_list(
            "mission_id", "due_date"
        )
    )
    return sorted((mission_id, day) for mission_id, day in due.items() if (mission_id, day) not in existing)


def survey_scheduled_round_open(
    *, mission_id: int, due_date: date, now: datetime | None = None
) -> Survey | None:
    """Open one mission's scheduled round, unless the mission stopped or the round exists already."""
    mission = (
        Mission.objects.filter(pk=mission_id, status=Mission.Status.ACTIVE, feedback_enabled=True)
        .select_related("collective", "client")
        .first()
    )
    if mission is None:
        return None
    return survey_round_open(mission=mission, due_date=due_date, now=now)


def surveys_schedule_run(*, now: datetime | None = None) -> int:
    """Open the due scheduled round of every active mission with surveys on. Returns rounds opened."""
    now = now or timezone.now()
    return sum(
        1
        for mission_id, day in surveys_due(now=now)
        if survey_scheduled_round_open(mission_id=mission_id, due_date=day, now=now)
    )


def survey_round_open(
    *,
    mission: Mission,
    due_date: date,
    trigger: str = Survey.Trigger.SCHEDULE,
    deliverable=None,
    now: datetime | None = None,
) -> Survey | None:
    """Create a round, invite each recipient and enqueue their emails, in one transaction.

    Returns None when another worker created this round first (the unique constraint) or when
    nobody is left to ask (every sponsor and project contact opted out).
    """
    now = now or timezone.now()
    recipients = survey_recipients(mission)
    if not recipients:
        return None
    collective = mission.collective
    try:
        with transaction.atomic():
            survey = Survey.objects.create(
                collective=collective,
                mission=mission,
                trigger=trigger,
                due_date=due_date,
                deliverable=deliverable,
                sent_at=now,
                closes_at=now + timedelta(days=survey_open_days()),
            )
            for contact in recipients:
                raw = invitation_token(survey.pk, contact.pk)
                invitation = SurveyInvitation.objects.create(
                    collective=collective,
                    survey=survey,
                    contact=contact,
                    token_hash=token_hash(raw),
                    sent_at=now,
                )
                invitation.survey = survey
                invitation.contact = contact
                _survey_email(invitation=invitation, raw=raw, reminder=False)
    except IntegrityError:
        return None
    return survey


def survey_after_acceptance(deliverable, *, now: datetime | None = None) -> Survey | None:
    """A round when the client accepts a deliverable (the seed's moment to ask), unless one is open
    or the next scheduled round comes within the time a survey stays open: one survey at a time."""
    now = now or timezone.now()
    mission = Mission.objects.select_related("collective", "client").get(pk=deliverable.mission_id)
    if mission.status != Mission.Status.ACTIVE or not mission.feedback_enabled:
        return None
    if Survey.objects.filter(mission=mission, closes_at__gt=now).exists():
        return None
    today = _local_now(mission.collective, now).date()
    window = today + timedelta(days=survey_open_days())
    upcoming = survey_due_dates(
        mission.start_date, mission.feedback_first_after_days, mission.feedback_every_days, window
    )
    if any(day >= today for day in upcoming):
        return None
    return survey_round_open(
        mission=mission,
        due_date=today,
        trigger=Survey.Trigger.DELIVERABLE_ACCEPTED,
        deliverable=deliverable,
        now=now,
    )


# --- Tokens, links and emails ---------------------------------------------------------------------


def invitation_token(survey_id: int, contact_id: int) -> str:
    """The raw token of a contact's link to a round (derived from the secret key; never stored)."""
    digest = salted_hmac(
        "cordee.feedback.survey-invitation", f"{survey_id}:{contact_id}", algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def invitation_urls(raw: str) -> tuple[str, str]:
    return (
        settings.BASE_URL + reverse("feedback:survey", args=[raw]),
        settings.BASE_URL + reverse("feedback:opt_out", args=[raw]),
    )


def survey_email_context(*, invitation: SurveyInvitation, raw: str) -> dict:
    survey = invitation.survey
    collective = survey.collective
    survey_url, opt_out_url = invitation_urls(raw)
    closes_at = _local_now(collective, survey.closes_at)
    return {
        "collective": collective,
        "mission": survey.mission,
        "contact": invitation.contact,
        "survey": survey,
        "survey_url": survey_url,
        "opt_out_url": opt_out_url,
        "closes_on": closes_at.date(),
    }


def _survey_email(*, invitation: SurveyInvitation, raw: str, reminder: bool):
    survey = invitation.survey
    collective = survey.collective
    contact = invitation.contact
    _name, address = collective.feedback_sender_identity()
    suffix = ":reminder" if reminder else ""
    return email_enqueue(
        key=f"survey:{survey.pk}:{contact.pk}{suffix}",
        to=contact.email,
        template=REMINDER_TEMPLATE if reminder else TEMPLATE,
        context=survey_email_context(invitation=invitation, raw=raw),
        language=contact.language,
        sender=collective.feedback_sender(),
        reply_to=address,
        collective=collective,
    )


# --- The reminder ---------------------------------------------------------------------------------


def survey_reminders_due(now: datetime):
    return (
        SurveyInvitation.objects.filter(
            reminder_sent_at__isnull=True,
            sent_at__lte=now - timedelta(days=SURVEY_REMINDER_DAYS),
            survey__closes_at__gt=now,
            survey__mission__status=Mission.Status.ACTIVE,
            survey__mission__feedback_enabled=True,
            contact__feedback_opt_out__isnull=True,
            contact__archived_at__isnull=True,
        )
        .exclude(
            Exists(
                SurveyResponse.objects.filter(
                    survey_id=OuterRef("survey_id"), contact_id=OuterRef("contact_id")
                )
            )
        )
        .select_related("survey__collective", "survey__mission", "contact")
        .order_by("pk")
    )


def survey_reminders_due_ids(now: datetime) -> list[int]:
    """The invitations to remind now (one query); each is reminded by `survey_reminder_send`."""
    return list(survey_reminders_due(now).values_list("pk", flat=True))


def survey_reminder_send(*, invitation_id: int, now: datetime | None = None) -> bool:
    """Remind one invited contact, once: the invitation is claimed in the transaction of the email."""
    now = now or timezone.now()
    invitation = survey_reminders_due(now).filter(pk=invitation_id).first()
    if invitation is None:
        return False
    with transaction.atomic():
        claimed = SurveyInvitation.objects.filter(pk=invitation.pk, reminder_sent_at__isnull=True).update(
            reminder_sent_at=now
        )
        if claimed != 1:
            return False
        raw = invitation_token(invitation.survey_id, invitation.contact_id)
        _survey_email(invitation=invitation, raw=raw, reminder=True)
    return True


def survey_reminders_run(*, now: datetime | None = None) -> int:
    """Remind, once, each invited contact who has not answered 3 days after sending."""
    now = now or timezone.now()
    return sum(
        1
        for invitation_id in survey_reminders_due_ids(now)
        if survey_reminder_send(invitation_id=invitation_id, now=now)
    )


def surveys_tick(*, now: datetime | None = None) -> tuple[int, int]:
    now = now or timezone.now()
    return surveys_schedule_run(now=now), survey_reminders_run(now=now)


# --- The survey page ------------------------------------------------------------------------------


def invitation_for_token(raw: str) -> SurveyInvitation | None:
    return (
        SurveyInvitation.objects.filter(token_hash=token_hash(raw))
        .select_related("survey__mission__client", "survey__collective", "contact")
        .first()
    )


def survey_is_open(survey: Survey, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return survey.closes_at is not None and now < survey.closes_at


def survey_initiatives(survey: Survey) -> list[Initiative]:
    """The initiatives of the improvement plans sent to the client before, to remind them of."""
    return list(
        Initiative.objects.filter(
            collective_id=survey.collective_id,
            plan__mission_id=survey.mission_id,
            plan__sent_at__isnull=False,
        )
        .exclude(plan__survey_id=survey.pk)
        .order_by("done_at", "due_date", "pk")
    )


def _clean_answers(values) -> list[str]:
    return [" ".join(str(value).split()) for value in values or [] if str(value).strip()][:ANSWERS_MAX]


def survey_answer(*, invitation: SurveyInvitation, data: dict, now: datetime | None = None) -> SurveyResponse:
    """Record (or update, until the round closes) a contact's answers; a worrying one opens a follow-up.

    `data`: appreciated (list), improvements (list), score (0–10 but 7), ranking, comment.
    """
    now = now or timezone.now()
    survey = invitation.survey
    if not survey_is_open(survey, now) or invitation.contact.archived_at is not None:
        raise ValidationError(_("This survey is closed."), code="closed")
    score = data.get("score")
    if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 10:
        raise ValidationError(_("Choose a score: 0 to 6, or 8 to 10."), code="score_range")
    validate_score(score)
    if data.get("ranking") not in SurveyResponse.Ranking.values:
        raise ValidationError(_("Choose where you place us."), code="ranking")
    values = {
        "collective_id": survey.collective_id,
        "appreciated": _clean_answers(data.get("appreciated")),
        "improvements": _clean_answers(data.get("improvements")),
        "score": score,
        "ranking": data["ranking"],
        "comment": (data.get("comment") or "").strip(),
    }
    with transaction.atomic():
        response, _created = SurveyResponse.objects.update_or_create(
            survey=survey, contact=invitation.contact, defaults=values
        )
    _follow_up_check(response)
    return response


def _follow_up_check(response: SurveyResponse) -> None:
    follow_up.follow_up_check(response)


# --- Opt-out --------------------------------------------------------------------------------------


def feedback_opt_out(*, contact: ClientContact) -> FeedbackOptOut:
    """No survey or reminder to this contact any more (idempotent)."""
    opt_out, _created = FeedbackOptOut.objects.get_or_create(
        contact=contact, defaults={"collective_id": contact.collective_id}
    )
    return opt_out


# --- Email previews (the mission's Communication page) ---------------------------------------------


def _preview_context(mission: Mission, contact: ClientContact) -> dict:
    now = timezone.now()
    survey = Survey(
        collective=mission.collective,
        mission=mission,
        due_date=now.date(),
        sent_at=now,
        closes_at=now + timedelta(days=survey_open_days()),
    )
    invitation = SurveyInvitation(collective=mission.collective, survey=survey, contact=contact)
    return survey_email_context(invitation=invitation, raw="example")


def _preview_survey(mission, contact, params):
    return TEMPLATE, _preview_context(mission, contact)


def _preview_reminder(mission, contact, params):
    return REMINDER_TEMPLATE, _preview_context(mission, contact)


def email_previews() -> list:
    return [
        PreviewKind(
            "survey",
            gettext_lazy("Satisfaction survey"),
            gettext_lazy(
                "From the feedback address, to the sponsor and project contacts: 14 days after the start, "
                "then every 30 days (the mission's settings), and when a deliverable is accepted."
            ),
            _preview_survey,
            template=TEMPLATE,
        ),
        PreviewKind(
            "survey_reminder",
            gettext_lazy("Survey reminder"),
            gettext_lazy("Once, 3 days after the survey, to the contacts who have not answered."),
            _preview_reminder,
            template=REMINDER_TEMPLATE,
        ),
    ]
