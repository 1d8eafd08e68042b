"""My work: the signed-in member's tasks, deliverables and week across all their collectives."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from cordee.core.tests.factories import MembershipFactory, UserFactory
from cordee.missions.models import Deliverable, Mission, Task
from cordee.missions.tests.factories import (
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
    TimeEntryFactory,
)

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# Wednesday 4 March 2026 in Paris; the week runs from Monday 2 to Sunday 8 March.
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
MY_WORK_URL = reverse("missions:my_work")


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def me(db):
    return UserFactory(full_name="Camille Martin")


@pytest.fixture
def my_client(client, me):
    client.force_login(me)
    return client


def join(user, mission=None, **mission_fields):
    """A mission of a new collective where `user` is a member of the collective and of the team."""
    mission = mission or MissionFactory(**mission_fields)
    MembershipFactory(collective=mission.collective, user=user)
    MissionMemberFactory(mission=mission, user=user)
    return mission


def section(content: str, heading_id: str) -> str:
    start = content.index(f'id="{heading_id}"')
    end = content.find("</section>", start)
    return content[start:end]


class TestContent:
    def test_late_and_soon_due_tasks_first_across_collectives(self, my_client, me):
        studio = join(me, title="Site vitrine", collective__name="Studio Nord")
        atelier = join(me, title="Application", collective__name="Atelier Sud")
        TaskFactory(
            mission=studio, assignee=me, title="Maquette accueil", due_date=TODAY - dt.timedelta(days=2)
        )
        TaskFactory(
            mission=atelier, assignee=me, title="API paiement", due_date=TODAY, status=Task.Status.DOING
        )
        TaskFactory(mission=studio, assignee=me, title="Page contact", due_date=TODAY + dt.timedelta(days=7))
        TaskFactory(mission=studio, assignee=me, title="Plus tard", due_date=TODAY + dt.timedelta(days=8))
        TaskFactory(mission=studio, assignee=me, title="Sans date")
        TaskFactory(mission=studio, assignee=me, title="Déjà faite", due_date=TODAY, status=Task.Status.DONE)

        response = my_client.get(MY_WORK_URL)

        assert response.status_code == 200
        content = response.content.decode()
        urgent = section(content, "urgent-title")
        assert urgent.index("Maquette accueil") < urgent.index("API paiement") < urgent.index("Page contact")
        assert "Late by 2 days" in urgent
        assert "Due today" in urgent
        assert "In 7 days" in urgent
        assert '<span class="stat">1</span> <span class="stat-label">late task</span>' in content
        assert '<span class="stat">2</span> <span class="stat-label">due in the next 7 days</span>' in content
        assert "Studio Nord" in urgent and "Atelier Sud" in urgent
        assert "Plus tard" not in urgent and "Sans date" not in urgent
        others = section(content, "tasks-title")
        assert others.index("Plus tard") < others.index("Sans date")
        assert "2 tasks due later or without a due date" in others
        assert "Déjà faite" not in content
        board = reverse("missions:board", args=[studio.collective.slug, studio.pk])
        assert f'href="{board}?who=mine"' in urgent

    def test_only_my_tasks_in_my_collectives_on_missions_still_open(self, my_client, me):
        mission = join(me, title="Ma mission")
        someone = UserFactory()
        TaskFactory(mission=mission, assignee=someone, title="Tâche d'un autre", due_date=TODAY)
        TaskFactory(mission=mission, title="Tâche libre", due_date=TODAY)
        left = join(me, title="Collectif quitté")
        TaskFactory(mission=left, assignee=me, title="Tâche d'un collectif quitté", due_date=TODAY)
        left.collective.memberships.filter(user=me).delete()
        closed = join(me, status=Mission.Status.CLOSED)
        TaskFactory(mission=closed, assignee=me, title="Tâche d'une mission close", due_date=TODAY)
        TaskFactory(mission=mission, assignee=me, title="La mienne", due_date=TODAY)

        content = my_client.get(MY_WORK_URL).content.decode()

        assert "La mienne" in content
        assert "Tâche d&#x27;un autre" not in content
        assert "Tâche libre" not in content
        assert "collectif quitté" not in content
        assert "mission close" not in content

    def test_this_week_s_time_per_mission_with_a_link_to_the_timesheet(self, my_client, me):
        site = join(me, title="Site vitrine")
        app = join(me, title="Application")
        TimeEntryFactory(mission=site, user=me, date=dt.date(2026, 3, 2), hours=Decimal("7"))
        TimeEntryFactory(mission=site, user=me, date=dt.date(2026, 3, 4), hours=Decimal("3.5"))
        TimeEntryFactory(mission=app, user=me, date=dt.date(2026, 3, 8), hours=Decimal("1.25"))
        TimeEntryFactory(mission=app, user=me, date=dt.date(2026, 3, 1), hours=Decimal("8"))  # last week
        TimeEntryFactory(mission=site, date=dt.date(2026, 3, 3), hours=Decimal("6"))  # the lead's

        content = my_client.get(MY_WORK_URL).content.decode()

        time = section(content, "time-title")
        assert '<span class="stat">11.75&nbsp;h</span>' in time
        assert "<span>10.5&nbsp;h</span>" in time
        assert "<span>1.25&nbsp;h</span>" in time
        assert f'href="{reverse("timesheets:week")}?week=2026-W10"' in content
        assert f'href="{reverse("timesheets:mission", args=[site.collective.slug, site.pk])}"' in time

    def test_deliverables_i_own_with_their_dates_and_stored_health(self, my_client, me):
        mission = join(me, title="Site vitrine")
        DeliverableFactory(
            mission=mission,
            owner=me,
            title="Maquettes",
            internal_date=dt.date(2026, 3, 12),
            announced_date=dt.date(2026, 3, 16),
            health=Deliverable.Health.AT_RISK,
            health_reason="12 h of open work, 6 h of capacity before March 12",
        )
        DeliverableFactory(mission=mission, owner=me, title="Déjà livré", status=Deliverable.Status.DELIVERED)
        DeliverableFactory(mission=mission, title="Pas à moi")

        content = my_client.get(MY_WORK_URL).content.decode()

        deliverables = section(content, "deliverables-title")
        assert "Maquettes" in deliverables
        assert "March 12, 2026" in deliverables
        assert "March 16, 2026" in deliverables
        assert '<span class="badge badge--at_risk">At risk</span>' in deliverables
        assert "12 h of open work, 6 h of capacity before March 12" in deliverables
        assert "Déjà livré" not in deliverables
        assert "Pas à moi" not in deliverables

    def test_empty_states_say_what_to_do(self, my_client):
        content = my_client.get(MY_WORK_URL).content.decode()

        assert "Nothing due in the next 7 days and nothing late." in content
        assert "No task is assigned to you. Take one on a mission&#x27;s board" in content or (
            "No task is assigned to you. Take one on a mission's board" in content
        )
        assert "No time logged this week yet." in content
        assert "You own no deliverable in progress." in content
        assert "Subscribe in my calendar" in content

    def test_other_tasks_are_paginated(self, my_client, me):
        mission = join(me)
        for index in range(27):
            TaskFactory(mission=mission, assignee=me, title=f"Tâche {index:02d}")

        first = my_client.get(MY_WORK_URL).content.decode()
        second = my_client.get(MY_WORK_URL + "?page=2").content.decode()

        assert "Page 1 of 2" in first
        assert section(first, "tasks-title").count('class="task-item"') == 25
        assert section(second, "tasks-title").count('class="task-item"') == 2

    def test_at_most_50_urgent_tasks_are_listed_and_the_total_is_said(self, my_client, me):
        mission = join(me)
        Task.objects.bulk_create(
            Task(
                collective=mission.collective,
                mission=mission,
                assignee=me,
                title=f"Urgente {index:02d}",
                due_date=TODAY - dt.timedelta(days=index % 10),
            )
            for index in range(53)
        )

        content = my_client.get(MY_WORK_URL).content.decode()

        assert section(content, "urgent-title").count('class="task-item"') == 50
        assert "Only the 50 most urgent of these 53 tasks are listed" in content
        assert '<span class="stat">47</span> <span class="stat-label">late tasks</span>' in content

    def test_anonymous_visitors_are_sent_to_log_in(self, client):
        response = client.get(MY_WORK_URL)

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


class TestQueryCount:
    def fill(self, me, collectives: int, tasks_per_mission: int):
        for index in range(collectives):
            mission = join(me)
            DeliverableFactory(mission=mission, owner=me)
            TimeEntryFactory(mission=mission, user=me, date=TODAY)
            for number in range(tasks_per_mission):
                TaskFactory(
                    mission=mission,
                    assignee=me,
                    due_date=TODAY + dt.timedelta(days=number - 2) if number % 2 else None,
                    deliverable=None,
                )
            if index % 2:
                TaskFactory(mission=mission, assignee=me, deliverable=DeliverableFactory(mission=mission))

    def test_the_same_number_of_queries_with_few_and_many_tasks_and_collectives(
        self, my_client, me, django_assert_num_queries
    ):
        self.fill(me, collectives=1, tasks_per_mission=3)
        my_client.get(MY_WORK_URL)  # warm-up
        with django_assert_num_queries(9) as few:
            my_client.get(MY_WORK_URL)

        self.fill(me, collectives=6, tasks_per_mission=12)
        with django_assert_num_queries(len(few.captured_queries)):
            response = my_client.get(MY_WORK_URL)

        assert response.content.decode().count('class="task-item"') > 30
