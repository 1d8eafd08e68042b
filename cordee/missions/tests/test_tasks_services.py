# ruff: noqa: F811 - the fixtures imported from board_fixtures are requested by name
"""Task services: the three assignment modes, every forbidden action refused with nothing changed."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import ClientRequest, MissionMember, Task, TaskAssignment
from cordee.missions.services.tasks import (
    task_assign,
    task_create,
    task_move,
    task_release,
    task_reorder,
    task_role_holder,
    task_take,
    task_update,
)
from cordee.missions.tests.board_fixtures import (  # noqa: F401 - fixtures
    BY_ROLE,
    NOW,
    SELF_SERVICE,
    deliverable,
    english,
    frozen_now,
    mission,
    other_mission,
    people,
    set_mode,
)
from cordee.missions.tests.factories import (
    ClientRequestFactory,
    DeliverableFactory,
    MissionFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def state(task):
    """What a refused action must leave untouched: the task's row and the assignment history."""
    row = Task.objects.values(
        "assignee_id", "status", "completed_at", "position", "title", "required_role", "deliverable_id"
    ).get(pk=task.pk)
    return row, list(TaskAssignment.objects.filter(task=task).values_list("pk", flat=True))


def history(task):
    return list(
        TaskAssignment.objects.filter(task=task)
        .order_by("pk")
        .values_list("from_user_id", "to_user_id", "changed_by_id")
    )


def refused(action, task, **kwargs):
    """Run a forbidden action: it raises PermissionDenied and changes nothing."""
    before = state(task)
    with pytest.raises(PermissionDenied) as raised:
        action(task=task, **kwargs)
    assert state(task) == before
    return str(raised.value)


