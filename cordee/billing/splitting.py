"""The arithmetic of a revenue split (seed, "Répartir les revenus entre les membres"): plain functions from
numbers to shares, with no database, so that tests can call them with any input.

The common fund's and the referrer's percentages are taken first; the rest goes to the members by the
method chosen. Every division goes through `split_largest_remainder`, so the shares always add up to the
amount exactly, to the cent, and none is negative.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from cordee.billing.models import RevenueSplit, SplitShare
from cordee.billing.templatetags.billing import quantity
from cordee.core.money import MoneyError, round_cents, round_quantity, split_largest_remainder, to_decimal

HUNDRED = Decimal(100)
MAX_MEMBERS = 50
Method = RevenueSplit.Method


@dataclass
class MemberBasis:
    """What one member's share is computed from; only the numbers the method uses need be set."""

    user_id: int
    name: str = ""
    minutes: int = 0
    day_rate: Decimal | None = None
    weight: Decimal | None = None
    percent: Decimal | None = None
    is_member: bool = True  # False: they left the collective (their time stays in the history)

    @property
    def hours(self) -> Decimal:
        return round_quantity(Decimal(self.minutes) / 60)


@dataclass
class ComputedShare:
    kind: str
    amount: Decimal
    user_id: int | None = None
    label: str = ""
    minutes: int | None = None
    rate: Decimal | None = None
    weight: Decimal | None = None
    percent: Decimal | None = None

    @property
    def display_name(self) -> str:
        if self.kind == SplitShare.Kind.COMMON_FUND:
            return str(SplitShare.Kind.COMMON_FUND.label)
        return self.label

    @property
    def hours(self) -> Decimal | None:
        return None if self.minutes is None else round_quantity(Decimal(self.minutes) / 60)


def _decimal(value, field: str) -> Decimal:
    try:
        return to_decimal(value)
    except MoneyError as error:
        raise ValidationError({field: _("Enter a number.")}) from error


def member_weights(method: str, members: list[MemberBasis]) -> list[Decimal]:
    """Each member's weight in the members' part, by method; a clear error when they cannot be computed."""
    if not members:
        raise ValidationError(_("Choose at least one member to share the amount."))
    if len(members) > MAX_MEMBERS:
        raise ValidationError(_("A split has %(count)s members at most.") % {"count": MAX_MEMBERS})
    if len({member.user_id for member in members}) != len(members):
        raise ValidationError(_("Each member appears once in a split."))
    if method == Method.TIME_RATE:
        weights = []
        for member in members:
            if member.minutes < 0:
                raise ValidationError(_("Time logged cannot be negative."))
            if member.minutes and member.day_rate is None:
                raise ValidationError(
                    _(
                        "%(name)s has no day rate on this mission: set the team's day rates or choose agreed shares."
                    )
                    % {"name": member.name}
                )
            rate = _decimal(member.day_rate, "day_rate") if member.minutes else Decimal(0)
            if rate < 0:
                raise ValidationError(_("A day rate cannot be negative."))
            weights.append(Decimal(member.minutes) * rate)
        if sum(weights, Decimal(0)) <= 0:
            raise ValidationError(
                _("No billable time at a day rate is logged for this amount: choose agreed shares instead.")
            )
        return weights
    if method in (Method.AGREED_BEFORE, Method.AGREED_AFTER_TIME):
        percents = [
            _decimal(member.percent if member.percent is not None else 0, "percent") for member in members
        ]
        if any(percent < 0 or percent > HUNDRED for percent in percents):
            raise ValidationError(_("Each share is between 0 and 100%."))
        if sum(percents, Decimal(0)) != HUNDRED:
            raise ValidationError(
                _("The members' shares add up to %(total)s%%: they must add up to 100%%.")
                % {"total": quantity(sum(percents, Decimal(0)))}
            )
        return percents
    if method == Method.BONUS_WEIGHTS:
        weights = [
            _decimal(member.weight if member.weight is not None else 0, "weight") for member in members
        ]
        if any(weight < 0 for weight in weights):
            raise ValidationError(_("A contribution weight cannot be negative."))
        if sum(weights, Decimal(0)) <= 0:
            raise ValidationError(_("Give at least one member a contribution weight above 0."))
        return weights
    raise ValidationError(_("Choose how to split the amount."))


def split_compute(
    *,
    amount,
    method: str,
    members: list[MemberBasis],
    common_fund_percent=0,
    referrer_percent=0,
    referrer_label: str = "",
) -> list[ComputedShare]:
    """The shares of `amount`: common fund and referrer first (their percentages of the amount), then the
    members by `method`. The shares add up to the amount to the cent; none is negative."""
    amount = _decimal(amount, "amount")
    if round_cents(amount) != amount or amount <= 0:
        raise ValidationError({"amount": _("The amount is positive, in euros and cents.")})
    fund = _decimal(common_fund_percent or 0, "common_fund_percent")
    referrer = _decimal(referrer_percent or 0, "referrer_percent")
    if fund < 0 or referrer < 0:
        raise ValidationError(_("A percentage cannot be negative."))
    if fund + referrer >= HUNDRED:
        raise ValidationError(_("The common fund and the referrer together take less than 100%."))
    if referrer > 0 and not referrer_label.strip():
        raise ValidationError({"referrer_label": _("Name the business referrer.")})
    weights = member_weights(method, members)

    fund_amount, referrer_amount, members_amount = split_largest_remainder(
        amount, [fund, referrer, HUNDRED - fund - referrer]
    )
    shares = []
    if fund > 0:
        shares.append(ComputedShare(kind=SplitShare.Kind.COMMON_FUND, amount=fund_amount, percent=fund))
    if referrer > 0:
        shares.append(
            ComputedShare(
                kind=SplitShare.Kind.REFERRER,
                amount=referrer_amount,
                label=referrer_label.strip()[:150],
                percent=referrer,
            )
        )
    member_amounts = (
        split_largest_remainder(members_amount, weights)
        if members_amount > 0
        else [Decimal("0.00")] * len(members)
    )
    for member, part in zip(members, member_amounts, strict=True):
        share = ComputedShare(
            kind=SplitShare.Kind.MEMBER, amount=part, user_id=member.user_id, label=member.name
        )
        if method == Method.TIME_RATE:
            share.minutes = member.minutes
            share.rate = member.day_rate if member.minutes else None
        elif method == Method.BONUS_WEIGHTS:
            share.weight = to_decimal(member.weight or 0)
        else:
            share.percent = to_decimal(member.percent or 0)
            if method == Method.AGREED_AFTER_TIME:
                share.minutes = member.minutes
        shares.append(share)
    return shares


def percents_from_time(members: list[MemberBasis]) -> list[Decimal]:
    """Shares in percent proportional to the time each member invested, to two decimals, adding up to 100:
    the starting point of shares agreed after delivery."""
    total = sum((member.minutes for member in members), 0)
    if total <= 0:
        return [Decimal("0.00") for _member in members]
    return split_largest_remainder(HUNDRED, [member.minutes for member in members])
