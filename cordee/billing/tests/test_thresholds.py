"""Revenue thresholds as dated data (R-0.2, R-1.16) and the warnings before a member crosses one."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from cordee.billing.thresholds import (
    THRESHOLDS,
    Activity,
    Kind,
    applicable_kinds,
    consequence,
    threshold_for,
    threshold_warnings,
    thresholds_for_year,
)

ALL = [Kind.VAT_FRANCHISE_BASE, Kind.VAT_FRANCHISE_INCREASED, Kind.MICRO_CEILING]


@pytest.mark.parametrize(
    ("kind", "activity", "amount"),
    [
        (Kind.VAT_FRANCHISE_BASE, Activity.SALES, "85000"),
        (Kind.VAT_FRANCHISE_BASE, Activity.SERVICES, "37500"),
        (Kind.VAT_FRANCHISE_INCREASED, Activity.SALES, "93500"),
        (Kind.VAT_FRANCHISE_INCREASED, Activity.SERVICES, "41250"),
        (Kind.MICRO_CEILING, Activity.SALES, "188700"),
        (Kind.MICRO_CEILING, Activity.SERVICES, "77700"),
    ],
)
def test_the_2026_values(kind, activity, amount):
    assert thresholds_for_year(2026, activity)[kind].amount == Decimal(amount)


def test_a_row_applies_from_its_date_until_the_next_one():
    assert threshold_for(Kind.VAT_FRANCHISE_BASE, Activity.SERVICES, date(2024, 12, 31)).amount == Decimal(
        "36800"
    )
    assert threshold_for(Kind.VAT_FRANCHISE_BASE, Activity.SERVICES, date(2025, 1, 1)).amount == Decimal(
        "37500"
    )
    assert threshold_for(Kind.VAT_FRANCHISE_BASE, Activity.SERVICES, date(2022, 12, 31)) is None


def test_the_table_is_data_with_one_row_per_kind_activity_and_date():
    keys = [(row.kind, row.activity, row.effective_from) for row in THRESHOLDS]
    assert len(keys) == len(set(keys))
    assert all(isinstance(row.amount, Decimal) and row.amount > 0 for row in THRESHOLDS)


def test_which_thresholds_concern_a_member():
    assert applicable_kinds(legal_form="micro", vat_regime="franchise") == ALL
    assert applicable_kinds(legal_form="micro", vat_regime="") == ALL
    assert applicable_kinds(legal_form="micro", vat_regime="registered") == [Kind.MICRO_CEILING]
    assert applicable_kinds(legal_form="sasu", vat_regime="registered") == []
    assert applicable_kinds(legal_form="eurl", vat_regime="franchise") == ALL[:2]


def test_below_90_percent_there_is_no_warning():
    assert (
        threshold_warnings(revenue_before=Decimal("30000"), added=Decimal("3749.99"), year=2026, kinds=ALL)
        == []
    )


def test_near_the_base_threshold_warns_without_crossing():
    (warning,) = threshold_warnings(
        revenue_before=Decimal("30000"), added=Decimal("3750"), year=2026, kinds=ALL
    )
    assert warning.threshold.kind == Kind.VAT_FRANCHISE_BASE
    assert warning.crossed is False
    assert warning.revenue_after == Decimal("33750")


def test_exactly_at_the_threshold_is_not_over_it():
    warnings = threshold_warnings(revenue_before=Decimal("37000"), added=Decimal("500"), year=2026, kinds=ALL)
    assert [(w.threshold.kind, w.crossed) for w in warnings] == [
        (Kind.VAT_FRANCHISE_BASE, False),
        (Kind.VAT_FRANCHISE_INCREASED, False),
    ]


def test_crossing_both_franchise_thresholds_and_nearing_the_micro_ceiling():
    warnings = threshold_warnings(
        revenue_before=Decimal("60000"), added=Decimal("10000"), year=2026, kinds=ALL
    )
    assert [(w.threshold.kind, w.crossed) for w in warnings] == [
        (Kind.VAT_FRANCHISE_BASE, True),
        (Kind.VAT_FRANCHISE_INCREASED, True),
        (Kind.MICRO_CEILING, False),  # 70,000 is over 90 % of 77,700
    ]


def test_only_the_member_s_thresholds_are_checked():
    warnings = threshold_warnings(
        revenue_before=Decimal("60000"), added=Decimal("20000"), year=2026, kinds=[Kind.MICRO_CEILING]
    )
    assert [(w.threshold.kind, w.crossed) for w in warnings] == [(Kind.MICRO_CEILING, True)]


def test_the_consequence_is_said_in_words_in_french():
    with translation.override("fr"):
        (base, increased, ceiling) = threshold_warnings(
            revenue_before=Decimal("70000"), added=Decimal("8000"), year=2026, kinds=ALL
        )
        assert "franchise" in consequence(Kind.VAT_FRANCHISE_BASE).lower()
        assert "1er janvier" in base.message
        assert "78\xa0000,00\xa0€" in base.message
        assert "TVA" in increased.message
        assert "micro-entreprise" in ceiling.message
