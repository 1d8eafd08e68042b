"""Billing plans: the seed's three models, their bad inputs, versions, the invoicing mode's consequences, the
cap alerts (once per threshold, across ticks and concurrent workers) and overage approvals."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import timezone, translation

from cordee.billing.models import BillingPlan, CapAlert, OverageRequest
from cordee.billing.services.plans import (
    PlanInput,
    PortalRefused,
    billable_days_limit,
    cap_alerts_send,
    consumed_days,
    invoicing_consequences,
    overage_answer,
    overage_request,
    plan_save,
)
from cordee.billing.tests.conftest import make_ready, payg_input
from cordee.core.access import AccessDenied
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.tests.factories import (
    ClientContactFactory,
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TimeEntryFactory,
)
from cordee.schedule import billing_cap_alerts_tick
from cordee.timesheets.models import TimeEntry

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def refused(world, plan_input, **kwargs) -> dict:
    with pytest.raises(ValidationError) as error:
        plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=plan_input, **kwargs)
    assert BillingPlan.objects.count() == 0
    return error.value.message_dict


def milestone_input(world, *prices, **overrides) -> PlanInput:
    deliverables = [DeliverableFactory(mission=world.mission) for _price in prices]
    return PlanInput(
        model=BillingPlan.Model.MILESTONE,
        deliverable_prices=[(d.pk, price, None) for d, price in zip(deliverables, prices, strict=True)],
        **overrides,
    )


def log(world, day, hours, user=None, activity=TimeEntry.Activity.PRODUCTION):
    return TimeEntryFactory(
        mission=world.mission, user=user or world.lead, date=day, hours=Decimal(hours), activity=activity
    )


@pytest.mark.parametrize("price", [Decimal("0"), Decimal("-100")])
def test_zero_or_negative_deliverable_prices_are_refused(world, price):
    errors = refused(world, milestone_input(world, Decimal("1000"), price))
    assert errors["deliverable_prices"] == ["Every price must be more than 0 €."]


@pytest.mark.parametrize("rate", [Decimal("0"), Decimal("-600")])
def test_zero_or_negative_day_rates_are_refused(world, rate):
    assert refused(world, payg_input(mission_day_rate=rate))["mission_day_rate"] == [
        "The day rate must be more than 0 €."
    ]
    member = MissionMemberFactory(mission=world.mission)
    errors = refused(
        world,
        payg_input(rate_mode="per_member", mission_day_rate=None, member_rates=[(member.user_id, rate)]),
    )
    assert errors["member_rates"] == ["Every day rate must be more than 0 €."]


def test_a_bonus_only_plan_is_refused_with_the_seeds_reason(world):
    bonus = {
        "bonus_kind": "amount",
        "bonus_kpi": "Leads qualifiés",
        "bonus_target": "200 par mois",
        "bonus_value": Decimal("2000"),
    }
    errors = refused(world, PlanInput(model=BillingPlan.Model.MILESTONE, **bonus))
    assert errors["__all__"] == [
        "A plan where 100% of the pay depends on results is refused: performance pay must stay exceptional and "
        "come on top of a fixed fee (add deliverable prices or a day rate)."
    ]
    errors = refused(
        world,
        payg_input(mission_day_rate=None, derisk_scope="", derisk_price=None, derisk_end_date=None, **bonus),
    )
    assert "__all__" in errors


def test_a_bonus_on_top_of_a_fixed_part_is_accepted(world):
    plan = plan_save(
        by=world.lead,
        mission_id=world.mission.pk,
        plan_input=milestone_input(
            world,
            Decimal("4000"),
            bonus_kind="percent",
            bonus_kpi="Taux de conversion",
            bonus_target="3 %",
            bonus_value=Decimal("10"),
        ),
    )
    assert (plan.has_bonus, plan.bonus_value, plan.status, plan.version) == (
        True,
        Decimal("10.00"),
        "draft",
        1,
    )


@pytest.mark.parametrize("deposit", [Decimal("100.01"), Decimal("150"), Decimal("0"), Decimal("-5")])
def test_a_deposit_outside_0_to_100_percent_is_refused(world, deposit):
    errors = refused(world, milestone_input(world, Decimal("1000"), deposit_percent=deposit))
    assert errors["deposit_percent"] == ["The deposit is a percentage between 0 and 100."]


def test_a_cap_under_the_days_already_consumed_is_refused(world):
    for day in (16, 17, 18):  # after the de-risking phase (ends 13 March): 3 days of 7 h
        log(world, date(2026, 3, day), "7")
    log(world, date(2026, 3, 10), "7")  # inside the de-risking phase: not time and materials
    log(world, date(2026, 3, 19), "7", activity=TimeEntry.Activity.NON_BILLABLE)
    errors = refused(world, payg_input(cap_days=Decimal("2.5")))
    assert errors["cap_days"] == ["The cap cannot be under the 3 days already consumed."]
    assert (
        plan_save(
            by=world.lead, mission_id=world.mission.pk, plan_input=payg_input(cap_days=Decimal("3"))
        ).cap_days
        == 3
    )


def test_a_partial_de_risking_phase_is_refused(world):
    errors = refused(world, payg_input(derisk_price=None))
    assert errors["derisk_scope"] == ["A de-risking phase needs its scope, its fixed price and its end date."]


def test_de_risking_phase_then_time_and_materials(world):
    plan = plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input())
    log(world, date(2026, 3, 5), "7")  # de-risking phase (fixed price)
    log(world, date(2026, 3, 13), "3.5")  # its last day
    log(world, date(2026, 3, 16), "10.5")  # time and materials from the 14th
    assert consumed_days(plan) == Decimal("1.5")


def test_lead_re_invoices_shows_its_consequences_and_is_saved_only_once_confirmed(world):
    make_ready(world.lead, vat_regime="franchise")
    teammate = MissionMemberFactory(mission=world.mission)
    make_ready(teammate.user, full_name="Paul Durand", vat_regime="registered", vat_number="FR40303265045")
    plan_input = payg_input(invoicing_mode="lead_reinvoices")
    errors = refused(world, plan_input)
    assert errors["invoicing_mode"] == [
        "Read the consequences of this invoicing mode and confirm them before saving."
    ]
    consequences = invoicing_consequences(mission=world.mission, mode="lead_reinvoices")
    assert consequences[0].startswith(
        "Claire Martin invoices the whole mission: all of it counts in their turnover"
    )
    assert consequences[2] == (
        "VAT mismatch: Claire Martin is in the VAT franchise and cannot recover the VAT that Paul Durand will charge them."
    )
    plan = plan_save(
        by=world.lead, mission_id=world.mission.pk, plan_input=plan_input, consequences_confirmed=True
    )
    assert plan.invoicing_mode == "lead_reinvoices"
    assert invoicing_consequences(mission=world.mission, mode="per_member") == []


def test_only_the_lead_or_an_admin_saves_a_plan(world):
    member = MembershipFactory(collective=world.collective).user
    with pytest.raises(AccessDenied):
        plan_save(by=member, mission_id=world.mission.pk, plan_input=payg_input())
    assert BillingPlan.objects.count() == 0


def test_the_draft_is_updated_until_proposed_then_a_new_version_starts(world):
    first = plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input())
    again = plan_save(
        by=world.lead, mission_id=world.mission.pk, plan_input=payg_input(cap_days=Decimal("25"))
    )
    assert (again.pk, again.version, again.cap_days) == (first.pk, 1, Decimal("25"))
    BillingPlan.objects.filter(pk=first.pk).update(status=BillingPlan.Status.ACTIVE)
    amendment = plan_save(
        by=world.lead, mission_id=world.mission.pk, plan_input=payg_input(cap_days=Decimal("30"))
    )
    assert (amendment.version, amendment.status) == (2, "draft")
    first.refresh_from_db()
    assert (first.status, first.cap_days) == ("active", Decimal("25"))


# --- Cap alerts ---------------------------------------------------------------------------------------


def active_plan(world, **overrides) -> BillingPlan:
    plan = plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input(**overrides))
    BillingPlan.objects.filter(pk=plan.pk).update(status=BillingPlan.Status.ACTIVE)
    plan.refresh_from_db()
    return plan


def cap_keys() -> list[str]:
    return sorted(
        OutboundEmail.objects.filter(idempotency_key__startswith="billing:cap:").values_list(
            "idempotency_key", flat=True
        )
    )


def test_cap_alerts_go_once_per_threshold_whatever_the_ticks(world):
    """Through the periodic job registered in cordee/schedule.py, one tick an hour (its lock lets one run
    per period: a second tick within the hour is skipped)."""
    plan = active_plan(world, cap_days=Decimal("10"), cap_alerts_client=True)
    start = timezone.now()

    def tick(hour):
        with time_machine.travel(start + timedelta(hours=hour), tick=False):
            return billing_cap_alerts_tick.call_local()

    assert tick(0) == 0
    for day in range(16, 21):  # 5 days: 50 %
        log(world, date(2026, 3, day), "7")
    assert tick(1) == 1
    assert tick(2) == 0
    assert cap_keys() == [
        f"billing:cap:{plan.pk}:50:contact:{world.contact.pk}",
        f"billing:cap:{plan.pk}:50:lead",
    ]
    for day in range(23, 28):  # 10 days: 80 and 100 % in one step
        log(world, date(2026, 3, day), "7")
    assert tick(3) == 2
    assert tick(4) == 0
    assert sorted(CapAlert.objects.filter(plan=plan).values_list("threshold", flat=True)) == [50, 80, 100]
    assert len(cap_keys()) == 6
    lead_email = OutboundEmail.objects.get(idempotency_key=f"billing:cap:{plan.pk}:100:lead")
    assert lead_email.to_email == world.lead.email


def test_a_plan_without_cap_or_not_active_gets_no_alert(world):
    plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input(cap_days=Decimal("1")))
    log(world, date(2026, 3, 16), "14")
    assert cap_alerts_send() == 0
    assert cap_keys() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_send_each_cap_alert_once():
    mission = MissionFactory(start_date=date(2026, 3, 2))
    make_ready(mission.lead)
    ClientContactFactory(client=mission.client)
    plan = plan_save(by=mission.lead, mission_id=mission.pk, plan_input=payg_input(cap_days=Decimal("2")))
    BillingPlan.objects.filter(pk=plan.pk).update(status=BillingPlan.Status.ACTIVE)
    TimeEntryFactory(mission=mission, user=mission.lead, date=date(2026, 3, 16), hours=Decimal("14"))
    barrier = threading.Barrier(3)
    results, errors = [], []

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(cap_alerts_send())
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(results) == 3  # 50, 80 and 100 %, each by one worker
    assert CapAlert.objects.filter(plan=plan).count() == 3
    assert len(cap_keys()) == 3


# --- Overage -------------------------------------------------------------------------------------------


def test_days_beyond_the_cap_are_billable_only_once_the_client_approves(world):
    plan = active_plan(world, cap_days=Decimal("10"))
    assert billable_days_limit(plan) == Decimal("10")
    overage = overage_request(
        by=world.lead, mission_id=world.mission.pk, days=Decimal("3"), reason="Nouvelle intégration"
    )
    assert billable_days_limit(plan) == Decimal("10")  # asked, not approved
    assert OutboundEmail.objects.filter(
        idempotency_key=f"billing:overage:{overage.pk}:contact:{world.contact.pk}"
    ).exists()
    overage_answer(contact=world.contact, overage_id=overage.pk, approve=True)
    assert billable_days_limit(plan) == Decimal("13")
    with pytest.raises(PortalRefused):
        overage_answer(contact=world.contact, overage_id=overage.pk, approve=False)
    overage.refresh_from_db()
    assert overage.status == OverageRequest.Status.APPROVED


def test_another_clients_contact_cannot_answer_an_overage(world):
    plan = active_plan(world)
    overage = overage_request(
        by=world.lead, mission_id=world.mission.pk, days=Decimal("3"), reason="Plus de pages"
    )
    stranger = ClientContactFactory(client__collective=world.collective)
    with pytest.raises(OverageRequest.DoesNotExist):
        overage_answer(contact=stranger, overage_id=overage.pk, approve=True)
    assert billable_days_limit(plan) == Decimal("20")


@pytest.mark.parametrize(
    ("days", "reason", "field"), [(Decimal("0"), "x", "days"), (Decimal("2"), " ", "reason")]
)
def test_a_bad_overage_request_is_refused(world, days, reason, field):
    active_plan(world)
    with pytest.raises(ValidationError) as error:
        overage_request(by=world.lead, mission_id=world.mission.pk, days=days, reason=reason)
    assert field in error.value.message_dict
    assert OverageRequest.objects.count() == 0