class TestLeadAssigns:
    def test_the_lead_assigns_reassigns_and_unassigns_and_each_change_is_recorded(self, mission, people):
        task = TaskFactory(mission=mission)

        assert task_assign(task=task, assignee=people.anna, by=people.lead) is True
        assert task_assign(task=task, assignee=people.bruno, by=people.lead) is True
        assert task_assign(task=task, assignee=None, by=people.lead) is True

        task.refresh_from_db()
        assert task.assignee is None
        assert history(task) == [
            (None, people.anna.pk, people.lead.pk),
            (people.anna.pk, people.bruno.pk, people.lead.pk),
            (people.bruno.pk, None, people.lead.pk),
        ]

    def test_an_admin_of_the_collective_assigns_too(self, mission, people):
        task = TaskFactory(mission=mission)

        task_assign(task=task, assignee=people.bruno, by=people.admin)

        task.refresh_from_db()
        assert task.assignee == people.bruno
        assert history(task) == [(None, people.bruno.pk, people.admin.pk)]

    def test_assigning_the_same_person_again_records_nothing(self, mission, people):
        task = TaskFactory(mission=mission, assignee=people.anna)

        assert task_assign(task=task, assignee=people.anna, by=people.lead) is False
        assert history(task) == []

    def test_a_stale_task_is_reassigned_from_its_assignee_in_the_database(self, mission, people):
        task = TaskFactory(mission=mission)
        stale = Task.objects.get(pk=task.pk)
        task_assign(task=task, assignee=people.anna, by=people.lead)

        task_assign(task=stale, assignee=people.bruno, by=people.lead)

        assert history(task)[-1] == (people.anna.pk, people.bruno.pk, people.lead.pk)

    @pytest.mark.parametrize("who", ["outsider", "admin"])
    def test_only_team_members_can_be_given_a_task(self, mission, people, who):
        task = TaskFactory(mission=mission)
        before = state(task)

        with pytest.raises(ValidationError) as raised:
            task_assign(task=task, assignee=getattr(people, who), by=people.lead)

        assert raised.value.message_dict == {
            "assignee": ["Only a member of the mission's team can be given a task."]
        }
        assert state(task) == before

    def test_a_user_of_another_collective_cannot_be_given_a_task(self, mission, people, other_mission):
        task = TaskFactory(mission=mission)
        before = state(task)

        with pytest.raises(ValidationError):
            task_assign(task=task, assignee=other_mission.lead, by=people.lead)

        assert state(task) == before

    @pytest.mark.parametrize("who", ["anna", "bruno", "outsider"])
    def test_members_cannot_assign(self, mission, people, who):
        task = TaskFactory(mission=mission)

        message = refused(task_assign, task, assignee=people.anna, by=getattr(people, who))

        assert message == "Only the lead of the mission can assign tasks."

    def test_a_member_cannot_unassign_even_their_own_task(self, mission, people):
        task = TaskFactory(mission=mission, assignee=people.anna)

        refused(task_assign, task, assignee=None, by=people.anna)

    def test_members_cannot_take_or_release(self, mission, people):
        unassigned = TaskFactory(mission=mission)
        own = TaskFactory(mission=mission, assignee=people.anna)

        assert (
            refused(task_take, unassigned, by=people.anna) == "In this mission, the lead assigns the tasks."
        )
        assert refused(task_release, own, by=people.anna) == "In this mission, the lead assigns the tasks."

    def test_a_member_moves_their_own_task(self, mission, people, frozen_now):
        task = TaskFactory(mission=mission, assignee=people.anna)

        assert task_move(task=task, status=Task.Status.DOING, by=people.anna) is True

        task.refresh_from_db()
        assert task.status == Task.Status.DOING

    @pytest.mark.parametrize("assignee", ["bruno", None])
    def test_a_member_cannot_move_someone_elses_or_an_unassigned_task(self, mission, people, assignee):
        task = TaskFactory(mission=mission, assignee=getattr(people, assignee) if assignee else None)

        message = refused(task_move, task, status=Task.Status.DONE, by=people.anna)

        assert message == "Only the lead of the mission or the task's assignee can move it."

    @pytest.mark.parametrize("who", ["lead", "admin"])
    def test_the_lead_and_the_admins_move_any_task(self, mission, people, who):
        task = TaskFactory(mission=mission, assignee=people.bruno)

        task_move(task=task, status=Task.Status.REVIEW, by=getattr(people, who))

        task.refresh_from_db()
        assert task.status == Task.Status.REVIEW

    def test_a_member_of_the_collective_outside_the_team_cannot_move_or_create(self, mission, people):
        task = TaskFactory(mission=mission)

        refused(task_move, task, status=Task.Status.DOING, by=people.outsider)
        with pytest.raises(PermissionDenied):
            task_create(mission=mission, by=people.outsider, title="Intrus")
        assert Task.objects.filter(mission=mission).count() == 1

    def test_only_the_lead_creates_tasks(self, mission, people):
        with pytest.raises(PermissionDenied) as raised:
            task_create(mission=mission, by=people.anna, title="Ma tâche")

        assert str(raised.value) == "Only the lead of the mission can add tasks in this mission's mode."
        assert not Task.objects.filter(mission=mission).exists()

    def test_a_member_edits_their_own_task_but_not_the_others(self, mission, people):
        own = TaskFactory(mission=mission, assignee=people.anna, title="Avant")
        other = TaskFactory(mission=mission, assignee=people.bruno, title="Celle de Bruno")

        task_update(task=own, by=people.anna, title="Après", estimate_hours=Decimal("3"))
        own.refresh_from_db()
        assert (own.title, own.estimate_hours) == ("Après", Decimal("3.00"))
        refused(task_update, other, by=people.anna, title="Piratée")

    def test_a_member_cannot_choose_the_assignee_when_editing(self, mission, people):
        own = TaskFactory(mission=mission, assignee=people.anna)

        refused(task_update, own, by=people.anna, title="Changée", assignee=people.bruno)


