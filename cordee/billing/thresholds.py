"""Revenue thresholds of French freelancers, as dated data (INVOICING_FR.md R-0.2, R-1.16), and the warnings
a member sees before a split or an invoice takes their encashed revenue of the year over one of them.

The values change by law: add a row with its effective date and its source, never edit a past row and
never write a threshold anywhere else in the code. A row applies from its date until the next row of the
same kind and activity. Revenue is the year's *encashed* revenue excluding VAT (calendar year).

Sources (checked in Nov–Dec 2026):
- VAT franchise (art. 293 B CGI, moved into the CIBS on 1 Sept 2026): 85,000 € (sales) / 37,500 € (services),
  increased thresholds 93,500 € / 41,250 €, from 1 Jan 2025 (finance law for 2025; the single 25,000 €
  threshold was dropped by the law adopted in Oct 2025) — INVOICING_FR.md R-1.16 and its source [10],
  https://www.legifiscal.fr/actualites-fiscales/4289-adoption-definitive-texte-seuils-franchise-base-tva.html
  Before: 91,900 € / 36,800 €, increased 101,000 € / 39,100 € (2023–2024).
- Micro-enterprise ceilings (art. 50-0 and 102 ter CGI, revised every three years): 188,700 € (sales) /
  77,700 € (services) from 1 Jan 2023, the values the project uses for 2026. INVOICING_FR.md does not state
  them. The Urssaf announced in Feb 2026 a revision to 203,100 € / 83,600 € for 2026–2028, not yet in the
  law when it was reported: once confirmed, add rows dated 2026-01-01 (the lower values only warn earlier).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cordee.billing.templatetags.billing import euros

# How close to a threshold a member is warned before crossing it (90 % of it).
NEAR_RATIO = Decimal("0.9")


class Kind:
    MICRO_CEILING = "micro_ceiling"
    VAT_FRANCHISE_BASE = "vat_franchise_base"
    VAT_FRANCHISE_INCREASED = "vat_franchise_increased"


class Activity:
    SALES = "sales"  # sales of goods, accommodation
    SERVICES = "services"  # services (BIC and BNC): what collective members sell


KIND_LABELS = {
    Kind.VAT_FRANCHISE_BASE: gettext_lazy("VAT franchise threshold"),
    Kind.VAT_FRANCHISE_INCREASED: gettext_lazy("increased VAT franchise threshold"),
    Kind.MICRO_CEILING: gettext_lazy("micro-enterprise ceiling"),
}


@dataclass(frozen=True)
class Threshold:
    kind: str
    activity: str
    amount: Decimal
    effective_from: date

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self.kind])


THRESHOLDS: tuple[Threshold, ...] = (
    # VAT franchise, 2023–2024.
    Threshold(Kind.VAT_FRANCHISE_BASE, Activity.SALES, Decimal("91900"), date(2023, 1, 1)),
    Threshold(Kind.VAT_FRANCHISE_BASE, Activity.SERVICES, Decimal("36800"), date(2023, 1, 1)),
    Threshold(Kind.VAT_FRANCHISE_INCREASED, Activity.SALES, Decimal("101000"), date(2023, 1, 1)),
    Threshold(Kind.VAT_FRANCHISE_INCREASED, Activity.SERVICES, Decimal("39100"), date(2023, 1, 1)),
    # VAT franchise from 2025.
    Threshold(Kind.VAT_FRANCHISE_BASE, Activity.SALES, Decimal("85000"), date(2025, 1, 1)),
    Threshold(Kind.VAT_FRANCHISE_BASE, Activity.SERVICES, Decimal("37500"), date(2025, 1, 1)),
    Threshold(Kind.VAT_FRANCHISE_INCREASED, Activity.SALES, Decimal("93500"), date(2025, 1, 1)),
    Threshold(Kind.VAT_FRANCHISE_INCREASED, Activity.SERVICES, Decimal("41250"), date(2025, 1, 1)),
    # Micro-enterprise ceilings from 2023.
    Threshold(Kind.MICRO_CEILING, Activity.SALES, Decimal("188700"), date(2023, 1, 1)),
    Threshold(Kind.MICRO_CEILING, Activity.SERVICES, Decimal("77700"), date(2023, 1, 1)),
)


def threshold_for(kind: str, activity: str, on: date) -> Threshold | None:
    """The row in force on `on` (the latest one dated on or before it), None before the first one."""
    rows = [
        row
        for row in THRESHOLDS
        if row.kind == kind and row.activity == activity and row.effective_from <= on
    ]
    return max(rows, key=lambda row: row.effective_from, default=None)


def thresholds_for_year(year: int, activity: str = Activity.SERVICES) -> dict[str, Threshold]:
    """The thresholds of a calendar year (the rows in force on 1 January), by kind."""
    found = {}
    for kind in KIND_LABELS:
        row = threshold_for(kind, activity, date(year, 1, 1))
        if row is not None:
            found[kind] = row
    return found


def applicable_kinds(*, legal_form: str, vat_regime: str) -> list[str]:
    """Which thresholds concern a member: the micro ceiling for a micro-enterprise, the franchise ones for
    a member in the VAT franchise (a micro-enterprise whose regime is not filled in is in it by default)."""
    kinds = []
    is_micro = legal_form == "micro"
    if vat_regime == "franchise" or (is_micro and not vat_regime):
        kinds += [Kind.VAT_FRANCHISE_BASE, Kind.VAT_FRANCHISE_INCREASED]
    if is_micro:
        kinds.append(Kind.MICRO_CEILING)
    return kinds


@dataclass(frozen=True)
class ThresholdWarning:
    threshold: Threshold
    revenue_before: Decimal
    revenue_after: Decimal
    crossed: bool  # False: near it (at NEAR_RATIO or more) without crossing it
    year: int

    @property
    def message(self) -> str:
        values = {
            "threshold": self.threshold.label,
            "amount": _euros(self.threshold.amount),
            "after": _euros(self.revenue_after),
            "year": self.year,
        }
        if self.crossed:
            head = (
                _("This takes your %(year)s revenue to %(after)s, over the %(threshold)s (%(amount)s).")
                % values
            )
        else:
            head = (
                _("This takes your %(year)s revenue to %(after)s, close to the %(threshold)s (%(amount)s).")
                % values
            )
        return f"{head} {consequence(self.threshold.kind)}"


def consequence(kind: str) -> str:
    """What crossing a threshold means for the member, in words."""
    if kind == Kind.VAT_FRANCHISE_BASE:
        return _(
            "Over it, you keep the VAT franchise until 31 December, then charge VAT on your invoices from "
            "1 January."
        )
    if kind == Kind.VAT_FRANCHISE_INCREASED:
        return _(
            "Over it, you lose the VAT franchise at once: the invoice that crosses it and every later one "
            "must charge VAT."
        )
    return _(
        "Over it two years in a row, you leave the micro-enterprise regime on 1 January of the following year "
        "(real tax regime, accounts to keep)."
    )


def threshold_warnings(
    *,
    revenue_before: Decimal,
    added: Decimal,
    year: int,
    kinds: list[str],
    activity: str = Activity.SERVICES,
    near_ratio: Decimal = NEAR_RATIO,
) -> list[ThresholdWarning]:
    """The warnings for a member whose encashed revenue of `year` is `revenue_before` and would grow by
    `added`: each threshold of `kinds` that it would cross, or come within `near_ratio` of. A threshold
    already crossed before is still reported (the member keeps seeing it)."""
    after = revenue_before + added
    warnings = []
    for kind, threshold in thresholds_for_year(year, activity).items():
        if kind not in kinds:
            continue
        if after > threshold.amount:
            crossed = True
        elif after >= threshold.amount * near_ratio:
            crossed = False
        else:
            continue
        warnings.append(
            ThresholdWarning(
                threshold=threshold,
                revenue_before=revenue_before,
                revenue_after=after,
                crossed=crossed,
                year=year,
            )
        )
    return warnings


def _euros(amount: Decimal) -> str:
    return euros(amount)
