"""Improvement plans (seed, Conseil 3, step 5): the lead answers the improvement points with initiatives.

- The lead (or an admin) writes a plan for one survey round: initiatives (what, the improvement point it
  answers — one of the round's points —, an owner in the mission's team, a due date) and a short message.
- Sending it emails the recap to every contact who answered the round, in their language, from the lead
  (the collective's notification address with the lead's name), replies to the lead; the outbox key
  ``plan:<pk>:<contact_pk>`` makes a double submission send once. A sent plan is no longer edited: its
  initiatives are tracked to done (mark done / undo).
- `initiatives_for_survey_page(mission)` gives the next survey page the initiatives already announced.
"""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cordee.collectives.access import membership_for
from cordee.communication.services.previews import PreviewKind
from cordee.core.access import AccessDenied
from cordee.core.outbox import email_enqueue
from cordee.feedback.models import ImprovementPlan, Initiative, Survey, SurveyResponse
from cordee.feedback.services.follow_up import lead_sender
from cordee.missions.access import can_manage, mission_for
from cordee.missions.models import Mission
from cordee.missions.queries.team import team_users

PLAN_TEMPLATE = "feedback/emails/improvement_plan"
MAX_INITIATIVES = 10


@dataclass(frozen=True)
class InitiativeData:
    what: str
    improvement_point: str
    owner: object | None
    due_date: date


def survey_improvement_points(survey: Survey, responses=None) -> list[str]:
    """The round's improvement points, each once (case and spaces ignored), in the order given."""
    if responses is None:
        responses = SurveyResponse.objects.filter(survey=survey).order_by("submitted_at", "pk")
    seen, points = set(), []
    for response in responses:
        for point in response.improvements or []:
            text = " ".join(str(point).split())
            if text and text.casefold() not in seen:
                seen.add(text.casefold())
                points.append(text)
    return points


def _clean(*, mission: Mission, survey: Survey, message: str, initiatives: list[InitiativeData]) -> None:
    errors = {}
    if survey.mission_id != mission.pk:
        raise ValidationError(_("This survey belongs to another mission."), code="survey_other_mission")
    if not initiatives:
        errors["initiatives"] = [_("Add at least one initiative.")]
    elif len(initiatives) > MAX_INITIATIVES:
        errors["initiatives"] = [_("At most %(max)d initiatives in a plan.") % {"max": MAX_INITIATIVES}]
    points = {point.casefold() for point in survey_improvement_points(survey)}
    team = set(team_users(mission).values_list("pk", flat=True))
    for item in initiatives:
        if not item.what.strip():
            errors.setdefault("initiatives", []).append(_("Describe each initiative."))
        if item.improvement_point and item.improvement_point.casefold() not in points:
            errors.setdefault("initiatives", []).append(
                _("Choose the improvement point among the client's answers.")
            )
        if item.owner is not None and item.owner.pk not in team:
            errors.setdefault("initiatives", []).append(
                _("The owner must be a member of the mission's team.")
            )
        if item.due_date is None:
            errors.setdefault("initiatives", []).append(_("Give each initiative a due date."))
    if len(message) > 5000:
        errors["message"] = [_("Keep the message under 5,000 characters.")]
    if errors:
        raise ValidationError(errors)


def _replace_initiatives(plan: ImprovementPlan, initiatives: list[InitiativeData]) -> None:
    plan.initiatives.all().delete()
    Initiative.objects.bulk_create(
        Initiative(
            collective_id=plan.collective_id,
            plan=plan,
            what=" ".join(item.what.split())[:300],
            improvement_point=item.improvement_point[:300],
            owner=item.owner,
            due_date=item.due_date,
        )
        for item in initiatives
    )


@transaction.atomic
def plan_create(
    *, mission: Mission, survey: Survey, by, message: str, initiatives: list[InitiativeData]
) -> ImprovementPlan:
    mission_for(by, mission.pk, manage=True)
    message = message.strip()
    _clean(mission=mission, survey=survey, message=message, initiatives=initiatives)
    plan = ImprovementPlan.objects.create(
        collective_id=mission.collective_id, mission=mission, survey=survey, message=message, created_by=by
    )
    _replace_initiatives(plan, initiatives)
    return plan


@transaction.atomic
def plan_update(
    *, plan: ImprovementPlan, by, message: str, initiatives: list[InitiativeData]
) -> ImprovementPlan:
    mission = plan.mission
    mission_for(by, mission.pk, manage=True)
    plan = ImprovementPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.sent_at:
        raise ValidationError(_("This plan was already sent to the client: it can no longer be changed."))
    message = message.strip()
    _clean(mission=mission, survey=plan.survey, message=message, initiatives=initiatives)
    plan.message = message
    plan.save(update_fields=["message"])
    _replace_initiatives(plan, initiatives)
    return plan


