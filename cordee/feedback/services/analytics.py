"""Feedback analytics as pure functions: no database, no request, tested against hand-computed values.

- NPS (Net Promoter Score) = % of promoters (9–10) minus % of detractors (0–6), one decimal, half up.
  The scale has no 7 (the seed forbids it), so 8 is the only "passive" answer.
- Response rate = answered / invited, in %, one decimal.
- Trend: NPS and average score per survey round (a mission) or per month (a collective), in order.
- Recurring themes: the improvement points grouped by their normalised keywords (see `keywords`).
- Missions needing attention: a low score in the latest answered round, a follow-up call still pending,
  or no answer to the latest round once it has closed.
"""

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cordee.feedback.models import SurveyResponse

ONE_DECIMAL = Decimal("0.1")
PROMOTER_MIN = 9
DETRACTOR_MAX = 6
# A mission's latest answered round needs attention under this average (or with any detractor score).
ATTENTION_AVERAGE_BELOW = Decimal(8)


def _one_decimal(value: Decimal) -> Decimal:
    return value.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def nps_from_counts(*, promoters: int, detractors: int, total: int) -> Decimal | None:
    """NPS from counts (what an aggregate query returns); None without any answer."""
    if not total:
        return None
    return _one_decimal(Decimal(promoters - detractors) * 100 / Decimal(total))


def nps(scores: Iterable[int]) -> Decimal | None:
    """% of 9–10 minus % of 0–6, rounded to one decimal half up; None when nobody answered.

    >>> nps([10, 9, 8, 6, 3])  # 40 % promoters − 40 % detractors
    Decimal('0.0')
    """
    scores = list(scores)
    return nps_from_counts(
        promoters=sum(1 for score in scores if score >= PROMOTER_MIN),
        detractors=sum(1 for score in scores if score <= DETRACTOR_MAX),
        total=len(scores),
    )


def response_rate(invited: int, answered: int) -> Decimal | None:
    """Share of the invited contacts who answered, in %, one decimal; None when nobody was invited."""
    if not invited:
        return None
    return _one_decimal(Decimal(min(answered, invited)) * 100 / Decimal(invited))


def average_score(scores: Iterable[int]) -> Decimal | None:
    scores = list(scores)
    if not scores:
        return None
    return _one_decimal(Decimal(sum(scores)) / Decimal(len(scores)))


@dataclass(frozen=True)
class RankingShare:
    value: str
    label: str
    count: int
    percent: Decimal | None  # of the answers; None without any answer


def ranking_distribution(rankings: Iterable[str]) -> list[RankingShare]:
    """How the answers place the collective against other providers: every bracket, best first."""
    counts = Counter(rankings)
    total = sum(counts[value] for value in SurveyResponse.Ranking.values)
    return [
        RankingShare(
            value=value,
            label=str(label),
            count=counts[value],
            percent=_one_decimal(Decimal(counts[value]) * 100 / total) if total else None,
        )
        for value, label in SurveyResponse.Ranking.choices
    ]


# --- Trend -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrendPoint:
    day: date  # the round's date, or the first day of the month
    label: str
    answers: int
    nps: Decimal | None
    average: Decimal | None


def trend(rounds: Iterable[tuple[date, Sequence[int]]], *, monthly: bool = False) -> list[TrendPoint]:
    """NPS and average score of each round (or month), oldest first; a round without answer has None."""
    points = []
    for day, scores in sorted(rounds, key=lambda item: item[0]):
        label = date_format(day, "YEAR_MONTH_FORMAT" if monthly else "SHORT_DATE_FORMAT")
        points.append(TrendPoint(day, label, len(scores), nps(scores), average_score(scores)))
    return points


def scores_by_month(dated_scores: Iterable[tuple[date, int]]) -> list[tuple[date, list[int]]]:
    """Group (answer date, score) pairs by month: [(first day of the month, scores)], oldest first."""
    months: dict[date, list[int]] = {}
    for day, score in dated_scores:
        months.setdefault(day.replace(day=1), []).append(score)
    return sorted(months.items())


# --- Recurring themes ------------------------------------------------------------------------------

