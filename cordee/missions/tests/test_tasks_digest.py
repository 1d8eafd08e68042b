# ruff: noqa: F811 - the fixtures imported from board_fixtures are requested by name
"""The daily digest of new assignments: one email a day per assignee, at 8:00 Paris time."""

import datetime as dt
import inspect
import threading
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connections
from django.urls import reverse

from cordee.core.models import OutboundEmail
from cordee.missions.models import Task, TaskAssignment
from cordee.missions.services.tasks import (
    digest_cutoff,
    task_assign,
    task_assignment_digests_send,
    task_take,
)
from cordee.missions.tests.board_fixtures import (  # noqa: F401 - fixtures
    PARIS,
    SELF_SERVICE,
    english,
    mission,
    other_mission,
    people,
    set_mode,
)
from cordee.missions.tests.factories import (
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
)
from cordee.schedule import task_assignment_digest_tick

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)


def at(day: dt.date, hour: int, minute: int = 0):
    return time_machine.travel(dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS), tick=False)


def tick(day: dt.date, hour: int = 8, minute: int = 0) -> int:
    """Run the tick (its tasks run inline in tests); the number of digests it enqueued."""
    before = OutboundEmail.objects.count()
    with at(day, hour, minute):
        # The job's body: its once-per-period lease has its own tests (core/tests/test_locks.py).
        inspect.unwrap(task_assignment_digest_tick.func)()
    return OutboundEmail.objects.count() - before


def digests():
    return list(OutboundEmail.objects.order_by("pk"))


@pytest.fixture
def tasks(mission):
    deliverable = DeliverableFactory(mission=mission, title="Maquettes")
    return [
        TaskFactory(
            mission=mission,
            title="Page d'accueil",
            due_date=dt.date(2026, 3, 20),
            estimate_hours=Decimal("6.5"),
            deliverable=deliverable,
        ),
        TaskFactory(mission=mission, title="Page produit", estimate_hours=None),
        TaskFactory(mission=mission, title="Tunnel d'achat"),
        TaskFactory(mission=mission, title="Page contact"),
    ]


def test_the_cutoff_is_the_last_8_oclock_in_paris():
    def paris(day, hour, minute=0):
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=PARIS)

    assert digest_cutoff(paris(MONDAY, 8)) == paris(MONDAY, 8)
    assert digest_cutoff(paris(MONDAY, 23, 59)) == paris(MONDAY, 8)
    assert digest_cutoff(paris(MONDAY, 7, 59)) == paris(MONDAY - dt.timedelta(days=1), 8)
    # Summer time (29 March 2026): 8:00 in Paris is 6:00 UTC.
    assert digest_cutoff(dt.datetime(2026, 3, 30, 6, 0, tzinfo=dt.UTC)) == paris(dt.date(2026, 3, 30), 8)
    assert digest_cutoff(dt.datetime(2026, 3, 30, 5, 59, tzinfo=dt.UTC)) == paris(dt.date(2026, 3, 29), 8)


def test_three_changes_in_a_day_make_one_email_the_next_morning(mission, people, tasks):
    for hour, task in zip((10, 14, 17), tasks[:3], strict=True):
        with at(MONDAY, hour):
            task_assign(task=task, assignee=people.anna, by=people.lead)

    assert tick(MONDAY, 18) == 0  # the same evening: not due before 8:00 tomorrow
    assert digests() == []
    assert tick(MONDAY + dt.timedelta(days=1), 8) == 1

    [email] = digests()
    assert email.idempotency_key == f"digest:{people.anna.pk}:2026-03-03"
    assert email.to_email == people.anna.email
    assert email.subject == "3 tasks newly assigned to you"
    assert email.from_email == mission.collective.notification_sender()
    assert email.collective == mission.collective
    assert email.language == "en"
    board = settings.BASE_URL + reverse("missions:board", args=[mission.collective.slug, mission.pk])
    text = email.body_text
    assert "Since your last summary, 3 tasks were assigned to you:" in text
    assert f"Refonte du site ({mission.collective.name})" in text
    assert "- Page d'accueil · due March 20, 2026 · 6.5 h · Maquettes · by Léa Martin" in text
    assert f"  {board}?who=mine#task-{tasks[0].pk}" in text
    assert "- Page produit · by Léa Martin" in text
    assert "- Tunnel d'achat · 4 h · by Léa Martin" in text
    assert "Page contact" not in text
    assert f"Your tasks on this mission: {board}?who=mine" in text
    assert (
        f'<a href="{board}?who=mine#task-{tasks[2].pk}" style="color:#1f6170;font-weight:bold;">Tunnel d&#x27;achat</a>'
        in email.body_html
    )
    # The rows are marked, so that nothing is sent twice.
    assert not TaskAssignment.objects.filter(digest_sent_at__isnull=True).exists()


