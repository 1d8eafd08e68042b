# ruff: noqa: F811 - the fixtures imported from board_fixtures are requested by name
"""Client request services: record, turn into tasks per the mode, decline with a reason."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from cordee.missions.models import ClientRequest, MissionEvent, Task, TaskAssignment
from cordee.missions.services.requests import (
    client_request_decline,
    client_request_from_portal,
    client_request_plan,
    client_request_record,
)
from cordee.missions.services.tasks import task_move
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
from cordee.missions.tests.factories import ClientContactFactory, ClientFactory, ClientRequestFactory

pytestmark = pytest.mark.django_db


def snapshot(client_request):
    """What a refused triage must leave untouched."""
    row = ClientRequest.objects.values("status", "decline_reason", "triaged_by", "triaged_at").get(
        pk=client_request.pk
    )
    return row, Task.objects.count(), MissionEvent.objects.count(), TaskAssignment.objects.count()


def events(mission):
    return list(
        MissionEvent.objects.filter(mission=mission).order_by("pk").values_list("kind", "actor", "summary")
    )


class TestRecord:
    def test_the_lead_records_a_request_from_a_contact(self, mission, people):
        contact = mission.client.contacts.get()

        client_request = client_request_record(
            mission=mission,
            title="  Changer   la couleur du bouton ",
            body=" Le vert ne ressort pas. ",
            contact=contact,
            by=people.lead,
        )

        client_request.refresh_from_db()
        assert (client_request.title, client_request.body, client_request.contact) == (
            "Changer la couleur du bouton",
            "Le vert ne ressort pas.",
            contact,
        )
        assert (client_request.status, client_request.source, client_request.recorded_by) == (
            ClientRequest.Status.NEW,
            ClientRequest.Source.LEAD,
            people.lead,
        )
        assert client_request.collective == mission.collective
        assert events(mission) == [("request_received", people.lead.pk, "Changer la couleur du bouton")]

    def test_an_admin_records_too(self, mission, people):
        client_request_record(mission=mission, title="Ajouter un logo", by=people.admin)

        assert ClientRequest.objects.get().recorded_by == people.admin

    @pytest.mark.parametrize("who", ["anna", "outsider"])
    def test_other_members_cannot_record(self, mission, people, who):
        with pytest.raises(PermissionDenied) as raised:
            client_request_record(mission=mission, title="Ajouter un logo", by=getattr(people, who))

        assert str(raised.value) == "Only the lead of the mission or an admin of the collective can do this."
        assert not ClientRequest.objects.exists()
        assert not MissionEvent.objects.exists()

    def test_the_contact_must_be_one_of_the_missions_client(self, mission, people, other_mission):
        same_collective = ClientContactFactory(client=ClientFactory(collective=mission.collective))
        for contact in (same_collective, ClientContactFactory(client=other_mission.client)):
            with pytest.raises(ValidationError) as raised:
                client_request_record(mission=mission, title="Demande", contact=contact, by=people.lead)
            assert raised.value.message_dict == {"contact": ["Choose a contact of this mission's client."]}
        assert not ClientRequest.objects.filter(mission=mission).exists()

    def test_a_blank_summary_is_refused(self, mission, people):
        with pytest.raises(ValidationError):
            client_request_record(mission=mission, title="   ", by=people.lead)
        assert not ClientRequest.objects.exists()

    def test_a_request_sent_from_the_portal_needs_its_contact(self, mission):
        contact = mission.client.contacts.get()

        client_request = client_request_from_portal(
            mission=mission, title="Le site est lent", contact=contact
        )

        assert (client_request.source, client_request.recorded_by, client_request.status) == (
            "portal",
            None,
            "new",
        )
        assert events(mission) == [("request_received", None, "Le site est lent")]
        with pytest.raises(ValidationError):
            client_request_from_portal(mission=mission, title="Anonyme", contact=None)
        assert ClientRequest.objects.count() == 1


class TestPlan:
    def test_the_lead_turns_a_request_into_tasks(self, mission, people, deliverable, frozen_now):
        client_request = ClientRequestFactory(mission=mission, title="Refaire la page produit")

        tasks = client_request_plan(
            client_request=client_request,
            tasks=[
                {
                    "title": "Maquette",
                    "required_role": "design",
                    "estimate_hours": Decimal("3"),
                    "deliverable": deliverable,
                },
                {"title": "Intégration", "required_role": "back-end", "assignee": people.bruno},
            ],
            by=people.lead,
        )

        client_request.refresh_from_db()
        assert (client_request.status, client_request.triaged_by, client_request.triaged_at) == (
            ClientRequest.Status.PLANNED,
            people.lead,
            NOW,
        )
        assert [(task.title, task.request, task.deliverable, task.estimate_hours) for task in tasks] == [
            ("Maquette", client_request, deliverable, Decimal("3")),
            ("Intégration", client_request, None, None),
        ]
        # Lead-assigns mode: only the lead's explicit choice assigns.
        assert [task.assignee_id for task in tasks] == [None, people.bruno.pk]
        assert events(mission) == [
            (
                "request_triaged",
                people.lead.pk,
                "“Refaire la page produit” turned into 2 tasks: Maquette, Intégration",
            )
        ]

    def test_by_role_the_tasks_go_to_the_role_holders(self, mission, people):
        set_mode(mission, BY_ROLE)
        client_request = ClientRequestFactory(mission=mission)

        tasks = client_request_plan(
            client_request=client_request,
            tasks=[
                {"title": "Maquette", "required_role": "design"},
                {"title": "API", "required_role": "back-end"},
            ],
            by=people.lead,
        )

        assert [task.assignee_id for task in tasks] == [people.anna.pk, people.bruno.pk]
        assert list(TaskAssignment.objects.values_list("to_user", "changed_by")) == [
            (people.anna.pk, people.lead.pk),
            (people.bruno.pk, people.lead.pk),
        ]

    def test_in_self_service_the_tasks_wait_for_volunteers(self, mission, people):
        set_mode(mission, SELF_SERVICE)
        client_request = ClientRequestFactory(mission=mission)

        [task] = client_request_plan(
            client_request=client_request, tasks=[{"title": "Maquette"}], by=people.lead
        )

        assert task.assignee is None

    def test_more_tasks_can_be_added_later(self, mission, people, frozen_now):
        client_request = ClientRequestFactory(mission=mission)
        client_request_plan(client_request=client_request, tasks=[{"title": "Un"}], by=people.lead)
        first_triage = ClientRequest.objects.get(pk=client_request.pk).triaged_at

        frozen_now.shift(3600)
        client_request_plan(client_request=client_request, tasks=[{"title": "Deux"}], by=people.admin)

        client_request.refresh_from_db()
        assert (client_request.status, client_request.triaged_at, client_request.triaged_by) == (
            ClientRequest.Status.PLANNED,
            first_triage,
            people.lead,
        )
        assert list(client_request.tasks.order_by("pk").values_list("title", flat=True)) == ["Un", "Deux"]
        assert [kind for kind, _, _ in events(mission)] == ["request_triaged", "request_triaged"]

    def test_the_request_is_done_when_its_tasks_are(self, mission, people):
        client_request = ClientRequestFactory(mission=mission)
        first, second = client_request_plan(
            client_request=client_request, tasks=[{"title": "Un"}, {"title": "Deux"}], by=people.lead
        )

        task_move(task=first, status=Task.Status.DONE, by=people.lead)
        assert ClientRequest.objects.get(pk=client_request.pk).status == ClientRequest.Status.PLANNED
        task_move(task=second, status=Task.Status.DONE, by=people.lead)
        assert ClientRequest.objects.get(pk=client_request.pk).status == ClientRequest.Status.DONE

    @pytest.mark.parametrize("who", ["anna", "outsider"])
    def test_only_the_lead_or_an_admin_triages(self, mission, people, who):
        client_request = ClientRequestFactory(mission=mission)
        before = snapshot(client_request)

        with pytest.raises(PermissionDenied):
            client_request_plan(
                client_request=client_request, tasks=[{"title": "Un"}], by=getattr(people, who)
            )
        with pytest.raises(PermissionDenied):
            client_request_decline(client_request=client_request, reason="Non", by=getattr(people, who))

        assert snapshot(client_request) == before

    def test_a_declined_request_cannot_be_planned(self, mission, people):
        client_request = ClientRequestFactory(mission=mission, status=ClientRequest.Status.DECLINED)
        before = snapshot(client_request)

        with pytest.raises(ValidationError):
            client_request_plan(client_request=client_request, tasks=[{"title": "Un"}], by=people.lead)

        assert snapshot(client_request) == before

    def test_at_least_one_task(self, mission, people):
        client_request = ClientRequestFactory(mission=mission)
        before = snapshot(client_request)

        with pytest.raises(ValidationError):
            client_request_plan(client_request=client_request, tasks=[], by=people.lead)

        assert snapshot(client_request) == before

    def test_a_bad_task_rolls_the_whole_triage_back(self, mission, people, other_mission):
        client_request = ClientRequestFactory(mission=mission)
        before = snapshot(client_request)

        with pytest.raises(ValidationError):
            client_request_plan(
                client_request=client_request,
                tasks=[
                    {"title": "Bonne"},
                    {"title": "Mauvaise", "deliverable": other_mission.deliverables.get()},
                ],
                by=people.lead,
            )

        assert snapshot(client_request) == before


class TestDecline:
    def test_the_lead_declines_with_a_reason(self, mission, people, frozen_now):
        client_request = ClientRequestFactory(mission=mission, title="Refaire tout le site")

        client_request_decline(
            client_request=client_request, reason="  Hors du périmètre du devis. ", by=people.lead
        )

        client_request.refresh_from_db()
        assert (client_request.status, client_request.decline_reason) == (
            "declined",
            "Hors du périmètre du devis.",
        )
        assert (client_request.triaged_by, client_request.triaged_at) == (people.lead, NOW)
        assert events(mission) == [
            (
                "request_triaged",
                people.lead.pk,
                "“Refaire tout le site” declined: Hors du périmètre du devis.",
            )
        ]

    def test_a_reason_is_required(self, mission, people):
        client_request = ClientRequestFactory(mission=mission)
        before = snapshot(client_request)

        with pytest.raises(ValidationError) as raised:
            client_request_decline(client_request=client_request, reason="   ", by=people.lead)

        assert raised.value.message_dict == {"reason": ["Say why the request is declined."]}
        assert snapshot(client_request) == before

    @pytest.mark.parametrize("status", ["planned", "declined", "done"])
    def test_only_a_new_request_can_be_declined(self, mission, people, status):
        client_request = ClientRequestFactory(mission=mission, status=status)
        before = snapshot(client_request)

        with pytest.raises(ValidationError):
            client_request_decline(client_request=client_request, reason="Non", by=people.lead)

        assert snapshot(client_request) == before
