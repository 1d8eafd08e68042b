"""The collective dashboard reads its budgets block only for a collective with an active billing plan, and
then in the same number of queries whatever the time logged and the deliverables."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cordee.billing.services.quotes import quote_accept
from cordee.billing.tests.conftest import payg_input, sent_quote, world  # noqa: F401 (fixture)
from cordee.missions.tests.factories import DeliverableFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db


def budget_queries(captured) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "billing_" in query["sql"]]


def test_the_budgets_block_is_read_only_with_an_active_plan_and_in_constant_queries(
    client,
    world,  # noqa: F811
    django_assert_num_queries,
):
    client.force_login(world.lead)
    url = reverse("collectives:dashboard", args=[world.collective.slug])
    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as without_plan:
        client.get(url)
    # Only the existence check inside the collective's counts: no plan is read.
    assert [sql for sql in budget_queries(without_plan) if "EXISTS" not in sql] == []

    quote = sent_quote(world, payg_input(cap_days=Decimal("10")))
    quote_accept(
        contact=world.contact,
        quote_id=quote.pk,
        typed_name="Louise Bernard",
        ip=None,
        user_agent="",
        pdf_sha256=quote.pdf_sha256,
    )
    with CaptureQueriesContext(connection) as with_plan:
        client.get(url)
    assert len(with_plan.captured_queries) == len(without_plan.captured_queries) + 2

    for day in range(16, 21):
        TimeEntryFactory(
            mission=world.mission, user=world.lead, date=date(2026, 3, day), hours=Decimal("12")
        )  # 60 h: over 80 % of 10 days
        DeliverableFactory(mission=world.mission)
    with django_assert_num_queries(len(with_plan.captured_queries)):
        body = client.get(url).content.decode()
    assert world.mission.title in body.split('id="billing-title"')[1].split("</section>")[0]
