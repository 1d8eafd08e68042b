"""Billing's models, one module per area: sellers, plans, quotes and activity reports (`plans`), revenue
splits (`splits`), payouts and exports (`payouts`)."""

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

__all__ = [
    "DOCUMENT_NUMBER_PATTERN",
    "MAX_PAYMENT_DAYS",
    "ActivityReport",
    "BillingPlan",
    "CapAlert",
    "ExportJob",
    "LegalSeller",
    "NumberSeries",
    "OverageRequest",
    "Payout",
    "PayoutBatch",
    "PlanDeliverable",
    "PlanMemberRate",
    "Quote",
    "RevenueSplit",
    "SplitApproval",
    "SplitShare",
    "amount_field",
    "days_field",
    "document_number_validator",
    "prefix_validator",
]
