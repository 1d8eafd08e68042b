"""Inviting the members to a ritual by email: METHOD:REQUEST, then updates and METHOD:CANCEL, same UID."""

import datetime as dt

import icalendar
import pytest
import time_machine
import vobject
from django.core import mail
from django.urls import reverse
from django.utils import translation

from cordee.communication.services.events import (
    collective_event_cancel,
    collective_event_create,
    collective_event_update,
    event_feed_create,
)
from cordee.communication.tests.rituals_factories import PARIS
from cordee.core import outbox
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=PARIS)


@pytest.fixture(autouse=True)
def monday_noon():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def creator(collective):
    return MembershipFactory(
        collective=collective, user__full_name="Léa Martin", user__email="lea@collectif.fr"
    ).user


@pytest.fixture
def others(collective, admin_user):
    paul = MembershipFactory(
        collective=collective,
        user__full_name="Paul Durand",
        user__email="paul@collectif.fr",
        user__language="en",
    ).user
    return [admin_user, paul]


def create(collective, creator, **overrides):
    values = {
        "title": "Call hebdo",
        "starts_at": dt.datetime(2026, 3, 19, 9, 30, tzinfo=PARIS),
        "duration_minutes": 45,
        "video_link": "https://meet.example.fr/hebdo",
        "recurrence": "weekly",
        "invite_members": True,
    }
    values.update(overrides)
    return collective_event_create(collective=collective, by=creator, **values)


def invitation_of(email: OutboundEmail) -> bytes:
    (attachment,) = email.attachments
    return outbox.attachment_content(attachment)


def parse(data: bytes):
    calendar = icalendar.Calendar.from_ical(data)
    vcalendar = vobject.readOne(data.decode())
    (event,) = calendar.walk("VEVENT")
    return calendar, event, vcalendar


def test_every_other_member_gets_an_invitation_their_calendar_accepts(collective, creator, others):
    event = create(collective, creator)

    assert event.invited == 2
    emails = {email.to_email: email for email in OutboundEmail.objects.all()}
    assert set(emails) == {user.email for user in others}
    paul = emails["paul@collectif.fr"]
    assert paul.language == "en"
    assert paul.subject == "Invitation: Call hebdo (March 19, 2026)"
    assert paul.reply_to == "lea@collectif.fr"
    assert paul.from_email == collective.notification_sender()
    assert paul.idempotency_key == f"event-invite:{event.pk}:{others[1].pk}:0"
    assert "Léa Martin invites you to “Call hebdo”" in paul.body_text
    assert "When: Thursday 19 March 2026, 9:30 a.m.–10:15 a.m." in paul.body_text
    assert reverse("communication:events", args=[collective.slug]) + f"#event-{event.pk}" in paul.body_text
    assert paul.attachments[0]["mimetype"] == 'text/calendar; method=REQUEST; charset="utf-8"'

    calendar, vevent, vcalendar = parse(invitation_of(paul))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert vcalendar.method.value == "REQUEST"
    assert str(vevent["UID"]) == event.calendar_uid
    assert int(vevent["SEQUENCE"]) == 0
    assert str(vevent["ORGANIZER"]) == "mailto:lea@collectif.fr"
    attendee = vevent["ATTENDEE"]
    assert str(attendee) == "mailto:paul@collectif.fr"
    assert (attendee.params["RSVP"], attendee.params["CN"]) == ("TRUE", "Paul Durand")
    assert vevent.decoded("DTSTART") == dt.datetime(2026, 3, 19, 9, 30, tzinfo=PARIS)
    assert b"DTSTART;TZID=Europe/Paris:20260319T093000" in invitation_of(paul)
    assert vevent["RRULE"]["FREQ"] == ["WEEKLY"]
    assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    assert vcalendar.vevent.attendee.params["RSVP"] == ["TRUE"]