def plan_recipients(plan: ImprovementPlan) -> list:
    """The contacts who answered the plan's survey round, by name."""
    responses = SurveyResponse.objects.filter(
        survey_id=plan.survey_id, contact__archived_at__isnull=True
    ).select_related("contact")
    return sorted(
        {response.contact for response in responses}, key=lambda contact: (contact.full_name, contact.pk)
    )


@transaction.atomic
def plan_send(*, plan: ImprovementPlan, by, now=None) -> int:
    """Email the recap of the initiatives to the contacts who answered; returns how many were sent."""
    mission = Mission.objects.select_related("lead", "collective").get(pk=plan.mission_id)
    mission_for(by, mission.pk, manage=True)
    plan = ImprovementPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.sent_at:
        raise ValidationError(_("This plan was already sent to the client."), code="already_sent")
    initiatives = list(plan.initiatives.select_related("owner").order_by("due_date", "pk"))
    if not initiatives:
        raise ValidationError(_("Add at least one initiative before sending the plan."), code="empty")
    recipients = plan_recipients(plan)
    if not recipients:
        raise ValidationError(_("Nobody answered this survey round: there is nobody to send the plan to."))
    plan.sent_at = now or timezone.now()
    plan.save(update_fields=["sent_at"])
    collective = mission.collective
    for contact in recipients:
        email_enqueue(
            key=f"plan:{plan.pk}:{contact.pk}",
            to=contact.email,
            template=PLAN_TEMPLATE,
            context={
                "collective": collective,
                "mission": mission,
                "lead": mission.lead,
                "contact": contact,
                "plan": plan,
                "initiatives": initiatives,
            },
            language=contact.language or settings.LANGUAGE_CODE,
            sender=lead_sender(mission),
            reply_to=mission.lead.email,
            collective=collective,
        )
    return len(recipients)


@transaction.atomic
def initiative_set_done(*, initiative: Initiative, by, done: bool, now=None) -> bool:
    """Mark an initiative done, or undo it. Returns False when it was already so."""
    mission = initiative.plan.mission
    _check_manager_or_owner(by=by, mission=mission, initiative=initiative)
    queryset = Initiative.objects.filter(pk=initiative.pk, done_at__isnull=done)
    changed = queryset.update(done_at=(now or timezone.now()) if done else None)
    initiative.refresh_from_db(fields=["done_at"])
    return bool(changed)


def _check_manager_or_owner(*, by, mission, initiative) -> None:
    """The initiative's owner (an active member of the collective), the lead or an admin."""
    membership = membership_for(by, mission.collective_id)
    if initiative.owner_id == membership.user_id or can_manage(membership, mission):
        return
    raise AccessDenied(_("Only the lead of the mission, an admin or the initiative's owner can do this."))


def initiatives_for_survey_page(mission: Mission) -> list[Initiative]:
    """The initiatives of the plans already sent to the client, with their status (done_at)."""
    return list(
        Initiative.objects.filter(
            collective_id=mission.collective_id, plan__mission=mission, plan__sent_at__isnull=False
        )
        .select_related("owner", "plan")
        .order_by("done_at", "due_date", "pk")
    )


# --- Email preview (registered by FeedbackConfig.ready) ---------------------------------------------


def _preview_plan(mission: Mission, contact, params: dict) -> tuple[str, dict]:
    """The last plan sent, or an example (not saved)."""
    plan = (
        ImprovementPlan.objects.filter(
            collective_id=mission.collective_id, mission=mission, sent_at__isnull=False
        )
        .order_by("-sent_at", "-pk")
        .first()
    )
    if plan is not None:
        initiatives = list(plan.initiatives.select_related("owner").order_by("due_date", "pk"))
    else:
        plan = ImprovementPlan(collective=mission.collective, mission=mission)
        initiatives = [
            Initiative(
                collective=mission.collective,
                plan=plan,
                what=gettext_lazy("A short weekly written update on the deliverables in progress."),
                improvement_point=gettext_lazy("Communication"),
                owner=mission.lead,
                due_date=timezone.localdate(),
            )
        ]
    return PLAN_TEMPLATE, {
        "collective": mission.collective,
        "mission": mission,
        "lead": mission.lead,
        "contact": contact,
        "plan": plan,
        "initiatives": initiatives,
    }


def email_previews() -> list:
    return [
        PreviewKind(
            "improvement_plan",
            gettext_lazy("Improvement plan"),
            gettext_lazy(
                "When the lead sends the initiatives taken after a survey round, to the contacts who "
                "answered it (the last plan sent, or an example)."
            ),
            _preview_plan,
            template=PLAN_TEMPLATE,
        ),
    ]
