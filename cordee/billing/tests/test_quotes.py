"""Quotes: drafted from the plan, numbered per seller when sent, mandatory mentions in the PDF, emailed with
it; accepted ("Bon pour accord") or declined in the portal; revised into a new version; amendments."""

import hashlib
import threading
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import translation
from pypdf import PdfReader

from cordee.billing.models import BillingPlan, Quote
from cordee.billing.services.plans import PortalRefused, plan_save
from cordee.billing.services.quotes import quote_accept, quote_decline, quote_draft, quote_revise, quote_send
from cordee.billing.tests.conftest import make_ready, payg_input, sent_quote, series_prefix
from cordee.core.access import AccessDenied
from cordee.core.models import OutboundEmail
from cordee.core.outbox import attachment_content
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory, MissionMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(BytesIO(content)).pages)


def accept(world, quote, **overrides):
    values = {
        "contact": world.contact,
        "quote_id": quote.pk,
        "typed_name": "Louise Bernard",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0 (iPhone)",
        "pdf_sha256": quote.pdf_sha256,
    }
    return quote_accept(**{**values, **overrides})


def test_a_sent_quote_is_numbered_frozen_and_emailed_with_its_pdf(world):
    quote = sent_quote(world)

    assert (quote.status, quote.number) == (
        "sent",
        f"{series_prefix(quote.seller, 'quote')}-{date.today().year}-00001",
    )
    assert quote.total_excl_vat == Decimal("15000.00")  # 3 000 de-risking + 20 days × 600
    assert (quote.vat_amount, quote.total_incl_vat) == (Decimal("0.00"), Decimal("15000.00"))
    assert quote.pdf_sha256 == hashlib.sha256(bytes(quote.pdf)).hexdigest()
    assert quote.seller_snapshot["name"] == "Claire Martin Design EI"
    assert quote.client_snapshot["address_line"] == "5 avenue de France"
    email = OutboundEmail.objects.get(idempotency_key=f"billing:quote:{quote.pk}:contact:{world.contact.pk}")
    assert email.to_email == world.contact.email
    assert email.reply_to == world.lead.email
    attachment = email.attachments[0]
    assert (attachment["filename"], attachment["mimetype"]) == (
        f"devis-{quote.number}.pdf",
        "application/pdf",
    )
    assert attachment["sha256"] == quote.pdf_sha256
    assert attachment_content(attachment) == bytes(quote.pdf)
    assert BillingPlan.objects.get(pk=quote.plan_id).status == BillingPlan.Status.PROPOSED


def test_the_pdf_carries_the_mandatory_mentions_in_french(world):
    quote = sent_quote(world)
    text = pdf_text(bytes(quote.pdf))
    for mention in (
        f"Devis {quote.number}",
        "Claire Martin Design EI",
        "SIRET : 73282932000074",
        "12 rue des Lilas 75011 Paris",
        "Entreprise",
        "5 avenue de France 75013 Paris",
        "Valable jusqu'au",
        "3 000,00 €",
        "12 000,00 €",
        "15 000,00 €",
        "TVA non applicable, art. 293 B du CGI",
        "40,00 €",
        "10,15 %",
        "Pas d'escompte pour paiement anticipé.",
    ):
        assert mention in text, mention


def test_a_per_member_quote_gives_no_account_to_pay_everything_to(world):
    quote = sent_quote(world)

    assert quote.plan.invoicing_mode == BillingPlan.InvoicingMode.PER_MEMBER
    text = pdf_text(bytes(quote.pdf))
    assert "FR7630006000011234567890189" not in text
    assert "IBAN" not in text
    assert "Chaque membre envoie sa propre facture pour sa part, avec ses coordonnées bancaires" in text


def test_a_quote_with_a_single_seller_gives_its_bank_details(world):
    plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input())
    BillingPlan.objects.filter(mission=world.mission).update(
        invoicing_mode=BillingPlan.InvoicingMode.LEAD_REINVOICES
    )
    quote = quote_draft(
        by=world.lead, mission_id=world.mission.pk, valid_until=date.today() + timedelta(days=30)
    )

    quote = quote_send(by=world.lead, quote_id=quote.pk)

    text = pdf_text(bytes(quote.pdf))
    assert "IBAN : FR7630006000011234567890189" in text
    assert "Chaque membre" not in text


