"""Importing a seller's bank statement: checked at upload, imported by the worker with its progress, and
each new line matched to an open invoice of that seller as a suggestion the user then reviews.

The same file twice for a seller is found by its SHA-256 and adds nothing; a line already imported from
an overlapping statement is found by its key and added once. The worker claims the import with a
conditional update and a lease, so a worker that dies mid-import leaves it to the next one.
"""

import re
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.billing import tasks as billing_tasks
from cordee.billing.models import BankStatement, Invoice, StatementLine
from cordee.billing.services.payments import invoice_balance, seller_account_for
from cordee.billing.services.sellers import seller_identity
from cordee.billing.statements import (
    ColumnMapping,
    ParsedStatement,
    StatementError,
    file_digest,
    parse_camt053,
    parse_csv,
)

IMPORT_CHUNK = 50
IMPORT_LEASE = timedelta(minutes=10)
OPEN_PAYMENT_STATUSES = (Invoice.PaymentStatus.OPEN, Invoice.PaymentStatus.PARTLY_PAID)


class StatementAlreadyImported(StatementError):
    def __init__(self, statement: BankStatement):
        self.statement = statement
        super().__init__(
            _("This file was already imported on %(date)s: nothing was added.")
            % {"date": timezone.localtime(statement.uploaded_at).strftime("%d/%m/%Y %H:%M")}
        )


def compact_iban(iban: str) -> str:
    return re.sub(r"\s", "", iban or "").upper()


def statement_parse(content: bytes, format: str, mapping: dict | None) -> ParsedStatement:
    if format == BankStatement.Format.CAMT053:
        return parse_camt053(content)
    if format == BankStatement.Format.CSV:
        return parse_csv(content, ColumnMapping(**(mapping or {})))
    raise StatementError(_("Choose the file's format."))


def statement_upload(
    *, by, seller_id: int, filename: str, content: bytes, format: str, mapping: dict | None = None
) -> BankStatement:
    """Check the file (a clear `StatementError` when it cannot be read: nothing is stored) and queue its
    import in the worker. `StatementAlreadyImported` when this seller already imported this very file."""
    seller = seller_account_for(by, seller_id)
    parsed = statement_parse(content, format, mapping)
    account = compact_iban(seller_identity(seller).get("iban", ""))
    if parsed.account_iban and account and compact_iban(parsed.account_iban) != account:
        raise StatementError(
            _(
                "This statement is of the account %(statement)s, not of %(seller)s's account (%(account)s): "
                "choose the account it belongs to."
            )
            % {"statement": parsed.account_iban, "seller": seller.display_name, "account": account}
        )
    digest = file_digest(content)
    existing = BankStatement.objects.filter(seller=seller, sha256=digest).first()
    if existing is not None:
        raise StatementAlreadyImported(existing)
    try:
        with transaction.atomic():
            statement = BankStatement.objects.create(
                collective_id=seller.collective_id,
                seller=seller,
                format=format,
                filename=(filename or "statement")[:200],
                sha256=digest,
                content=content,
                column_mapping=mapping or {},
                line_count=len(parsed.entries),
                skipped_count=parsed.skipped,
                uploaded_by=by,
            )
    except IntegrityError as error:  # the same file uploaded twice at once
        raise StatementAlreadyImported(BankStatement.objects.get(seller=seller, sha256=digest)) from error
    transaction.on_commit(lambda: billing_tasks.statement_import_task(statement.pk))
    return statement


def _claim(statement_id: int) -> BankStatement | None:
    now = timezone.now()
    taken = BankStatement.objects.filter(
        Q(status=BankStatement.Status.PENDING)
        | Q(status=BankStatement.Status.RUNNING, claimed_at__lt=now - IMPORT_LEASE),
        pk=statement_id,
    ).update(status=BankStatement.Status.RUNNING, claimed_at=now, progress=0)
    return BankStatement.objects.select_related("seller").get(pk=statement_id) if taken else None


def normalized(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (text or "").upper())


def suggestion_for(reference: str, amount: Decimal, invoices: list[Invoice]) -> Invoice | None:
    """The one open invoice a line pays: named in its reference, else the only one with that balance."""
    text = normalized(reference)
    named = [invoice for invoice in invoices if invoice.number and normalized(invoice.number) in text]
    if len(named) == 1:
        return named[0]
    if len(named) > 1:
        by_amount = [invoice for invoice in named if invoice_balance(invoice) == amount]
        return by_amount[0] if len(by_amount) == 1 else None
    same_balance = [invoice for invoice in invoices if invoice_balance(invoice) == amount]
    return same_balance[0] if len(same_balance) == 1 else None


def open_invoices(seller_id: int, collective_id: int) -> list[Invoice]:
    return list(
        Invoice.objects.filter(
            collective_id=collective_id,
            seller_id=seller_id,
            status=Invoice.Status.ISSUED,
            document_type="380",
            payment_status__in=OPEN_PAYMENT_STATUSES,
        ).only("pk", "number", "total_incl_tax", "prepaid_amount", "amount_credited", "amount_paid")
    )


def statement_import(statement_id: int) -> int:
    """The worker's part: insert the new lines by chunks, updating the progress, with a suggested invoice
    for each. Returns the number of new lines (0 when another worker has the import)."""
    statement = _claim(statement_id)
    if statement is None:
        return 0
    try:
        parsed = statement_parse(bytes(statement.content), statement.format, statement.column_mapping)
    except StatementError as error:
        BankStatement.objects.filter(pk=statement.pk).update(
            status=BankStatement.Status.FAILED, error=str(error)[:600], finished_at=timezone.now()
        )
        return 0
    invoices = open_invoices(statement.seller_id, statement.collective_id)
    keyed = parsed.keyed_entries()
    added = 0
    for start in range(0, len(keyed), IMPORT_CHUNK):
        chunk = keyed[start : start + IMPORT_CHUNK]
        with transaction.atomic():
            known = set(
                StatementLine.objects.filter(
                    seller_id=statement.seller_id, line_key__in=[key for key, _ in chunk]
                ).values_list("line_key", flat=True)
            )
            lines = []
            for key, entry in chunk:
                if key in known:
                    continue
                suggested = (
                    suggestion_for(entry.reference, entry.amount, invoices)
                    if entry.currency == "EUR"
                    else None
                )
                lines.append(
                    StatementLine(
                        collective_id=statement.collective_id,
                        seller_id=statement.seller_id,
                        statement=statement,
                        line_key=key,
                        booking_date=entry.booking_date,
                        amount=entry.amount,
                        currency=entry.currency,
                        reference=entry.reference,
                        counterparty=entry.counterparty,
                        bank_reference=entry.bank_reference,
                        suggested_invoice=suggested,
                        status=StatementLine.Status.SUGGESTED
                        if suggested
                        else StatementLine.Status.UNMATCHED,
                    )
                )
            # A line another import inserted meanwhile is skipped by its unique key.
            StatementLine.objects.bulk_create(lines, ignore_conflicts=True)
            added += len(lines)
            BankStatement.objects.filter(pk=statement.pk).update(
                progress=min(99, (start + len(chunk)) * 100 // len(keyed))
            )
    BankStatement.objects.filter(pk=statement.pk).update(
        status=BankStatement.Status.DONE,
        progress=100,
        new_line_count=added,
        finished_at=timezone.now(),
    )
    return added


def statements_recent(collective_id: int, limit: int = 20):
    """The collective's latest statements (for a page; READ_ONLY)."""
    return list(
        BankStatement.objects.filter(collective_id=collective_id)
        .select_related("seller__user")
        .defer("content")
        .order_by("-uploaded_at", "-pk")[:limit]
    )
