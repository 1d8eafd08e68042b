# ruff: noqa: F811 - the fixtures imported from recap_fixtures are requested by name
"""The recap schedule: one draft per slot over weeks, caught up once after a stop, sent automatically
when the collective allows it; ticks in time travel, and two workers at once."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connections

from cordee.communication.models import Recap
from cordee.communication.services.recaps import (
    recap_draft,
    recap_due_slot,
    recap_next_slot,
    recap_send,
    recap_update,
    recaps_auto_send_run,
    recaps_schedule_run,
)
from cordee.communication.services.recaps import (
    recaps_tick as recaps_run,
)
from cordee.communication.tests.recap_fixtures import (  # noqa: F401 - fixtures
    MONDAY,
    PARIS,
    at,
    client_company,
    contacts,
    english,
    mission,
    paris,
    people,
    set_weekdays,
)
from cordee.core.models import OutboundEmail
from cordee.missions.models import Mission, MissionEvent
from cordee.missions.tests.factories import DeliverableFactory
from cordee.schedule import recaps_tick

pytestmark = pytest.mark.django_db

TUESDAY, FRIDAY = 1, 4


def tick(moment: dt.datetime):
    with time_machine.travel(moment, tick=False):
        return recaps_tick.call_local()


def run_ticks(start: dt.datetime, end: dt.datetime, every=dt.timedelta(hours=2)) -> None:
    moment = start
    while moment <= end:
        tick(moment)
        moment += every


def slots(mission) -> list[dt.date]:
    return list(
        Recap.objects.filter(mission=mission).order_by("slot_date").values_list("slot_date", flat=True)
    )


def draft_ready_keys(mission) -> list[str]:
    recaps = Recap.objects.filter(mission=mission).order_by("slot_date")
    return [
        key
        for key in OutboundEmail.objects.filter(idempotency_key__endswith=":draft-ready")
        .order_by("pk")
        .values_list("idempotency_key", flat=True)
        if int(key.split(":")[1]) in {recap.pk for recap in recaps}
    ]


# --- The rule, pure ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (paris(dt.date(2026, 3, 6), 7, 59), None),  # Friday before 8:00, the first slot is not due yet
        (paris(dt.date(2026, 3, 6), 8), dt.date(2026, 3, 6)),
        (paris(dt.date(2026, 3, 9), 10), dt.date(2026, 3, 6)),  # Monday: Friday's is the latest
        (paris(dt.date(2026, 3, 13), 7), dt.date(2026, 3, 6)),
        (paris(dt.date(2026, 3, 13), 9), dt.date(2026, 3, 13)),
    ],
)
def test_the_due_slot_is_the_most_recent_recap_day_after_the_activation(now, expected):
    assert recap_due_slot(weekdays=[FRIDAY], activated_on=MONDAY, now_local=now, draft_hour=8) == expected


def test_the_activation_day_is_not_a_slot():
    friday = dt.date(2026, 3, 6)
    assert (
        recap_due_slot(weekdays=[FRIDAY], activated_on=friday, now_local=paris(friday, 18), draft_hour=8)
        is None
    )
    assert recap_next_slot(
        weekdays=[FRIDAY], activated_on=friday, now_local=paris(friday, 18), draft_hour=8, drafted=set()
    ) == dt.date(2026, 3, 13)


def test_the_next_slot_skips_the_one_already_drafted():
    friday = dt.date(2026, 3, 6)
    now = paris(friday, 9)
    assert (
        recap_next_slot(
            weekdays=[TUESDAY, FRIDAY], activated_on=MONDAY, now_local=now, draft_hour=8, drafted=set()
        )
        == friday
    )
    assert recap_next_slot(
        weekdays=[TUESDAY, FRIDAY], activated_on=MONDAY, now_local=now, draft_hour=8, drafted={friday}
    ) == dt.date(2026, 3, 10)


def test_no_weekday_no_slot():
    assert (
        recap_due_slot(weekdays=[], activated_on=MONDAY, now_local=paris(dt.date(2026, 3, 6)), draft_hour=8)
        is None
    )


# --- Weeks of ticks ----------------------------------------------------------------------------


def test_one_recap_a_week_for_four_weeks_one_draft_per_friday(mission, contacts, people):
    run_ticks(paris(MONDAY, 9, 5), paris(dt.date(2026, 3, 29), 23))

    assert slots(mission) == [
        dt.date(2026, 3, 6),
        dt.date(2026, 3, 13),
        dt.date(2026, 3, 20),
        dt.date(2026, 3, 27),
    ]
    recaps = list(Recap.objects.filter(mission=mission).order_by("slot_date"))
    # Each draft was made on its Friday, from 8:00 (the first tick at or after it).
    assert [timezone_local(recap.created_at) for recap in recaps] == [
        paris(dt.date(2026, 3, day), 9, 5) for day in (6, 13, 20, 27)
    ]
    # A new draft supersedes the older one nobody touched: one recap waits at a time.
    assert [recap.state for recap in recaps] == ["skipped", "skipped", "skipped", "draft"]
    assert draft_ready_keys(mission) == [f"recap:{recap.pk}:draft-ready" for recap in recaps]
    assert OutboundEmail.objects.filter(to_email=people.lead.email).count() == 4


def timezone_local(moment):
    return moment.astimezone(PARIS)


def test_two_recaps_a_week_for_three_weeks_one_draft_per_tuesday_and_friday(mission, contacts):
    set_weekdays(mission, [TUESDAY, FRIDAY])

    run_ticks(paris(MONDAY, 9, 5), paris(dt.date(2026, 3, 22), 23), every=dt.timedelta(minutes=45))

    assert slots(mission) == [dt.date(2026, 3, day) for day in (3, 6, 10, 13, 17, 20)]
    assert len(draft_ready_keys(mission)) == 6


def test_sent_recaps_stay_sent_and_each_slot_is_drafted_once(mission, contacts, people):
    """The lead sends each Friday's recap; the next one covers since then."""
    for week in range(3):
        friday = dt.date(2026, 3, 6) + dt.timedelta(days=7 * week)
        run_ticks(paris(friday - dt.timedelta(days=4)), paris(friday, 12))
        recap = Recap.objects.get(mission=mission, slot_date=friday)
        with at(friday, 14):
            recap_send(recap=recap, by=people.lead)
    run_ticks(paris(dt.date(2026, 3, 20), 14), paris(dt.date(2026, 3, 22), 23))

    recaps = list(Recap.objects.filter(mission=mission).order_by("slot_date"))
    assert [(recap.slot_date, recap.state) for recap in recaps] == [
        (dt.date(2026, 3, 6), "sent"),
        (dt.date(2026, 3, 13), "sent"),
        (dt.date(2026, 3, 20), "sent"),
    ]
    assert recaps[1].period_start == recaps[0].created_at
    assert recaps[2].period_start == recaps[1].created_at