def test_fonts_are_embedded_in_the_pdf(world):
    quote = sent_quote(world)
    reader = PdfReader(BytesIO(bytes(quote.pdf)))
    fonts = [font.get_object() for font in reader.pages[0]["/Resources"]["/Font"].values()]
    assert fonts
    for font in fonts:
        descriptor = (
            font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if "/DescendantFonts" in font
            else font["/FontDescriptor"]
        )
        assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))


def test_a_vat_registered_seller_charges_vat_on_the_total(world):
    make_ready(
        world.lead,
        legal_form="sasu",
        share_capital=Decimal("1000"),
        rcs_city="Paris",
        vat_regime="registered",
        vat_number="FR40303265045",
    )
    quote = sent_quote(world)
    assert (quote.vat_amount, quote.total_incl_vat) == (Decimal("3000.00"), Decimal("18000.00"))
    text = pdf_text(bytes(quote.pdf))
    assert "TVA 20 %" in text
    assert "293 B" not in text
    assert "Claire Martin Design EI" not in text
    assert "RCS Paris 732829320" in text


def test_a_time_and_materials_quote_gives_day_rates_and_no_zero_total(world):
    designer = MissionMemberFactory(mission=world.mission).user
    make_ready(designer, full_name="Paul Durand")
    plan_input = payg_input(
        rate_mode=BillingPlan.RateMode.PER_MEMBER,
        mission_day_rate=None,
        cap_days=Decimal("20"),
        derisk_scope="",
        derisk_price=None,
        derisk_end_date=None,
        member_rates=[(world.lead.pk, Decimal("650")), (designer.pk, Decimal("550"))],
    )

    quote = sent_quote(world, plan_input)

    assert (quote.total_excl_vat, quote.has_total) == (Decimal("0.00"), False)
    text = pdf_text(bytes(quote.pdf))
    assert " 0,00 €" not in text
    assert "Total TTC" not in text
    for mention in (
        "Temps passé : jour de Claire Martin",
        "650,00 €",
        "Temps passé : jour de Paul Durand",
        "550,00 €",
        "Plafond : 20 jours",
        "Au temps passé : pas de total fixe.",
    ):
        assert mention in text, mention
    email = OutboundEmail.objects.get(to_email=world.contact.email)
    assert " 0,00 €" not in email.body_text and "sans total fixe" in email.body_text


def test_a_time_and_materials_quote_with_a_fixed_part_says_days_come_on_top(world):
    quote = sent_quote(world, payg_input(cap_days=None))

    assert quote.total_excl_vat == Decimal("3000.00")
    text = pdf_text(bytes(quote.pdf))
    assert "S'y ajoutent les jours consommés, aux tarifs journaliers ci-dessus." in text


def test_quote_numbers_follow_each_sellers_series(world):
    first = sent_quote(world)
    other_mission = MissionFactory(
        collective=world.collective, lead=world.lead, client=world.client, start_date=date(2026, 3, 2)
    )
    plan_save(by=world.lead, mission_id=other_mission.pk, plan_input=payg_input())
    draft = quote_draft(
        by=world.lead, mission_id=other_mission.pk, valid_until=date.today() + timedelta(days=10)
    )
    second = quote_send(by=world.lead, quote_id=draft.pk)
    year = date.today().year
    prefix = series_prefix(first.seller, "quote")
    assert (first.number, second.number) == (f"{prefix}-{year}-00001", f"{prefix}-{year}-00002")


def test_no_quote_for_a_client_without_billing_address(world):
    world.client.address_line = ""
    world.client.save()
    plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input())
    with pytest.raises(ValidationError) as error:
        quote_draft(by=world.lead, mission_id=world.mission.pk, valid_until=date.today() + timedelta(days=30))
    assert error.value.messages == [
        f"{world.client.name} has no billing address: add it on the client's page before drafting a quote."
    ]
    assert Quote.objects.count() == 0


