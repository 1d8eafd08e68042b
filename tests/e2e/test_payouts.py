"""Payouts and exports in real Chromium: the lead re-invoiced the client, who paid; the lead drafts a payout
batch for the two members, approves it, exports its SEPA file (checked against sepaxml's XSD), marks it paid;
then exports the year's journal in FEC layout, whose page shows the progress until the file is ready."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import time_machine
import xmlschema

from cordee.billing.fec import HEADERS
from cordee.billing.models import PayoutBatch
from cordee.billing.tests.payout_world import invoiced, payout_world

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "correct horse battery"
XSD = Path(sepaxml.__file__).parent / "schemas" / "pain.001.001.09.xsd"


def test_a_payout_batch_is_exported_and_the_journal_downloaded(live_server, page, journey, tmp_path):
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
