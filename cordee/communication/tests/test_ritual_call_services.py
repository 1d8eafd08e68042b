# ruff: noqa: F811 - the fixtures imported from calls_fixtures are parameters of the tests
"""The weekly sync call: one recurring invitation, updated with a higher SEQUENCE, cancelled when stopped."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from cordee.communication.models import Ritual
from cordee.communication.services.rituals_calendar import (
    ritual_call_invited,
    ritual_call_next,
    ritual_call_save,
    ritual_call_stop,
)
from cordee.communication.tests.calls_fixtures import (  # noqa: F401 - fixtures
    PARIS,
    UTC,
    alice,
    bob,
    english,
    frozen_now,
    ics_of,
    lead,
    mission,
    parse_both,
    teammate,
)
from cordee.core.models import OutboundEmail
from cordee.missions.models import Mission, MissionEvent
from cordee.missions.services.missions import mission_close, mission_deliver, mission_update
from cordee.missions.tests.factories import ClientContactFactory

pytestmark = pytest.mark.django_db

LINK = "https://meet.example.com/weekly"


def save(mission, by, **overrides):
    values = {
        "weekday": 0,
        "start_time": dt.time(9, 30),
        "duration_minutes": 30,
        "video_link": LINK,
        "first_date": dt.date(2026, 3, 9),
    }
    values.update(overrides)
    return ritual_call_save(mission=mission, by=by, **values)


@pytest.fixture
def people(alice, bob, teammate):
    return alice, bob, teammate


def _email(ritual, sequence, address):
    return OutboundEmail.objects.get(idempotency_key=f"ritual:{ritual.pk}:seq:{sequence}:{address}")


class TestInvitation:
    def test_a_recurring_invitation_to_the_contacts_and_the_team(self, mission, lead, people):
        ritual, sent = save(mission, lead)

        assert sent is True
        assert ritual.sequence == 0
        assert sorted(OutboundEmail.objects.values_list("to_email", "language")) == [
            ("alice@acme.fr", "fr"),
            ("bob@acme.com", "en"),
            ("lea@studio-nord.fr", "fr"),
            ("tom@studio-nord.fr", "en"),
        ]
        to_bob = _email(ritual, 0, "bob@acme.com")
        assert to_bob.subject == "Invitation: weekly call “Site vitrine”, every Monday at 9:30 a.m."
        assert "When: every Monday, 9:30 a.m. to 10 a.m. (Europe/Paris time)" in to_bob.body_text
        assert "First call: March 9, 2026" in to_bob.body_text
        assert f"Join the call: {LINK}" in to_bob.body_text
        assert to_bob.reply_to == "lea@studio-nord.fr"
        assert to_bob.attachments[0]["mimetype"] == 'text/calendar; method=REQUEST; charset="utf-8"'
        cal, vcal = parse_both(ics_of(to_bob))
        [event] = cal.walk("VEVENT")
        assert str(cal["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == ritual.calendar_uid
        assert event["SEQUENCE"] == 0
        assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"
        assert event.decoded("DTSTART") == dt.datetime(2026, 3, 9, 9, 30, tzinfo=PARIS)
        assert event.decoded("DTEND") == dt.datetime(2026, 3, 9, 10, 0, tzinfo=PARIS)
        assert "DTSTAMP" in event
        assert str(event["ORGANIZER"]) == "mailto:lea@studio-nord.fr"
        attendees = {str(a): a.params["RSVP"] for a in event["ATTENDEE"]}
        assert attendees == {
            "mailto:alice@acme.fr": "TRUE",
            "mailto:bob@acme.com": "TRUE",
            "mailto:lea@studio-nord.fr": "FALSE",  # the organizer, who accepted
            "mailto:tom@studio-nord.fr": "TRUE",
        }
        assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Europe/Paris"]
        assert vcal.method.value == "REQUEST"
        assert vcal.vevent.rrule.value == "FREQ=WEEKLY;BYDAY=MO"
        assert vcal.vevent.uid.value == ritual.calendar_uid
        assert vcal.vevent.organizer.value == "mailto:lea@studio-nord.fr"
        assert MissionEvent.objects.filter(kind=MissionEvent.Kind.RITUAL_CALL_SENT).count() == 1

    def test_the_call_stays_at_9_30_in_paris_across_the_march_change(self, mission, lead, people):
        ritual, _sent = save(mission, lead, first_date=dt.date(2026, 3, 16))

        _cal, vcal = parse_both(ics_of(_email(ritual, 0, "alice@acme.fr")))

        occurrences = [when for _index, when in zip(range(4), vcal.vevent.getrruleset(), strict=False)]
        assert [when.astimezone(UTC) for when in occurrences] == [
            dt.datetime(2026, 3, 16, 8, 30, tzinfo=UTC),
            dt.datetime(2026, 3, 23, 8, 30, tzinfo=UTC),
            dt.datetime(2026, 3, 30, 7, 30, tzinfo=UTC),
            dt.datetime(2026, 4, 6, 7, 30, tzinfo=UTC),
        ]
        assert {when.astimezone(PARIS).time() for when in occurrences} == {dt.time(9, 30)}

    def test_a_change_keeps_the_uid_and_raises_the_sequence(self, mission, lead, people):
        ritual, _sent = save(mission, lead)
        uid = ritual.calendar_uid

        ritual, sent = save(
            mission, lead, weekday=1, start_time=dt.time(10, 0), first_date=dt.date(2026, 3, 10)
        )

        assert sent is True
        assert ritual.calendar_uid == uid
        assert ritual.sequence == 1
        to_bob = _email(ritual, 1, "bob@acme.com")
        assert to_bob.subject == "Updated: weekly call “Site vitrine”, every Tuesday at 10 a.m."
        cal, vcal = parse_both(ics_of(to_bob))
        [event] = cal.walk("VEVENT")
        assert str(event["UID"]) == uid
        assert event["SEQUENCE"] == 1
        assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=TU"
        assert vcal.vevent.sequence.value == "1"
        assert (
            OutboundEmail.objects.filter(idempotency_key__startswith=f"ritual:{ritual.pk}:seq:1:").count()
            == 4
        )

    def test_saving_without_a_change_sends_nothing(self, mission, lead, people):
        save(mission, lead)

        ritual, sent = save(mission, lead)

        assert sent is False
        assert ritual.sequence == 0
        assert OutboundEmail.objects.count() == 4

    def test_a_new_contact_joins_the_series_at_the_next_sending(self, mission, lead, people):
        save(mission, lead)
        ClientContactFactory(client=mission.client, full_name="Chloé Petit", email="chloe@acme.fr")

        ritual, sent = save(mission, lead)

        assert sent is True
        assert ritual.sequence == 1
        assert sorted(ritual_call_invited(ritual)) == [
            "alice@acme.fr",
            "bob@acme.com",
            "chloe@acme.fr",
            "lea@studio-nord.fr",
            "tom@studio-nord.fr",
        ]

    def test_someone_who_left_gets_a_cancellation(self, mission, lead, people):
        alice, bob, teammate = people
        save(mission, lead)
        bob.delete()

        ritual, _sent = save(mission, lead, start_time=dt.time(11, 0))

        to_bob = _email(ritual, 1, "bob@acme.com")
        cal, vcal = parse_both(ics_of(to_bob))
        assert str(cal["METHOD"]) == "CANCEL"
        assert vcal.vevent.attendee.value == "mailto:bob@acme.com"
        # Bob's contact is gone with his language: the cancellation falls back to the site language.
        assert "Votre présence n'est plus nécessaire à l'appel hebdomadaire" in to_bob.body_text

    def test_next_call(self, mission, lead, people, frozen_now):
        ritual, _sent = save(mission, lead)
        assert ritual_call_next(ritual, "Europe/Paris") == dt.datetime(2026, 3, 9, 9, 30, tzinfo=PARIS)

        frozen_now.move_to(dt.datetime(2026, 3, 9, 9, 45, tzinfo=PARIS))
        assert ritual_call_next(ritual, "Europe/Paris") == dt.datetime(2026, 3, 16, 9, 30, tzinfo=PARIS)


class TestRefusals:
    @pytest.fixture(autouse=True)
    def french(self):
        """Refusals are asserted in French, the site language (an earlier test may leave English active)."""
        with translation.override("fr"):
            yield

    def _nothing_sent(self, mission):
        assert OutboundEmail.objects.count() == 0
        assert not Ritual.objects.filter(mission=mission, first_date__isnull=False).exists()

    def test_a_team_member_cannot_set_it_up(self, mission, teammate, people):
        with pytest.raises(PermissionDenied):
            save(mission, teammate)
        self._nothing_sent(mission)

    def test_only_for_a_mission_whose_ritual_is_a_call(self, mission, lead, people):
        Mission.objects.filter(pk=mission.pk).update(ritual_kind=Mission.RitualKind.ASYNC_VIDEO)
        mission.refresh_from_db()

        with pytest.raises(ValidationError) as error:
            save(mission, lead)

        assert error.value.messages == [
            "Le rituel hebdomadaire de cette mission est une vidéo\u00a0: passez à l'appel hebdomadaire dans les paramètres de la mission."
        ]
        self._nothing_sent(mission)

    def test_the_first_date_must_be_the_weekday_and_ahead(self, mission, lead, people):
        with pytest.raises(ValidationError) as error:
            save(mission, lead, first_date=dt.date(2026, 3, 10))
        assert error.value.message_dict == {
            "first_date": ["Le premier appel doit tomber le jour de la semaine choisi."]
        }
        with pytest.raises(ValidationError) as error:
            save(mission, lead, first_date=dt.date(2026, 2, 23))
        assert error.value.message_dict == {
            "first_date": ["Le premier appel ne peut pas être dans le passé."]
        }
        self._nothing_sent(mission)

    def test_a_link_is_needed(self, mission, lead, people):
        with pytest.raises(ValidationError) as error:
            save(mission, lead, video_link="  ")
        assert error.value.message_dict == {
            "video_link": [
                "Indiquez le lien de la visioconférence\u00a0: il figure dans le calendrier de chacun."
            ]
        }
        self._nothing_sent(mission)

    def test_a_client_without_contacts(self, mission, lead, teammate):
        with pytest.raises(ValidationError) as error:
            save(mission, lead)
        assert error.value.messages == [
            "Le client n'a encore aucun contact\u00a0: ajoutez les personnes à inviter sur la page du client."
        ]
        self._nothing_sent(mission)


class TestStop:
    def _cancellations(self, ritual):
        return OutboundEmail.objects.filter(
            idempotency_key__startswith=f"ritual:{ritual.pk}:seq:{ritual.sequence}:"
        )

    def test_stop_sends_method_cancel_to_everyone_invited(self, mission, lead, people):
        ritual, _sent = save(mission, lead)

        assert ritual_call_stop(mission=mission, by=lead) is True

        ritual.refresh_from_db()
        assert ritual.is_active is False
        assert ritual.stopped_at is not None
        assert ritual.sequence == 1
        cancellations = self._cancellations(ritual)
        assert sorted(cancellations.values_list("to_email", flat=True)) == [
            "alice@acme.fr",
            "bob@acme.com",
            "lea@studio-nord.fr",
            "tom@studio-nord.fr",
        ]
        to_alice = cancellations.get(to_email="alice@acme.fr")
        assert to_alice.language == "fr"
        assert to_alice.attachments[0]["mimetype"] == 'text/calendar; method=CANCEL; charset="utf-8"'
        cal, vcal = parse_both(ics_of(to_alice))
        [event] = cal.walk("VEVENT")
        assert str(cal["METHOD"]) == "CANCEL"
        assert str(event["STATUS"]) == "CANCELLED"
        assert str(event["UID"]) == ritual.calendar_uid
        assert event["SEQUENCE"] == 1
        assert event["RRULE"].to_ical() == b"FREQ=WEEKLY;BYDAY=MO"
        assert vcal.method.value == "CANCEL"
        assert vcal.vevent.status.value == "CANCELLED"
        assert MissionEvent.objects.filter(kind=MissionEvent.Kind.RITUAL_CALL_STOPPED).count() == 1

    def test_stop_twice_sends_once(self, mission, lead, people):
        save(mission, lead)
        ritual_call_stop(mission=mission, by=lead)
        count = OutboundEmail.objects.count()

        assert ritual_call_stop(mission=mission, by=lead) is False
        assert OutboundEmail.objects.count() == count

    def test_no_call_set_up_nothing_to_stop(self, mission, lead, people):
        assert ritual_call_stop(mission=mission, by=lead) is False
        assert OutboundEmail.objects.count() == 0

    def test_a_team_member_cannot_stop(self, mission, lead, teammate, people):
        save(mission, lead)

        with pytest.raises(PermissionDenied):
            ritual_call_stop(mission=mission, by=teammate)

        assert Ritual.objects.get().is_active is True

    def test_setting_it_up_again_starts_a_new_series(self, mission, lead, people):
        ritual, _sent = save(mission, lead)
        first_uid = ritual.calendar_uid
        ritual_call_stop(mission=mission, by=lead)

        ritual, sent = save(mission, lead)

        assert sent is True
        assert ritual.is_active is True
        assert ritual.calendar_uid != first_uid
        assert ritual.sequence == 2
        cal, _vcal = parse_both(ics_of(_email(ritual, 2, "alice@acme.fr")))
        assert str(cal["METHOD"]) == "REQUEST"
        assert str(cal.walk("VEVENT")[0]["UID"]) == ritual.calendar_uid

    def test_delivering_the_mission_stops_it(self, mission, lead, people):
        ritual, _sent = save(mission, lead)

        mission_deliver(mission=mission, by=lead)

        ritual.refresh_from_db()
        assert ritual.is_active is False
        assert self._cancellations(ritual).count() == 4
        cancellation = self._cancellations(ritual).get(to_email="alice@acme.fr")
        assert str(parse_both(ics_of(cancellation))[0]["METHOD"]) == "CANCEL"

    def test_closing_the_mission_stops_a_call_still_running(self, mission, lead, people):
        """A call still running on a delivered mission (sent before delivering stopped it) stops at closing."""
        ritual, _sent = save(mission, lead)
        Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.DELIVERED)
        mission.refresh_from_db()

        mission_close(mission=mission, by=lead)

        ritual.refresh_from_db()
        assert ritual.is_active is False
        assert self._cancellations(ritual).count() == 4

    def test_switching_the_mission_to_videos_stops_it(self, mission, lead, people):
        ritual, _sent = save(mission, lead)
        data = {
            "title": mission.title,
            "description": mission.description,
            "client": mission.client,
            "start_date": mission.start_date,
            "ritual_kind": Mission.RitualKind.ASYNC_VIDEO,
        }

        mission_update(mission=mission, by=lead, data=data)

        ritual.refresh_from_db()
        assert ritual.is_active is False
        assert self._cancellations(ritual).count() == 4

    def test_other_setting_changes_keep_it(self, mission, lead, people):
        ritual, _sent = save(mission, lead)
        data = {
            "title": "Site vitrine v2",
            "client": mission.client,
            "start_date": mission.start_date,
            "ritual_kind": Mission.RitualKind.SYNC_CALL,
        }

        mission_update(mission=mission, by=lead, data=data)

        ritual.refresh_from_db()
        assert ritual.is_active is True
        assert OutboundEmail.objects.count() == 4