def test_no_quote_from_a_seller_not_ready_to_bill(world):
    world.lead.iban = ""
    world.lead.save()
    plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input())
    with pytest.raises(ValidationError) as error:
        quote_draft(by=world.lead, mission_id=world.mission.pk, valid_until=date.today() + timedelta(days=30))
    assert error.value.messages == ["Claire Martin Design is not ready to bill; missing: IBAN."]
    assert Quote.objects.count() == 0


def test_a_team_member_who_is_not_the_lead_cannot_send_a_quote(world):
    plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input())
    quote = quote_draft(
        by=world.lead, mission_id=world.mission.pk, valid_until=date.today() + timedelta(days=30)
    )
    member = MembershipFactory(collective=world.collective).user
    with pytest.raises(AccessDenied):
        quote_send(by=member, quote_id=quote.pk)
    quote.refresh_from_db()
    assert (quote.status, quote.number) == ("draft", "")


def test_acceptance_records_the_bon_pour_accord_and_activates_the_plan(world):
    quote = sent_quote(world)
    accepted = accept(world, quote, typed_name="  Louise   Bernard ")
    assert accepted.status == Quote.Status.ACCEPTED
    assert (accepted.accepted_name, accepted.accepted_ip, accepted.accepted_user_agent) == (
        "Louise Bernard",
        "203.0.113.7",
        "Mozilla/5.0 (iPhone)",
    )
    assert accepted.accepted_by == world.contact
    assert accepted.accepted_at is not None
    assert accepted.accepted_pdf_sha256 == hashlib.sha256(bytes(accepted.pdf)).hexdigest()
    plan = BillingPlan.objects.get(pk=quote.plan_id)
    assert (plan.status, plan.activated_at is not None) == ("active", True)
    assert OutboundEmail.objects.filter(idempotency_key=f"billing:quote:{quote.pk}:accepted").exists()


def test_a_quote_is_accepted_once(world):
    quote = sent_quote(world)
    accept(world, quote)
    with pytest.raises(PortalRefused, match="already accepted"):
        accept(world, quote, typed_name="Quelqu'un d'autre")
    quote.refresh_from_db()
    assert quote.accepted_name == "Louise Bernard"


def test_an_expired_quote_cannot_be_accepted(world):
    quote = sent_quote(world, valid_until=date.today() + timedelta(days=5))
    with time_machine.travel(date.today() + timedelta(days=6)), pytest.raises(PortalRefused, match="expired"):
        accept(world, quote)
    quote.refresh_from_db()
    assert (quote.status, quote.accepted_name) == ("sent", "")
    assert BillingPlan.objects.get(pk=quote.plan_id).status == "proposed"


def test_a_pdf_other_than_the_one_shown_is_not_accepted(world):
    quote = sent_quote(world)
    with pytest.raises(PortalRefused):
        accept(world, quote, pdf_sha256="0" * 64)
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_an_empty_name_is_refused(world):
    quote = sent_quote(world)
    with pytest.raises(ValidationError):
        accept(world, quote, typed_name="   ")
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_another_clients_contact_cannot_see_or_accept_the_quote(world):
    quote = sent_quote(world)
    stranger = ClientContactFactory(client__collective=world.collective)
    with pytest.raises(Quote.DoesNotExist):
        accept(world, quote, contact=stranger)
    quote.refresh_from_db()
    assert quote.status == "sent"


def test_revising_withdraws_the_sent_quote_and_starts_a_new_version(world):
    old = sent_quote(world)
    new_plan = quote_revise(by=world.lead, quote_id=old.pk)
    old.refresh_from_db()
    assert old.status == Quote.Status.SUPERSEDED
    assert (new_plan.version, new_plan.status, new_plan.cap_days) == (2, "draft", Decimal("20.0000"))
    with pytest.raises(PortalRefused, match="replaced by a newer version"):
        accept(world, old)

    plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input(cap_days=Decimal("15")))
    draft = quote_draft(
        by=world.lead, mission_id=world.mission.pk, valid_until=date.today() + timedelta(days=30)
    )
    new = quote_send(by=world.lead, quote_id=draft.pk)
    assert new.supersedes == old
    assert new.total_excl_vat == Decimal("12000.00")
    accept(world, new)
    assert BillingPlan.objects.get(mission=world.mission, status="active").version == 2


