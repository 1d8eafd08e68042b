"""Bank statements read into lines: CAMT.053 (ISO 20022, through `pycamt`) and CSV with a column mapping.

Only what a client paid in counts: credit lines that the bank booked. Debits, reversals and pending
entries are counted and left out. Each line gets a key that is the same whichever statement carries it
(the bank's own references when there are some, the line's content otherwise, plus its rank among
identical lines of the same day), so importing a statement twice, or two statements that overlap, adds
each payment once.

Every error is a `StatementError` with a message for the person who uploaded the file: which file,
which line, what to do.
"""

import csv
import hashlib
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree
from pycamt.parser import Camt053ParseError, Camt053Parser

from cordee.core.money import CENT, MoneyError, to_decimal
from cordee.core.validators import date_in_range

# The CAMT.053 versions `pycamt` reads and that French banks export.
CAMT_VERSIONS = ("001.02", "001.03", "001.04", "001.08", "001.12")
CAMT_NAMESPACE = re.compile(r"camt\.(\d{3})\.(\d{3}\.\d{2})")
MAX_STATEMENT_BYTES = 5 * 1024 * 1024
MAX_TEXT = 300  # the longest remittance text or counterparty we keep
CSV_DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y")
CSV_SEPARATORS = (";", ",", "\t")
MAX_ERRORS_SHOWN = 5


class StatementError(ValueError):
    """A file that cannot be read as a statement; the message says why, for the person who sent it."""


@dataclass(frozen=True)
class StatementEntry:
    """One credit of a statement: money received."""

    booking_date: date
    amount: Decimal
    currency: str
    reference: str
    counterparty: str
    bank_reference: str = ""


@dataclass
class ParsedStatement:
    format: str
    entries: list[StatementEntry] = field(default_factory=list)
    account_iban: str = ""
    skipped: int = 0  # debits, reversals and entries not booked yet

    def keyed_entries(self) -> list[tuple[str, StatementEntry]]:
        """Each entry with its line key: a hash of its content and its rank among identical entries."""
        seen: Counter = Counter()
        keyed = []
        for entry in self.entries:
            content = "|".join(
                [
                    entry.bank_reference,
                    entry.booking_date.isoformat(),
                    str(entry.amount),
                    entry.currency,
                    entry.reference,
                    entry.counterparty,
                ]
            )
            seen[content] += 1
            digest = hashlib.sha256(f"{content}|{seen[content]}".encode()).hexdigest()
            keyed.append((digest, entry))
        return keyed


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _short(text: str | None) -> str:
    return " ".join((text or "").split())[:MAX_TEXT]


def _check_size(content: bytes) -> None:
    if not content:
        raise StatementError(_("The file is empty."))
    if len(content) > MAX_STATEMENT_BYTES:
        raise StatementError(_("The file is larger than 5 MB: export a shorter period."))


# --- CAMT.053 -----------------------------------------------------------------------------------------


def parse_camt053(content: bytes) -> ParsedStatement:
    """The credit entries of a CAMT.053 statement; a clear error for any other file, message or version."""
    _check_size(content)
    try:
        camt = Camt053Parser(content)
    except (etree.XMLSyntaxError, ValueError) as error:
        raise StatementError(
            _("This file is not a CAMT.053 statement: it is not valid XML (%(error)s).")
            % {"error": str(error)[:120]}
        ) from error
    namespace = camt.tree.tag
    message = CAMT_NAMESPACE.search(namespace)
    if message is None:
        raise StatementError(
            _(
                "This XML file is not a CAMT.053 bank statement. Download the statement from your bank in "
                "the CAMT.053 (ISO 20022) format, or import a CSV file."
            )
        )
    kind, version = message.groups()
    if kind != "053":
        raise StatementError(
            _(
                "This file is a camt.%(kind)s message, not a camt.053 end-of-day statement. Download the "
                "account statement (camt.053) from your bank."
            )
            % {"kind": kind}
        )
    if version not in CAMT_VERSIONS:
        raise StatementError(
            _("CAMT.053 version %(version)s is not supported. Supported versions: %(supported)s.")
            % {"version": version, "supported": ", ".join(CAMT_VERSIONS)}
        )
    try:
        transactions = camt.get_transactions()
        information = camt.get_statement_info()
    except (Camt053ParseError, AttributeError) as error:
        raise StatementError(_("This CAMT.053 file holds no statement.")) from error

    parsed = ParsedStatement(
        format="camt053", account_iban=(information[0].get("IBAN") or "") if information else ""
    )
    for number, transaction in enumerate(transactions, start=1):
        booked = (transaction.get("Status") or "BOOK") == "BOOK"
        reversed_entry = (transaction.get("ReversalIndicator") or "").lower() == "true"
        if transaction.get("CreditDebitIndicator") != "CRDT" or reversed_entry or not booked:
            parsed.skipped += 1
            continue
        try:
            amount = to_decimal(transaction.get("Amount") or "")
            booking_date = date.fromisoformat((transaction.get("BookingDate") or "")[:10])
            date_in_range(booking_date)
        except (MoneyError, ValueError, ValidationError) as error:
            raise StatementError(
                _("Entry %(number)s of the statement has no valid amount or booking date.")
                % {"number": number}
            ) from error
        if amount <= 0 or amount != amount.quantize(CENT):
            raise StatementError(
                _("Entry %(number)s of the statement has an invalid amount (%(amount)s).")
                % {"number": number, "amount": transaction.get("Amount")}
            )
        bank_reference = "/".join(
            part
            for part in (transaction.get("TransactionID"), transaction.get("EndToEndId"))
            if part and part != "NOTPROVIDED"
        )
        parsed.entries.append(
            StatementEntry(
                booking_date=booking_date,
                amount=amount,
                currency=(transaction.get("Currency") or "EUR")[:3],
                reference=_short(
                    transaction.get("RemittanceInformationFull")
                    or transaction.get("RemittanceInformation")
                    or transaction.get("AdditionalEntryInformation")
                ),
                counterparty=_short(transaction.get("DebtorName")),
                bank_reference=_short(bank_reference),
            )
        )
    return parsed


