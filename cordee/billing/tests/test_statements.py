"""Reading bank statements: CAMT.053 through pycamt and CSV under a column mapping; every bad file is a
clear error and nothing else."""

import os
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from cordee.billing.models import BankStatement, StatementLine
from cordee.billing.services.statements import statement_import, statement_upload
from cordee.billing.statements import (
    ColumnMapping,
    StatementError,
    csv_header,
    parse_amount,
    parse_camt053,
    parse_csv,
)
from cordee.billing.tests.payment_helpers import issued_invoice, member_seller, mission_batch
from cordee.core.tests.test_worker import database_url_for_subprocess, real_queue  # noqa: F401
from cordee.missions.tests.factories import MissionFactory

DATA = Path(__file__).parent / "data"
FRENCH_BANK = ColumnMapping(date="Date", reference="Libellé", credit="Crédit", counterparty="Émetteur")


@pytest.fixture(autouse=True)
def _english_messages():
    """Error messages are checked in English; the French catalogue is checked by test_translations."""
    with translation.override("en"):
        yield


def data(name: str) -> bytes:
    return (DATA / name).read_bytes()


def test_camt053_keeps_booked_credits_only():
    parsed = parse_camt053(data("camt053_v02.xml"))
    assert parsed.account_iban == "FR7630006000011234567890189"
    assert [(entry.amount, entry.reference, entry.counterparty) for entry in parsed.entries] == [
        (Decimal("3600.00"), "Facture CM-2026-00001", "ACME SAS"),
        (Decimal("500.00"), "CM-2026-00002", "ACME SAS"),  # the structured creditor reference
    ]
    assert parsed.entries[0].booking_date == date(2026, 4, 15)
    assert parsed.entries[0].bank_reference == "BANKREF-0001/ACME-PAY-778"
    assert parsed.skipped == 2  # the bank fees (debit) and the pending credit


def test_line_keys_are_stable_and_tell_identical_lines_apart():
    first = parse_camt053(data("camt053_v02.xml")).keyed_entries()
    again = parse_camt053(data("camt053_v02.xml")).keyed_entries()
    assert [key for key, _ in first] == [key for key, _ in again]
    twice = parse_csv(
        "Date;Libellé;Crédit\n01/04/2026;VIR ACME;100,00\n01/04/2026;VIR ACME;100,00\n".encode(),
        ColumnMapping(date="Date", reference="Libellé", credit="Crédit"),
    ).keyed_entries()
    assert len({key for key, _ in twice}) == 2


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("camt054.xml", "camt.054 message, not a camt.053"),
        ("camt053_v13.xml", "version 001.13 is not supported"),
        ("bank_utf8.csv", "not valid XML"),
    ],
)
def test_other_files_messages_and_versions_are_refused(name, message):
    with pytest.raises(StatementError, match=message):
        parse_camt053(data(name))


def test_xml_that_is_not_iso20022_is_refused():
    with pytest.raises(StatementError, match="not a CAMT.053 bank statement"):
        parse_camt053(b'<?xml version="1.0"?><Invoice><Id>1</Id></Invoice>')


def test_an_empty_file_is_refused():
    with pytest.raises(StatementError, match="empty"):
        parse_camt053(b"")


@pytest.mark.parametrize("name", ["bank_utf8.csv", "bank_cp1252.csv"])
def test_french_csv_in_utf8_or_windows_1252(name):
    parsed = parse_csv(data(name), FRENCH_BANK)
    assert [(entry.booking_date, entry.amount, entry.counterparty) for entry in parsed.entries] == [
        (date(2026, 4, 15), Decimal("3600.00"), "ACME SAS"),
        (date(2026, 4, 16), Decimal("1234.56"), "Société Générale Études"),
    ]
    assert parsed.entries[1].reference == "VIR Réf CM-2026-00002 acompte"
    assert parsed.skipped == 1  # the card payment in the debit column


def test_csv_with_bom_commas_and_a_signed_amount_column():
    parsed = parse_csv(
        data("bank_utf8_bom_comma.csv"),
        ColumnMapping(date="date", amount="amount", reference="label", counterparty="payer"),
    )
    assert [entry.amount for entry in parsed.entries] == [Decimal("3600.00"), Decimal("1234.56")]
    assert parsed.skipped == 1  # the negative fee