def test_sending_a_new_quote_makes_the_open_one_unacceptable(world):
    old = sent_quote(world)
    plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input(cap_days=Decimal("15")))
    draft = quote_draft(
        by=world.lead, mission_id=world.mission.pk, valid_until=date.today() + timedelta(days=30)
    )
    quote_send(by=world.lead, quote_id=draft.pk)
    old.refresh_from_db()
    assert old.status == Quote.Status.SUPERSEDED
    with pytest.raises(PortalRefused):
        accept(world, old)


def test_an_accepted_quote_is_immutable_and_an_amendment_is_a_new_quote(world):
    quote = sent_quote(world)
    accept(world, quote)
    pdf_before = bytes(Quote.objects.get(pk=quote.pk).pdf)
    with pytest.raises(ValidationError):
        quote_revise(by=world.lead, quote_id=quote.pk)
    with pytest.raises(ValidationError):
        quote_send(by=world.lead, quote_id=quote.pk)

    amendment_plan = plan_save(
        by=world.lead, mission_id=world.mission.pk, plan_input=payg_input(cap_days=Decimal("30"))
    )
    assert amendment_plan.version == 2
    draft = quote_draft(
        by=world.lead, mission_id=world.mission.pk, valid_until=date.today() + timedelta(days=30)
    )
    amendment = quote_send(by=world.lead, quote_id=draft.pk)
    assert amendment.is_amendment is True
    assert "Devis (avenant)" in pdf_text(bytes(amendment.pdf))
    first_plan = BillingPlan.objects.get(pk=quote.plan_id)
    assert first_plan.status == "active"  # until the amendment is accepted

    accept(world, amendment)
    first_plan.refresh_from_db()
    assert first_plan.status == "superseded"
    assert BillingPlan.objects.get(mission=world.mission, status="active").cap_days == Decimal("30")
    quote.refresh_from_db()
    assert quote.status == "accepted"
    assert bytes(quote.pdf) == pdf_before
    assert hashlib.sha256(bytes(quote.pdf)).hexdigest() == quote.pdf_sha256 == quote.accepted_pdf_sha256


def test_declining_needs_a_reason_and_tells_the_lead(world):
    quote = sent_quote(world)
    with pytest.raises(ValidationError):
        quote_decline(contact=world.contact, quote_id=quote.pk, reason="  ")
    quote.refresh_from_db()
    assert quote.status == "sent"
    quote_decline(contact=world.contact, quote_id=quote.pk, reason="Budget trop élevé")
    quote.refresh_from_db()
    assert (quote.status, quote.declined_reason) == ("declined", "Budget trop élevé")
    assert (
        OutboundEmail.objects.get(idempotency_key=f"billing:quote:{quote.pk}:declined").to_email
        == world.lead.email
    )
    with pytest.raises(PortalRefused):
        accept(world, quote)


@pytest.mark.django_db(transaction=True)
def test_two_acceptances_at_the_same_moment_give_one(world):
    quote = sent_quote(world)
    barrier = threading.Barrier(2)
    accepted, refusals, errors = [], [], []

    def worker(name):
        try:
            barrier.wait(timeout=10)
            accepted.append(accept(world, quote, typed_name=name).accepted_name)
        except PortalRefused as refusal:
            refusals.append(str(refusal))
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("Louise Bernard", "Louise B.")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(accepted) == 1
    assert len(refusals) == 1
    quote.refresh_from_db()
    assert quote.accepted_name == accepted[0]
    assert BillingPlan.objects.filter(mission=world.mission, status="active").count() == 1
    assert OutboundEmail.objects.filter(idempotency_key=f"billing:quote:{quote.pk}:accepted").count() == 1
