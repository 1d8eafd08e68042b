"""Benchmark: the periodic jobs (ticks) over 10,000 active missions, and the worker tasks they hand out.

Builds (or reuses) the instance of `board_and_mission.py` at 1,000 collectives × 10 missions, then, in a
transaction rolled back at the end, makes everything due at once on a Friday at 10:00 in Paris: every
mission's recap slot, its weekly video reminder and its first survey round; a reminder for an invitation
of an earlier round per mission; a digest for 3,000 assignees; the health of every deliverable (from the
stored values of the generated data: the first run after a change of rules, then the steady hourly run).

For each tick it prints the time of the tick itself (finding what is due and handing the tasks to the
queue: Redis when REDIS_URL is set, Huey's SQLite file otherwise), its queries and the tasks handed out;
then runs a sample of those tasks in this process and prints their median and p95 time and queries.

    .venv/bin/python bench/ticks.py                  # build var/bench.sqlite3 (10,000 missions), measure
    .venv/bin/python bench/ticks.py --reuse          # measure again on the database built before
    DATABASE_URL=postgres://… REDIS_URL=redis://…/N .venv/bin/python bench/ticks.py

This is a script, not a test: it prints figures.
"""

import argparse
import datetime as dt
import os
import statistics
import sys
import time
import zoneinfo
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from board_and_mission import configure, percentile, prepare_database  # noqa: E402

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def parse_arguments():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--collectives", type=int, default=1000)
    parser.add_argument("--missions-per-collective", type=int, default=10)
    parser.add_argument("--tasks-per-mission", type=int, default=10)
    parser.add_argument("--recipients", type=int, default=3000, help="assignees with a digest due")
    parser.add_argument("--sample", type=int, default=50, help="tasks of each kind run in this process")
    parser.add_argument("--runs", type=int, default=3, help="runs of each tick")
    parser.add_argument("--reuse", action="store_true", help="keep the database built by a previous run")
    return parser.parse_args()


def load() -> str:
    """The machine's load average over 1 minute: figures taken on a shared machine depend on it."""
    return f"{os.getloadavg()[0]:.1f}"


def next_friday() -> dt.datetime:
    today = dt.date.today()
    friday = today + dt.timedelta(days=(4 - today.weekday()) % 7 or 7)
    return dt.datetime.combine(friday, dt.time(10), tzinfo=PARIS)


def make_everything_due(friday: dt.datetime, recipients: int) -> None:
    """Recap slot, video reminder, survey round and reminder, digests: all due at `friday`."""
    from cordee.clients.models import ClientContact
    from cordee.feedback.models import Survey, SurveyInvitation
    from cordee.missions.models import Mission, Task, TaskAssignment

    monday = friday - dt.timedelta(days=4)
    Mission.objects.update(
        recap_weekdays=[4],
        ritual_kind=Mission.RitualKind.ASYNC_VIDEO,
        feedback_enabled=True,
        start_date=friday.date() - dt.timedelta(days=14),
        activated_at=monday,
    )
    missions = list(Mission.objects.values_list("pk", "collective_id", "client_id"))
    earlier = Survey.objects.bulk_create(
        (
            Survey(
                collective_id=collective_id,
                mission_id=mission_id,
                trigger=Survey.Trigger.DELIVERABLE_ACCEPTED,
                due_date=monday.date() - dt.timedelta(days=1),
                sent_at=friday - dt.timedelta(days=4),
                closes_at=friday + dt.timedelta(days=10),
            )
            for mission_id, collective_id, _client_id in missions
        ),
        batch_size=5000,
    )
    contact_of = dict(ClientContact.objects.values_list("client_id", "pk"))
    SurveyInvitation.objects.bulk_create(
        (
            SurveyInvitation(
                collective_id=survey.collective_id,
                survey_id=survey.pk,
                contact_id=contact_of[client_id],
                token_hash=f"bench-{survey.pk}",
                sent_at=survey.sent_at,
            )
            for survey, (_mission_id, _collective_id, client_id) in zip(earlier, missions, strict=True)
        ),
        batch_size=5000,
    )
    first_task_of = {}
    for task_id, assignee_id, collective_id in Task.objects.filter(assignee__isnull=False).values_list(
        "pk", "assignee_id", "collective_id"
    ):
        first_task_of.setdefault(assignee_id, (task_id, collective_id))
    TaskAssignment.objects.bulk_create(
        (
            TaskAssignment(collective_id=collective_id, task_id=task_id, to_user_id=user_id)
            for user_id, (task_id, collective_id) in list(first_task_of.items())[:recipients]
        ),
        batch_size=5000,
    )
    TaskAssignment.objects.update(changed_at=friday - dt.timedelta(days=1))


