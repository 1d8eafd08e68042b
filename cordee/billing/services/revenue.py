"""Each member's revenue of a calendar year, and the threshold warnings it leads to (INVOICING_FR.md R-1.16;
the thresholds themselves are dated data in `cordee.billing.thresholds`).

The thresholds count *encashed* revenue (excluding VAT, by payment date). Until payments are recorded, the
revenue of a year is what approved splits give the member in that year (by approval date): the closest
figure that exists. `members_year_revenue` is the one place that reads it; the payments work replaces its
body with the member's payments received in the year, and every warning follows.
"""

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.db.models import F, Q, Sum

from cordee.accounts.models import User
from cordee.billing.models import BillingPlan, RevenueSplit, SplitShare
from cordee.billing.thresholds import ThresholdWarning, applicable_kinds, threshold_warnings
from cordee.core.money import ZERO


def _year_bounds(year: int, time_zone: str = "Europe/Paris") -> tuple[datetime, datetime]:
    """The calendar year as a half-open range of aware datetimes (French revenue years are Paris years)."""
    zone = zoneinfo.ZoneInfo(time_zone)
    return (
        datetime.combine(date(year, 1, 1), time.min, tzinfo=zone),
        datetime.combine(date(year + 1, 1, 1), time.min, tzinfo=zone),
    )


def members_year_revenue(user_ids, year: int) -> dict[int, Decimal]:
    """Each user's revenue of the calendar `year` (excluding VAT), in two queries whatever their number.

    Today: the approved splits of the year. A member's share counts for them, except when the lead
    re-invoices everything: the seller of such a plan counts the whole amount (it is all their turnover),
    and the others count their share (they invoice the seller). To be replaced by payments received.
    """
    user_ids = list(user_ids)
    start, end = _year_bounds(year)
    approved = Q(
        split__status=RevenueSplit.Status.APPROVED, split__approved_at__gte=start, split__approved_at__lt=end
    )
    reinvoiced = Q(split__plan__invoicing_mode=BillingPlan.InvoicingMode.LEAD_REINVOICES)
    totals = dict.fromkeys(user_ids, ZERO)
    shares = (
        SplitShare.objects.filter(approved, kind=SplitShare.Kind.MEMBER, user_id__in=user_ids)
        .exclude(reinvoiced & Q(user_id=F("split__plan__seller__user_id")))
        .values("user_id")
        .annotate(total=Sum("amount"))
    )
    for row in shares:
        totals[row["user_id"]] += row["total"]
    whole = (
        RevenueSplit.objects.filter(
            status=RevenueSplit.Status.APPROVED,
            approved_at__gte=start,
            approved_at__lt=end,
            plan__invoicing_mode=BillingPlan.InvoicingMode.LEAD_REINVOICES,
            plan__seller__user_id__in=user_ids,
        )
        .values("plan__seller__user_id")
        .annotate(total=Sum("amount"))
    )
    for row in whole:
        totals[row["plan__seller__user_id"]] += row["total"]
    return totals


def member_year_revenue(user, year: int) -> Decimal:
    """One member's revenue of the calendar year (see `members_year_revenue`)."""
    return members_year_revenue([user.pk], year)[user.pk]


def member_threshold_warnings(user, *, added: Decimal, year: int) -> list[ThresholdWarning]:
    """The warnings for one member whose revenue of `year` would grow by `added` (a split, an invoice)."""
    return threshold_warnings(
        revenue_before=member_year_revenue(user, year),
        added=added,
        year=year,
        kinds=applicable_kinds(legal_form=user.legal_form, vat_regime=user.vat_regime),
    )


@dataclass
class MemberWarnings:
    user: object
    added: Decimal
    warnings: list[ThresholdWarning]


def split_threshold_warnings(
    *, shares, plan: BillingPlan | None, amount: Decimal, year: int
) -> list[MemberWarnings]:
    """The threshold warnings of the members a split (or its preview) pays: each member's revenue of the year
    plus what the split adds (the whole amount for the seller when the lead re-invoices everything).

    `shares` are `SplitShare`s or computed shares with `kind`, `user_id` and `amount`; users are read in one
    query, revenues in two."""
    members = {share.user_id: share.amount for share in shares if share.kind == SplitShare.Kind.MEMBER}
    reinvoicing_seller = None
    if plan is not None and plan.invoicing_mode == BillingPlan.InvoicingMode.LEAD_REINVOICES:
        reinvoicing_seller = plan.seller.user_id
        if reinvoicing_seller is not None:
            members[reinvoicing_seller] = amount
    if not members:
        return []
    users = {user.pk: user for user in User.objects.filter(pk__in=members)}
    revenue = members_year_revenue(users, year)
    result = []
    for user_id, added in members.items():
        user = users.get(user_id)
        if user is None:
            continue
        warnings = threshold_warnings(
            revenue_before=revenue[user_id],
            added=added,
            year=year,
            kinds=applicable_kinds(legal_form=user.legal_form, vat_regime=user.vat_regime),
        )
        if warnings:
            result.append(MemberWarnings(user=user, added=added, warnings=warnings))
    return result
