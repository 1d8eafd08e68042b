"""The collective dashboard's client feedback block: NPS of the last 90 days, missions needing attention."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from cordee.feedback.tests.analytics_helpers import answer, follow_up, survey_round
from cordee.missions.tests.factories import MissionFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


def dashboard(client, collective):
    client.cookies["django_language"] = "en"
    return client.get(reverse("collectives:dashboard", args=[collective.slug]))


def test_dashboard_shows_the_nps_of_the_last_90_days_only(admin_client, collective):
    mission = MissionFactory(collective=collective)
    old = survey_round(mission, date(2026, 1, 10))
    answer(old, 0, at=datetime(2026, 1, 30, 12, tzinfo=UTC))  # more than 90 days ago: left out
    recent = survey_round(mission, date(2026, 4, 1))
    for score in (10, 10, 9, 8):
        answer(recent, score, at=datetime(2026, 4, 2, 12, tzinfo=UTC))
    answer(recent, 9, at=datetime(2026, 2, 1, 10, tzinfo=UTC))  # 89 days ago: kept

    response = dashboard(admin_client, collective)

    feedback = response.context["overview"].feedback
    assert (feedback.nps, feedback.answers) == (Decimal("80.0"), 5)  # 4 promoters of 5
    html = response.content.decode()
    assert "+80.0" in html
    assert "NPS of the last 90 days (5 answers)" in html
    assert reverse("feedback:collective", args=[collective.slug]) in html


def test_dashboard_lists_up_to_five_missions_needing_attention_with_a_link_to_the_rest(
    admin_client, collective
):
    for index in range(6):
        mission = MissionFactory(collective=collective, title=f"Mission {index}")
        low = answer(survey_round(mission, date(2026, 4, 1)), 4)
        if index == 0:
            follow_up(low)

    response = dashboard(admin_client, collective)

    feedback = response.context["overview"].feedback
    assert len(feedback.attention) == 5
    assert feedback.has_more_attention is True
    assert feedback.attention[0].mission.title == "Mission 0"  # three reasons: listed first
    html = response.content.decode()
    assert "Missions needing attention" in html
    assert "A score of 4/10 in the latest answers." in html
    assert "Every mission needing attention" in html


def test_dashboard_without_feedback_says_so(admin_client, collective):
    MissionFactory(collective=collective)

    response = dashboard(admin_client, collective)

    feedback = response.context["overview"].feedback
    assert (feedback.nps, feedback.answers, feedback.attention) == (None, 0, [])
    html = response.content.decode()
    assert "No answer to the satisfaction surveys in the last 90 days." in html
    assert "No mission needs attention." in html


def test_dashboard_queries_do_not_grow_with_feedback(client, django_assert_num_queries):
    from cordee.core.tests.factories import AdminMembershipFactory

    counts = []
    for size in (1, 6):
        admin = AdminMembershipFactory()
        for index in range(size):
            mission = MissionFactory(collective=admin.collective)
            low = answer(survey_round(mission, date(2026, 4, 1), invited=1), (3, 9)[index % 2])
            follow_up(low)
        client.force_login(admin.user)
        dashboard(client, admin.collective)  # warm-up
        # The dashboard's 8 (see collectives' test), the active missions' deliverables, and the feedback
        # block's 3 (answers of the year, missions needing attention, the answers of their latest rounds).
        # No active billing plan: the budgets block reads nothing.
        with django_assert_num_queries(12) as captured:
            dashboard(client, admin.collective)
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_dashboard_draws_the_monthly_nps_of_the_last_12_months(admin_client, collective):
    import re
    import xml.etree.ElementTree as ET

    mission = MissionFactory(collective=collective)
    survey = survey_round(mission, date(2026, 3, 1))
    answer(survey, 10, at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    answer(survey, 6, at=datetime(2026, 4, 2, 9, tzinfo=UTC))
    answer(survey, 9, at=datetime(2026, 5, 2, 9, tzinfo=UTC))
    answer(survey, 2, at=datetime(2025, 4, 2, 9, tzinfo=UTC))  # more than a year ago: left out

    response = dashboard(admin_client, collective)

    trend = response.context["overview"].feedback.trend
    assert [(point.label, point.nps) for point in trend] == [
        ("March 2026", Decimal("100.0")),
        ("April 2026", Decimal("-100.0")),
        ("May 2026", Decimal("100.0")),
    ]
    chart = re.search(r"<svg\b[^>]*class=\"nps-chart\".*?</svg>", response.content.decode(), re.S).group(0)
    svg = ET.fromstring(chart)
    assert svg.get("role") == "img"
    assert svg.find("{http://www.w3.org/2000/svg}title").text == "NPS per month, last 12 months"
    assert len(svg.findall("{http://www.w3.org/2000/svg}circle")) == 3


def test_under_three_months_with_answers_the_dashboard_says_so_instead_of_a_chart(admin_client, collective):
    mission = MissionFactory(collective=collective)
    answer(survey_round(mission, date(2026, 3, 1)), 10, at=datetime(2026, 3, 2, 9, tzinfo=UTC))

    html = dashboard(admin_client, collective).content.decode()

    assert 'class="nps-chart"' not in html
    assert "Only 1 period has answers so far: the trend appears once 3 have." in html
