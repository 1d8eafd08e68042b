"""The responses page, marking points unclear, closing a follow-up, and the client's slot picking page."""

import datetime as dt
import zoneinfo

import icalendar
import pytest
import time_machine
import vobject
from django.urls import reverse

from cordee.core import outbox
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import MembershipFactory
from cordee.feedback.models import FollowUpCall, SurveyResponse
from cordee.feedback.services.follow_up import follow_up_check
from cordee.feedback.tests.followup_factories import follow_up_for, response_for, survey_for
from cordee.missions.models import Task
from cordee.missions.tests.factories import MissionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """The member pages in English: the asserts read the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 12, 9, 0, tzinfo=PARIS)


@pytest.fixture
def mission(db):
    mission = MissionFactory()
    mission.collective.time_zone = "Europe/Paris"
    mission.collective.save(update_fields=["time_zone"])
    return mission


@pytest.fixture
def survey(mission):
    return survey_for(mission)


@pytest.fixture
def lead_client(client, mission):
    client.force_login(mission.lead)
    return client


@pytest.fixture
def member_client(client, mission):
    client.force_login(MembershipFactory(collective=mission.collective).user)
    return client


def responses_url(mission):
    return reverse("feedback:responses", args=[mission.collective.slug, mission.pk])


def opened(survey, **fields):
    """A response that opened a follow-up through the service, and the raw token of its pick page."""
    response = response_for(survey, score=6, ranking="top10", **fields)
    with time_machine.travel(NOW, tick=False):
        follow_up = follow_up_check(response)
    email = OutboundEmail.objects.get(idempotency_key=f"follow_up:{follow_up.pk}:request")
    token = email.body_text.split("/s/call/")[1].split("/")[0]
    return follow_up, token


def pick_url(token):
    return reverse("feedback:follow_up_pick", args=[token])


# --- Responses page ------------------------------------------------------------------------------


def test_the_lead_sees_each_round_with_its_answers(lead_client, mission, survey):
    response = response_for(survey, score=6, ranking="top25", comment="Très bon travail, mais lent.")

    page = lead_client.get(responses_url(mission))

    assert page.status_code == 200
    html = page.content.decode()
    assert response.contact.full_name in html
    assert "Réactivité" in html
    assert "Délais des retours" in html
    assert "Très bon travail, mais lent." in html
    assert "Score 6/10" in html
    assert (
        reverse("feedback:response_mark_unclear", args=[mission.collective.slug, mission.pk, response.pk])
        in html
    )
    assert "Write an improvement plan" in html


def test_a_member_sees_the_answers_without_the_actions(member_client, mission, survey):
    response = response_for(survey, score=6)

    page = member_client.get(responses_url(mission))

    assert page.status_code == 200
    assert response.contact.full_name in page.content.decode()
    assert "response_mark_unclear" not in page.content.decode()
    assert "/unclear/" not in page.content.decode()
    assert "Write an improvement plan" not in page.content.decode()


def test_the_empty_page_says_when_the_first_survey_goes(lead_client, mission):
    page = lead_client.get(responses_url(mission))

    assert "No survey yet. The first one goes to the client" in page.content.decode()


def test_the_responses_page_query_count_does_not_grow(lead_client, mission, django_assert_num_queries):
    def add_round(day):
        survey = survey_for(mission, due_date=dt.date(2026, 3, day))
        for score in (6, 9):
            follow_up = follow_up_for(response_for(survey, score=score), raw=f"t-{day}-{score}")
            follow_up.reasons = ["low_score"]
            follow_up.save()

    add_round(2)
    lead_client.get(responses_url(mission))
    with django_assert_num_queries(9) as few:
        lead_client.get(responses_url(mission))
    for day in (3, 4, 5, 6):
        add_round(day)
    with django_assert_num_queries(len(few.captured_queries)):
        page = lead_client.get(responses_url(mission))
    assert page.content.decode().count('class="stack feedback-response"') == 10


def test_the_lead_marks_the_points_unclear_and_a_follow_up_opens(lead_client, mission, survey):
    response = response_for(survey, score=9, ranking="top10")

    page = lead_client.post(
        reverse("feedback:response_mark_unclear", args=[mission.collective.slug, mission.pk, response.pk]),
        follow=True,
    )

    response.refresh_from_db()
    assert response.improvements_unclear is True
    assert FollowUpCall.objects.get(response=response).reasons == ["improvements_unclear"]
    assert "is asked for a 30-minute call" in page.content.decode()


def test_a_member_cannot_mark_points_unclear(member_client, mission, survey):
    response = response_for(survey, score=9, ranking="top10")

    page = member_client.post(
        reverse("feedback:response_mark_unclear", args=[mission.collective.slug, mission.pk, response.pk])
    )

    assert page.status_code == 403
    assert SurveyResponse.objects.get(pk=response.pk).improvements_unclear is False
    assert FollowUpCall.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_marking_unclear_is_post_only(lead_client, mission, survey):
    response = response_for(survey, score=9, ranking="top10")

    page = lead_client.get(
        reverse("feedback:response_mark_unclear", args=[mission.collective.slug, mission.pk, response.pk])
    )

    assert page.status_code == 405
    assert FollowUpCall.objects.count() == 0


def test_the_lead_marks_the_call_done_and_the_task_is_done(lead_client, mission, survey):
    follow_up, _token = opened(survey)

    page = lead_client.post(
        reverse("feedback:follow_up_close", args=[mission.collective.slug, mission.pk, follow_up.pk]),
        {"state": "done"},
        follow=True,
    )

    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpCall.State.DONE
    assert Task.objects.get(pk=follow_up.task_id).status == Task.Status.DONE
    assert "marked as done" in page.content.decode()


def test_the_lead_marks_the_call_declined(lead_client, mission, survey):
    follow_up, _token = opened(survey)

    lead_client.post(
        reverse("feedback:follow_up_close", args=[mission.collective.slug, mission.pk, follow_up.pk]),
        {"state": "declined"},
    )

    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpCall.State.DECLINED


def test_a_member_cannot_close_a_follow_up(member_client, mission, survey):
    follow_up, _token = opened(survey)

    page = member_client.post(
        reverse("feedback:follow_up_close", args=[mission.collective.slug, mission.pk, follow_up.pk]),
        {"state": "done"},
    )

    assert page.status_code == 403
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpCall.State.REQUESTED
    assert Task.objects.get(pk=follow_up.task_id).status == Task.Status.TODO


# --- The client picks a slot ---------------------------------------------------------------------


def test_the_pick_page_shows_the_three_slots_in_the_contacts_language(client, survey):
    follow_up, token = opened(survey, language="fr")

    with time_machine.travel(NOW, tick=False):
        page = client.get(pick_url(token))

    assert page.status_code == 200
    html = page.content.decode()
    for value in follow_up.proposed_slots:
        assert f'value="{value}"' in html
    assert "vendredi 13 mars 2026, 10:00" in html
    assert 'type="radio"' in html
    assert '<html lang="fr">' in html


def read_ics(email) -> tuple[icalendar.Calendar, object]:
    attachment = email.attachments[0]
    assert attachment["mimetype"] == 'text/calendar; method=REQUEST; charset="utf-8"'
    text = outbox.attachment_content(attachment).decode()
    return icalendar.Calendar.from_ical(text), vobject.readOne(text)


def test_picking_a_slot_schedules_the_call_and_sends_the_invitation(client, mission, survey):
    follow_up, token = opened(survey, language="en")
    slot = follow_up.proposed_slots[1]

    with time_machine.travel(NOW, tick=False):
        page = client.post(pick_url(token), {"slot": slot}, follow=True)

    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpCall.State.SCHEDULED
    assert follow_up.chosen_slot == dt.datetime(2026, 3, 16, 14, 0, tzinfo=PARIS)
    assert follow_up.calendar_uid.startswith(f"follow-up-{follow_up.pk}-")
    assert "The call is scheduled" in page.content.decode()
    contact = follow_up.response.contact
    to_contact = OutboundEmail.objects.get(idempotency_key=f"follow_up:{follow_up.pk}:invite:0:contact")
    to_lead = OutboundEmail.objects.get(idempotency_key=f"follow_up:{follow_up.pk}:invite:0:lead")
    assert to_contact.to_email == contact.email
    assert to_contact.reply_to == mission.lead.email
    assert to_lead.to_email == mission.lead.email
    for email in (to_contact, to_lead):
        cal, vcal = read_ics(email)
        assert str(cal["METHOD"]) == "REQUEST"
        event = cal.walk("VEVENT")[0]
        assert str(event["UID"]) == follow_up.calendar_uid
        assert event["SEQUENCE"] == 0
        assert str(event["ORGANIZER"]) == f"mailto:{mission.lead.email}"
        attendees = {str(a): a.params for a in event["ATTENDEE"]}
        assert attendees[f"mailto:{contact.email}"]["RSVP"] == "TRUE"
        assert attendees[f"mailto:{mission.lead.email}"]["ROLE"] == "CHAIR"
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"
        assert event.decoded("DTSTART") == dt.datetime(2026, 3, 16, 14, 0, tzinfo=PARIS)
        assert event.decoded("DTEND") - event.decoded("DTSTART") == dt.timedelta(minutes=30)
        assert "DTSTAMP" in event
        assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Paris"
        assert vcal.method.value == "REQUEST"
        assert vcal.vevent.uid.value == follow_up.calendar_uid
        assert vcal.vevent.sequence.value == "0"
        assert vcal.vevent.organizer.value == f"mailto:{mission.lead.email}"
        assert vcal.vevent.dtstart.value == dt.datetime(2026, 3, 16, 14, 0, tzinfo=PARIS)
        assert vcal.vevent.dtstart.value.utcoffset() == dt.timedelta(hours=1)
        assert "DTSTART;TZID=Europe/Paris:20260316T140000" in cal.to_ical().decode()
        assert {a.value for a in vcal.vevent.attendee_list} == {
            f"mailto:{contact.email}",
            f"mailto:{mission.lead.email}",
        }
        rsvp = {a.value: a.params["RSVP"] for a in vcal.vevent.attendee_list}
        assert rsvp[f"mailto:{contact.email}"] == ["TRUE"]


def test_a_second_pick_is_refused_with_a_message(client, survey):
    follow_up, token = opened(survey, language="en")
    with time_machine.travel(NOW, tick=False):
        client.post(pick_url(token), {"slot": follow_up.proposed_slots[0]})
    emails = OutboundEmail.objects.count()

    with time_machine.travel(NOW, tick=False):
        page = client.post(pick_url(token), {"slot": follow_up.proposed_slots[2]})

    assert page.status_code == 400
    assert "This call is already scheduled. To change it, reply to the lead" in page.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.chosen_slot == dt.datetime(2026, 3, 13, 10, 0, tzinfo=PARIS)
    assert OutboundEmail.objects.count() == emails


def test_a_slot_not_proposed_is_refused(client, survey):
    follow_up, token = opened(survey, language="en")

    with time_machine.travel(NOW, tick=False):
        page = client.post(pick_url(token), {"slot": "2026-03-20T10:00:00+01:00"})

    assert page.status_code == 400
    assert "Choose one of the proposed slots." in page.content.decode()
    follow_up.refresh_from_db()
    assert follow_up.state == FollowUpCall.State.REQUESTED
    assert follow_up.chosen_slot is None


def test_a_passed_slot_is_refused(client, survey):
    follow_up, token = opened(survey, language="en")

    with time_machine.travel(dt.datetime(2026, 3, 13, 12, 0, tzinfo=PARIS), tick=False):
        page = client.post(pick_url(token), {"slot": follow_up.proposed_slots[0]})

    assert page.status_code == 400
    assert "This slot has passed." in page.content.decode()
    # What the contact chose stays checked.
    assert f'value="{follow_up.proposed_slots[0]}" checked' in page.content.decode()
    assert FollowUpCall.objects.get(pk=follow_up.pk).state == FollowUpCall.State.REQUESTED


def test_an_unknown_token_is_a_404(client):
    assert client.get(pick_url("not-a-token")).status_code == 404


def test_the_token_of_one_follow_up_never_picks_for_another(client):
    x_survey = survey_for(MissionFactory())
    y_survey = survey_for(MissionFactory())
    x = follow_up_for(response_for(x_survey, score=6), raw="token-x", slots=["2099-03-17T10:00:00+01:00"])
    y = follow_up_for(response_for(y_survey, score=6), raw="token-y", slots=["2099-03-18T14:00:00+01:00"])

    page = client.get(pick_url("token-x"))
    assert x_survey.mission.title in page.content.decode()
    assert y_survey.mission.title not in page.content.decode()
    assert "2099-03-18T14:00:00+01:00" not in page.content.decode()

    refused = client.post(pick_url("token-x"), {"slot": "2099-03-18T14:00:00+01:00"})

    assert refused.status_code == 400
    x.refresh_from_db()
    y.refresh_from_db()
    assert (x.state, x.chosen_slot) == (FollowUpCall.State.REQUESTED, None)
    assert (y.state, y.chosen_slot) == (FollowUpCall.State.REQUESTED, None)
    assert OutboundEmail.objects.count() == 0
