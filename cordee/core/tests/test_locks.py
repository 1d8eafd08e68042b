"""Periodic job locks are leases in the database: a dead holder's lock lapses within the job's period."""

import sys
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone
from huey.contrib.djhuey import HUEY

import cordee.schedule  # noqa: F401 - registers the periodic jobs
from cordee.core.locks import lease_for, lock_acquire, lock_release, periodic_lock
from cordee.core.models import PeriodicLock

pytestmark = pytest.mark.django_db

MINUTE = timedelta(minutes=1)


def test_a_free_lock_is_taken_once_then_given_back():
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        assert lock_acquire("job", MINUTE, "worker-a") is True
        assert lock_acquire("job", MINUTE, "worker-b") is False
        lock = PeriodicLock.objects.get(name="job")
        assert (lock.holder, lock.acquired_at, lock.expires_at) == (
            "worker-a",
            timezone.now(),
            timezone.now() + MINUTE,
        )

        assert lock_release("job", "worker-a") is True
        assert lock_acquire("job", MINUTE, "worker-b") is True
    assert PeriodicLock.objects.get(name="job").holder == "worker-b"
    assert PeriodicLock.objects.count() == 1


def test_the_lock_of_a_killed_holder_lapses_at_the_end_of_its_lease():
    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False) as traveller:
        assert lock_acquire("job", MINUTE, "killed") is True
        traveller.shift(MINUTE - timedelta(microseconds=1))
        assert lock_acquire("job", MINUTE, "next") is False
        traveller.shift(timedelta(microseconds=1))
        assert lock_acquire("job", MINUTE, "next") is True

        # The late holder's release leaves the new holder's lease alone.
        assert lock_release("job", "killed") is False
        assert lock_acquire("job", MINUTE, "third") is False
    assert PeriodicLock.objects.get(name="job").holder == "next"


def test_the_lease_is_most_of_the_period_and_capped_by_the_setting(settings):
    assert lease_for(timedelta(minutes=1)) == timedelta(seconds=48)
    assert lease_for(timedelta(hours=1)) == timedelta(minutes=48)
    settings.PERIODIC_LOCK_MAX_LEASE_SECONDS = 2
    assert lease_for(timedelta(hours=1)) == timedelta(seconds=2)


def test_a_locked_job_runs_where_its_lock_is_taken_and_is_skipped_elsewhere():
    runs = []

    @periodic_lock("counted", period=MINUTE)
    def job(value):
        runs.append(value)
        return value * 2

    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        assert job(21) == 42
        assert job(1) == 2  # the first run gave its lock back
        assert lock_acquire("counted", MINUTE, "elsewhere") is True
        assert job(5) is None
    assert runs == [21, 1]


def test_a_job_that_raises_gives_its_lock_back():
    @periodic_lock("failing", period=MINUTE)
    def job():
        raise RuntimeError("boom")

    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False):
        with pytest.raises(RuntimeError):
            job()
        lock = PeriodicLock.objects.get(name="failing")
        assert lock.expires_at == lock.released_at == timezone.now()
        assert lock_acquire("failing", MINUTE, "next") is True


def periodic_jobs():
    for task_class in HUEY._registry._periodic_tasks:
        wrapper = getattr(sys.modules[task_class.__module__], task_class.__name__)
        yield task_class.__name__, task_class().validate_datetime, wrapper


def longest_gap(validate_datetime) -> timedelta:
    start = datetime(2026, 3, 2, 0, 0)  # a Monday; the crontabs are in UTC
    runs = [
        start + MINUTE * index for index in range(2 * 24 * 60) if validate_datetime(start + MINUTE * index)
    ]
    return max(later - earlier for earlier, later in zip(runs, runs[1:], strict=False))


def test_every_periodic_job_is_locked_with_a_lease_shorter_than_its_schedules_period():
    jobs = list(periodic_jobs())
    assert {name for name, _, _ in jobs} >= {
        "outbox_tick",
        "missions_health_tick",
        "task_assignment_digest_tick",
        "ritual_videos_reminder_tick",
        "recaps_tick",
        "surveys_tick",
    }
    for name, validate_datetime, wrapper in jobs:
        assert hasattr(wrapper.func, "lock_name"), f"{name} has no expiring lock"
        assert wrapper.func.period == longest_gap(validate_datetime), name
        assert lease_for(wrapper.func.period) < wrapper.func.period
    assert len({wrapper.func.lock_name for _, _, wrapper in jobs}) == len(jobs)


def test_a_periodic_job_killed_holding_its_lock_runs_again_at_the_next_period():
    from cordee.schedule import outbox_tick

    with time_machine.travel("2026-03-02 10:00 +01:00", tick=False) as traveller:
        assert lock_acquire("outbox-tick", lease_for(MINUTE), "killed") is True
        assert outbox_tick.call_local() is None  # another run of the same minute is skipped
        traveller.shift(MINUTE)
        assert outbox_tick.call_local() == 0
        lock = PeriodicLock.objects.get(name="outbox-tick")
        assert lock.holder != "killed"
        assert lock.acquired_at == timezone.now()
        assert lock.released_at == timezone.now()
