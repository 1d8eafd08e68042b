"""A client's credit with a seller (what they paid beyond an invoice's balance): applied to another open
invoice of the same seller and client, or refunded; never more than there is, never more than the
invoice's balance, never twice at once; shown on the credit page, the invoice and the mission's payments."""

import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cordee.billing.models import ClientCredit, CreditAllocation, Invoice, Payment
from cordee.billing.services.credits import available_credits, credit_apply, credit_refund
from cordee.billing.services.exports import journal_entries, member_receipts
from cordee.billing.services.payments import payment_record, payment_reverse
from cordee.billing.templatetags.billing import euros
from cordee.billing.tests.payment_helpers import issued_invoice, member_seller, mission_batch, teammate
from cordee.core.access import AccessDenied
from cordee.core.money import ZERO, money_sum
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.tests.factories import ClientFactory, MissionFactory

ISSUED = date(2026, 4, 1)
TODAY = date(2026, 4, 20)


@pytest.fixture(autouse=True)
def _english_messages():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(date(2026, 4, 20), tick=False):
        yield


@pytest.fixture
def seller(world):
    return member_seller(world.collective, world.lead)


@pytest.fixture
def overpaid(world, seller):
    """CM-1 (1 200 €) paid 1 500 €: 300 € of credit for the client with the lead's business."""
    invoice = issued_invoice(
        mission=world.mission,
        seller=seller,
        batch=mission_batch(world.mission),
        number="CM-2026-00001",
        total="1200.00",
        issued_on=ISSUED,
    )
    payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=TODAY, amount="1500.00", reference="VIR")
    return invoice


def open_invoice(world, seller, number="CM-2026-00002", total="500.00") -> Invoice:
    return issued_invoice(
        mission=world.mission,
        seller=seller,
        batch=mission_batch(world.mission),
        number=number,
        total=total,
        issued_on=ISSUED,
    )


def available(world, seller) -> Decimal:
    return available_credits(world.collective.pk, [seller.pk]).get((seller.pk, world.client.pk), ZERO)


def test_the_credit_pays_another_invoice_in_parts_and_the_payment_stays_as_it_was(world, seller, overpaid):
    target = open_invoice(world, seller)
    credit_apply(by=world.lead, invoice_id=target.pk, amount="200.00")
    target.refresh_from_db()
    assert (target.amount_paid, target.payment_status) == (Decimal("200.00"), "partly_paid")
    assert available(world, seller) == Decimal("100.00")
    credit_apply(by=world.lead, invoice_id=target.pk, amount="100")
    target.refresh_from_db()
    assert (target.amount_paid, target.payment_status) == (Decimal("300.00"), "partly_paid")
    assert available(world, seller) == ZERO
    credit = ClientCredit.objects.get()
    assert credit.settled_at is not None and credit.settled_note == "Applied to invoices"
    payment = Payment.objects.get()
    assert (payment.invoice_id, payment.amount, payment.reversed_at) == (
        overpaid.pk,
        Decimal("1500.00"),
        None,
    )
    overpaid.refresh_from_db()
    assert (overpaid.amount_paid, overpaid.payment_status) == (Decimal("1500.00"), "overpaid")


def test_the_credit_pays_an_invoice_in_full(world, seller, overpaid):
    target = open_invoice(world, seller, total="300.00")
    credit_apply(by=world.lead, invoice_id=target.pk, amount="300.00")
    target.refresh_from_db()
    assert (target.payment_status, target.balance_due) == ("paid", ZERO)


def test_credits_are_spent_oldest_first_across_payments(world, seller, overpaid):
    second = open_invoice(world, seller, number="CM-2026-00003", total="100.00")
    payment_record(by=world.lead, invoice_id=second.pk, paid_on=TODAY, amount="150.00")
    target = open_invoice(world, seller)
    assert available(world, seller) == Decimal("350.00")
    credit_apply(by=world.lead, invoice_id=target.pk, amount="320.00")
    uses = list(CreditAllocation.objects.order_by("pk").values_list("credit__payment__invoice_id", "amount"))
    assert uses == [(overpaid.pk, Decimal("300.00")), (second.pk, Decimal("20.00"))]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("301.00", "The client has only 300"),
        ("400", "The client has only 300"),
        ("0", "Enter a positive amount."),
        ("-5", "Enter a positive amount."),
        ("abc", "Enter an amount such as 1200.50."),
    ],
)
def test_bad_amounts_are_refused_and_change_nothing(world, seller, overpaid, amount, message):
    target = open_invoice(world, seller, total="1000.00")
    with pytest.raises(ValidationError) as refused:
        credit_apply(by=world.lead, invoice_id=target.pk, amount=amount)
    assert message in refused.value.message_dict["amount"][0]
    target.refresh_from_db()
    assert (target.amount_paid, target.payment_status) == (ZERO, "open")
    assert not CreditAllocation.objects.exists()
    assert ClientCredit.objects.get().settled_at is None


