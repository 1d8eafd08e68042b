"""The member's private iCal feed of deadlines: created from My work, revocable, only their own items."""

import datetime as dt
import re
import zoneinfo

import pytest
import time_machine
from django.urls import reverse
from icalendar import Calendar

from cordee.core.tests.factories import MembershipFactory, UserFactory
from cordee.core.tokens import token_hash
from cordee.missions.models import CalendarFeedToken, Deliverable, Mission, Task
from cordee.missions.services.calendar_feed import (
    calendar_feed_create,
    calendar_feed_ics,
    calendar_feed_owner,
    calendar_feed_revoke,
)
from cordee.missions.tests.factories import (
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=PARIS)
TODAY = NOW.date()
MY_WORK_URL = reverse("missions:my_work")


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture(autouse=True)
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def me(db):
    return UserFactory(full_name="Camille Martin", language="en")


@pytest.fixture
def my_client(client, me):
    client.force_login(me)
    return client


@pytest.fixture
def mission(me):
    mission = MissionFactory(
        title="Site vitrine", collective__name="Studio Nord", collective__slug="studio-nord"
    )
    MembershipFactory(collective=mission.collective, user=me)
    MissionMemberFactory(mission=mission, user=me)
    return mission


def feed_url(raw_token):
    return reverse("missions:member_feed", args=[raw_token])


def events_of(response) -> dict:
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def subscribe(client) -> str:
    """Create the feed from My work and read the address shown once."""
    response = client.post(reverse("missions:calendar_feed_create"), follow=True)
    match = re.search(
        r'id="feed-url" value="http://127\.0\.0\.1:8000(/feeds/[^"]+\.ics)"', response.content.decode()
    )
    assert match, "the new address is shown"
    return match.group(1)


class TestServices:
    def test_only_the_hash_of_the_token_is_stored(self, me):
        raw, replaced = calendar_feed_create(user=me)

        feed = CalendarFeedToken.objects.get(user=me)
        assert replaced is False
        assert len(raw) >= 43
        assert feed.token_hash == token_hash(raw)
        assert raw not in feed.token_hash
        assert calendar_feed_owner(raw_token=raw) == me

    def test_regenerating_replaces_the_token(self, me):
        old, _ = calendar_feed_create(user=me)

        new, replaced = calendar_feed_create(user=me)

        assert replaced is True
        assert CalendarFeedToken.objects.filter(user=me).count() == 1
        assert calendar_feed_owner(raw_token=old) is None
        assert calendar_feed_owner(raw_token=new) == me

    def test_revoking_deletes_the_feed(self, me):
        raw, _ = calendar_feed_create(user=me)

        assert calendar_feed_revoke(user=me) is True
        assert calendar_feed_revoke(user=me) is False
        assert calendar_feed_owner(raw_token=raw) is None
        assert not CalendarFeedToken.objects.exists()

    def test_an_inactive_account_s_feed_does_not_open(self, me):
        raw, _ = calendar_feed_create(user=me)
        me.is_active = False
        me.save()

        assert calendar_feed_owner(raw_token=raw) is None