class TestSelfService:
    @pytest.fixture(autouse=True)
    def _self_service(self, mission):
        set_mode(mission, SELF_SERVICE)

    def test_a_member_takes_an_unassigned_task(self, mission, people):
        task = TaskFactory(mission=mission)

        task_take(task=task, by=people.anna)

        task.refresh_from_db()
        assert task.assignee == people.anna
        assert history(task) == [(None, people.anna.pk, people.anna.pk)]

    def test_a_member_releases_their_own_task(self, mission, people):
        task = TaskFactory(mission=mission, assignee=people.anna)

        task_release(task=task, by=people.anna)

        task.refresh_from_db()
        assert task.assignee is None
        assert history(task) == [(people.anna.pk, None, people.anna.pk)]

    def test_a_task_assigned_to_someone_else_cannot_be_taken(self, mission, people):
        task = TaskFactory(mission=mission, assignee=people.anna)

        assert refused(task_take, task, by=people.bruno) == "Someone already took this task."

    def test_of_two_members_taking_at_once_only_the_first_gets_it(self, mission, people):
        task = TaskFactory(mission=mission)
        seen_by_bruno = Task.objects.get(pk=task.pk)  # still unassigned in Bruno's page

        task_take(task=task, by=people.anna)
        message = refused(task_take, seen_by_bruno, by=people.bruno)

        assert message == "Someone already took this task."
        assert Task.objects.get(pk=task.pk).assignee == people.anna
        assert history(task) == [(None, people.anna.pk, people.anna.pk)]

    def test_a_done_task_cannot_be_taken(self, mission, people):
        task = TaskFactory(mission=mission, status=Task.Status.DONE)

        assert refused(task_take, task, by=people.anna) == "This task is already done."

    def test_a_member_cannot_release_someone_elses_task(self, mission, people):
        task = TaskFactory(mission=mission, assignee=people.bruno)

        assert refused(task_release, task, by=people.anna) == "This task is not yours to release."

    @pytest.mark.parametrize("who", ["outsider", "admin"])
    def test_only_the_team_takes_tasks(self, mission, people, who):
        task = TaskFactory(mission=mission)

        message = refused(task_take, task, by=getattr(people, who))

        assert message == "Only the mission's team can take or release tasks."

    def test_a_member_cannot_assign_others_nor_themselves_through_assign(self, mission, people):
        task = TaskFactory(mission=mission)

        refused(task_assign, task, assignee=people.bruno, by=people.anna)
        refused(task_assign, task, assignee=people.anna, by=people.anna)

    def test_the_lead_can_still_assign(self, mission, people):
        task = TaskFactory(mission=mission, assignee=people.anna)

        task_assign(task=task, assignee=people.bruno, by=people.lead)

        assert Task.objects.get(pk=task.pk).assignee == people.bruno

    def test_members_add_tasks_but_do_not_choose_who_does_them(self, mission, people):
        task = task_create(mission=mission, by=people.anna, title="  Préparer   la démo ")

        assert (task.title, task.assignee, task.created_by) == ("Préparer la démo", None, people.anna)
        with pytest.raises(PermissionDenied):
            task_create(mission=mission, by=people.anna, title="Pour Bruno", assignee=people.bruno)
        assert list(Task.objects.filter(mission=mission).values_list("title", flat=True)) == [
            "Préparer la démo"
        ]

    def test_a_member_moves_only_their_own_tasks(self, mission, people):
        own = TaskFactory(mission=mission, assignee=people.anna)
        unassigned = TaskFactory(mission=mission)

        task_move(task=own, status=Task.Status.DOING, by=people.anna)
        refused(task_move, unassigned, status=Task.Status.DOING, by=people.anna)

        assert Task.objects.get(pk=own.pk).status == Task.Status.DOING


