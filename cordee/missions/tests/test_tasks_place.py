# ruff: noqa: F811 - the fixtures imported from board_fixtures are requested by name
"""A drop on the board: a task goes to a column, above a given card, with the rights of a move."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cordee.missions.models import ClientRequest, Task, TaskAssignment
from cordee.missions.services.tasks import task_place
from cordee.missions.tests.board_fixtures import (  # noqa: F401 - fixtures
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
from cordee.missions.tests.factories import ClientRequestFactory, TaskFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board"}


def titles(mission, status):
    return list(
        Task.objects.filter(mission=mission, status=status)
        .order_by("position", "pk")
        .values_list("title", flat=True)
    )


def positions(mission):
    return list(Task.objects.filter(mission=mission).order_by("pk").values_list("status", "position"))


def place_url(task, mission=None):
    mission = mission or task.mission
    return reverse("missions:task_place", args=[mission.collective.slug, mission.pk, task.pk])


@pytest.fixture
def column(mission):
    return [TaskFactory(mission=mission, title=title, position=index) for index, title in enumerate("ABCD")]


class TestService:
    def test_within_a_column_above_a_card(self, mission, people, column):
        a, b, c, d = column

        assert task_place(task=d, status="todo", before_id=b.pk, by=people.lead) is True
        assert titles(mission, "todo") == ["A", "D", "B", "C"]
        assert task_place(task=a, status="todo", before_id=None, by=people.lead) is True
        assert titles(mission, "todo") == ["D", "B", "C", "A"]
        assert sorted(position for _status, position in positions(mission)) == [0, 1, 2, 3]

    def test_the_same_place_changes_nothing(self, mission, people, column):
        a, b, c, d = column
        before = positions(mission)

        assert task_place(task=b, status="todo", before_id=c.pk, by=people.lead) is False
        assert positions(mission) == before

    def test_to_another_column_at_a_given_place(self, mission, people, column):
        a, b, c, d = column
        x = TaskFactory(mission=mission, title="X", status=Task.Status.DOING, position=0)
        y = TaskFactory(mission=mission, title="Y", status=Task.Status.DOING, position=1)

        assert task_place(task=c, status="doing", before_id=y.pk, by=people.lead) is True
        assert titles(mission, "doing") == ["X", "C", "Y"]
        assert titles(mission, "todo") == ["A", "B", "D"]
        assert x.pk  # unchanged above

    def test_to_done_records_the_completion_and_keeps_the_done_order(
        self, mission, people, column, frozen_now
    ):
        request = ClientRequestFactory(mission=mission, status=ClientRequest.Status.PLANNED)
        task = TaskFactory(mission=mission, request=request, title="Seule")

        assert task_place(task=task, status="done", before_id=column[0].pk, by=people.lead) is True
        task.refresh_from_db()
        assert (task.status, task.completed_at) == (Task.Status.DONE, NOW)
        assert ClientRequest.objects.get(pk=request.pk).status == ClientRequest.Status.DONE

    def test_a_card_of_another_column_as_anchor_puts_the_task_at_the_bottom(self, mission, people, column):
        other = TaskFactory(mission=mission, status=Task.Status.REVIEW)

        task_place(task=column[0], status="todo", before_id=other.pk, by=people.lead)

        assert titles(mission, "todo") == ["B", "C", "D", "A"]

    def test_a_member_places_only_their_own_task_and_a_refusal_changes_nothing(self, mission, people, column):
        mine = TaskFactory(mission=mission, title="E", assignee=people.anna, position=4)
        theirs = TaskFactory(mission=mission, title="F", assignee=people.bruno, position=5)
        before = positions(mission)

        for by in (people.anna, people.outsider):
            with pytest.raises(PermissionDenied):
                task_place(task=theirs, status="doing", before_id=None, by=by)
            with pytest.raises(PermissionDenied):
                task_place(task=theirs, status="todo", before_id=column[0].pk, by=by)
        assert positions(mission) == before
        assert task_place(task=mine, status="todo", before_id=column[0].pk, by=people.anna) is True
        assert titles(mission, "todo") == ["E", "A", "B", "C", "D", "F"]
        assert not TaskAssignment.objects.exists()

    def test_an_unknown_status_is_refused(self, mission, people, column):
        before = positions(mission)

        with pytest.raises(ValidationError):
            task_place(task=column[0], status="archived", before_id=None, by=people.lead)
        assert positions(mission) == before


class TestView:
    def test_a_drop_through_htmx_answers_the_board_with_the_card_in_place(
        self, client, mission, people, column
    ):
        a, b, c, d = column
        login(client, people.lead)

        response = client.post(place_url(d), {"status": "todo", "before": a.pk, "who": ""}, **HTMX)

        assert response.status_code == 200
        content = response.content.decode()
        assert (
            '<div id="board-status" hx-swap-oob="innerHTML"><p class="message message--success">' in content
        )
        assert "“D” moved within To do." in content
        assert content.index(f'id="task-{d.pk}"') < content.index(f'id="task-{a.pk}"')
        assert titles(mission, "todo") == ["D", "A", "B", "C"]

    def test_a_plain_post_to_another_column_redirects_with_the_filters(self, client, mission, people, column):
        login(client, people.lead)

        response = client.post(
            place_url(column[1]), {"status": "review", "before": "", "late": "1"}, follow=True
        )

        assert response.redirect_chain == [
            (reverse("missions:board", args=[mission.collective.slug, mission.pk]) + "?late=1", 302)
        ]
        assert "“B” moved to Review." in response.content.decode()
        assert titles(mission, "review") == ["B"]

    def test_a_refused_drop_answers_403_with_the_fresh_board_and_changes_nothing(
        self, client, mission, people, column
    ):
        set_mode(mission, SELF_SERVICE)
        before = positions(mission)
        login(client, people.anna)

        response = client.post(place_url(column[2]), {"status": "doing", "before": ""}, **HTMX)

        assert response.status_code == 403
        assert response["X-Board-Refresh"] == "1"
        assert (
            "Only the lead of the mission or the task&#x27;s assignee can move it."
            in response.content.decode()
        )
        assert positions(mission) == before

    def test_bad_input_is_refused_and_changes_nothing(self, client, mission, people, column):
        before = positions(mission)
        login(client, people.lead)

        for data in (
            {"status": "archived"},
            {"status": "todo", "before": "x"},
            {"status": "todo", "before": "-3"},
        ):
            response = client.post(place_url(column[0]), data, follow=True)
            assert "Choose a valid status." in response.content.decode()
        assert positions(mission) == before

    def test_get_is_not_allowed_and_other_collectives_get_a_404(self, client, mission, people, other_mission):
        task = TaskFactory(mission=mission)
        foreign = TaskFactory(mission=other_mission)
        login(client, people.lead)

        assert client.get(place_url(task)).status_code == 405
        assert client.post(place_url(foreign, mission=mission), {"status": "doing"}).status_code == 404
        assert Task.objects.get(pk=foreign.pk).status == Task.Status.TODO
