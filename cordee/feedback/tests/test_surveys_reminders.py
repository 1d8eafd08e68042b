"""One reminder 3 days after sending, to non-responders only; the 4-month schedule; concurrent workers."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connections

from cordee.core.models import OutboundEmail
from cordee.feedback.models import FeedbackOptOut, Survey, SurveyInvitation, SurveyResponse
from cordee.feedback.services.surveys import (
    feedback_opt_out,
    survey_answer,
    survey_reminders_run,
    surveys_tick,
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
from cordee.missions.models import Mission

ANSWER = {"appreciated": ["Réactivité"], "improvements": [], "score": 9, "ranking": "top10", "comment": ""}


def answer(contact, moment, **changes):
    invitation = (
        SurveyInvitation.objects.filter(contact=contact)
        .select_related("survey__collective", "contact")
        .latest("pk")
    )
    with time_machine.travel(moment, tick=False):
        return survey_answer(invitation=invitation, data={**ANSWER, **changes})


def reminder_keys() -> set[str]:
    return {key for key in survey_keys() if key.endswith(":reminder")}


def test_the_reminder_goes_3_days_after_sending_to_each_non_responder(mission, contacts):
    tick_at(paris(14, 9))
    survey = Survey.objects.get()
    answer(contacts.sponsor, paris(15, 11))

    assert tick_at(paris(17, 8, 59)) == (0, 0)
    assert tick_at(paris(17, 9)) == (0, 1)

    assert reminder_keys() == {f"survey:{survey.pk}:{contacts.project.pk}:reminder"}
    invitation = SurveyInvitation.objects.get(contact=contacts.project)
    assert invitation.reminder_sent_at == paris(17, 9)
    email = OutboundEmail.objects.get(idempotency_key=f"survey:{survey.pk}:{contacts.project.pk}:reminder")
    assert email.from_email == mission.collective.feedback_sender()
    assert email.reply_to == mission.collective.feedback_sender_identity()[1]
    assert email.subject == "Reminder: your opinion on “Refonte du site” (5 minutes)"
    assert f"/s/{token_for(invitation)}/" in email.body_text
    assert f"/s/{token_for(invitation)}/stop/" in email.body_text
    assert SurveyInvitation.objects.get(contact=contacts.sponsor).reminder_sent_at is None


def test_only_one_reminder_whatever_the_ticks(mission, contacts):
    tick_at(paris(14, 9))
    tick_at(paris(17, 9))

    for moment in (paris(17, 10), paris(18, 9), paris(20, 9)):
        assert tick_at(moment) == (0, 0)
    assert len(reminder_keys()) == 2


def test_no_reminder_to_a_contact_who_opted_out(mission, contacts):
    tick_at(paris(14, 9))
    feedback_opt_out(contact=contacts.project)

    tick_at(paris(17, 9))
    assert reminder_keys() == {f"survey:{Survey.objects.get().pk}:{contacts.sponsor.pk}:reminder"}


@pytest.mark.parametrize("status", [Mission.Status.PAUSED, Mission.Status.DELIVERED, Mission.Status.CLOSED])
def test_no_reminder_once_the_mission_is_no_longer_active(mission, contacts, status):
    tick_at(paris(14, 9))
    Mission.objects.filter(pk=mission.pk).update(status=status)

    assert tick_at(paris(17, 9)) == (0, 0)
    assert reminder_keys() == set()


def test_no_reminder_once_the_survey_is_closed(mission, contacts):
    """The worker was down from day 16 to day 25: the round closed on day 24, no reminder any more."""
    tick_at(paris(14, 9))

    assert survey_reminders_run(now=paris(24, 9, 1)) == 0
    assert reminder_keys() == set()


def test_a_late_worker_still_reminds_while_the_survey_is_open(mission, contacts):
    tick_at(paris(14, 9))

    assert survey_reminders_run(now=paris(20, 9)) == 2


# --- Four months of a mission, hour by hour ---------------------------------------------------------


def run_days(first: int, last: int, every_hours: int = 3) -> dict[str, int]:
    """Tick from day `first` to day `last` (included); the day of the mission each new email went on."""
    seen = survey_keys()
    sent_on = {}
    moment = paris(first, 0)
    end = paris(last, 23, 59)
    while moment <= end:
        tick_at(moment)
        for key in survey_keys() - seen:
            sent_on[key] = (moment.date() - START).days
        seen = survey_keys()
        moment += dt.timedelta(hours=every_hours)
    return sent_on


def emails_by_day(sent_on: dict[str, int], contact) -> list[tuple[int, str]]:
    return sorted(
        (day, "reminder" if key.endswith(":reminder") else "survey")
        for key, day in sent_on.items()
        if key.split(":")[2] == str(contact.pk)
    )


def test_four_months_surveys_on_days_14_44_74_104_and_reminders_3_days_after_to_non_responders(
    mission, contacts
):
    sent_on = run_days(0, 16)
    answer(contacts.sponsor, paris(16, 10))  # answers the first round before its reminder
    sent_on |= run_days(17, 45)
    answer(contacts.sponsor, paris(46, 10))  # and the second
    sent_on |= run_days(47, 125)

    assert list(Survey.objects.order_by("due_date").values_list("due_date", flat=True)) == [
        START + dt.timedelta(days=day) for day in (14, 44, 74, 104)
    ]
    assert emails_by_day(sent_on, contacts.project) == [
        (14, "survey"), (17, "reminder"), (44, "survey"), (47, "reminder"),
        (74, "survey"), (77, "reminder"), (104, "survey"), (107, "reminder"),
    ]  # fmt: skip
    assert emails_by_day(sent_on, contacts.sponsor) == [
        (14, "survey"), (44, "survey"), (74, "survey"), (77, "reminder"), (104, "survey"), (107, "reminder"),
    ]  # fmt: skip
    assert emails_by_day(sent_on, contacts.finance) == []
    assert [survey.sent_at for survey in Survey.objects.order_by("due_date")] == [
        paris(day, 9) for day in (14, 44, 74, 104)
    ]


def test_four_months_nothing_after_an_opt_out(mission, contacts):
    sent_on = run_days(0, 45)
    with time_machine.travel(paris(45, 12), tick=False):
        feedback_opt_out(contact=contacts.project)
    sent_on |= run_days(46, 125)

    assert emails_by_day(sent_on, contacts.project) == [(14, "survey"), (17, "reminder"), (44, "survey")]
    assert len(emails_by_day(sent_on, contacts.sponsor)) == 8
    assert FeedbackOptOut.objects.filter(contact=contacts.project).count() == 1


def test_four_months_nothing_while_paused_and_nothing_once_closed(mission, contacts):
    sent_on = run_days(0, 45)
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.PAUSED)  # day 46: no reminder on 47
    sent_on |= run_days(46, 89)  # no round on 74
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.ACTIVE)
    sent_on |= run_days(90, 105)  # the day-74 round, closed by now, is not caught up; day 104's goes
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.CLOSED)  # day 106: no reminder on 107
    sent_on |= run_days(106, 140)

    assert emails_by_day(sent_on, contacts.project) == [
        (14, "survey"),
        (17, "reminder"),
        (44, "survey"),
        (104, "survey"),
    ]
    assert list(Survey.objects.order_by("due_date").values_list("due_date", flat=True)) == [
        START + dt.timedelta(days=day) for day in (14, 44, 104)
    ]


def test_an_answer_edited_later_still_stops_the_reminder(mission, contacts):
    tick_at(paris(14, 9))
    answer(contacts.project, paris(15, 9))
    answer(contacts.project, paris(16, 9), score=4)

    tick_at(paris(17, 9))
    assert SurveyResponse.objects.get(contact=contacts.project).score == 4
    assert reminder_keys() == {f"survey:{Survey.objects.get().pk}:{contacts.sponsor.pk}:reminder"}


# --- Two workers at once, on real connections ------------------------------------------------------


def together(count: int, work) -> tuple[list, list]:
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(work())
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_ticks_at_once_send_one_survey_and_one_reminder_per_contact(mission, contacts):
    """Two threads, two database connections (real row locks on PostgreSQL, in CI's second pass)."""
    results, errors = together(2, lambda: surveys_tick(now=paris(14, 9)))
    assert errors == []
    assert sorted(results) == [(0, 0), (1, 0)]

    SurveyInvitation.objects.update(sent_at=paris(14, 9))
    results, errors = together(2, lambda: surveys_tick(now=paris(17, 9)))
    assert errors == []
    assert sorted(schedule for schedule, _reminders in results) == [0, 0]
    assert sum(reminders for _schedule, reminders in results) == 2

    survey = Survey.objects.get()
    assert SurveyInvitation.objects.filter(survey=survey).count() == 2
    assert sorted(OutboundEmail.objects.values_list("idempotency_key", flat=True)) == sorted(
        [
            f"survey:{survey.pk}:{contacts.sponsor.pk}",
            f"survey:{survey.pk}:{contacts.project.pk}",
            f"survey:{survey.pk}:{contacts.sponsor.pk}:reminder",
            f"survey:{survey.pk}:{contacts.project.pk}:reminder",
        ]
    )


@pytest.mark.django_db(transaction=True)
def test_three_workers_opening_the_same_round_race_on_the_unique_constraint(mission, contacts):
    from cordee.feedback.services.surveys import survey_round_open

    due = START + dt.timedelta(days=14)
    results, errors = together(3, lambda: survey_round_open(mission=mission, due_date=due, now=paris(14, 9)))

    assert errors == []
    assert sorted(result is None for result in results) == [False, True, True]
    assert Survey.objects.count() == 1
    assert OutboundEmail.objects.count() == 2