class TestByRole:
    @pytest.fixture(autouse=True)
    def _by_role(self, mission):
        set_mode(mission, BY_ROLE)

    def test_a_task_needing_a_role_goes_to_its_holder(self, mission, people):
        task = task_create(mission=mission, by=people.lead, title="Maquettes", required_role="design")

        assert task.assignee_id == people.anna.pk
        assert history(task) == [(None, people.anna.pk, people.lead.pk)]

    def test_roles_are_compared_without_case_or_extra_spaces(self, mission, people):
        task = task_create(mission=mission, by=people.lead, title="API", required_role="  BACK-End ")

        assert task.assignee_id == people.bruno.pk
        assert task.required_role == "BACK-End"

    def test_accented_roles_match_whatever_their_case(self, mission, people):
        MissionMember.objects.filter(mission=mission, user=people.anna).update(role="Rédaction")

        task = task_create(mission=mission, by=people.lead, title="Textes", required_role="RÉDACTION")

        assert task.assignee_id == people.anna.pk

    def test_nobody_holding_the_role_leaves_the_task_unassigned(self, mission, people):
        task = task_create(mission=mission, by=people.lead, title="Textes", required_role="copywriting")

        assert task.assignee is None
        assert history(task) == []

    def test_a_task_without_role_stays_unassigned(self, mission, people):
        task = task_create(mission=mission, by=people.anna, title="Relire")

        assert task.assignee is None

    def test_the_least_loaded_holder_gets_it_across_the_collectives_missions(
        self, mission, people, collective
    ):
        chloe = MembershipFactory(collective=collective, user__full_name="Chloé Bernard").user
        MissionMember.objects.create(collective=collective, mission=mission, user=chloe, role="Design")
        elsewhere = MissionFactory(collective=collective)
        TaskFactory(mission=elsewhere, assignee=people.anna, estimate_hours=Decimal("10"))
        TaskFactory(mission=mission, assignee=chloe, estimate_hours=Decimal("3"))
        TaskFactory(mission=mission, assignee=chloe, estimate_hours=Decimal("3"))
        # Finished work does not count.
        TaskFactory(mission=mission, assignee=chloe, estimate_hours=Decimal("40"), status=Task.Status.DONE)

        task = task_create(mission=mission, by=people.lead, title="Charte", required_role="design")

        assert task.assignee_id == chloe.pk

    def test_load_in_another_collective_does_not_count(self, mission, people, collective, other_mission):
        chloe = MembershipFactory(collective=collective, user__full_name="Chloé Bernard").user
        MissionMember.objects.create(collective=collective, mission=mission, user=chloe, role="design")
        TaskFactory(mission=mission, assignee=chloe, estimate_hours=Decimal("2"))
        MembershipFactory(collective=other_mission.collective, user=people.anna)
        TaskFactory(mission=other_mission, assignee=people.anna, estimate_hours=Decimal("50"))

        task = task_create(mission=mission, by=people.lead, title="Charte", required_role="design")

        assert task.assignee_id == people.anna.pk

    def test_equal_hours_go_to_the_one_with_fewer_open_tasks_then_by_name(self, mission, people, collective):
        chloe = MembershipFactory(collective=collective, user__full_name="Chloé Bernard").user
        MissionMember.objects.create(collective=collective, mission=mission, user=chloe, role="design")
        TaskFactory(mission=mission, assignee=people.anna, estimate_hours=Decimal("4"))
        TaskFactory(mission=mission, assignee=chloe, estimate_hours=Decimal("2"))
        TaskFactory(mission=mission, assignee=chloe, estimate_hours=Decimal("2"))

        assert task_role_holder(mission=mission, role="design") == people.anna

        TaskFactory(mission=mission, assignee=people.anna, estimate_hours=None)
        # 4 h each, two open tasks each: by name, Anna before Chloé.
        assert task_role_holder(mission=mission, role="design") == people.anna
        Task.objects.filter(assignee=people.anna, estimate_hours=None).delete()
        TaskFactory(mission=mission, assignee=people.anna, estimate_hours=Decimal("0"))
        TaskFactory(mission=mission, assignee=people.anna, estimate_hours=Decimal("0"))
        assert task_role_holder(mission=mission, role="design") == chloe

    def test_a_new_role_sends_the_task_to_that_roles_holder(self, mission, people):
        task = task_create(mission=mission, by=people.lead, title="Page produit", required_role="design")

        task_update(task=task, by=people.lead, title="Page produit", required_role="back-end")

        assert Task.objects.get(pk=task.pk).assignee == people.bruno
        assert history(task)[-1] == (people.anna.pk, people.bruno.pk, people.lead.pk)

    def test_a_role_nobody_holds_unassigns_the_task(self, mission, people):
        task = task_create(mission=mission, by=people.lead, title="Page produit", required_role="design")

        task_update(task=task, by=people.lead, title="Page produit", required_role="copywriting")

        assert Task.objects.get(pk=task.pk).assignee is None
        assert history(task)[-1] == (people.anna.pk, None, people.lead.pk)

    def test_other_changes_keep_the_assignee(self, mission, people):
        task = task_create(mission=mission, by=people.lead, title="Page produit", required_role="design")
        task_assign(task=task, assignee=people.bruno, by=people.lead)

        task_update(task=task, by=people.lead, title="Page produit v2", required_role="Design")

        assert Task.objects.get(pk=task.pk).assignee == people.bruno

    def test_the_lead_overrides_the_automatic_choice(self, mission, people):
        task = task_create(
            mission=mission, by=people.lead, title="Maquettes", required_role="design", assignee=people.bruno
        )

        assert task.assignee_id == people.bruno.pk
        assert history(task) == [(None, people.bruno.pk, people.lead.pk)]

    def test_the_lead_reassigns_members_cannot(self, mission, people):
        task = task_create(mission=mission, by=people.lead, title="Maquettes", required_role="design")

        refused(task_assign, task, assignee=people.bruno, by=people.anna)
        refused(task_take, task, by=people.bruno)
        refused(task_release, task, by=people.anna)
        task_assign(task=task, assignee=people.bruno, by=people.lead)

        assert Task.objects.get(pk=task.pk).assignee == people.bruno


