"""Reads of the feedback pages, each in a fixed number of queries whatever the number of responses."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from cordee.accounts.queries import person_fields
from cordee.collectives.time import collective_zone
from cordee.feedback.models import FollowUpCall, Survey, SurveyInvitation, SurveyResponse
from cordee.feedback.services import analytics
from cordee.missions.models import Mission

LATEST_RESPONSES = 10
DASHBOARD_ATTENTION = 5
DASHBOARD_DAYS = 90
DASHBOARD_TREND_DAYS = 365
PENDING_FOLLOW_UP_STATES = [FollowUpCall.State.REQUESTED, FollowUpCall.State.SCHEDULED]
# Missions whose feedback still matters: the ones running or just delivered (not drafts, not closed).
FOLLOWED_STATUSES = [Mission.Status.ACTIVE, Mission.Status.PAUSED, Mission.Status.DELIVERED]


@dataclass
class FeedbackSummary:
    """The aggregates both analytics pages show."""

    answers: int
    invited: int
    nps: Decimal | None
    average: Decimal | None
    response_rate: Decimal | None
    ranking: list[analytics.RankingShare]
    trend: list[analytics.TrendPoint]
    themes: list[analytics.Theme]


@dataclass
class MissionFeedback:
    summary: FeedbackSummary
    latest_responses: list[SurveyResponse]
    pending_follow_ups: int


@dataclass
class CollectiveFeedback:
    summary: FeedbackSummary
    attention: list[analytics.MissionAttention] = field(default_factory=list)


@dataclass
class DashboardFeedback:
    nps: Decimal | None
    answers: int
    attention: list[analytics.MissionAttention]
    has_more_attention: bool
    trend: list[analytics.TrendPoint] = field(default_factory=list)


def _local_date(moment, collective):
    return timezone.localtime(moment, collective_zone(collective)).date()


def _summary(rows, *, invited, rounds, monthly) -> FeedbackSummary:
    """`rows` are (score, ranking, improvements) tuples; `rounds` the trend input."""
    scores = [row[0] for row in rows]
    return FeedbackSummary(
        answers=len(scores),
        invited=invited,
        nps=analytics.nps(scores),
        average=analytics.average_score(scores),
        response_rate=analytics.response_rate(invited, len(scores)),
        ranking=analytics.ranking_distribution(row[1] for row in rows),
        trend=analytics.trend(rounds, monthly=monthly),
        themes=analytics.recurring_themes(
            point for row in rows for point in (row[2] or []) if isinstance(point, str)
        ),
    )


def sent_surveys(collective) -> QuerySet[Survey]:
    return Survey.objects.filter(collective=collective, sent_at__isnull=False)


def mission_feedback(collective, mission) -> MissionFeedback:
    """A mission's analytics in four queries: rounds, answers, latest answers, pending follow-ups."""
    rounds = list(
        sent_surveys(collective)
        .filter(mission=mission)
        .annotate(invited=Count("invitations", distinct=True))
        .order_by("due_date", "pk")
        .values_list("pk", "due_date", "invited")
    )
    rows = list(
        SurveyResponse.objects.filter(collective=collective, survey__mission=mission)
        .order_by()
        .values_list("score", "ranking", "improvements", "survey_id")
    )
    scores_by_round: dict[int, list[int]] = {}
    for score, _ranking, _improvements, survey_id in rows:
        scores_by_round.setdefault(survey_id, []).append(score)
    latest = list(
        SurveyResponse.objects.filter(collective=collective, survey__mission=mission)
        .select_related("contact", "survey")
        .order_by("-submitted_at", "-pk")[:LATEST_RESPONSES]
    )
    pending = FollowUpCall.objects.filter(
        collective=collective, response__survey__mission=mission, state__in=PENDING_FOLLOW_UP_STATES
    ).count()
    return MissionFeedback(
        summary=_summary(
            rows,
            invited=sum(invited for _pk, _due, invited in rounds),
            rounds=[(due, scores_by_round.get(pk, [])) for pk, due, _invited in rounds],
            monthly=False,
        ),
        latest_responses=latest,
        pending_follow_ups=pending,
    )


def collective_feedback(collective, *, now=None) -> CollectiveFeedback:
    """The collective's analytics: answers of every mission, invitations, missions needing attention."""
    rows = list(
        SurveyResponse.objects.filter(collective=collective)
        .order_by()
        .values_list("score", "ranking", "improvements", "submitted_at")
    )
    invited = SurveyInvitation.objects.filter(collective=collective, survey__sent_at__isnull=False).count()
    months = analytics.scores_by_month((_local_date(row[3], collective), row[0]) for row in rows)
    return CollectiveFeedback(
        summary=_summary(rows, invited=invited, rounds=months, monthly=True),
        attention=missions_needing_attention(collective, now=now),
    )


