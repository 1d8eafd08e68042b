"""The mission's billing plan (seed, "Choisir son modèle de facturation"): versions, rules, consumption,
cap alerts and overage approvals."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import DecimalField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cordee.accounts.models import User
from cordee.billing.models import (
    BillingPlan,
    CapAlert,
    LegalSeller,
    OverageRequest,
    PlanDeliverable,
    PlanMemberRate,
)
from cordee.billing.services.links import portal_link_to
from cordee.billing.services.sellers import member_seller_for
from cordee.clients.models import ClientContact
from cordee.core.money import round_cents, round_quantity, to_decimal
from cordee.core.outbox import email_enqueue
from cordee.missions.access import mission_for
from cordee.missions.models import Deliverable, Mission, MissionMember
from cordee.timesheets.models import TimeEntry

CAP_THRESHOLDS = (50, 80, 100)
# The seed's reason, shown when a plan pays only on results.
BONUS_ONLY_REASON = gettext_lazy(
    "A plan where 100% of the pay depends on results is refused: performance pay must stay exceptional "
    "and come on top of a fixed fee (add deliverable prices or a day rate)."
)
NOT_BILLABLE = (TimeEntry.Activity.NON_BILLABLE,)
EPOCH = date(1900, 1, 1)


@dataclass
class PlanInput:
    """What the lead chose; amounts and days as Decimal (from the form)."""

    model: str
    invoicing_mode: str = BillingPlan.InvoicingMode.PER_MEMBER
    deposit_percent: Decimal | None = None
    milestone_trigger: str = BillingPlan.MilestoneTrigger.DELIVERED
    rate_mode: str = BillingPlan.RateMode.MISSION
    mission_day_rate: Decimal | None = None
    cycle: str = BillingPlan.Cycle.MONTHLY
    cap_days: Decimal | None = None
    cap_alerts_client: bool = False
    derisk_scope: str = ""
    derisk_price: Decimal | None = None
    derisk_end_date: date | None = None
    bonus_kind: str = ""
    bonus_kpi: str = ""
    bonus_target: str = ""
    bonus_value: Decimal | None = None
    note: str = ""
    # (deliverable id, price, estimate days or None)
    deliverable_prices: list = field(default_factory=list)
    # (user id, day rate)
    member_rates: list = field(default_factory=list)


def _positive(value) -> bool:
    return value is not None and to_decimal(value) > 0


def consumed_days(plan: BillingPlan, *, until: date | None = None) -> Decimal:
    """Days of billable time (everything but non-billable) after the de-risking phase, in the collective's
    days. The de-risking phase is paid its fixed price: its time is not time and materials."""
    entries = TimeEntry.objects.filter(collective_id=plan.collective_id, mission_id=plan.mission_id).exclude(
        activity__in=NOT_BILLABLE
    )
    if plan.derisk_end_date:
        entries = entries.filter(date__gt=plan.derisk_end_date)
    if until:
        entries = entries.filter(date__lte=until)
    hours = entries.aggregate(total=Sum("hours"))["total"] or Decimal("0")
    return round_quantity(hours / plan.mission.collective.hours_per_day)


def mission_consumed_days(mission: Mission, *, after: date | None) -> Decimal:
    entries = TimeEntry.objects.filter(collective_id=mission.collective_id, mission=mission).exclude(
        activity__in=NOT_BILLABLE
    )
    if after:
        entries = entries.filter(date__gt=after)
    hours = entries.aggregate(total=Sum("hours"))["total"] or Decimal("0")
    return round_quantity(hours / mission.collective.hours_per_day)


def invoicing_consequences(*, mission: Mission, mode: str) -> list[str]:
    """What choosing "lead re-invoices" implies, said before it is saved (INVOICING_FR.md model C, R-6.4)."""
    if mode != BillingPlan.InvoicingMode.LEAD_REINVOICES:
        return []
    lead = mission.lead
    consequences = [
        _(
            "%(lead)s invoices the whole mission: all of it counts in their turnover, for the "
            "micro-enterprise and VAT-franchise thresholds and for their social contributions (a "
            "micro-entrepreneur deducts nothing for what they pay the others)."
        )
        % {"lead": lead.display_name},
        _(
            "The other members invoice %(lead)s for their share; %(lead)s carries the whole liability to the client."
        )
        % {"lead": lead.display_name},
    ]
    if lead.vat_regime == User.VatRegime.FRANCHISE:
        registered = (
            MissionMember.objects.filter(mission=mission, user__vat_regime=User.VatRegime.REGISTERED)
            .exclude(user=lead)
            .select_related("user")
        )
        names = ", ".join(member.user.display_name for member in registered)
        if names:
            consequences.append(
                _(
                    "VAT mismatch: %(lead)s is in the VAT franchise and cannot recover the VAT that "
                    "%(names)s will charge them."
                )
                % {"lead": lead.display_name, "names": names}
            )
        else:
            consequences.append(
                _(
                    "%(lead)s is in the VAT franchise: if a member invoicing them charges VAT, it cannot be "
                    "recovered."
                )
                % {"lead": lead.display_name}
            )
    return consequences


def _check(plan_input: PlanInput, *, mission: Mission, derisk_end=None) -> dict:
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    milestone = plan_input.model == BillingPlan.Model.MILESTONE
    payg = plan_input.model == BillingPlan.Model.PAY_AS_YOU_GO
    if not (milestone or payg):
        add("model", _("Choose a billing model."))
        return errors
    has_bonus = bool(plan_input.bonus_kind)
    fixed_part = (
        any(_positive(price) for _id, price, _estimate in plan_input.deliverable_prices)
        if milestone
        else (
            _positive(plan_input.mission_day_rate)
            if plan_input.rate_mode == BillingPlan.RateMode.MISSION
            else any(_positive(rate) for _id, rate in plan_input.member_rates)
        )
        or _positive(plan_input.derisk_price)
    )
    if has_bonus and not fixed_part:
        add("__all__", str(BONUS_ONLY_REASON))
    if milestone:
        if not plan_input.deliverable_prices:
            add("deliverable_prices", _("Give a price to at least one deliverable."))
        for _id, price, _estimate in plan_input.deliverable_prices:
            if price is None or price <= 0:
                add("deliverable_prices", _("Every price must be more than 0 €."))
                break
        for _id, _price, estimate in plan_input.deliverable_prices:
            if estimate is not None and estimate <= 0:
                add("deliverable_prices", _("An estimate must be more than 0 days."))
                break
        if plan_input.deposit_percent is not None and not (0 < plan_input.deposit_percent <= 100):
            add("deposit_percent", _("The deposit is a percentage between 0 and 100."))
    if payg:
        if plan_input.rate_mode == BillingPlan.RateMode.MISSION:
            if not _positive(plan_input.mission_day_rate):
                add("mission_day_rate", _("The day rate must be more than 0 €."))
        else:
            if not plan_input.member_rates:
                add("member_rates", _("Give a day rate to at least one member."))
            if any(rate is None or rate <= 0 for _id, rate in plan_input.member_rates):
                add("member_rates", _("Every day rate must be more than 0 €."))
        derisk_given = [
            bool(plan_input.derisk_scope.strip()),
            plan_input.derisk_price is not None,
            plan_input.derisk_end_date is not None,
        ]
        if any(derisk_given) and not all(derisk_given):
            add("derisk_scope", _("A de-risking phase needs its scope, its fixed price and its end date."))
        if plan_input.derisk_price is not None and plan_input.derisk_price <= 0:
            add("derisk_price", _("The price of the de-risking phase must be more than 0 €."))
        if plan_input.derisk_end_date and plan_input.derisk_end_date < mission.start_date:
            add("derisk_end_date", _("The de-risking phase cannot end before the mission starts."))
        if plan_input.cap_days is not None:
            if plan_input.cap_days <= 0:
                add("cap_days", _("The cap must be more than 0 days."))
            else:
                already = mission_consumed_days(mission, after=plan_input.derisk_end_date)
                if plan_input.cap_days < already:
                    add(
                        "cap_days",
                        _("The cap cannot be under the %(days)s days already consumed.")
                        % {"days": number_format(already.normalize(), use_l10n=True)},
                    )
    if has_bonus:
        if plan_input.bonus_kind not in BillingPlan.BonusKind.values:
            add("bonus_kind", _("Choose how the bonus is set."))
        if not plan_input.bonus_kpi.strip():
            add("bonus_kpi", _("Say which KPI the bonus depends on."))
        if not plan_input.bonus_target.strip():
            add("bonus_target", _("Give the target of the KPI."))
        if not _positive(plan_input.bonus_value):
            add("bonus_value", _("The bonus must be more than 0."))
        elif plan_input.bonus_kind == BillingPlan.BonusKind.PERCENT and plan_input.bonus_value > 100:
            add("bonus_value", _("A bonus in percent is at most 100% of the fixed part."))
    return errors


def _seller_for_mode(*, by, mission: Mission, mode: str) -> LegalSeller:
    if mode == BillingPlan.InvoicingMode.ENTITY:
        seller = LegalSeller.objects.filter(
            collective_id=mission.collective_id, kind=LegalSeller.Kind.ENTITY, archived_at__isnull=True
        ).first()
        if seller is None:
            raise ValidationError(
                {
                    "invoicing_mode": _(
                        "The collective has no legal entity yet: add it in the billing settings."
                    )
                }
            )
        return seller
    return member_seller_for(by=by, collective_id=mission.collective_id, user_id=mission.lead_id)


PLAN_FIELDS = (
    "model",
    "invoicing_mode",
    "deposit_percent",
    "milestone_trigger",
    "rate_mode",
    "mission_day_rate",
    "cycle",
    "cap_days",
    "cap_alerts_client",
    "derisk_scope",
    "derisk_price",
    "derisk_end_date",
    "bonus_kind",
    "bonus_kpi",
    "bonus_target",
    "bonus_value",
    "note",
)


@transaction.atomic
def plan_save(
    *, by, mission_id: int, plan_input: PlanInput, consequences_confirmed: bool = False
) -> BillingPlan:
    """Save the lead's plan as the mission's draft version: the current draft is updated, otherwise a new
    version is started (after an accepted version, it is an amendment to send in a new quote).

    Raises ValidationError (by field) on a bad plan; nothing is saved then.
    """
    mission = mission_for(by, mission_id, manage=True)
    Mission.objects.select_for_update().filter(pk=mission.pk).first()  # one version number at a time
    errors = _check(plan_input, mission=mission)
    consequences = invoicing_consequences(mission=mission, mode=plan_input.invoicing_mode)
    if consequences and not consequences_confirmed:
        errors.setdefault("invoicing_mode", []).append(
            _("Read the consequences of this invoicing mode and confirm them before saving.")
        )
    deliverable_ids = [item[0] for item in plan_input.deliverable_prices]
    if plan_input.model == BillingPlan.Model.MILESTONE and deliverable_ids:
        known = set(
            Deliverable.objects.filter(mission=mission, pk__in=deliverable_ids).values_list("pk", flat=True)
        )
        if known != set(deliverable_ids):
            errors.setdefault("deliverable_prices", []).append(
                _("A deliverable is not part of this mission.")
            )
    member_ids = [item[0] for item in plan_input.member_rates]
    if plan_input.model == BillingPlan.Model.PAY_AS_YOU_GO and member_ids:
        team = set(
            MissionMember.objects.filter(mission=mission, user_id__in=member_ids).values_list(
                "user_id", flat=True
            )
        )
        if team != set(member_ids):
            errors.setdefault("member_rates", []).append(_("A member is not on the mission's team."))
    if errors:
        raise ValidationError(errors)
    seller = _seller_for_mode(by=by, mission=mission, mode=plan_input.invoicing_mode)
    latest = BillingPlan.objects.filter(mission=mission).order_by("-version").first()
    if latest is not None and latest.status == BillingPlan.Status.DRAFT:
        plan = latest
        plan.deliverable_prices.all().delete()
        plan.member_rates.all().delete()
    else:
        plan = BillingPlan(
            collective_id=mission.collective_id,
            mission=mission,
            version=(latest.version + 1) if latest else 1,
            created_by=by,
        )
    milestone = plan_input.model == BillingPlan.Model.MILESTONE
    for name in PLAN_FIELDS:
        setattr(plan, name, getattr(plan_input, name))
    plan.seller = seller
    for name in ("mission_day_rate", "derisk_price"):
        value = getattr(plan, name)
        setattr(plan, name, round_cents(value) if value is not None else None)
    if milestone:  # keep only what the chosen model uses
        plan.mission_day_rate = plan.cap_days = plan.derisk_price = plan.derisk_end_date = None
        plan.derisk_scope = ""
    else:
        plan.deposit_percent = None
    if not plan.bonus_kind:
        plan.bonus_kpi = plan.bonus_target = ""
        plan.bonus_value = None
    plan.derisk_scope = plan.derisk_scope.strip()
    plan.save()
    if milestone:
        PlanDeliverable.objects.bulk_create(
            PlanDeliverable(
                collective_id=mission.collective_id,
                plan=plan,
                deliverable_id=deliverable_id,
                price=round_cents(price),
                estimate_days=estimate,
            )
            for deliverable_id, price, estimate in plan_input.deliverable_prices
        )
    elif plan.rate_mode == BillingPlan.RateMode.PER_MEMBER:
        PlanMemberRate.objects.bulk_create(
            PlanMemberRate(
                collective_id=mission.collective_id, plan=plan, user_id=user_id, day_rate=round_cents(rate)
            )
            for user_id, rate in plan_input.member_rates
        )
    return plan


@transaction.atomic
def plan_bonus_measure(*, by, plan_id: int, measured_value: str, reached: bool) -> BillingPlan:
    """Record the KPI when it is measured (the bonus becomes invoiceable when reached)."""
    plan = BillingPlan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise ValidationError(_("This plan does not exist."))
    mission_for(by, plan.mission_id, manage=True)
    if plan.status != BillingPlan.Status.ACTIVE or not plan.has_bonus:
        raise ValidationError(_("Only the active plan's bonus can be measured."))
    if not measured_value.strip():
        raise ValidationError({"bonus_measured_value": _("Give the measured value of the KPI.")})
    plan.bonus_measured_value = measured_value.strip()[:120]
    plan.bonus_reached = reached
    plan.bonus_measured_at = timezone.now()
    plan.save(update_fields=["bonus_measured_value", "bonus_reached", "bonus_measured_at"])
    return plan


def bonus_amount(plan: BillingPlan, fixed_part: Decimal) -> Decimal:
    if not plan.has_bonus:
        return Decimal("0.00")
    if plan.bonus_kind == BillingPlan.BonusKind.PERCENT:
        return round_cents(fixed_part * plan.bonus_value / 100)
    return round_cents(plan.bonus_value)


# --- Cap, alerts and overage ------------------------------------------------------------------------


def approved_overage_days(plan: BillingPlan) -> Decimal:
    total = plan.overages.filter(status=OverageRequest.Status.APPROVED).aggregate(total=Sum("days"))["total"]
    return total or Decimal("0")


def billable_days_limit(plan: BillingPlan) -> Decimal | None:
    """Days of time and materials that can be invoiced: the cap plus the overages the client approved."""
    if plan.cap_days is None:
        return None
    return plan.cap_days + approved_overage_days(plan)


def _cap_alert_send(plan: BillingPlan, threshold: int, consumed: Decimal) -> bool:
    """Record the threshold and its emails in one transaction: the unique row makes it happen once."""
    mission = plan.mission
    try:
        with transaction.atomic():
            CapAlert.objects.create(
                collective_id=plan.collective_id, plan=plan, threshold=threshold, consumed_days=consumed
            )
            context = {
                "mission": mission,
                "collective": mission.collective,
                "threshold": threshold,
                "consumed": consumed.normalize(),
                "cap": plan.cap_days.normalize(),
            }
            email_enqueue(
                key=f"billing:cap:{plan.pk}:{threshold}:lead",
                to=mission.lead.email,
                template="billing/emails/cap_alert_lead",
                context=context,
                language=mission.lead.language,
                sender=mission.collective.notification_sender(),
                collective=mission.collective,
            )
            if plan.cap_alerts_client:
                contacts = ClientContact.objects.filter(
                    client_id=mission.client_id, collective_id=mission.collective_id
                )
                for contact in contacts:
                    email_enqueue(
                        key=f"billing:cap:{plan.pk}:{threshold}:contact:{contact.pk}",
                        to=contact.email,
                        template="billing/emails/cap_alert_client",
                        context={
                            **context,
                            "contact": contact,
                            "portal_url": portal_link_to(contact, "billing_portal:billing", mission.pk),
                        },
                        language=contact.language,
                        sender=mission.collective.notification_sender(),
                        reply_to=mission.lead.email,
                        collective=mission.collective,
                    )
    except IntegrityError:
        return False
    return True


def cap_alerts_send() -> int:
    """Alert each active pay-as-you-go plan's lead (and client, if chosen) once per threshold reached.

    Loads every capped plan with its consumption and its alerts already sent in a constant number of
    queries; each new alert is claimed by its unique row, so concurrent ticks send it once.
    """
    hours = (
        TimeEntry.objects.filter(mission_id=OuterRef("mission_id"), collective_id=OuterRef("collective_id"))
        .exclude(activity__in=NOT_BILLABLE)
        .filter(date__gt=Coalesce(OuterRef("derisk_end_date"), Value(EPOCH)))
        .order_by()
        .values("mission_id")
        .annotate(total=Sum("hours"))
        .values("total")
    )
    plans = (
        BillingPlan.objects.filter(
            status=BillingPlan.Status.ACTIVE, model=BillingPlan.Model.PAY_AS_YOU_GO, cap_days__gt=0
        )
        .select_related("mission__collective", "mission__lead")
        .prefetch_related("cap_alerts")
        .annotate(hours=Coalesce(Subquery(hours), Value(Decimal("0")), output_field=DecimalField()))
    )
    sent = 0
    for plan in plans:
        consumed = round_quantity(plan.hours / plan.mission.collective.hours_per_day)
        done = {alert.threshold for alert in plan.cap_alerts.all()}
        for threshold in CAP_THRESHOLDS:
            if threshold in done or consumed * 100 < plan.cap_days * threshold:
                continue
            sent += _cap_alert_send(plan, threshold, consumed)
    return sent


def _active_plan(mission: Mission) -> BillingPlan | None:
    return BillingPlan.objects.filter(mission=mission, status=BillingPlan.Status.ACTIVE).first()


@transaction.atomic
def overage_request(*, by, mission_id: int, days: Decimal, reason: str) -> OverageRequest:
    """The lead asks the client to approve days beyond the cap; nothing over the cap is billable before."""
    mission = mission_for(by, mission_id, manage=True)
    plan = _active_plan(mission)
    if plan is None or not plan.is_pay_as_you_go or plan.cap_days is None:
        raise ValidationError(_("Only an active pay-as-you-go plan with a cap can have an overage."))
    errors = {}
    if days is None or days <= 0:
        errors["days"] = _("Ask for more than 0 days.")
    if not reason.strip():
        errors["reason"] = _("Say why the cap will be exceeded.")
    if errors:
        raise ValidationError(errors)
    overage = OverageRequest.objects.create(
        collective_id=mission.collective_id,
        plan=plan,
        days=round_quantity(days),
        reason=reason.strip()[:300],
        requested_by=by,
    )
    for contact in ClientContact.objects.filter(
        client_id=mission.client_id, collective_id=mission.collective_id
    ):
        email_enqueue(
            key=f"billing:overage:{overage.pk}:contact:{contact.pk}",
            to=contact.email,
            template="billing/emails/overage_request",
            context={
                "mission": mission,
                "collective": mission.collective,
                "overage": overage,
                "days": overage.days.normalize(),
                "cap": plan.cap_days.normalize(),
                "contact": contact,
                "portal_url": portal_link_to(contact, "billing_portal:billing", mission.pk),
            },
            language=contact.language,
            sender=mission.collective.notification_sender(),
            reply_to=mission.lead.email,
            collective=mission.collective,
        )
    return overage


class PortalRefused(Exception):
    """A portal action that cannot happen; the message says why, in the contact's language."""


@transaction.atomic
def overage_answer(*, contact: ClientContact, overage_id: int, approve: bool) -> OverageRequest:
    """The client approves (or declines) extra days from the portal; answered once."""
    overage = (
        OverageRequest.objects.select_related("plan__mission")
        .filter(
            pk=overage_id,
            collective_id=contact.collective_id,
            plan__mission__client_id=contact.client_id,
        )
        .first()
    )
    if overage is None:
        raise OverageRequest.DoesNotExist
    status = OverageRequest.Status.APPROVED if approve else OverageRequest.Status.DECLINED
    changed = OverageRequest.objects.filter(pk=overage.pk, status=OverageRequest.Status.PENDING).update(
        status=status, answered_by=contact, answered_at=timezone.now()
    )
    if changed != 1:
        raise PortalRefused(_("This request was already answered."))
    overage.refresh_from_db()
    return overage
