"""What the API reads of billing: issued invoices and credit notes, quotes, payments, revenue splits.

Money is a string with two decimals ("1200.00"), never a JSON number: a client parses it as a decimal and
never loses a cent to floating point. Other decimals (quantities, unit prices, percentages) are strings too.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from ninja import Schema
from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema

from cordee.billing.services.splits import split_decisions

MONEY_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


def _two_decimals(value: Decimal) -> str:
    return f"{Decimal(value):.2f}"


def _empty_is_none(value):
    return None if value == "" else value


Money = Annotated[
    Decimal,
    PlainSerializer(_two_decimals, return_type=str),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["1200.00"]}),
]
DecimalText = Annotated[
    Decimal,
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^-?[0-9]+(\.[0-9]+)?$", "examples": ["1.5"]}),
]


def _year_in_range(value: date) -> date:
    if not 2000 <= value.year <= 2100:
        raise ValueError("the date must be between the years 2000 and 2100")
    return value


# A date in a filter: years 2000–2100, as the rest of the API.
Day = Annotated[date, AfterValidator(_year_in_range)]


class InvoiceLineOut(Schema):
    id: int
    position: int
    description: str
    quantity: DecimalText
    unit_code: str
    unit_price: DecimalText
    vat_category: str
    vat_rate: DecimalText
    exemption_reason: str
    exemption_code: str
    net_amount: Money
    user_id: int | None


class TaxOut(Schema):
    category: str
    rate: DecimalText
    base: Money
    tax: Money
    exemption_reason: str = ""
    exemption_code: str = ""


class CreditNoteRef(Schema):
    id: int
    number: str
    issued_on: date | None
    total_incl_tax: Money


class InvoiceOut(Schema):
    """An issued invoice (380) or credit note (381); drafts are never exposed."""

    id: int
    number: str
    document_type: str = Field(description="380: invoice, 381: credit note.")
    status: str = Field(description="issued, or cancelled (by a credit note).")
    mission_id: int
    batch_id: int | None
    seller_id: int
    issuer_id: int | None = Field(description="Who issued it in the seller's name, under a billing mandate.")
    client_id: int | None
    buyer_seller_id: int | None = Field(description="The buyer when a member invoices another seller.")
    corrects_id: int | None = Field(description="The invoice a credit note corrects.")
    issued_on: date | None
    supplied_on: date | None
    period_start: date | None
    period_end: date | None
    due_on: date | None
    flow: str
    currency: str = "EUR"
    total_excl_tax: Money
    total_tax: Money
    total_incl_tax: Money
    amount_credited: Money
    amount_paid: Money
    balance_due: Money
    payment_status: str
    disputed: bool
    purchase_order: str
    issued_at: datetime | None
    sent_at: datetime | None
    cancelled_at: datetime | None
    updated_at: datetime = Field(
        validation_alias="changed_at",
        description="The last change: issue, sending, cancellation, a payment or its reversal, a credit note.",
    )


class InvoiceDetailOut(InvoiceOut):
    seller: dict[str, Any] = Field(
        description="The seller as issued. Its bank details are blank on an invoice between two members' "
        "businesses unless the token's owner administers the seller's account."
    )
    buyer: dict[str, Any] = Field(
        description="The buyer as issued; a business's bank details only for its administrator."
    )
    issuer: dict[str, Any] = Field(
        description="Who issued it under a mandate, as issued; bank details only for its administrator."
    )
    operation_nature: str
    invoicing_frame: str
    vat_on_debits: bool
    language: str
    note: str
    tax_breakdown: list[TaxOut]
    lines: list[InvoiceLineOut]
    credit_notes: list[CreditNoteRef] = Field(validation_alias="issued_credit_notes")
    pdf_sha256: str
    xml_sha256: str

    # `parties`: the snapshots as this reader may see them (`cordee.billing.access.invoice_parties`).
    @staticmethod
    def resolve_seller(invoice) -> dict:
        return invoice.parties["seller"]

    @staticmethod
    def resolve_buyer(invoice) -> dict:
        return invoice.parties["buyer"]

    @staticmethod
    def resolve_issuer(invoice) -> dict:
        return invoice.parties["issuer"]


class QuoteLineOut(Schema):
    description: str
    quantity: Annotated[DecimalText | None, BeforeValidator(_empty_is_none)] = None
    unit: str
    unit_price: Money
    amount: Annotated[Money | None, BeforeValidator(_empty_is_none)] = Field(
        default=None, description="Null for time and materials without a cap."
    )


class QuoteOut(Schema):
    """A quote once sent (drafts are never exposed)."""

    id: int
    number: str
    mission_id: int
    plan_id: int
    seller_id: int
    supersedes_id: int | None
    is_amendment: bool
    status: str
    issued_on: date | None
    valid_until: date
    seller: dict[str, Any] = Field(validation_alias="seller_snapshot")
    client: dict[str, Any] = Field(validation_alias="client_snapshot")
    lines: list[QuoteLineOut]
    conditions: list[str]
    currency: str = "EUR"
    total_excl_vat: Money
    vat_amount: Money
    total_incl_vat: Money
    pdf_sha256: str
    sent_at: datetime | None
    accepted_at: datetime | None
    accepted_name: str
    declined_at: datetime | None
    updated_at: datetime = Field(validation_alias="changed_at")

    @staticmethod
    def resolve_lines(quote) -> list:
        return quote.lines.get("items", []) if isinstance(quote.lines, dict) else []

    @staticmethod
    def resolve_conditions(quote) -> list:
        return quote.lines.get("conditions", []) if isinstance(quote.lines, dict) else []


class PaymentOut(Schema):
    """Money the client paid for an invoice into the seller's account; a reversed one no longer counts."""

    id: int
    invoice_id: int
    paid_on: date
    amount: Money
    method: str
    reference: str
    statement_line_id: int | None
    created_at: datetime
    reversed_at: datetime | None
    reversal_reason: str
    updated_at: datetime = Field(validation_alias="changed_at")


