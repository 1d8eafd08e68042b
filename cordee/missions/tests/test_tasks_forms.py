# ruff: noqa: F811 - the fixtures imported from board_fixtures are requested by name
"""Creating and editing tasks: the form, its choices limited to the mission, and the modes' rules."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from cordee.missions.models import MissionMember, Task, TaskAssignment
from cordee.missions.tests.board_fixtures import (  # noqa: F401 - fixtures
    BY_ROLE,
    SELF_SERVICE,
    deliverable,
    english,
    login,
    mission,
    other_mission,
    people,
    set_mode,
)
from cordee.missions.tests.factories import DeliverableFactory, MissionFactory, TaskFactory

pytestmark = pytest.mark.django_db


def create_url(mission):
    return reverse("missions:task_create", args=[mission.collective.slug, mission.pk])


def edit_url(task, mission=None):
    mission = mission or task.mission
    return reverse("missions:task_edit", args=[mission.collective.slug, mission.pk, task.pk])


def board_url(mission):
    return reverse("missions:board", args=[mission.collective.slug, mission.pk])


def options(content, name):
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', content, re.S)
    assert select, f"no {name} select"
    return re.findall(r"<option[^>]*>([^<]*)</option>", select.group(1))


def form_data(**overrides):
    data = {
        "title": "Maquette de la page produit",
        "description": "Desktop et mobile",
        "deliverable": "",
        "required_role": "",
        "estimate_hours": "6.5",
        "due_date": "2026-03-20",
        "assignee": "",
    }
    data.update(overrides)
    return data


class TestCreate:
    def test_the_form_offers_the_missions_deliverables_the_teams_roles_and_members(
        self, client, mission, people, deliverable, other_mission
    ):
        DeliverableFactory(mission=MissionFactory(collective=mission.collective), title="Autre mission")
        login(client, people.lead)

        content = client.get(create_url(mission)).content.decode()

        assert options(content, "deliverable") == ["None", "Maquettes"]
        assert options(content, "required_role") == ["No particular role", "back-end", "design", "lead"]
        assert options(content, "assignee") == ["Nobody yet", "Anna Durand", "Bruno Petit", "Léa Martin"]

    def test_the_lead_adds_a_task_and_goes_back_to_its_card(self, client, mission, people, deliverable):
        login(client, people.lead)

        response = client.post(
            create_url(mission),
            form_data(deliverable=deliverable.pk, required_role="design", assignee=people.anna.pk),
            follow=True,
        )

        task = Task.objects.get(mission=mission)
        assert response.redirect_chain == [(f"{board_url(mission)}#task-{task.pk}", 302)]
        assert "Task “Maquette de la page produit” added to the board." in response.content.decode()
        assert (task.title, task.description, task.deliverable, task.required_role) == (
            "Maquette de la page produit",
            "Desktop et mobile",
            deliverable,
            "design",
        )
        assert (task.estimate_hours, task.due_date, task.assignee, task.created_by) == (
            Decimal("6.50"),
            dt.date(2026, 3, 20),
            people.anna,
            people.lead,
        )
        assert list(TaskAssignment.objects.values_list("to_user", "changed_by")) == [
            (people.anna.pk, people.lead.pk)
        ]

    def test_add_and_create_another(self, client, mission, people):
        login(client, people.lead)

        response = client.post(create_url(mission), form_data(next="another"))

        assert response.status_code == 302
        assert response.url == create_url(mission)
        assert Task.objects.filter(mission=mission).count() == 1

    @pytest.mark.parametrize(
        ("field", "value", "error"),
        [
            ("title", "   ", "This field is required."),
            ("estimate_hours", "-2", "Ensure this value is greater than or equal to 0."),
            ("estimate_hours", "beaucoup", "Enter a number."),
            (
                "required_role",
                "astronaut",
                "Select a valid choice. astronaut is not one of the available choices.",
            ),
            ("due_date", "32/13/2026", "Enter a valid date."),
        ],
    )
    def test_invalid_values_are_refused_and_what_was_typed_is_kept(
        self, client, mission, people, field, value, error
    ):
        login(client, people.lead)

        response = client.post(create_url(mission), form_data(**{field: value, "description": "Texte tapé"}))

        assert response.status_code == 200
        content = response.content.decode()
        assert f'<ul class="errorlist" id="id_{field}_errors"><li>{error}</li></ul>' in content
        assert "Texte tapé</textarea>" in content
        assert not Task.objects.exists()

    def test_a_deliverable_of_another_mission_or_collective_is_refused(
        self, client, mission, people, other_mission
    ):
        same_collective = DeliverableFactory(mission=MissionFactory(collective=mission.collective))
        login(client, people.lead)

        for foreign in (same_collective, other_mission.deliverables.get()):
            response = client.post(create_url(mission), form_data(deliverable=foreign.pk))
            assert (
                "Select a valid choice. That choice is not one of the available choices."
                in response.content.decode()
            )
            assert 'value="Maquette de la page produit"' in response.content.decode()
        assert not Task.objects.filter(mission=mission).exists()

    def test_an_assignee_outside_the_team_or_collective_is_refused(
        self, client, mission, people, other_mission
    ):
        login(client, people.lead)

        for user in (people.outsider, people.admin, other_mission.lead):
            response = client.post(create_url(mission), form_data(assignee=user.pk))
            assert (
                "Select a valid choice. That choice is not one of the available choices."
                in response.content.decode()
            )
        assert not Task.objects.filter(mission=mission).exists()

    def test_in_lead_assigns_mode_a_member_cannot_add_tasks(self, client, mission, people):
        login(client, people.anna)

        assert client.get(create_url(mission)).status_code == 403
        response = client.post(create_url(mission), form_data())

        assert response.status_code == 403
        assert (
            "Only the lead of the mission can add tasks in this mission&#x27;s mode."
            in response.content.decode()
        )
        assert not Task.objects.exists()

    def test_in_self_service_mode_a_member_adds_tasks_without_choosing_the_assignee(
        self, client, mission, people
    ):
        set_mode(mission, SELF_SERVICE)
        login(client, people.anna)

        content = client.get(create_url(mission)).content.decode()
        assert 'name="assignee"' not in content
        client.post(create_url(mission), form_data(assignee=people.bruno.pk))

        task = Task.objects.get(mission=mission)
        assert (task.created_by, task.assignee) == (people.anna, None)
        assert not TaskAssignment.objects.exists()

    def test_a_collective_member_outside_the_team_cannot_add_tasks(self, client, mission, people):
        set_mode(mission, SELF_SERVICE)
        login(client, people.outsider)

        assert client.post(create_url(mission), form_data()).status_code == 403
        assert not Task.objects.exists()

    def test_by_role_the_task_goes_to_the_holder_and_the_page_says_so(self, client, mission, people):
        set_mode(mission, BY_ROLE)
        login(client, people.lead)

        content = client.get(create_url(mission)).content.decode()
        assert options(content, "assignee")[0] == "Automatic: the member holding the role"
        response = client.post(create_url(mission), form_data(required_role="design"), follow=True)

        assert Task.objects.get(mission=mission).assignee == people.anna
        assert "Given to Anna Durand, who holds the role “design”." in response.content.decode()

    def test_by_role_the_lead_can_choose_someone_else(self, client, mission, people):
        set_mode(mission, BY_ROLE)
        login(client, people.lead)

        client.post(create_url(mission), form_data(required_role="design", assignee=people.bruno.pk))

        assert Task.objects.get(mission=mission).assignee == people.bruno

    def test_by_role_a_member_adds_a_task_that_goes_to_the_holder(self, client, mission, people):
        set_mode(mission, BY_ROLE)
        login(client, people.anna)

        client.post(create_url(mission), form_data(required_role="back-end"))

        task = Task.objects.get(mission=mission)
        assert (task.assignee, task.created_by) == (people.bruno, people.anna)
        assert list(TaskAssignment.objects.values_list("to_user", "changed_by")) == [
            (people.bruno.pk, people.anna.pk)
        ]


class TestEdit:
    def test_the_form_shows_the_task_and_its_assignment_history(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Maquette", required_role="design")
        TaskAssignment.objects.create(
            collective=mission.collective, task=task, to_user=people.anna, changed_by=people.lead
        )
        TaskAssignment.objects.create(
            collective=mission.collective,
            task=task,
            from_user=people.anna,
            to_user=people.bruno,
            changed_by=people.lead,
        )
        login(client, people.lead)

        content = client.get(edit_url(task)).content.decode()

        assert 'value="Maquette"' in content
        assert "From Anna Durand to Bruno Petit" in content
        assert "Given to Anna Durand" in content
        assert "(by Léa Martin)" in content

    def test_the_lead_edits_and_reassigns(self, client, mission, people, deliverable):
        task = TaskFactory(mission=mission, title="Maquette", assignee=people.anna)
        login(client, people.lead)

        response = client.post(
            edit_url(task),
            form_data(title="Maquette v2", deliverable=deliverable.pk, assignee=people.bruno.pk),
        )

        assert response.status_code == 302
        task.refresh_from_db()
        assert (task.title, task.deliverable, task.assignee) == ("Maquette v2", deliverable, people.bruno)
        assert list(TaskAssignment.objects.values_list("from_user", "to_user")) == [
            (people.anna.pk, people.bruno.pk)
        ]

    def test_a_member_edits_their_own_task_but_cannot_change_its_assignee(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Maquette", assignee=people.anna)
        login(client, people.anna)

        response = client.post(edit_url(task), form_data(title="Maquette revue", assignee=""))

        assert response.status_code == 302
        task.refresh_from_db()
        assert (task.title, task.assignee) == ("Maquette revue", people.anna)

    def test_a_member_cannot_edit_someone_elses_task(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Celle de Bruno", assignee=people.bruno)
        login(client, people.anna)

        assert client.get(edit_url(task)).status_code == 403
        response = client.post(edit_url(task), form_data(title="Piratée"))

        assert response.status_code == 403
        assert Task.objects.get(pk=task.pk).title == "Celle de Bruno"

    def test_an_invalid_edit_keeps_what_was_typed_and_changes_nothing(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Maquette", estimate_hours=Decimal("4"))
        login(client, people.lead)

        response = client.post(edit_url(task), form_data(title="Nouveau titre", estimate_hours="-1"))

        content = response.content.decode()
        assert "Ensure this value is greater than or equal to 0." in content
        assert 'value="Nouveau titre"' in content
        task.refresh_from_db()
        assert (task.title, task.estimate_hours) == ("Maquette", Decimal("4.00"))

    def test_by_role_a_new_role_reassigns_and_removing_the_role_keeps_the_assignee(
        self, client, mission, people
    ):
        set_mode(mission, BY_ROLE)
        task = TaskFactory(mission=mission, title="Textes", required_role="copywriting", assignee=people.anna)
        MissionMember.objects.filter(mission=mission, user=people.anna).update(role="design")
        login(client, people.lead)

        content = client.get(edit_url(task)).content.decode()
        assert "copywriting (nobody on the team)" in options(content, "required_role")
        response = client.post(
            edit_url(task),
            form_data(title="Textes", required_role="back-end", assignee=people.anna.pk),
            follow=True,
        )
        assert Task.objects.get(pk=task.pk).assignee == people.bruno
        assert "Given to Bruno Petit, who holds the role “back-end”." in response.content.decode()

        response = client.post(
            edit_url(task), form_data(title="Textes", required_role="", assignee=people.bruno.pk), follow=True
        )
        assert Task.objects.get(pk=task.pk).assignee == people.bruno
