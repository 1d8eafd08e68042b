"""The billing pages follow billing's reading rule (`cordee.billing.access`), the one the API uses."""

from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from cordee.billing.access import readable_invoices, readable_missions
from cordee.billing.models import Invoice, RevenueSplit, SplitShare
from cordee.billing.tests.access_world import access_world
from cordee.collectives.models import Membership
from cordee.missions.models import MissionMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return access_world()


def _get(client, user, name, *args, **query):
    client.force_login(user)
    return client.get(reverse(name, args=args), query)


def _mission(world, name, *args):
    return (name, world.collective.slug, world.mission.pk, *args)


def _membership(world, user) -> Membership:
    return Membership.objects.get(collective=world.collective, user=user)


def test_a_member_outside_the_team_gets_403_on_the_missions_billing_and_404_on_its_invoices(client, world):
    for args in (
        _mission(world, "billing:mission"),
        _mission(world, "billing:mission_payments"),
        _mission(world, "billing:split_deliverable", world.split.deliverable_id),
    ):
        assert _get(client, world.outsider, *args).status_code == 403, args
        assert _get(client, world.teammate, *args).status_code != 403, args
    for name in ("billing:invoice", "billing:invoice_pdf"):
        args = _mission(world, name, world.client_invoice.pk)
        assert _get(client, world.outsider, *args).status_code == 404, args
        assert _get(client, world.teammate, *args).status_code == 200, args


def test_an_invoices_seller_reads_it_even_outside_the_missions_team(client, world):
    MissionMember.objects.filter(mission=world.mission, user=world.teammate).delete()
    SplitShare.objects.filter(user=world.teammate).delete()
    assert _get(client, world.teammate, *_mission(world, "billing:mission")).status_code == 403
    assert (
        _get(client, world.teammate, *_mission(world, "billing:invoice", world.client_invoice.pk)).status_code
        == 200
    )


def test_a_team_member_gets_404_on_another_members_invoice_to_a_business(client, world):
    for invoice in (world.to_lead, world.to_entity):
        assert (
            _get(client, world.teammate, *_mission(world, "billing:invoice", invoice.pk)).status_code == 404
        )
        assert (
            _get(client, world.teammate, *_mission(world, "billing:invoice_pdf", invoice.pk)).status_code
            == 404
        )
    assert _get(client, world.other, *_mission(world, "billing:invoice", world.to_lead.pk)).status_code == 200


def test_an_invoices_pdf_printing_a_members_iban_is_only_for_the_payer_and_the_member(client, world):
    pdf = "billing:invoice_pdf"
    assert _get(client, world.lead, *_mission(world, pdf, world.to_lead.pk)).status_code == 200
    assert _get(client, world.lead, *_mission(world, pdf, world.to_entity.pk)).status_code == 404
    assert _get(client, world.admin, *_mission(world, pdf, world.to_entity.pk)).status_code == 200
    assert _get(client, world.admin, *_mission(world, pdf, world.to_lead.pk)).status_code == 404
    assert _get(client, world.other, *_mission(world, pdf, world.to_entity.pk)).status_code == 200
    # The lead still reads the invoice's page (amounts, status): only the printed IBAN is held back.
    assert (
        _get(client, world.lead, *_mission(world, "billing:invoice", world.to_entity.pk)).status_code == 200
    )


def test_the_missions_payments_list_only_the_invoices_the_member_reads(client, world):
    def numbers(user) -> set[str]:
        response = _get(client, user, *_mission(world, "billing:mission_payments"))
        assert response.status_code == 200
        return {invoice.number for invoice in response.context["invoices"]}

    assert numbers(world.teammate) == {"F-T-1"}
    assert numbers(world.other) == {"F-T-1", "F-O-1", "F-O-2"}
    assert numbers(world.lead) == {"F-T-1", "F-O-1", "F-O-2"}


@time_machine.travel("2026-12-03 10:00 +0000", tick=False)
def test_the_payment_charts_count_only_what_the_member_reads(client, world):
    def received(user) -> Decimal:
        response = _get(client, user, "billing:payment_charts", world.collective.slug)
        return sum((series.total for series in response.context["series"]), Decimal("0"))

    assert received(world.teammate) == Decimal("100.00")
    assert received(world.outsider) == Decimal("0")
    assert received(world.admin) == Decimal("300.00")


def test_a_member_never_opens_another_members_statement(client, world):
    response = _get(
        client, world.teammate, "billing:member_statement", world.collective.slug, member=world.other.pk
    )
    assert response.status_code == 404
    own = _get(client, world.other, "billing:member_statement", world.collective.slug)
    assert {row.invoice.number for row in own.context["rows"]} == {"F-O-1", "F-O-2"}


def test_the_filters_for_a_team_member_and_for_a_member_outside_the_team(world):
    teammate = _membership(world, world.teammate)
    outsider = _membership(world, world.outsider)
    assert set(Invoice.objects.filter(readable_invoices(teammate)).values_list("number", flat=True)) == {
        "F-T-1"
    }
    assert not Invoice.objects.filter(readable_invoices(outsider)).exists()
    assert RevenueSplit.objects.filter(readable_missions(teammate)).get() == world.split
    assert not RevenueSplit.objects.filter(readable_missions(outsider)).exists()
