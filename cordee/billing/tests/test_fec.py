"""Sales and bank journal in FEC layout (INVOICING_FR.md section 5, R-5.1)."""

from collections import defaultdict
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cordee.billing.fec import (
    BANK,
    BANK_ACCOUNT,
    HEADERS,
    SUPPLIERS,
    Entry,
    Line,
    UnbalancedEntry,
    entry_checked,
    fec_file,
    fec_filename,
    fec_rows,
    payout_entry,
    receipt_entry,
    sale_entry,
)

EXPECTED_HEADERS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
]


def _amount(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def parse(content: bytes) -> list[dict]:
    lines = content.decode("iso-8859-15").split("\r\n")
    assert lines[-1] == ""
    header = lines[0].split("|")
    assert header == EXPECTED_HEADERS
    return [dict(zip(header, line.split("|"), strict=True)) for line in lines[1:-1]]


def sample_entries():
    return [
        receipt_entry(
            on=date(2026, 4, 20),
            invoice_number="FAC-2026-00001",
            invoice_date=date(2026, 3, 31),
            client_number="C12",
            client_name="Société Générale d'Études | Conseil",
            amount=Decimal("1200.00"),
        ),
        sale_entry(
            on=date(2026, 3, 31),
            number="FAC-2026-00001",
            client_number="C12",
            client_name="Société Générale d'Études | Conseil",
            excl_tax=Decimal("1000.00"),
            tax=Decimal("200.00"),
            incl_tax=Decimal("1200.00"),
        ),
        sale_entry(
            on=date(2026, 4, 2),
            number="AV-2026-00001",
            client_number="C12",
            client_name="Łódź Œuvres",
            excl_tax=Decimal("100.00"),
            tax=Decimal("20.00"),
            incl_tax=Decimal("120.00"),
            is_credit_note=True,
        ),
        payout_entry(
            on=date(2026, 4, 25),
            reference="CORDEE-PAYOUT-3",
            member_number="M7",
            member_name="Hélène Dupré",
            amount=Decimal("450.00"),
            member_account=SUPPLIERS,
        ),
    ]


def test_the_file_has_the_18_headers_in_order_and_every_entry_balances():
    assert list(HEADERS) == EXPECTED_HEADERS
    rows = parse(fec_file(sample_entries()))
    by_entry = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        by_entry[row["EcritureNum"]][0] += _amount(row["Debit"])
        by_entry[row["EcritureNum"]][1] += _amount(row["Credit"])
    assert len(by_entry) == 4
    for debit, credit in by_entry.values():
        assert debit == credit
    assert sum(_amount(row["Debit"]) for row in rows) == sum(_amount(row["Credit"]) for row in rows)


def test_entries_are_chronological_and_numbered_per_journal():
    rows = parse(fec_file(sample_entries()))
    dates = [row["EcritureDate"] for row in rows]
    assert dates == sorted(dates)
    assert [row["EcritureNum"] for row in rows] == [
        "VT000001", "VT000001", "VT000001",
        "VT000002", "VT000002", "VT000002",
        "BQ000001", "BQ000001",
        "BQ000002", "BQ000002",
    ]  # fmt: skip


def test_the_sales_and_bank_accounts():
    rows = parse(fec_file(sample_entries()))
    invoice = [row for row in rows if row["PieceRef"] == "FAC-2026-00001" and row["JournalCode"] == "VT"]
    assert [(r["CompteNum"], r["Debit"], r["Credit"]) for r in invoice] == [
        ("411", "1200,00", "0,00"),
        ("706", "0,00", "1000,00"),
        ("44571", "0,00", "200,00"),
    ]
    assert invoice[0]["CompAuxNum"] == "C12"
    assert invoice[0]["EcritureDate"] == "20260331"
    credit_note = [row for row in rows if row["PieceRef"] == "AV-2026-00001"]
    assert [(r["CompteNum"], r["Debit"], r["Credit"]) for r in credit_note] == [
        ("411", "0,00", "120,00"),
        ("706", "100,00", "0,00"),
        ("44571", "20,00", "0,00"),
    ]
    receipt = [row for row in rows if row["JournalCode"] == "BQ" and row["PieceRef"] == "FAC-2026-00001"]
    assert [(r["CompteNum"], r["Debit"], r["Credit"]) for r in receipt] == [
        ("512", "1200,00", "0,00"),
        ("411", "0,00", "1200,00"),
    ]
    assert receipt[0]["PieceDate"] == "20260331"
    payout = [row for row in rows if row["PieceRef"] == "CORDEE-PAYOUT-3"]
    assert [(r["CompteNum"], r["Debit"], r["Credit"]) for r in payout] == [
        ("401", "450,00", "0,00"),
        ("512", "0,00", "450,00"),
    ]


def test_text_is_latin9_without_the_separator():
    content = fec_file(sample_entries())
    rows = parse(content)
    assert rows[0]["CompAuxLib"] == "Société Générale d'Études Conseil"
    credit_note = next(row for row in rows if row["PieceRef"] == "AV-2026-00001")
    assert credit_note["CompAuxLib"] == "Lódz Œuvres"  # Ł and ź are not in ISO-8859-15; ó and Œ are
    assert all(len(line.split(b"|")) == 18 for line in content.split(b"\r\n")[:-1])


def test_a_sale_without_vat_has_no_vat_line():
    entry = sale_entry(
        on=date(2026, 5, 1),
        number="FAC-2026-00003",
        client_number="C1",
        client_name="Client",
        excl_tax=Decimal("500.00"),
        tax=Decimal("0.00"),
        incl_tax=Decimal("500.00"),
    )
    assert [line.account.number for line in entry.lines] == ["411", "706"]


def test_an_unbalanced_entry_is_refused():
    with pytest.raises(UnbalancedEntry, match="unbalanced"):
        sale_entry(
            on=date(2026, 5, 1),
            number="FAC-2026-00004",
            client_number="C1",
            client_name="Client",
            excl_tax=Decimal("500.00"),
            tax=Decimal("100.00"),
            incl_tax=Decimal("600.01"),
        )
    lopsided = Entry(
        BANK, date(2026, 5, 1), "X", date(2026, 5, 1), "X", (Line(BANK_ACCOUNT, debit=Decimal("1.00")),)
    )
    with pytest.raises(UnbalancedEntry):
        fec_rows([lopsided])
    with pytest.raises(UnbalancedEntry, match="whole cents"):
        entry_checked(
            Entry(
                BANK,
                date(2026, 5, 1),
                "X",
                date(2026, 5, 1),
                "X",
                (Line(BANK_ACCOUNT, debit=Decimal("1.001")), Line(SUPPLIERS, credit=Decimal("1.001"))),
            )
        )


@settings(max_examples=50)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**8)),
        min_size=1,
        max_size=10,
    )
)
def test_any_invoice_balances(amounts):
    entries = [
        sale_entry(
            on=date(2026, 1, 1 + index % 28),
            number=f"FAC-2026-{index:05d}",
            client_number="C1",
            client_name="Client",
            excl_tax=Decimal(excl) / 100,
            tax=Decimal(tax) / 100,
            incl_tax=Decimal(excl + tax) / 100,
        )
        for index, (excl, tax) in enumerate(amounts)
        if excl + tax
    ]
    rows = parse(fec_file(entries))
    assert sum(_amount(row["Debit"]) for row in rows) == sum(_amount(row["Credit"]) for row in rows)


def test_the_file_name_is_siren_fec_closing_date():
    assert fec_filename("552081317", date(2026, 12, 31)) == "552081317FEC20261231.txt"
    with pytest.raises(ValueError):
        fec_filename("5520813", date(2026, 12, 31))