def test_after_two_days_down_the_missed_slot_is_drafted_once_by_two_ticks_at_once(mission, contacts):
    set_weekdays(mission, [TUESDAY, FRIDAY])
    run_ticks(paris(MONDAY, 9, 5), paris(dt.date(2026, 3, 11), 23))  # Tuesday 3, Friday 6, Tuesday 10
    assert slots(mission) == [dt.date(2026, 3, 3), dt.date(2026, 3, 6), dt.date(2026, 3, 10)]

    # The worker is down on Thursday 12 and Friday 13; it comes back on Saturday and two ticks run: the
    # copy the second consumer enqueued for the same period is skipped by the job's lease, and the drafting
    # itself, run once more, finds nothing left to draft.
    saturday = paris(dt.date(2026, 3, 14), 6)
    assert [tick(saturday), tick(saturday)] == [(1, 0), None]
    with time_machine.travel(saturday, tick=False):
        assert recaps_run() == (0, 0)

    assert slots(mission) == [dt.date(2026, 3, day) for day in (3, 6, 10, 13)]
    friday_recap = Recap.objects.get(mission=mission, slot_date=dt.date(2026, 3, 13))
    assert friday_recap.created_at == saturday
    assert OutboundEmail.objects.filter(idempotency_key=f"recap:{friday_recap.pk}:draft-ready").count() == 1
    run_ticks(saturday, paris(dt.date(2026, 3, 17), 23))
    assert slots(mission) == [dt.date(2026, 3, day) for day in (3, 6, 10, 13, 17)]


def test_when_down_over_several_slots_only_the_most_recent_is_drafted(mission, contacts):
    """The documented rule: a recap covering everything since the last one, not a burst of stale ones."""
    set_weekdays(mission, [TUESDAY, FRIDAY])
    run_ticks(paris(MONDAY, 9, 5), paris(dt.date(2026, 3, 8), 23))  # Tuesday 3 and Friday 6
    # Down from Monday 9 to Saturday 14: Tuesday 10 and Friday 13 pass.
    run_ticks(paris(dt.date(2026, 3, 14), 10), paris(dt.date(2026, 3, 16), 10))

    assert slots(mission) == [dt.date(2026, 3, 3), dt.date(2026, 3, 6), dt.date(2026, 3, 13)]


