"""Reads of the billing pages: the mission's plans, quotes and reports, the budget and its burn, the
collective's missions near their cap or over their estimate, and the sellers' readiness."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_CEILING, Decimal

from django.db.models import DecimalField, OuterRef, Prefetch, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncWeek

from cordee.billing.models import (
    ActivityReport,
    BillingPlan,
    LegalSeller,
    OverageRequest,
    PlanDeliverable,
    PlanMemberRate,
    Quote,
    RevenueSplit,
)
from cordee.billing.services.plans import EPOCH, NOT_BILLABLE, bonus_amount
from cordee.billing.services.sellers import ChecklistItem, member_checklist, seller_checklist
from cordee.collectives.models import Membership
from cordee.core.money import line_amount, money_sum, percent_of, round_quantity
from cordee.missions.models import Mission
from cordee.timesheets.models import TimeEntry

RECENT_WEEKS = 4
ATTENTION_PERCENT = 80
# What the dashboard's budget list shows of a mission, and the day length its percentages need.
ATTENTION_MISSION_FIELDS = ("mission__title", "mission__client__name", "mission__collective__hours_per_day")


def _plans(mission: Mission):
    return (
        BillingPlan.objects.filter(mission=mission)
        .select_related("seller__user")
        .prefetch_related(
            Prefetch("deliverable_prices", queryset=PlanDeliverable.objects.select_related("deliverable")),
            Prefetch("member_rates", queryset=PlanMemberRate.objects.select_related("user")),
        )
    )


@dataclass
class MissionBilling:
    active: BillingPlan | None
    draft: BillingPlan | None
    quotes: list[Quote]
    draft_quote: Quote | None
    reports: list[ActivityReport]
    overages: list[OverageRequest]


def mission_billing(mission: Mission) -> MissionBilling:
    plans = list(_plans(mission).order_by("-version")[:2])
    active = next((plan for plan in plans if plan.status == BillingPlan.Status.ACTIVE), None)
    if active is None:
        active = _plans(mission).filter(status=BillingPlan.Status.ACTIVE).first()
    draft = plans[0] if plans and plans[0].status == BillingPlan.Status.DRAFT else None
    quotes = list(
        Quote.objects.filter(mission=mission)
        .select_related("accepted_by")
        .defer("pdf")
        .order_by("-created_at", "-pk")[:20]
    )
    reports = list(ActivityReport.objects.filter(mission=mission).order_by("-period_start", "-pk")[:24])
    overages = list(OverageRequest.objects.filter(plan__mission=mission).select_related("answered_by")[:20])
    return MissionBilling(
        active=active,
        draft=draft,
        quotes=quotes,
        draft_quote=next((quote for quote in quotes if quote.status == Quote.Status.DRAFT), None),
        reports=reports,
        overages=overages,
    )


@dataclass
class BurnPoint:
    week: date
    days: Decimal


@dataclass
class DeliverableBudget:
    title: str
    price: Decimal
    estimate_days: Decimal | None
    logged_days: Decimal

    @property
    def is_over(self) -> bool:
        return self.estimate_days is not None and self.logged_days > self.estimate_days


@dataclass
class Budget:
    plan: BillingPlan
    consumed_days: Decimal = Decimal("0")
    consumed_amount: Decimal = Decimal("0.00")
    planned_days: Decimal | None = None
    planned_amount: Decimal | None = None
    approved_overage_days: Decimal = Decimal("0")
    burn: list[BurnPoint] = field(default_factory=list)
    pace_per_week: Decimal = Decimal("0")
    forecast: list[BurnPoint] = field(default_factory=list)
    forecast_cap_date: date | None = None
    deliverables: list[DeliverableBudget] = field(default_factory=list)
    bonus: Decimal = Decimal("0.00")

    @property
    def percent(self) -> int | None:
        if not self.planned_days:
            return None
        return int(self.consumed_days * 100 / self.planned_days)

    @property
    def is_over_estimate(self) -> bool:
        return any(item.is_over for item in self.deliverables)


def _weekly_burn(entries, per_day: Decimal, today: date, start: date) -> list[BurnPoint]:
    weeks = {
        row["week"].date() if hasattr(row["week"], "date") else row["week"]: row["hours"]
        for row in entries.annotate(week=TruncWeek("date"))
        .values("week")
        .annotate(hours=Sum("hours"))
        .order_by("week")
    }
    monday = start - timedelta(days=start.weekday())
    last = today - timedelta(days=today.weekday())
    if weeks:
        last = max(last, max(weeks))
    points, total = [], Decimal("0")
    while monday <= last:
        total += weeks.get(monday, Decimal("0"))
        points.append(BurnPoint(week=monday, days=round_quantity(total / per_day)))
        monday += timedelta(days=7)
    return points


def mission_budget(plan: BillingPlan, *, today: date) -> Budget:
    """Planned vs consumed, in days and euros, and the weekly burn with a forecast from the recent pace."""
    mission = plan.mission
    per_day = mission.collective.hours_per_day
    budget = Budget(plan=plan)
    entries = TimeEntry.objects.filter(collective_id=mission.collective_id, mission_id=mission.pk).exclude(
        activity__in=NOT_BILLABLE
    )
    if plan.is_pay_as_you_go:
        tm_entries = entries.filter(date__gt=plan.derisk_end_date) if plan.derisk_end_date else entries
        start = (plan.derisk_end_date + timedelta(days=1)) if plan.derisk_end_date else mission.start_date
        budget.burn = _weekly_burn(tm_entries, per_day, today, start)
        rates = {rate.user_id: rate.day_rate for rate in plan.member_rates.all()}
        amounts = []
        for row in tm_entries.order_by().values("user_id").annotate(hours=Sum("hours")):
            days = row["hours"] / per_day
            rate = (
                plan.mission_day_rate
                if plan.rate_mode == BillingPlan.RateMode.MISSION
                else rates.get(row["user_id"])
            )
            if rate is not None:
                amounts.append(line_amount(days, rate))
        budget.consumed_days = budget.burn[-1].days if budget.burn else Decimal("0")
        budget.consumed_amount = money_sum(amounts)
        budget.planned_days = plan.cap_days
        budget.approved_overage_days = sum(
            (item.days for item in plan.overages.all() if item.status == OverageRequest.Status.APPROVED),
            Decimal("0"),
        )
        if plan.cap_days and plan.rate_mode == BillingPlan.RateMode.MISSION:
            budget.planned_amount = line_amount(plan.cap_days, plan.mission_day_rate)
        if plan.derisk_price:
            budget.planned_amount = (budget.planned_amount or Decimal("0")) + plan.derisk_price
            budget.consumed_amount += (
                plan.derisk_price if (plan.derisk_end_date and plan.derisk_end_date < today) else 0
            )
    else:
        per_deliverable = {
            row["deliverable_id"]: row["hours"]
            for row in entries.order_by().values("deliverable_id").annotate(hours=Sum("hours"))
        }
        for item in plan.deliverable_prices.all():
            budget.deliverables.append(
                DeliverableBudget(
                    title=item.deliverable.title,
                    price=item.price,
                    estimate_days=item.estimate_days,
                    logged_days=round_quantity(
                        per_deliverable.get(item.deliverable_id, Decimal("0")) / per_day
                    ),
                )
            )
        budget.burn = _weekly_burn(entries, per_day, today, mission.start_date)
        budget.consumed_days = budget.burn[-1].days if budget.burn else Decimal("0")
        estimates = [item.estimate_days for item in budget.deliverables if item.estimate_days is not None]
        budget.planned_days = sum(estimates, Decimal("0")) if estimates else None
        budget.planned_amount = money_sum(item.price for item in budget.deliverables)
        budget.consumed_amount = money_sum(
            item.price for item in plan.deliverable_prices.all() if item.deliverable.is_done
        )
    budget.bonus = bonus_amount(plan, budget.planned_amount or Decimal("0"))
    _forecast(budget, today)
    return budget


def _forecast(budget: Budget, today: date) -> None:
    """The recent pace (the last four weeks' days per week) carried forward until the planned days."""
    if len(budget.burn) < 2:
        return
    recent = budget.burn[-(RECENT_WEEKS + 1) :]
    weeks = len(recent) - 1
    budget.pace_per_week = (
        round_quantity((recent[-1].days - recent[0].days) / weeks) if weeks else Decimal("0")
    )
    if budget.pace_per_week <= 0 or not budget.planned_days:
        return
    last = budget.burn[-1]
    remaining = budget.planned_days - last.days
    if remaining <= 0:
        return
    weeks_left = int((remaining / budget.pace_per_week).to_integral_value(rounding=ROUND_CEILING))
    days, week = last.days, last.week
    for _index in range(min(weeks_left, 52)):
        week += timedelta(days=7)
        days = min(days + budget.pace_per_week, budget.planned_days)
        budget.forecast.append(BurnPoint(week=week, days=days))
    if weeks_left <= 52:
        budget.forecast_cap_date = budget.forecast[-1].week


@dataclass
class AttentionItem:
    mission: Mission
    reason: str  # "cap" or "estimate"
    percent: int


def billing_attention(collective_id: int) -> list[AttentionItem]:
    """Active plans over 80 % of their cap, and milestone plans with a deliverable over its estimate, in
    two queries whatever the number of missions."""
    hours = (
        TimeEntry.objects.filter(mission_id=OuterRef("mission_id"), collective_id=collective_id)
        .exclude(activity__in=NOT_BILLABLE)
        .filter(date__gt=Coalesce(OuterRef("derisk_end_date"), Value(EPOCH)))
        .order_by()
        .values("mission_id")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    items = []
    capped = (
        BillingPlan.objects.filter(
            collective_id=collective_id,
            status=BillingPlan.Status.ACTIVE,
            model=BillingPlan.Model.PAY_AS_YOU_GO,
            cap_days__gt=0,
        )
        .select_related("mission__collective", "mission__client")
        .only("cap_days", *ATTENTION_MISSION_FIELDS)
        .annotate(hours=Coalesce(Subquery(hours), Value(Decimal("0")), output_field=DecimalField()))
    )
    for plan in capped:
        days = plan.hours / plan.mission.collective.hours_per_day
        percent = int(days * 100 / plan.cap_days)
        if percent >= ATTENTION_PERCENT:
            items.append(AttentionItem(mission=plan.mission, reason="cap", percent=percent))
    deliverable_hours = (
        TimeEntry.objects.filter(deliverable_id=OuterRef("deliverable_id"), collective_id=collective_id)
        .exclude(activity__in=NOT_BILLABLE)
        .order_by()
        .values("deliverable_id")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    over = (
        PlanDeliverable.objects.filter(
            collective_id=collective_id, plan__status=BillingPlan.Status.ACTIVE, estimate_days__gt=0
        )
        .select_related("plan__mission__collective", "plan__mission__client")
        .only("estimate_days", *(f"plan__{name}" for name in ATTENTION_MISSION_FIELDS))
        .annotate(
            hours=Coalesce(Subquery(deliverable_hours), Value(Decimal("0")), output_field=DecimalField())
        )
    )
    seen = set()
    for item in over:
        mission = item.plan.mission
        percent = int(item.hours / mission.collective.hours_per_day * 100 / item.estimate_days)
        if percent > 100 and mission.pk not in seen:
            seen.add(mission.pk)
            items.append(AttentionItem(mission=mission, reason="estimate", percent=percent))
    return sorted(items, key=lambda item: -item.percent)


@dataclass
class Readiness:
    name: str
    items: list[ChecklistItem]
    is_you: bool = False
    seller: LegalSeller | None = None

    @property
    def missing(self) -> list[str]:
        return [item.label for item in self.items if not item.done]


def collective_readiness(collective, user) -> tuple[list[Readiness], Readiness | None]:
    """Each member's "ready to bill" checklist, and the collective entity's if it has one."""
    memberships = (
        Membership.objects.filter(collective=collective)
        .select_related("user")
        .order_by("user__full_name", "pk")
    )
    sellers = {
        seller.user_id: seller
        for seller in LegalSeller.objects.filter(
            collective=collective, kind=LegalSeller.Kind.MEMBER
        ).prefetch_related("series")
    }
    members = [
        Readiness(
            name=membership.user.display_name,
            items=member_checklist(membership.user),
            is_you=membership.user_id == user.pk,
            seller=sellers.get(membership.user_id),
        )
        for membership in memberships
    ]
    entity = (
        LegalSeller.objects.filter(collective=collective, kind=LegalSeller.Kind.ENTITY)
        .prefetch_related("series")
        .first()
    )
    entity_readiness = (
        Readiness(name=entity.display_name, items=seller_checklist(entity), seller=entity) if entity else None
    )
    return members, entity_readiness


def invoiceable_deliverables(plan: BillingPlan) -> list[PlanDeliverable]:
    """The priced deliverables of a milestone plan that can be invoiced now: delivered (or accepted, when the
    plan waits for the client's acceptance). Invoices (a later step) start from this list."""
    from_statuses = (
        ("delivered", "accepted")
        if plan.milestone_trigger == BillingPlan.MilestoneTrigger.DELIVERED
        else ("accepted",)
    )
    return list(
        plan.deliverable_prices.select_related("deliverable").filter(deliverable__status__in=from_statuses)
    )


@dataclass(frozen=True)
class Deposit:
    """The deposit an accepted quote promised: its percentage of the quote's total excl. VAT."""

    plan: BillingPlan
    quote: Quote
    amount: Decimal

    @property
    def percent(self) -> Decimal:
        return self.plan.deposit_percent


def plan_deposit(plan: BillingPlan) -> Deposit | None:
    """The deposit of a milestone plan whose quote the client accepted, the amount the quote printed
    ("A deposit of X% is invoiced on acceptance of this quote"); once per mission: None when the plan has
    no deposit, was not accepted through a quote, or an earlier plan of the mission carries the deposit."""
    if plan.is_pay_as_you_go or not plan.deposit_percent or plan.status != BillingPlan.Status.ACTIVE:
        return None
    quote = Quote.objects.filter(plan=plan, status=Quote.Status.ACCEPTED).order_by("pk").first()
    if quote is None or quote.total_excl_vat <= 0:
        return None
    earlier = (
        RevenueSplit.objects.filter(mission_id=plan.mission_id, source=RevenueSplit.Source.DEPOSIT)
        .exclude(plan=plan)
        .exclude(status=RevenueSplit.Status.SUPERSEDED)
    )
    if earlier.exists():
        return None
    return Deposit(plan=plan, quote=quote, amount=percent_of(quote.total_excl_vat, plan.deposit_percent))
