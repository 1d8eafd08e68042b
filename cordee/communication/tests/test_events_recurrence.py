"""Expanding the collective's recurring events: local wall-clock time kept across daylight saving."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cordee.communication.services.events import (
    event_occurrences,
    next_occurrence,
    series_end,
    upcoming_occurrences,
)
from cordee.communication.tests.rituals_factories import PARIS, CollectiveEventFactory
from cordee.core.tests.factories import CollectiveFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def paris(year, month, day, hour=0, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def local(occurrences, zone=PARIS):
    return [occurrence.starts_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z") for occurrence in occurrences]


def test_a_weekly_call_keeps_its_local_hour_across_the_march_change():
    # 2026: Paris moves to summer time on Sunday 29 March.
    event = CollectiveEventFactory(starts_at=paris(2026, 3, 19, 9, 30), recurrence="weekly")

    occurrences = event_occurrences(event, start=paris(2026, 3, 16), end=paris(2026, 4, 10))

    assert local(occurrences) == [
        "2026-03-19 09:30 CET",
        "2026-03-26 09:30 CET",
        "2026-04-02 09:30 CEST",
        "2026-04-09 09:30 CEST",
    ]
    # Same wall-clock hour, a different UTC hour.
    assert [occurrence.starts_at.astimezone(UTC).hour for occurrence in occurrences] == [8, 8, 7, 7]
    assert all(
        occurrence.ends_at - occurrence.starts_at == dt.timedelta(minutes=45) for occurrence in occurrences
    )


def test_and_across_the_october_change():
    event = CollectiveEventFactory(starts_at=paris(2026, 10, 15, 18, 0), recurrence="biweekly")

    occurrences = event_occurrences(event, start=paris(2026, 10, 1), end=paris(2026, 11, 30))

    assert local(occurrences) == [
        "2026-10-15 18:00 CEST",
        "2026-10-29 18:00 CET",
        "2026-11-12 18:00 CET",
        "2026-11-26 18:00 CET",
    ]


def test_a_collective_in_another_zone_expands_in_its_own_zone():
    # New York changes on 8 March 2026, Paris on 29 March: the call stays at 10:00 in New York.
    new_york = ZoneInfo("America/New_York")
    collective = CollectiveFactory(time_zone="America/New_York")
    event = CollectiveEventFactory(
        collective=collective, starts_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=new_york), recurrence="weekly"
    )

    occurrences = event_occurrences(
        event, start=dt.datetime(2026, 3, 1, tzinfo=new_york), end=dt.datetime(2026, 3, 17, tzinfo=new_york)
    )

    assert local(occurrences, new_york) == [
        "2026-03-02 10:00 EST",
        "2026-03-09 10:00 EDT",
        "2026-03-16 10:00 EDT",
    ]


def test_every_two_weeks_until_a_date_includes_that_last_day():
    event = CollectiveEventFactory(
        starts_at=paris(2026, 3, 5, 9, 30), recurrence="biweekly", repeat_until=dt.date(2026, 4, 16)
    )

    occurrences = event_occurrences(event, start=paris(2026, 1, 1), end=paris(2026, 12, 31))

    assert local(occurrences) == [
        "2026-03-05 09:30 CET",
        "2026-03-19 09:30 CET",
        "2026-04-02 09:30 CEST",
        "2026-04-16 09:30 CEST",
    ]
    assert series_end(event, PARIS) == paris(2026, 4, 16, 10, 15)


def test_monthly_repeats_on_the_same_day_of_the_month():
    event = CollectiveEventFactory(starts_at=paris(2026, 1, 20, 12, 30), recurrence="monthly")

    occurrences = event_occurrences(event, start=paris(2026, 1, 1), end=paris(2026, 5, 1))

    assert local(occurrences) == [
        "2026-01-20 12:30 CET",
        "2026-02-20 12:30 CET",
        "2026-03-20 12:30 CET",
        "2026-04-20 12:30 CEST",
    ]


def test_a_series_without_end_has_no_end():
    event = CollectiveEventFactory(starts_at=paris(2026, 3, 5, 9, 30), recurrence="weekly")

    assert series_end(event, PARIS) is None
    assert event.ends_at is None


def test_a_one_off_event_ends_after_its_duration():
    event = CollectiveEventFactory(starts_at=paris(2026, 3, 5, 9, 30), duration_minutes=3 * 24 * 60)

    assert series_end(event, PARIS) == paris(2026, 3, 8, 9, 30)
    assert event_occurrences(event, start=paris(2026, 3, 7), end=paris(2026, 3, 9))[0].starts_at == paris(
        2026, 3, 5, 9, 30
    )
    assert event_occurrences(event, start=paris(2026, 3, 8, 9, 30), end=paris(2026, 3, 9)) == []


def test_the_next_occurrence_is_the_one_under_way_then_the_following_one():
    event = CollectiveEventFactory(starts_at=paris(2026, 3, 5, 9, 30), recurrence="weekly")

    assert next_occurrence(event, now=paris(2026, 3, 1)).starts_at == paris(2026, 3, 5, 9, 30)
    under_way = next_occurrence(event, now=paris(2026, 3, 5, 10, 0))
    assert under_way.starts_at == paris(2026, 3, 5, 9, 30)
    assert next_occurrence(event, now=paris(2026, 3, 5, 10, 15)).starts_at == paris(2026, 3, 12, 9, 30)
    assert next_occurrence(event, now=paris(2026, 3, 27, 12)).starts_at == paris(2026, 4, 2, 9, 30)


def test_a_finished_series_has_no_next_occurrence():
    event = CollectiveEventFactory(
        starts_at=paris(2026, 3, 5, 9, 30), recurrence="weekly", repeat_until=dt.date(2026, 3, 12)
    )

    assert next_occurrence(event, now=paris(2026, 3, 12, 10, 14)).starts_at == paris(2026, 3, 12, 9, 30)
    assert next_occurrence(event, now=paris(2026, 3, 12, 10, 15)) is None


def test_the_next_8_weeks_merge_every_event_in_time_order_without_cancelled_ones():
    collective = CollectiveFactory()
    weekly = CollectiveEventFactory(
        collective=collective, starts_at=paris(2026, 3, 2, 9, 30), recurrence="weekly"
    )
    lunch = CollectiveEventFactory(
        collective=collective, starts_at=paris(2026, 3, 18, 12, 30), location="Café"
    )
    monthly = CollectiveEventFactory(
        collective=collective, starts_at=paris(2026, 3, 4, 18, 0), recurrence="monthly"
    )
    CollectiveEventFactory(
        collective=collective, starts_at=paris(2026, 3, 3, 9, 0), cancelled_at=paris(2026, 3, 1)
    )

    occurrences = upcoming_occurrences(
        [weekly, lunch, monthly, *collective.events.filter(cancelled_at__isnull=False)],
        now=paris(2026, 3, 1, 12),
    )

    assert [(occurrence.event.title, occurrence.starts_at) for occurrence in occurrences][:5] == [
        (weekly.title, paris(2026, 3, 2, 9, 30)),
        (monthly.title, paris(2026, 3, 4, 18, 0)),
        (weekly.title, paris(2026, 3, 9, 9, 30)),
        (weekly.title, paris(2026, 3, 16, 9, 30)),
        (lunch.title, paris(2026, 3, 18, 12, 30)),
    ]
    assert len([o for o in occurrences if o.event == weekly]) == 8
    assert [o.starts_at for o in occurrences if o.event == monthly] == [
        paris(2026, 3, 4, 18),
        paris(2026, 4, 4, 18),
    ]
    assert occurrences[-1].starts_at < paris(2026, 4, 26, 12)
