"""Survey rounds and responses made directly with the models, for the follow-up and plan tests."""

from datetime import date

from django.utils import timezone

from cordee.core.tokens import token_hash
from cordee.feedback.models import FollowUpCall, Survey, SurveyResponse
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory


def survey_for(mission=None, *, due_date=None, **fields) -> Survey:
    mission = mission or MissionFactory()
    return Survey.objects.create(
        collective=mission.collective,
        mission=mission,
        due_date=due_date or date(2026, 3, 16),
        sent_at=fields.pop("sent_at", timezone.now()),
        **fields,
    )


def response_for(survey: Survey, *, contact=None, score=9, ranking="top10", **fields) -> SurveyResponse:
    contact = contact or ClientContactFactory(
        client=survey.mission.client, language=fields.pop("language", "fr")
    )
    return SurveyResponse.objects.create(
        collective=survey.collective,
        survey=survey,
        contact=contact,
        appreciated=fields.pop("appreciated", ["Réactivité", "Qualité du design", "Clarté"]),
        improvements=fields.pop("improvements", ["Délais des retours", "Plus de démos"]),
        score=score,
        ranking=ranking,
        **fields,
    )


def follow_up_for(response: SurveyResponse, *, raw="a-known-token", slots=None, **fields) -> FollowUpCall:
    """A follow-up made directly (no email), with a known raw token."""
    return FollowUpCall.objects.create(
        collective=response.collective,
        response=response,
        reasons=["low_score"],
        proposed_slots=slots or ["2099-03-17T10:00:00+01:00"],
        token_hash=token_hash(raw),
        **fields,
    )
