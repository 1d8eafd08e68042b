# ruff: noqa: F811 - the fixtures imported from board_fixtures are requested by name
"""The inbox, recording a request and triaging it, through the pages."""

import re

import pytest
from django.urls import reverse

from cordee.missions.models import ClientRequest, MissionEvent, Task
from cordee.missions.tests.board_fixtures import (  # noqa: F401 - fixtures
    BY_ROLE,
    deliverable,
    english,
    frozen_now,
    login,
    mission,
    other_mission,
    people,
    set_mode,
)
from cordee.missions.tests.factories import (
    ClientContactFactory,
    ClientFactory,
    ClientRequestFactory,
    MissionFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db


def inbox_url(mission, query=""):
    return reverse("missions:inbox", args=[mission.collective.slug, mission.pk]) + query


def create_url(mission):
    return reverse("missions:request_create", args=[mission.collective.slug, mission.pk])


def triage_url(client_request, mission=None):
    mission = mission or client_request.mission
    return reverse("missions:request_triage", args=[mission.collective.slug, mission.pk, client_request.pk])


def request_titles(content):
    return re.findall(r'<h3 id="request-title-\d+">([^<]+)</h3>', content)


def snapshot(client_request):
    row = ClientRequest.objects.values("status", "decline_reason", "triaged_by").get(pk=client_request.pk)
    return row, Task.objects.count(), MissionEvent.objects.count()


def triage_data(*rows, **extra):
    """The triage formset's post: three rows, the given ones filled in."""
    data = {
        "action": "plan",
        "tasks-TOTAL_FORMS": "3",
        "tasks-INITIAL_FORMS": "0",
        "tasks-MIN_NUM_FORMS": "1",
    }
    data["tasks-MAX_NUM_FORMS"] = "20"
    for index in range(3):
        row = rows[index] if index < len(rows) else {}
        for field in ("title", "required_role", "estimate_hours", "deliverable", "assignee"):
            data[f"tasks-{index}-{field}"] = row.get(field, "")
    data.update(extra)
    return data


class TestInbox:
    def test_each_request_with_its_status_contact_tasks_and_counts(self, client, mission, people):
        contact = mission.client.contacts.get()
        new = ClientRequestFactory(
            mission=mission, title="Changer le bouton", contact=contact, body="Trop vert."
        )
        planned = ClientRequestFactory(mission=mission, title="Ajouter la FAQ", status="planned")
        TaskFactory(mission=mission, request=planned, title="Rédiger la FAQ", assignee=people.anna)
        ClientRequestFactory(
            mission=mission, title="Tout refaire", status="declined", decline_reason="Hors devis."
        )
        ClientRequestFactory(mission=mission, title="Corriger une faute", status="done")
        login(client, people.lead)

        content = client.get(inbox_url(mission)).content.decode()

        # New requests first, then the most recent.
        assert request_titles(content) == [
            "Changer le bouton",
            "Corriger une faute",
            "Tout refaire",
            "Ajouter la FAQ",
        ]
        assert '<span class="badge badge--request-new">New</span>' in content
        assert '<span class="badge badge--request-planned">Turned into tasks</span>' in content
        assert '<span class="badge badge--request-declined">Declined</span>' in content
        assert '<span class="badge badge--request-done">Done</span>' in content
        assert "from Claire Lenoir" in content
        assert "<p>Trop vert.</p>" in content
        assert "<strong>Declined:</strong> Hors devis." in content
        assert "Rédiger la FAQ" in content and "Anna Durand" in content
        assert '<span class="stat">1</span> <span class="stat-label">new request to triage</span>' in content
        assert '<a href="?">All (4)</a>' in content.replace(' aria-current="page"', "")
        assert f'href="{triage_url(new)}">Triage' in content

    def test_filter_by_status(self, client, mission, people):
        ClientRequestFactory(mission=mission, title="Nouvelle")
        ClientRequestFactory(mission=mission, title="Refusée", status="declined", decline_reason="Non")
        login(client, people.anna)

        content = client.get(inbox_url(mission, "?status=declined")).content.decode()

        assert request_titles(content) == ["Refusée"]
        assert '<a href="?status=declined" aria-current="page">Declined (1)</a>' in content

    def test_team_members_read_the_inbox_without_triage_buttons(self, client, mission, people):
        client_request = ClientRequestFactory(mission=mission, title="Nouvelle")
        login(client, people.anna)

        content = client.get(inbox_url(mission)).content.decode()

        assert request_titles(content) == ["Nouvelle"]
        assert triage_url(client_request) not in content
        assert create_url(mission) not in content

    def test_the_empty_inbox_says_what_to_do(self, client, mission, people):
        login(client, people.lead)

        content = client.get(inbox_url(mission)).content.decode()

        assert (
            "No client request yet. When the client asks for a change or reports a problem, record it here"
            in content
        )
        assert f'href="{create_url(mission)}">Record the first request' in content

    def test_the_inbox_paginates(self, client, mission, people):
        for index in range(27):
            ClientRequestFactory(mission=mission, title=f"Demande {index:02d}")
        login(client, people.lead)

        first = client.get(inbox_url(mission)).content.decode()
        second = client.get(inbox_url(mission, "?page=2")).content.decode()

        assert len(request_titles(first)) == 25
        assert len(request_titles(second)) == 2
        assert "Page 2 of 2" in second

    def test_the_query_count_does_not_grow(self, client, mission, people, django_assert_num_queries):
        def fill(count):
            for index in range(count):
                client_request = ClientRequestFactory(
                    mission=mission,
                    status="planned",
                    contact=mission.client.contacts.get(),
                    recorded_by=people.lead,
                )
                TaskFactory(
                    mission=mission, request=client_request, assignee=people.anna if index % 2 else None
                )

        fill(3)
        login(client, people.lead)
        client.get(inbox_url(mission))
        # user, memberships (the check and the top bar), mission, counts, page count, page, tasks
        with django_assert_num_queries(7):
            client.get(inbox_url(mission))
        fill(30)
        with django_assert_num_queries(7):
            response = client.get(inbox_url(mission))
        assert len(request_titles(response.content.decode())) == 25


class TestRecord:
    def test_the_lead_records_a_request(self, client, mission, people):
        contact = mission.client.contacts.get()
        login(client, people.lead)

        content = client.get(create_url(mission)).content.decode()
        assert f'<option value="{contact.pk}">Claire Lenoir (Sponsor)</option>' in content
        response = client.post(
            create_url(mission),
            {"title": "Changer le bouton", "body": "Trop vert.", "contact": contact.pk},
            follow=True,
        )

        client_request = ClientRequest.objects.get()
        assert response.redirect_chain == [(inbox_url(mission) + f"#request-{client_request.pk}", 302)]
        assert (
            "“Changer le bouton” is in the inbox. Turn it into tasks or decline it."
            in response.content.decode()
        )
        assert (client_request.title, client_request.contact, client_request.recorded_by) == (
            "Changer le bouton",
            contact,
            people.lead,
        )

    def test_record_and_triage_now(self, client, mission, people):
        login(client, people.lead)

        response = client.post(create_url(mission), {"title": "Changer le bouton", "next": "triage"})

        assert response.url == triage_url(ClientRequest.objects.get())

    def test_a_contact_of_another_client_is_refused_and_what_was_typed_is_kept(
        self, client, mission, people, other_mission
    ):
        login(client, people.lead)
        same_collective = ClientContactFactory(client=ClientFactory(collective=mission.collective))

        for contact in (same_collective, ClientContactFactory(client=other_mission.client)):
            response = client.post(
                create_url(mission), {"title": "Changer le bouton", "body": "Détails", "contact": contact.pk}
            )
            content = response.content.decode()
            assert "Select a valid choice. That choice is not one of the available choices." in content
            assert 'value="Changer le bouton"' in content
            assert "Détails</textarea>" in content
        assert not ClientRequest.objects.filter(mission=mission).exists()

    def test_a_summary_is_required(self, client, mission, people):
        login(client, people.lead)

        response = client.post(create_url(mission), {"title": "  ", "body": "Détails"})

        assert (
            '<ul class="errorlist" id="id_title_errors"><li>This field is required.</li></ul>'
            in response.content.decode()
        )
        assert not ClientRequest.objects.exists()

    @pytest.mark.parametrize("who", ["anna", "outsider"])
    def test_other_members_get_a_403(self, client, mission, people, who):
        login(client, getattr(people, who))

        assert client.get(create_url(mission)).status_code == 403
        response = client.post(create_url(mission), {"title": "Changer le bouton"})

        assert response.status_code == 403
        assert "Only the lead of the mission records the client&#x27;s requests." in response.content.decode()
        assert not ClientRequest.objects.exists()


class TestTriage:
    def test_the_page_shows_the_request_and_prefills_the_first_task(self, client, mission, people):
        client_request = ClientRequestFactory(mission=mission, title="Changer le bouton", body="Trop vert.")
        login(client, people.lead)

        content = client.get(triage_url(client_request)).content.decode()

        assert "<p>Trop vert.</p>" in content
        assert 'name="tasks-0-title" value="Changer le bouton"' in content
        assert 'name="tasks-2-title"' in content
        assert "Decline the request" in content

    def test_turn_into_two_tasks(self, client, mission, people, deliverable):
        set_mode(mission, BY_ROLE)
        client_request = ClientRequestFactory(mission=mission, title="Page produit")
        login(client, people.lead)

        response = client.post(
            triage_url(client_request),
            triage_data(
                {
                    "title": "Maquette",
                    "required_role": "design",
                    "estimate_hours": "3",
                    "deliverable": deliverable.pk,
                },
                {"title": "Intégration", "required_role": "back-end", "assignee": people.anna.pk},
            ),
            follow=True,
        )

        assert response.redirect_chain == [(inbox_url(mission) + f"#request-{client_request.pk}", 302)]
        assert "“Page produit” turned into 2 tasks." in response.content.decode()
        tasks = list(Task.objects.order_by("pk"))
        assert [(task.title, task.request_id, task.assignee_id) for task in tasks] == [
            ("Maquette", client_request.pk, people.anna.pk),
            ("Intégration", client_request.pk, people.anna.pk),
        ]
        assert ClientRequest.objects.get(pk=client_request.pk).status == "planned"
        assert MissionEvent.objects.filter(kind="request_triaged").count() == 1

    def test_a_first_row_is_required(self, client, mission, people):
        client_request = ClientRequestFactory(mission=mission)
        before = snapshot(client_request)
        login(client, people.lead)

        response = client.post(triage_url(client_request), triage_data())

        assert (
            '<ul class="errorlist" id="id_tasks-0-title_errors"><li>This field is required.</li></ul>'
            in response.content.decode()
        )
        assert snapshot(client_request) == before

    def test_an_assignee_or_deliverable_from_elsewhere_is_refused(
        self, client, mission, people, other_mission
    ):
        client_request = ClientRequestFactory(mission=mission)
        before = snapshot(client_request)
        other_deliverable = other_mission.deliverables.get()
        login(client, people.lead)

        for row in (
            {"title": "Tâche", "assignee": other_mission.lead.pk},
            {"title": "Tâche", "assignee": people.outsider.pk},
            {"title": "Tâche", "deliverable": other_deliverable.pk},
        ):
            response = client.post(triage_url(client_request), triage_data(row))
            assert (
                "Select a valid choice. That choice is not one of the available choices."
                in response.content.decode()
            )
            assert 'name="tasks-0-title" value="Tâche"' in response.content.decode()
        assert snapshot(client_request) == before

    def test_decline_needs_a_reason(self, client, mission, people):
        client_request = ClientRequestFactory(mission=mission)
        before = snapshot(client_request)
        login(client, people.lead)

        response = client.post(triage_url(client_request), {"action": "decline", "decline-reason": "  "})

        assert "Say why the request is declined." in response.content.decode()
        assert snapshot(client_request) == before

    def test_decline_with_a_reason(self, client, mission, people):
        client_request = ClientRequestFactory(mission=mission, title="Tout refaire")
        login(client, people.lead)

        response = client.post(
            triage_url(client_request), {"action": "decline", "decline-reason": "Hors devis."}, follow=True
        )

        assert "“Tout refaire” declined." in response.content.decode()
        client_request.refresh_from_db()
        assert (client_request.status, client_request.decline_reason) == ("declined", "Hors devis.")
        assert MissionEvent.objects.get().kind == "request_triaged"

    def test_a_declined_request_is_shown_without_forms_and_refuses_a_late_post(self, client, mission, people):
        client_request = ClientRequestFactory(
            mission=mission, status="declined", decline_reason="Hors devis."
        )
        before = snapshot(client_request)
        login(client, people.lead)

        content = client.get(triage_url(client_request)).content.decode()
        assert "<strong>Declined:</strong> Hors devis." in content
        assert 'name="action"' not in content
        response = client.post(triage_url(client_request), triage_data({"title": "Quand même"}), follow=True)

        assert "This request is already declined: nothing was changed." in response.content.decode()
        assert snapshot(client_request) == before

    def test_a_planned_request_takes_more_tasks_but_cannot_be_declined(self, client, mission, people):
        client_request = ClientRequestFactory(mission=mission, status="planned")
        TaskFactory(mission=mission, request=client_request, title="Première")
        before = snapshot(client_request)
        login(client, people.lead)

        content = client.get(triage_url(client_request)).content.decode()
        assert "Decline the request" not in content
        assert 'name="tasks-0-title" value=' not in content
        client.post(triage_url(client_request), {"action": "decline", "decline-reason": "Non"})
        assert snapshot(client_request) == before

        client.post(triage_url(client_request), triage_data({"title": "Seconde"}))
        assert list(client_request.tasks.order_by("pk").values_list("title", flat=True)) == [
            "Première",
            "Seconde",
        ]

    @pytest.mark.parametrize("who", ["anna", "outsider"])
    def test_other_members_get_a_403_and_nothing_changes(self, client, mission, people, who):
        client_request = ClientRequestFactory(mission=mission)
        before = snapshot(client_request)
        login(client, getattr(people, who))

        assert client.get(triage_url(client_request)).status_code == 403
        assert client.post(triage_url(client_request), triage_data({"title": "Tâche"})).status_code == 403
        response = client.post(triage_url(client_request), {"action": "decline", "decline-reason": "Non"})

        assert response.status_code == 403
        assert "Only the lead of the mission triages the client&#x27;s requests." in response.content.decode()
        assert snapshot(client_request) == before


class TestIsolation:
    def test_a_request_of_another_collective_is_a_404(self, client, mission, people, other_mission):
        client_request = other_mission.requests.get()
        before = snapshot(client_request)
        login(client, people.lead)

        assert client.get(triage_url(client_request)).status_code == 404
        assert client.get(triage_url(client_request, mission=mission)).status_code == 404
        response = client.post(
            triage_url(client_request, mission=mission), {"action": "decline", "decline-reason": "X"}
        )
        assert response.status_code == 404
        assert client.get(inbox_url(other_mission)).status_code == 404
        assert client.get(create_url(other_mission)).status_code == 404
        assert snapshot(client_request) == before

    def test_a_request_of_mission_x_is_a_404_under_mission_y(self, client, mission, people):
        mission_y = MissionFactory(collective=mission.collective, lead=people.lead)
        client_request = ClientRequestFactory(mission=mission)
        login(client, people.lead)

        assert client.get(triage_url(client_request, mission=mission_y)).status_code == 404

    @pytest.mark.parametrize("name", ["inbox", "request_create"])
    def test_an_anonymous_visitor_is_sent_to_log_in(self, client, mission, name):
        response = client.get(reverse(f"missions:{name}", args=[mission.collective.slug, mission.pk]))

        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
