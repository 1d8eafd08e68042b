"""The budget: weekly burn of a pay-as-you-go plan after its de-risking phase, the recent pace carried forward
to the cap, and the accessible SVG chart."""

from datetime import date
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from cordee.billing.models import BillingPlan
from cordee.billing.queries import mission_budget
from cordee.billing.services.plans import plan_save
from cordee.billing.templatetags.billing import burn_chart
from cordee.billing.tests.conftest import payg_input
from cordee.missions.tests.factories import TimeEntryFactory

pytestmark = pytest.mark.django_db


def test_burn_pace_and_forecast_of_a_pay_as_you_go_plan(world):
    plan = plan_save(
        by=world.lead, mission_id=world.mission.pk, plan_input=payg_input(cap_days=Decimal("10"))
    )
    BillingPlan.objects.filter(pk=plan.pk).update(status="active")
    plan.refresh_from_db()
    TimeEntryFactory(
        mission=world.mission, user=world.lead, date=date(2026, 3, 10), hours=Decimal("14")
    )  # de-risking
    for monday, hours in ((date(2026, 3, 16), "7"), (date(2026, 3, 23), "14"), (date(2026, 3, 30), "7")):
        TimeEntryFactory(mission=world.mission, user=world.lead, date=monday, hours=Decimal(hours))

    budget = mission_budget(plan, today=date(2026, 4, 1))

    assert [(point.week, point.days) for point in budget.burn] == [
        (date(2026, 3, 9), Decimal("0")),
        (date(2026, 3, 16), Decimal("1.0000")),
        (date(2026, 3, 23), Decimal("3.0000")),
        (date(2026, 3, 30), Decimal("4.0000")),
    ]
    assert budget.consumed_days == Decimal("4.0000")
    assert budget.consumed_amount == Decimal("5400.00")  # 4 days × 600 + the de-risking phase, now over
    assert budget.planned_amount == Decimal("9000.00")
    assert budget.percent == 40
    assert budget.pace_per_week == Decimal("1.3333")
    assert budget.forecast[-1].days == Decimal("10")
    assert budget.forecast_cap_date == date(2026, 5, 4)

    with translation.override("fr"):
        svg = str(burn_chart(budget, chart_id="test-burn"))
    assert 'role="img" aria-labelledby="test-burn-title test-burn-desc"' in svg
    assert (
        '<desc id="test-burn-desc">4 jours consommés sur un plafond de 10 jours, atteint vers le 4 mai 2026 au rythme récent.</desc>'
        in svg
    )
    assert 'class="burn-chart__forecast"' in svg
    assert "plafond : 10 j" in svg


def test_no_forecast_without_time(world):
    plan = plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input())
    budget = mission_budget(plan, today=date(2026, 3, 16))
    assert (budget.consumed_days, budget.forecast, budget.forecast_cap_date) == (Decimal("0"), [], None)
    assert "<svg" in str(burn_chart(budget))


DAYS = Template(
    "{% load i18n billing %}{% blocktranslate with days=value|quantity count counter=value|plural_count %}"
    "{{ days }} day{% plural %}{{ days }} days{% endblocktranslate %}"
)


@pytest.mark.parametrize(
    ("value", "french"),
    [("0.5", "0,5 jour"), ("1.0000", "1 jour"), ("1.5", "1,5 jours"), ("3", "3 jours")],
)
def test_days_take_the_plural_of_their_number(value, french):
    with translation.override("fr"):
        assert DAYS.render(Context({"value": Decimal(value)})) == french