def test_never_more_than_the_invoices_balance(world, seller, overpaid):
    target = open_invoice(world, seller, total="250.00")
    with pytest.raises(ValidationError, match="The invoice's balance is 250"):
        credit_apply(by=world.lead, invoice_id=target.pk, amount="260.00")
    with pytest.raises(ValidationError, match="nothing left to pay"):
        credit_apply(by=world.lead, invoice_id=overpaid.pk, amount="10.00")
    assert not CreditAllocation.objects.exists()


def test_a_credit_is_used_only_with_its_seller_and_client(world, seller, overpaid):
    """Another member's invoice to the same client, or the same seller's invoice to another client, sees
    no credit."""
    _user, other_seller = teammate(world.collective)
    theirs = open_invoice(world, other_seller, number="AB-2026-00001")
    other_client_mission = MissionFactory(
        collective=world.collective, lead=world.lead, client=ClientFactory(collective=world.collective)
    )
    elsewhere = issued_invoice(
        mission=other_client_mission,
        seller=seller,
        batch=mission_batch(other_client_mission),
        number="CM-2026-00009",
        total="100.00",
        issued_on=ISSUED,
    )
    admin = MembershipFactory(collective=world.collective, role="admin").user
    for invoice in (theirs, elsewhere):
        with pytest.raises(ValidationError, match="The client has only 0"):
            credit_apply(by=admin, invoice_id=invoice.pk, amount="50.00")
    assert not CreditAllocation.objects.exists()


def test_outsiders_and_plain_members_cannot_use_the_credit(world, seller, overpaid):
    target = open_invoice(world, seller)
    outsider = MembershipFactory().user
    member = MembershipFactory(collective=world.collective).user
    for user in (outsider, member):
        with pytest.raises(AccessDenied):
            credit_apply(by=user, invoice_id=target.pk, amount="10.00")
        with pytest.raises(AccessDenied):
            credit_refund(
                by=user,
                seller_id=seller.pk,
                client_id=world.client.pk,
                refunded_on=TODAY,
                amount="10.00",
                method="transfer",
            )
    assert not CreditAllocation.objects.exists()


def test_a_refund_is_recorded_with_its_date_method_and_reference(world, seller, overpaid):
    credit_refund(
        by=world.lead,
        seller_id=seller.pk,
        client_id=world.client.pk,
        refunded_on=date(2026, 4, 18),
        amount="120.00",
        method="transfer",
        reference="  REMB   ACME ",
    )
    refund = CreditAllocation.objects.get()
    assert (refund.kind, refund.invoice, refund.made_on, refund.method, refund.reference) == (
        "refunded",
        None,
        date(2026, 4, 18),
        "transfer",
        "REMB ACME",
    )
    assert available(world, seller) == Decimal("180.00")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"amount": "300.01"}, "amount"),
        ({"refunded_on": date(2026, 4, 21)}, "refunded_on"),
        ({"refunded_on": date(1999, 1, 1)}, "refunded_on"),
        ({"refunded_on": "yesterday"}, "refunded_on"),
        ({"method": "cash"}, "method"),
        ({"reference": "x" * 141}, "reference"),
    ],
)
def test_bad_refunds_are_refused_and_change_nothing(world, seller, overpaid, values, field):
    with pytest.raises(ValidationError) as refused:
        credit_refund(
            by=world.lead,
            seller_id=seller.pk,
            client_id=world.client.pk,
            **{"refunded_on": TODAY, "amount": "100.00", "method": "transfer", **values},
        )
    assert field in refused.value.message_dict
    assert not CreditAllocation.objects.exists()
    assert available(world, seller) == Decimal("300.00")


