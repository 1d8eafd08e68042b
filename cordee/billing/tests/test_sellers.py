"""Legal sellers: identity snapshots, the "ready to bill" checklist, payment defaults and numbering (R-1.2 to
R-1.5)."""

import re
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections, transaction
from django.utils import translation

from cordee.billing.models import DOCUMENT_NUMBER_PATTERN, LegalSeller, NumberSeries
from cordee.billing.services.sellers import (
    entity_seller_save,
    member_seller_for,
    name_initials,
    number_issue,
    seller_identity,
    seller_missing,
    seller_payment_defaults_update,
    series_prefix_update,
)
from cordee.billing.tests.conftest import make_ready, series_prefix
from cordee.core.access import AccessDenied
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_a_sole_traders_identity_carries_ei_and_is_snapshotted(world):
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    identity = seller_identity(seller)
    assert identity["name"] == "Claire Martin Design EI"
    assert identity["siren"] == "732829320"
    assert identity["vat_number"] == ""
    assert sorted(NumberSeries.objects.filter(seller=seller).values_list("prefix", flat=True)) == [
        "AV-CM",
        "DEV-CM",
        "FAC-CM",
    ]

    world.lead.business_name = "Autre nom"
    world.lead.save()
    assert identity["name"] == "Claire Martin Design EI"  # what was taken does not follow the profile


def test_the_checklist_says_what_is_missing_in_words(world):
    member = MembershipFactory(collective=world.collective).user
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=member.pk)
    assert seller_missing(seller) == [
        "legal form",
        "SIRET",
        "VAT regime",
        "address",
        "postal code",
        "city",
        "IBAN",
        "account holder",
    ]
    make_ready(member, vat_regime="registered", vat_number="")
    assert seller_missing(LegalSeller.objects.get(pk=seller.pk)) == ["intra-EU VAT number"]


@pytest.mark.parametrize("legal_form", ["eurl", "sasu", "sas"])
def test_a_member_company_is_asked_its_share_capital_and_rcs_city(world, legal_form):
    member = MembershipFactory(collective=world.collective).user
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=member.pk)
    make_ready(member, legal_form=legal_form)
    assert seller_missing(LegalSeller.objects.get(pk=seller.pk)) == ["share capital (€)", "RCS city"]

    make_ready(member, legal_form=legal_form, share_capital=Decimal("0"), rcs_city="Lyon")
    seller = LegalSeller.objects.get(pk=seller.pk)
    assert seller_missing(seller) == []
    identity = seller_identity(seller)
    assert (identity["share_capital"], identity["rcs_city"]) == ("0.00", "Lyon")


def test_the_entity_is_saved_by_an_admin_only_and_its_checklist_asks_rcs_and_capital(world):
    member = MembershipFactory(collective=world.collective).user
    with pytest.raises(AccessDenied):
        entity_seller_save(by=member, collective_id=world.collective.pk, values={"name": "Rive Gauche SAS"})
    assert not LegalSeller.objects.filter(kind=LegalSeller.Kind.ENTITY).exists()

    seller = entity_seller_save(
        by=world.lead,
        collective_id=world.collective.pk,
        values={
            "name": "Rive Gauche SAS",
            "entity_form": "sas",
            "siren": "552081317",
            "vat_regime": "registered",
        },
    )
    assert seller_missing(seller) == [
        "intra-EU VAT number",
        "RCS city",
        "share capital (€)",
        "address",
        "postal code",
        "city",
        "IBAN",
        "account holder",
    ]


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("Claire Martin", "CM"),
        ("Jean-Édouard Lefèvre", "JEL"),
        ("  léa   d'Arc ", "LDA"),
        ("Marie Anne Sophie de La Tour", "MASD"),
        ("李 小龙", ""),
        ("", ""),
    ],
)
def test_initials_are_uppercase_ascii(name, initials):
    assert name_initials(name) == initials