def _latest_round(field_name: str, *, answered: bool = False) -> Subquery:
    surveys = Survey.objects.filter(mission=OuterRef("pk"), sent_at__isnull=False)
    if answered:
        surveys = surveys.filter(responses__isnull=False)
    return Subquery(surveys.order_by("-due_date", "-sent_at", "-pk").values(field_name)[:1])


def missions_needing_attention(collective, *, now=None) -> list[analytics.MissionAttention]:
    """The followed missions that need attention, with the reasons in words, in two queries (one when the
    collective follows no mission)."""
    now = now or timezone.now()
    pending = (
        FollowUpCall.objects.filter(
            response__survey__mission=OuterRef("pk"), state__in=PENDING_FOLLOW_UP_STATES
        )
        .order_by()
        .values("collective")
        .annotate(total=Count("pk"))
        .values("total")
    )
    missions = list(
        Mission.objects.filter(collective=collective, status__in=FOLLOWED_STATUSES)
        .select_related("client", "lead")
        .only("title", "client__name", *person_fields("lead"))
        .annotate(
            latest_survey_id=_latest_round("pk"),
            latest_due=_latest_round("due_date"),
            latest_closes_at=_latest_round("closes_at"),
            latest_answered_id=_latest_round("pk", answered=True),
            pending_follow_ups=Coalesce(Subquery(pending, output_field=IntegerField()), Value(0)),
        )
        .order_by("title", "pk")
    )
    # The answers of each mission's latest round and of its latest answered round, in one query whatever
    # the answers: counted for the first, their scores for the second.
    round_ids = {mission.latest_survey_id for mission in missions} | {
        mission.latest_answered_id for mission in missions
    }
    round_ids.discard(None)
    scores: dict[int, list[int]] = {}
    if round_ids:
        for survey_id, score in SurveyResponse.objects.filter(
            collective=collective, survey_id__in=round_ids
        ).values_list("survey_id", "score"):
            scores.setdefault(survey_id, []).append(score)
    facts = [
        analytics.MissionFeedbackFacts(
            mission=mission,
            latest_answered_scores=scores.get(mission.latest_answered_id, []),
            pending_follow_ups=mission.pending_follow_ups,
            latest_round_due=mission.latest_due,
            latest_round_closes_at=mission.latest_closes_at,
            latest_round_answers=len(scores.get(mission.latest_survey_id, [])),
        )
        for mission in missions
    ]
    return analytics.missions_needing_attention(facts, now=now)


def dashboard_feedback(collective, *, now=None, has_surveys: bool = True) -> DashboardFeedback:
    """The dashboard block: NPS of the last 90 days, the monthly NPS of the last 12 months as a chart,
    and up to five missions needing attention.

    `has_surveys=False` (the caller knows that the collective has no survey yet) reads nothing: without a
    survey there is no answer, no follow-up call and no round left unanswered.
    """
    now = now or timezone.now()
    recent = now - timedelta(days=DASHBOARD_DAYS)
    rows = []
    if has_surveys:
        rows = list(
            SurveyResponse.objects.filter(
                collective=collective, submitted_at__gte=now - timedelta(days=DASHBOARD_TREND_DAYS)
            )
            .order_by()
            .values_list("submitted_at", "score")
        )
    scores = [score for answered_at, score in rows if answered_at >= recent]
    attention = missions_needing_attention(collective, now=now) if has_surveys else []
    return DashboardFeedback(
        nps=analytics.nps(scores),
        answers=len(scores),
        attention=attention[:DASHBOARD_ATTENTION],
        has_more_attention=len(attention) > DASHBOARD_ATTENTION,
        trend=analytics.trend(
            analytics.scores_by_month((_local_date(at, collective), score) for at, score in rows),
            monthly=True,
        ),
    )


def export_rows(collective, *, mission=None) -> QuerySet[SurveyResponse]:
    """Every response of the collective (or of one mission) for the CSV export, in one query."""
    responses = SurveyResponse.objects.filter(collective=collective)
    if mission is not None:
        responses = responses.filter(survey__mission=mission)
    return responses.select_related("survey__mission__client", "contact").order_by(
        "survey__mission__title", "survey__due_date", "submitted_at", "pk"
    )
