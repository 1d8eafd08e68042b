"""The survey schedule: day 14 then every 30 days, sponsor and project contacts, the feedback sender."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings

from cordee.clients.models import ClientContact
from cordee.core.models import OutboundEmail
from cordee.core.tokens import token_hash
from cordee.feedback.models import FeedbackOptOut, Survey, SurveyInvitation
from cordee.feedback.services.surveys import (
    survey_after_acceptance,
    survey_due_dates,
    surveys_schedule_run,
)
from cordee.feedback.tests.surveys_fixtures import (  # noqa: F401 - fixtures
    START,
    contacts_fixture,
    mission_fixture,
    paris,
    survey_keys,
    tick_at,
    token_for,
)
from cordee.missions.models import Deliverable, Mission
from cordee.missions.services.deliverables import deliverable_change_status
from cordee.missions.tests.factories import ClientContactFactory, DeliverableFactory, MissionFactory

# --- The pure schedule ----------------------------------------------------------------------------


def d(day: int) -> dt.date:
    return START + dt.timedelta(days=day)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (13, []),
        (14, [14]),
        (43, [14]),
        (44, [14, 44]),
        (104, [14, 44, 74, 104]),
        (133, [14, 44, 74, 104]),
        (134, [14, 44, 74, 104, 134]),
    ],
)
def test_due_dates_are_day_14_then_every_30_days(today, expected):
    assert survey_due_dates(START, 14, 30, d(today)) == [d(day) for day in expected]


def test_due_dates_follow_the_mission_s_own_delays():
    assert survey_due_dates(START, 7, 21, d(50)) == [d(7), d(28), d(49)]
    assert survey_due_dates(START, 0, 1, d(2)) == [d(0), d(1), d(2)]


def test_due_dates_before_the_start_are_empty():
    assert survey_due_dates(START, 14, 30, START - dt.timedelta(days=1)) == []


# --- Opening a round ------------------------------------------------------------------------------


def test_nothing_before_day_14_at_nine_in_the_collective_s_time_zone(mission, contacts):
    assert tick_at(paris(13, 23, 59)) == (0, 0)
    assert tick_at(paris(14, 8, 59)) == (0, 0)

    assert Survey.objects.count() == 0
    assert survey_keys() == set()


def test_day_14_invites_the_sponsor_and_the_project_contact_not_finance(mission, contacts):
    moment = paris(14, 9, 10)
    assert tick_at(moment) == (1, 0)

    survey = Survey.objects.get()
    assert (survey.mission, survey.trigger, survey.due_date) == (mission, Survey.Trigger.SCHEDULE, d(14))
    assert survey.sent_at == moment
    assert survey.closes_at == moment + dt.timedelta(days=10)
    invitations = SurveyInvitation.objects.filter(survey=survey).order_by("contact__full_name")
    assert [i.contact for i in invitations] == [contacts.sponsor, contacts.project]
    assert all(i.sent_at == moment and i.reminder_sent_at is None for i in invitations)
    assert survey_keys() == {
        f"survey:{survey.pk}:{contacts.sponsor.pk}",
        f"survey:{survey.pk}:{contacts.project.pk}",
    }


def test_the_email_comes_from_the_feedback_identity_with_the_personal_and_opt_out_links(mission, contacts):
    tick_at(paris(14, 9))
    survey = Survey.objects.get()
    invitation = SurveyInvitation.objects.get(contact=contacts.project)
    email = OutboundEmail.objects.get(idempotency_key=f"survey:{survey.pk}:{contacts.project.pk}")
    token = token_for(invitation)

    assert invitation.token_hash == token_hash(token)
    assert token not in invitation.token_hash
    assert email.to_email == "bob@client.fr"
    assert email.from_email == mission.collective.feedback_sender()
    assert "Feedback — Studio Nord" in email.from_email
    assert email.reply_to == mission.collective.feedback_sender_identity()[1]
    assert email.reply_to != mission.lead.email
    assert email.language == "en"
    assert email.subject == "“Refonte du site”: 5 minutes to tell us frankly how it is going"
    assert f"{settings.BASE_URL}/s/{token}/\n" in email.body_text
    assert f'href="{settings.BASE_URL}/s/{token}/"' in email.body_html
    assert f"/s/{token}/stop/" in email.body_text
    assert f"/s/{token}/stop/" in email.body_html
    assert "Hello Bob Project," in email.body_text
    assert "The survey is open until March 26, 2026" in email.body_text


def test_the_email_is_in_the_contact_s_language(mission, contacts):
    tick_at(paris(14, 9))
    email = OutboundEmail.objects.get(idempotency_key__endswith=f":{contacts.sponsor.pk}")

    assert email.language == "fr"
    assert email.to_email == "alice@client.fr"


def test_a_second_tick_the_same_day_sends_nothing_more(mission, contacts):
    tick_at(paris(14, 9))
    assert tick_at(paris(14, 10)) == (0, 0)
    assert tick_at(paris(15, 10)) == (0, 0)

    assert Survey.objects.count() == 1
    assert OutboundEmail.objects.count() == 2


def test_a_contact_who_opted_out_is_not_invited(mission, contacts):
    FeedbackOptOut.objects.create(collective=mission.collective, contact=contacts.sponsor)
    tick_at(paris(14, 9))

    assert [i.contact for i in SurveyInvitation.objects.all()] == [contacts.project]
    assert OutboundEmail.objects.filter(to_email="alice@client.fr").count() == 0


def test_no_round_when_every_contact_opted_out(mission, contacts):
    for contact in (contacts.sponsor, contacts.project):
        FeedbackOptOut.objects.create(collective=mission.collective, contact=contact)

    assert tick_at(paris(14, 9)) == (0, 0)
    assert Survey.objects.count() == 0


def test_contacts_of_another_client_are_not_invited(mission, contacts):
    other = ClientContactFactory(client__collective=mission.collective, role=ClientContact.Role.SPONSOR)
    tick_at(paris(14, 9))

    assert not SurveyInvitation.objects.filter(contact=other).exists()


@pytest.mark.parametrize(
    "status", [Mission.Status.DRAFT, Mission.Status.PAUSED, Mission.Status.DELIVERED, Mission.Status.CLOSED]
)
def test_a_mission_that_is_not_active_gets_no_round(mission, contacts, status):
    Mission.objects.filter(pk=mission.pk).update(status=status)

    assert tick_at(paris(14, 9)) == (0, 0)
    assert Survey.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_a_mission_with_surveys_off_gets_no_round(mission, contacts):
    Mission.objects.filter(pk=mission.pk).update(feedback_enabled=False)

    assert tick_at(paris(14, 9)) == (0, 0)
    assert Survey.objects.count() == 0


def test_the_mission_s_own_delays_win_over_the_collective_s(mission, contacts):
    mission.collective.feedback_first_after_days = 14
    mission.collective.save()
    Mission.objects.filter(pk=mission.pk).update(feedback_first_after_days=7, feedback_every_days=10)

    assert tick_at(paris(6, 12)) == (0, 0)
    assert tick_at(paris(7, 9)) == (1, 0)
    assert tick_at(paris(17, 9)) == (1, 0)
    assert list(Survey.objects.order_by("due_date").values_list("due_date", flat=True)) == [d(7), d(17)]


def test_after_a_stop_only_the_latest_round_is_caught_up(mission, contacts):
    """The worker was down from day 10 to day 50: the client gets the day-44 round, not day 14's too."""
    assert tick_at(paris(50, 3)) == (1, 0)

    assert list(Survey.objects.values_list("due_date", flat=True)) == [d(44)]