class TestFeed:
    def test_lists_my_tasks_and_deliverable_dates_as_all_day_events(self, client, me, mission):
        deliverable = DeliverableFactory(
            mission=mission,
            owner=me,
            title="Maquettes",
            internal_date=dt.date(2026, 3, 12),
            announced_date=dt.date(2026, 3, 16),
        )
        task = TaskFactory(
            mission=mission,
            assignee=me,
            title="Page d'accueil",
            due_date=dt.date(2026, 3, 10),
            deliverable=deliverable,
        )
        raw, _ = calendar_feed_create(user=me)

        response = client.get(feed_url(raw))

        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        calendar = Calendar.from_ical(response.content)
        assert str(calendar["X-WR-CALNAME"]) == "Cordée · my deadlines"
        assert str(calendar["VERSION"]) == "2.0"
        assert "METHOD" not in calendar  # a feed, like every feed: no METHOD, none in the content type
        events = events_of(response)
        assert set(events) == {
            f"task-{task.pk}@cordee",
            f"deliverable-{deliverable.pk}-internal@cordee",
            f"deliverable-{deliverable.pk}-announced@cordee",
        }
        task_event = events[f"task-{task.pk}@cordee"]
        assert str(task_event["SUMMARY"]) == "Due: Page d'accueil"
        assert task_event.decoded("DTSTART") == dt.date(2026, 3, 10)
        assert task_event.decoded("DTEND") == dt.date(2026, 3, 11)
        assert task_event.decoded("DTSTAMP") == NOW.astimezone(dt.UTC)
        board = "http://127.0.0.1:8000" + reverse("missions:board", args=["studio-nord", mission.pk])
        assert str(task_event["DESCRIPTION"]) == (
            f"Mission: Site vitrine (Studio Nord)\nDeliverable: Maquettes\nStatus: To do\n{board}"
        )
        assert str(task_event["URL"]) == board
        internal = events[f"deliverable-{deliverable.pk}-internal@cordee"]
        announced = events[f"deliverable-{deliverable.pk}-announced@cordee"]
        assert str(internal["SUMMARY"]) == "Internal due date: Maquettes"
        assert internal.decoded("DTSTART") == dt.date(2026, 3, 12)
        assert str(announced["SUMMARY"]) == "Announced to the client: Maquettes"
        assert announced.decoded("DTSTART") == dt.date(2026, 3, 16)
        assert "Mission: Site vitrine (Studio Nord)" in str(announced["DESCRIPTION"])
        assert "announced to the client: March 16, 2026" in str(announced["DESCRIPTION"])

    def test_uids_are_stable_from_one_fetch_to_the_next(self, client, me, mission, frozen_now):
        TaskFactory(mission=mission, assignee=me, due_date=dt.date(2026, 3, 10))
        raw, _ = calendar_feed_create(user=me)

        first = events_of(client.get(feed_url(raw)))
        frozen_now.shift(dt.timedelta(hours=2))
        second = events_of(client.get(feed_url(raw)))

        assert set(first) == set(second)
        assert len(first) == 1

    def test_the_feed_speaks_the_member_s_language(self, client, me, mission):
        me.language = "fr"
        me.save()
        TaskFactory(mission=mission, assignee=me, title="Maquette", due_date=dt.date(2026, 3, 10))
        raw, _ = calendar_feed_create(user=me)

        calendar = Calendar.from_ical(client.get(feed_url(raw)).content)

        event = calendar.walk("VEVENT")[0]
        assert str(event["SUMMARY"]) != "Due: Maquette"
        assert "Maquette" in str(event["SUMMARY"])

    def test_only_my_open_items_in_my_collectives_appear(self, client, me, mission):
        someone = UserFactory(language="en")
        MembershipFactory(collective=mission.collective, user=someone)
        TaskFactory(mission=mission, assignee=someone, title="Tâche d'un autre", due_date=TODAY)
        DeliverableFactory(mission=mission, owner=someone, title="Livrable d'un autre")
        TaskFactory(mission=mission, assignee=me, title="Sans date")
        TaskFactory(mission=mission, assignee=me, title="Faite", due_date=TODAY, status=Task.Status.DONE)
        DeliverableFactory(mission=mission, owner=me, title="Livré", status=Deliverable.Status.ACCEPTED)
        closed = MissionFactory(collective=mission.collective, status=Mission.Status.CLOSED)
        TaskFactory(mission=closed, assignee=me, title="Mission close", due_date=TODAY)
        left = MissionFactory(title="Collectif quitté")
        TaskFactory(mission=left, assignee=me, title="Ancien collectif", due_date=TODAY)
        mine = TaskFactory(mission=mission, assignee=me, title="La mienne", due_date=TODAY)
        raw, _ = calendar_feed_create(user=me)
        someone_raw, _ = calendar_feed_create(user=someone)

        events = events_of(client.get(feed_url(raw)))
        someone_events = events_of(client.get(feed_url(someone_raw)))

        assert [str(event["SUMMARY"]) for event in events.values()] == ["Due: La mienne"]
        assert f"task-{mine.pk}@cordee" in events
        assert f"task-{mine.pk}@cordee" not in someone_events
        assert "Due: Tâche d'un autre" in [str(event["SUMMARY"]) for event in someone_events.values()]

    def test_an_unknown_or_revoked_token_is_a_404(self, client, me):
        raw, _ = calendar_feed_create(user=me)
        calendar_feed_revoke(user=me)

        assert client.get(feed_url(raw)).status_code == 404
        assert client.get(feed_url("not-a-real-token-at-all-0123456789abcdef")).status_code == 404

    def test_the_feed_does_not_accept_posts(self, client, me):
        raw, _ = calendar_feed_create(user=me)

        assert client.post(feed_url(raw)).status_code == 405


