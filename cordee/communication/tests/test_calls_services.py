# ruff: noqa: F811 - the fixtures imported from calls_fixtures are parameters of the tests
"""Delivery calls: the invitation sent by email, its update and its cancellation, read by two parsers."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from cordee.communication.models import DeliveryCall
from cordee.communication.services.calls import (
    delivery_call_cancel,
    delivery_call_file,
    delivery_call_schedule,
    delivery_call_update,
)
from cordee.communication.tests.calls_fixtures import (  # noqa: F401 - fixtures
    CALL_AT,
    PARIS,
    UTC,
    alice,
    bob,
    deliverable,
    emails_to,
    english,
    frozen_now,
    ics_of,
    lead,
    mission,
    parse_both,
    teammate,
)
from cordee.core.models import OutboundEmail
from cordee.missions.models import MissionEvent
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def call(deliverable, lead, alice, bob, teammate):
    return delivery_call_schedule(
        deliverable=deliverable,
        by=lead,
        starts_at=CALL_AT,
        duration_minutes=45,
        video_link="https://meet.example.com/abc-defg",
        attendee_contacts=[alice, bob],
        attendee_users=[lead, teammate],
    )


def _event(data: bytes):
    cal, vcal = parse_both(data)
    [event] = cal.walk("VEVENT")
    return cal, event, vcal, vcal.vevent


def _attendees(event) -> dict:
    found = event["ATTENDEE"]
    found = found if isinstance(found, list) else [found]
    return {str(a): {k: str(v) for k, v in a.params.items()} for a in found}


class TestSchedule:
    def test_one_email_per_attendee_in_their_language_with_the_invitation(self, call, mission):
        emails = list(OutboundEmail.objects.order_by("to_email"))

        assert [(e.to_email, e.language) for e in emails] == [
            ("alice@acme.fr", "fr"),
            ("bob@acme.com", "en"),
            ("lea@studio-nord.fr", "fr"),
            ("tom@studio-nord.fr", "en"),
        ]
        assert {e.idempotency_key for e in emails} == {
            f"call:{call.pk}:seq:0:alice@acme.fr",
            f"call:{call.pk}:seq:0:bob@acme.com",
            f"call:{call.pk}:seq:0:lea@studio-nord.fr",
            f"call:{call.pk}:seq:0:tom@studio-nord.fr",
        }
        assert {e.reply_to for e in emails} == {"lea@studio-nord.fr"}
        assert {e.from_email for e in emails} == {mission.collective.notification_sender()}
        for email in emails:
            [attachment] = email.attachments
            assert attachment["filename"] == "invite.ics"
            assert attachment["mimetype"] == 'text/calendar; method=REQUEST; charset="utf-8"'

    def test_email_says_what_when_the_link_and_the_announced_date(self, call):
        [to_alice] = emails_to("alice@acme.fr")
        [to_bob] = emails_to("bob@acme.com")

        assert (
            to_alice.subject == "Invitation : appel de livraison pour « Maquettes », 10 mars 2026 à 14:00"
            or ("Maquettes" in to_alice.subject and "10 mars 2026" in to_alice.subject)
        )
        assert "mardi 10 mars 2026" in to_alice.body_text
        assert "14:00" in to_alice.body_text
        assert "Europe/Paris" in to_alice.body_text
        assert "https://meet.example.com/abc-defg" in to_alice.body_text
        assert "20 mars 2026" in to_alice.body_text
        assert to_bob.subject == "Invitation: delivery call for “Maquettes”, March 10, 2026 at 2 p.m."
        assert "When: Tuesday March 10, 2026, 2 p.m. to 2:45 p.m. (Europe/Paris time)" in to_bob.body_text
        assert "Join the call: https://meet.example.com/abc-defg" in to_bob.body_text
        assert "“Maquettes” is announced for March 20, 2026." in to_bob.body_text
        assert "Hello Bob Smith," in to_bob.body_text
        assert "https://meet.example.com/abc-defg" in to_bob.body_html
        assert "Studio Nord" in to_bob.body_html

    def test_the_invitation_has_every_property_calendars_need(self, call):
        cal, event, vcal, vevent = _event(ics_of(emails_to("bob@acme.com").get()))

        assert str(cal["METHOD"]) == "REQUEST"
        assert str(cal["PRODID"]) == "-//Cordée//Cordée//FR"
        assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
        assert str(event["UID"]) == call.calendar_uid
        assert event["SEQUENCE"] == 0
        assert str(event["STATUS"]) == "CONFIRMED"
        assert str(event["SUMMARY"]) == "Delivery call: Maquettes (Site vitrine)"
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"
        assert event.decoded("DTSTART") == CALL_AT
        assert event.decoded("DTEND") == CALL_AT + dt.timedelta(minutes=45)
        assert event["DTSTAMP"].to_ical() == b"20260302T090000Z"
        assert str(event["LOCATION"]) == "https://meet.example.com/abc-defg"
        assert str(event["ORGANIZER"]) == "mailto:lea@studio-nord.fr"
        assert event["ORGANIZER"].params["CN"] == "Léa Martin"
        attendees = _attendees(event)
        assert set(attendees) == {
            "mailto:alice@acme.fr",
            "mailto:bob@acme.com",
            "mailto:lea@studio-nord.fr",
            "mailto:tom@studio-nord.fr",
        }
        for address in ("mailto:alice@acme.fr", "mailto:bob@acme.com", "mailto:tom@studio-nord.fr"):
            assert attendees[address]["RSVP"] == "TRUE"
            assert attendees[address]["ROLE"] == "REQ-PARTICIPANT"
            assert attendees[address]["PARTSTAT"] == "NEEDS-ACTION"
        assert attendees["mailto:alice@acme.fr"]["CN"] == "Alice Durand"
        assert attendees["mailto:lea@studio-nord.fr"]["ROLE"] == "CHAIR"
        # The second parser, with the file's own VTIMEZONE.
        assert vcal.method.value == "REQUEST"
        assert vevent.uid.value == call.calendar_uid
        assert vevent.sequence.value == "0"
        assert vevent.dtstart.value.astimezone(UTC) == dt.datetime(2026, 3, 10, 13, 0, tzinfo=UTC)
        assert vevent.dtstamp.value == dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        assert vevent.organizer.value == "mailto:lea@studio-nord.fr"
        assert {a.value: a.params["RSVP"] for a in vevent.attendee_list}["mailto:bob@acme.com"] == ["TRUE"]

    def test_each_person_gets_the_file_in_their_language(self, call):
        _c, french, _v, _e = _event(ics_of(emails_to("alice@acme.fr").get()))
        _c, english_event, _v, _e = _event(ics_of(emails_to("bob@acme.com").get()))

        assert str(french["SUMMARY"]).endswith("Maquettes (Site vitrine)")
        assert "20 mars 2026" in str(french["DESCRIPTION"])
        assert "March 20, 2026" in str(english_event["DESCRIPTION"])
        assert str(french["UID"]) == str(english_event["UID"])

    def test_the_call_and_the_history_are_recorded(self, call, deliverable, lead, alice, bob, teammate):
        call = DeliveryCall.objects.get()

        assert call.deliverable == deliverable
        assert call.organizer == lead
        assert call.sequence == 0
        assert call.cancelled_at is None
        assert set(call.attendee_contacts.all()) == {alice, bob}
        assert set(call.attendee_users.all()) == {lead, teammate}
        event = MissionEvent.objects.get(kind=MissionEvent.Kind.CALL_SCHEDULED)
        assert event.actor == lead
        assert event.data["call"] == call.pk

    def test_delivered_with_a_calendar_part_the_mail_clients_recognise(
        self, deliverable, lead, alice, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            delivery_call_schedule(
                deliverable=deliverable,
                by=lead,
                starts_at=CALL_AT,
                duration_minutes=30,
                attendee_contacts=[alice],
                attendee_users=[],
            )

        [message] = mail.outbox
        assert message.to == ["alice@acme.fr"]
        parts = [part for part in message.message().walk() if part.get_content_type() == "text/calendar"]
        assert len(parts) == 1
        assert parts[0].get_param("method") == "REQUEST"
        assert parts[0].get_filename() == "invite.ics"
        data = parts[0].get_payload(decode=True)
        cal, vcal = parse_both(data)
        assert str(cal["METHOD"]) == "REQUEST"
        assert vcal.vevent.attendee.value == "mailto:alice@acme.fr"

    def test_a_double_submission_sends_once(self, deliverable, lead, alice):
        call = delivery_call_schedule(
            deliverable=deliverable,
            by=lead,
            starts_at=CALL_AT,
            duration_minutes=30,
            attendee_contacts=[alice],
        )
        from cordee.communication.services.calls import _send, call_attendees
        from cordee.core.ics import METHOD_REQUEST

        attendees = call_attendees(call)
        _send(call, recipients=attendees, listed=attendees, method=METHOD_REQUEST, kind="new")

        assert OutboundEmail.objects.count() == 1


class TestScheduleRefusals:
    @pytest.fixture(autouse=True)
    def french(self):
        """Refusals are asserted in French, the site language (an earlier test may leave English active)."""
        with translation.override("fr"):
            yield

    def _schedule(self, deliverable, by, **overrides):
        values = {
            "deliverable": deliverable,
            "by": by,
            "starts_at": CALL_AT,
            "duration_minutes": 30,
            "attendee_contacts": [],
            "attendee_users": [],
        }
        values.update(overrides)
        return delivery_call_schedule(**values)

    def _nothing_happened(self):
        assert DeliveryCall.objects.count() == 0
        assert OutboundEmail.objects.count() == 0
        assert not MissionEvent.objects.filter(kind=MissionEvent.Kind.CALL_SCHEDULED).exists()

    def test_a_team_member_who_is_not_the_lead_cannot(self, deliverable, teammate, alice):
        with pytest.raises(PermissionDenied):
            self._schedule(deliverable, teammate, attendee_contacts=[alice])
        self._nothing_happened()

    def test_a_call_in_the_past_is_refused(self, deliverable, lead, alice):
        with pytest.raises(ValidationError) as error:
            self._schedule(
                deliverable,
                lead,
                starts_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS),
                attendee_contacts=[alice],
            )
        assert error.value.message_dict == {"start_date": ["L'appel doit avoir lieu dans le futur."]}
        self._nothing_happened()

    def test_at_least_one_client_contact(self, deliverable, lead):
        with pytest.raises(ValidationError) as error:
            self._schedule(deliverable, lead, attendee_users=[lead])
        assert error.value.message_dict == {"attendee_contacts": ["Invitez au moins un contact du client."]}
        self._nothing_happened()

    def test_a_contact_of_another_collective_is_refused(self, deliverable, lead, alice):
        stranger = ClientContactFactory(email="eve@elsewhere.fr")
        with pytest.raises(ValidationError) as error:
            self._schedule(deliverable, lead, attendee_contacts=[alice, stranger])
        assert error.value.message_dict == {
            "attendee_contacts": ["Seuls les contacts du client Acme peuvent être invités."]
        }
        self._nothing_happened()

    def test_a_contact_of_another_client_of_the_collective_is_refused(
        self, deliverable, lead, mission, alice
    ):
        other_mission = MissionFactory(collective=mission.collective)
        other = ClientContactFactory(client=other_mission.client)
        with pytest.raises(ValidationError):
            self._schedule(deliverable, lead, attendee_contacts=[alice, other])
        self._nothing_happened()

    def test_someone_outside_the_team_is_refused(self, deliverable, lead, alice):
        outsider = MissionFactory().lead
        with pytest.raises(ValidationError) as error:
            self._schedule(deliverable, lead, attendee_contacts=[alice], attendee_users=[outsider])
        assert error.value.message_dict == {
            "attendee_users": ["Seuls les membres de l'équipe de la mission peuvent être invités."]
        }
        self._nothing_happened()

    def test_a_duration_out_of_bounds_is_refused(self, deliverable, lead, alice):
        with pytest.raises(ValidationError) as error:
            self._schedule(deliverable, lead, attendee_contacts=[alice], duration_minutes=600)
        assert error.value.message_dict == {"duration_minutes": ["Un appel dure de 5 à 480 minutes."]}
        self._nothing_happened()


class TestReschedule:
    def test_same_uid_higher_sequence_and_the_update_to_everyone(self, call, lead, alice, bob, teammate):
        uid = call.calendar_uid
        later = dt.datetime(2026, 3, 11, 9, 30, tzinfo=PARIS)

        changed = delivery_call_update(
            call=call,
            by=lead,
            starts_at=later,
            duration_minutes=30,
            video_link="https://meet.example.com/new-room",
            attendee_contacts=[alice, bob],
            attendee_users=[lead, teammate],
        )

        assert changed is True
        call.refresh_from_db()
        assert call.calendar_uid == uid
        assert call.sequence == 1
        assert call.starts_at == later
        updates = OutboundEmail.objects.filter(idempotency_key__startswith=f"call:{call.pk}:seq:1:")
        assert sorted(updates.values_list("to_email", flat=True)) == [
            "alice@acme.fr",
            "bob@acme.com",
            "lea@studio-nord.fr",
            "tom@studio-nord.fr",
        ]
        to_bob = updates.get(to_email="bob@acme.com")
        assert to_bob.subject == "Updated: delivery call for “Maquettes”, March 11, 2026 at 9:30 a.m."
        assert "Instead of: Tuesday March 10, 2026, 2 p.m." in to_bob.body_text
        cal, event, vcal, vevent = _event(ics_of(to_bob))
        assert str(cal["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == uid
        assert event["SEQUENCE"] == 1
        assert event.decoded("DTSTART") == later
        assert vevent.uid.value == uid
        assert vevent.sequence.value == "1"
        assert vevent.dtstart.value.astimezone(UTC) == dt.datetime(2026, 3, 11, 8, 30, tzinfo=UTC)
        assert MissionEvent.objects.filter(kind=MissionEvent.Kind.CALL_RESCHEDULED).count() == 1

    def test_people_taken_off_get_a_cancellation_naming_only_them(self, call, lead, alice, bob, teammate):
        delivery_call_update(
            call=call,
            by=lead,
            starts_at=CALL_AT,
            duration_minutes=45,
            video_link="https://meet.example.com/abc-defg",
            attendee_contacts=[alice],
            attendee_users=[lead],
        )

        to_bob = OutboundEmail.objects.get(idempotency_key=f"call:{call.pk}:seq:1:bob@acme.com")
        cal, event, vcal, vevent = _event(ics_of(to_bob))
        assert to_bob.attachments[0]["mimetype"] == 'text/calendar; method=CANCEL; charset="utf-8"'
        assert str(cal["METHOD"]) == "CANCEL"
        assert str(event["UID"]) == call.calendar_uid
        assert event["SEQUENCE"] == 1
        assert list(_attendees(event)) == ["mailto:bob@acme.com"]
        assert vcal.method.value == "CANCEL"
        assert "You no longer need to attend the delivery call" in to_bob.body_text
        to_tom = OutboundEmail.objects.get(idempotency_key=f"call:{call.pk}:seq:1:tom@studio-nord.fr")
        assert str(parse_both(ics_of(to_tom))[0]["METHOD"]) == "CANCEL"
        to_alice = OutboundEmail.objects.get(idempotency_key=f"call:{call.pk}:seq:1:alice@acme.fr")
        _cal, alice_event, _v, _e = _event(ics_of(to_alice))
        assert set(_attendees(alice_event)) == {"mailto:alice@acme.fr", "mailto:lea@studio-nord.fr"}
        assert set(call.attendee_contacts.all()) == {alice}

    def test_nothing_changed_sends_nothing(self, call, lead, alice, bob, teammate):
        before = OutboundEmail.objects.count()

        changed = delivery_call_update(
            call=call,
            by=lead,
            starts_at=CALL_AT,
            duration_minutes=45,
            video_link="https://meet.example.com/abc-defg",
            attendee_contacts=[bob, alice],
            attendee_users=[teammate, lead],
        )

        assert changed is False
        call.refresh_from_db()
        assert call.sequence == 0
        assert OutboundEmail.objects.count() == before

    def test_a_stale_sequence_is_refused(self, call, lead, alice):
        DeliveryCall.objects.filter(pk=call.pk).update(sequence=5)
        before = OutboundEmail.objects.count()

        with pytest.raises(ValidationError):
            delivery_call_update(
                call=call,
                by=lead,
                starts_at=CALL_AT + dt.timedelta(hours=1),
                duration_minutes=45,
                attendee_contacts=[alice],
            )

        assert OutboundEmail.objects.count() == before
        assert DeliveryCall.objects.get().starts_at == CALL_AT

    def test_a_team_member_cannot_reschedule(self, call, teammate, alice):
        with pytest.raises(PermissionDenied):
            delivery_call_update(
                call=call,
                by=teammate,
                starts_at=CALL_AT + dt.timedelta(hours=1),
                duration_minutes=45,
                attendee_contacts=[alice],
            )
        call.refresh_from_db()
        assert (call.sequence, call.starts_at) == (0, CALL_AT)


class TestCancel:
    def test_cancel_sends_method_cancel_with_a_higher_sequence(self, call, lead):
        delivery_call_cancel(call=call, by=lead)

        call.refresh_from_db()
        assert call.cancelled_at is not None
        assert call.sequence == 1
        cancellations = OutboundEmail.objects.filter(idempotency_key__startswith=f"call:{call.pk}:seq:1:")
        assert cancellations.count() == 4
        to_alice = cancellations.get(to_email="alice@acme.fr")
        assert to_alice.attachments[0]["filename"] == "cancel.ics"
        assert to_alice.attachments[0]["mimetype"] == 'text/calendar; method=CANCEL; charset="utf-8"'
        cal, event, vcal, vevent = _event(ics_of(to_alice))
        assert str(cal["METHOD"]) == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == call.calendar_uid
        assert event["SEQUENCE"] == 1
        assert str(event["ORGANIZER"]) == "mailto:lea@studio-nord.fr"
        assert len(event["ATTENDEE"]) == 4
        assert vcal.method.value == "CANCEL"
        assert vevent.status.value == "CANCELLED"
        assert vevent.sequence.value == "1"
        assert to_alice.language == "fr"
        assert MissionEvent.objects.filter(kind=MissionEvent.Kind.CALL_CANCELLED).count() == 1

    def test_cancel_twice_is_refused_and_sends_nothing_more(self, call, lead):
        delivery_call_cancel(call=call, by=lead)
        count = OutboundEmail.objects.count()

        with pytest.raises(ValidationError):
            delivery_call_cancel(call=call, by=lead)

        assert OutboundEmail.objects.count() == count
        assert DeliveryCall.objects.get().sequence == 1

    def test_a_cancelled_call_cannot_be_rescheduled(self, call, lead, alice):
        delivery_call_cancel(call=call, by=lead)

        with pytest.raises(ValidationError):
            delivery_call_update(
                call=call, by=lead, starts_at=CALL_AT, duration_minutes=30, attendee_contacts=[alice]
            )

    def test_a_team_member_cannot_cancel(self, call, teammate):
        with pytest.raises(PermissionDenied):
            delivery_call_cancel(call=call, by=teammate)
        assert DeliveryCall.objects.get().cancelled_at is None

    def test_a_call_already_started_cannot_be_cancelled(self, call, lead, frozen_now):
        frozen_now.move_to(CALL_AT + dt.timedelta(minutes=5))

        with pytest.raises(ValidationError):
            delivery_call_cancel(call=call, by=lead)

        assert DeliveryCall.objects.get().cancelled_at is None


class TestDownload:
    def test_the_file_to_import_has_the_same_uid_and_sequence(self, call):
        cal, event, vcal, vevent = _event(delivery_call_file(call, language="en"))

        assert str(cal["METHOD"]) == "PUBLISH"
        assert str(event["UID"]) == call.calendar_uid
        assert event["SEQUENCE"] == 0
        assert vevent.uid.value == call.calendar_uid

    def test_the_file_of_a_cancelled_call_cancels_it(self, call, lead):
        delivery_call_cancel(call=call, by=lead)
        call.refresh_from_db()

        cal, event, vcal, vevent = _event(delivery_call_file(call, language="en"))

        assert str(cal["METHOD"]) == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert vevent.sequence.value == "1"