def test_a_round_is_not_caught_up_once_it_would_be_closed(mission, contacts):
    """Resumed on day 60 after a pause: no stale day-44 round, the next one comes on day 74."""
    assert tick_at(paris(60, 9)) == (0, 0)
    assert tick_at(paris(74, 9)) == (1, 0)
    assert list(Survey.objects.values_list("due_date", flat=True)) == [d(74)]


def test_a_concurrent_worker_that_created_the_round_wins(mission, contacts):
    """The existence check passed but the round exists: the unique constraint stops the second one."""
    with time_machine.travel(paris(14, 9), tick=False):
        Survey.objects.create(collective=mission.collective, mission=mission, due_date=d(14))
        from cordee.feedback.services.surveys import survey_round_open

        assert survey_round_open(mission=mission, due_date=d(14)) is None

    assert Survey.objects.count() == 1
    assert SurveyInvitation.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_a_tick_covers_every_active_mission_in_its_collective_s_time_zone(mission, contacts):
    other = MissionFactory(start_date=START, status=Mission.Status.ACTIVE)
    other.collective.time_zone = "America/New_York"
    other.collective.save()
    ClientContactFactory(client=other.client, role=ClientContact.Role.PROJECT)

    assert surveys_schedule_run(now=paris(14, 9)) == 1  # 3:00 in New York
    assert surveys_schedule_run(now=paris(14, 15)) == 1  # 9:00 in New York
    assert Survey.objects.filter(mission=other).count() == 1


