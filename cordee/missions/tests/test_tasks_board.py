# ruff: noqa: F811 - the fixtures imported from board_fixtures are requested by name
"""The task board page: columns, cards, filters, actions shown to each viewer, query count."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from cordee.missions.models import MissionMember, Task
from cordee.missions.tests.board_fixtures import (  # noqa: F401 - fixtures
    BY_ROLE,
    NOW,
    SELF_SERVICE,
    TODAY,
    deliverable,
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


def board_url(mission, query=""):
    return reverse("missions:board", args=[mission.collective.slug, mission.pk]) + query


def column(content, status):
    """The HTML of one column of the board."""
    match = re.search(rf'<section class="board__column board__column--{status}".*?</section>', content, re.S)
    assert match, f"no {status} column"
    return match.group(0)


def card(content, task):
    match = re.search(rf'<li class="task-card[^"]*" id="task-{task.pk}".*?</li>', content, re.S)
    assert match, f"no card for {task.title}"
    return match.group(0)


def titles(html):
    return re.findall(r'<p class="task-card__title">(?:<a href="[^"]+">)?([^<]+)', html)


def menu(content):
    match = re.search(r'<div id="board-menu".*?\n</div>', content, re.S)
    assert match, "no menu"
    return match.group(0)


def test_columns_by_status_with_counts_hours_and_cards(client, mission, people, deliverable, frozen_now):
    TaskFactory(
        mission=mission,
        title="Maquette accueil",
        deliverable=deliverable,
        required_role="design",
        estimate_hours=Decimal("6.5"),
        due_date=TODAY - dt.timedelta(days=3),
        assignee=people.anna,
    )
    TaskFactory(mission=mission, title="API panier", estimate_hours=Decimal("4"), due_date=TODAY)
    TaskFactory(
        mission=mission, title="Relecture", status=Task.Status.REVIEW, due_date=TODAY - dt.timedelta(days=1)
    )
    TaskFactory(
        mission=mission,
        title="Brief",
        status=Task.Status.DONE,
        due_date=TODAY - dt.timedelta(days=9),
        completed_at=NOW,
    )

    response = login(client, people.lead).get(board_url(mission))

    assert response.status_code == 200
    content = response.content.decode()
    todo = column(content, "todo")
    assert "<span>To do</span>" in todo
    assert "2 tasks · 10.5 h" in todo
    assert titles(todo) == ["Maquette accueil", "API panier"]
    first = card(content, Task.objects.get(title="Maquette accueil"))
    # A compact card: title, assignee's avatar, due date, estimate, role (the deliverable is in the task).
    assert '<span class="task-card__role">design</span>' in first
    assert '<span class="task-card__estimate">6.5 h</span>' in first
    # Late: the date on red, with how late in words for screen readers and in the tooltip.
    assert (
        '<span class="task-card__due task-card__due--late" title="3 days late"><time datetime="2026-02-27">'
        'February 27</time><span class="visually-hidden"> — 3 days late</span></span>'
    ) in first
    assert "task-card--late" in first
    assert '<span class="avatar avatar--tiny" aria-hidden="true" title="Anna Durand">AD</span>' in first
    assert '<span class="visually-hidden">Assignee: Anna Durand</span>' in first
    assert "Maquettes" not in first
    assert (
        '<span class="task-card__due task-card__due--today" title="Due today"><time datetime="2026-03-02">March 2'
        '</time><span class="visually-hidden"> — Due today</span></span>'
    ) in card(content, Task.objects.get(title="API panier"))
    assert '<span class="visually-hidden"> — 1 day late</span>' in column(content, "review")
    assert "0 tasks" in column(content, "doing")
    assert "Move here the tasks someone is working on." in column(content, "doing")
    done = column(content, "done")
    assert titles(done) == ["Brief"]
    # Done work is never late.
    assert "late" not in done.replace("task-card--late", "")


def test_the_empty_board_says_what_to_do(client, mission, people):
    content = login(client, people.lead).get(board_url(mission)).content.decode()

    assert "No task yet. List what the next deliverable needs" in content
    assert (
        f'href="{reverse("missions:task_create", args=[mission.collective.slug, mission.pk])}">Add the first task'
        in content
    )


def task_url(name, task, pk=None):
    mission = task.mission
    return reverse(f"missions:{name}", args=[mission.collective.slug, mission.pk, pk or task.pk])


def test_the_lead_sees_every_action(client, mission, people):
    task = TaskFactory(mission=mission, assignee=people.anna, title="Maquette")

    content = login(client, people.lead).get(board_url(mission)).content.decode()

    own = card(content, task)
    assert f'data-assignee="{people.anna.pk}" data-actions="move assign edit" draggable="true"' in own
    assert f'<a href="{task_url("task_edit", task)}">Maquette</a>' in own
    assert f'<a class="task-card__menu" href="{task_url("task_actions", task)}" data-menu-button' in own
    # The controls exist once per board, with "{id}" standing for the card's task.
    actions = menu(content)
    template = task_url("task_move", task, pk=2147483647).replace("2147483647", "{id}")
    assert f'data-url="{template}" data-name="status" data-value="doing"' in actions
    assert (
        f'data-value="{people.bruno.pk}" data-focus-after="card">Bruno Petit · back-end</button>' in actions
    )
    assert content.count('role="menu"') == 1
    # Log out, the role filter, the board's one action form, the language: no form per card.
    assert content.count("<form") == 4
    assert "I'll take it" not in own


def test_in_lead_assigns_mode_a_member_moves_only_their_own_cards(client, mission, people):
    own = TaskFactory(mission=mission, assignee=people.anna, title="La mienne")
    other = TaskFactory(mission=mission, assignee=people.bruno, title="Celle de Bruno")

    content = login(client, people.anna).get(board_url(mission)).content.decode()

    assert 'data-actions="move edit" draggable="true"' in card(content, own)
    assert task_url("task_edit", own) in card(content, own)
    other_card = card(content, other)
    assert 'data-actions=""' in other_card
    assert "draggable" not in other_card
    assert "/edit/" not in other_card and "data-menu-button" not in other_card
    assert "Assign to" not in content
    assert "Add a task" not in content
    assert "The lead assigns the tasks; each member moves their own tasks from column to column." in content


def test_in_self_service_mode_members_see_i_will_take_it_and_release(client, mission, people):
    set_mode(mission, SELF_SERVICE)
    free = TaskFactory(mission=mission, title="Libre")
    own = TaskFactory(mission=mission, assignee=people.anna, title="La mienne")
    taken = TaskFactory(mission=mission, assignee=people.bruno, title="Prise")
    done = TaskFactory(mission=mission, status=Task.Status.DONE, title="Finie")

    content = login(client, people.anna).get(board_url(mission)).content.decode()

    assert (
        f'<button type="submit" form="board-actions" formaction="{task_url("task_take", free)}"'
        f' class="task-card__claim">I\'ll take it<span class="visually-hidden"> — Libre</span>'
    ) in card(content, free)
    assert 'data-actions="take edit"' in card(content, free)
    assert 'data-actions="move release edit"' in card(content, own)
    assert 'data-actions="edit"' in card(content, taken)
    assert "I'll take it" not in card(content, taken)
    assert "I'll take it" not in card(content, done)
    assert "Add a task" in content


def test_a_member_outside_the_team_sees_the_board_without_actions(client, mission, people):
    set_mode(mission, SELF_SERVICE)
    task = TaskFactory(mission=mission, title="Libre")

    content = login(client, people.outsider).get(board_url(mission)).content.decode()

    assert titles(content) == ["Libre"]
    assert 'data-actions=""' in card(content, task)
    assert "<button" not in card(content, task) and "data-menu-button" not in card(content, task)
    assert "Add a task" not in content


def test_by_role_mode_warns_about_roles_nobody_holds(client, mission, people):
    set_mode(mission, BY_ROLE)
    TaskFactory(mission=mission, title="Textes", required_role="Copywriting")
    TaskFactory(mission=mission, title="Maquettes", required_role="design")

    content = login(client, people.lead).get(board_url(mission)).content.decode()

    assert (
        "Nobody on the team holds the role “Copywriting”: its tasks stay unassigned until the lead assigns them"
        in content
    )
    assert "“design”" not in content


def test_a_request_task_links_to_the_inbox(client, mission, people):
    request = ClientRequestFactory(mission=mission)
    task = TaskFactory(mission=mission, request=request)

    content = card(login(client, people.lead).get(board_url(mission)).content.decode(), task)

    inbox = reverse("missions:inbox", args=[mission.collective.slug, mission.pk])
    assert (
        f'<a class="task-card__request" href="{inbox}#request-{request.pk}">From a client request</a>'
        in content
    )


class TestFilters:
    @pytest.fixture
    def tasks(self, mission, people, frozen_now):
        TaskFactory(
            mission=mission, title="Anna en retard", assignee=people.anna, due_date=TODAY - dt.timedelta(1)
        )
        TaskFactory(
            mission=mission,
            title="Anna à temps",
            assignee=people.anna,
            due_date=TODAY,
            required_role="Design",
        )
        TaskFactory(
            mission=mission, title="Libre design", required_role="design", due_date=TODAY - dt.timedelta(5)
        )
        TaskFactory(mission=mission, title="Libre back", required_role="back-end")
        TaskFactory(
            mission=mission,
            title="Finie en retard",
            assignee=people.anna,
            status=Task.Status.DONE,
            due_date=TODAY - dt.timedelta(9),
        )

    def shown(self, client, mission, query):
        return sorted(titles(client.get(board_url(mission, query)).content.decode()))

    def test_mine(self, client, mission, people, tasks):
        login(client, people.anna)

        assert self.shown(client, mission, "?who=mine") == [
            "Anna en retard",
            "Anna à temps",
            "Finie en retard",
        ]

    def test_unassigned(self, client, mission, people, tasks):
        login(client, people.lead)

        assert self.shown(client, mission, "?who=unassigned") == ["Libre back", "Libre design"]

    def test_by_role_without_case(self, client, mission, people, tasks):
        login(client, people.lead)

        assert self.shown(client, mission, "?role=DESIGN") == ["Anna à temps", "Libre design"]

    def test_late_leaves_done_work_out(self, client, mission, people, tasks):
        login(client, people.lead)

        assert self.shown(client, mission, "?late=1") == ["Anna en retard", "Libre design"]

    def test_filters_combine_and_are_kept_in_links_and_forms(self, client, mission, people, tasks):
        login(client, people.anna)

        response = client.get(board_url(mission, "?who=mine&late=1"))

        content = response.content.decode()
        assert sorted(titles(content)) == ["Anna en retard"]
        assert (
            f'<a href="{board_url(mission, "?who=mine")}" aria-current="page"><span aria-hidden="true">✓ </span>Late only</a>'
            in content
        )
        assert f'<a href="{board_url(mission, "?late=1")}">Everyone</a>' in content
        assert (
            '<input type="hidden" name="who" value="mine"><input type="hidden" name="late" value="1"></form>'
            in content
        )
        assert f'<a class="board-filters__clear" href="{board_url(mission)}">Clear the filters</a>' in content

    def test_no_match_says_so(self, client, mission, people, tasks):
        login(client, people.bruno)

        content = client.get(board_url(mission, "?who=mine")).content.decode()

        assert "No task matches these filters." in content
        assert titles(content) == []

    def test_unknown_values_are_ignored(self, client, mission, people, tasks):
        login(client, people.lead)

        assert len(self.shown(client, mission, "?who=someone&late=yes")) == 5


def _fill(mission, people, count):
    statuses = Task.Status.values
    for index in range(count):
        TaskFactory(
            mission=mission,
            status=statuses[index % 4],
            assignee=people.anna if index % 2 else None,
            due_date=TODAY + dt.timedelta(days=index % 5 - 2),
            required_role="design" if index % 3 else "",
        )


@pytest.mark.parametrize("who", ["lead", "anna"])
def test_the_board_query_count_does_not_grow_from_10_to_300_tasks(
    client, mission, people, deliverable, django_assert_num_queries, who
):
    set_mode(mission, SELF_SERVICE)
    login(client, getattr(people, who))
    url = board_url(mission)
    _fill(mission, people, 10)
    Task.objects.filter(mission=mission).update(deliverable=deliverable)
    client.get(url)  # warm-up
    # session, user, membership, the top bar's collectives, mission, team, column totals, cards
    with django_assert_num_queries(8):
        response = client.get(url)
    assert len(titles(response.content.decode())) == 10

    _fill(mission, people, 290)
    Task.objects.filter(mission=mission).update(deliverable=deliverable)
    with django_assert_num_queries(8):
        response = client.get(url)
    # The first 15 of each column (of 76 to do, 76 doing, 74 in review; the done column keeps the
    # 15 most recently finished of 74).
    content = response.content.decode()
    assert len(titles(content)) == 4 * 15
    assert "15 shown out of 76." in content
    assert "The 15 most recently finished of 74." in content
    with django_assert_num_queries(8):
        client.get(url + "?who=mine&late=1&role=design")
    with django_assert_num_queries(8):
        response = client.get(url + "?todo=40&done=60")
    assert len(titles(column(response.content.decode(), "todo"))) == 40
    assert len(titles(column(response.content.decode(), "done"))) == 60


def test_a_bigger_team_does_not_add_queries(client, mission, people, collective, django_assert_num_queries):
    login(client, people.lead)
    _fill(mission, people, 5)
    url = board_url(mission)
    client.get(url)
    with django_assert_num_queries(8):
        client.get(url)
    for index in range(6):
        user = MissionMember.objects.create(
            collective=collective,
            mission=mission,
            user=people.outsider.__class__.objects.create_user(email=f"renfort{index}@example.fr"),
            role=f"role {index}",
        ).user
        TaskFactory(mission=mission, assignee=user)
    with django_assert_num_queries(8):
        client.get(url)


class TestAccess:
    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, mission):
        response = client.get(board_url(mission))

        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))

    def test_a_member_of_another_collective_gets_a_404(self, client, mission, other_mission):
        login(client, other_mission.lead)

        assert client.get(board_url(mission)).status_code == 404

    def test_another_collectives_mission_under_this_collectives_address_is_a_404(
        self, client, mission, people, other_mission
    ):
        login(client, people.lead)
        url = reverse("missions:board", args=[mission.collective.slug, other_mission.pk])

        assert client.get(url).status_code == 404


class TestBoundedOutput:
    """The page holds a bounded number of cards whatever the number of tasks: "show more" adds a page."""

    def test_400_tasks_in_one_mission_weigh_what_80_weigh_at_most_60_cards(self, client, mission, people):
        set_mode(mission, SELF_SERVICE)
        login(client, people.lead)
        _fill(mission, people, 80)
        url = board_url(mission)
        small = client.get(url).content
        _fill(mission, people, 320)

        large = client.get(url).content

        assert len(titles(large.decode())) == len(titles(small.decode())) == 60
        assert len(large) < 100_000
        assert abs(len(large) - len(small)) < 2_000  # only the counts differ

    def test_show_more_is_a_plain_link_that_htmx_follows_in_place(self, client, mission, people):
        login(client, people.lead)
        for index in range(45):
            TaskFactory(mission=mission, title=f"T{index:02d}")

        content = client.get(board_url(mission)).content.decode()

        todo = column(content, "todo")
        assert titles(todo) == [f"T{index:02d}" for index in range(15)]
        more = board_url(mission, "?todo=30")
        assert (
            f'<a class="board__more" href="{more}" hx-get="{more}" hx-target="#board" hx-swap="outerHTML"'
            ' hx-push-url="true" data-more="todo" data-shown="15">Show more'
        ) in todo
        fragment = client.get(more, HTTP_HX_REQUEST="true").content.decode()
        assert fragment.lstrip().startswith('<div id="board" class="task-board">')
        assert "<html" not in fragment
        assert len(titles(column(fragment, "todo"))) == 30
        assert board_url(mission, "?todo=45") in column(fragment, "todo")
        last = client.get(board_url(mission, "?todo=45")).content.decode()
        assert len(titles(column(last, "todo"))) == 45
        assert "Show more" not in column(last, "todo")

    def test_filters_and_show_more_combine_and_the_ceiling_holds(self, client, mission, people):
        login(client, people.lead)
        _fill(mission, people, 24)
        for _index in range(230):
            TaskFactory(mission=mission)

        content = client.get(board_url(mission, "?who=unassigned&todo=9999")).content.decode()

        assert len(titles(column(content, "todo"))) == 200
        assert "200 shown out of 236." in column(content, "todo")
        assert "Show more" not in column(content, "todo")
        assert (
            '<input type="hidden" name="who" value="unassigned"><input type="hidden" name="todo" value="200">'
            in content
        )
        doing = column(client.get(board_url(mission, "?who=unassigned")).content.decode(), "doing")
        assert "Show more" not in doing and titles(doing) == []

    def test_a_column_opened_further_stays_open_when_another_shows_more(self, client, mission, people):
        login(client, people.lead)
        for _index in range(40):
            TaskFactory(mission=mission)
            TaskFactory(mission=mission, status=Task.Status.DOING)

        content = client.get(board_url(mission, "?todo=30")).content.decode()

        assert board_url(mission, "?todo=30&amp;doing=30") in column(content, "doing")
        assert board_url(mission, "?todo=45") in column(content, "todo")

    def test_a_history_restore_gets_the_whole_page(self, client, mission, people):
        login(client, people.lead)

        content = client.get(
            board_url(mission, "?todo=40"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
        ).content.decode()

        assert content.startswith("<!DOCTYPE html>")


def test_by_role_warns_about_a_role_nobody_holds_even_when_its_card_is_not_shown(client, mission, people):
    set_mode(mission, BY_ROLE)
    for _index in range(25):
        TaskFactory(mission=mission, required_role="design")
    TaskFactory(mission=mission, title="Textes", required_role="Copywriting")  # the 26th card of to do

    content = login(client, people.lead).get(board_url(mission)).content.decode()

    assert "Textes" not in titles(content)
    assert "Nobody on the team holds the role “Copywriting”" in content


class TestActionsPage:
    """Each card's "Actions" link: the board's menu as a page of plain forms, for browsers without JS."""

    def test_the_lead_gets_move_reorder_and_assign(self, client, mission, people):
        task = TaskFactory(mission=mission, title="Maquette", assignee=people.anna)

        response = login(client, people.lead).get(task_url("task_actions", task) + "?who=mine")

        assert response.status_code == 200
        content = response.content.decode()
        assert f'action="{task_url("task_move", task)}"' in content
        assert '<button type="submit" name="status" value="doing"' in content
        assert 'name="status" value="todo"' not in content  # its own column
        assert f'action="{task_url("task_reorder", task)}"' in content
        assert f'action="{task_url("task_assign", task)}"' in content
        assert f'<option value="{people.anna.pk}" selected>Anna Durand · design</option>' in content
        assert '<input type="hidden" name="who" value="mine">' in content
        assert f'href="{board_url(mission, "?who=mine")}#task-{task.pk}">Back to the board</a>' in content

    def test_a_member_taking_in_self_service_gets_the_take_button_only(self, client, mission, people):
        set_mode(mission, SELF_SERVICE)
        task = TaskFactory(mission=mission, title="Libre")

        content = login(client, people.anna).get(task_url("task_actions", task)).content.decode()

        assert f'action="{task_url("task_take", task)}"' in content
        assert "/move/" not in content and "/assign/" not in content

    def test_someone_without_any_action_gets_a_403(self, client, mission, people):
        task = TaskFactory(mission=mission, assignee=people.bruno)

        response = login(client, people.anna).get(task_url("task_actions", task))

        assert response.status_code == 403
        assert "You cannot change this task." in response.content.decode()

    def test_a_task_of_another_collective_is_a_404(self, client, mission, people, other_mission):
        other = TaskFactory(mission=other_mission)
        login(client, people.lead)
        url = reverse("missions:task_actions", args=[mission.collective.slug, mission.pk, other.pk])

        assert client.get(url).status_code == 404
