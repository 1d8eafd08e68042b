"""The members' calendar feed of the collective's rituals, read by two independent iCalendar parsers."""

import datetime as dt

import icalendar
import pytest
import time_machine
import vobject
from django.urls import reverse

from cordee.communication.services.events import (
    collective_event_cancel,
    collective_event_create,
    collective_event_update,
    event_feed_create,
    event_feed_revoke,
    event_response_set,
    events_feed_ics,
)
from cordee.communication.tests.rituals_factories import PARIS, CollectiveEventFactory
from cordee.core.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def monday_noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def member(collective):
    member = MembershipFactory(collective=collective).user
    member.full_name = "Léa Martin"
    member.language = "en"
    member.save()
    return member


@pytest.fixture
def weekly(collective, member):
    return collective_event_create(
        collective=collective,
        by=member,
        title="Call hebdo",
        description="Tour de table des missions",
        starts_at=dt.datetime(2026, 3, 19, 9, 30, tzinfo=PARIS),
        duration_minutes=45,
        video_link="https://meet.example.fr/hebdo",
        recurrence="biweekly",
        repeat_until=dt.date(2026, 6, 25),
    )


@pytest.fixture
def lunch(collective, member):
    return collective_event_create(
        collective=collective,
        by=member,
        title="Déjeuner du collectif",
        starts_at=dt.datetime(2026, 3, 12, 12, 30, tzinfo=PARIS),
        duration_minutes=90,
        location="Café des Arts, Lyon",
    )


def parse(data: bytes):
    """Both parsers must read the file; returns (icalendar calendar, vobject calendar)."""
    text = data.decode()
    return icalendar.Calendar.from_ical(data), vobject.readOne(text)


def events_by_uid(calendar):
    return {str(component["UID"]): component for component in calendar.walk("VEVENT")}


def vevents_by_uid(vcalendar):
    return {vevent.uid.value: vevent for vevent in vcalendar.vevent_list}


def test_the_feed_is_a_subscribable_calendar_both_parsers_read(collective, member, weekly, lunch):
    data = events_feed_ics(collective=collective, user=member)
    calendar, vcalendar = parse(data)

    assert "METHOD" not in calendar  # a feed, not an invitation
    assert str(calendar["X-WR-CALNAME"]) == f"{collective.name} · rituals"
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Paris"
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert vcalendar.vtimezone.tzid.value == "Europe/Paris"
    assert set(events_by_uid(calendar)) == {weekly.calendar_uid, lunch.calendar_uid}
    assert set(vevents_by_uid(vcalendar)) == {weekly.calendar_uid, lunch.calendar_uid}


def test_a_recurring_event_has_its_rrule_and_a_dtstart_with_its_time_zone(collective, member, weekly):
    data = events_feed_ics(collective=collective, user=member)
    calendar, vcalendar = parse(data)

    event = events_by_uid(calendar)[weekly.calendar_uid]
    assert b"DTSTART;TZID=Europe/Paris:20260319T093000" in data
    assert b"DTEND;TZID=Europe/Paris:20260319T101500" in data
    assert event.decoded("DTSTART") == dt.datetime(2026, 3, 19, 9, 30, tzinfo=PARIS)
    rule = event["RRULE"]
    assert rule["FREQ"] == ["WEEKLY"]
    assert rule["INTERVAL"] == [2]
    # UNTIL in UTC (RFC 5545 with a TZID start): the end of 25 June in Paris.
    assert rule["UNTIL"] == [dt.datetime(2026, 6, 25, 21, 59, 59, tzinfo=dt.UTC)]
    assert int(event["SEQUENCE"]) == 0
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(event["SUMMARY"]) == "Call hebdo"
    assert str(event["LOCATION"]) == "https://meet.example.fr/hebdo"
    assert str(event["ORGANIZER"]) == f"mailto:{member.email}"
    assert event["ORGANIZER"].params["CN"] == "Léa Martin"
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert "Every two weeks until" in str(event["DESCRIPTION"])

    # The second parser expands the series: 9:30 in Paris on both sides of the 29 March change.
    vevent = vevents_by_uid(vcalendar)[weekly.calendar_uid]
    occurrences = list(vevent.getrruleset())
    assert [moment.astimezone(PARIS).strftime("%m-%d %H:%M") for moment in occurrences[:3]] == [
        "03-19 09:30",
        "04-02 09:30",
        "04-16 09:30",
    ]
    assert occurrences[-1].astimezone(PARIS) == dt.datetime(2026, 6, 25, 9, 30, tzinfo=PARIS)
    assert len(occurrences) == 8
    assert vevent.sequence.value == "0"


def test_a_one_off_event_has_no_rrule(collective, member, lunch):
    calendar, vcalendar = parse(events_feed_ics(collective=collective, user=member))

    event = events_by_uid(calendar)[lunch.calendar_uid]
    assert "RRULE" not in event
    assert event.decoded("DTSTART") == dt.datetime(2026, 3, 12, 12, 30, tzinfo=PARIS)
    assert event.decoded("DTEND") == dt.datetime(2026, 3, 12, 14, 0, tzinfo=PARIS)
    assert str(event["LOCATION"]) == "Café des Arts, Lyon"
    vevent = vevents_by_uid(vcalendar)[lunch.calendar_uid]
    assert vevent.dtstart.value == dt.datetime(2026, 3, 12, 12, 30, tzinfo=PARIS)
    # vobject resolves the TZID against the file's VTIMEZONE and keeps the original name.
    assert vevent.dtstart.params["X-VOBJ-ORIGINAL-TZID"] == ["Europe/Paris"]
    assert vevent.dtstart.value.utcoffset() == dt.timedelta(hours=1)


