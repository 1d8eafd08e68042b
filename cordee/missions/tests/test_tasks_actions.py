# ruff: noqa: F811 - the fixtures imported from board_fixtures are requested by name
"""Board actions through the views: htmx and plain posts, 403 with nothing changed, isolation."""

import pytest
from django.urls import reverse

from cordee.missions.models import Task, TaskAssignment
from cordee.missions.tests.board_fixtures import (  # noqa: F401 - fixtures
    BY_ROLE,
    NOW,
    SELF_SERVICE,
    english,
    frozen_now,
    login,
    mission,
    other_mission,
    people,
    set_mode,
)
from cordee.missions.tests.factories import (
    ClientRequestFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
    TimeEntryFactory,
)

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board"}


def action_url(name, task, mission=None):
    mission = mission or task.mission
    return reverse(f"missions:{name}", args=[mission.collective.slug, mission.pk, task.pk])


def board_url(mission, query=""):
    return reverse("missions:board", args=[mission.collective.slug, mission.pk]) + query


def state(task):
    row = Task.objects.values("assignee_id", "status", "completed_at", "position").get(pk=task.pk)
    return row, TaskAssignment.objects.filter(task=task).count()


class TestMove:
    def test_htmx_gets_the_board_fragment_back_with_the_card_in_its_new_column(
        self, client, mission, people, frozen_now
    ):
        task = TaskFactory(mission=mission, assignee=people.anna, title="Maquette")
        login(client, people.anna)

        response = client.post(action_url("task_move", task), {"status": "doing"}, **HTMX)

        assert response.status_code == 200
        content = response.content.decode()
        assert content.lstrip().startswith('<div id="board-status"')
        assert "<html" not in content
        assert '<p class="message message--success">“Maquette” moved to Doing.</p>' in content
        assert '<div id="board" class="task-board">' in content
        doing = content.split('board__column--doing"')[1].split("</section>")[0]
        assert f'id="task-{task.pk}"' in doing
        assert Task.objects.get(pk=task.pk).status == Task.Status.DOING

    def test_a_plain_post_moves_and_redirects_to_the_board_with_its_filters(
        self, client, mission, people, frozen_now
    ):
        task = TaskFactory(mission=mission, assignee=people.anna, title="Maquette")
        login(client, people.anna)

        response = client.post(
            action_url("task_move", task), {"status": "done", "who": "mine", "late": "1"}, follow=True
        )

        assert response.redirect_chain == [(board_url(mission, "?who=mine&late=1"), 302)]
        assert "“Maquette” moved to Done." in response.content.decode()
        task.refresh_from_db()
        assert (task.status, task.completed_at) == (Task.Status.DONE, NOW)

    def test_the_htmx_fragment_keeps_the_filters(self, client, mission, people):
        mine = TaskFactory(mission=mission, assignee=people.anna, title="À moi")
        TaskFactory(mission=mission, title="Pas à moi")
        login(client, people.anna)

        response = client.post(action_url("task_move", mine), {"status": "review", "who": "mine"}, **HTMX)

        content = response.content.decode()
        assert "Pas à moi" not in content
        assert '<input type="hidden" name="who" value="mine">' in content

    def test_an_unknown_status_is_refused_and_nothing_changes(self, client, mission, people):
        task = TaskFactory(mission=mission, assignee=people.anna)
        before = state(task)
        login(client, people.anna)

        response = client.post(action_url("task_move", task), {"status": "archived"}, follow=True)

        assert "Choose a valid status." in response.content.decode()
        assert state(task) == before

    def test_a_refused_move_answers_403_and_changes_nothing(self, client, mission, people):
        task = TaskFactory(mission=mission, assignee=people.bruno, title="Celle de Bruno")
        before = state(task)
        login(client, people.anna)

        response = client.post(action_url("task_move", task), {"status": "done"})

        assert response.status_code == 403
        content = response.content.decode()
        assert "Only the lead of the mission or the task&#x27;s assignee can move it." in content
        assert "Nothing was changed." in content
        assert state(task) == before

    def test_a_refused_htmx_move_answers_403_with_the_fresh_board_and_the_reason(
        self, client, mission, people
    ):
        task = TaskFactory(mission=mission, assignee=people.bruno, title="Celle de Bruno")
        before = state(task)
        login(client, people.anna)

        response = client.post(action_url("task_move", task), {"status": "done"}, **HTMX)

        assert response.status_code == 403
        assert response["X-Board-Refresh"] == "1"
        content = response.content.decode()
        assert '<p class="message message--error">' in content
        assert '<div id="board" class="task-board">' in content
        assert state(task) == before

    def test_reorder_without_js_goes_through_the_same_form(self, client, mission, people):
        first = TaskFactory(mission=mission, title="A")
        second = TaskFactory(mission=mission, title="B")
        login(client, people.lead)

        response = client.post(
            action_url("task_reorder", second), {"status": "todo", "direction": "up"}, follow=True
        )

        assert "“B” moved up." in response.content.decode()
        ordered = Task.objects.filter(mission=mission).order_by("position", "pk")
        assert list(ordered) == [second, first]

    @pytest.mark.parametrize(
        "name", ["task_move", "task_reorder", "task_assign", "task_take", "task_release", "task_delete"]
    )
    def test_actions_only_accept_posts(self, client, mission, people, name):
        task = TaskFactory(mission=mission)
        login(client, people.lead)

        assert client.get(action_url(name, task)).status_code == 405


