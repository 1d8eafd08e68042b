"""Periodic jobs at scale: each tick finds what is due in a fixed number of queries and hands every due
mission (or recipient, or chunk of deliverables) to the worker as its own task."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from huey.contrib.djhuey import HUEY

from cordee.core.deferred_text import DeferredText
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, CollectiveFactory, UserFactory
from cordee.feedback.models import SurveyInvitation
from cordee.feedback.services.surveys import survey_round_open
from cordee.missions.models import Deliverable, Mission, TaskAssignment
from cordee.missions.services.health import deliverables_health_refresh
from cordee.missions.tests.factories import (
    ClientContactFactory,
    ClientFactory,
    DeliverableFactory,
    MissionFactory,
    TaskFactory,
)
from cordee.schedule import (
    TASK_BATCH,
    missions_health_tick,
    recaps_tick,
    ritual_videos_reminder_tick,
    surveys_tick,
    task_assignment_digest_tick,
)

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MONDAY = dt.datetime(2026, 3, 2, 10, tzinfo=PARIS)
# A recap day (Friday), after the video reminder (Thursday 9:00) and the first survey (day 14 at 9:00).
FRIDAY = dt.datetime(2026, 3, 6, 10, tzinfo=PARIS)
COUNTS = [5, 50]
assert TASK_BATCH == 50  # so that 5 and 50 due missions make one task each, and 51 two
# Each tick run takes its periodic lock (`cordee.core.locks.periodic_lock`): insert-if-missing and the
# conditional UPDATE before the job, the end of the run recorded after it.
LOCK_QUERIES = 3


@pytest.fixture
def queue():
    """The real queue instead of running tasks inline: what a tick hands out waits in it."""
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.flush()
    HUEY.immediate = True


def build_missions(count: int) -> list[Mission]:
    """`count` active missions of one collective, activated on Monday 2 March, started 14 days before Friday."""
    collective = CollectiveFactory()
    lead = AdminMembershipFactory(collective=collective).user
    client = ClientFactory(collective=collective)
    ClientContactFactory(client=client)
    return [
        MissionFactory(
            collective=collective,
            client=client,
            lead=lead,
            start_date=dt.date(2026, 2, 20),
            activated_at=MONDAY,
            ritual_kind=Mission.RitualKind.ASYNC_VIDEO,
        )
        for _ in range(count)
    ]


def tick_queries(tick, moment) -> tuple[object, int]:
    with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as captured:
        result = tick.call_local()
    return result, len(captured.captured_queries)


@pytest.mark.parametrize("count", COUNTS)
def test_the_recaps_tick_finds_the_due_missions_in_three_queries(count, queue):
    build_missions(count)

    result, queries = tick_queries(recaps_tick, FRIDAY)

    # The missions, the slots already drafted, the drafts to send automatically.
    assert (result, queries, queue.pending_count()) == ((count, 0), LOCK_QUERIES + 3, 1)


@pytest.mark.parametrize("count", COUNTS)
def test_the_video_reminders_tick_finds_the_due_missions_in_three_queries(count, queue):
    build_missions(count)

    result, queries = tick_queries(ritual_videos_reminder_tick, FRIDAY)

    # The missions, the videos posted, the reminders already in the outbox.
    assert (result, queries, queue.pending_count()) == (count, LOCK_QUERIES + 3, 1)


@pytest.mark.parametrize("count", COUNTS)
def test_the_surveys_tick_finds_the_due_rounds_in_three_queries(count, queue):
    build_missions(count)

    result, queries = tick_queries(surveys_tick, FRIDAY)

    # The missions, the rounds already open, the reminders due.
    assert (result, queries, queue.pending_count()) == ((count, 0), LOCK_QUERIES + 3, 1)


@pytest.mark.parametrize("count", COUNTS)
def test_the_survey_reminders_are_found_in_one_query(count):
    with time_machine.travel(FRIDAY, tick=False):
        for mission in build_missions(count):
            survey_round_open(
                mission=Mission.objects.select_related("collective").get(pk=mission.pk),
                due_date=FRIDAY.date(),
            )
    assert SurveyInvitation.objects.count() == count
    HUEY.immediate = False
    HUEY.flush()
    try:
        result, queries = tick_queries(surveys_tick, FRIDAY + dt.timedelta(days=3))
        pending = HUEY.pending_count()
    finally:
        HUEY.flush()
        HUEY.immediate = True

    # The missions, the rounds already open (this one), the invitations to remind.
    assert (result, queries, pending) == ((0, count), LOCK_QUERIES + 3, 1)


@pytest.mark.parametrize("count", COUNTS)
def test_the_digest_tick_finds_the_recipients_in_one_query(count, queue):
    mission = build_missions(1)[0]
    with time_machine.travel(MONDAY, tick=False):
        for _ in range(count):
            user = AdminMembershipFactory(collective=mission.collective).user
            task = TaskFactory(mission=mission, assignee=user)
            TaskAssignment.objects.create(
                collective=mission.collective, task=task, to_user=user, changed_by=mission.lead
            )

    result, queries = tick_queries(task_assignment_digest_tick, MONDAY + dt.timedelta(days=1))

    assert (result, queries, queue.pending_count()) == (count, LOCK_QUERIES + 1, 1)


@pytest.mark.parametrize("count", COUNTS)
def test_the_health_tick_hands_out_chunks_of_deliverables_in_one_query(count, queue):
    for mission in build_missions(count):
        DeliverableFactory(mission=mission)

    result, queries = tick_queries(missions_health_tick, FRIDAY)

    assert (result, queries, queue.pending_count()) == (1, LOCK_QUERIES + 1, 1)


@pytest.mark.parametrize("count", COUNTS)
def test_the_health_refresh_writes_only_what_changed(count):
    missions = build_missions(count)
    member = UserFactory()
    with time_machine.travel(MONDAY, tick=False):
        for mission in missions:
            deliverable = DeliverableFactory(
                mission=mission, internal_date=dt.date(2026, 3, 13), announced_date=dt.date(2026, 3, 19)
            )
            TaskFactory(
                mission=mission, deliverable=deliverable, assignee=member, estimate_hours=Decimal("30")
            )
        deliverables_health_refresh()
        first = dict(Deliverable.objects.values_list("pk", "health_checked_at"))

    # An hour later nothing changed: the deliverables, their open tasks, the teams are read, nothing written.
    later = MONDAY + dt.timedelta(hours=1)
    with time_machine.travel(later, tick=False), CaptureQueriesContext(connection) as captured:
        assert deliverables_health_refresh() == 0
    statements = [query["sql"].split()[0] for query in captured.captured_queries]
    assert statements == ["SELECT", "SELECT", "SELECT", "SELECT"]
    assert dict(Deliverable.objects.values_list("pk", "health_checked_at")) == first

    # The next Tuesday the margin is being used: every deliverable turns at risk, written in one UPDATE.
    tuesday = dt.datetime(2026, 3, 10, 10, tzinfo=PARIS)
    with time_machine.travel(tuesday, tick=False), CaptureQueriesContext(connection) as captured:
        deliverables_health_refresh()
    writes = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("UPDATE")]
    assert len(writes) == 1
    assert Deliverable.objects.filter(health="at_risk").count() == count


def test_the_tick_hands_out_one_task_per_batch_of_missions(queue):
    build_missions(TASK_BATCH + 1)

    result, _queries = tick_queries(ritual_videos_reminder_tick, FRIDAY)

    assert (result, queue.pending_count()) == (TASK_BATCH + 1, 2)
    tasks = [queue.dequeue(), queue.dequeue()]
    queue.immediate = True  # the worker runs them here: one reminder per mission
    for task in tasks:
        queue.execute(task)
    assert (
        OutboundEmail.objects.filter(idempotency_key__startswith="video-reminder:").count() == TASK_BATCH + 1
    )


def test_the_batched_health_write_keeps_the_reason_as_data():
    """The one UPDATE … FROM (VALUES …) writes the reason's data with its text: read in any language."""
    mission = build_missions(1)[0]
    with time_machine.travel(MONDAY, tick=False):
        deliverable = DeliverableFactory(
            mission=mission, internal_date=dt.date(2026, 3, 13), announced_date=dt.date(2026, 3, 19)
        )
        TaskFactory(
            mission=mission, deliverable=deliverable, assignee=UserFactory(), estimate_hours=Decimal("30")
        )
        with CaptureQueriesContext(connection) as captured:
            deliverables_health_refresh()

    deliverable.refresh_from_db()
    writes = [query["sql"] for query in captured.captured_queries if query["sql"].startswith("WITH changes")]
    assert len(writes) == 1
    assert deliverable.health == "on_track"
    assert deliverable.health_reason_data["msgid"]
    with translation.override("fr"):
        assert str(DeferredText.from_data(deliverable.health_reason_data)) == deliverable.health_reason
    with translation.override("en"):
        english = deliverable.health_reason_text
        assert english == str(DeferredText.from_data(deliverable.health_reason_data))
    assert english != deliverable.health_reason