def test_an_edit_keeps_the_uid_and_raises_the_sequence(collective, member, weekly):
    before = events_by_uid(parse(events_feed_ics(collective=collective, user=member))[0])[weekly.calendar_uid]

    collective_event_update(event=weekly, by=member, starts_at=dt.datetime(2026, 3, 20, 10, 0, tzinfo=PARIS))
    calendar, vcalendar = parse(events_feed_ics(collective=collective, user=member))

    after = events_by_uid(calendar)[weekly.calendar_uid]
    assert str(after["UID"]) == str(before["UID"])
    assert (int(before["SEQUENCE"]), int(after["SEQUENCE"])) == (0, 1)
    assert after.decoded("DTSTART") == dt.datetime(2026, 3, 20, 10, 0, tzinfo=PARIS)
    assert vevents_by_uid(vcalendar)[weekly.calendar_uid].sequence.value == "1"


def test_a_cancelled_event_stays_in_the_feed_as_cancelled(collective, member, weekly, lunch):
    collective_event_cancel(event=lunch, by=member)
    calendar, vcalendar = parse(events_feed_ics(collective=collective, user=member))

    event = events_by_uid(calendar)[lunch.calendar_uid]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    assert vevents_by_uid(vcalendar)[lunch.calendar_uid].status.value == "CANCELLED"
    assert str(events_by_uid(calendar)[weekly.calendar_uid]["STATUS"]) == "CONFIRMED"


def test_events_the_member_does_not_attend_do_not_block_their_time(collective, member, weekly, lunch):
    event_response_set(event=lunch, user=member, answer="no")
    event_response_set(event=weekly, user=member, answer="yes")

    events = events_by_uid(parse(events_feed_ics(collective=collective, user=member))[0])

    assert str(events[lunch.calendar_uid]["TRANSP"]) == "TRANSPARENT"
    assert str(events[weekly.calendar_uid]["TRANSP"]) == "OPAQUE"


def test_only_the_collectives_events_and_the_last_year_are_in_the_feed(collective, member, lunch):
    CollectiveEventFactory(starts_at=dt.datetime(2026, 3, 10, 9, tzinfo=PARIS))  # another collective's
    old = CollectiveEventFactory(collective=collective, starts_at=dt.datetime(2025, 2, 1, 9, tzinfo=PARIS))
    recent = CollectiveEventFactory(collective=collective, starts_at=dt.datetime(2025, 6, 1, 9, tzinfo=PARIS))

    uids = set(events_by_uid(parse(events_feed_ics(collective=collective, user=member))[0]))

    assert uids == {lunch.calendar_uid, recent.calendar_uid}
    assert old.calendar_uid not in uids


def test_an_empty_collective_gives_a_valid_empty_calendar(collective, member):
    calendar, vcalendar = parse(events_feed_ics(collective=collective, user=member))

    assert calendar.walk("VEVENT") == []
    assert str(vcalendar.prodid.value).startswith("-//Cordée")


# --- Served at the private URL ----------------------------------------------------------------------------


def feed_url(raw):
    return reverse("communication:events_feed", args=[raw])


def test_the_private_url_serves_the_feed_without_a_session(client, collective, member, weekly):
    raw, _ = event_feed_create(user=member, collective=collective)

    response = client.get(feed_url(raw))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    calendar, _vcalendar = parse(response.content)
    assert set(events_by_uid(calendar)) == {weekly.calendar_uid}


def test_a_wrong_revoked_or_replaced_token_is_a_404(client, collective, member, weekly):
    raw, _ = event_feed_create(user=member, collective=collective)
    assert client.get(feed_url("not-a-token")).status_code == 404

    new_raw, _ = event_feed_create(user=member, collective=collective)
    assert client.get(feed_url(raw)).status_code == 404
    assert client.get(feed_url(new_raw)).status_code == 200

    event_feed_revoke(user=member, collective=collective)
    assert client.get(feed_url(new_raw)).status_code == 404


def test_the_feed_only_answers_reads(client, collective, member):
    raw, _ = event_feed_create(user=member, collective=collective)

    assert client.post(feed_url(raw)).status_code == 405


@pytest.mark.parametrize("count", [1, 15])
def test_the_feed_runs_the_same_queries_with_few_or_many_events(
    client, collective, member, count, django_assert_num_queries
):
    for day in range(count):
        CollectiveEventFactory(
            collective=collective, created_by=member, starts_at=dt.datetime(2026, 4, 1 + day, 9, tzinfo=PARIS)
        )
    raw, _ = event_feed_create(user=member, collective=collective)
    client.get(feed_url(raw))

    # The token, the membership, the events with their creators, the member's answers.
    with django_assert_num_queries(4):
        response = client.get(feed_url(raw))

    assert len(icalendar.Calendar.from_ical(response.content).walk("VEVENT")) == count
