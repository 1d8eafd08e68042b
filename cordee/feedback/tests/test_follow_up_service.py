"""Follow-up calls: which answers open one, the lead's email with the slots, the lead's task, the slots."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.conf import settings

from cordee.communication.models import DeliveryCall
from cordee.core.models import OutboundEmail
from cordee.feedback.models import FollowUpCall
from cordee.feedback.services.follow_up import follow_up_check, proposed_slots_for, response_mark_unclear
from cordee.feedback.tests.followup_factories import response_for, survey_for
from cordee.missions.models import Task
from cordee.missions.tests.factories import MissionFactory

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Thursday 12 March 2026, 9:00 in Paris: the next business days are Fri 13, Mon 16, Tue 17.
NOW = dt.datetime(2026, 3, 12, 9, 0, tzinfo=PARIS)


@pytest.fixture
def mission(db):
    mission = MissionFactory(collective__name="Studio Cordée")
    mission.lead.full_name = "Alice Martin"
    mission.lead.save(update_fields=["full_name"])
    mission.collective.time_zone = "Europe/Paris"
    mission.collective.save(update_fields=["time_zone"])
    return mission


@pytest.fixture
def survey(mission):
    return survey_for(mission)


def check(response):
    with time_machine.travel(NOW, tick=False):
        return follow_up_check(response)


def test_a_score_of_6_opens_a_follow_up(survey):
    response = response_for(survey, score=6, ranking="top10")

    follow_up = check(response)

    assert follow_up is not None
    assert follow_up.reasons == ["low_score"]
    assert follow_up.state == FollowUpCall.State.REQUESTED
    assert FollowUpCall.objects.count() == 1


def test_a_score_of_8_ranked_top_25_opens_a_follow_up(survey):
    response = response_for(survey, score=8, ranking="top25")

    follow_up = check(response)

    assert follow_up.reasons == ["ranking"]


@pytest.mark.parametrize("ranking", ["top50", "second_half"])
def test_a_ranking_in_the_second_half_or_top_50_opens_one_too(survey, ranking):
    follow_up = check(response_for(survey, score=10, ranking=ranking))

    assert follow_up.reasons == ["ranking"]


@pytest.mark.parametrize(("score", "ranking"), [(9, "top10"), (8, "top1"), (10, "top10")])
def test_a_good_answer_opens_none(survey, score, ranking):
    response = response_for(survey, score=score, ranking=ranking)

    assert check(response) is None

    assert FollowUpCall.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert Task.objects.count() == 0


def test_both_reasons_are_kept(survey):
    follow_up = check(response_for(survey, score=3, ranking="second_half"))

    assert follow_up.reasons == ["low_score", "ranking"]


def test_the_client_gets_an_email_from_the_lead_with_three_slots(survey, mission):
    response = response_for(survey, score=6, ranking="top10", language="en")

    follow_up = check(response)

    email = OutboundEmail.objects.get()
    assert email.idempotency_key == f"follow_up:{follow_up.pk}:request"
    assert email.to_email == response.contact.email
    assert email.from_email == (
        f"Alice Martin — Studio Cordée <noreply+{mission.collective.slug}@{settings.EMAIL_SENDER_DOMAIN}>"
    )
    assert email.reply_to == mission.lead.email
    assert email.language == "en"
    assert email.subject == f"Your feedback on “{mission.title}”: 30 minutes to talk about it?"
    assert "could we have a 30-minute call?" in email.body_text
    assert "- Friday March 13, 2026, 10 a.m.\n" in email.body_text
    assert "- Monday March 16, 2026, 2 p.m.\n" in email.body_text
    assert "- Tuesday March 17, 2026, 4 p.m.\n" in email.body_text
    assert "/s/call/" in email.body_text
    assert "reply to this email" in email.body_text
    assert follow_up.proposed_slots == [
        "2026-03-13T10:00:00+01:00",
        "2026-03-16T14:00:00+01:00",
        "2026-03-17T16:00:00+01:00",
    ]


def test_the_email_is_in_the_contacts_language(survey):
    check(response_for(survey, score=6, ranking="top10", language="fr"))

    email = OutboundEmail.objects.get()
    assert email.language == "fr"
    assert "vendredi 13 mars 2026, 10:00" in email.body_text
    assert "lundi 16 mars 2026, 14:00" in email.body_text


def test_the_lead_gets_a_task_due_in_two_business_days(survey, mission):
    response = response_for(survey, score=5, ranking="top10")

    follow_up = check(response)

    task = Task.objects.get()
    assert follow_up.task == task
    assert task.mission == mission
    assert task.assignee == mission.lead
    assert task.due_date == dt.date(2026, 3, 16)  # Thursday + 2 business days = Monday
    assert task.status == Task.Status.TODO
    assert response.contact.full_name in task.title


def test_a_second_check_opens_nothing_more(survey):
    response = response_for(survey, score=6, ranking="top10")
    first = check(response)

    second = check(response)

    assert second.pk == first.pk
    assert FollowUpCall.objects.count() == 1
    assert OutboundEmail.objects.count() == 1
    assert Task.objects.count() == 1


def test_marking_the_improvement_points_unclear_opens_a_follow_up(survey, mission):
    response = response_for(survey, score=9, ranking="top10")
    assert check(response) is None

    with time_machine.travel(NOW, tick=False):
        follow_up = response_mark_unclear(response=response, by=mission.lead)

    response.refresh_from_db()
    assert response.improvements_unclear is True
    assert follow_up.reasons == ["improvements_unclear"]
    assert OutboundEmail.objects.filter(idempotency_key=f"follow_up:{follow_up.pk}:request").count() == 1
    assert Task.objects.filter(assignee=mission.lead).count() == 1


def test_marking_unclear_on_an_open_follow_up_adds_the_reason_without_a_second_email(survey, mission):
    response = response_for(survey, score=6, ranking="top10")
    first = check(response)

    follow_up = response_mark_unclear(response=response, by=mission.lead)

    assert follow_up.pk == first.pk
    follow_up.refresh_from_db()
    assert follow_up.reasons == ["low_score", "improvements_unclear"]
    assert OutboundEmail.objects.count() == 1


def test_a_slot_colliding_with_a_delivery_call_of_the_lead_moves_to_the_next_business_day(mission):
    DeliveryCall.objects.create(
        collective=mission.collective,
        mission=mission,
        deliverable=mission.deliverables.create(
            collective=mission.collective,
            title="Maquettes",
            internal_date=dt.date(2026, 3, 20),
            announced_date=dt.date(2026, 3, 24),
        ),
        starts_at=dt.datetime(2026, 3, 13, 9, 45, tzinfo=PARIS),
        duration_minutes=30,
        organizer=mission.lead,
    )

    slots = proposed_slots_for(mission=mission, now=NOW)

    assert slots == [
        dt.datetime(2026, 3, 16, 10, 0, tzinfo=PARIS),
        dt.datetime(2026, 3, 17, 14, 0, tzinfo=PARIS),
        dt.datetime(2026, 3, 18, 16, 0, tzinfo=PARIS),
    ]


def test_slots_of_another_pending_follow_up_of_the_lead_are_not_proposed_twice(survey, mission):
    check(response_for(survey, score=6, ranking="top10"))

    slots = proposed_slots_for(mission=mission, now=NOW)

    assert slots == [
        dt.datetime(2026, 3, 16, 10, 0, tzinfo=PARIS),
        dt.datetime(2026, 3, 17, 14, 0, tzinfo=PARIS),
        dt.datetime(2026, 3, 18, 16, 0, tzinfo=PARIS),
    ]


def test_slots_skip_weekends_and_public_holidays(mission):
    # Friday 1 May 2026 is a public holiday in France; Friday 8 May too.
    now = dt.datetime(2026, 4, 30, 18, 0, tzinfo=PARIS)

    slots = proposed_slots_for(mission=mission, now=now)

    assert slots == [
        dt.datetime(2026, 5, 4, 10, 0, tzinfo=PARIS),
        dt.datetime(2026, 5, 5, 14, 0, tzinfo=PARIS),
        dt.datetime(2026, 5, 6, 16, 0, tzinfo=PARIS),
    ]