def test_a_payment_whose_credit_was_used_cannot_be_reversed(world, seller, overpaid):
    credit_apply(by=world.lead, invoice_id=open_invoice(world, seller).pk, amount="50.00")
    with pytest.raises(ValidationError, match="already applied or refunded"):
        payment_reverse(by=world.lead, payment_id=Payment.objects.get().pk, reason="Erreur")
    assert Payment.objects.get().reversed_at is None


def test_a_reversed_payments_credit_is_no_longer_available(world, seller, overpaid):
    payment_reverse(by=world.lead, payment_id=Payment.objects.get().pk, reason="Erreur de saisie")
    assert available(world, seller) == ZERO


operations = st.lists(
    st.tuples(
        st.sampled_from(["apply", "refund"]),
        st.integers(min_value=0, max_value=2),
        st.decimals(min_value=Decimal("-10"), max_value=Decimal("400"), places=2),
    ),
    min_size=1,
    max_size=8,
)


class _Rollback(Exception):
    """Undo one hypothesis example's changes."""


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=operations)
def test_uses_never_exceed_the_credit_and_balances_never_go_negative(world, seller, overpaid, steps):
    try:
        with transaction.atomic():
            targets = [
                open_invoice(world, seller, number=f"CM-2026-0010{index}", total=total)
                for index, total in enumerate(("90.00", "150.00", "400.00"))
            ]
            for action, index, amount in steps:
                try:
                    if action == "apply":
                        credit_apply(by=world.lead, invoice_id=targets[index].pk, amount=amount)
                    else:
                        credit_refund(
                            by=world.lead,
                            seller_id=seller.pk,
                            client_id=world.client.pk,
                            refunded_on=TODAY,
                            amount=amount,
                            method="cheque",
                        )
                except ValidationError:
                    pass
            used = money_sum(CreditAllocation.objects.values_list("amount", flat=True))
            assert used <= Decimal("300.00")
            assert available(world, seller) == Decimal("300.00") - used
            for credit in ClientCredit.objects.all():
                assert money_sum(credit.allocations.values_list("amount", flat=True)) <= credit.amount
            for target in Invoice.objects.filter(pk__in=[target.pk for target in targets]):
                assert target.balance_due >= 0
                applied = money_sum(target.credit_allocations.values_list("amount", flat=True))
                assert target.amount_paid == applied
            raise _Rollback
    except _Rollback:
        pass


@pytest.mark.django_db(transaction=True)
def test_two_people_applying_the_same_credit_at_once_cannot_overspend_it(world, seller, overpaid):
    """Real threads and connections: the credit rows are locked (PostgreSQL; SQLite's write lock)."""
    admin = MembershipFactory(collective=world.collective, role="admin").user
    targets = [open_invoice(world, seller, number=f"CM-2026-0002{index}", total="300.00") for index in (1, 2)]
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def apply(user, invoice):
        try:
            barrier.wait(timeout=10)
            outcomes.append(credit_apply(by=user, invoice_id=invoice.pk, amount="300.00"))
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=apply, args=(user, invoice))
        for user, invoice in zip((world.lead, admin), targets, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 1, errors
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), errors
    assert money_sum(CreditAllocation.objects.values_list("amount", flat=True)) == Decimal("300.00")
    statuses = sorted(
        Invoice.objects.filter(pk__in=[t.pk for t in targets]).values_list("payment_status", flat=True)
    )
    assert statuses == ["open", "paid"]


# --- Pages ---------------------------------------------------------------------------------------------