# --- A round when a deliverable is accepted --------------------------------------------------------


def accept(deliverable, moment):
    with time_machine.travel(moment, tick=False):
        Deliverable.objects.filter(pk=deliverable.pk).update(status=Deliverable.Status.DELIVERED)
        deliverable.refresh_from_db()
        deliverable_change_status(
            deliverable=deliverable, status=Deliverable.Status.ACCEPTED, by=deliverable.mission.lead
        )


def test_an_accepted_deliverable_opens_a_round(mission, contacts):
    deliverable = DeliverableFactory(mission=mission)
    accept(deliverable, paris(30, 15))

    survey = Survey.objects.get()
    assert (survey.trigger, survey.due_date, survey.deliverable) == (
        Survey.Trigger.DELIVERABLE_ACCEPTED,
        d(30),
        deliverable,
    )
    assert survey.invitations.count() == 2
    assert OutboundEmail.objects.filter(idempotency_key__startswith=f"survey:{survey.pk}:").count() == 2


def test_no_acceptance_round_while_a_survey_is_open(mission, contacts):
    tick_at(paris(14, 9))
    accept(DeliverableFactory(mission=mission), paris(20, 15))

    assert Survey.objects.count() == 1


def test_no_acceptance_round_when_the_next_scheduled_round_is_near(mission, contacts):
    accept(DeliverableFactory(mission=mission), paris(36, 15))  # day 44 is 8 days away

    assert Survey.objects.count() == 0


def test_no_acceptance_round_for_a_mission_with_surveys_off(mission, contacts):
    Mission.objects.filter(pk=mission.pk).update(feedback_enabled=False)
    accept(DeliverableFactory(mission=mission), paris(30, 15))

    assert Survey.objects.count() == 0


def test_survey_after_acceptance_skips_a_paused_mission(mission, contacts):
    deliverable = DeliverableFactory(mission=mission)
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.PAUSED)

    assert survey_after_acceptance(deliverable, now=paris(30, 15)) is None
    assert Survey.objects.count() == 0


# --- Email previews --------------------------------------------------------------------------------


def test_the_survey_emails_can_be_previewed_without_writing_anything(mission, contacts):
    from cordee.core.outbox import render_email
    from cordee.feedback.services.surveys import email_previews

    kinds = {kind.key: kind for kind in email_previews()}
    assert list(kinds) == ["survey", "survey_reminder"]
    template, context = kinds["survey_reminder"].build(mission, contacts.project, {})
    subject, text, _html = render_email(template, context, "en")

    assert subject == "Reminder: your opinion on “Refonte du site” (5 minutes)"
    assert "/s/example/stop/" in text
    assert (Survey.objects.count(), SurveyInvitation.objects.count(), OutboundEmail.objects.count()) == (
        0,
        0,
        0,
    )
