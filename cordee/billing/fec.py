"""A sales and bank journal in the layout of the French FEC (INVOICING_FR.md section 5, R-5.1).

Cordée is not the accounting system and claims no legal FEC: it writes what accountants' tools import,
in the FEC's layout (LPF A47 A-1): the 18 columns in their fixed order, a header line, one separator
(`|`), ISO-8859-15 text, dates as AAAAMMJJ, amounts with a decimal comma, entries in chronological
order, and the file named `{SIREN}FEC{AAAAMMJJ}` after the closing date of the year. Every entry is
balanced (debit = credit) or refused.

Journals and accounts (plan comptable général): sales `VT` (411 client / 706 services / 44571 VAT
collected), bank `BQ` (512 bank / 411 client); what the seller owes its members is 401 when they
invoice it (a lead re-invoicing) and 467 otherwise (a collective's entity).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from text_unidecode import unidecode

from cordee.core.money import round_cents

HEADERS = (
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
)
SEPARATOR = "|"
ENCODING = "iso-8859-15"
LINE_END = "\r\n"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Journal:
    code: str
    label: str


SALES = Journal("VT", "Ventes")
BANK = Journal("BQ", "Banque")


@dataclass(frozen=True)
class Account:
    number: str
    label: str


CUSTOMERS = Account("411", "Clients")
SERVICES = Account("706", "Prestations de services")
VAT_COLLECTED = Account("44571", "TVA collectee")
BANK_ACCOUNT = Account("512", "Banque")
SUPPLIERS = Account("401", "Fournisseurs")
OTHER_THIRD_PARTIES = Account("467", "Autres comptes debiteurs ou crediteurs")


class UnbalancedEntry(ValueError):
    """An entry whose debits and credits differ: never written to a journal."""


@dataclass(frozen=True)
class Line:
    account: Account
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    aux_number: str = ""
    aux_label: str = ""


@dataclass(frozen=True)
class Entry:
    journal: Journal
    on: date
    piece_ref: str
    piece_date: date
    label: str
    lines: tuple[Line, ...] = field(default_factory=tuple)

    @property
    def debit(self) -> Decimal:
        return sum((line.debit for line in self.lines), ZERO)

    @property
    def credit(self) -> Decimal:
        return sum((line.credit for line in self.lines), ZERO)


def entry_checked(entry: Entry) -> Entry:
    """The entry itself when it can go in a journal: two lines at least, amounts in cents, each line a
    debit or a credit (not both, not negative), and debit = credit."""
    if len(entry.lines) < 2:
        raise UnbalancedEntry(f"Entry {entry.piece_ref} has fewer than two lines")
    for line in entry.lines:
        if line.debit < 0 or line.credit < 0 or (line.debit and line.credit):
            raise UnbalancedEntry(f"Entry {entry.piece_ref}: a line is both debit and credit, or negative")
        if round_cents(line.debit) != line.debit or round_cents(line.credit) != line.credit:
            raise UnbalancedEntry(f"Entry {entry.piece_ref}: an amount is not in whole cents")
    if entry.debit != entry.credit:
        raise UnbalancedEntry(
            f"Entry {entry.piece_ref} is unbalanced: debit {entry.debit} ≠ credit {entry.credit}"
        )
    return entry


def _without_zero_lines(lines: Iterable[Line]) -> tuple[Line, ...]:
    return tuple(line for line in lines if line.debit or line.credit)


def sale_entry(
    *,
    on: date,
    number: str,
    client_number: str,
    client_name: str,
    excl_tax: Decimal,
    tax: Decimal,
    incl_tax: Decimal,
    is_credit_note: bool = False,
) -> Entry:
    """An invoice in the sales journal: 411 debited with the total, 706 and 44571 credited (a credit note
    the other way round)."""
    label = f"{'Avoir' if is_credit_note else 'Facture'} {number} {client_name}"
    customer = Line(CUSTOMERS, debit=incl_tax, aux_number=client_number, aux_label=client_name)
    revenue = Line(SERVICES, credit=excl_tax)
    vat = Line(VAT_COLLECTED, credit=tax)
    lines = (customer, revenue, vat)
    if is_credit_note:
        lines = tuple(
            Line(
                line.account,
                debit=line.credit,
                credit=line.debit,
                aux_number=line.aux_number,
                aux_label=line.aux_label,
            )
            for line in lines
        )
    return entry_checked(Entry(SALES, on, number, on, label, _without_zero_lines(lines)))


def receipt_entry(
    *,
    on: date,
    invoice_number: str,
    invoice_date: date,
    client_number: str,
    client_name: str,
    amount: Decimal,
) -> Entry:
    """A client's payment in the bank journal: 512 debited, 411 credited."""
    return entry_checked(
        Entry(
            BANK,
            on,
            invoice_number,
            invoice_date,
            f"Reglement {invoice_number} {client_name}",
            (
                Line(BANK_ACCOUNT, debit=amount),
                Line(CUSTOMERS, credit=amount, aux_number=client_number, aux_label=client_name),
            ),
        )
    )


