"""The collective's rituals: creating, editing and cancelling events, RSVP rules, calendar feed tokens."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError

from cordee.communication.models import CollectiveEvent, EventFeedToken, EventResponse
from cordee.communication.services.events import (
    collective_event_cancel,
    collective_event_create,
    collective_event_update,
    event_feed_create,
    event_feed_lookup,
    event_feed_revoke,
    event_response_set,
    past_events,
    upcoming_events,
)
from cordee.communication.tests.rituals_factories import PARIS, CollectiveEventFactory, EventResponseFactory
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.core.tokens import token_hash

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def monday_noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def member(collective):
    return MembershipFactory(collective=collective).user


def paris(month, day, hour=0, minute=0):
    return dt.datetime(2026, month, day, hour, minute, tzinfo=PARIS)


def create(collective, by, **overrides):
    values = {
        "title": "Call hebdo",
        "starts_at": paris(3, 5, 9, 30),
        "duration_minutes": 45,
        "video_link": "https://meet.example.fr/hebdo",
    }
    values.update(overrides)
    return collective_event_create(collective=collective, by=by, **values)


def snapshot(event):
    event.refresh_from_db()
    return (event.title, event.starts_at, event.sequence, event.cancelled_at, event.calendar_uid)


# --- Create ----------------------------------------------------------------------------------------------


def test_any_member_creates_an_event(collective, member):
    event = create(collective, member, description="  Tour de table  ", title="  Call   hebdo ")

    assert (event.collective, event.created_by, event.title, event.description) == (
        collective,
        member,
        "Call hebdo",
        "Tour de table",
    )
    assert (event.starts_at, event.duration_minutes, event.sequence) == (paris(3, 5, 9, 30), 45, 0)
    assert event.ends_at == paris(3, 5, 10, 15)
    assert event.calendar_uid.endswith("@cordee.localhost")


def test_a_recurring_event_without_end_has_no_end_and_one_until_a_date_ends_with_its_last_occurrence(
    collective, member
):
    open_ended = create(collective, member, recurrence="weekly")
    bounded = create(collective, member, recurrence="biweekly", repeat_until=dt.date(2026, 4, 30))

    assert open_ended.ends_at is None
    assert bounded.ends_at == paris(4, 30, 10, 15)  # 5 March + 8 weeks, summer time


def test_an_until_date_without_recurrence_is_dropped(collective, member):
    event = create(collective, member, repeat_until=dt.date(2026, 4, 30))

    assert (event.recurrence, event.repeat_until) == ("", None)


def test_someone_outside_the_collective_cannot_create(collective):
    stranger = AdminMembershipFactory().user

    with pytest.raises(PermissionDenied):
        create(collective, stranger)

    assert CollectiveEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"title": "   "}, "title", "required"),
        ({"location": "", "video_link": ""}, "location", "where"),
        ({"video_link": "ftp://meet.example.fr/x"}, "video_link", "invalid"),
        ({"video_link": "javascript:alert(1)"}, "video_link", "invalid"),
        ({"starts_at": paris(3, 2, 11, 0)}, "starts_at", "past"),
        ({"duration_minutes": 0}, "duration_minutes", "too_short"),
        ({"duration_minutes": 15 * 24 * 60}, "duration_minutes", "too_long"),
        ({"recurrence": "daily"}, "recurrence", "invalid"),
        ({"recurrence": "weekly", "repeat_until": dt.date(2026, 3, 4)}, "repeat_until", "before_start"),
        ({"recurrence": "monthly", "starts_at": paris(3, 30, 9)}, "recurrence", "monthly_day"),
        ({"recurrence": "weekly", "duration_minutes": 8 * 24 * 60}, "duration_minutes", "overlap"),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_created(collective, member, overrides, field, code):
    with pytest.raises(ValidationError) as error:
        create(collective, member, **overrides)

    assert [item.code for item in error.value.error_dict[field]] == [code]
    assert CollectiveEvent.objects.count() == 0


def test_a_place_alone_is_enough(collective, member):
    event = create(collective, member, video_link="", location="Café des Arts, Lyon")

    assert (event.location, event.video_link) == ("Café des Arts, Lyon", "")


# --- Edit ------------------------------------------------------------------------------------------------


def test_the_creator_edits_the_event_and_its_sequence_goes_up_with_the_same_uid(collective, member):
    event = create(collective, member, recurrence="weekly")
    uid = event.calendar_uid

    updated = collective_event_update(
        event=event, by=member, starts_at=paris(3, 6, 10, 0), title="Call du vendredi"
    )

    assert updated.changed is True
    event.refresh_from_db()
    assert (event.title, event.starts_at, event.sequence, event.calendar_uid) == (
        "Call du vendredi",
        paris(3, 6, 10, 0),
        1,
        uid,
    )
    collective_event_update(event=event, by=member, repeat_until=dt.date(2026, 3, 27))
    event.refresh_from_db()
    assert (event.sequence, event.ends_at, event.calendar_uid) == (2, paris(3, 27, 10, 45), uid)


def test_an_admin_edits_someone_elses_event(collective, member, admin_user):
    event = create(collective, member)

    collective_event_update(event=event, by=admin_user, title="Call hebdo (déplacé)")

    event.refresh_from_db()
    assert (event.title, event.sequence) == ("Call hebdo (déplacé)", 1)


def test_an_unchanged_edit_keeps_the_sequence(collective, member):
    event = create(collective, member)

    updated = collective_event_update(event=event, by=member, title="Call hebdo", duration_minutes=45)

    assert updated.changed is False
    event.refresh_from_db()
    assert event.sequence == 0


def test_another_member_cannot_edit(collective, member):
    event = create(collective, member)
    before = snapshot(event)
    other = MembershipFactory(collective=collective).user

    with pytest.raises(PermissionDenied):
        collective_event_update(event=event, by=other, title="Pris")

    assert snapshot(event) == before


def test_an_admin_of_another_collective_cannot_edit(collective, member):
    event = create(collective, member)
    before = snapshot(event)

    with pytest.raises(PermissionDenied):
        collective_event_update(event=event, by=AdminMembershipFactory().user, title="Pris")

    assert snapshot(event) == before


def test_an_ongoing_series_keeps_its_past_start_when_edited(collective, member):
    event = CollectiveEventFactory(
        collective=collective, created_by=member, starts_at=paris(1, 8, 9, 30), recurrence="weekly"
    )

    collective_event_update(event=event, by=member, description="Nouvel ordre du jour")

    event.refresh_from_db()
    assert (event.description, event.starts_at, event.sequence) == (
        "Nouvel ordre du jour",
        paris(1, 8, 9, 30),
        1,
    )


def test_moving_a_start_into_the_past_is_refused(collective, member):
    event = create(collective, member)
    before = snapshot(event)

    with pytest.raises(ValidationError) as error:
        collective_event_update(event=event, by=member, starts_at=paris(3, 1, 9, 0))

    assert list(error.value.error_dict) == ["starts_at"]
    assert snapshot(event) == before


def test_a_cancelled_event_cannot_be_edited(collective, member):
    event = create(collective, member)
    collective_event_cancel(event=event, by=member)
    before = snapshot(event)

    with pytest.raises(ValidationError):
        collective_event_update(event=event, by=member, title="Revenu")

    assert snapshot(event) == before


# --- Cancel ----------------------------------------------------------------------------------------------


def test_cancelling_keeps_the_event_marked_and_raises_the_sequence_once(collective, member):
    event = create(collective, member)

    assert collective_event_cancel(event=event, by=member) is True
    assert collective_event_cancel(event=event, by=member) is False

    event.refresh_from_db()
    assert (event.cancelled_at, event.sequence) == (NOW, 1)
    assert upcoming_events(collective=collective) == []


def test_another_member_cannot_cancel(collective, member):
    event = create(collective, member)
    before = snapshot(event)

    with pytest.raises(PermissionDenied):
        collective_event_cancel(event=event, by=MembershipFactory(collective=collective).user)

    assert snapshot(event) == before


def test_an_admin_cancels_someone_elses_event(collective, member, admin_user):
    event = create(collective, member)

    assert collective_event_cancel(event=event, by=admin_user) is True


# --- Lists -----------------------------------------------------------------------------------------------


def test_upcoming_and_past_events_are_told_apart(collective, member):
    finished = CollectiveEventFactory(collective=collective, starts_at=paris(2, 20, 18))
    ongoing = CollectiveEventFactory(
        collective=collective, starts_at=paris(3, 2, 11, 30), duration_minutes=60
    )
    later = CollectiveEventFactory(collective=collective, starts_at=paris(3, 20, 18))
    series = CollectiveEventFactory(collective=collective, starts_at=paris(1, 5, 9, 30), recurrence="weekly")
    old_series = CollectiveEventFactory(
        collective=collective,
        starts_at=paris(1, 5, 9, 30),
        recurrence="weekly",
        repeat_until=dt.date(2026, 2, 23),
    )
    CollectiveEventFactory(collective=collective, starts_at=paris(3, 25, 9), cancelled_at=NOW)
    CollectiveEventFactory(starts_at=paris(3, 25, 9))  # another collective's

    upcoming = upcoming_events(collective=collective)

    assert upcoming == [ongoing, series, later]
    assert upcoming[1].next.starts_at == paris(3, 9, 9, 30)
    assert list(past_events(collective=collective)) == [old_series, finished]


# --- RSVP ------------------------------------------------------------------------------------------------


def test_a_member_answers_then_changes_their_answer(collective, member):
    event = create(collective, member)

    first = event_response_set(event=event, user=member, answer="maybe")
    second = event_response_set(event=event, user=member, answer="yes")

    assert first.pk == second.pk
    assert list(EventResponse.objects.values_list("event", "user", "answer", "collective")) == [
        (event.pk, member.pk, "yes", collective.pk)
    ]


def test_one_answer_per_member_and_event_is_enforced_by_the_database(collective, member):
    response = EventResponseFactory(event=create(collective, member), user=member)

    with pytest.raises(IntegrityError):
        EventResponse.objects.create(event=response.event, user=member, collective=collective, answer="no")


def test_every_member_answers_for_themselves(collective, member, admin_user):
    event = create(collective, member)

    event_response_set(event=event, user=member, answer="yes")
    event_response_set(event=event, user=admin_user, answer="no")

    assert dict(EventResponse.objects.values_list("user", "answer")) == {
        member.pk: "yes",
        admin_user.pk: "no",
    }


def test_for_a_series_one_answer_covers_it(collective, member):
    event = create(collective, member, recurrence="weekly")

    event_response_set(event=event, user=member, answer="yes")

    assert EventResponse.objects.filter(event=event).count() == 1


def test_someone_outside_the_collective_cannot_answer(collective, member):
    event = create(collective, member)

    with pytest.raises(PermissionDenied):
        event_response_set(event=event, user=AdminMembershipFactory().user, answer="yes")

    assert EventResponse.objects.count() == 0


@pytest.mark.parametrize("answer", ["", "peut-être", "YES"])
def test_an_unknown_answer_is_refused(collective, member, answer):
    event = create(collective, member)

    with pytest.raises(ValidationError):
        event_response_set(event=event, user=member, answer=answer)

    assert EventResponse.objects.count() == 0


def test_a_cancelled_or_finished_event_takes_no_answer(collective, member):
    cancelled = create(collective, member)
    collective_event_cancel(event=cancelled, by=member)
    finished = CollectiveEventFactory(collective=collective, starts_at=paris(2, 20, 18))

    for event in (cancelled, finished):
        with pytest.raises(ValidationError):
            event_response_set(event=event, user=member, answer="yes")

    assert EventResponse.objects.count() == 0


# --- Calendar feed tokens --------------------------------------------------------------------------------


def test_a_member_gets_a_private_feed_stored_hashed_then_regenerates_it(collective, member):
    raw, replaced = event_feed_create(user=member, collective=collective)

    assert replaced is False
    feed = EventFeedToken.objects.get()
    assert (feed.user, feed.collective, feed.token_hash) == (member, collective, token_hash(raw))
    assert raw not in feed.token_hash
    assert event_feed_lookup(raw_token=raw) == feed

    new_raw, replaced = event_feed_create(user=member, collective=collective)

    assert replaced is True
    assert EventFeedToken.objects.count() == 1
    assert event_feed_lookup(raw_token=raw) is None
    assert event_feed_lookup(raw_token=new_raw).user == member


def test_a_revoked_feed_no_longer_opens(collective, member):
    raw, _replaced = event_feed_create(user=member, collective=collective)

    assert event_feed_revoke(user=member, collective=collective) is True
    assert event_feed_revoke(user=member, collective=collective) is False
    assert event_feed_lookup(raw_token=raw) is None


def test_a_feed_is_per_collective(collective, member):
    other = MembershipFactory(user=member).collective

    raw_a, _ = event_feed_create(user=member, collective=collective)
    raw_b, _ = event_feed_create(user=member, collective=other)

    assert EventFeedToken.objects.count() == 2
    assert event_feed_lookup(raw_token=raw_a).collective == collective
    assert event_feed_lookup(raw_token=raw_b).collective == other


def test_a_feed_stops_when_the_member_leaves_or_is_deactivated(collective, member):
    raw, _ = event_feed_create(user=member, collective=collective)

    member.memberships.filter(collective=collective).delete()
    assert event_feed_lookup(raw_token=raw) is None

    admin = AdminMembershipFactory(collective=collective).user
    raw_admin, _ = event_feed_create(user=admin, collective=collective)
    admin.is_active = False
    admin.save()
    assert event_feed_lookup(raw_token=raw_admin) is None


def test_only_members_get_a_feed(collective):
    with pytest.raises(PermissionDenied):
        event_feed_create(user=AdminMembershipFactory().user, collective=collective)

    assert EventFeedToken.objects.count() == 0