# Words that carry no theme, accents already folded (the texts are folded before comparison).
_STOP_WORDS_TEXT = """
    a au aux avec ce ces cette cet dans de des du elle en et etre eux il ils je la le les leur leurs lui
    ma mais me meme mes moi mon ne nos notre nous on ou par pas pour plus qu que qui sa se ses son sur ta
    te tes toi ton tu un une vos votre vous y c d j l m n s t qu est sont ete etait avoir ont fait faire
    tres trop peu bien mieux encore aussi parfois souvent toujours jamais chose choses cela ca ceci
    peut peuvent pourrait pourriez devrait devriez plus moins assez quand comme tout tous toute toutes
    the an and or of to in on for with at by from is are was were be been being it its this that these
    those we you they our your their my me us them not no but so too very more less some any can could
    should would will just than then there here also still sometimes always never get got have has had
    do does did about into over under more most
"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())
WORD = re.compile(r"[a-z0-9]+")
MIN_WORD_LENGTH = 3


def fold(text: str) -> str:
    """Lowercase, accents removed: "Délais" → "delais"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def singular(word: str) -> str:
    """Simple plural folding, French and English: "delais" → "delai", "reunions" → "reunion", "travaux"
    → "travau" (the same stem for singular and plural is what matters, not the spelling)."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith(("s", "x")) and not word.endswith("ss"):
        return word[:-1]
    return word


def keywords(text: str) -> list[str]:
    """The normalised keywords of a text, in order, without repetition."""
    found = []
    for word in WORD.findall(fold(text)):
        if len(word) < MIN_WORD_LENGTH or word in STOP_WORDS or word.isdigit():
            continue
        word = singular(word)
        if word not in found:
            found.append(word)
    return found


@dataclass
class Theme:
    keyword: str  # the normalised form
    label: str  # the form the clients wrote most often (lowercase)
    count: int  # in how many improvement points it appears
    examples: list[str] = field(default_factory=list)


def recurring_themes(
    texts: Iterable[str], *, limit: int = 8, min_count: int = 2, examples: int = 3
) -> list[Theme]:
    """The keywords shared by several improvement points, most frequent first (ties alphabetical).

    Each point counts once per keyword; a theme keeps up to `examples` distinct points quoting it and
    shows the spelling the clients used most often.
    """
    counts: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    quotes: dict[str, list[str]] = {}
    for text in texts:
        text = " ".join(str(text).split())
        if not text:
            continue
        for word in re.findall(r"\w+", text.lower()):
            folded = singular(fold(word))
            spellings.setdefault(folded, Counter())[word] += 1
        for keyword in keywords(text):
            counts[keyword] += 1
            examples_of = quotes.setdefault(keyword, [])
            if len(examples_of) < examples and text not in examples_of:
                examples_of.append(text)
    ranked = sorted(
        (item for item in counts.items() if item[1] >= min_count), key=lambda item: (-item[1], item[0])
    )
    return [
        Theme(
            keyword=keyword,
            label=spellings.get(keyword, Counter({keyword: 1})).most_common(1)[0][0],
            count=count,
            examples=quotes[keyword],
        )
        for keyword, count in ranked[:limit]
    ]


# --- Missions needing attention --------------------------------------------------------------------


@dataclass(frozen=True)
class MissionFeedbackFacts:
    """What the attention rules look at for one mission (gathered by `cordee.feedback.queries`)."""

    mission: object
    latest_answered_scores: Sequence[int] = ()  # the scores of the latest round that got answers
    pending_follow_ups: int = 0  # FollowUpCall requested or scheduled
    latest_round_due: date | None = None  # the latest round sent
    latest_round_closes_at: datetime | None = None
    latest_round_answers: int = 0


@dataclass(frozen=True)
class AttentionReason:
    code: str  # low_average, low_score, follow_up, no_answer
    text: str


@dataclass(frozen=True)
class MissionAttention:
    mission: object
    reasons: list[AttentionReason]


def attention_reasons(facts: MissionFeedbackFacts, *, now: datetime) -> list[AttentionReason]:
    reasons = []
    scores = list(facts.latest_answered_scores)
    average = average_score(scores)
    if average is not None and average < ATTENTION_AVERAGE_BELOW:
        reasons.append(
            AttentionReason(
                "low_average",
                _("Average score of the latest answers: %(average)s/10 (under 8).")
                % {"average": formats.number_format(average, 1)},
            )
        )
    if scores and min(scores) <= DETRACTOR_MAX:
        reasons.append(
            AttentionReason(
                "low_score", _("A score of %(score)s/10 in the latest answers.") % {"score": min(scores)}
            )
        )
    if facts.pending_follow_ups:
        reasons.append(AttentionReason("follow_up", _("A follow-up call with the client is pending.")))
    if (
        facts.latest_round_closes_at is not None
        and facts.latest_round_closes_at <= now
        and facts.latest_round_answers == 0
    ):
        reasons.append(
            AttentionReason(
                "no_answer",
                _("No answer to the survey of %(date)s, now closed.")
                % {"date": date_format(facts.latest_round_due, "DATE_FORMAT")},
            )
        )
    return reasons


def missions_needing_attention(
    facts: Iterable[MissionFeedbackFacts], *, now: datetime
) -> list[MissionAttention]:
    """The missions with at least one reason, the ones with the most reasons first (stable otherwise)."""
    flagged = []
    for item in facts:
        reasons = attention_reasons(item, now=now)
        if reasons:
            flagged.append(MissionAttention(item.mission, reasons))
    return sorted(flagged, key=lambda attention: -len(attention.reasons))
