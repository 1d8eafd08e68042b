"""The analytics' pure functions against values computed by hand."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.utils import translation

from cordee.feedback.services.analytics import (
    MissionFeedbackFacts,
    average_score,
    keywords,
    missions_needing_attention,
    nps,
    ranking_distribution,
    recurring_themes,
    response_rate,
    scores_by_month,
    trend,
)

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([10, 9, 8, 6, 3], Decimal("0.0")),  # 2/5 promoters − 2/5 detractors
        ([10, 10, 9, 8], Decimal("75.0")),  # 3/4 − 0
        ([0, 1, 2], Decimal("-100.0")),
        ([9, 10], Decimal("100.0")),
        ([8, 8, 8], Decimal("0.0")),  # passives only
        ([10, 6, 8], Decimal("0.0")),
        ([10, 10, 6], Decimal("33.3")),  # 66.66… − 33.33… = 33.33…
        ([10, 8, 8, 8, 8, 8, 8, 8], Decimal("12.5")),  # exactly 12.5
        # 1/16 = 6.25 → half up to 6.3
        ([10] + [8] * 15, Decimal("6.3")),
        ([6] + [8] * 15, Decimal("-6.3")),  # half up means away from zero for Decimal
        ([], None),
    ],
)
def test_nps_matches_the_hand_computed_values(scores, expected):
    assert nps(scores) == expected


def test_nps_of_a_mission_with_no_answer_is_none_not_zero():
    assert nps(iter(())) is None


@pytest.mark.parametrize(
    ("invited", "answered", "expected"),
    [
        (4, 3, Decimal("75.0")),
        (3, 1, Decimal("33.3")),
        (3, 2, Decimal("66.7")),
        (2, 0, Decimal("0.0")),
        (0, 0, None),
    ],
)
def test_response_rate(invited, answered, expected):
    assert response_rate(invited, answered) == expected


def test_average_score_one_decimal_half_up():
    assert average_score([10, 9, 8, 6, 3]) == Decimal("7.2")
    assert average_score([9, 8]) == Decimal("8.5")
    assert average_score([10, 8, 8]) == Decimal("8.7")  # 8.666…
    assert average_score([]) is None


def test_ranking_distribution_lists_every_bracket_best_first():
    shares = ranking_distribution(["top10", "top25", "top10", "second_half"])

    assert [(share.value, share.count, share.percent) for share in shares] == [
        ("top1", 0, Decimal("0.0")),
        ("top10", 2, Decimal("50.0")),
        ("top25", 1, Decimal("25.0")),
        ("top50", 0, Decimal("0.0")),
        ("second_half", 1, Decimal("25.0")),
    ]
    assert [share.label for share in shares] == ["Top 1 %", "Top 10 %", "Top 25 %", "Top 50 %", "Second half"]
    assert [share.percent for share in ranking_distribution([])] == [None] * 5


def test_trend_orders_rounds_and_keeps_unanswered_ones_empty():
    points = trend(
        [
            (date(2026, 3, 16), [10, 9, 8, 6, 3]),
            (date(2026, 2, 14), [10, 10, 9, 8]),
            (date(2026, 4, 15), []),
        ]
    )

    assert [(point.day, point.answers, point.nps, point.average) for point in points] == [
        (date(2026, 2, 14), 4, Decimal("75.0"), Decimal("9.3")),
        (date(2026, 3, 16), 5, Decimal("0.0"), Decimal("7.2")),
        (date(2026, 4, 15), 0, None, None),
    ]
    assert points[0].label == "02/14/2026"


def test_monthly_trend_groups_answers_by_month():
    months = scores_by_month(
        [(date(2026, 3, 31), 10), (date(2026, 2, 1), 3), (date(2026, 3, 1), 6), (date(2026, 2, 28), 9)]
    )

    assert months == [(date(2026, 2, 1), [3, 9]), (date(2026, 3, 1), [10, 6])]
    points = trend(months, monthly=True)
    assert [(point.label, point.nps) for point in points] == [
        ("February 2026", Decimal("0.0")),
        ("March 2026", Decimal("0.0")),
    ]


def test_keywords_fold_case_accents_stop_words_and_plurals():
    assert keywords("Les délais de livraison sont trop longs") == ["delai", "livraison", "long"]
    assert keywords("Plus de RÉUNIONS, moins de réunion !") == ["reunion"]
    assert keywords("More updates on the deadlines") == ["update", "deadline"]
    assert keywords("Budgets & priorities") == ["budget", "priority"]
    assert keywords("  ") == []


def test_recurring_themes_group_points_by_keyword_with_counts_and_examples():
    themes = recurring_themes(
        [
            "Les délais de livraison",
            "Délai trop court sur la maquette",
            "Respecter les délais",
            "Plus de réunions de suivi",
            "Des comptes rendus de réunion",
            "Le suivi budgétaire",
            "Maquette peu lisible",
            "",
        ]
    )

    assert [(theme.keyword, theme.label, theme.count) for theme in themes] == [
        ("delai", "délais", 3),
        ("maquette", "maquette", 2),
        ("reunion", "réunions", 2),  # tie between spellings: the first one met wins
        ("suivi", "suivi", 2),
    ]
    assert themes[0].examples == [
        "Les délais de livraison",
        "Délai trop court sur la maquette",
        "Respecter les délais",
    ]
    assert recurring_themes(["Un seul point"]) == []
    assert len(recurring_themes(["a b", "délai", "délais", "maquette", "maquettes"], limit=1)) == 1


def test_a_point_counts_once_per_keyword_and_examples_are_capped():
    themes = recurring_themes(["délai délai délais", "délai", "le délai", "un délai", "délai !"], examples=2)

    assert [(theme.keyword, theme.count) for theme in themes] == [("delai", 5)]
    assert themes[0].examples == ["délai délai délais", "délai"]


def test_missions_needing_attention_in_words():
    closed = datetime(2026, 4, 25, tzinfo=UTC)
    still_open = datetime(2026, 5, 3, tzinfo=UTC)
    facts = [
        MissionFeedbackFacts(
            "fine", latest_answered_scores=[10, 9, 8], latest_round_closes_at=closed, latest_round_answers=3
        ),
        MissionFeedbackFacts("low average", latest_answered_scores=[8, 8, 9, 6]),  # average 7.75
        MissionFeedbackFacts("one detractor", latest_answered_scores=[10, 10, 10, 6]),  # average 9
        MissionFeedbackFacts("follow-up", latest_answered_scores=[9], pending_follow_ups=1),
        MissionFeedbackFacts(
            "silent",
            latest_round_due=date(2026, 4, 15),
            latest_round_closes_at=closed,
            latest_round_answers=0,
        ),
        MissionFeedbackFacts(
            "not closed yet", latest_round_due=date(2026, 4, 23), latest_round_closes_at=still_open
        ),
        MissionFeedbackFacts("never surveyed"),
    ]

    flagged = missions_needing_attention(facts, now=NOW)

    assert [(item.mission, [reason.code for reason in item.reasons]) for item in flagged] == [
        ("low average", ["low_average", "low_score"]),
        ("one detractor", ["low_score"]),
        ("follow-up", ["follow_up"]),
        ("silent", ["no_answer"]),
    ]
    assert [reason.text for reason in flagged[0].reasons] == [
        "Average score of the latest answers: 7.8/10 (under 8).",
        "A score of 6/10 in the latest answers.",
    ]
    assert flagged[2].reasons[0].text == "A follow-up call with the client is pending."
    assert flagged[3].reasons[0].text == "No answer to the survey of April 15, 2026, now closed."


def test_an_average_of_exactly_8_without_detractor_is_fine():
    assert (
        missions_needing_attention([MissionFeedbackFacts("m", latest_answered_scores=[8, 8])], now=NOW) == []
    )