# --- CSV ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnMapping:
    """Which column of the bank's CSV holds what (by header name, case and accents as in the file).

    The amount is one signed column (`amount`) or the bank's credit column (`credit`).
    """

    date: str
    reference: str
    amount: str = ""
    credit: str = ""
    counterparty: str = ""

    def columns(self) -> list[str]:
        return [
            name for name in (self.date, self.amount, self.credit, self.reference, self.counterparty) if name
        ]


def decode_text(content: bytes) -> str:
    """The text of a file in UTF-8 (with or without a byte-order mark) or Windows-1252; else an error."""
    if content.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in content:
        raise StatementError(
            _("The file is in UTF-16, which we cannot read. Save it as CSV in UTF-8 or Windows-1252 (ANSI).")
        )
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1252")
    except UnicodeDecodeError as error:
        raise StatementError(
            _("The file's encoding is neither UTF-8 nor Windows-1252. Save it as CSV in UTF-8.")
        ) from error


def detect_separator(header_line: str) -> str:
    counts = {separator: header_line.count(separator) for separator in CSV_SEPARATORS}
    separator = max(CSV_SEPARATORS, key=lambda candidate: counts[candidate])
    if counts[separator] == 0:
        raise StatementError(
            _("The file's first line has a single column: it must be a header with ; or , between columns.")
        )
    return separator


def parse_amount(text: str) -> Decimal:
    """An amount as banks write it: "1 234,56", "1.234,56", "-12,50", "1234.56", "1 234,56 €"."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]|EUR", "", text or "")
    if not cleaned:
        raise MoneyError("empty")
    if "," in cleaned and "." in cleaned:
        thousands = "." if cleaned.rfind(",") > cleaned.rfind(".") else ","
        cleaned = cleaned.replace(thousands, "")
    cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"[+-]?\d+(\.\d{1,2})?", cleaned):
        raise MoneyError(text)
    return to_decimal(cleaned)


def parse_date(text: str) -> date:
    text = (text or "").strip()
    for date_format in CSV_DATE_FORMATS:
        try:
            value = datetime.strptime(text, date_format).date()
        except ValueError:
            continue
        date_in_range(value)
        return value
    raise ValueError(text)


def csv_header(content: bytes) -> list[str]:
    """The column names of a CSV file, to offer them in the mapping form."""
    _check_size(content)
    text = decode_text(content)
    first_line = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    if not first_line:
        raise StatementError(_("The file is empty."))
    return [name.strip() for name in next(csv.reader([first_line], delimiter=detect_separator(first_line)))]


def parse_csv(content: bytes, mapping: ColumnMapping) -> ParsedStatement:
    """The credit lines of a bank's CSV export under a column mapping; one error listing the bad lines."""
    _check_size(content)
    text = decode_text(content)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise StatementError(_("The file is empty."))
    separator = detect_separator(lines[0])
    reader = csv.reader(io.StringIO(text), delimiter=separator)
    header = [name.strip() for name in next(reader)]
    if not (mapping.amount or mapping.credit):
        raise StatementError(_("Choose the column of the amount or of the credits."))
    missing = [name for name in mapping.columns() if name not in header]
    if missing:
        raise StatementError(
            _("Columns not found in the file: %(missing)s. Its columns are: %(columns)s.")
            % {"missing": ", ".join(missing), "columns": ", ".join(header)}
        )
    position = {name: header.index(name) for name in mapping.columns()}
    parsed = ParsedStatement(format="csv")
    errors = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            errors.append(
                _("line %(number)s has %(count)s columns instead of %(expected)s")
                % {"number": number, "count": len(row), "expected": len(header)}
            )
            continue
        amount_text = row[position[mapping.credit or mapping.amount]]
        if mapping.credit and not amount_text.strip():
            parsed.skipped += 1  # a debit line
            continue
        try:
            amount = parse_amount(amount_text)
        except MoneyError:
            errors.append(
                _("line %(number)s: “%(value)s” is not an amount")
                % {"number": number, "value": amount_text[:40]}
            )
            continue
        try:
            booking_date = parse_date(row[position[mapping.date]])
        except (ValueError, ValidationError):
            errors.append(
                _("line %(number)s: “%(value)s” is not a date (use 31/01/2026 or 2026-01-31)")
                % {"number": number, "value": row[position[mapping.date]][:40]}
            )
            continue
        if amount <= 0:
            parsed.skipped += 1
            continue
        parsed.entries.append(
            StatementEntry(
                booking_date=booking_date,
                amount=amount,
                currency="EUR",
                reference=_short(row[position[mapping.reference]]),
                counterparty=_short(row[position[mapping.counterparty]]) if mapping.counterparty else "",
            )
        )
    if errors:
        shown = "; ".join(str(error) for error in errors[:MAX_ERRORS_SHOWN])
        more = len(errors) - MAX_ERRORS_SHOWN
        message = _("Nothing was imported. Please correct: %(errors)s.") % {"errors": shown}
        if more > 0:
            message += " " + _("(and %(count)s more)") % {"count": more}
        raise StatementError(message)
    return parsed
