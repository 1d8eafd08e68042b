import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from cordee.api import schemas_billing
from cordee.api.models import AccessToken
from cordee.api.tests import billing_data
from cordee.api.tests.conftest import ApiClient, make_token
from cordee.billing.models import Invoice, Payment, Quote, RevenueSplit
from cordee.missions.tests.factories import MissionFactory

pytestmark = pytest.mark.django_db

MONEY = re.compile(r"^-?[0-9]+\.[0-9]{2}$")
BILLING_LISTS = ("/invoices", "/quotes", "/payments", "/splits")


@pytest.fixture
def write_api(client, mission, lead):
    """The lead's (an admin's) read-write token with the `billing:read` scope."""
    return ApiClient(client, make_token(lead, mission.collective, billing=True)[1])


@pytest.fixture
def read_api(client, mission, lead):
    """The lead's (an admin's) read-only token with the `billing:read` scope."""
    return ApiClient(client, make_token(lead, mission.collective, AccessToken.Scope.READ, billing=True)[1])


def _ids(api, path, **params):
    response = api.get(path, data=params)
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_billing_lists_read_only_the_tokens_collective_and_never_drafts(write_api, mission):
    mine = billing_data.billing_rows(mission)
    other_mission = MissionFactory()
    theirs = billing_data.billing_rows(other_mission)

    invoice_ids = _ids(write_api, "/invoices")
    assert set(invoice_ids) == set(
        Invoice.objects.filter(collective=mission.collective)
        .exclude(status="draft")
        .values_list("pk", flat=True)
    )
    assert len(invoice_ids) == 2  # the invoice and its credit note, never the draft
    assert set(_ids(write_api, "/quotes")) == set(
        Quote.objects.filter(collective=mission.collective, status="sent").values_list("pk", flat=True)
    )
    assert set(_ids(write_api, "/splits")) == set(
        RevenueSplit.objects.filter(collective=mission.collective, status="proposed").values_list(
            "pk", flat=True
        )
    )
    assert _ids(write_api, "/payments") == [Payment.objects.get(invoice=mine[0]).pk]

    assert write_api.get(f"/invoices/{theirs[0].pk}").status_code == 404
    assert (
        write_api.get(f"/invoices/{Invoice.objects.get(mission=mission, status='draft').pk}").status_code
        == 404
    )
    for path in BILLING_LISTS:
        response = write_api.get(path, data={"mission_id": other_mission.pk})
        assert response.json()["items"] == [], path


def test_an_invoice_reads_with_lines_totals_snapshots_payments_and_credit_notes(read_api, mission):
    [invoice] = billing_data.billing_rows(mission)
    billing_data.payment(invoice, "1340.60")
    body = read_api.get(f"/invoices/{invoice.pk}").json()
    assert body["number"] == invoice.number
    assert body["document_type"] == "380"
    assert [line["net_amount"] for line in body["lines"]] == ["1000.00", "200.50"]
    assert body["lines"][0]["quantity"] == "1.0000"
    assert (body["total_excl_tax"], body["total_tax"], body["total_incl_tax"]) == (
        "1200.50",
        "240.10",
        "1440.60",
    )
    assert body["amount_paid"] == "0.00"  # the payments area recomputes it, not the API
    assert body["tax_breakdown"] == [
        {
            "category": "S",
            "rate": "20.00",
            "base": "1200.50",
            "tax": "240.10",
            "exemption_reason": "",
            "exemption_code": "",
        }
    ]
    assert body["seller"]["seller_id"] == invoice.seller_id
    assert body["buyer"] == {"name": mission.client.name}
    [credit] = body["credit_notes"]
    assert credit["total_incl_tax"] == "50.00"
    assert body["pdf_sha256"] == invoice.pdf_sha256
    credit_body = read_api.get(f"/invoices/{credit['id']}").json()
    assert credit_body["document_type"] == "381" and credit_body["corrects_id"] == invoice.pk


def test_money_is_always_a_string_with_two_decimals(read_api, mission):
    billing_data.billing_rows(mission)
    fields = {
        "/invoices": (
            "total_excl_tax",
            "total_tax",
            "total_incl_tax",
            "amount_paid",
            "amount_credited",
            "balance_due",
        ),
        "/quotes": ("total_excl_vat", "vat_amount", "total_incl_vat"),
        "/payments": ("amount",),
        "/splits": ("amount",),
    }
    for path, names in fields.items():
        for item in read_api.get(path).json()["items"]:
            for name in names:
                assert isinstance(item[name], str) and MONEY.match(item[name]), (path, name, item[name])
    split = read_api.get("/splits").json()["items"][0]
    assert [share["amount"] for share in split["shares"]] == ["1140.00", "760.00", "100.00"]
    quote = read_api.get("/quotes").json()["items"][0]
    assert [line["amount"] for line in quote["lines"]] == ["3000.00", None]
    assert quote["conditions"] == ["Paiement à 30 jours"]


def test_split_shows_each_members_decision_and_what_is_awaited(read_api, mission):
    billing_data.split(mission)
    [split] = read_api.get("/splits").json()["items"]
    assert [share["decision"] for share in split["shares"]] == ["approve", None, None]
    assert [share["kind"] for share in split["shares"]] == ["member", "member", "common_fund"]
    assert split["approvals_awaited"] == 1
    assert split["status"] == "proposed"


