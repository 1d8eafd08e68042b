"""Billing through the API needs the `billing:read` scope and shows only what the token's owner may read on
the pages (`cordee.billing.access`): the same filters, the same bank-details rule."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cordee.api.models import AccessToken, WebhookEndpoint
from cordee.api.services.webhooks import webhook_endpoint_create, webhook_event_emit
from cordee.api.tests.conftest import ApiClient, make_token
from cordee.billing.tests.access_world import IBANS, access_world, more_billing
from cordee.collectives.models import Membership

pytestmark = pytest.mark.django_db

BILLING_LISTS = ("/invoices", "/quotes", "/payments", "/splits")
Event = WebhookEndpoint.Event


@pytest.fixture
def world():
    return access_world()


def _api(client, world, user, *, billing=True) -> ApiClient:
    return ApiClient(client, make_token(user, world.collective, AccessToken.Scope.READ, billing=billing)[1])


def _ids(api, path) -> set[int]:
    response = api.get(path)
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def _invoice_ids(world, *names) -> set[int]:
    return {getattr(world, name).pk for name in names}


def _billing_paths(client, invoice) -> list[str]:
    """Every operation of the `billing` tag in the API's own description, with this invoice's id: a new
    billing operation is walked without being listed here."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    return [
        path.removeprefix("/api/v1").format(invoice_id=invoice.pk)
        for path, operations in paths.items()
        if any("billing" in operation.get("tags", []) for operation in operations.values())
    ]


def test_without_the_billing_scope_every_billing_operation_is_a_clear_403(client, world):
    api = _api(client, world, world.admin, billing=False)
    paths = _billing_paths(client, world.client_invoice)
    assert len(paths) == 7
    for path in paths:
        response = api.get(path)
        assert response.status_code == 403, path
        assert response["Content-Type"] == "application/problem+json"
        body = response.json()
        assert body["type"].endswith("/missing-scope"), path
        assert "billing:read" in body["detail"]
    # The token keeps working for everything else.
    assert api.get("/collective").status_code == 200
    assert api.get("/missions").status_code == 200


def test_a_new_token_does_not_read_billing_unless_asked(world):
    token, _raw = make_token(world.admin, world.collective)
    assert token.can_read_billing is False


def test_an_admin_with_the_scope_reads_all_of_the_collectives_billing(client, world):
    api = _api(client, world, world.admin)
    assert _ids(api, "/invoices") == _invoice_ids(world, "client_invoice", "to_lead", "to_entity")
    assert len(_ids(api, "/payments")) == 3
    assert _ids(api, "/splits") == {world.split.pk}


def test_a_member_outside_the_team_reads_no_billing_of_the_mission(client, world):
    api = _api(client, world, world.outsider)
    for invoice in (world.client_invoice, world.to_lead, world.to_entity):
        for path in _billing_paths(client, invoice):
            response = api.get(path)
            if str(invoice.pk) in path:
                assert response.status_code == 404, path
            else:
                assert response.status_code == 200 and response.json()["items"] == [], path


def test_a_team_member_reads_the_client_invoices_never_another_members_invoice_or_iban(client, world):
    api = _api(client, world, world.teammate)
    assert _ids(api, "/invoices") == {world.client_invoice.pk}
    payments = api.get("/payments").json()["items"]
    assert {payment["invoice_id"] for payment in payments} == {world.client_invoice.pk}
    assert _ids(api, "/splits") == {world.split.pk}
    for invoice in (world.to_lead, world.to_entity):
        assert api.get(f"/invoices/{invoice.pk}").status_code == 404
        assert api.get(f"/invoices/{invoice.pk}/pdf").status_code == 404
    seen = b"".join(
        api.get(path).content for path in (*BILLING_LISTS, f"/invoices/{world.client_invoice.pk}")
    )
    for name in ("other", "lead", "entity"):
        assert IBANS[name].encode() not in seen, name
    # Their own IBAN is on their client's invoice, printed for the client.
    assert api.get(f"/invoices/{world.client_invoice.pk}").json()["seller"]["iban"] == IBANS["teammate"]


