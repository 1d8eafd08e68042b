"""Getting paid in real Chromium: the lead imports the bank statement of their account (CAMT.053), the
import runs in the worker with its progress, the matching screen suggests an invoice for each payment and
the lead confirms them: one invoice is paid, one partly paid; the charts show what is still owed; the
reminder ladder then reminds the rest, all of the mission's unpaid invoices in one email."""

import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import time_machine
import xmlschema
from django.utils import timezone

from cordee.billing.fec import HEADERS
from cordee.billing.models import BankStatement, Invoice, PayoutBatch, StatementLine
from cordee.billing.services.payments import payment_record
from cordee.billing.tests.payment_helpers import issued_invoice, member_seller, mission_batch, teammate
from cordee.billing.tests.payout_world import invoiced, payout_world
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory
from cordee.schedule import billing_reminders_tick

from .conftest import PHONE, new_page

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"
CAMT = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt>
<GrpHdr><MsgId>STMT-E2E</MsgId><CreDtTm>{day}T06:00:00</CreDtTm></GrpHdr>
<Stmt><Id>S-E2E</Id><Acct><Id><IBAN>FR7630006000011234567890189</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">3600.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt>
<AcctSvcrRef>E2E-1</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>MAISON LENOIR SAS</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>VIR FACTURE CM-2026-00001</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">1000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt>
<AcctSvcrRef>E2E-2</AcctSvcrRef><NtryDtls><TxDtls><RltdPties><Dbtr><Nm>MAISON LENOIR SAS</Nm></Dbtr></RltdPties>
<RmtInf><Ustrd>ACOMPTE CM 2026 00002</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>
<Ntry><Amt Ccy="EUR">42.10</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>{day}</Dt></BookgDt>
<AcctSvcrRef>E2E-3</AcctSvcrRef><AddtlNtryInf>FRAIS TENUE DE COMPTE</AddtlNtryInf></Ntry>
</Stmt></BkToCstmrStmt></Document>
"""


def test_payment_flow(live_server, browser, page, journey, tmp_path):
    base = live_server.url
    today = timezone.localdate()
    lead = AdminMembershipFactory(
        user__email="claire@atelier.fr",
        user__full_name="Claire Martin",
        collective__name="Atelier Rive Gauche",
        collective__slug="atelier",
    )
    collective = lead.collective
    mission = MissionFactory(
        title="Refonte de la boutique", collective=collective, lead=lead.user, client__name="Maison Lenoir"
    )
    finance = ClientContactFactory(
        client=mission.client,
        full_name="Agnès Petit",
        email="compta@maison-lenoir.fr",
        role="finance",
        language="fr",
    )
    lead_seller = member_seller(collective, lead.user)
    _paul, paul_seller = teammate(collective, full_name="Paul Durand", business_name="Paul Durand Dev")
    batch = mission_batch(mission)
    issued_on, due_on = today - timedelta(days=37), today - timedelta(days=7)
    paid, partly, other = (
        issued_invoice(
            mission=mission,
            seller=seller,
            batch=batch,
            number=number,
            total=total,
            issued_on=issued_on,
            due_on=due_on,
        )
        for seller, number, total in (
            (lead_seller, "CM-2026-00001", "3600.00"),
            (lead_seller, "CM-2026-00002", "2400.00"),
            (paul_seller, "PD-2026-00001", "1800.00"),
        )
    )
    statement_file = tmp_path / "releve-avril.xml"
    statement_file.write_text(CAMT.format(day=today.isoformat()))

    # 1. The lead signs in and opens "Getting paid" from the billing page.
    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", "claire@atelier.fr")
    page.fill("[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    page.goto(f"{base}/collectives/atelier/billing/payments/")
    journey.snap(page, "payments-empty")

    # 2. A file that is not a CAMT.053 statement is refused with a clear message; nothing is stored.
    wrong = tmp_path / "notification.xml"
    wrong.write_text(CAMT.replace("camt.053.001.02", "camt.054.001.02"))
    page.select_option("[name=seller]", str(lead_seller.pk))
    page.check("input[name=format][value=camt053]")
    page.set_input_files("[name=file]", str(wrong))
    page.click("main form[enctype] [type=submit]")
    page.locator(".errorlist", has_text="camt.054").wait_for()
    assert not BankStatement.objects.exists()

    # 3. The real statement: imported by the worker, its progress shown until done.
    page.select_option("[name=seller]", str(lead_seller.pk))
    page.check("input[name=format][value=camt053]")
    page.set_input_files("[name=file]", str(statement_file))
    page.click("main form[enctype] [type=submit]")
    page.wait_for_url(re.compile(r"/billing/payments/statements/\d+/"))
    page.locator("#statement-progress-bar[value='100']").wait_for()
    journey.snap(page, "statement-imported")
    assert StatementLine.objects.count() == 2  # the bank fees (a debit) are left out

    # 4. The matching screen: both payments have a suggested invoice.
    page.click("#statement-progress a.button")
    page.wait_for_url(re.compile(r"/billing/payments/"))
    first = StatementLine.objects.get(bank_reference__startswith="E2E-1")
    second = StatementLine.objects.get(bank_reference__startswith="E2E-2")
    assert (first.suggested_invoice, second.suggested_invoice) == (paid, partly)
    journey.snap(page, "matching-screen")
    page.locator(f"#line-{first.pk} button[value=confirm]").click()
    page.locator(f"#line-{second.pk}").wait_for()
    page.locator(f"#line-{second.pk} button[value=confirm]").click()
    page.get_by_text("Rien à vérifier").or_(page.get_by_text("Nothing to review")).wait_for()
    journey.snap(page, "matching-done")
    paid.refresh_from_db()
    partly.refresh_from_db()
    assert (paid.payment_status, partly.payment_status) == (
        Invoice.PaymentStatus.PAID,
        Invoice.PaymentStatus.PARTLY_PAID,
    )

    # 5. The same statement again adds nothing.
    page.select_option("[name=seller]", str(lead_seller.pk))
    page.check("input[name=format][value=camt053]")
    page.set_input_files("[name=file]", str(statement_file))
    page.click("main form[enctype] [type=submit]")
    page.locator(".errorlist", has_text=re.compile("déjà été importé|already imported")).wait_for()
    assert BankStatement.objects.count() == 1 and StatementLine.objects.count() == 2

    # 6. The mission's invoices and payments, then the charts.
    page.goto(f"{base}/collectives/atelier/missions/{mission.pk}/billing/payments/")
    journey.snap(page, "mission-payments")
    page.goto(f"{base}/collectives/atelier/billing/payments/charts/")
    assert page.locator("svg.pay-chart").count() == 2
    # French month abbreviations (juil., sept.), never the English "Jul"/"Sep" of Django's "M" format.
    month_labels = " ".join(page.locator("svg.pay-chart--receipts text, main table th").all_text_contents())
    month_labels += " " + " ".join(
        page.locator("main td[data-label]").evaluate_all("cells => cells.map(c => c.dataset.label)")
    )
    assert "déc." in month_labels and not re.search(
        r"\b(Jan|Feb|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", month_labels
    )
    journey.snap(page, "charts")

    # 7. The ladder reminds the rest: one email with the partly paid and the unpaid invoices, at +7 days.
    billing_reminders_tick()
    (reminder,) = OutboundEmail.objects.filter(idempotency_key__startswith="billing:reminder:")
    assert reminder.to_email == finance.email
    assert "CM-2026-00002" in reminder.body_text and "PD-2026-00001" in reminder.body_text
    assert "CM-2026-00001" not in reminder.body_text
    assert "7 jours de retard" in reminder.body_text
    billing_reminders_tick()
    assert OutboundEmail.objects.filter(idempotency_key__startswith="billing:reminder:").count() == 1

    # 8. On a phone, the matching screen and the charts stay usable.
    phone = new_page(browser, PHONE)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/collectives/atelier/billing/payments/charts/")
    # The chart labels stay legible once the drawing shrinks to the phone: at least 9 px on screen.
    label_height = phone.locator("svg.pay-chart--receipts text.pay-chart__label").first.bounding_box()[
        "height"
    ]
    assert label_height >= 9, label_height
    # The y-axis amount is not cut at the chart's left edge.
    chart_box = phone.locator("svg.pay-chart--receipts").bounding_box()
    axis_box = phone.locator("svg.pay-chart--receipts > text.pay-chart__label").first.bounding_box()
    assert axis_box["x"] >= chart_box["x"], (axis_box, chart_box)
    journey.snap(phone, "charts-phone")
    phone.context.close()
    assert other.payment_status == Invoice.PaymentStatus.OPEN


def test_a_payout_batch_is_exported_and_the_journal_downloaded(live_server, page, journey, tmp_path):
    """Payouts and exports in real Chromium: the lead re-invoiced the client, who paid; the lead drafts a
    payout batch for the two members, approves it, exports its SEPA file (checked against sepaxml's XSD),
    marks it paid; then exports the year's journal in FEC layout, whose page shows the progress until the
    file is ready."""
    with time_machine.travel("2026-05-04 09:00 +0200", tick=True):
        world = payout_world()
        helene, marc = world.members
        invoiced(world, {helene: Decimal("1000.00"), marc: Decimal("480.50")}, paid_on=date(2026, 5, 2))
        slug = world.collective.slug
        base = live_server.url

        page.goto(base + "/accounts/login/")
        page.fill("[name=login]", world.lead.email)
        page.fill("[name=password]", PASSWORD)
        page.click("main form [type=submit]")
        page.wait_for_url(re.compile(r"/dashboard/"))

        page.goto(f"{base}/collectives/{slug}/billing/payouts/")
        assert page.get_by_text("Hélène Dupré 0").count() >= 1
        journey.snap(page, "payouts-owed")
        page.fill("[name=execution_date]", "2026-05-05")
        page.click("main form [type=submit]")
        page.wait_for_url(re.compile(r"/billing/payouts/\d+/$"))
        journey.snap(page, "batch-draft")

        page.click("button:has-text('Approuver le lot')")
        page.click("button:has-text('Exporter le fichier SEPA')")
        with page.expect_download() as download_info:
            page.click("a[download]")
        path = tmp_path / "virements.xml"
        download_info.value.save_as(path)
        content = path.read_bytes()
        xmlschema.XMLSchema(XSD).validate(content.decode())
        assert b"<CtrlSum>1480.50</CtrlSum>" in content
        journey.snap(page, "batch-exported")
        # On a phone the amount transferred stays in view: holder, IBAN and label move under the member.
        page.set_viewport_size({"width": 390, "height": 844})
        amount = page.locator("table.payout-lines tbody td.num").first.bounding_box()
        assert amount["x"] + amount["width"] <= 390, amount
        assert page.locator("table.payout-lines .payout-lines__detail").first.is_visible()
        assert "FR14 2004 1010" in page.locator("table.payout-lines .payout-lines__detail").first.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        journey.snap(page, "batch-exported-phone")
        page.set_viewport_size({"width": 1280, "height": 860})
        page.click("button:has-text('Marquer payé')")
        page.wait_for_selector("text=Le lot est marqué payé.")
        assert PayoutBatch.objects.get().status == PayoutBatch.Status.PAID
        member_invoices = Invoice.objects.filter(buyer_seller=world.seller)
        assert sorted(member_invoices.values_list("payment_status", flat=True)) == ["paid", "paid"]

        page.goto(f"{base}/collectives/{slug}/billing/exports/")
        page.select_option("[name=kind]", "journal")
        page.select_option("[name=year]", "2026")
        page.click("main form [type=submit]")
        page.wait_for_url(re.compile(r"/billing/exports/\d+/$"))
        page.wait_for_selector("#export-progress a[download]")
        journey.snap(page, "export-ready")
        with page.expect_download() as download_info:
            page.click("#export-progress a[download]")
        assert download_info.value.suggested_filename == "732829320FEC20261231.txt"
        journal = tmp_path / "journal.txt"
        download_info.value.save_as(journal)
        assert journal.read_bytes().decode("iso-8859-15").splitlines()[0].split("|") == list(HEADERS)


def test_a_clients_credit_pays_another_invoice(live_server, browser, page, journey):
    """The client paid 100 € too much on one invoice: the mission's payments say so, the credit page
    applies it to their other open invoice (a wrong amount first, refused in French, what was typed kept);
    the invoice shows the credit applied; on a phone the page fits the screen."""
    base = live_server.url
    today = timezone.localdate()
    lead = AdminMembershipFactory(
        user__email="claire@atelier.fr", user__full_name="Claire Martin", collective__slug="atelier"
    )
    mission = MissionFactory(
        title="Refonte", collective=lead.collective, lead=lead.user, client__name="Maison Lenoir"
    )
    seller = member_seller(lead.collective, lead.user)
    overpaid, target = (
        issued_invoice(
            mission=mission,
            seller=seller,
            batch=mission_batch(mission),
            number=number,
            total=total,
            issued_on=today - timedelta(days=20),
        )
        for number, total in (("CM-2026-00001", "1200.00"), ("CM-2026-00002", "500.00"))
    )
    payment_record(by=lead.user, invoice_id=overpaid.pk, paid_on=today, amount="1300.00")

    page.goto(base + "/accounts/login/")
    page.fill("[name=login]", "claire@atelier.fr")
    page.fill("[name=password]", PASSWORD)
    page.click("main form [type=submit]")
    page.wait_for_url(re.compile(r"/dashboard/"))
    page.goto(f"{base}/collectives/atelier/missions/{mission.pk}/billing/payments/")
    page.get_by_text("Le client a 100,00").wait_for()
    page.click(f"#invoice-{target.pk} a[href$='/billing/payments/credits/']")
    page.wait_for_url(re.compile(r"/billing/payments/credits/"))
    journey.snap(page, "client-credit")

    page.click("summary:has-text('Imputer sur une facture ouverte')")
    page.fill("input[name$='-amount'][name^='apply-']", "150")
    page.click("button:has-text('Imputer le crédit')")
    page.locator(".errorlist", has_text="Le client n'a que 100,00").wait_for()
    assert page.input_value("input[name$='-amount'][name^='apply-']") == "150"
    page.fill("input[name$='-amount'][name^='apply-']", "100")
    page.click("button:has-text('Imputer le crédit')")
    page.get_by_text("Le crédit est imputé sur la facture.").wait_for()
    target.refresh_from_db()
    assert (target.amount_paid, target.payment_status) == (Decimal("100.00"), "partly_paid")
    page.goto(f"{base}/collectives/atelier/missions/{mission.pk}/billing/invoices/{target.pk}/")
    page.get_by_text("Crédit client imputé").wait_for()
    journey.snap(page, "invoice-credit-applied")

    phone = new_page(browser, PHONE)
    phone.context.add_cookies(page.context.cookies())
    phone.goto(f"{base}/collectives/atelier/billing/payments/credits/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    journey.snap(phone, "client-credit-phone")
    phone.context.close()
