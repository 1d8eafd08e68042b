"""The .ics of a delivery call, downloaded from the portal: the same event as the emailed invitation."""

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
import vobject
from django.urls import reverse

from cordee.portal.tests.conftest import sign_in
from cordee.portal.tests.factories import DeliveryCallFactory

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def call(world):
    call = DeliveryCallFactory(
        deliverable=world.deliverables[0],
        starts_at=dt.datetime(2026, 3, 19, 14, 0, tzinfo=PARIS),
        duration_minutes=45,
        video_link="https://meet.example.fr/livraison-maquettes",
        sequence=2,
    )
    call.attendee_contacts.add(world.contact_x)
    return call


def download(client, call):
    return client.get(reverse("portal:call_ics", args=[call.pk]))


def test_the_file_is_a_calendar_attachment(client, world, call):
    sign_in(client, world.contact_x)

    response = download(client, call)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; method=PUBLISH; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="delivery-call-{call.pk}.ics"'


def test_icalendar_reads_the_event_with_its_uid_sequence_organizer_and_zone(client, world, call):
    sign_in(client, world.contact_x)
    lead = world.mission_x.lead

    calendar = icalendar.Calendar.from_ical(download(client, call).content)

    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["VERSION"] == "2.0"
    assert "PRODID" in calendar
    timezones = calendar.walk("VTIMEZONE")
    assert [str(zone["TZID"]) for zone in timezones] == ["Europe/Paris"]
    [event] = calendar.walk("VEVENT")
    assert str(event["UID"]) == call.calendar_uid
    assert event["SEQUENCE"] == 2
    assert str(event["SUMMARY"]) == "Delivery call: Maquettes (Refonte boutique)"
    assert str(event["ORGANIZER"]) == f"mailto:{lead.email}"
    assert event["ORGANIZER"].params["CN"] == lead.display_name
    attendees = event["ATTENDEE"] if isinstance(event["ATTENDEE"], list) else [event["ATTENDEE"]]
    paul = next(attendee for attendee in attendees if str(attendee) == "mailto:paul@lenoir.fr")
    assert paul.params["RSVP"] == "TRUE"
    start = event.decoded("DTSTART")
    assert start == dt.datetime(2026, 3, 19, 14, 0, tzinfo=PARIS)
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event.decoded("DTEND") - start == dt.timedelta(minutes=45)
    assert event.decoded("DTSTAMP").tzinfo is not None
    assert str(event["LOCATION"]) == "https://meet.example.fr/livraison-maquettes"
    assert "Deliverable: Maquettes" in str(event["DESCRIPTION"])
    assert "Join the call: https://meet.example.fr/livraison-maquettes" in str(event["DESCRIPTION"])


def test_vobject_reads_the_same_event(client, world, call):
    sign_in(client, world.contact_x)

    parsed = vobject.readOne(download(client, call).content.decode())

    assert parsed.method.value == "PUBLISH"
    event = parsed.vevent
    assert event.uid.value == call.calendar_uid
    assert event.sequence.value == "2"
    assert event.organizer.value == f"mailto:{world.mission_x.lead.email}"
    assert event.dtstart.value == dt.datetime(2026, 3, 19, 14, 0, tzinfo=PARIS)
    assert event.dtstart.value.utcoffset() == dt.timedelta(hours=1)
    assert event.dtstamp.value.tzinfo is not None
    assert "mailto:paul@lenoir.fr" in [attendee.value for attendee in event.attendee_list]


def test_a_rescheduled_call_keeps_its_uid_with_a_higher_sequence(client, world, call):
    sign_in(client, world.contact_x)
    before = icalendar.Calendar.from_ical(download(client, call).content).walk("VEVENT")[0]
    call.starts_at = dt.datetime(2026, 3, 20, 10, 0, tzinfo=PARIS)
    call.sequence = 3
    call.save()

    after = icalendar.Calendar.from_ical(download(client, call).content).walk("VEVENT")[0]

    assert str(after["UID"]) == str(before["UID"])
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert after.decoded("DTSTART") == dt.datetime(2026, 3, 20, 10, 0, tzinfo=PARIS)


def test_the_file_follows_the_contact_language(client, world, call):
    world.contact_x.language = "fr"
    world.contact_x.save()
    sign_in(client, world.contact_x)

    calendar = icalendar.Calendar.from_ical(download(client, call).content)

    description = str(calendar.walk("VEVENT")[0]["DESCRIPTION"])
    assert "20 mars 2026" in description  # the announced date, written in French
    assert response_language(client, call) == "fr"


def response_language(client, call) -> str:
    return download(client, call)["Content-Language"]