class TestAssignmentThroughTheViews:
    def test_the_lead_assigns_in_place(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Maquette")
        login(client, people.lead)

        response = client.post(action_url("task_assign", task), {"assignee": people.anna.pk}, **HTMX)

        assert response.status_code == 200
        assert "“Maquette” assigned to Anna Durand." in response.content.decode()
        assert Task.objects.get(pk=task.pk).assignee == people.anna
        assert list(TaskAssignment.objects.values_list("from_user", "to_user", "changed_by")) == [
            (None, people.anna.pk, people.lead.pk)
        ]

    def test_the_lead_unassigns(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Maquette", assignee=people.anna)
        login(client, people.lead)

        response = client.post(action_url("task_assign", task), {"assignee": ""}, follow=True)

        assert "“Maquette” is unassigned." in response.content.decode()
        assert Task.objects.get(pk=task.pk).assignee is None

    @pytest.mark.parametrize("mode", ["lead_assigns", SELF_SERVICE, BY_ROLE])
    def test_a_member_assigning_gets_a_403_and_nothing_changes(self, client, mission, people, mode):
        set_mode(mission, mode)
        task = TaskFactory(mission=mission)
        before = state(task)
        login(client, people.anna)

        response = client.post(action_url("task_assign", task), {"assignee": people.anna.pk})

        assert response.status_code == 403
        assert "Only the lead of the mission can assign tasks." in response.content.decode()
        assert state(task) == before

    def test_an_assignee_outside_the_team_is_refused(self, client, mission, people, other_mission):
        task = TaskFactory(mission=mission)
        before = state(task)
        other_team = MissionMemberFactory(mission=MissionFactory(collective=mission.collective)).user
        login(client, people.lead)

        for user in (people.outsider, other_team, other_mission.lead):
            response = client.post(action_url("task_assign", task), {"assignee": user.pk}, follow=True)
            assert "Choose a member of the mission&#x27;s team." in response.content.decode()
        assert state(task) == before


class TestSelfServiceThroughTheViews:
    @pytest.fixture(autouse=True)
    def _self_service(self, mission):
        set_mode(mission, SELF_SERVICE)

    def test_i_will_take_it(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Maquette")
        login(client, people.anna)

        response = client.post(action_url("task_take", task), **HTMX)

        assert response.status_code == 200
        assert "“Maquette” is yours." in response.content.decode()
        assert Task.objects.get(pk=task.pk).assignee == people.anna

    def test_release(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Maquette", assignee=people.anna)
        login(client, people.anna)

        response = client.post(action_url("task_release", task), follow=True)

        assert "You released “Maquette”: it is unassigned again." in response.content.decode()
        assert Task.objects.get(pk=task.pk).assignee is None

    def test_taking_a_task_someone_took_is_a_403(self, client, mission, people):
        task = TaskFactory(mission=mission, assignee=people.bruno)
        before = state(task)
        login(client, people.anna)

        response = client.post(action_url("task_take", task))

        assert response.status_code == 403
        assert "Someone already took this task." in response.content.decode()
        assert state(task) == before

    def test_releasing_someone_elses_task_is_a_403(self, client, mission, people):
        task = TaskFactory(mission=mission, assignee=people.bruno)
        before = state(task)
        login(client, people.anna)

        assert client.post(action_url("task_release", task)).status_code == 403
        assert state(task) == before

    @pytest.mark.parametrize("name", ["task_take", "task_release", "task_move"])
    def test_a_collective_member_outside_the_team_gets_a_403(self, client, mission, people, name):
        task = TaskFactory(mission=mission)
        before = state(task)
        login(client, people.outsider)

        assert client.post(action_url(name, task), {"status": "doing"}).status_code == 403
        assert state(task) == before


@pytest.mark.parametrize("mode", ["lead_assigns", BY_ROLE])
@pytest.mark.parametrize("name", ["task_take", "task_release"])
def test_take_and_release_are_403_outside_self_service(client, mission, people, mode, name):
    set_mode(mission, mode)
    task = TaskFactory(mission=mission, assignee=people.anna if name == "task_release" else None)
    before = state(task)
    login(client, people.anna)

    response = client.post(action_url(name, task))

    assert response.status_code == 403
    assert state(task) == before


class TestIsolation:
    @pytest.mark.parametrize(
        "name",
        ["task_move", "task_reorder", "task_assign", "task_take", "task_release", "task_edit", "task_delete"],
    )
    def test_a_task_of_another_collective_is_a_404(self, client, people, mission, other_mission, name):
        task = other_mission.tasks.get()
        before = state(task)
        login(client, people.lead)

        # Under its own collective's address (not ours) and smuggled under our mission.
        assert client.post(action_url(name, task), {"status": "done"}).status_code == 404
        assert client.post(action_url(name, task, mission=mission), {"status": "done"}).status_code == 404
        assert client.get(action_url(name, task, mission=mission)).status_code == 404
        assert state(task) == before

    @pytest.mark.parametrize("name", ["task_move", "task_assign", "task_take", "task_edit"])
    def test_a_task_of_mission_x_is_a_404_under_mission_y(self, client, people, mission, name):
        mission_y = MissionFactory(collective=mission.collective, lead=people.lead)
        task = TaskFactory(mission=mission)
        before = state(task)
        login(client, people.lead)

        assert client.post(action_url(name, task, mission=mission_y), {"status": "done"}).status_code == 404
        assert state(task) == before

    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, mission):
        task = TaskFactory(mission=mission)

        response = client.post(action_url("task_move", task), {"status": "done"})

        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
        assert Task.objects.get(pk=task.pk).status == Task.Status.TODO


class TestDelete:
    def test_the_lead_deletes_a_task_added_by_mistake(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Doublon")
        login(client, people.lead)

        content = client.get(action_url("task_edit", task)).content.decode()
        assert action_url("task_delete", task) in content
        response = client.post(action_url("task_delete", task), follow=True)

        assert response.redirect_chain == [(board_url(mission), 302)]
        assert "Task “Doublon” deleted." in response.content.decode()
        assert not Task.objects.filter(pk=task.pk).exists()

    def test_a_task_with_logged_time_is_kept(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Maquette")
        TimeEntryFactory(mission=mission, task=task, user=people.lead)
        login(client, people.lead)

        response = client.post(action_url("task_delete", task), follow=True)

        assert response.redirect_chain == [(action_url("task_edit", task), 302)]
        assert (
            "Time was logged on this task: move it to done instead of deleting it."
            in response.content.decode()
        )
        assert Task.objects.filter(pk=task.pk).exists()

    @pytest.mark.parametrize("mode", ["lead_assigns", SELF_SERVICE, BY_ROLE])
    def test_members_cannot_delete_even_their_own_tasks(self, client, mission, people, mode):
        set_mode(mission, mode)
        task = TaskFactory(mission=mission, assignee=people.anna, created_by=people.anna)
        login(client, people.anna)

        assert "/delete/" not in client.get(action_url("task_edit", task)).content.decode()
        response = client.post(action_url("task_delete", task))

        assert response.status_code == 403
        assert "Only the lead of the mission can delete tasks." in response.content.decode()
        assert Task.objects.filter(pk=task.pk).exists()

    def test_deleting_the_last_open_task_of_a_request_completes_it(self, client, mission, people):
        client_request = ClientRequestFactory(mission=mission, status="planned")
        TaskFactory(mission=mission, request=client_request, status=Task.Status.DONE)
        mistake = TaskFactory(mission=mission, request=client_request)
        login(client, people.lead)

        client.post(action_url("task_delete", mistake))

        client_request.refresh_from_db()
        assert client_request.status == "done"
