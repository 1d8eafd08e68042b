from datetime import date

import pytest
from django.test import override_settings

from cordee.api.tests import billing_data
from cordee.api.tests.conftest import ApiClient, make_token
from cordee.billing.models import Payment
from cordee.core.tests.factories import MembershipFactory, OpportunityFactory
from cordee.missions.models import MissionEvent, Task
from cordee.missions.tests.factories import (
    ClientContactFactory,
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
    TimeEntryFactory,
)
from cordee.opportunities.models import Opportunity, OpportunityStageChange
from cordee.timesheets.models import TimeEntry

pytestmark = pytest.mark.django_db


def test_every_list_reads_only_the_tokens_collective(client, mission):
    write_api = ApiClient(client, make_token(mission.lead, mission.collective, billing=True)[1])
    other = MissionFactory()
    for factory in (TaskFactory, DeliverableFactory, TimeEntryFactory):
        factory(mission=mission)
        factory(mission=other)
    OpportunityFactory(collective=mission.collective)
    OpportunityFactory(collective=other.collective)
    ClientContactFactory(client=mission.client)
    ClientContactFactory(client=other.client)
    billing_data.billing_rows(mission)
    [other_invoice] = billing_data.billing_rows(other)
    payment_ids = set(Payment.objects.filter(collective=mission.collective).values_list("pk", flat=True))

    for path in (
        "/members",
        "/clients",
        "/contacts",
        "/opportunities",
        "/missions",
        "/deliverables",
        "/tasks",
        "/time-entries",
        "/requests",
        "/invoices",
        "/quotes",
        "/payments",
        "/splits",
    ):
        response = write_api.get(path)
        assert response.status_code == 200, path
        assert response["ETag"]
        items = response.json()["items"]
        for item in items:
            assert item.get("mission_id", mission.pk) == mission.pk, path
        if path == "/payments":
            assert {item["id"] for item in items} == payment_ids
    assert write_api.get(f"/missions/{other.pk}").status_code == 404
    assert write_api.get(f"/tasks/{other.tasks.first().pk}").status_code == 404
    assert write_api.get(f"/clients/{other.client.pk}").status_code == 404
    assert write_api.get(f"/missions/{other.pk}/feedback").status_code == 404
    assert write_api.get(f"/invoices/{other_invoice.pk}").status_code == 404


def test_cursor_pages_cover_the_list_once_and_refuse_tampering(write_api, mission):
    created = [TaskFactory(mission=mission).pk for _ in range(7)]
    seen, cursor = [], None
    while True:
        response = write_api.get("/tasks", data={"limit": 3, **({"cursor": cursor} if cursor else {})})
        body = response.json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    first = write_api.get("/tasks", data={"limit": 3}).json()["next_cursor"]
    tampered = write_api.get("/tasks", data={"cursor": first[:-2] + "xx"})
    assert tampered.status_code == 400
    assert tampered.json()["type"].endswith("/invalid-cursor")
    elsewhere = write_api.get("/deliverables", data={"cursor": first})
    assert elsewhere.status_code == 400


def test_a_page_of_300_and_constant_queries(write_api, mission, django_assert_max_num_queries):
    TaskFactory.create_batch(310, mission=mission)
    response = write_api.get("/tasks", data={"limit": 300})
    assert len(response.json()["items"]) == 300
    assert write_api.get("/tasks", data={"limit": 5000}).json()["items"].__len__() == 300