def test_a_second_draft_of_the_same_slot_is_refused_by_the_database(mission, contacts):
    friday = dt.date(2026, 3, 6)
    first = recap_draft(mission=mission, slot_date=friday, now=paris(friday, 9))

    assert recap_draft(mission=mission, slot_date=friday, now=paris(friday, 9)) is None
    assert list(Recap.objects.filter(mission=mission).values_list("pk", flat=True)) == [first.pk]


def test_an_edited_draft_is_not_superseded(mission, contacts, people):
    with at(dt.date(2026, 3, 6), 9):
        first = recap_draft(mission=mission, slot_date=dt.date(2026, 3, 6))
        recap_update(
            recap=first, by=people.lead, subject=first.subject, body=first.body + "\n\nPS: photos soon."
        )
    with at(dt.date(2026, 3, 13), 9):
        recap_draft(mission=mission, slot_date=dt.date(2026, 3, 13))

    assert list(
        Recap.objects.filter(mission=mission).order_by("slot_date").values_list("state", flat=True)
    ) == [
        "draft",
        "draft",
    ]


def test_paused_missions_get_no_draft(mission, contacts):
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.PAUSED)
    run_ticks(paris(MONDAY, 9, 5), paris(dt.date(2026, 3, 14), 23))
    assert slots(mission) == []


def test_the_lead_is_told_in_their_language_with_a_link_to_the_editor(mission, contacts, people):
    DeliverableFactory(mission=mission, title="Mockups", announced_date=dt.date(2026, 3, 18))
    tick(paris(dt.date(2026, 3, 6), 8))

    recap = Recap.objects.get(mission=mission)
    email = OutboundEmail.objects.get(idempotency_key=f"recap:{recap.pk}:draft-ready")
    assert email.to_email == "lea@studio.fr"
    assert email.language == "en"
    assert email.subject == "Site refresh: the progress recap is ready for your review"
    assert (
        f"http://testserver/collectives/{mission.collective.slug}/missions/{mission.pk}/communication/recaps/{recap.pk}/"
        in email.body_text.replace("http://127.0.0.1:8000", "http://testserver")
    )
    assert "According to the deliverables' health, the announced dates hold." in email.body_text
    assert "goes out automatically" not in email.body_text


# --- Automatic sending -------------------------------------------------------------------------


@pytest.fixture
def auto_send(collective):
    collective.recaps_auto_send = True
    collective.recaps_auto_send_hour = 17
    collective.save(update_fields=["recaps_auto_send", "recaps_auto_send_hour"])
    return collective


def test_an_untouched_draft_goes_out_at_the_collectives_hour_on_its_day(mission, contacts, auto_send):
    friday = dt.date(2026, 3, 6)
    assert tick(paris(friday, 8)) == (1, 0)
    assert tick(paris(friday, 16, 45)) == (0, 0)

    assert tick(paris(friday, 17)) == (0, 1)
    assert tick(paris(friday, 17, 15)) == (0, 0)

    recap = Recap.objects.get(mission=mission)
    assert (recap.state, recap.sent_automatically, recap.sent_by, recap.sent_at) == (
        "sent",
        True,
        None,
        paris(friday, 17),
    )
    sent = OutboundEmail.objects.filter(idempotency_key__startswith=f"recap:{recap.pk}:send:").order_by(
        "to_email"
    )
    assert [(email.to_email, email.language) for email in sent] == [
        ("claire@lenoir.fr", "en"),
        ("paul@lenoir.fr", "fr"),
    ]  # not Fanny, the finance contact
    event = MissionEvent.objects.get(mission=mission, kind=MissionEvent.Kind.RECAP_SENT)
    assert event.actor is None
    assert event.data["automatic"] is True


def test_the_lead_is_told_when_the_draft_will_go_out_by_itself(mission, contacts, auto_send):
    tick(paris(dt.date(2026, 3, 6), 8))
    recap = Recap.objects.get(mission=mission)
    email = OutboundEmail.objects.get(idempotency_key=f"recap:{recap.pk}:draft-ready")
    assert "If you do not touch it, it goes out automatically at 5 p.m. today." in email.body_text


def test_an_edited_draft_waits_for_the_lead(mission, contacts, people, auto_send):
    friday = dt.date(2026, 3, 6)
    tick(paris(friday, 8))
    recap = Recap.objects.get(mission=mission)
    with at(friday, 10):
        recap_update(recap=recap, by=people.lead, subject=recap.subject, body=recap.body + "\n\nPS")

    assert tick(paris(friday, 17)) == (0, 0)
    recap.refresh_from_db()
    assert recap.state == "draft"
    assert not OutboundEmail.objects.filter(idempotency_key__startswith=f"recap:{recap.pk}:send:").exists()