def test_a_members_series_carry_their_initials_once_in_the_collective(world):
    """Two members of one collective never share a prefix, so a client of both never gets two
    "FAC-2026-00001"; the entity keeps the plain prefixes; another collective starts afresh."""

    def prefixes(seller):
        return sorted(NumberSeries.objects.filter(seller=seller).values_list("prefix", flat=True))

    def seller_of(collective, **identity):
        user = make_ready(MembershipFactory(collective=collective).user, **identity)
        return member_seller_for(by=user, collective_id=collective.pk, user_id=user.pk)

    claire = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    camille = seller_of(world.collective, full_name="Camille Moreau")
    cyril = seller_of(world.collective, full_name="Cyril Maës")
    nameless = seller_of(world.collective, full_name="", business_name="", email="zoe.roux@example.fr")
    entity = entity_seller_save(by=world.lead, collective_id=world.collective.pk, values={"name": "Rive SAS"})
    elsewhere = seller_of(AdminMembershipFactory().collective, full_name="Camille Moreau")

    assert prefixes(claire) == ["AV-CM", "DEV-CM", "FAC-CM"]
    assert prefixes(camille) == ["AV-CM2", "DEV-CM2", "FAC-CM2"]
    assert prefixes(cyril) == ["AV-CM3", "DEV-CM3", "FAC-CM3"]
    assert prefixes(nameless) == ["AV-ZR", "DEV-ZR", "FAC-ZR"]
    assert prefixes(entity) == ["AV", "DEV", "FAC"]
    assert prefixes(elsewhere) == ["AV-CM", "DEV-CM", "FAC-CM"]


def test_an_existing_series_keeps_its_prefix(world):
    """Series made before the initials, or renamed by the member, are never renumbered; a missing one is
    made with the initials."""
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    NumberSeries.objects.filter(seller=seller, document_type="invoice").update(prefix="FAC", last_number=7)
    NumberSeries.objects.filter(seller=seller, document_type="quote").delete()
    world.lead.full_name = "Claire Dupont"
    world.lead.save()

    member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)

    assert dict(NumberSeries.objects.filter(seller=seller).values_list("document_type", "prefix")) == {
        "invoice": "FAC",
        "credit_note": "AV-CM",
        "quote": "DEV-CD",
    }
    assert NumberSeries.objects.get(seller=seller, document_type="invoice").last_number == 7


def test_an_outsider_gets_no_seller(world):
    outsider = AdminMembershipFactory().user
    with pytest.raises(AccessDenied):
        member_seller_for(by=outsider, collective_id=world.collective.pk, user_id=world.lead.pk)
    assert LegalSeller.objects.count() == 0


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"payment_days": 61}, "payment_days"),
        ({"late_penalty_rate": Decimal("5.00")}, "late_penalty_rate"),
    ],
)
def test_payment_defaults_beyond_the_law_are_refused(world, values, field):
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    with pytest.raises(ValidationError) as refused:
        seller_payment_defaults_update(by=world.lead, seller_id=seller.pk, values=values)
    assert field in refused.value.message_dict
    seller.refresh_from_db()
    assert (seller.payment_days, seller.late_penalty_rate) == (30, Decimal("10.15"))


def test_only_the_member_changes_their_own_payment_defaults(world):
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    teammate = MembershipFactory(collective=world.collective).user
    with pytest.raises(AccessDenied):
        seller_payment_defaults_update(by=teammate, seller_id=seller.pk, values={"payment_days": 45})
    seller_payment_defaults_update(
        by=world.lead,
        seller_id=seller.pk,
        values={"payment_terms": "eom45", "early_payment_discount": "2 % à 8 jours"},
    )
    seller.refresh_from_db()
    assert (seller.payment_terms, seller.early_payment_discount) == ("eom45", "2 % à 8 jours")


