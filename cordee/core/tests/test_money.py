from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cordee.core.money import (
    MoneyError,
    line_amount,
    money_sum,
    percent_of,
    round_cents,
    round_quantity,
    round_unit_price,
    split_largest_remainder,
    to_decimal,
)

amounts = st.decimals(min_value=Decimal("-1000000"), max_value=Decimal("1000000"), places=2)
weights = st.lists(
    st.decimals(min_value=Decimal("0"), max_value=Decimal("1000"), places=4), min_size=1, max_size=10
).filter(lambda values: sum(values) > 0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", Decimal("0.01")),
        ("0.004", Decimal("0.00")),
        ("-0.005", Decimal("-0.01")),
        ("2.675", Decimal("2.68")),
        ("1,5", Decimal("1.50")),
        (3, Decimal("3.00")),
        (Decimal("10.125"), Decimal("10.13")),
    ],
)
def test_round_cents_rounds_half_up(value, expected):
    assert round_cents(value) == expected
    assert round_cents(value).as_tuple().exponent == -2


@pytest.mark.parametrize("value", [0.1, 1.0, True, "abc", "", "NaN", "Infinity", None])
def test_inexact_or_non_numbers_are_refused(value):
    with pytest.raises(MoneyError):
        to_decimal(value)


def test_quantities_and_unit_prices_keep_their_precision():
    assert round_quantity("1.23456") == Decimal("1.2346")
    assert round_unit_price("0.1234565") == Decimal("0.123457")


def test_line_amount_and_percent_round_once():
    assert line_amount("0.3333", "600") == Decimal("199.98")
    assert percent_of("99.99", "20") == Decimal("20.00")
    assert percent_of("10.05", "5.5") == Decimal("0.55")
    assert money_sum([]) == Decimal("0.00")
    assert money_sum(["0.10", "0.20", Decimal("0.30")]) == Decimal("0.60")


def test_split_gives_left_over_cents_to_the_largest_remainders():
    assert split_largest_remainder("100.00", [1, 1, 1]) == [
        Decimal("33.34"),
        Decimal("33.33"),
        Decimal("33.33"),
    ]
    assert split_largest_remainder("10.00", ["1", "2"]) == [Decimal("3.33"), Decimal("6.67")]
    assert split_largest_remainder("0.01", [1, 1]) == [Decimal("0.01"), Decimal("0.00")]
    assert split_largest_remainder("5.00", [0, 1]) == [Decimal("0.00"), Decimal("5.00")]
    assert split_largest_remainder("-100.00", [1, 1, 1]) == [
        Decimal("-33.34"),
        Decimal("-33.33"),
        Decimal("-33.33"),
    ]


@pytest.mark.parametrize("bad_weights", [[], [0, 0], [1, -1], [0.5]])
def test_split_refuses_weights_that_cannot_split(bad_weights):
    with pytest.raises(MoneyError):
        split_largest_remainder("10.00", bad_weights)


@given(total=amounts, parts=weights)
def test_split_parts_always_sum_to_the_total(total, parts):
    result = split_largest_remainder(total, parts)
    assert sum(result) == total
    assert len(result) == len(parts)
    assert all(part.as_tuple().exponent == -2 for part in result)


@given(total=amounts, parts=weights)
def test_split_parts_are_within_a_cent_of_the_exact_share(total, parts):
    result = split_largest_remainder(total, parts)
    weight_sum = sum(parts)
    for part, weight in zip(result, parts, strict=True):
        assert abs(part - total * weight / weight_sum) < Decimal("0.01")


@given(total=amounts.filter(lambda value: value >= 0), parts=weights)
def test_split_never_gives_a_negative_part_of_a_positive_total(total, parts):
    result = split_largest_remainder(total, parts)
    assert all(part >= 0 for part in result)
    assert all(part == 0 for part, weight in zip(result, parts, strict=True) if weight == 0)
