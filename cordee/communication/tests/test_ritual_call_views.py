# ruff: noqa: F811 - the fixtures imported from calls_fixtures are parameters of the tests
"""The weekly call page: set up with a preview, change, stop; the client's calendar address; rights."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from cordee.communication.models import Ritual
from cordee.communication.services.rituals_calendar import ritual_call_save
from cordee.communication.tests.calls_fixtures import (  # noqa: F401 - fixtures
    alice,
    bob,
    english,
    frozen_now,
    lead,
    lead_client,
    member_client,
    mission,
    teammate,
)
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory
from cordee.missions.models import Mission
from cordee.missions.tests.factories import ClientContactFactory
from cordee.portal.models import MissionCalendarFeed

pytestmark = pytest.mark.django_db

LINK = "https://meet.example.com/weekly"


def url(name, mission):
    return reverse(f"communication:{name}", args=[mission.collective.slug, mission.pk])


def data(**overrides):
    values = {
        "weekday": "0",
        "start_time": "09:30",
        "duration_minutes": "30",
        "video_link": LINK,
        "first_date": "2026-03-09",
        "action": "send",
    }
    values.update(overrides)
    return values


@pytest.fixture
def people(alice, bob, teammate):
    return alice, bob, teammate


@pytest.fixture
def running(mission, lead, people):
    ritual, _sent = ritual_call_save(
        mission=mission,
        by=lead,
        weekday=0,
        start_time=dt.time(9, 30),
        duration_minutes=30,
        video_link=LINK,
        first_date=dt.date(2026, 3, 9),
    )
    return ritual


class TestSetUp:
    def test_the_lead_sees_the_form_the_people_and_the_client_calendar(self, lead_client, mission, people):
        response = lead_client.get(url("ritual_call", mission))

        assert response.status_code == 200
        content = response.content.decode()
        assert "Set up the weekly call" in content
        assert "Alice Durand" in content
        assert "Tom Baker" in content
        assert 'value="preview"' in content
        assert "The client's calendar" in content
        assert "Create the address" in content
        assert url("ritual_videos", mission) in content

    def test_preview_shows_the_email_and_sends_nothing(self, lead_client, mission, people):
        response = lead_client.post(url("ritual_call", mission), data(action="preview"))

        preview = response.context["preview"]
        assert preview["recipient"].email == "alice@acme.fr"
        assert LINK in preview["body"]
        assert "9 mars 2026" in preview["body"]
        assert 'value="https://meet.example.com/weekly"' in response.content.decode()
        assert OutboundEmail.objects.count() == 0
        assert not Ritual.objects.filter(first_date__isnull=False).exists()

    def test_send(self, lead_client, mission, people):
        response = lead_client.post(url("ritual_call", mission), data(), follow=True)

        ritual = Ritual.objects.get(mission=mission)
        assert (ritual.weekday, ritual.start_time, ritual.first_date) == (
            0,
            dt.time(9, 30),
            dt.date(2026, 3, 9),
        )
        content = response.content.decode()
        assert "The weekly call is in the calendars: the invitation was sent to 4 people." in content
        assert "In the calendars" in content
        assert "Monday March 9, 2026" in content
        assert OutboundEmail.objects.count() == 4

    def test_a_first_date_on_another_weekday_is_refused_with_the_form_kept(
        self, lead_client, mission, people
    ):
        response = lead_client.post(url("ritual_call", mission), data(first_date="2026-03-10"))

        assert response.status_code == 200
        assert response.context["form"].errors["first_date"] == [
            "March 10, 2026 is a Tuesday: choose a Monday, or change the day of the call."
        ]
        content = response.content.decode()
        assert 'value="2026-03-10"' in content
        assert "choose a Monday" in content
        assert OutboundEmail.objects.count() == 0

    def test_a_past_first_date_is_refused(self, lead_client, mission, people):
        response = lead_client.post(url("ritual_call", mission), data(first_date="2026-02-23"))

        assert response.context["form"].errors["first_date"] == ["The first call cannot be in the past."]
        assert "The first call cannot be in the past." in response.content.decode()
        assert OutboundEmail.objects.count() == 0

    def test_change_then_nothing_changed(self, lead_client, mission, running):
        response = lead_client.post(url("ritual_call", mission), data(start_time="10:00"), follow=True)
        assert "The weekly call is in the calendars" in response.content.decode()
        running.refresh_from_db()
        assert running.sequence == 1

        response = lead_client.post(url("ritual_call", mission), data(start_time="10:00"), follow=True)

        assert "Nothing changed: no email was sent." in response.content.decode()
        assert OutboundEmail.objects.count() == 8

    def test_stop(self, lead_client, mission, running):
        response = lead_client.post(url("ritual_call_stop", mission), follow=True)

        running.refresh_from_db()
        assert running.is_active is False
        content = response.content.decode()
        assert (
            "The weekly call is stopped: everyone invited was told and it leaves their calendars." in content
        )
        assert "Stopped on" in content
        assert (
            OutboundEmail.objects.filter(idempotency_key__startswith=f"ritual:{running.pk}:seq:1:").count()
            == 4
        )

    def test_stop_needs_a_post(self, lead_client, mission, running):
        assert lead_client.get(url("ritual_call_stop", mission)).status_code == 405
        assert Ritual.objects.get().is_active is True

    def test_a_mission_with_the_weekly_video_links_to_it(self, lead_client, mission, people):
        Mission.objects.filter(pk=mission.pk).update(ritual_kind=Mission.RitualKind.ASYNC_VIDEO)

        response = lead_client.get(url("ritual_call", mission))

        content = response.content.decode()
        assert "This mission's weekly ritual is a video, not a call." in content
        assert url("ritual_videos", mission) in content
        assert 'name="action"' not in content

    def test_a_client_without_contacts(self, lead_client, mission):
        response = lead_client.get(url("ritual_call", mission))

        assert "has no contact yet: add the people to invite on the client" in response.content.decode()


class TestRights:
    def test_a_team_member_sees_the_call_but_cannot_change_it(self, member_client, mission, running):
        response = member_client.get(url("ritual_call", mission))

        content = response.content.decode()
        assert response.status_code == 200
        assert "In the calendars" in content
        assert 'name="action"' not in content
        assert "Stop the weekly call" not in content
        assert "The client's calendar" not in content

    def test_a_team_member_gets_403_on_every_change(self, member_client, mission, running):
        assert member_client.post(url("ritual_call", mission), data(start_time="11:00")).status_code == 403
        assert member_client.post(url("ritual_call_stop", mission)).status_code == 403
        assert member_client.post(url("client_feed_create", mission)).status_code == 403
        assert member_client.post(url("client_feed_revoke", mission)).status_code == 403
        running.refresh_from_db()
        assert (running.is_active, running.sequence, running.start_time) == (True, 0, dt.time(9, 30))
        assert OutboundEmail.objects.count() == 4
        assert MissionCalendarFeed.objects.count() == 0

    def test_another_collective_gets_404(self, client, mission, running):
        outsider = AdminMembershipFactory()
        client.force_login(outsider.user)
        names = ["ritual_call", "ritual_call_stop", "client_feed_create", "client_feed_revoke"]
        for name in names:
            for slug in (mission.collective.slug, outsider.collective.slug):
                target = reverse(f"communication:{name}", args=[slug, mission.pk])
                assert client.get(target).status_code == 404, target
                assert client.post(target, data()).status_code == 404, target
        running.refresh_from_db()
        assert (running.is_active, running.sequence) == (True, 0)
        assert MissionCalendarFeed.objects.count() == 0

    def test_anonymous_visitors_are_sent_to_log_in(self, client, mission):
        response = client.get(url("ritual_call", mission))

        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def shown_feed_url(response) -> str:
    """The client's calendar address as the page shows it (the portal's tag puts it there)."""
    return re.search(r'id="client-feed-url" type="text" value="([^"]+)"', response.content.decode()).group(1)


class TestClientCalendarAddress:
    def test_create_regenerate_revoke(self, lead_client, client, mission, people):
        response = lead_client.post(url("client_feed_create", mission), follow=True)
        first = shown_feed_url(response)
        assert first.startswith("http")
        assert "/portal/feeds/" in first
        content = response.content.decode()
        assert "The client&#x27;s calendar address is ready" in content
        assert f'value="{first}"' in content
        path = first.split("://", 1)[1].split("/", 1)[1]
        assert client.get("/" + path).status_code == 200

        response = lead_client.post(url("client_feed_create", mission), follow=True)
        second = shown_feed_url(response)
        assert second != first
        assert "The client&#x27;s calendar has a new address" in response.content.decode()
        assert "New address: send it to the client." in response.content.decode()
        assert client.get("/" + path).status_code == 404
        second_path = "/" + second.split("://", 1)[1].split("/", 1)[1]
        assert client.get(second_path).status_code == 200

        response = lead_client.post(url("client_feed_revoke", mission), follow=True)
        assert "calendars subscribed to it no longer update" in response.content.decode()
        assert client.get(second_path).status_code == 404
        assert MissionCalendarFeed.objects.count() == 0

    def test_page_queries_do_not_grow_with_people(
        self, lead_client, mission, running, django_assert_num_queries
    ):
        target = url("ritual_call", mission)
        lead_client.get(target)
        with django_assert_num_queries(10) as few:
            lead_client.get(target)
        for index in range(15):
            ClientContactFactory(client=mission.client, email=f"person{index}@acme.fr")
        with django_assert_num_queries(len(few.captured_queries)):
            response = lead_client.get(target)
        assert response.content.decode().count("@acme.fr") == 16