def test_numbers_are_continuous_per_seller_and_series_and_match_the_french_format(world):
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    other = member_seller_for(
        by=world.lead,
        collective_id=world.collective.pk,
        user_id=MembershipFactory(collective=world.collective).user.pk,
    )
    with transaction.atomic():
        numbers = [
            number_issue(seller=seller, document_type="quote", issued_on=date(2026, 3, day))
            for day in (2, 2, 3)
        ]
        numbers.append(number_issue(seller=other, document_type="quote", issued_on=date(2026, 3, 3)))
        numbers.append(number_issue(seller=seller, document_type="invoice", issued_on=date(2026, 3, 3)))
    assert numbers == [
        "DEV-CM-2026-00001",
        "DEV-CM-2026-00002",
        "DEV-CM-2026-00003",
        f"{series_prefix(other, 'quote')}-2026-00001",
        "FAC-CM-2026-00001",
    ]
    assert all(re.match(DOCUMENT_NUMBER_PATTERN, number) for number in numbers)


def test_backdating_is_refused_and_uses_no_number(world):
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    with transaction.atomic():
        number_issue(seller=seller, document_type="quote", issued_on=date(2026, 3, 10))
    with pytest.raises(ValidationError), transaction.atomic():
        number_issue(seller=seller, document_type="quote", issued_on=date(2026, 3, 9))
    series = NumberSeries.objects.get(seller=seller, document_type="quote")
    assert (series.last_number, series.last_issued_on) == (1, date(2026, 3, 10))


@pytest.mark.django_db(transaction=True)
def test_numbers_are_only_issued_inside_the_issuing_transaction(world):
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    with pytest.raises(RuntimeError):
        number_issue(seller=seller, document_type="quote", issued_on=date(2026, 3, 10))


@pytest.mark.parametrize("prefix", ["F 2026", "DEVIS#", "", "ABCDEFGHIJKLM"])
def test_a_prefix_that_would_break_the_number_format_is_refused(world, prefix):
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    with pytest.raises(ValidationError):
        series_prefix_update(by=world.lead, seller_id=seller.pk, document_type="quote", prefix=prefix)
    assert NumberSeries.objects.get(seller=seller, document_type="quote").prefix == "DEV-CM"


def test_a_prefix_no_longer_changes_once_a_number_was_issued(world):
    seller = member_seller_for(by=world.lead, collective_id=world.collective.pk, user_id=world.lead.pk)
    series_prefix_update(by=world.lead, seller_id=seller.pk, document_type="quote", prefix="D-CM")
    with transaction.atomic():
        assert (
            number_issue(seller=seller, document_type="quote", issued_on=date(2026, 3, 10))
            == "D-CM-2026-00001"
        )
    with pytest.raises(ValidationError):
        series_prefix_update(by=world.lead, seller_id=seller.pk, document_type="quote", prefix="Q")
    assert NumberSeries.objects.get(seller=seller, document_type="quote").prefix == "D-CM"


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_issuances_get_n_and_n_plus_one():
    """Real threads and connections: the row lock (PostgreSQL) or the write lock (SQLite) serialises them."""
    user = make_ready(UserFactory())
    membership = AdminMembershipFactory(user=user)
    seller = member_seller_for(by=user, collective_id=membership.collective_id, user_id=user.pk)
    barrier = threading.Barrier(2)
    numbers, errors = [], []

    def issue():
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                numbers.append(
                    number_issue(seller=seller, document_type="invoice", issued_on=date(2026, 3, 10))
                )
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    prefix = series_prefix(seller, "invoice")
    assert sorted(numbers) == [f"{prefix}-2026-00001", f"{prefix}-2026-00002"]


def test_the_entitys_numbers_are_checked_and_nothing_is_saved_when_one_is_wrong(world):
    values = {
        "name": "Rive Gauche SAS",
        "entity_form": "sas",
        "siren": "552 081 318",
        "iban": "FR7630006000011234567890188",
    }
    with pytest.raises(ValidationError) as refused:
        entity_seller_save(by=world.lead, collective_id=world.collective.pk, values=values)
    assert set(refused.value.message_dict) == {"siren", "iban"}
    assert not LegalSeller.objects.filter(kind=LegalSeller.Kind.ENTITY).exists()
    seller = entity_seller_save(
        by=world.lead,
        collective_id=world.collective.pk,
        values={**values, "siren": "552 081 317", "iban": "FR76 3000 6000 0112 3456 7890 189"},
    )
    assert (seller.siren, seller.iban) == ("552081317", "FR7630006000011234567890189")
