"""The lead is reminded when the week's video is missing on Thursday 9:00 in the collective's time zone."""

import datetime as dt
import inspect
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cordee.communication.services.ritual_videos import ritual_video_post
from cordee.communication.tests.rituals_factories import PARIS, AsyncMissionFactory, RitualVideoFactory
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import CollectiveFactory
from cordee.missions.models import Mission
from cordee.missions.tests.factories import MissionFactory
from cordee.schedule import ritual_videos_reminder_tick

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)
THURSDAY = dt.date(2026, 3, 5)
MONTREAL = ZoneInfo("America/Montreal")


def at(day: dt.date, hour: int, minute: int = 0, zone=PARIS):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone), tick=False)


def tick(day: dt.date, hour: int, minute: int = 0, zone=PARIS) -> int:
    with at(day, hour, minute, zone):
        # The job's body: its once-per-period lease has its own tests (core/tests/test_locks.py).
        return inspect.unwrap(ritual_videos_reminder_tick.func)()


def reminders():
    return list(OutboundEmail.objects.order_by("pk").values_list("to_email", "idempotency_key"))


@pytest.fixture
def mission():
    with at(dt.date(2026, 2, 23), 10):
        mission = AsyncMissionFactory(
            title="Refonte boutique", activated_at=dt.datetime(2026, 2, 23, 10, tzinfo=PARIS)
        )
    return mission


def test_a_missing_video_brings_one_reminder_on_thursday_at_9(mission):
    assert tick(MONDAY, 9) == 0
    assert tick(THURSDAY, 8, 59) == 0
    assert reminders() == []

    assert tick(THURSDAY, 9) == 1

    assert reminders() == [(mission.lead.email, f"video-reminder:{mission.pk}:2026-03-02")]
    email = OutboundEmail.objects.get()
    assert email.language == mission.lead.language
    assert email.from_email == mission.collective.notification_sender()
    assert email.collective == mission.collective
    assert (
        f"/collectives/{mission.collective.slug}/missions/{mission.pk}/communication/weekly-videos/"
        in email.body_text
    )


def test_two_ticks_send_one_email(mission):
    assert tick(THURSDAY, 9) == 1
    assert tick(THURSDAY, 10) == 0
    assert tick(dt.date(2026, 3, 6), 9) == 0

    assert len(reminders()) == 1


def test_a_posted_video_means_no_reminder(mission):
    with at(dt.date(2026, 3, 3), 17):
        ritual_video_post(
            mission=mission,
            week_start=MONDAY,
            video_link="https://loom.com/x",
            summary="Priorités",
            by=mission.lead,
        )
    OutboundEmail.objects.all().delete()  # the client's notifications are not what this test is about

    assert tick(THURSDAY, 9) == 0
    assert tick(dt.date(2026, 3, 8), 22) == 0
    assert reminders() == []


def test_a_video_posted_the_week_before_for_this_week_counts(mission):
    RitualVideoFactory(mission=mission, week_start=MONDAY)
    RitualVideoFactory(mission=mission, week_start=dt.date(2026, 2, 23))

    assert tick(THURSDAY, 9) == 0


def test_last_weeks_video_does_not_cover_this_week(mission):
    RitualVideoFactory(mission=mission, week_start=dt.date(2026, 2, 23))

    assert tick(THURSDAY, 9) == 1


def test_a_missed_thursday_is_caught_up_later_in_the_week(mission):
    assert tick(dt.date(2026, 3, 7), 15) == 1  # Saturday, the worker was down on Thursday and Friday
    assert tick(dt.date(2026, 3, 8), 23, 30) == 0

    assert reminders() == [(mission.lead.email, f"video-reminder:{mission.pk}:2026-03-02")]


def test_each_week_without_video_brings_its_own_reminder_over_several_weeks(mission):
    for week in range(4):
        monday = MONDAY + dt.timedelta(weeks=week)
        if week == 2:
            RitualVideoFactory(mission=mission, week_start=monday)
        for day in range(7):
            for hour in (0, 9, 18):
                tick(monday + dt.timedelta(days=day), hour)

    assert [key for _to, key in reminders()] == [
        f"video-reminder:{mission.pk}:2026-03-02",
        f"video-reminder:{mission.pk}:2026-03-09",
        f"video-reminder:{mission.pk}:2026-03-23",
    ]


def test_the_hour_follows_the_collectives_time_zone_across_daylight_saving():
    # The week of 30 March 2026 starts on Paris summer time (UTC+2): Thursday 9:00 is 7:00 UTC.
    with at(dt.date(2026, 3, 23), 10):
        AsyncMissionFactory()
    assert tick(dt.date(2026, 4, 2), 8, 59) == 0
    assert tick(dt.date(2026, 4, 2), 9) == 1


def test_a_collective_in_another_time_zone_is_reminded_at_its_own_9_oclock():
    collective = CollectiveFactory(time_zone="America/Montreal")
    with at(dt.date(2026, 2, 23), 10):
        mission = AsyncMissionFactory(collective=collective)

    assert tick(THURSDAY, 9) == 0  # 9:00 in Paris is 3:00 in Montréal
    assert tick(THURSDAY, 8, 59, zone=MONTREAL) == 0
    assert tick(THURSDAY, 9, 0, zone=MONTREAL) == 1
    assert reminders() == [(mission.lead.email, f"video-reminder:{mission.pk}:2026-03-02")]


@pytest.mark.parametrize(
    "status", [Mission.Status.DRAFT, Mission.Status.PAUSED, Mission.Status.DELIVERED, Mission.Status.CLOSED]
)
def test_missions_that_are_not_active_get_no_reminder(status):
    with at(dt.date(2026, 2, 23), 10):
        AsyncMissionFactory(status=status)

    assert tick(THURSDAY, 9) == 0
    assert reminders() == []


def test_missions_whose_ritual_is_a_call_get_no_reminder():
    with at(dt.date(2026, 2, 23), 10):
        MissionFactory(ritual_kind=Mission.RitualKind.SYNC_CALL)

    assert tick(THURSDAY, 9) == 0
    assert reminders() == []


def test_a_deactivated_lead_is_not_emailed(mission):
    mission.lead.is_active = False
    mission.lead.save()

    assert tick(THURSDAY, 9) == 0
    assert reminders() == []


def test_a_mission_activated_after_thursday_9_waits_for_the_next_week():
    with at(dt.date(2026, 3, 6), 10):
        mission = AsyncMissionFactory(activated_at=dt.datetime(2026, 3, 6, 10, tzinfo=PARIS))

    assert tick(dt.date(2026, 3, 6), 11) == 0
    assert tick(dt.date(2026, 3, 12), 9) == 1
    assert reminders() == [(mission.lead.email, f"video-reminder:{mission.pk}:2026-03-09")]


@pytest.mark.parametrize("count", [1, 6])
def test_the_tick_runs_a_fixed_number_of_queries(count, django_assert_num_queries):
    with at(dt.date(2026, 2, 23), 10):
        missions = [AsyncMissionFactory() for _ in range(count)]
    with at(THURSDAY, 9):
        assert ritual_videos_reminder_tick.call_local() == count
    # The missions, the videos posted, the reminders already in the outbox: the same with 1 or 6 missions;
    # and the tick's lock: taken (2) and given back (1).
    with at(THURSDAY, 10), django_assert_num_queries(3 + 3):
        assert ritual_videos_reminder_tick.call_local() == 0
    assert len(reminders()) == len(missions)
