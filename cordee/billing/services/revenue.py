"""Each member's revenue of a calendar year, and the threshold warnings it leads to (INVOICING_FR.md R-1.16;
the thresholds themselves are dated data in `cordee.billing.thresholds`).

The thresholds count *encashed* revenue (excluding VAT, by payment date): `members_year_revenue` is the one
place that reads it, and every warning (split screen, split emails) follows it.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from cordee.accounts.models import User
from cordee.billing.models import BillingPlan, Invoice, LegalSeller, Payment, Payout, PayoutBatch, SplitShare
from cordee.billing.thresholds import ThresholdWarning, applicable_kinds, threshold_warnings
from cordee.core.money import ZERO, round_cents


def _excl_tax(amount: Decimal, total_excl_tax: Decimal, total_incl_tax: Decimal) -> Decimal:
    """The part excluding VAT of `amount` paid on an invoice (in proportion of the invoice's totals)."""
    if not total_incl_tax:
        return round_cents(amount)
    return round_cents(amount * total_excl_tax / total_incl_tax)


def members_year_revenue(user_ids, year: int) -> dict[int, Decimal]:
    """Each user's encashed revenue of the calendar `year`, excluding VAT, in three queries whatever their
    number. What counts:

    - the payments recorded on the invoices their legal seller issued (to a client, or to the lead or the
      collective's entity that re-invoices), dated in the year and not reversed; a payment counts excluding
      VAT in proportion of its invoice's totals. When the lead re-invoices everything, the client's payments
      of the lead's invoice are all the lead's turnover;
    - the payouts the seller that collected the client's money paid them (lead re-invoicing or the entity:
      batch marked paid, by its transfer date), for their invoices to that seller, excluding VAT in proportion
      of those invoices. Payouts only settle what was not paid on the invoice itself, so nothing counts twice.

    Credit notes lower what is owed, not what was encashed: a refund to the client is not recorded in
    Cordée, so nothing is subtracted for it. Draft splits, approved splits and unpaid invoices do not count.
    """
    user_ids = list(user_ids)
    totals = dict.fromkeys(user_ids, ZERO)
    if not user_ids:
        return totals
    first, last = date(year, 1, 1), date(year, 12, 31)
    paid = (
        Payment.objects.filter(
            paid_on__gte=first,
            paid_on__lte=last,
            reversed_at__isnull=True,
            invoice__document_type=Invoice.DocumentType.INVOICE,
            invoice__seller__kind=LegalSeller.Kind.MEMBER,
            invoice__seller__user_id__in=user_ids,
        )
        .exclude(invoice__status=Invoice.Status.DRAFT)
        .values("invoice__seller__user_id", "invoice__total_excl_tax", "invoice__total_incl_tax")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in paid:
        totals[row["invoice__seller__user_id"]] += _excl_tax(
            row["total"], row["invoice__total_excl_tax"], row["invoice__total_incl_tax"]
        )
    payouts = list(
        Payout.objects.filter(
            batch__status=PayoutBatch.Status.PAID,
            batch__execution_date__gte=first,
            batch__execution_date__lte=last,
            member_id__in=user_ids,
        ).values_list("member_id", "references")
    )
    invoice_ids = {reference["invoice_id"] for _member, references in payouts for reference in references}
    invoice_totals = {
        pk: (excl, incl)
        for pk, excl, incl in Invoice.objects.filter(pk__in=invoice_ids).values_list(
            "pk", "total_excl_tax", "total_incl_tax"
        )
    }
    for member_id, references in payouts:
        for reference in references:
            excl, incl = invoice_totals.get(reference["invoice_id"], (ZERO, ZERO))
            totals[member_id] += _excl_tax(Decimal(reference["amount"]), excl, incl)
    return {user_id: round_cents(total) for user_id, total in totals.items()}


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