def test_members_subscribed_to_the_rituals_calendar_get_the_email_without_the_file(
    collective, creator, others
):
    event_feed_create(user=others[1], collective=collective)

    create(collective, creator)

    emails = {email.to_email: email for email in OutboundEmail.objects.all()}
    assert emails["paul@collectif.fr"].attachments == []
    assert "It is already in the rituals calendar you subscribed to." in emails["paul@collectif.fr"].body_text
    assert len(emails[others[0].email].attachments) == 1


def test_without_the_choice_no_one_is_emailed_then_or_later(collective, creator, others):
    event = create(collective, creator, invite_members=False)
    collective_event_update(event=event, by=creator, title="Call du jeudi")
    collective_event_cancel(event=event, by=creator)

    assert event.invited == 0
    assert OutboundEmail.objects.count() == 0


def test_a_change_sends_an_update_with_the_same_uid_and_a_higher_sequence(collective, creator, others):
    event = create(collective, creator)

    collective_event_update(event=event, by=creator, starts_at=dt.datetime(2026, 3, 20, 10, 0, tzinfo=PARIS))

    updates = OutboundEmail.objects.filter(idempotency_key__endswith=":1").order_by("to_email")
    assert updates.count() == 2
    paul = updates.get(to_email="paul@collectif.fr")
    assert paul.subject == "Changed: Call hebdo"
    calendar, vevent, _vcalendar = parse(invitation_of(paul))
    assert str(calendar["METHOD"]) == "REQUEST"
    assert (str(vevent["UID"]), int(vevent["SEQUENCE"])) == (event.calendar_uid, 1)
    assert vevent.decoded("DTSTART") == dt.datetime(2026, 3, 20, 10, 0, tzinfo=PARIS)


def test_an_unchanged_edit_sends_nothing(collective, creator, others):
    event = create(collective, creator)

    collective_event_update(event=event, by=creator, title="Call hebdo")

    assert OutboundEmail.objects.count() == 2


def test_a_cancellation_sends_method_cancel(collective, creator, others):
    event = create(collective, creator)

    collective_event_cancel(event=event, by=creator)
    collective_event_cancel(event=event, by=creator)  # a second click sends nothing more

    cancellations = OutboundEmail.objects.filter(idempotency_key__endswith=":1")
    assert cancellations.count() == 2
    paul = cancellations.get(to_email="paul@collectif.fr")
    assert paul.subject == "Cancelled: Call hebdo"
    assert paul.attachments[0]["mimetype"] == 'text/calendar; method=CANCEL; charset="utf-8"'
    calendar, vevent, vcalendar = parse(invitation_of(paul))
    assert str(calendar["METHOD"]) == "CANCEL"
    assert vcalendar.method.value == "CANCEL"
    assert (str(vevent["UID"]), int(vevent["SEQUENCE"]), str(vevent["STATUS"])) == (
        event.calendar_uid,
        1,
        "CANCELLED",
    )


def test_the_invitation_is_delivered_with_its_calendar_part(
    collective, creator, others, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        create(collective, creator)

    message = next(item for item in mail.outbox if item.to == ["paul@collectif.fr"])
    (attachment,) = message.attachments
    assert attachment[0] == "invite.ics"
    assert attachment[2].startswith("text/calendar; method=REQUEST")


def test_the_create_page_invites_by_default(client, collective, creator, others):
    client.force_login(creator)
    with translation.override("en"):
        page = client.get(
            reverse("communication:event_create", args=[collective.slug]), HTTP_ACCEPT_LANGUAGE="en"
        )
        assert page.context["form"]["invite_members"].initial is True
        response = client.post(
            reverse("communication:event_create", args=[collective.slug]),
            {
                "title": "Déjeuner",
                "date": "2026-03-12",
                "start_time": "12:30",
                "end_time": "14:00",
                "location": "Café des Arts",
                "invite_members": "on",
            },
            follow=True,
            HTTP_ACCEPT_LANGUAGE="en",
        )

    assert "2 members were invited by email." in response.content.decode()
    assert OutboundEmail.objects.count() == 2
