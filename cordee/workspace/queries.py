"""Reads of the pages that combine several areas: the personal dashboard and the collective's dashboard,
each in a fixed number of queries whatever the number of rows."""

from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cordee.accounts.queries import person_fields
from cordee.billing.models import BillingPlan
from cordee.billing.queries import billing_attention
from cordee.collectives.models import Collective, Membership, Reference
from cordee.collectives.queries import Checklist, collective_members, onboarding_checklist, page_completeness
from cordee.collectives.time import collective_today
from cordee.feedback.models import Survey
from cordee.feedback.queries import dashboard_feedback
from cordee.invitations.models import Invitation
from cordee.missions.queries.missions import active_missions
from cordee.opportunities.models import Opportunity

UPCOMING_OPPORTUNITIES = 5
WAITING_OPPORTUNITIES = 5
OPEN_STAGES = [Opportunity.Stage.NEW, Opportunity.Stage.QUALIFIED, Opportunity.Stage.PROPOSAL_SENT]
# The columns the dashboard's lists show: an opportunity line and its owner, a member and their person.
OPPORTUNITY_LINE_FIELDS = (
    "company",
    "contact_name",
    "stage",
    "need",
    "next_action",
    "next_action_date",
    "created_at",
    *person_fields("owner"),
)
MEMBER_LINE_FIELDS = ("role", "title", "archived_at", *person_fields("user"))


def _count_subquery(queryset: QuerySet, outer_field: str = "collective") -> Coalesce:
    """COUNT(*) of `queryset` rows whose `collective` is the outer row's, as an annotation."""
    counted = (
        queryset.filter(collective=OuterRef(outer_field))
        .order_by()
        .values("collective")
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _pending_invitations():
    return Invitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


# --- Personal dashboard ----------------------------------------------------------------------------


def memberships_for_home(user) -> list[Membership]:
    """The user's memberships with what each collective card shows, in one query."""
    memberships = list(
        Membership.objects.filter(user=user)
        .select_related("collective")
        .annotate(
            member_count=_count_subquery(Membership.objects.all()),
            open_opportunity_count=_count_subquery(Opportunity.objects.filter(stage__in=OPEN_STAGES)),
            pending_invitation_count=_count_subquery(_pending_invitations()),
            reference_count=_count_subquery(Reference.objects.all()),
            members_without_title=_count_subquery(Membership.objects.filter(title="")),
        )
        .order_by("collective__name")
    )
    for membership in memberships:
        collective = membership.collective
        membership.page_checklist = page_completeness(
            collective,
            reference_count=membership.reference_count,
            members_without_title=membership.members_without_title,
        )
        membership.onboarding = onboarding_checklist(
            collective,
            member_count=membership.member_count,
            pending_invitation_count=membership.pending_invitation_count,
            page_complete=membership.page_checklist.is_complete,
        )
    return memberships


def onboarding_focus(memberships: list[Membership]) -> Membership | None:
    """The collective whose set-up the personal dashboard follows: the first one an admin has not finished."""
    for membership in memberships:
        if membership.is_admin and not membership.onboarding.is_complete:
            return membership
    return None


# --- Collective dashboard --------------------------------------------------------------------------


@dataclass
class StageCount:
    stage: str
    label: str
    count: int


@dataclass
class CollectiveOverview:
    members: list[Membership]
    stage_counts: list[StageCount]
    open_opportunity_count: int
    upcoming_opportunities: list[Opportunity]
    pending_invitation_count: int
    reference_count: int
    page_checklist: Checklist
    onboarding: Checklist
    # Missions: active ones with their deadlines, and opportunities to act on now.
    active_missions: list = field(default_factory=list)
    waiting_opportunities: list[Opportunity] = field(default_factory=list)
    has_more_waiting_opportunities: bool = False
    today: object = None
    # Client feedback: NPS of the last 90 days and missions needing attention.
    feedback: object = None
    # Budgets: missions over 80 % of their cap or with a deliverable over its estimate.
    billing_attention: list = field(default_factory=list)


def opportunities_waiting(collective: Collective, today) -> QuerySet[Opportunity]:
    """Open opportunities whose next action is due (today or past), or that have no next action at all."""
    return (
        Opportunity.objects.filter(collective=collective, stage__in=OPEN_STAGES)
        .filter(Q(next_action_date__lte=today) | Q(next_action_date__isnull=True, next_action=""))
        .select_related("owner")
        .order_by(F("next_action_date").asc(nulls_last=True), "created_at", "pk")
    )


def collective_overview(collective: Collective) -> CollectiveOverview:
    """Everything the collective dashboard shows, in a fixed number of queries whatever the numbers."""
    today = collective_today(collective)
    waiting = list(
        opportunities_waiting(collective, today).only(*OPPORTUNITY_LINE_FIELDS)[: WAITING_OPPORTUNITIES + 1]
    )
    members = list(collective_members(collective).only(*MEMBER_LINE_FIELDS))
    # The open opportunities to act on first: dated next actions first, then the most recent requests.
    upcoming = list(
        Opportunity.objects.filter(collective=collective, stage__in=OPEN_STAGES)
        .select_related("owner")
        .only(*OPPORTUNITY_LINE_FIELDS)
        .order_by(F("next_action_date").asc(nulls_last=True), "-created_at")[:UPCOMING_OPPORTUNITIES]
    )
    by_stage = dict(
        Opportunity.objects.filter(collective=collective)
        .order_by()
        .values_list("stage")
        .annotate(total=Count("pk"))
        .values_list("stage", "total")
    )
    stage_counts = [
        StageCount(stage, label, by_stage.get(stage, 0)) for stage, label in Opportunity.Stage.choices
    ]
    # The counts, and whether the feedback and budget blocks have anything to read: a collective without
    # any survey or active billing plan skips their queries.
    counts = (
        Collective.objects.filter(pk=collective.pk)
        .annotate(
            pending_invitation_count=_count_subquery(_pending_invitations(), "pk"),
            reference_count=_count_subquery(Reference.objects.all(), "pk"),
            has_surveys=Exists(Survey.objects.filter(collective=OuterRef("pk"))),
            has_active_plans=Exists(
                BillingPlan.objects.filter(collective=OuterRef("pk"), status=BillingPlan.Status.ACTIVE)
            ),
        )
        .values("pending_invitation_count", "reference_count", "has_surveys", "has_active_plans")
        .get()
    )
    page_checklist = page_completeness(
        collective,
        reference_count=counts["reference_count"],
        members_without_title=sum(1 for member in members if not member.title),
    )
    return CollectiveOverview(
        members=members,
        stage_counts=stage_counts,
        open_opportunity_count=sum(item.count for item in stage_counts if item.stage in OPEN_STAGES),
        upcoming_opportunities=upcoming,
        pending_invitation_count=counts["pending_invitation_count"],
        reference_count=counts["reference_count"],
        page_checklist=page_checklist,
        onboarding=onboarding_checklist(
            collective,
            member_count=len(members),
            pending_invitation_count=counts["pending_invitation_count"],
            page_complete=page_checklist.is_complete,
        ),
        active_missions=active_missions(collective),
        waiting_opportunities=waiting[:WAITING_OPPORTUNITIES],
        has_more_waiting_opportunities=len(waiting) > WAITING_OPPORTUNITIES,
        today=today,
        feedback=dashboard_feedback(collective, has_surveys=counts["has_surveys"]),
        billing_attention=billing_attention(collective.pk) if counts["has_active_plans"] else [],
    )
