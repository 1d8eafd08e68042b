"""Each periodic job runs once per period however many consumers enqueue it.

Every Huey consumer runs its own scheduler, so with two consumers each periodic job is enqueued twice per
period. Two real consumer processes (on Redis when REDIS_URL is set, on SqliteHuey otherwise) receive both
copies for three periods in a row: one copy runs, the other is skipped by the job's lease. Huey keeps no
result for periodic tasks, so the runs are counted in the consumers' logs.
"""

import os
import subprocess
import sys
import time

import pytest
from django.conf import settings

from cordee.core.models import PeriodicLock
from cordee.core.tests.test_worker import database_url_for_subprocess, real_queue  # noqa: F401 - a fixture
from cordee.schedule import outbox_tick

LEASE_SECONDS = 2
PERIODS = 3


def wait_for(condition, what: str, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_two_consumers_run_each_periodic_job_once_per_period(real_queue, tmp_path):  # noqa: F811
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cordee.settings",
        "DATABASE_URL": database_url_for_subprocess(),
        "HUEY_IMMEDIATE": "0",
        "PERIODIC_LOCK_MAX_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    logs = [(tmp_path / f"consumer-{index}.log").open("wb") for index in range(2)]
    consumers = [
        subprocess.Popen(
            [
                sys.executable,
                "manage.py",
                "run_huey",
                "--workers",
                "2",
                "--worker-type",
                "thread",
                "--no-periodic",
                "--delay",
                "0.05",
                "--max-delay",
                "0.2",
            ],
            cwd=settings.BASE_DIR,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]

    def log_count(text: str) -> int:
        return sum(path.read_text(errors="replace").count(text) for path in tmp_path.glob("consumer-*.log"))

    try:
        holders = []
        for period in range(PERIODS):
            outbox_tick()  # what the two consumers' schedulers enqueue at the start of a period
            outbox_tick()
            wait_for(lambda: real_queue.pending_count() == 0, f"both copies of period {period} taken", 60)
            runs = 2 * (period + 1)
            wait_for(
                lambda runs=runs: log_count("executed in") == runs, f"both copies of period {period} run"
            )
            holders.append(PeriodicLock.objects.get(name="outbox-tick").holder)
            time.sleep(LEASE_SECONDS + 0.2)  # the next period: the lease has lapsed
        assert log_count("Periodic job outbox-tick skipped") == PERIODS  # one copy skipped in each period
        assert len(set(holders)) == PERIODS  # and the other one run, by a new holder each period
    finally:
        for consumer in consumers:
            consumer.terminate()
            consumer.wait(timeout=15)
        for log in logs:
            log.close()
