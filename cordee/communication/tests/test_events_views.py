"""The collective's rituals pages: list, create, edit, cancel, answer, calendar address; rights and isolation."""

import datetime as dt
import html
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from cordee.communication.models import CollectiveEvent, EventFeedToken, EventResponse
from cordee.communication.tests.rituals_factories import PARIS, CollectiveEventFactory, EventResponseFactory
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def english(client):
    """Pages are asserted in English (the source language), whatever the French catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def monday_noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def member(collective):
    return MembershipFactory(collective=collective, user__full_name="Léa Martin").user


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def event(collective, member):
    return CollectiveEventFactory(
        collective=collective,
        created_by=member,
        title="Call hebdo",
        starts_at=dt.datetime(2026, 3, 5, 9, 30, tzinfo=PARIS),
        recurrence="weekly",
    )


def url(name, collective, *args):
    return reverse(f"communication:{name}", args=[collective.slug, *args])


def text(response) -> str:
    return html.unescape(response.content.decode())


def form_data(**overrides):
    data = {
        "title": "Déjeuner du collectif",
        "description": "On parle des missions",
        "date": "2026-03-12",
        "start_time": "12:30",
        "end_time": "14:00",
        "end_date": "",
        "location": "Café des Arts, Lyon",
        "video_link": "",
        "recurrence": "",
        "repeat_until": "",
    }
    data.update(overrides)
    return data


def snapshot(event):
    event.refresh_from_db()
    return (event.title, event.starts_at, event.duration_minutes, event.sequence, event.cancelled_at)


# --- List ------------------------------------------------------------------------------------------------


def test_the_page_lists_the_next_occurrences_and_the_events(member_client, collective, event):
    paul = MembershipFactory(collective=collective, user__full_name="Paul Durand").user
    EventResponseFactory(event=event, user=paul, answer="yes")

    response = member_client.get(url("events", collective))

    assert response.status_code == 200
    assert [(o.event, o.starts_at) for o in response.context["occurrences"]][:2] == [
        (event, dt.datetime(2026, 3, 5, 9, 30, tzinfo=PARIS)),
        (event, dt.datetime(2026, 3, 12, 9, 30, tzinfo=PARIS)),
    ]
    assert len(response.context["occurrences"]) == 8
    content = text(response)
    assert "Next 8 weeks" in content
    assert "Call hebdo" in content
    assert "1 going · 0 maybe · 0 not going" in " ".join(content.split())
    assert "Paul Durand" in content
    assert "Your answer covers the whole series." in content
    assert 'aria-current="page">Rituals</a>' in content


def test_an_empty_collective_says_what_to_do(member_client, collective):
    content = text(member_client.get(url("events", collective)))

    assert "No ritual planned yet." in content
    assert "Plan the first event" in content


def test_past_and_cancelled_events_have_their_own_lists(member_client, collective, event):
    finished = CollectiveEventFactory(
        collective=collective, title="Séminaire", starts_at=NOW - dt.timedelta(days=10)
    )
    cancelled = CollectiveEventFactory(collective=collective, title="Voyage", cancelled_at=NOW)

    past = member_client.get(url("events", collective) + "?show=past")
    gone = member_client.get(url("events", collective) + "?show=cancelled")
    upcoming = member_client.get(url("events", collective))

    assert list(past.context["page_obj"].object_list) == [finished]
    assert list(gone.context["page_obj"].object_list) == [cancelled]
    assert list(upcoming.context["page_obj"].object_list) == [event]
    assert "Are you coming?" not in text(past)  # a finished event takes no answer
    assert "Cancelled" in text(gone)


def test_upcoming_events_paginate(member_client, collective):
    for day in range(30):
        CollectiveEventFactory(collective=collective, starts_at=NOW + dt.timedelta(days=day + 1))

    first = member_client.get(url("events", collective))
    second = member_client.get(url("events", collective) + "?page=2")

    assert len(first.context["page_obj"].object_list) == 25
    assert len(second.context["page_obj"].object_list) == 5


@pytest.mark.parametrize("count", [1, 12])
@pytest.mark.parametrize("show", ["", "?show=past", "?show=cancelled"])
def test_the_page_runs_the_same_queries_with_few_or_many_events(
    member_client, collective, count, show, django_assert_num_queries
):
    for index in range(count):
        values = {"collective": collective, "recurrence": "weekly" if index % 2 else ""}
        if show == "?show=past":
            values["starts_at"] = NOW - dt.timedelta(days=30 + index)
            values["recurrence"] = ""
        if show == "?show=cancelled":
            values["cancelled_at"] = NOW
        created = CollectiveEventFactory(**values)
        EventResponseFactory(event=created)
        EventResponseFactory(event=created, answer="maybe")
    page_url = url("events", collective) + show
    member_client.get(page_url)

    with django_assert_num_queries(QUERIES[show]):
        response = member_client.get(page_url)

    assert len(response.context["page_obj"].object_list) == count


# user, memberships (the check and the switcher), the events, their answers with people, the feed
QUERIES = {"": 5, "?show=past": 6, "?show=cancelled": 6}


# --- Create ----------------------------------------------------------------------------------------------


def test_a_member_creates_an_event(member_client, collective, member):
    response = member_client.post(
        url("event_create", collective), form_data(recurrence="monthly"), follow=True
    )

    event = CollectiveEvent.objects.get()
    assert response.redirect_chain == [(url("events", collective) + f"#event-{event.pk}", 302)]
    assert (event.title, event.created_by, event.location, event.recurrence) == (
        "Déjeuner du collectif",
        member,
        "Café des Arts, Lyon",
        "monthly",
    )
    assert event.starts_at == dt.datetime(2026, 3, 12, 12, 30, tzinfo=PARIS)
    assert event.duration_minutes == 90
    assert "“Déjeuner du collectif” is in the collective's rituals: members can answer." in text(response)


def test_a_trip_over_several_days(member_client, collective):
    member_client.post(
        url("event_create", collective),
        form_data(title="Voyage à Lisbonne", start_time="08:00", end_date="2026-03-14", end_time="20:00"),
    )

    event = CollectiveEvent.objects.get()
    assert event.duration_minutes == 2 * 24 * 60 + 12 * 60


def test_the_form_shows_the_collectives_time_zone(member_client, collective):
    response = member_client.get(url("event_create", collective))

    assert response.status_code == 200
    assert "Times are in the collective's time zone (Europe/Paris)." in text(response)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"end_time": "12:00"}, "The event must end after it starts."),
        ({"location": "", "video_link": ""}, "Give a place, a video call link, or both"),
        ({"date": "2026-03-01"}, "The event would start in the past"),
        ({"video_link": "ftp://meet.example.fr"}, "Give a web address starting with https://"),
        (
            {"recurrence": "weekly", "repeat_until": "2026-03-01"},
            "The last date must be on or after the first one.",
        ),
        ({"title": ""}, "This field is required."),
    ],
)
def test_a_refused_event_shows_why_and_keeps_what_was_typed(member_client, collective, overrides, message):
    response = member_client.post(
        url("event_create", collective), form_data(description="Mon texte", **overrides)
    )

    assert response.status_code == 200
    assert CollectiveEvent.objects.count() == 0
    content = text(response)
    assert message in content
    assert "Mon texte</textarea>" in content
    assert 'value="14:00"' in content or overrides.get("end_time") == "12:00"


# --- Edit and cancel -------------------------------------------------------------------------------------


def test_the_creator_edits_the_event(member_client, collective, event):
    page = member_client.get(url("event_edit", collective, event.pk))
    assert page.status_code == 200
    assert page.context["form"].initial["start_time"] == dt.time(9, 30)
    assert page.context["form"].initial["recurrence"] == "weekly"

    response = member_client.post(
        url("event_edit", collective, event.pk),
        form_data(
            title="Call du jeudi",
            date="2026-03-05",
            start_time="10:00",
            end_time="10:30",
            recurrence="weekly",
        ),
        follow=True,
    )

    event.refresh_from_db()
    assert (event.title, event.starts_at, event.duration_minutes, event.sequence) == (
        "Call du jeudi",
        dt.datetime(2026, 3, 5, 10, 0, tzinfo=PARIS),
        30,
        1,
    )
    assert "was updated: subscribed calendars will show the change." in text(response)


def test_an_unchanged_form_changes_nothing(member_client, collective, event):
    page = member_client.get(url("event_edit", collective, event.pk))
    data = {key: ("" if value is None else value) for key, value in page.context["form"].initial.items()}
    data.update(date="2026-03-05", start_time="09:30", end_time="10:15")

    response = member_client.post(url("event_edit", collective, event.pk), data, follow=True)

    assert "Nothing was changed." in text(response)
    event.refresh_from_db()
    assert event.sequence == 0


def test_another_member_cannot_edit_or_cancel(client, collective, event):
    before = snapshot(event)
    client.force_login(MembershipFactory(collective=collective).user)

    page = client.get(url("event_edit", collective, event.pk))
    edit = client.post(url("event_edit", collective, event.pk), form_data(title="Pris"))
    cancel = client.post(url("event_cancel", collective, event.pk))

    assert (page.status_code, edit.status_code, cancel.status_code) == (403, 403, 403)
    assert "Only the person who created the event and the collective's admins change it." in text(edit)
    assert "Only the person who created the event and the collective's admins cancel it." in text(cancel)
    assert "Nothing was changed." in text(cancel)
    assert snapshot(event) == before


def test_the_list_offers_edit_and_cancel_only_to_those_who_may(client, collective, event):
    client.force_login(MembershipFactory(collective=collective).user)
    assert url("event_edit", collective, event.pk) not in text(client.get(url("events", collective)))

    client.force_login(AdminMembershipFactory(collective=collective).user)
    assert url("event_edit", collective, event.pk) in text(client.get(url("events", collective)))


def test_an_admin_cancels_the_event(admin_client, collective, event):
    response = admin_client.post(url("event_cancel", collective, event.pk), follow=True)

    event.refresh_from_db()
    assert (event.cancelled_at, event.sequence) == (NOW, 1)
    assert "“Call hebdo” was cancelled: it disappears from the members' calendars." in text(response)
    assert list(response.context["page_obj"].object_list) == []


def test_cancel_only_answers_posts(member_client, collective, event):
    assert member_client.get(url("event_cancel", collective, event.pk)).status_code == 405
    assert snapshot(event)[4] is None


def test_a_cancelled_event_cannot_be_edited(member_client, collective, event):
    member_client.post(url("event_cancel", collective, event.pk))
    before = snapshot(event)

    response = member_client.post(
        url("event_edit", collective, event.pk), form_data(title="Revenu"), follow=True
    )

    assert "This event was cancelled: it can no longer change." in text(response)
    assert snapshot(event) == before


# --- RSVP ------------------------------------------------------------------------------------------------


def test_a_member_answers_then_changes_their_answer(member_client, collective, event, member):
    response = member_client.post(url("event_rsvp", collective, event.pk), {"answer": "maybe"}, follow=True)
    assert response.redirect_chain == [(url("events", collective) + f"#event-{event.pk}", 302)]
    assert "Your answer to “Call hebdo” is saved." in text(response)

    member_client.post(url("event_rsvp", collective, event.pk), {"answer": "yes"})

    assert list(EventResponse.objects.values_list("user", "answer")) == [(member.pk, "yes")]
    content = text(member_client.get(url("events", collective)))
    assert re.search(r'value="yes" class="button button--small" aria-pressed="true"', content)


def test_answering_in_place_returns_the_fresh_card(member_client, collective, event, member):
    response = member_client.post(
        url("event_rsvp", collective, event.pk), {"answer": "no"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    content = text(response)
    assert content.lstrip().startswith(f'<article class="card event" id="event-{event.pk}"')
    assert "0 going · 0 maybe · 1 not going" in " ".join(content.split())
    assert 'value="no" class="button button--small" aria-pressed="true"' in content
    assert EventResponse.objects.get().answer == "no"


def test_an_unknown_answer_is_refused(member_client, collective, event):
    response = member_client.post(url("event_rsvp", collective, event.pk), {"answer": "sure"}, follow=True)

    assert "Answer going, maybe or not going." in text(response)
    assert EventResponse.objects.count() == 0


def test_a_cancelled_event_takes_no_answer(member_client, collective, event):
    member_client.post(url("event_cancel", collective, event.pk))

    response = member_client.post(
        url("event_rsvp", collective, event.pk), {"answer": "yes"}, HTTP_HX_REQUEST="true"
    )

    assert "This event was cancelled." in text(response)
    assert EventResponse.objects.count() == 0


def test_answering_only_takes_posts(member_client, collective, event):
    assert member_client.get(url("event_rsvp", collective, event.pk)).status_code == 405


# --- Calendar address ------------------------------------------------------------------------------------


def test_the_calendar_address_is_shown_once_then_regenerated_and_revoked(member_client, collective, member):
    created = member_client.post(url("events_feed_create", collective), follow=True)

    feed_url = created.context["new_feed_url"]
    raw = feed_url.rsplit("/", 1)[1].removesuffix(".ics")
    assert feed_url == "http://127.0.0.1:8000" + reverse("communication:events_feed", args=[raw])
    assert EventFeedToken.objects.get().user == member
    assert "Your rituals calendar address is ready" in text(created)
    assert created.context["new_feed_webcal_url"].startswith("webcal://")
    again = member_client.get(url("events", collective))
    assert again.context["new_feed_url"] == ""
    assert raw not in text(again)
    assert "Generate a new address" in text(again)

    regenerated = member_client.post(url("events_feed_create", collective), follow=True)
    assert regenerated.context["new_feed_url"] != feed_url
    assert member_client.get(feed_url.replace("http://127.0.0.1:8000", "")).status_code == 404
    assert EventFeedToken.objects.count() == 1

    revoked = member_client.post(url("events_feed_revoke", collective), follow=True)
    assert "Your rituals calendar address was revoked" in text(revoked)
    assert EventFeedToken.objects.count() == 0
    again = member_client.post(url("events_feed_revoke", collective), follow=True)
    assert "You had no rituals calendar address." in text(again)


def test_calendar_actions_only_take_posts(member_client, collective):
    assert member_client.get(url("events_feed_create", collective)).status_code == 405
    assert member_client.get(url("events_feed_revoke", collective)).status_code == 405
    assert EventFeedToken.objects.count() == 0


# --- Isolation -------------------------------------------------------------------------------------------


def test_a_member_of_another_collective_gets_404_everywhere(client, collective, event):
    outsider = AdminMembershipFactory()
    client.force_login(outsider.user)
    before = snapshot(event)
    own = outsider.collective

    for name in ("events", "event_create"):
        assert client.get(url(name, collective)).status_code == 404
    for name in ("events_feed_create", "events_feed_revoke"):
        assert client.post(url(name, collective)).status_code == 404
    for name in ("event_edit", "event_cancel", "event_rsvp"):
        # B's event under B's slug, and smuggled under the outsider's own slug
        assert client.post(url(name, collective, event.pk), form_data(answer="yes")).status_code == 404
        assert client.post(url(name, own, event.pk), form_data(answer="yes")).status_code == 404
        assert client.get(url(name, own, event.pk)).status_code == 404
    assert snapshot(event) == before
    assert EventResponse.objects.count() == 0
    assert EventFeedToken.objects.count() == 0


def test_anonymous_visitors_are_sent_to_log_in(client, collective, event):
    for target in (
        url("events", collective),
        url("event_create", collective),
        url("event_edit", collective, event.pk),
        url("event_cancel", collective, event.pk),
        url("event_rsvp", collective, event.pk),
        url("events_feed_create", collective),
        url("events_feed_revoke", collective),
    ):
        response = client.get(target)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