def test_the_digest_is_in_the_assignees_language(mission, people, tasks):
    people.anna.language = "fr"
    people.anna.save()
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)

    tick(MONDAY + dt.timedelta(days=1))

    [email] = digests()
    assert email.language == "fr"
    assert "20 mars 2026" in email.body_text
    assert '<html lang="fr">' in email.body_html


def test_a_task_reassigned_away_before_the_digest_is_not_listed(mission, people, tasks):
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)
        task_assign(task=tasks[1], assignee=people.anna, by=people.lead)
    with at(MONDAY, 15):
        task_assign(task=tasks[1], assignee=people.bruno, by=people.lead)

    assert tick(MONDAY + dt.timedelta(days=1)) == 2

    anna, bruno = (OutboundEmail.objects.get(to_email=user.email) for user in (people.anna, people.bruno))
    assert "Page d'accueil" in anna.body_text
    assert "Page produit" not in anna.body_text
    assert anna.subject == "1 task newly assigned to you"
    assert "Page produit" in bruno.body_text
    assert "Page d'accueil" not in bruno.body_text


def test_a_task_given_and_taken_back_the_same_day_sends_nothing(mission, people, tasks):
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)
        task_assign(task=tasks[0], assignee=None, by=people.lead)

    assert tick(MONDAY + dt.timedelta(days=1)) == 0
    assert digests() == []
    assert not TaskAssignment.objects.filter(to_user=people.anna, digest_sent_at__isnull=True).exists()


def test_what_members_take_themselves_is_not_emailed_to_them(mission, people, tasks):
    set_mode(mission, SELF_SERVICE)
    with at(MONDAY, 10):
        task_take(task=tasks[0], by=people.anna)

    assert tick(MONDAY + dt.timedelta(days=1)) == 0
    assert digests() == []
    assert not TaskAssignment.objects.filter(digest_sent_at__isnull=True).exists()


def test_one_email_across_missions_grouped_by_mission(mission, people, tasks, collective):
    other = MissionFactory(collective=collective, title="Application mobile", lead=people.lead)
    MissionMemberFactory(mission=other, user=people.anna, role="design")
    mobile = TaskFactory(mission=other, title="Écran de connexion")
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)
        task_assign(task=mobile, assignee=people.anna, by=people.lead)

    tick(MONDAY + dt.timedelta(days=1))

    [email] = digests()
    text = email.body_text
    assert (
        text.index("Application mobile (")
        < text.index("Écran de connexion")
        < text.index("Refonte du site (")
    )
    assert text.index("Refonte du site (") < text.index("Page d'accueil")
    assert email.subject == "2 tasks newly assigned to you"


def test_tasks_from_two_collectives_come_in_one_email_from_cordee(mission, people, tasks, other_mission):
    from cordee.core.tests.factories import MembershipFactory

    MembershipFactory(collective=other_mission.collective, user=people.anna)
    MissionMemberFactory(mission=other_mission, user=people.anna, role="design")
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)
        task_assign(task=other_mission.tasks.get(), assignee=people.anna, by=other_mission.lead)

    tick(MONDAY + dt.timedelta(days=1))

    [email] = digests()
    assert email.collective is None
    assert email.from_email == settings.DEFAULT_FROM_EMAIL
    assert "Tâche de B" in email.body_text and "Page d'accueil" in email.body_text