class TestCreateAndMove:
    def test_a_new_task_goes_to_the_bottom_of_to_do_with_its_details(self, mission, people, deliverable):
        first = task_create(mission=mission, by=people.lead, title="Un")
        second = task_create(
            mission=mission,
            by=people.lead,
            title="Deux",
            description="  Les détails ",
            deliverable=deliverable,
            required_role="design",
            estimate_hours=Decimal("2.5"),
            due_date=dt.date(2026, 3, 10),
        )

        second.refresh_from_db()
        assert (first.position, second.position) == (0, 1)
        assert second.collective_id == mission.collective_id
        assert (second.description, second.deliverable, second.required_role) == (
            "Les détails",
            deliverable,
            "design",
        )
        assert (second.estimate_hours, second.due_date, second.status) == (
            Decimal("2.50"),
            dt.date(2026, 3, 10),
            Task.Status.TODO,
        )
        # Lead-assigns mode: nobody is given a task the lead did not assign.
        assert second.assignee is None

    def test_a_deliverable_of_another_mission_is_refused(self, mission, people, other_mission):
        same_collective = DeliverableFactory(mission=MissionFactory(collective=mission.collective))

        for foreign in (same_collective, other_mission.deliverables.get()):
            with pytest.raises(ValidationError) as raised:
                task_create(mission=mission, by=people.lead, title="Hors sujet", deliverable=foreign)
            assert raised.value.message_dict == {"deliverable": ["Choose a deliverable of this mission."]}
        assert not Task.objects.filter(mission=mission).exists()

    def test_a_negative_estimate_is_refused(self, mission, people):
        with pytest.raises(ValidationError):
            task_create(mission=mission, by=people.lead, title="Négatif", estimate_hours=Decimal("-1"))
        assert not Task.objects.filter(mission=mission).exists()

    def test_moving_to_done_sets_completed_at_and_leaving_done_clears_it(self, mission, people, frozen_now):
        task = TaskFactory(mission=mission, assignee=people.anna)
        TaskFactory(mission=mission, status=Task.Status.DONE, position=4)

        task_move(task=task, status=Task.Status.DONE, by=people.anna)
        task.refresh_from_db()
        assert (task.status, task.completed_at, task.position) == (Task.Status.DONE, NOW, 5)

        task_move(task=task, status=Task.Status.REVIEW, by=people.anna)
        task.refresh_from_db()
        assert (task.status, task.completed_at, task.position) == (Task.Status.REVIEW, None, 0)

    def test_moving_to_the_same_column_changes_nothing(self, mission, people):
        task = TaskFactory(mission=mission, assignee=people.anna, status=Task.Status.DOING)
        before = state(task)

        assert task_move(task=task, status=Task.Status.DOING, by=people.anna) is False
        assert state(task) == before

    def test_an_unknown_status_is_refused(self, mission, people):
        task = TaskFactory(mission=mission)
        before = state(task)

        with pytest.raises(ValidationError):
            task_move(task=task, status="archived", by=people.lead)
        assert state(task) == before

    def test_reorder_within_a_column(self, mission, people):
        first, second, third = (TaskFactory(mission=mission, title=title) for title in ("A", "B", "C"))

        assert task_reorder(task=third, direction="up", by=people.lead) is True
        assert task_reorder(task=first, direction="up", by=people.lead) is False
        ordered = list(
            Task.objects.filter(mission=mission).order_by("position", "pk").values_list("title", flat=True)
        )
        assert ordered == ["A", "C", "B"]
        assert task_reorder(task=first, direction="down", by=people.lead) is True
        ordered = list(
            Task.objects.filter(mission=mission).order_by("position", "pk").values_list("title", flat=True)
        )
        assert ordered == ["C", "A", "B"]

    def test_reorder_follows_the_move_rules(self, mission, people):
        TaskFactory(mission=mission)
        task = TaskFactory(mission=mission, assignee=people.bruno)

        refused(task_reorder, task, direction="up", by=people.anna)


class TestRequestFollowsItsTasks:
    def test_the_request_is_done_when_all_its_tasks_are_and_planned_again_if_one_reopens(
        self, mission, people
    ):
        request = ClientRequestFactory(mission=mission, status=ClientRequest.Status.PLANNED)
        first = TaskFactory(mission=mission, request=request)
        second = TaskFactory(mission=mission, request=request)

        task_move(task=first, status=Task.Status.DONE, by=people.lead)
        assert ClientRequest.objects.get(pk=request.pk).status == ClientRequest.Status.PLANNED
        task_move(task=second, status=Task.Status.DONE, by=people.lead)
        assert ClientRequest.objects.get(pk=request.pk).status == ClientRequest.Status.DONE
        task_move(task=second, status=Task.Status.REVIEW, by=people.lead)
        assert ClientRequest.objects.get(pk=request.pk).status == ClientRequest.Status.PLANNED

    def test_a_new_task_reopens_a_done_request(self, mission, people):
        request = ClientRequestFactory(mission=mission, status=ClientRequest.Status.DONE)
        TaskFactory(mission=mission, request=request, status=Task.Status.DONE)

        task_create(mission=mission, by=people.lead, title="Encore une chose", request=request)

        assert ClientRequest.objects.get(pk=request.pk).status == ClientRequest.Status.PLANNED
