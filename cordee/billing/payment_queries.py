"""Reads of the payment pages, each in a fixed number of queries whatever the data size: the lines to
review, the open invoices they may pay, a mission's invoices and payments, and the figures of the charts
(receivables ageing per client, money received per member and month)."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Case, DecimalField, F, Prefetch, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from cordee.billing.access import readable_invoices
from cordee.billing.models import BankStatement, Invoice, LegalSeller, Payment, StatementLine
from cordee.core.money import ZERO, round_cents

OPEN_PAYMENT_STATUSES = (Invoice.PaymentStatus.OPEN, Invoice.PaymentStatus.PARTLY_PAID)
LINES_SHOWN = 50
AGEING_BUCKETS = (
    ("not_due", _("Not due yet"), None, 0),
    ("late_30", _("1–30 days late"), 1, 30),
    ("late_60", _("31–60 days late"), 31, 60),
    ("late_90", _("61–90 days late"), 61, 90),
    ("late_more", _("Over 90 days late"), 91, None),
)


def reconcilable_sellers(user, membership) -> list[LegalSeller]:
    """The sellers whose bank account the user reconciles: an admin, all of the collective's; a member,
    their own business."""
    sellers = LegalSeller.objects.filter(collective_id=membership.collective_id, archived_at__isnull=True)
    if not membership.is_admin:
        sellers = sellers.filter(kind=LegalSeller.Kind.MEMBER, user_id=user.pk)
    return list(sellers.select_related("user"))


def open_invoices_by_seller(collective_id: int, seller_ids) -> dict[int, list[Invoice]]:
    invoices: dict[int, list[Invoice]] = {seller_id: [] for seller_id in seller_ids}
    for invoice in (
        Invoice.objects.filter(
            collective_id=collective_id,
            seller_id__in=invoices,
            status=Invoice.Status.ISSUED,
            document_type="380",
            payment_status__in=OPEN_PAYMENT_STATUSES,
        )
        .select_related("client")
        .order_by("due_on", "number")
    ):
        invoices[invoice.seller_id].append(invoice)
    return invoices


def lines_to_review(collective_id: int, seller_ids) -> list[StatementLine]:
    return list(
        StatementLine.objects.filter(
            collective_id=collective_id, seller_id__in=seller_ids, status__in=StatementLine.OPEN_STATUSES
        )
        .select_related("suggested_invoice__client", "seller__user")
        .order_by("booking_date", "pk")[:LINES_SHOWN]
    )


def lines_decided(collective_id: int, seller_ids, limit: int = 10) -> list[StatementLine]:
    return list(
        StatementLine.objects.filter(collective_id=collective_id, seller_id__in=seller_ids)
        .exclude(status__in=StatementLine.OPEN_STATUSES)
        .select_related("decided_by")
        .order_by("-decided_at", "-pk")[:limit]
    )


def statements_recent(collective_id: int, seller_ids, limit: int = 10) -> list[BankStatement]:
    return list(
        BankStatement.objects.filter(collective_id=collective_id, seller_id__in=seller_ids)
        .select_related("seller__user")
        .defer("content")
        .order_by("-uploaded_at", "-pk")[:limit]
    )


def mission_invoices(mission, membership) -> list[Invoice]:
    """A mission's issued invoices the member reads, with their payments (reversed ones included, marked) and
    the client credit applied to them."""
    return list(
        Invoice.objects.filter(
            readable_invoices(membership),
            collective_id=mission.collective_id,
            mission=mission,
            status=Invoice.Status.ISSUED,
            document_type="380",
        )
        .select_related("seller__user", "client")
        .prefetch_related(
            Prefetch("payments", queryset=Payment.objects.select_related("recorded_by")), "credit_allocations"
        )
        .order_by("issued_on", "number")
    )


# --- Charts -------------------------------------------------------------------------------------------


@dataclass
class AgeingRow:
    client: str
    amounts: dict = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return round_cents(sum(self.amounts.values(), ZERO))


def receivables_ageing(membership, today: date) -> list[AgeingRow]:
    """What each client still owes on the invoices the member reads, by how late it is: one aggregate
    query."""
    balance = F("total_incl_tax") - F("prepaid_amount") - F("amount_credited") - F("amount_paid")
    aggregates = {}
    for key, _label, low, high in AGEING_BUCKETS:
        if low is None:
            condition = Q(due_on__gte=today)
        else:
            condition = Q(due_on__lte=today - timedelta(days=low))
            if high is not None:
                condition &= Q(due_on__gte=today - timedelta(days=high))
        aggregates[key] = Sum(
            Case(
                When(condition, then=balance),
                default=Value(ZERO),
                output_field=DecimalField(max_digits=12, decimal_places=2),
            )
        )
    rows = (
        Invoice.objects.filter(
            readable_invoices(membership),
            status=Invoice.Status.ISSUED,
            document_type="380",
            payment_status__in=OPEN_PAYMENT_STATUSES,
            client__isnull=False,
        )
        .values("client_id", "client__name")
        .annotate(**aggregates)
        .order_by("client__name", "client_id")
    )
    return [
        AgeingRow(
            client=row["client__name"],
            amounts={key: round_cents(row[key] or ZERO) for key, *_rest in AGEING_BUCKETS},
        )
        for row in rows
    ]


@dataclass
class RevenueSeries:
    name: str
    amounts: list[Decimal]

    @property
    def total(self) -> Decimal:
        return round_cents(sum(self.amounts, ZERO))


def month_starts(today: date, count: int) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _index in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def monthly_receipts(membership, today: date, months: int = 6) -> tuple[list[date], list[RevenueSeries]]:
    """Money each business received per month (payments not reversed) on the invoices the member reads:
    one aggregate query."""
    starts = month_starts(today, months)
    rows = (
        Payment.objects.filter(
            readable_invoices(membership, prefix="invoice__"),
            reversed_at__isnull=True,
            paid_on__gte=starts[0],
        )
        .annotate(month=TruncMonth("paid_on"))
        .values("invoice__seller_id", "month")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    sellers = {
        seller.pk: seller
        for seller in LegalSeller.objects.filter(collective_id=membership.collective_id).select_related(
            "user"
        )
    }
    totals: dict[int, dict[date, Decimal]] = {}
    for row in rows:
        month = row["month"].date() if hasattr(row["month"], "date") else row["month"]
        totals.setdefault(row["invoice__seller_id"], {})[month] = round_cents(row["total"])
    series = [
        RevenueSeries(
            name=sellers[seller_id].display_name if seller_id in sellers else "?",
            amounts=[by_month.get(start, ZERO) for start in starts],
        )
        for seller_id, by_month in totals.items()
    ]
    return starts, sorted(series, key=lambda item: item.name)
