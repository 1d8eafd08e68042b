"""Survey rounds and answers built directly with the models, for the analytics tests."""

from datetime import UTC, date, datetime, timedelta
from itertools import count

from cordee.feedback.models import FollowUpCall, Survey, SurveyInvitation, SurveyResponse
from cordee.missions.tests.factories import ClientContactFactory

_tokens = count(1)


def survey_round(mission, due: date, *, invited=0, closes_in_days=10) -> Survey:
    sent_at = datetime(due.year, due.month, due.day, 9, 0, tzinfo=UTC)
    survey = Survey.objects.create(
        collective=mission.collective,
        mission=mission,
        due_date=due,
        sent_at=sent_at,
        closes_at=sent_at + timedelta(days=closes_in_days),
    )
    for _ in range(invited):
        invite(survey, ClientContactFactory(client=mission.client))
    return survey


def invite(survey, contact) -> SurveyInvitation:
    return SurveyInvitation.objects.create(
        collective=survey.collective,
        survey=survey,
        contact=contact,
        token_hash=f"{next(_tokens):064d}",
        sent_at=survey.sent_at,
    )


def answer(
    survey, score, ranking="top10", *, contact=None, improvements=(), appreciated=(), comment="", at=None
):
    contact = contact or ClientContactFactory(client=survey.mission.client)
    if not SurveyInvitation.objects.filter(survey=survey, contact=contact).exists():
        invite(survey, contact)
    response = SurveyResponse.objects.create(
        collective=survey.collective,
        survey=survey,
        contact=contact,
        score=score,
        ranking=ranking,
        improvements=list(improvements),
        appreciated=list(appreciated),
        comment=comment,
    )
    if at is not None:
        SurveyResponse.objects.filter(pk=response.pk).update(submitted_at=at)
        response.refresh_from_db()
    return response


def follow_up(response, state=FollowUpCall.State.REQUESTED) -> FollowUpCall:
    return FollowUpCall.objects.create(
        collective=response.collective,
        response=response,
        reasons=["score"],
        token_hash=f"f{next(_tokens):063d}",
        state=state,
    )