def test_a_second_tick_the_same_day_sends_nothing_more(mission, people, tasks):
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)

    assert tick(MONDAY + dt.timedelta(days=1), 8) == 1
    assert tick(MONDAY + dt.timedelta(days=1), 8, 0) == 0
    assert tick(MONDAY + dt.timedelta(days=1), 9) == 0
    assert len(digests()) == 1


def test_assignments_after_8_wait_for_the_next_morning(mission, people, tasks):
    tuesday = MONDAY + dt.timedelta(days=1)
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)
    tick(tuesday, 8)
    with at(tuesday, 9):
        task_assign(task=tasks[1], assignee=people.anna, by=people.lead)

    assert tick(tuesday, 10) == 0
    assert tick(tuesday + dt.timedelta(days=1), 8) == 1

    first, second = digests()
    assert second.idempotency_key == f"digest:{people.anna.pk}:2026-03-04"
    assert "Page produit" in second.body_text
    assert "Page d'accueil" not in second.body_text


def test_a_missed_morning_is_caught_up_in_one_email(mission, people, tasks):
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)
    with at(MONDAY + dt.timedelta(days=1), 12):
        task_assign(task=tasks[1], assignee=people.anna, by=people.lead)

    # The worker was down on Tuesday and Wednesday mornings; it comes back on Wednesday at 11:00.
    assert tick(MONDAY + dt.timedelta(days=2), 11) == 1

    [email] = digests()
    assert email.subject == "2 tasks newly assigned to you"


def test_rows_claimed_by_another_worker_are_not_sent_again(mission, people, tasks):
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)
    # Another worker claimed them a moment ago (its conditional update went first).
    claimed_at = dt.datetime(2026, 3, 3, 8, 0, 0, 1, tzinfo=PARIS)
    TaskAssignment.objects.update(digest_sent_at=claimed_at)

    assert tick(MONDAY + dt.timedelta(days=1)) == 0
    assert digests() == []
    assert list(TaskAssignment.objects.values_list("digest_sent_at", flat=True)) == [claimed_at]


def test_rows_left_after_todays_email_wait_for_tomorrows(mission, people, tasks):
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)
    tick(MONDAY + dt.timedelta(days=1))
    # A row from before 8:00 that another worker committed late: today's email is already out.
    late = TaskAssignment.objects.create(
        collective=mission.collective, task=tasks[1], to_user=people.anna, changed_by=people.lead
    )
    Task.objects.filter(pk=tasks[1].pk).update(assignee=people.anna)
    TaskAssignment.objects.filter(pk=late.pk).update(changed_at=dt.datetime(2026, 3, 3, 7, 59, tzinfo=PARIS))

    assert tick(MONDAY + dt.timedelta(days=1), 9) == 0
    assert TaskAssignment.objects.get(pk=late.pk).digest_sent_at is None
    assert tick(MONDAY + dt.timedelta(days=2), 8) == 1
    assert "Page produit" in digests()[-1].body_text


def test_the_email_is_delivered_once_committed(mission, people, tasks, django_capture_on_commit_callbacks):
    with at(MONDAY, 10):
        task_assign(task=tasks[0], assignee=people.anna, by=people.lead)

    with django_capture_on_commit_callbacks(execute=True), at(MONDAY + dt.timedelta(days=1), 8):
        task_assignment_digests_send()

    assert [message.to for message in mail.outbox] == [[people.anna.email]]
    assert mail.outbox[0].subject == "1 task newly assigned to you"


@pytest.mark.django_db(transaction=True)
def test_two_workers_ticking_at_the_same_time_send_one_email(mission, people, tasks):
    """Real concurrency: two threads, two database connections, started together."""
    with at(MONDAY, 10):
        for task in tasks[:3]:
            task_assign(task=task, assignee=people.anna, by=people.lead)
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        try:
            start.wait(timeout=10)
            results.append(task_assignment_digests_send())
        except Exception as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    with at(MONDAY + dt.timedelta(days=1), 8):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert errors == []
    assert sorted(results) == [0, 1]
    [email] = digests()
    assert email.subject == "3 tasks newly assigned to you"
    assert not TaskAssignment.objects.filter(digest_sent_at__isnull=True).exists()