def test_etag_gives_304_until_the_list_changes(write_api, mission):
    TaskFactory(mission=mission)
    first = write_api.get("/tasks")
    again = write_api.get("/tasks", headers={"If-None-Match": first["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    TaskFactory(mission=mission)
    changed = write_api.get("/tasks", headers={"If-None-Match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_updated_since_filters_changed_rows(write_api, mission):
    old = OpportunityFactory(collective=mission.collective)
    Opportunity.objects.filter(pk=old.pk).update(updated_at="2026-01-01T00:00:00Z")
    recent = OpportunityFactory(collective=mission.collective)
    ids = [
        item["id"]
        for item in write_api.get("/opportunities?updated_since=2026-06-01T00:00:00Z").json()["items"]
    ]
    assert ids == [recent.pk]


def test_read_only_tokens_cannot_write(read_api, mission):
    response = read_api.post("/tasks", {"mission_id": mission.pk, "title": "Nope"})
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["type"].endswith("/read-only-token")
    assert Task.objects.count() == 0


def test_tasks_are_created_and_moved_through_the_services(write_api, mission):
    response = write_api.post(
        "/tasks", {"mission_id": mission.pk, "title": "  Maquette   accueil ", "estimate_hours": "2.5"}
    )
    assert response.status_code == 201, response.content
    task = Task.objects.get(pk=response.json()["id"])
    assert task.title == "Maquette accueil" and task.created_by == mission.lead
    moved = write_api.patch(f"/tasks/{task.pk}", {"status": "doing"})
    assert moved.status_code == 200, moved.content
    assert moved.json()["status"] == "doing"


def test_task_rules_of_the_pages_apply(client, mission):
    member = MissionMemberFactory(mission=mission)
    mission.assignment_mode = mission.AssignmentMode.LEAD_ASSIGNS
    mission.save()
    _token, raw = make_token(member.user, mission.collective)
    api = ApiClient(client, raw)
    response = api.post("/tasks", {"mission_id": mission.pk, "title": "Pas pour moi"})
    assert response.status_code == 403
    assert Task.objects.count() == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mission_id": "abc", "title": "x"}, "mission_id"),
        ({"title": "x"}, "mission_id"),
        ({"mission_id": 1, "title": "x", "colour": "red"}, "colour"),
        ({"mission_id": 1, "title": "x", "estimate_hours": "lots"}, "estimate_hours"),
    ],
)
def test_malformed_bodies_get_problem_details(write_api, body, field):
    response = write_api.post("/tasks", body)
    assert response.status_code == 422
    problem = response.json()
    assert problem["status"] == 422
    assert any(field in (error["field"] or "") for error in problem["errors"])
    assert Task.objects.count() == 0


def test_invalid_json_and_huge_bodies_are_refused(write_api, mission, client):
    response = write_api.client.post(
        "/api/v1/tasks", data="{not json", content_type="application/json", headers=write_api.headers
    )
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):
        huge = write_api.post("/tasks", {"mission_id": mission.pk, "title": "x" * 5000})
    assert huge.status_code == 413
    assert huge.json()["status"] == 413
    assert Task.objects.count() == 0


def test_form_rules_give_field_errors(write_api, mission):
    response = write_api.post("/tasks", {"mission_id": mission.pk, "title": "   "})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["title"]


def test_time_is_logged_with_the_timesheet_rules(write_api, mission):
    ok = write_api.post(
        "/time-entries", {"mission_id": mission.pk, "date": date.today().isoformat(), "hours": "1.5"}
    )
    assert ok.status_code == 201, ok.content
    assert TimeEntry.objects.get().hours == 1.5
    too_much = write_api.post(
        "/time-entries", {"mission_id": mission.pk, "date": date.today().isoformat(), "hours": "23"}
    )
    assert too_much.status_code == 422
    assert TimeEntry.objects.count() == 1


def test_opportunities_are_created_and_moved_with_their_history(write_api, mission):
    response = write_api.post(
        "/opportunities",
        {
            "contact_name": "Léa Martin",
            "contact_email": "lea@boulangerie.fr",
            "company": "Boulangerie",
            "need": "Un site",
        },
    )
    assert response.status_code == 201, response.content
    opportunity = Opportunity.objects.get(pk=response.json()["id"])
    moved = write_api.patch(
        f"/opportunities/{opportunity.pk}", {"stage": "qualified", "next_action": "Rappeler"}
    )
    assert moved.status_code == 200, moved.content
    opportunity.refresh_from_db()
    assert opportunity.stage == "qualified" and opportunity.next_action == "Rappeler"
    assert list(
        OpportunityStageChange.objects.filter(opportunity=opportunity).values_list("to_stage", flat=True)
    ) == [
        "new",
        "qualified",
    ]
    bad = write_api.patch(f"/opportunities/{opportunity.pk}", {"stage": "nowhere"})
    assert bad.status_code == 422


def test_requests_are_recorded_by_the_lead(write_api, mission, client):
    response = write_api.post("/requests", {"mission_id": mission.pk, "title": "Changer le logo"})
    assert response.status_code == 201, response.content
    member = MembershipFactory(collective=mission.collective)
    _token, raw = make_token(member.user, mission.collective)
    refused = ApiClient(client, raw).post("/requests", {"mission_id": mission.pk, "title": "Moi aussi"})
    assert refused.status_code == 403


def test_rate_limit_per_token(write_api, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    statuses = [write_api.get("/collective").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert write_api.get("/collective")["Retry-After"] == "60"


def test_feedback_results(write_api, mission):
    response = write_api.get(f"/missions/{mission.pk}/feedback")
    assert response.status_code == 200
    assert response.json() == {
        "mission_id": mission.pk,
        "responses": 0,
        "nps": None,
        "average_score": None,
        "answers": [],
    }


def test_no_token_is_a_401_problem(client):
    response = client.get("/api/v1/tasks")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["type"].endswith("/unauthenticated")
    assert MissionEvent.objects.count() == 0


@pytest.mark.parametrize(
    "since", ["1025-02-02T17:19:17-23:28", "1999-12-31T00:00:00Z", "2026-01-01T00:00:00+15:00", "not-a-date"]
)
def test_updated_since_out_of_range_is_a_422(write_api, since):
    response = write_api.get("/opportunities", data={"updated_since": since})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "updated_since"


@pytest.mark.parametrize(
    "path", ["/tasks/99999999999999999999999", "/tasks?mission_id=99999999999999999999999"]
)
def test_identifiers_beyond_64_bits_are_a_422(write_api, path):
    assert write_api.get(path).status_code == 422