def measure_tick(label: str, tick, runs: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from cordee.core.models import PeriodicLock

    timings, cpu, queries, handed = [], [], set(), set()
    for _ in range(runs):
        HUEY.flush()
        # Each run is a new period: a run that ends well keeps the tick's lease (cordee/core/locks.py).
        PeriodicLock.objects.filter(name=tick.func.lock_name).update(expires_at=timezone.now())
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            result = tick.call_local()
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        queries.add(len(captured.captured_queries))
        handed.add(HUEY.pending_count())
        del result
    HUEY.flush()
    print(
        f"{label:<34}{statistics.median(timings):>9.0f} ms{max(timings):>9.0f} ms{statistics.median(cpu):>9.0f} ms"
        f"{', '.join(map(str, sorted(queries))):>9}{', '.join(map(str, sorted(handed))):>9}"
    )


def measure_tasks(label: str, run, items) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, cpu, queries, done = [], [], set(), 0
    for item in items:
        with CaptureQueriesContext(connection) as captured:
            started, started_cpu = time.perf_counter(), time.process_time()
            done += bool(run(item))
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        queries.add(len(captured.captured_queries))
    if not timings:
        print(f"  {label:<32} nothing to run")
        return
    print(
        f"  {label:<32}{statistics.median(timings):>7.1f} ms{percentile(timings, 0.95):>7.1f} ms"
        f"{statistics.median(cpu):>7.1f} ms   queries {min(queries)}–{max(queries)}, {done}/{len(timings)} did something"
    )


def measure(options) -> None:
    import time_machine
    from django.db import connection, transaction
    from huey.contrib.djhuey import HUEY

    from cordee import schedule
    from cordee.communication.services.recaps import recap_slot_draft, recaps_due
    from cordee.communication.services.ritual_videos import (
        ritual_video_reminder_send,
        ritual_video_reminders_due,
    )
    from cordee.feedback.services.surveys import (
        survey_reminder_send,
        survey_reminders_due_ids,
        survey_scheduled_round_open,
        surveys_due,
    )
    from cordee.missions.models import Deliverable
    from cordee.missions.services.health import deliverables_health_chunks, deliverables_health_refresh_ids
    from cordee.missions.services.tasks import task_assignment_digest_recipients, task_assignment_digest_send

    friday = next_friday()
    sample = options.sample
    print(f"\nQueue: {type(HUEY).__name__}; moment: {friday:%A %d %B %Y %H:%M} (Paris); load {load()}")
    with transaction.atomic():
        make_everything_due(friday, options.recipients)
        with time_machine.travel(friday, tick=True):
            print(
                f"{'tick (find what is due, hand out)':<34}{'median':>12}{'max':>12}{'queries':>9}{'tasks':>9}"
            )
            measure_tick("recaps (drafts + automatic sending)", schedule.recaps_tick, options.runs)
            measure_tick("video reminders", schedule.ritual_videos_reminder_tick, options.runs)
            measure_tick("surveys (rounds + reminders)", schedule.surveys_tick, options.runs)
            measure_tick("assignment digest", schedule.task_assignment_digest_tick, options.runs)
            measure_tick("health", schedule.missions_health_tick, options.runs)

            print(f"\nWorker tasks, {sample} of each kind run here{'':<8}median     p95     CPU")
            due = recaps_due()[:sample]
            measure_tasks(
                "recap draft + lead told",
                lambda item: recap_slot_draft(mission_id=item[0], slot_date=item[1]),
                due,
            )
            due = ritual_video_reminders_due()[:sample]
            measure_tasks(
                "video reminder",
                lambda item: ritual_video_reminder_send(mission_id=item[0], week_start=item[1]),
                due,
            )
            due = surveys_due()[:sample]
            measure_tasks(
                "survey round (invitations, emails)",
                lambda item: survey_scheduled_round_open(mission_id=item[0], due_date=item[1]),
                due,
            )
            reminders = survey_reminders_due_ids(friday)[:sample]
            measure_tasks("survey reminder", lambda pk: survey_reminder_send(invitation_id=pk), reminders)
            cutoff, user_ids = task_assignment_digest_recipients()
            measure_tasks(
                "assignment digest",
                lambda user_id: task_assignment_digest_send(user_id=user_id, cutoff=cutoff),
                user_ids[:sample],
            )
            chunks = deliverables_health_chunks()
            changed = Deliverable.objects.filter(pk__in=[pk for chunk in chunks[:sample] for pk in chunk])
            print(f"  (health: {len(chunks)} chunks of ≤ 100 deliverables; {changed.count()} in the sample)")
            measure_tasks("health chunk, first run", deliverables_health_refresh_ids, chunks[:sample])
        with time_machine.travel(friday + dt.timedelta(hours=1), tick=True):
            measure_tasks("health chunk, next hour", deliverables_health_refresh_ids, chunks[:sample])
        transaction.set_rollback(True)
    HUEY.flush()
    connection.close()


def main() -> None:
    options = parse_arguments()
    own_file = configure()
    from django.db import connection

    print(f"Database: {connection.settings_dict['NAME']} ({connection.vendor})")
    prepare_database(options, own_file)
    from cordee.missions.models import Deliverable, Mission

    print(f"{Mission.objects.count():,} missions, {Deliverable.objects.count():,} deliverables")
    measure(options)


if __name__ == "__main__":
    main()