class SplitShareOut(Schema):
    id: int
    kind: str = Field(description="member, common_fund or referrer.")
    user_id: int | None
    label: str
    minutes: int | None
    rate: Money | None
    weight: DecimalText | None
    percent: DecimalText | None
    amount: Money
    decision: str | None = Field(
        default=None, description="A member's latest decision: approve, reject, or null while awaited."
    )


class SplitOut(Schema):
    """A version of a revenue split once proposed (drafts are never exposed), with its shares."""

    id: int
    mission_id: int
    plan_id: int | None
    source: str
    deliverable_id: int | None
    activity_report_id: int | None
    amount: Money
    method: str
    version: int
    status: str = Field(description="proposed (waiting for approvals), approved or superseded.")
    supersedes_id: int | None
    common_fund_percent: DecimalText
    referrer_percent: DecimalText
    note: str
    created_at: datetime
    proposed_at: datetime | None
    approved_at: datetime | None
    updated_at: datetime = Field(validation_alias="changed_at")
    shares: list[SplitShareOut]
    approvals_awaited: int = Field(description="How many members have not approved this version yet.")

    @staticmethod
    def resolve_shares(split) -> list[dict]:
        decisions = split_decisions(split)
        return [
            {
                **SplitShareOut.from_orm(share).model_dump(),
                "decision": decisions[share.user_id].decision
                if share.kind == "member" and share.user_id in decisions
                else None,
            }
            for share in split.shares.all()
        ]

    @staticmethod
    def resolve_approvals_awaited(split) -> int:
        decisions = split_decisions(split)
        return sum(
            1
            for share in split.shares.all()
            if share.kind == "member"
            and (share.user_id not in decisions or decisions[share.user_id].decision != "approve")
        )