def test_a_draft_not_sent_on_its_day_waits_for_the_lead(mission, contacts, auto_send):
    friday = dt.date(2026, 3, 6)
    tick(paris(friday, 8))
    # The worker was down on Friday evening: on Saturday nothing goes out by itself.
    assert tick(paris(friday + dt.timedelta(days=1), 9)) == (0, 0)
    assert Recap.objects.get(mission=mission).state == "draft"


def test_without_the_collectives_consent_nothing_is_sent(mission, contacts):
    friday = dt.date(2026, 3, 6)
    tick(paris(friday, 8))
    assert tick(paris(friday, 18)) == (0, 0)
    assert Recap.objects.get(mission=mission).state == "draft"


def test_without_recipients_the_automatic_sending_leaves_the_draft(mission, auto_send):
    friday = dt.date(2026, 3, 6)
    tick(paris(friday, 8))
    assert tick(paris(friday, 17)) == (0, 1)  # handed to the worker, which finds nobody to send it to
    assert Recap.objects.get(mission=mission).state == "draft"


def test_an_early_sending_hour_drafts_earlier(mission, contacts, auto_send):
    auto_send.recaps_auto_send_hour = 6
    auto_send.save(update_fields=["recaps_auto_send_hour"])
    friday = dt.date(2026, 3, 6)
    assert tick(paris(friday, 5, 45)) == (0, 0)
    assert tick(paris(friday, 6)) == (1, 1)


def test_the_lead_sending_first_wins_over_the_automatic_sending(mission, contacts, people, auto_send):
    friday = dt.date(2026, 3, 6)
    tick(paris(friday, 8))
    recap = Recap.objects.get(mission=mission)
    with at(friday, 16, 59):
        recap_send(recap=recap, by=people.lead)

    assert recaps_auto_send_run(now=paris(friday, 17)) == 0
    assert OutboundEmail.objects.filter(idempotency_key__startswith=f"recap:{recap.pk}:send:").count() == 2
    recap.refresh_from_db()
    assert (recap.sent_automatically, recap.sent_by) == (False, people.lead)


# --- Real concurrency --------------------------------------------------------------------------


def _together(count: int, work) -> tuple[list, list]:
    start = threading.Barrier(count)
    results, errors = [], []

    def worker():
        try:
            start.wait(timeout=10)
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
def test_two_workers_ticking_at_once_draft_each_slot_once(mission, contacts):
    """Two threads, two database connections (real row locks on PostgreSQL, in CI's second pass)."""
    moment = paris(dt.date(2026, 3, 6), 9)
    results, errors = _together(2, lambda: recaps_schedule_run(now=moment))

    assert errors == []
    assert sorted(results) == [0, 1]
    [recap] = Recap.objects.filter(mission=mission)
    assert OutboundEmail.objects.filter(idempotency_key=f"recap:{recap.pk}:draft-ready").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_drafting_the_same_slot_race_on_the_unique_constraint(mission, contacts):
    """Both pass the existence check; the database lets one insert win."""
    friday = dt.date(2026, 3, 6)
    results, errors = _together(
        3, lambda: recap_draft(mission=mission, slot_date=friday, now=paris(friday, 9))
    )

    assert errors == []
    assert sorted(result is None for result in results) == [False, True, True]
    assert Recap.objects.filter(mission=mission, slot_date=friday).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_automatically_at_once_send_once(mission, contacts, auto_send):
    friday = dt.date(2026, 3, 6)
    recap_draft(mission=mission, slot_date=friday, now=paris(friday, 8))
    results, errors = _together(2, lambda: recaps_auto_send_run(now=paris(friday, 17)))

    assert errors == []
    assert sorted(results) == [0, 1]
    assert OutboundEmail.objects.filter(idempotency_key__contains=":send:").count() == 2
    assert MissionEvent.objects.filter(mission=mission, kind=MissionEvent.Kind.RECAP_SENT).count() == 1


@pytest.mark.django_db(transaction=True)
def test_after_a_stop_two_workers_at_once_catch_up_the_missed_slot_once(mission, contacts):
    """Weeks of ticks, two days without any, then two workers at the same moment on real connections."""
    set_weekdays(mission, [TUESDAY, FRIDAY])
    run_ticks(paris(MONDAY, 9, 5), paris(dt.date(2026, 3, 11), 23), every=dt.timedelta(hours=3))
    saturday = paris(dt.date(2026, 3, 14), 6)

    results, errors = _together(2, lambda: recaps_schedule_run(now=saturday))

    assert errors == []
    assert sorted(results) == [0, 1]
    assert slots(mission) == [dt.date(2026, 3, day) for day in (3, 6, 10, 13)]
    assert len(draft_ready_keys(mission)) == 4