def test_the_credit_page_applies_and_refunds(client, world, seller, overpaid):
    target = open_invoice(world, seller)
    client.force_login(world.lead)
    url = reverse("billing:client_credits", args=[world.collective.slug])
    page = client.get(url).content.decode()
    assert "Credit available per seller" in page and euros(Decimal("300")) in page
    key = f"{seller.pk}-{world.client.pk}"
    refused = client.post(
        url,
        {"action": "apply", "account": key, f"apply-{key}-invoice": target.pk, f"apply-{key}-amount": "350"},
    )
    assert refused.status_code == 400
    assert f"The client has only {euros(Decimal(300))}" in refused.content.decode()
    assert 'value="350"' in refused.content.decode()
    assert not CreditAllocation.objects.exists()
    done = client.post(
        url,
        {"action": "apply", "account": key, f"apply-{key}-invoice": target.pk, f"apply-{key}-amount": "200"},
    )
    assert done.status_code == 302
    client.post(
        url,
        {
            "action": "refund",
            "account": key,
            f"refund-{key}-refunded_on": "2026-04-19",
            f"refund-{key}-amount": "100",
            f"refund-{key}-method": "transfer",
            f"refund-{key}-reference": "REMB",
        },
    )
    assert available(world, seller) == ZERO
    page = client.get(url).content.decode()
    assert "applied to invoice CM-2026-00002" in page and "REMB" in page

    invoice_page = client.get(
        reverse("billing:invoice", args=[world.collective.slug, world.mission.pk, target.pk])
    )
    assert "Client credit applied" in invoice_page.content.decode()
    source_page = client.get(
        reverse("billing:invoice", args=[world.collective.slug, world.mission.pk, overpaid.pk])
    ).content.decode()
    assert f"{euros(Decimal(200))} applied to invoice CM-2026-00002." in source_page
    assert f"{euros(Decimal(100))} refunded on" in source_page


def test_a_post_for_a_credit_not_on_the_page_changes_nothing_and_says_so(client, world, seller, overpaid):
    client.force_login(world.lead)
    url = reverse("billing:client_credits", args=[world.collective.slug])
    response = client.post(url, {"action": "refund", "account": "0-0", "refund-0-0-amount": "10"})
    assert response.status_code == 400
    assert "This credit is no longer on the page" in response.content.decode()
    assert not CreditAllocation.objects.exists()


def test_the_mission_payments_show_the_credit_available(client, world, seller, overpaid):
    open_invoice(world, seller)
    client.force_login(world.lead)
    page = client.get(reverse("billing:mission_payments", args=[world.collective.slug, world.mission.pk]))
    assert f"The client has {euros(Decimal(300))} of credit with this seller." in page.content.decode()


def test_a_member_sees_only_their_own_businesss_credit(client, world, seller, overpaid):
    member, _other = teammate(world.collective)
    client.force_login(member)
    page = client.get(reverse("billing:client_credits", args=[world.collective.slug])).content.decode()
    assert euros(Decimal(300)) not in page
    outsider = MembershipFactory().user
    client.force_login(outsider)
    assert client.get(reverse("billing:client_credits", args=[world.collective.slug])).status_code == 404


def test_the_credit_page_makes_a_constant_number_of_queries(client, world, seller, overpaid):
    client.force_login(world.lead)
    url = reverse("billing:client_credits", args=[world.collective.slug])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    for index in range(3):
        other = ClientFactory(collective=world.collective)
        mission = MissionFactory(collective=world.collective, lead=world.lead, client=other)
        invoice = issued_invoice(
            mission=mission,
            seller=seller,
            batch=mission_batch(mission),
            number=f"CM-2026-0030{index}",
            total="100.00",
            issued_on=ISSUED,
        )
        payment_record(by=world.lead, invoice_id=invoice.pk, paid_on=TODAY, amount="150.00")
        open_invoice(world, seller, number=f"CM-2026-0040{index}")
    assert count() == before


def test_a_refund_is_in_the_bank_journal_and_the_receipts_book(world, seller, overpaid):
    credit_refund(
        by=world.lead,
        seller_id=seller.pk,
        client_id=world.client.pk,
        refunded_on=date(2026, 4, 19),
        amount="120.00",
        method="transfer",
        reference="REMB-ACME",
    )
    credit_apply(by=world.lead, invoice_id=open_invoice(world, seller).pk, amount="100.00")
    Invoice.objects.update(total_excl_tax=F("total_incl_tax"))  # no VAT: a franchise seller's sales
    refund = [entry for entry in journal_entries(seller, 2026) if entry.piece_ref == "REMB-ACME"]
    assert len(refund) == 1
    (entry,) = refund
    assert [(line.account.number, line.debit, line.credit) for line in entry.lines] == [
        ("411", Decimal("120.00"), ZERO),
        ("512", ZERO, Decimal("120.00")),
    ]
    receipts = member_receipts(seller, 2026)
    assert [receipt.amount for receipt in receipts] == [Decimal("-120.00"), Decimal("1500.00")]
    assert money_sum(receipt.amount for receipt in receipts) == Decimal("1380.00")