class TestFromMyWork:
    def test_subscribing_shows_the_address_once_with_instructions(self, my_client, me, mission):
        TaskFactory(mission=mission, assignee=me, due_date=TODAY)

        response = my_client.post(reverse("missions:calendar_feed_create"), follow=True)

        assert response.redirect_chain == [(MY_WORK_URL + "#calendar", 302)]
        content = response.content.decode()
        assert "Your calendar address is ready: add it to your calendar now." in content
        path = re.search(r'id="feed-url" value="http://127\.0\.0\.1:8000(/feeds/[^"]+\.ics)"', content).group(
            1
        )
        assert 'href="webcal://127.0.0.1:8000/feeds/' in content
        assert "Google Calendar" in content and "Outlook" in content and "Apple Calendar" in content
        assert CalendarFeedToken.objects.get(user=me).token_hash == token_hash(
            path[len("/feeds/") : -len(".ics")]
        )
        again = my_client.get(MY_WORK_URL).content.decode()
        assert path not in again
        assert "Your deadlines are published to a private calendar address created on March 4, 2026." in again
        assert my_client.get(path).status_code == 200

    def test_regenerating_gives_a_new_address_and_the_old_one_is_a_404(self, my_client, me):
        old = subscribe(my_client)

        response = my_client.post(reverse("missions:calendar_feed_create"), follow=True)

        content = response.content.decode()
        assert "Your calendar has a new address: the previous one no longer works." in content
        new = re.search(r'id="feed-url" value="http://127\.0\.0\.1:8000(/feeds/[^"]+\.ics)"', content).group(
            1
        )
        assert new != old
        assert my_client.get(old).status_code == 404
        assert my_client.get(new).status_code == 200

    def test_revoking_makes_the_address_a_404(self, my_client, me):
        path = subscribe(my_client)

        response = my_client.post(reverse("missions:calendar_feed_revoke"), follow=True)

        assert "Your calendar address was revoked" in response.content.decode()
        assert "Subscribe in my calendar" in response.content.decode()
        assert not CalendarFeedToken.objects.filter(user=me).exists()
        assert my_client.get(path).status_code == 404

    def test_feed_actions_are_post_only_and_need_an_account(self, client, my_client, me):
        assert my_client.get(reverse("missions:calendar_feed_create")).status_code == 405
        assert my_client.get(reverse("missions:calendar_feed_revoke")).status_code == 405
        assert not CalendarFeedToken.objects.exists()
        client.logout()
        response = client.post(reverse("missions:calendar_feed_create"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert not CalendarFeedToken.objects.exists()

    def test_one_member_revoking_leaves_another_s_feed_alone(self, my_client, me):
        someone = UserFactory()
        someone_raw, _ = calendar_feed_create(user=someone)
        subscribe(my_client)

        my_client.post(reverse("missions:calendar_feed_revoke"))

        assert calendar_feed_owner(raw_token=someone_raw) == someone

    def test_the_ics_builder_is_usable_without_a_request(self, me, mission):
        TaskFactory(mission=mission, assignee=me, due_date=TODAY)

        calendar = Calendar.from_ical(calendar_feed_ics(user=me))

        assert len(calendar.walk("VEVENT")) == 1
