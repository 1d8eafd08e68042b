# ruff: noqa: F811 - the fixtures imported from calls_fixtures are parameters of the tests
"""The client's calendar feed of a mission: announced dates, delivery calls, the weekly call; nothing else."""

import datetime as dt

import pytest
from django.urls import reverse

from cordee.communication.services.calls import delivery_call_cancel, delivery_call_schedule
from cordee.communication.services.rituals_calendar import ritual_call_save, ritual_call_stop
from cordee.communication.tests.calls_fixtures import (  # noqa: F401 - fixtures
    CALL_AT,
    PARIS,
    UTC,
    alice,
    bob,
    deliverable,
    english,
    frozen_now,
    lead,
    mission,
    parse_both,
    teammate,
)
from cordee.core.tokens import token_hash
from cordee.missions.models import Deliverable
from cordee.missions.tests.factories import DeliverableFactory, MissionFactory
from cordee.portal import feeds
from cordee.portal.models import MissionCalendarFeed

pytestmark = pytest.mark.django_db


def path_of(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


@pytest.fixture
def full_mission(mission, lead, deliverable, alice, bob, teammate):
    """A mission with two deliverables, a call, a cancelled call and the weekly call."""
    DeliverableFactory(
        mission=mission,
        title="Site en ligne",
        internal_date=dt.date(2026, 4, 1),
        announced_date=dt.date(2026, 4, 8),
        status=Deliverable.Status.IN_PROGRESS,
        health=Deliverable.Health.AT_RISK,
        health_reason="Secret: 40 h of open work for 20 h of capacity",
    )
    call = delivery_call_schedule(
        deliverable=deliverable,
        by=lead,
        starts_at=CALL_AT,
        duration_minutes=45,
        video_link="https://meet.example.com/abc",
        attendee_contacts=[alice],
    )
    cancelled = delivery_call_schedule(
        deliverable=deliverable,
        by=lead,
        starts_at=CALL_AT + dt.timedelta(days=2),
        duration_minutes=30,
        attendee_contacts=[alice],
    )
    delivery_call_cancel(call=cancelled, by=lead)
    ritual, _sent = ritual_call_save(
        mission=mission,
        by=lead,
        weekday=0,
        start_time=dt.time(9, 30),
        duration_minutes=30,
        video_link="https://meet.example.com/weekly",
        first_date=dt.date(2026, 3, 9),
    )
    return {"call": call, "cancelled": cancelled, "ritual": ritual}


def fetch(client, mission, **params):
    url = feeds.mission_feed_url(mission)
    return client.get(path_of(url), params)


def text_of(response) -> str:
    """The feed with its folded lines joined and its escaped commas plain, to search in."""
    return response.content.decode().replace("\r\n ", "").replace("\\,", ",")


class TestContent:
    def test_what_the_client_sees(self, client, mission, deliverable, full_mission):
        response = fetch(client, mission, lang="en")

        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Cache-Control"] == "private, max-age=300"
        assert response["X-Robots-Tag"] == "noindex, nofollow"
        cal, vcal = parse_both(response.content)
        assert "METHOD" not in cal
        assert str(cal["X-WR-CALNAME"]) == "Site vitrine · Studio Nord"
        assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
        events = {str(event["SUMMARY"]): event for event in cal.walk("VEVENT")}
        assert set(events) == {
            "Delivery: Maquettes",
            "Delivery: Site en ligne",
            "Delivery call: Maquettes (Site vitrine)",
            "Weekly call: Site vitrine",
        }
        maquettes = events["Delivery: Maquettes"]
        assert maquettes.decoded("DTSTART") == dt.date(2026, 3, 20)
        assert maquettes["DTSTART"].params["VALUE"] == "DATE"
        call_event = events["Delivery call: Maquettes (Site vitrine)"]
        assert str(call_event["UID"]) == full_mission["call"].calendar_uid
        assert call_event["DTSTART"].params["TZID"] == "Europe/Paris"
        assert call_event.decoded("DTSTART") == CALL_AT
        assert "ORGANIZER" not in call_event
        weekly = events["Weekly call: Site vitrine"]
        assert str(weekly["UID"]) == full_mission["ritual"].calendar_uid
        assert weekly["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
        assert weekly.decoded("DTSTART") == dt.datetime(2026, 3, 9, 9, 30, tzinfo=PARIS)
        # The second parser agrees.
        assert len(vcal.vevent_list) == 4
        by_uid = {event.uid.value: event for event in vcal.vevent_list}
        assert by_uid[full_mission["call"].calendar_uid].dtstart.value.astimezone(UTC) == dt.datetime(
            2026, 3, 10, 13, 0, tzinfo=UTC
        )
        assert by_uid[full_mission["ritual"].calendar_uid].rrule.value == "FREQ=WEEKLY;BYDAY=MO"

    def test_nothing_internal_and_no_other_mission(self, client, mission, deliverable, full_mission):
        other = MissionFactory(collective=mission.collective, client=mission.client, title="Autre mission")
        DeliverableFactory(
            mission=other,
            title="Livrable secret",
            internal_date=dt.date(2026, 3, 25),
            announced_date=dt.date(2026, 3, 27),
        )

        content = text_of(fetch(client, mission, lang="en"))

        assert "20260316" not in content  # internal date of Maquettes
        assert "20260401" not in content  # internal date of Site en ligne
        assert "Internal" not in content
        assert "Secret" not in content
        assert "At risk" not in content
        assert "Livrable secret" not in content
        assert "Autre mission" not in content
        assert full_mission["cancelled"].calendar_uid not in content

    def test_in_the_language_asked_or_the_first_contact_s(self, client, mission, deliverable, alice, bob):
        english_feed = text_of(fetch(client, mission, lang="en"))
        default_feed = text_of(fetch(client, mission))

        assert "Delivery: Maquettes" in english_feed
        assert "Announced for March 20, 2026" in english_feed
        assert "20 mars 2026" in default_feed  # Alice, the first contact, reads French

    def test_a_stopped_weekly_call_leaves_the_feed(self, client, mission, lead, full_mission):
        ritual_call_stop(mission=mission, by=lead)

        content = text_of(fetch(client, mission, lang="en"))

        assert full_mission["ritual"].calendar_uid not in content
        assert "FREQ=WEEKLY" not in content


class TestAddress:
    def test_created_on_first_use_stable_and_hashed(self, mission):
        assert feeds.mission_feed_url(mission, create=False) == ""

        first = feeds.mission_feed_url(mission)
        again = feeds.mission_feed_url(mission)

        assert first == again
        feed = MissionCalendarFeed.objects.get()
        raw = path_of(first).rsplit("/", 1)[1].removesuffix(".ics")
        assert feed.token_hash == token_hash(raw)
        assert raw not in feed.token_hash
        assert len(raw) == 64
        assert feeds.mission_feed_url(mission, language="en") == first + "?lang=en"

    def test_regenerate_and_revoke(self, client, mission, lead):
        first = feeds.mission_feed_url(mission)

        second = feeds.mission_feed_regenerate(mission=mission, by=lead)

        assert second != first
        assert client.get(path_of(first)).status_code == 404
        assert client.get(path_of(second)).status_code == 200
        assert feeds.mission_feed_revoke(mission=mission, by=lead) is True
        assert client.get(path_of(second)).status_code == 404
        assert feeds.mission_feed_revoke(mission=mission, by=lead) is False

    def test_unknown_token_and_post_are_refused(self, client, mission):
        url = feeds.mission_feed_url(mission)

        assert client.get(reverse("portal:mission_feed", args=["nope"])).status_code == 404
        assert client.post(path_of(url)).status_code == 405

    def test_a_new_secret_key_gives_a_new_address(self, client, mission, settings):
        first = feeds.mission_feed_url(mission)
        settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"

        second = feeds.mission_feed_url(mission)

        assert second != first
        assert client.get(path_of(second)).status_code == 200

    def test_each_mission_has_its_own_address(self, client, mission, deliverable):
        other = MissionFactory(collective=mission.collective, client=mission.client, title="Autre mission")
        DeliverableFactory(mission=other, title="Livrable de l'autre")

        own = text_of(fetch(client, mission, lang="en"))
        theirs = text_of(client.get(path_of(feeds.mission_feed_url(other)), {"lang": "en"}))

        assert "Maquettes" in own and "Livrable de l'autre" not in own
        assert "Livrable de l'autre" in theirs and "Maquettes" not in theirs
