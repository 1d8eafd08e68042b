"""The mission and collective analytics pages, the NPS chart, the CSV export: figures, rights, queries."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.feedback.models import FollowUpCall
from cordee.feedback.tests.analytics_helpers import answer, follow_up, survey_round
from cordee.missions.models import Mission
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"
NOW = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"


def mission_url(mission):
    return reverse("feedback:mission", args=[mission.collective.slug, mission.pk])


def collective_url(collective):
    return reverse("feedback:collective", args=[collective.slug])


def export_url(collective):
    return reverse("feedback:export", args=[collective.slug])


def chart_of(response):
    """The NPS chart of a page, parsed as XML (it must be well-formed)."""
    html = response.content.decode()
    match = re.search(r"<svg\b[^>]*class=\"nps-chart\".*?</svg>", html, re.S)
    assert match, "no SVG chart on the page"
    return ET.fromstring(match.group(0))


def three_rounds(mission):
    """Rounds answered [10, 10, 9, 8] then [10, 9, 8, 6, 3], then one not answered; 12 contacts invited."""
    first = survey_round(mission, date(2026, 2, 14), invited=1)
    for score in (10, 10, 9, 8):
        answer(first, score, improvements=["Les délais de livraison"])
    second = survey_round(mission, date(2026, 3, 16))
    for score, ranking in ((10, "top1"), (9, "top10"), (8, "top25"), (6, "top25"), (3, "second_half")):
        answer(second, score, ranking, improvements=["Respecter les délais", "Plus de réunions"])
    survey_round(mission, date(2026, 4, 15), invited=2)
    return first, second


# --- Mission page -----------------------------------------------------------------------------------


def test_mission_page_shows_the_hand_computed_figures(client, english, collective, admin_user):
    mission = MissionFactory(collective=collective)
    three_rounds(mission)
    client.force_login(admin_user)

    response = client.get(mission_url(mission))

    assert response.status_code == 200
    summary = response.context["summary"]
    # 9 answers: 5 promoters (10, 10, 9, 10, 9), 2 detractors (6, 3) → (5 − 2) / 9 = 33.3 %.
    assert summary.nps == Decimal("33.3")
    assert summary.average == Decimal("8.1")  # 73 / 9
    assert (summary.invited, summary.answers, summary.response_rate) == (12, 9, Decimal("75.0"))
    assert [(point.day, point.nps) for point in summary.trend] == [
        (date(2026, 2, 14), Decimal("75.0")),
        (date(2026, 3, 16), Decimal("0.0")),
        (date(2026, 4, 15), None),
    ]
    assert [(share.value, share.count) for share in summary.ranking] == [
        ("top1", 1),
        ("top10", 5),
        ("top25", 2),
        ("top50", 0),
        ("second_half", 1),
    ]
    assert [(theme.label, theme.count) for theme in summary.themes] == [
        ("délais", 9),
        ("respecter", 5),
        ("réunions", 5),
        ("livraison", 4),
    ]
    html = response.content.decode()
    assert "+33.3" in html
    assert "75.0 %" in html
    assert f"{export_url(collective)}?mission={mission.pk}" in html
    assert 'aria-current="page">Feedback</a>' in html
    assert " style=" not in html
    assert "<script>" not in html


def test_the_chart_is_well_formed_accessible_svg_with_one_point_per_answered_round(
    client, english, collective, admin_user
):
    mission = MissionFactory(collective=collective)
    three_rounds(mission)
    answer(survey_round(mission, date(2026, 5, 15)), 10)
    client.force_login(admin_user)

    svg = chart_of(client.get(mission_url(mission)))

    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}title").text == "NPS per survey round"
    assert svg.find(f"{SVG}desc").get("id") == desc_id
    assert svg.find(f"{SVG}desc").text == "3 points, from 02/14/2026 (+75.0) to 05/15/2026 (+100.0)."
    points = svg.findall(f"{SVG}circle")
    assert [point.find(f"{SVG}title").text for point in points] == [
        "02/14/2026: NPS +75.0, average 9.3/10, 4 answers",
        "03/16/2026: NPS 0.0, average 7.2/10, 5 answers",
        "05/15/2026: NPS +100.0, average 10.0/10, 1 answers",
    ]
    # Axis −100..100: +75 sits a quarter of the way from 100 to 0, 0 on the zero line.
    ticks = [text.text for text in svg.iter(f"{SVG}text")][:5]
    assert ticks == ["100", "50", "0", "-50", "-100"]
    zero_line = svg.find(f".//{SVG}line[@class='nps-chart__zero']")
    assert points[1].get("cy") == zero_line.get("y1")
    assert svg.find(f"{SVG}polyline") is not None
    assert all(element.get("style") is None for element in svg.iter())


def test_the_chart_data_table_lists_every_round_including_unanswered_ones(
    client, english, collective, admin_user
):
    mission = MissionFactory(collective=collective)
    three_rounds(mission)
    client.force_login(admin_user)

    html = client.get(mission_url(mission)).content.decode()

    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</th><td>(\d+)</td>", html)
    assert rows == [("02/14/2026", "4"), ("03/16/2026", "5"), ("04/15/2026", "0")]
    assert "No answer</span>" in html


def test_a_mission_without_answer_shows_what_comes_next(client, english, collective, admin_user):
    mission = MissionFactory(collective=collective)
    client.force_login(admin_user)

    response = client.get(mission_url(mission))

    summary = response.context["summary"]
    assert (summary.nps, summary.average, summary.response_rate, summary.answers) == (None, None, None, 0)
    html = response.content.decode()
    assert "No survey sent yet" in html
    assert "14 days after the start, then every 30 days" in html
    assert 'class="nps-chart"' not in html
    assert (
        '<p class="chart-fallback">No answer yet: the trend appears once 3 periods have answers.</p>' in html
    )


def test_under_three_answered_rounds_the_figures_stand_alone_with_a_sentence(
    client, english, collective, admin_user
):
    mission = MissionFactory(collective=collective)
    three_rounds(mission)  # two answered rounds, one without answers
    client.force_login(admin_user)

    html = client.get(mission_url(mission)).content.decode()

    assert 'class="nps-chart"' not in html
    assert (
        '<p class="chart-fallback">Only 2 periods have answers so far: the trend appears once 3 have.</p>'
        in html
    )
    assert "+33.3" in html


def test_latest_responses_and_pending_follow_ups_show(client, english, collective, admin_user):
    mission = MissionFactory(collective=collective)
    survey = survey_round(mission, date(2026, 4, 20))
    contact = ClientContactFactory(client=mission.client, full_name="Claire Martin")
    low = answer(survey, 5, "top50", contact=contact, appreciated=["Réactivité"], comment="Trop lent")
    follow_up(low)
    client.force_login(admin_user)

    response = client.get(mission_url(mission))

    assert response.context["feedback"].latest_responses == [low]
    assert response.context["feedback"].pending_follow_ups == 1
    html = response.content.decode()
    assert "Claire Martin" in html
    assert "5/10" in html
    assert "Réactivité" in html
    assert "1 follow-up call with the client is pending." in html


def test_mission_page_queries_do_not_grow_with_responses(
    client, collective, admin_user, django_assert_num_queries
):
    client.force_login(admin_user)
    counts = []
    for rounds in (1, 6):
        mission = MissionFactory(collective=collective)
        for index in range(rounds):
            survey = survey_round(mission, date(2026, 1, 1 + index), invited=2)
            for score in (10, 6, 8)[: 1 + index % 3]:
                answer(survey, score, improvements=["délais"])
        client.get(mission_url(mission))  # warm-up
        # User, memberships (the check and the nav), mission; rounds, answers, latest answers, follow-ups.
        with django_assert_num_queries(7) as captured:
            client.get(mission_url(mission))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- Collective page --------------------------------------------------------------------------------


def test_collective_page_aggregates_missions_and_lists_the_ones_needing_attention(
    client, english, collective, admin_user
):
    happy = MissionFactory(collective=collective, title="Refonte du site")
    answer(survey_round(happy, date(2026, 3, 2)), 10, at=datetime(2026, 3, 3, 9, tzinfo=UTC))
    answer(survey_round(happy, date(2026, 4, 1)), 9, at=datetime(2026, 4, 2, 9, tzinfo=UTC))
    worried = MissionFactory(collective=collective, title="Application mobile")
    low = answer(survey_round(worried, date(2026, 4, 5)), 6, "top50", at=datetime(2026, 4, 6, 9, tzinfo=UTC))
    follow_up(low, FollowUpCall.State.SCHEDULED)
    silent = MissionFactory(collective=collective, title="Audit")
    survey_round(silent, date(2026, 4, 10), invited=2)  # closed on April 20, nobody answered
    closed = MissionFactory(collective=collective, title="Ancienne", status=Mission.Status.CLOSED)
    answer(survey_round(closed, date(2026, 1, 5)), 2, at=datetime(2026, 1, 6, 9, tzinfo=UTC))
    client.force_login(admin_user)

    response = client.get(collective_url(collective))

    assert response.status_code == 200
    summary = response.context["summary"]
    # [10, 9, 6, 2]: 2 promoters, 2 detractors → 0.0; 4 answers out of 6 invited.
    assert (summary.nps, summary.average, summary.response_rate) == (
        Decimal("0.0"),
        Decimal("6.8"),
        Decimal("66.7"),
    )
    assert [(point.label, point.nps) for point in summary.trend] == [
        ("January 2026", Decimal("-100.0")),
        ("March 2026", Decimal("100.0")),
        ("April 2026", Decimal("0.0")),
    ]
    attention = response.context["feedback"].attention
    assert [(item.mission.title, [reason.code for reason in item.reasons]) for item in attention] == [
        ("Application mobile", ["low_average", "low_score", "follow_up"]),
        ("Audit", ["no_answer"]),
    ]
    html = response.content.decode()
    assert "A follow-up call with the client is pending." in html
    assert "No answer to the survey of April 10, 2026, now closed." in html
    assert mission_url(worried) in html
    assert len(chart_of(response).findall(f"{SVG}circle")) == 3
    assert 'aria-current="page">Feedback</a>' in html
    assert " style=" not in html


def test_collective_page_without_answers_says_what_to_do(client, english, collective, admin_user):
    client.force_login(admin_user)

    response = client.get(collective_url(collective))

    html = response.content.decode()
    assert response.context["summary"].nps is None
    assert "No answer yet" in html
    assert "No mission needs attention" in html


def test_collective_page_queries_do_not_grow_with_missions_and_responses(client, django_assert_num_queries):
    counts = []
    for size in (1, 5):
        admin = AdminMembershipFactory()
        for index in range(size):
            mission = MissionFactory(collective=admin.collective)
            survey = survey_round(mission, date(2026, 3, 1 + index), invited=1)
            low = answer(survey, (10, 5, 8)[index % 3], improvements=["délais"])
            if index % 2:
                follow_up(low)
        client.force_login(admin.user)
        client.get(collective_url(admin.collective))  # warm-up
        with django_assert_num_queries(6) as captured:
            client.get(collective_url(admin.collective))
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


# --- CSV export -------------------------------------------------------------------------------------


def read_csv(response):
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    return list(csv.reader(io.StringIO(content[1:]), delimiter=";"))


HEADERS = [
    "Mission",
    "Client",
    "Contact",
    "Round date",
    "Score",
    "Ranking",
    "Appreciated 1",
    "Appreciated 2",
    "Appreciated 3",
    "Improvement 1",
    "Improvement 2",
    "Improvement 3",
    "Comment",
    "Answered at",
]


def test_export_is_a_semicolon_csv_with_a_bom_and_every_answer(client, english, collective, admin_user):
    mission = MissionFactory(collective=collective, title="Refonte", client__name="ACME")
    contact = ClientContactFactory(client=mission.client, full_name="Claire Martin")
    answer(
        survey_round(mission, date(2026, 4, 1)),
        6,
        "top25",
        contact=contact,
        appreciated=["Écoute", "Réactivité"],
        improvements=["Délais; planning", "=HYPERLINK(1)"],
        comment="Bien, mais\nlent",
        at=datetime(2026, 4, 3, 14, 30, tzinfo=UTC),
    )
    client.force_login(admin_user)

    response = client.get(export_url(collective))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert (
        response["Content-Disposition"] == f'attachment; filename="feedback-{collective.slug}-2026-05-01.csv"'
    )
    rows = read_csv(response)
    assert rows[0] == HEADERS
    assert rows[1:] == [
        [
            "Refonte",
            "ACME",
            "Claire Martin",
            "2026-04-01",
            "6",
            "Top 25 %",
            "Écoute",
            "Réactivité",
            "",
            "Délais; planning",
            "'=HYPERLINK(1)",  # defused: a spreadsheet shows it, never runs it
            "",
            "Bien, mais\nlent",
            "2026-04-03 16:30",  # Europe/Paris
        ]
    ]


def test_export_in_french_follows_the_interface_language(client, collective, admin_user):
    mission = MissionFactory(collective=collective)
    answer(survey_round(mission, date(2026, 4, 1)), 3, "second_half")
    client.force_login(admin_user)
    client.cookies["django_language"] = "fr"

    rows = read_csv(client.get(export_url(collective)))

    with translation.override("fr"):
        numbered = [
            translation.gettext(f"{label} %(number)s") % {"number": number}
            for label in ("Appreciated", "Improvement")
            for number in (1, 2, 3)
        ]
        plain = [translation.gettext(header) for header in HEADERS[:6] + HEADERS[12:]]
        assert rows[0] == plain[:6] + numbered + plain[6:]
        assert rows[1][4:6] == ["3", translation.gettext("Second half")]
    assert rows[0][:3] == ["Mission", "Client", "Contact"]
    assert len(rows) == 2


def test_export_of_one_mission_and_constant_queries(
    client, english, collective, admin_user, django_assert_num_queries
):
    kept = MissionFactory(collective=collective, title="Gardée")
    other = MissionFactory(collective=collective, title="Autre")
    answer(survey_round(kept, date(2026, 4, 1)), 9)
    answer(survey_round(other, date(2026, 4, 1)), 8)
    client.force_login(admin_user)
    url = f"{export_url(collective)}?mission={kept.pk}"

    client.get(url)  # warm-up
    with django_assert_num_queries(4) as few:
        response = client.get(url)
    rows = read_csv(response)
    assert [row[0] for row in rows[1:]] == ["Gardée"]
    assert response["Content-Disposition"].endswith(f'-mission-{kept.pk}-2026-05-01.csv"')

    for score in (10, 9, 8, 6, 5):
        answer(survey_round(kept, date(2026, 3, score)), score)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(read_csv(response)) == 7


# --- Rights and isolation ---------------------------------------------------------------------------


def test_another_collectives_pages_and_missions_are_404(client, collective):
    mission_of_a = MissionFactory(collective=collective)
    answer(survey_round(mission_of_a, date(2026, 4, 1)), 9)
    member_of_b = AdminMembershipFactory()
    client.force_login(member_of_b.user)

    assert client.get(mission_url(mission_of_a)).status_code == 404
    assert client.get(collective_url(collective)).status_code == 404
    assert client.get(export_url(collective)).status_code == 404
    # A's mission smuggled under B's slug.
    smuggled = reverse("feedback:mission", args=[member_of_b.collective.slug, mission_of_a.pk])
    assert client.get(smuggled).status_code == 404
    response = client.get(f"{export_url(member_of_b.collective)}?mission={mission_of_a.pk}")
    assert response.status_code == 404
    assert b"\xef\xbb\xbf" not in response.content


def test_a_plain_member_sees_the_analytics(client, collective):
    mission = MissionFactory(collective=collective)
    member = MembershipFactory(collective=collective)
    client.force_login(member.user)

    assert client.get(mission_url(mission)).status_code == 200
    assert client.get(collective_url(collective)).status_code == 200
    assert client.get(export_url(collective)).status_code == 200


def test_anonymous_visitors_are_sent_to_log_in(client, collective):
    mission = MissionFactory(collective=collective)

    for url in (mission_url(mission), collective_url(collective), export_url(collective)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
