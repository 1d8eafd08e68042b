"""Reads the collective pages need, each in a fixed number of queries whatever the number of rows."""

import zoneinfo
from dataclasses import dataclass, field

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cordee.collectives.models import Collective, Membership, Reference
from cordee.invitations.models import Invitation
from cordee.opportunities.models import Opportunity

UPCOMING_OPPORTUNITIES = 5
WAITING_OPPORTUNITIES = 5
OPEN_STAGES = [Opportunity.Stage.NEW, Opportunity.Stage.QUALIFIED, Opportunity.Stage.PROPOSAL_SENT]


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


# --- Page completeness and onboarding --------------------------------------------------------------


@dataclass(frozen=True)
class CheckItem:
    key: str
    label: str
    done: bool
    hint: str = ""


@dataclass
class Checklist:
    items: list[CheckItem] = field(default_factory=list)

    @property
    def done_count(self) -> int:
        return sum(1 for item in self.items if item.done)

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def is_complete(self) -> bool:
        return self.done_count == self.total

    @property
    def missing(self) -> list[CheckItem]:
        return [item for item in self.items if not item.done]


def page_completeness(
    collective: Collective, *, reference_count: int, members_without_title: int
) -> Checklist:
    """What a good public page needs, and what is still missing."""
    return Checklist(
        [
            CheckItem(
                "tagline",
                _("A tagline"),
                bool(collective.tagline),
                _("One sentence that says what you do and for whom."),
            ),
            CheckItem(
                "description",
                _("A description"),
                bool(collective.description.strip()),
                _("How you work, what clients get, how a project starts."),
            ),
            CheckItem(
                "expertises",
                _("At least one expertise"),
                bool(collective.expertises),
                _("The skills a client searches for: design, development, product…"),
            ),
            CheckItem("logo", _("A logo"), bool(collective.logo), _("A PNG, JPEG or WebP image.")),
            CheckItem(
                "references",
                _("At least one reference"),
                reference_count > 0,
                _("A past project, with the client and the year."),
            ),
            CheckItem(
                "titles",
                _("Every member has a title"),
                members_without_title == 0,
                _("For example “UX designer” or “Back-end developer”, on the Members page."),
            ),
        ]
    )


def onboarding_checklist(
    collective: Collective | None, *, member_count: int, pending_invitation_count: int, page_complete: bool
) -> Checklist:
    """The four first steps the product asks of a new collective."""
    return Checklist(
        [
            CheckItem("create", _("Create your collective"), collective is not None),
            CheckItem(
                "invite",
                _("Invite your members"),
                collective is not None and (member_count > 1 or pending_invitation_count > 0),
            ),
            CheckItem("page", _("Complete your page"), collective is not None and page_complete),
            CheckItem("publish", _("Publish your page"), collective is not None and collective.is_published),
        ]
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


def onboarding_state(collective: Collective) -> Checklist:
    """The onboarding checklist of one collective, in one query (for the pages of the set-up thread)."""
    counts = Collective.objects.filter(pk=collective.pk).aggregate(
        members=Count("memberships", distinct=True),
        members_without_title=Count("memberships", filter=Q(memberships__title=""), distinct=True),
        pending_invitations=Count(
            "invitations",
            filter=Q(
                invitations__accepted_at__isnull=True,
                invitations__revoked_at__isnull=True,
                invitations__expires_at__gt=timezone.now(),
            ),
            distinct=True,
        ),
        references=Count("references", distinct=True),
    )
    page = page_completeness(
        collective,
        reference_count=counts["references"],
        members_without_title=counts["members_without_title"],
    )
    return onboarding_checklist(
        collective,
        member_count=counts["members"],
        pending_invitation_count=counts["pending_invitations"],
        page_complete=page.is_complete,
    )


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
    # Missions (issue 3): active ones with their deadlines, and opportunities to act on now.
    active_missions: list = field(default_factory=list)
    waiting_opportunities: list[Opportunity] = field(default_factory=list)
    has_more_waiting_opportunities: bool = False
    today: object = None
    # Client feedback (issue 5): NPS of the last 90 days and missions needing attention.
    feedback: object = None


def opportunities_waiting(collective: Collective, today) -> QuerySet[Opportunity]:
    """Open opportunities whose next action is due (today or past), or that have no next action at all."""
    return (
        Opportunity.objects.filter(collective=collective, stage__in=OPEN_STAGES)
        .filter(Q(next_action_date__lte=today) | Q(next_action_date__isnull=True, next_action=""))
        .select_related("owner")
        .order_by(F("next_action_date").asc(nulls_last=True), "created_at", "pk")
    )


def collective_members(collective: Collective) -> QuerySet[Membership]:
    """Members with their user, admins first, then by name."""
    return (
        Membership.objects.filter(collective=collective)
        .select_related("user")
        .order_by("role", "user__full_name", "user__email")
    )


def collective_overview(collective: Collective) -> CollectiveOverview:
    """Everything the collective dashboard shows, in a fixed number of queries whatever the numbers."""
    from cordee.feedback.queries import dashboard_feedback
    from cordee.missions.queries.missions import active_missions

    today = timezone.localdate(timezone=zoneinfo.ZoneInfo(collective.time_zone))
    waiting = list(opportunities_waiting(collective, today)[: WAITING_OPPORTUNITIES + 1])
    members = list(collective_members(collective))
    # The open opportunities to act on first: dated next actions first, then the most recent requests.
    upcoming = list(
        Opportunity.objects.filter(collective=collective, stage__in=OPEN_STAGES)
        .select_related("owner")
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
    counts = Collective.objects.filter(pk=collective.pk).aggregate(
        pending_invitations=Count(
            "invitations",
            filter=Q(
                invitations__accepted_at__isnull=True,
                invitations__revoked_at__isnull=True,
                invitations__expires_at__gt=timezone.now(),
            ),
            distinct=True,
        ),
        references=Count("references", distinct=True),
    )
    page_checklist = page_completeness(
        collective,
        reference_count=counts["references"],
        members_without_title=sum(1 for member in members if not member.title),
    )
    return CollectiveOverview(
        members=members,
        stage_counts=stage_counts,
        open_opportunity_count=sum(item.count for item in stage_counts if item.stage in OPEN_STAGES),
        upcoming_opportunities=upcoming,
        pending_invitation_count=counts["pending_invitations"],
        reference_count=counts["references"],
        page_checklist=page_checklist,
        onboarding=onboarding_checklist(
            collective,
            member_count=len(members),
            pending_invitation_count=counts["pending_invitations"],
            page_complete=page_checklist.is_complete,
        ),
        active_missions=active_missions(collective),
        waiting_opportunities=waiting[:WAITING_OPPORTUNITIES],
        has_more_waiting_opportunities=len(waiting) > WAITING_OPPORTUNITIES,
        today=today,
        feedback=dashboard_feedback(collective),
    )


def collective_references(collective: Collective) -> QuerySet[Reference]:
    return Reference.objects.filter(collective=collective).order_by("position", "-year", "pk")


def collective_page_state(collective: Collective) -> tuple[list[Reference], Checklist]:
    """The references in page order and the page's completeness, in two queries."""
    references = list(collective_references(collective))
    members_without_title = Membership.objects.filter(collective=collective, title="").count()
    return references, page_completeness(
        collective, reference_count=len(references), members_without_title=members_without_title
    )
