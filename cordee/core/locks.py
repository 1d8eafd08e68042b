"""Locks for periodic jobs that a dead worker cannot keep: a lease in the database.

Huey's `lock_task` stores a key without expiry, so a consumer killed inside a job switches that job off
for every consumer until someone flushes the locks by hand. Here a job's lock is a row with an expiry: a
run takes it with one conditional UPDATE when it is free or lapsed, and gives it back when done. The lease
is shorter than the job's period, so the run after a killed one always finds it free: no job is silent
for longer than one period. A run that outlives its lease may overlap the next one; periodic jobs are
idempotent, so an overlap does the work once.
"""

import logging
import os
import socket
import uuid
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.utils import timezone

from cordee.core.models import PeriodicLock

logger = logging.getLogger(__name__)

# Share of the period a run holds its lock: the next scheduled run starts after the lease has lapsed.
LEASE_SHARE_OF_PERIOD = 0.8


def lease_for(period: timedelta) -> timedelta:
    lease = period * LEASE_SHARE_OF_PERIOD
    cap = settings.PERIODIC_LOCK_MAX_LEASE_SECONDS
    return min(lease, timedelta(seconds=cap)) if cap else lease


def holder_name() -> str:
    """Who holds a lock: the machine and process (to find it) and a random part (to tell runs apart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:200]


def lock_acquire(name: str, lease: timedelta, holder: str) -> bool:
    """Take the lock if it is free or its lease has lapsed. Two queries, atomic on every database."""
    now = timezone.now()
    PeriodicLock.objects.bulk_create([PeriodicLock(name=name, expires_at=now)], ignore_conflicts=True)
    return bool(
        PeriodicLock.objects.filter(name=name, expires_at__lte=now).update(
            holder=holder, acquired_at=now, expires_at=now + lease, released_at=None
        )
    )


def lock_release(name: str, holder: str) -> bool:
    """Give the lock back, unless its lease lapsed and another run has taken it since."""
    now = timezone.now()
    return bool(PeriodicLock.objects.filter(name=name, holder=holder).update(expires_at=now, released_at=now))


def periodic_lock(name: str, *, period: timedelta):
    """Run the decorated job only where its lock is taken; elsewhere skip it and return None.

    `period` is how often the job is scheduled; the lock's lease is most of it (see `lease_for`).
    """

    def decorator(job):
        @wraps(job)
        def locked_job(*args, **kwargs):
            holder = holder_name()
            if not lock_acquire(name, lease_for(period), holder):
                logger.info("Periodic job %s skipped: another worker holds its lock.", name)
                return None
            try:
                return job(*args, **kwargs)
            finally:
                lock_release(name, holder)

        locked_job.lock_name = name
        locked_job.period = period
        return locked_job

    return decorator
