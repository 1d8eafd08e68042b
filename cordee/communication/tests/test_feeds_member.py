# ruff: noqa: F811 - the fixtures imported from calls_fixtures are parameters of the tests
"""The member’s own calendar feed gains their delivery calls and their missions' weekly calls."""

import datetime as dt

import pytest
from django.urls import reverse

from cordee.collectives.models import Membership
from cordee.communication.services.calls import delivery_call_cancel, delivery_call_schedule
from cordee.communication.services.rituals_calendar import ritual_call_save
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
from cordee.core.tests.factories import CollectiveFactory, MembershipFactory
from cordee.missions.models import Mission
from cordee.missions.services.calendar_feed import calendar_feed_create, calendar_feed_ics
from cordee.missions.tests.factories import (
    ClientContactFactory,
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def weekly(mission, lead, alice, teammate):
    ritual, _sent = ritual_call_save(
        mission=mission,
        by=lead,
        weekday=0,
        start_time=dt.time(9, 30),
        duration_minutes=30,
        video_link="https://meet.example.com/weekly",
        first_date=dt.date(2026, 3, 9),
    )
    return ritual


def schedule(deliverable, by, contact, users, starts_at=CALL_AT):
    return delivery_call_schedule(
        deliverable=deliverable,
        by=by,
        starts_at=starts_at,
        duration_minutes=30,
        video_link="https://meet.example.com/abc",
        attendee_contacts=[contact],
        attendee_users=users,
    )


def events_by_uid(data: bytes) -> dict:
    cal, vcal = parse_both(data)
    assert len(vcal.contents.get("vevent", [])) == len(cal.walk("VEVENT"))
    return cal, {str(event["UID"]): event for event in cal.walk("VEVENT")}, vcal


class TestMemberFeed:
    def test_my_calls_and_my_weekly_calls_with_their_zone(
        self, mission, deliverable, lead, teammate, alice, weekly
    ):
        mine = schedule(deliverable, lead, alice, [teammate])
        not_mine = schedule(deliverable, lead, alice, [lead], starts_at=CALL_AT + dt.timedelta(days=1))
        cancelled = schedule(deliverable, lead, alice, [teammate], starts_at=CALL_AT + dt.timedelta(days=2))
        delivery_call_cancel(call=cancelled, by=lead)

        cal, events, vcal = events_by_uid(calendar_feed_ics(user=teammate))

        assert mine.calendar_uid in events
        assert not_mine.calendar_uid not in events
        assert cancelled.calendar_uid not in events
        call_event = events[mine.calendar_uid]
        assert str(call_event["SUMMARY"]) == "Delivery call: Maquettes (Site vitrine)"
        assert call_event["DTSTART"].params["TZID"] == "Europe/Paris"
        assert call_event.decoded("DTSTART") == CALL_AT
        weekly_event = events[weekly.calendar_uid]
        assert str(weekly_event["SUMMARY"]) == "Weekly call: Site vitrine"
        assert weekly_event["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
        assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
        by_uid = {event.uid.value: event for event in vcal.vevent_list}
        assert by_uid[mine.calendar_uid].dtstart.value.astimezone(UTC) == dt.datetime(
            2026, 3, 10, 13, 0, tzinfo=UTC
        )
        occurrences = [
            when for _i, when in zip(range(4), by_uid[weekly.calendar_uid].getrruleset(), strict=False)
        ]
        assert {when.astimezone(PARIS).time() for when in occurrences} == {dt.time(9, 30)}
        assert occurrences[3].astimezone(UTC) == dt.datetime(2026, 3, 30, 7, 30, tzinfo=UTC)

    def test_the_lead_sees_the_calls_they_organise(self, mission, deliverable, lead, alice, teammate):
        call = schedule(deliverable, lead, alice, [teammate])

        _cal, events, _vcal = events_by_uid(calendar_feed_ics(user=lead))

        assert call.calendar_uid in events

    def test_not_after_leaving_the_collective(self, mission, deliverable, lead, alice, teammate, weekly):
        call = schedule(deliverable, lead, alice, [teammate])
        Membership.objects.filter(collective=mission.collective, user=teammate).delete()

        _cal, events, _vcal = events_by_uid(calendar_feed_ics(user=teammate))

        assert call.calendar_uid not in events
        assert weekly.calendar_uid not in events

    def test_no_weekly_call_of_a_mission_i_am_not_on_or_once_it_is_over(
        self, mission, lead, teammate, alice, weekly
    ):
        other = MissionFactory(collective=mission.collective, lead=lead, title="Autre")
        ClientContactFactory(client=other.client)
        other_ritual, _sent = ritual_call_save(
            mission=other,
            by=lead,
            weekday=2,
            start_time=dt.time(14, 0),
            duration_minutes=30,
            video_link="https://meet.example.com/other",
            first_date=dt.date(2026, 3, 4),
        )

        _cal, events, _vcal = events_by_uid(calendar_feed_ics(user=teammate))
        assert weekly.calendar_uid in events
        assert other_ritual.calendar_uid not in events

        Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.DELIVERED)
        _cal, events, _vcal = events_by_uid(calendar_feed_ics(user=teammate))
        assert weekly.calendar_uid not in events

    def test_two_collectives_in_two_zones(self, mission, deliverable, lead, alice, teammate):
        montreal = CollectiveFactory(time_zone="America/Montreal")
        MembershipFactory(collective=montreal, user=teammate)
        far_mission = MissionFactory(collective=montreal, title="Projet Québec")
        MissionMemberFactory(mission=far_mission, user=teammate)
        far_contact = ClientContactFactory(client=far_mission.client)
        far_deliverable = DeliverableFactory(mission=far_mission)
        far_call = schedule(
            far_deliverable,
            far_mission.lead,
            far_contact,
            [teammate],
            starts_at=dt.datetime(2026, 3, 12, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        )
        call = schedule(deliverable, lead, alice, [teammate])

        cal, events, vcal = events_by_uid(calendar_feed_ics(user=teammate))

        assert sorted(str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")) == ["America/Montreal", "Europe/Paris"]
        assert events[far_call.calendar_uid]["DTSTART"].params["TZID"] == "America/Montreal"
        assert events[call.calendar_uid]["DTSTART"].params["TZID"] == "Europe/Paris"
        by_uid = {event.uid.value: event for event in vcal.vevent_list}
        assert by_uid[far_call.calendar_uid].dtstart.value.astimezone(UTC) == dt.datetime(
            2026, 3, 12, 15, 0, tzinfo=UTC
        )

    def test_served_at_the_private_address(self, client, mission, deliverable, lead, alice, teammate):
        call = schedule(deliverable, lead, alice, [teammate])
        raw, _replaced = calendar_feed_create(user=teammate)

        response = client.get(reverse("missions:member_feed", args=[raw]))

        assert response.status_code == 200
        _cal, events, _vcal = events_by_uid(response.content)
        assert call.calendar_uid in events