def test_the_other_team_member_sees_the_client_invoice_with_the_iban_printed_for_the_client(client, world):
    api = _api(client, world, world.other)
    assert _ids(api, "/invoices") == _invoice_ids(world, "client_invoice", "to_lead", "to_entity")
    body = api.get(f"/invoices/{world.client_invoice.pk}").json()
    assert body["seller"]["iban"] == IBANS["teammate"]
    own = api.get(f"/invoices/{world.to_lead.pk}").json()
    assert own["seller"]["iban"] == IBANS["other"]
    assert own["buyer"]["iban"] == ""  # the lead's account is not theirs to see
    assert api.get(f"/invoices/{world.to_lead.pk}/pdf").status_code == 200


def test_the_lead_reads_the_missions_billing_and_only_the_ibans_of_what_they_pay(client, world):
    api = _api(client, world, world.lead)
    assert _ids(api, "/invoices") == _invoice_ids(world, "client_invoice", "to_lead", "to_entity")
    to_lead = api.get(f"/invoices/{world.to_lead.pk}").json()
    assert (to_lead["seller"]["iban"], to_lead["buyer"]["iban"]) == (IBANS["other"], IBANS["lead"])
    assert api.get(f"/invoices/{world.to_lead.pk}/pdf").status_code == 200
    to_entity = api.get(f"/invoices/{world.to_entity.pk}").json()
    assert (to_entity["seller"]["iban"], to_entity["buyer"]["iban"]) == ("", "")
    assert to_entity["seller"]["account_holder"] == ""
    assert to_entity["total_incl_tax"] == "500.00"
    assert api.get(f"/invoices/{world.to_entity.pk}/pdf").status_code == 404


def test_an_admin_sees_the_ibans_of_what_the_entity_pays_not_of_what_the_lead_pays(client, world):
    api = _api(client, world, world.admin)
    to_entity = api.get(f"/invoices/{world.to_entity.pk}").json()
    assert (to_entity["seller"]["iban"], to_entity["buyer"]["iban"]) == (IBANS["other"], IBANS["entity"])
    assert api.get(f"/invoices/{world.to_entity.pk}/pdf").status_code == 200
    to_lead = api.get(f"/invoices/{world.to_lead.pk}").json()
    assert (to_lead["seller"]["iban"], to_lead["buyer"]["iban"]) == ("", "")
    assert api.get(f"/invoices/{world.to_lead.pk}/pdf").status_code == 404


def _queries(api, path) -> int:
    api.get("/collective")  # the token's last use is written once a minute, not on every request
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path, data={"limit": 300}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", BILLING_LISTS)
def test_a_members_filtered_lists_cost_the_same_whatever_the_data(client, path):
    counts = []
    for size in (0, 6):
        world = access_world()
        more_billing(world, size)
        counts.append(_queries(_api(client, world, world.teammate), path))
    assert counts[0] == counts[1], counts


def test_the_token_page_grants_the_billing_scope_only_when_ticked(client, world):
    client.force_login(world.teammate)
    url = reverse("api_tokens:tokens", args=[world.collective.slug])
    page = client.get(url)
    assert b'name="billing"' in page.content
    client.post(url, {"name": "Compta", "scope": "read", "lifetime": "30"})
    client.post(url, {"name": "Compta factures", "scope": "read", "lifetime": "30", "billing": "on"})
    tokens = dict(AccessToken.objects.filter(user=world.teammate).values_list("name", "can_read_billing"))
    assert tokens == {"Compta": False, "Compta factures": True}


def test_billing_events_go_only_to_endpoints_whose_owner_still_reads_all_billing(world):
    endpoint = webhook_endpoint_create(
        by=world.admin,
        collective_id=world.collective.pk,
        url="https://hooks.example.com/cordee",
        events=[Event.INVOICE_ISSUED, Event.MISSION_ACTIVATED],
    )

    def emitted(event_type: str, message_id: str) -> bool:
        return bool(
            webhook_event_emit(
                collective_id=world.collective.pk, event_type=event_type, message_id=message_id, data={}
            )
        )

    assert emitted(Event.INVOICE_ISSUED, "msg_1")
    Membership.objects.filter(collective=world.collective, user=world.admin).update(
        role=Membership.Role.MEMBER
    )
    assert not emitted(Event.INVOICE_ISSUED, "msg_2")
    assert emitted(Event.MISSION_ACTIVATED, "msg_3")
    assert list(endpoint.deliveries.values_list("message_id", flat=True).order_by("pk")) == ["msg_1", "msg_3"]
