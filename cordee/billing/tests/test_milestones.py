"""Milestone plans: what is invoiceable follows the plan's trigger; the bonus is recorded when measured."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cordee.billing.models import BillingPlan
from cordee.billing.queries import invoiceable_deliverables
from cordee.billing.services.plans import PlanInput, bonus_amount, plan_bonus_measure, plan_save
from cordee.core.access import AccessDenied
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import Deliverable
from cordee.missions.tests.factories import DeliverableFactory

pytestmark = pytest.mark.django_db


def milestone_plan(world, trigger, **bonus):
    planned = DeliverableFactory(mission=world.mission, title="Audit")
    delivered = DeliverableFactory(
        mission=world.mission, title="Maquettes", status=Deliverable.Status.DELIVERED
    )
    accepted = DeliverableFactory(mission=world.mission, title="Site", status=Deliverable.Status.ACCEPTED)
    plan = plan_save(
        by=world.lead,
        mission_id=world.mission.pk,
        plan_input=PlanInput(
            model="milestone",
            milestone_trigger=trigger,
            deliverable_prices=[(d.pk, Decimal("1000"), None) for d in (planned, delivered, accepted)],
            **bonus,
        ),
    )
    BillingPlan.objects.filter(pk=plan.pk).update(status="active")
    plan.refresh_from_db()
    return plan


@pytest.mark.parametrize(
    ("trigger", "titles"), [("delivered", ["Maquettes", "Site"]), ("accepted", ["Site"])]
)
def test_what_is_invoiceable_follows_the_plans_trigger(world, trigger, titles):
    plan = milestone_plan(world, trigger)
    assert sorted(item.deliverable.title for item in invoiceable_deliverables(plan)) == titles


def test_the_bonus_is_recorded_when_the_kpi_is_measured(world):
    plan = milestone_plan(
        world,
        "delivered",
        bonus_kind="percent",
        bonus_kpi="Taux de conversion",
        bonus_target="3 %",
        bonus_value=Decimal("10"),
    )
    assert bonus_amount(plan, Decimal("3000.00")) == Decimal("300.00")
    with pytest.raises(AccessDenied):
        plan_bonus_measure(
            by=MembershipFactory(collective=world.collective).user,
            plan_id=plan.pk,
            measured_value="3,4 %",
            reached=True,
        )
    with pytest.raises(ValidationError):
        plan_bonus_measure(by=world.lead, plan_id=plan.pk, measured_value="  ", reached=True)
    plan.refresh_from_db()
    assert plan.bonus_measured_at is None
    plan_bonus_measure(by=world.lead, plan_id=plan.pk, measured_value="3,4 %", reached=True)
    plan.refresh_from_db()
    assert (plan.bonus_measured_value, plan.bonus_reached, plan.bonus_measured_at is not None) == (
        "3,4 %",
        True,
        True,
    )