def test_invoice_filters(read_api, mission):
    first = billing_data.invoice_with_lines(mission, number="F-A")
    second = billing_data.invoice_with_lines(
        mission, number="F-B", issued_on=first.issued_on + timedelta(days=40)
    )
    Invoice.objects.filter(pk=second.pk).update(payment_status="paid")
    credit = billing_data.credit_note(first, number="AV-A", amount="10.00")
    assert _ids(read_api, "/invoices", payment_status="paid") == [second.pk]
    assert _ids(read_api, "/invoices", document_type="381") == [credit.pk]
    assert _ids(read_api, "/invoices", issued_from=second.issued_on.isoformat()) == [second.pk]
    assert _ids(read_api, "/invoices", issued_to=first.issued_on.isoformat()) == [first.pk, credit.pk]
    assert _ids(read_api, "/invoices", seller_id=first.seller_id, status="issued") == [
        first.pk,
        second.pk,
        credit.pk,
    ]
    assert _ids(read_api, "/invoices", mission_id=mission.pk, document_type="380") == [first.pk, second.pk]
    assert read_api.get("/invoices", data={"issued_from": "1999-01-01"}).status_code == 422
    assert read_api.get("/invoices", data={"document_type": "999"}).status_code == 422


def test_updated_since_sees_a_new_payment_on_an_old_invoice(read_api, mission):
    old, other = (billing_data.invoice_with_lines(mission, number=f"F-{n}") for n in range(2))
    long_ago = timezone.now() - timedelta(days=30)
    Invoice.objects.update(created_at=long_ago, issued_at=long_ago)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    assert _ids(read_api, "/invoices", updated_since=since) == []
    paid = billing_data.payment(old, "10.00")
    assert _ids(read_api, "/invoices", updated_since=since) == [old.pk]
    assert _ids(read_api, "/payments", updated_since=since) == [paid.pk]
    assert other.pk not in _ids(read_api, "/invoices", updated_since=since)
    updated_at = read_api.get(f"/invoices/{old.pk}").json()["updated_at"]
    assert updated_at >= since[:19]


def test_pages_cursor_and_etag(read_api, mission):
    invoices = billing_data.billing_rows(mission, count=5)
    seen, cursor = [], None
    while True:
        body = read_api.get("/invoices", data={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == 6
    first = read_api.get("/invoices")
    assert read_api.get("/invoices", headers={"If-None-Match": first["ETag"]}).status_code == 304
    billing_data.payment(invoices[1], "1.00")
    Invoice.objects.filter(pk=invoices[1].pk).update(amount_paid="101.00")
    assert read_api.get("/invoices", headers={"If-None-Match": first["ETag"]}).status_code == 200


def _queries(api, path) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert api.get(path, data={"limit": 300}).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", BILLING_LISTS)
def test_list_queries_do_not_grow_with_the_data(client, path):
    counts = []
    for size in (2, 12):
        mission = MissionFactory()
        billing_data.billing_rows(mission, count=size)
        api = ApiClient(client, make_token(mission.lead, mission.collective, billing=True)[1])
        api.get("/collective")  # the token's last use is written once a minute, not on every request
        counts.append(_queries(api, path))
    assert counts[0] == counts[1], counts


def test_invoice_detail_queries_do_not_grow_with_lines(client):
    counts = []
    for size in (2, 20):
        mission = MissionFactory()
        invoice = billing_data.invoice_with_lines(mission, number="F-1", amounts=["10.00"] * size)
        for n in range(size):
            billing_data.credit_note(invoice, number=f"AV-{n}", amount="1.00")
        api = ApiClient(client, make_token(mission.lead, mission.collective, billing=True)[1])
        api.get("/collective")
        counts.append(_queries(api, f"/invoices/{invoice.pk}"))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    ("kind", "media_type", "content"),
    [("pdf", "application/pdf", billing_data.PDF), ("xml", "application/xml", billing_data.XML)],
)
def test_the_stored_files_are_served_while_their_sha256_matches(read_api, mission, kind, media_type, content):
    invoice = billing_data.invoice_with_lines(mission, number="F-2026-1")
    response = read_api.get(f"/invoices/{invoice.pk}/{kind}")
    assert response.status_code == 200
    assert response["Content-Type"] == media_type
    assert response.content == content
    assert f'filename="facture-F-2026-1.{kind}"' in response["Content-Disposition"]
    assert (
        read_api.get(
            f"/invoices/{invoice.pk}/{kind}", headers={"If-None-Match": response["ETag"]}
        ).status_code
        == 304
    )

    Invoice.objects.filter(pk=invoice.pk).update(**{kind: content + b" altered"})
    refused = read_api.get(f"/invoices/{invoice.pk}/{kind}")
    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["type"].endswith("/file-tampered")
    assert content not in refused.content

    draft = billing_data.draft_invoice(mission)
    assert read_api.get(f"/invoices/{draft.pk}/{kind}").status_code == 404
    theirs = billing_data.invoice_with_lines(MissionFactory(), number="F-2026-1")
    assert read_api.get(f"/invoices/{theirs.pk}/{kind}").status_code == 404


@given(amount=st.decimals(min_value=Decimal("-99999999.99"), max_value=Decimal("99999999.99"), places=2))
def test_money_serialises_to_the_exact_amount_with_two_decimals(amount):
    dumped = schemas_billing.TaxOut(category="S", rate=Decimal("20"), base=amount, tax=amount).model_dump(
        mode="json"
    )
    assert MONEY.match(dumped["base"])
    assert Decimal(dumped["base"]) == amount
    assert isinstance(dumped["tax"], str)
