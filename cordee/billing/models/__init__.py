"""Billing's models, one module per area: sellers, plans, quotes and activity reports (`plans`), revenue
splits (`splits`), invoices, credit notes, billing mandates and the batches sent together (`invoices`),
payments, bank statements and the reminder ladder (`payments`), payout batches, payouts and export jobs
(`payouts`).

Each area's names are re-exported here, one import line per module (the package's public names)."""

from .invoices import BillingMandate, Invoice, InvoiceBatch, InvoiceImmutable, InvoiceLine
from .payments import (
    BankStatement,
    ClientCredit,
    CreditAllocation,
    InvoiceReminder,
    Payment,
    ReminderLadder,
    ReminderLevel,
    StatementLine,
)
from .payouts import ExportJob, Payout, PayoutBatch
from .plans import (
    DOCUMENT_NUMBER_PATTERN,
    MAX_PAYMENT_DAYS,
    ActivityReport,
    BillingPlan,
    CapAlert,
    LegalSeller,
    NumberSeries,
    OverageRequest,
    PlanDeliverable,
    PlanMemberRate,
    Quote,
    amount_field,
    days_field,
    document_number_validator,
    prefix_validator,
)
from .splits import RevenueSplit, SplitApproval, SplitShare