def _bank_outflow(*, on: date, reference: str, label: str, paid_to: Line) -> Entry:
    """Money leaving the bank in the bank journal: `paid_to` debited, 512 credited."""
    return entry_checked(
        Entry(BANK, on, reference, on, label, (paid_to, Line(BANK_ACCOUNT, credit=paid_to.debit)))
    )


def refund_entry(*, on: date, reference: str, client_number: str, client_name: str, amount: Decimal) -> Entry:
    """A client's credit paid back in the bank journal: 411 debited, 512 credited."""
    return _bank_outflow(
        on=on,
        reference=reference,
        label=f"Remboursement {client_name}",
        paid_to=Line(CUSTOMERS, debit=amount, aux_number=client_number, aux_label=client_name),
    )


def payout_entry(
    *,
    on: date,
    reference: str,
    member_number: str,
    member_name: str,
    amount: Decimal,
    member_account: Account,
) -> Entry:
    """A payout to a member in the bank journal: the member's account (401 or 467) debited, 512 credited."""
    return _bank_outflow(
        on=on,
        reference=reference,
        label=f"Reversement {member_name}",
        paid_to=Line(member_account, debit=amount, aux_number=member_number, aux_label=member_name),
    )


def fec_filename(siren: str, closing_date: date) -> str:
    """`{SIREN}FEC{AAAAMMJJ}` (LPF A47 A-1), the date being the closing date of the financial year."""
    if not (len(siren) == 9 and siren.isdigit()):
        raise ValueError("A FEC file is named after a SIREN of 9 digits")
    return f"{siren}FEC{closing_date:%Y%m%d}.txt"


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _day(value: date | None) -> str:
    return f"{value:%Y%m%d}" if value else ""


def _latin9_text(value: str) -> str:
    """A field as ISO-8859-15 text: no separator, tab or line break inside; a letter the charset lacks
    transliterated (Ł → L)."""
    text = " ".join(str(value).replace(SEPARATOR, " ").split())
    kept = []
    for char in text:
        try:
            char.encode(ENCODING)
            kept.append(char)
        except UnicodeEncodeError:
            kept.append(unidecode(char) or "?")
    return "".join(kept)


def fec_rows(entries: Sequence[Entry]) -> list[list[str]]:
    """The rows of the journal, entries sorted by date then journal, numbered continuously per journal."""
    rows = []
    counters: dict[str, int] = {}
    for entry in sorted(entries, key=lambda e: (e.on, e.journal.code, e.piece_ref)):
        entry_checked(entry)
        counters[entry.journal.code] = counters.get(entry.journal.code, 0) + 1
        number = f"{entry.journal.code}{counters[entry.journal.code]:06d}"
        for line in entry.lines:
            rows.append(
                [
                    entry.journal.code,
                    entry.journal.label,
                    number,
                    _day(entry.on),
                    line.account.number,
                    line.account.label,
                    line.aux_number,
                    line.aux_label,
                    entry.piece_ref,
                    _day(entry.piece_date),
                    entry.label,
                    _amount(line.debit),
                    _amount(line.credit),
                    "",
                    "",
                    _day(entry.on),
                    "",
                    "",
                ]
            )
    return rows


def fec_file(entries: Sequence[Entry]) -> bytes:
    """The journal as a FEC-layout file: the header line, then one line per entry line, ISO-8859-15."""
    lines = [SEPARATOR.join(HEADERS)]
    lines += [SEPARATOR.join(_latin9_text(cell) for cell in row) for row in fec_rows(entries)]
    return (LINE_END.join(lines) + LINE_END).encode(ENCODING)
