"""Reads that the pipeline pages need, each in a fixed number of queries."""

from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from cordee.accounts.models import User
from cordee.opportunities.models import Opportunity, OpportunityChange, OpportunityStageChange

OPEN_STAGES = (Opportunity.Stage.NEW, Opportunity.Stage.QUALIFIED, Opportunity.Stage.PROPOSAL_SENT)
CLOSED_STAGES = (Opportunity.Stage.WON, Opportunity.Stage.LOST)
# Won and lost columns keep only their most recent cards; the list view holds the rest.
CLOSED_COLUMN_SIZE = 10
# Open columns show their most urgent cards; the list view, filtered by stage, holds the rest.
OPEN_COLUMN_SIZE = 20

OWNER_FILTERS = ("mine", "unassigned")


@dataclass
class BoardColumn:
    stage: str
    label: str
    count: int = 0
    cards: list = field(default_factory=list)

    @property
    def is_closed(self) -> bool:
        return self.stage in CLOSED_STAGES

    @property
    def is_truncated(self) -> bool:
        return self.count > len(self.cards)


def opportunities_filtered(*, collective, user, owner_filter: str = "", stage: str = "") -> QuerySet:
    """The collective's opportunities, narrowed by owner ("mine", "unassigned") and stage."""
    opportunities = Opportunity.objects.filter(collective=collective)
    if owner_filter == "mine":
        opportunities = opportunities.filter(owner=user)
    elif owner_filter == "unassigned":
        opportunities = opportunities.filter(owner__isnull=True)
    if stage in Opportunity.Stage.values:
        opportunities = opportunities.filter(stage=stage)
    return opportunities


def pipeline_board(*, collective, user, owner_filter: str = "") -> list[BoardColumn]:
    """One column per stage with its count and its cards, in two queries whatever the volume.

    Open columns are ordered by next action date (the most urgent first), won and lost columns by
    their last update, most recent first, and cut to CLOSED_COLUMN_SIZE.
    """
    opportunities = opportunities_filtered(collective=collective, user=user, owner_filter=owner_filter)
    counts = dict(opportunities.order_by().values_list("stage").annotate(total=Count("pk")))
    ranked = (
        opportunities.select_related("owner")
        .annotate(
            open_rank=Window(
                RowNumber(),
                partition_by=[F("stage")],
                order_by=[F("next_action_date").asc(nulls_last=True), F("created_at").desc(), F("pk").desc()],
            ),
            closed_rank=Window(
                RowNumber(), partition_by=[F("stage")], order_by=[F("updated_at").desc(), F("pk").desc()]
            ),
        )
        .filter(
            Q(stage__in=OPEN_STAGES, open_rank__lte=OPEN_COLUMN_SIZE)
            | Q(stage__in=CLOSED_STAGES, closed_rank__lte=CLOSED_COLUMN_SIZE)
        )
    )
    columns = {
        stage: BoardColumn(stage=stage, label=label, count=counts.get(stage, 0))
        for stage, label in Opportunity.Stage.choices
    }
    for opportunity in ranked:
        columns[opportunity.stage].cards.append(opportunity)
    for column in columns.values():
        rank = "closed_rank" if column.is_closed else "open_rank"
        column.cards.sort(key=lambda card, rank=rank: getattr(card, rank))
    return list(columns.values())


def opportunity_list(
    *, collective, user, owner_filter: str = "", stage: str = "", search: str = ""
) -> QuerySet:
    """The list view: every opportunity matching the filters, the most recently received first."""
    opportunities = opportunities_filtered(
        collective=collective, user=user, owner_filter=owner_filter, stage=stage
    )
    search = " ".join(search.split())
    if search:
        opportunities = opportunities.filter(
            Q(company__icontains=search)
            | Q(contact_name__icontains=search)
            | Q(contact_email__icontains=search)
            | Q(need__icontains=search)
        )
    return opportunities.select_related("owner").order_by("-created_at", "-pk")


def opportunity_history(*, opportunity) -> list:
    """Stage moves and follow-up edits, oldest first (two queries). Each edit carries `field_labels`."""
    moves = OpportunityStageChange.objects.filter(
        collective_id=opportunity.collective_id, opportunity=opportunity
    ).select_related("changed_by")
    edits = list(
        OpportunityChange.objects.filter(
            collective_id=opportunity.collective_id, opportunity=opportunity
        ).select_related("changed_by")
    )
    for edit in edits:
        edit.field_labels = ", ".join(
            str(Opportunity._meta.get_field(name.removesuffix("_id")).verbose_name) for name in edit.fields
        )
    return sorted([*moves, *edits], key=lambda change: (change.changed_at, change.pk))


def collective_members_as_users(*, collective) -> QuerySet:
    """The users who may own the collective's opportunities, by name."""
    return User.objects.filter(
        memberships__collective=collective, memberships__archived_at__isnull=True
    ).order_by("full_name", "email")
