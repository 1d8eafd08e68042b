"""Every periodic job of Cordée, in one place. Each tick reads what is due from the database (a fixed number
of queries) and hands each due item to the worker as its own task, so that several workers share the work."""

from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cordee.api.services.webhooks import webhooks_tick as webhooks_run
from cordee.billing.services.plans import cap_alerts_send
from cordee.billing.services.reminders import reminders_due
from cordee.billing.services.splits import split_reminders_send
from cordee.billing.tasks import invoice_reminders_task
from cordee.communication.services.recaps import recaps_auto_send_due, recaps_due
from cordee.communication.services.ritual_videos import ritual_video_reminders_due
from cordee.communication.tasks import (
    recap_auto_sends_task,
    recap_slot_drafts_task,
    ritual_video_reminders_task,
)
from cordee.core import outbox
from cordee.core.locks import periodic_lock
from cordee.feedback.services.surveys import survey_reminders_due_ids, surveys_due
from cordee.feedback.tasks import survey_reminders_task, survey_rounds_open_task
from cordee.missions.services.health import deliverables_health_chunks
from cordee.missions.services.tasks import task_assignment_digest_recipients
from cordee.missions.tasks import deliverables_health_refresh_task, task_assignment_digests_task

# Items per task handed to the worker: one enqueue costs a round trip to the queue (about 1 ms), so
# 10,000 due missions make 200 tasks, not 10,000; each item of a task is done in its own transaction.
TASK_BATCH = 50


def hand_out(task, items: list, *extra) -> int:
    """Enqueue `task` once per batch of `items` (with `extra` arguments after the batch); the item count."""
    for start in range(0, len(items), TASK_BATCH):
        task(items[start : start + TASK_BATCH], *extra)
    return len(items)


@db_periodic_task(crontab(minute="*"))
@periodic_lock("outbox-tick", period=timedelta(minutes=1))
def outbox_tick() -> int:
    """Deliver emails whose enqueue was lost, whose retry is due or whose worker died; the claim makes it safe."""
    return outbox.outbox_recover()


@db_periodic_task(crontab(minute="17", hour="3"))
@periodic_lock("outbox-attachments-sweep", period=timedelta(days=1))
def outbox_attachments_sweep() -> int:
    """Delete the attachment files of emails whose transaction rolled back (no row refers to them)."""
    return outbox.outbox_attachments_sweep()


@db_periodic_task(crontab(minute="5"))
@periodic_lock("missions-health-tick", period=timedelta(hours=1))
def missions_health_tick() -> int:
    """Recompute the deadline health of the deliverables of active missions; alert leads once per change."""
    chunks = deliverables_health_chunks()
    for ids in chunks:
        deliverables_health_refresh_task(ids)
    return len(chunks)


@db_periodic_task(crontab(minute="0"))
@periodic_lock("task-assignment-digest-tick", period=timedelta(hours=1))
def task_assignment_digest_tick() -> int:
    """Each assignee's daily digest of new tasks, due at 8:00 Paris time.

    Huey's crontab runs in UTC, so the tick runs hourly and sends only what is due: the assignments
    made before the last 8:00 in Paris, one email per assignee and day (the first run at or after 8:00
    sends it, a later run finds nothing left, a missed one is caught up at the next).
    """
    cutoff, user_ids = task_assignment_digest_recipients()
    return hand_out(task_assignment_digests_task, user_ids, cutoff)


@db_periodic_task(crontab(minute="0"))
@periodic_lock("ritual-videos-reminder-tick", period=timedelta(hours=1))
def ritual_videos_reminder_tick() -> int:
    """Remind the lead when the week's video of an async-ritual mission is missing on Thursday 9:00.

    The rule is a moment in each collective's time zone (Thursday 9:00) and Huey's crontab is in UTC,
    so this runs hourly and sends only what is due: the first run at or after that moment sends the
    reminder, later runs find it in the outbox (key per mission and week) and send nothing more, and a
    run missed that day is caught up until Sunday. See `cordee.communication.services.ritual_videos`.
    """
    return hand_out(ritual_video_reminders_task, ritual_video_reminders_due())


@db_periodic_task(crontab(minute="*/15"))
@periodic_lock("recaps-tick", period=timedelta(minutes=15))
def recaps_tick() -> tuple[int, int]:
    """Draft each active mission's due progress recap and tell its lead; send untouched drafts due.

    Data-driven: a slot is a recap weekday in the collective's time zone, drafted once (unique per
    mission and slot), and only the most recent slot is caught up after a stop; the automatic
    sending claims the draft. See `cordee.communication.services.recaps`.
    """
    drafts = hand_out(recap_slot_drafts_task, recaps_due())
    # Drafted by the tasks above (or by an earlier tick), a slot's draft is sent at the next tick.
    return drafts, hand_out(recap_auto_sends_task, recaps_auto_send_due())


@db_periodic_task(crontab(minute="10"))
@periodic_lock("surveys-tick", period=timedelta(hours=1))
def surveys_tick() -> tuple[int, int]:
    """Open each active mission's due satisfaction survey (day 14, then every 30 days, from 9:00 in the
    collective's time zone) and send the one reminder 3 days after; the unique round and the claimed
    reminder make it safe to run twice. See `cordee.feedback.services.surveys`.
    """
    now = timezone.now()
    rounds = hand_out(survey_rounds_open_task, surveys_due(now=now))
    return rounds, hand_out(survey_reminders_task, survey_reminders_due_ids(now))


@db_periodic_task(crontab(minute="*"))
@periodic_lock("webhooks-tick", period=timedelta(minutes=1))
def webhooks_tick() -> int:
    """Send webhook deliveries that are due (retries, lost enqueues, claims past their lease)."""
    return webhooks_run()


@db_periodic_task(crontab(minute="20"))
@periodic_lock("billing-cap-alerts-tick", period=timedelta(hours=1))
def billing_cap_alerts_tick() -> int:
    """Alert the lead (and the client when the plan says so) once per threshold of a pay-as-you-go cap
    reached (50, 80, 100 %); the unique alert row per plan and threshold makes ticks and workers safe.
    See `cordee.billing.services.plans.cap_alerts_send`."""
    return cap_alerts_send()


@db_periodic_task(crontab(minute="25"))
@periodic_lock("billing-split-reminders-tick", period=timedelta(hours=1))
def billing_split_reminders_tick() -> int:
    """Remind each member who has not answered a proposed revenue split, once a day from a day after the
    proposal; the outbox key per split version, member and day makes ticks and workers safe.
    See `cordee.billing.services.splits.split_reminders_send`."""
    return split_reminders_send()


@db_periodic_task(crontab(minute="35"))
@periodic_lock("billing-reminders-tick", period=timedelta(hours=1))
def billing_reminders_tick() -> int:
    """Remind unpaid invoices at each level of their collective's ladder, a mission's invoices together in
    one email; the unique reminder row per batch and level makes ticks and workers safe.
    See `cordee.billing.services.reminders`."""
    return hand_out(invoice_reminders_task, reminders_due())