def test_csv_header_offers_the_columns():
    assert csv_header(data("bank_cp1252.csv")) == ["Date", "Libellé", "Débit", "Crédit", "Émetteur"]


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1 234,56", "1234.56"),
        ("1\u202f234,56 €", "1234.56"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("-12,50", "-12.50"),
        ("3600", "3600"),
    ],
)
def test_bank_amounts(text, amount):
    assert parse_amount(text) == Decimal(amount)


def test_utf16_is_a_clear_encoding_error():
    with pytest.raises(StatementError, match="UTF-16"):
        parse_csv("Date;Libellé;Crédit\n".encode("utf-16"), FRENCH_BANK)


def test_missing_columns_are_named_with_the_columns_found():
    with pytest.raises(
        StatementError, match="Columns not found in the file: Date, Crédit.*Its columns are: date, amount"
    ):
        parse_csv(data("bank_utf8_bom_comma.csv"), FRENCH_BANK)


def test_bad_lines_are_all_listed_and_nothing_is_kept():
    content = "Date;Libellé;Crédit;Émetteur\n99/99/2026;A;10,00;X\n01/04/2026;B;dix;X\n02/04/2026;C;5,00;X\n"
    with pytest.raises(StatementError) as error:
        parse_csv(content.encode(), FRENCH_BANK)
    assert "line 2: “99/99/2026” is not a date" in str(error.value)
    assert "line 3: “dix” is not an amount" in str(error.value)


def test_a_single_column_file_is_refused():
    with pytest.raises(StatementError, match="single column"):
        parse_csv(b"just text\nmore text\n", FRENCH_BANK)


# --- The import in the worker -------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_imports_the_statement_with_its_progress(real_queue):  # noqa: F811
    """A real Huey consumer process runs the import queued by the upload; its progress reaches 100 %."""
    mission = MissionFactory()
    seller = member_seller(mission.collective, mission.lead)
    invoice = issued_invoice(
        mission=mission,
        seller=seller,
        batch=mission_batch(mission),
        number="CM-2026-00001",
        total="3600.00",
        issued_on=date(2026, 3, 16),
    )
    statement = statement_upload(
        by=mission.lead,
        seller_id=seller.pk,
        filename="avril.xml",
        content=data("camt053_v02.xml"),
        format="camt053",
    )
    assert statement.status == BankStatement.Status.PENDING and not StatementLine.objects.exists()
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cordee.settings",
        "DATABASE_URL": database_url_for_subprocess(),
        "HUEY_IMMEDIATE": "0",
    }
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "run_huey", "--workers", "1", "--worker-type", "thread"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            statement.refresh_from_db()
            if statement.status == BankStatement.Status.DONE:
                break
            time.sleep(0.2)
    finally:
        worker.terminate()
        output = worker.communicate(timeout=20)[0].decode(errors="replace")
    assert (statement.status, statement.progress, statement.new_line_count) == ("done", 100, 2), output
    assert StatementLine.objects.get(bank_reference__startswith="BANKREF-0001").suggested_invoice == invoice
    assert "cordee.billing.tasks.statement_import_task" in output


def test_an_import_left_by_a_dead_worker_is_taken_back_after_its_lease(world):
    seller = member_seller(world.collective, world.lead)
    statement = BankStatement.objects.create(
        collective=world.collective,
        seller=seller,
        format="camt053",
        filename="avril.xml",
        sha256="c" * 64,
        content=data("camt053_v02.xml"),
        status=BankStatement.Status.RUNNING,
        claimed_at=timezone.now() - timedelta(minutes=5),
        progress=40,
    )
    assert statement_import(statement.pk) == 0  # another worker still holds it
    BankStatement.objects.filter(pk=statement.pk).update(claimed_at=timezone.now() - timedelta(minutes=11))
    assert statement_import(statement.pk) == 2
    statement.refresh_from_db()
    assert (statement.status, statement.progress) == ("done", 100)
    assert statement_import(statement.pk) == 0  # done: never imported twice


def test_an_import_whose_file_no_longer_reads_fails_with_its_message(world):
    seller = member_seller(world.collective, world.lead)
    statement = BankStatement.objects.create(
        collective=world.collective,
        seller=seller,
        format="camt053",
        filename="x.xml",
        sha256="d" * 64,
        content=data("camt054.xml"),
    )
    statement_import(statement.pk)
    statement.refresh_from_db()
    assert statement.status == "failed" and "camt.054 message" in statement.error
    assert not StatementLine.objects.exists()
