"""Deliverables: announced dates with margin, status, on-time rate, and delay notices."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import DelayNotice, Deliverable, MissionEvent
from cordee.missions.queries.deliverables import mission_on_time_rate
from cordee.missions.services.deliverables import (
    OnTimeRate,
    delay_notice_send,
    deliverable_announced_date_reset,
    deliverable_change_status,
    deliverable_create,
    deliverable_delete,
    deliverable_update,
)
from cordee.missions.tests.factories import (
    ClientContactFactory,
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
START = dt.date(2026, 3, 2)  # a Monday


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS), tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def mission():
    return MissionFactory(start_date=START)


@pytest.fixture
def lead(mission):
    return mission.lead


def create(mission, **changes):
    arguments = {
        "mission": mission,
        "collective": mission.collective,
        "by": mission.lead,
        "title": "Maquettes",
        "internal_date": dt.date(2026, 3, 27),
    }
    arguments.update(changes)
    return deliverable_create(**arguments)


def update(deliverable, **changes):
    arguments = {
        "deliverable": deliverable,
        "by": deliverable.mission.lead,
        "title": deliverable.title,
        "description": deliverable.description,
        "owner": deliverable.owner,
        "internal_date": deliverable.internal_date,
        "announced_date": deliverable.announced_date if deliverable.announced_date_overridden else None,
    }
    arguments.update(changes)
    return deliverable_update(**arguments)


def events(kind):
    return list(MissionEvent.objects.filter(kind=kind).values_list("summary", "is_flagged"))


class TestAnnouncedDate:
    def test_by_default_it_is_the_internal_date_plus_the_margin(self, mission, lead):
        # 2 → 27 March: 19 business days after the start, 20 % → 4 business days: Thursday 2 April.
        deliverable = create(mission, owner=lead, description="Les écrans principaux")

        deliverable.refresh_from_db()
        assert (deliverable.internal_date, deliverable.announced_date) == (
            dt.date(2026, 3, 27),
            dt.date(2026, 4, 2),
        )
        assert deliverable.announced_date_overridden is False
        assert (deliverable.owner, deliverable.description, deliverable.position) == (
            lead,
            "Les écrans principaux",
            1,
        )
        assert events("deliverable_added") == [("“Maquettes”, announced for 2 April", False)]

    def test_the_minimum_margin_applies_to_short_deliverables(self, mission):
        # 2 business days after Friday 6 March is Tuesday 10 March.
        assert create(mission, internal_date=dt.date(2026, 3, 6)).announced_date == dt.date(2026, 3, 10)

    def test_the_collectives_margin_settings_are_used(self, mission):
        mission.collective.margin_percent = 50
        mission.collective.margin_min_business_days = 1
        mission.collective.save()
        # 19 business days × 50 % = 9.5 → 10 business days after Friday 27 March, Easter Monday
        # (6 April) skipped: Monday 13 April.
        assert create(mission).announced_date == dt.date(2026, 4, 13)

    def test_it_follows_the_internal_date(self, mission):
        deliverable = create(mission)

        update(deliverable, internal_date=dt.date(2026, 3, 13))

        deliverable.refresh_from_db()
        # 9 business days → 1.8 → 2: Tuesday 17 March.
        assert (deliverable.internal_date, deliverable.announced_date) == (
            dt.date(2026, 3, 13),
            dt.date(2026, 3, 17),
        )
        assert events("announced_date_changed") == [
            ("“Maquettes”: announced date moved from 2 April to 17 March", False)
        ]

    def test_a_date_set_by_hand_is_kept_when_the_internal_date_moves(self, mission):
        deliverable = create(mission, announced_date=dt.date(2026, 4, 10))
        assert deliverable.announced_date_overridden is True

        update(deliverable, internal_date=dt.date(2026, 3, 20))

        deliverable.refresh_from_db()
        assert (
            deliverable.internal_date,
            deliverable.announced_date,
            deliverable.announced_date_overridden,
        ) == (
            dt.date(2026, 3, 20),
            dt.date(2026, 4, 10),
            True,
        )
        assert events("announced_date_changed") == []

    def test_a_date_by_hand_may_equal_the_internal_date(self, mission):
        deliverable = create(mission, announced_date=dt.date(2026, 3, 27))
        assert deliverable.announced_date == dt.date(2026, 3, 27)

    def test_a_date_by_hand_before_the_internal_date_is_refused(self, mission):
        with pytest.raises(ValidationError) as raised:
            create(mission, announced_date=dt.date(2026, 3, 26))
        assert raised.value.message_dict == {
            "announced_date": [
                "The announced date cannot be before the internal date (27 March): "
                "the margin is what lets the team deliver before the date the client expects."
            ]
        }
        assert Deliverable.objects.count() == 0
        assert MissionEvent.objects.count() == 0

    def test_an_override_before_the_internal_date_is_refused_on_update_and_nothing_changes(self, mission):
        deliverable = create(mission)

        with pytest.raises(ValidationError):
            update(deliverable, title="Autre", announced_date=dt.date(2026, 3, 20))

        deliverable.refresh_from_db()
        assert (deliverable.title, deliverable.announced_date, deliverable.announced_date_overridden) == (
            "Maquettes",
            dt.date(2026, 4, 2),
            False,
        )

    def test_the_lead_can_go_back_to_the_automatic_date(self, mission):
        deliverable = create(mission, announced_date=dt.date(2026, 4, 10))

        deliverable_announced_date_reset(deliverable=deliverable, by=mission.lead)

        deliverable.refresh_from_db()
        assert (deliverable.announced_date, deliverable.announced_date_overridden) == (
            dt.date(2026, 4, 2),
            False,
        )
        assert events("announced_date_changed") == [
            ("“Maquettes”: announced date moved from 10 April to 2 April", False)
        ]

    def test_changing_only_the_title_records_no_date_change(self, mission):
        deliverable = create(mission)

        update(deliverable, title="Maquettes v2")

        deliverable.refresh_from_db()
        assert deliverable.title == "Maquettes v2"
        assert events("announced_date_changed") == []

    def test_the_owner_must_be_on_the_team(self, mission):
        outsider = MembershipFactory(collective=mission.collective).user

        with pytest.raises(ValidationError) as raised:
            create(mission, owner=outsider)

        assert raised.value.message_dict == {"owner": ["The owner must be on the mission's team."]}
        assert Deliverable.objects.count() == 0

    def test_the_internal_date_cannot_be_before_the_missions_start(self, mission):
        with pytest.raises(ValidationError) as raised:
            create(mission, internal_date=dt.date(2026, 2, 27))

        assert raised.value.message_dict == {
            "internal_date": ["The internal date cannot be before the mission's start (2 March)."]
        }
        assert Deliverable.objects.count() == 0

    def test_positions_follow_the_order_of_creation(self, mission):
        assert [create(mission).position for _ in range(3)] == [1, 2, 3]


class TestStatus:
    def test_planned_in_progress_delivered_accepted(self, mission, lead, _frozen):
        deliverable = create(mission)

        assert deliverable_change_status(deliverable=deliverable, status="in_progress", by=lead) is True
        _frozen.move_to(dt.datetime(2026, 3, 26, 17, 0, tzinfo=PARIS))
        deliverable_change_status(deliverable=deliverable, status="delivered", by=lead)
        deliverable_change_status(deliverable=deliverable, status="accepted", by=lead)

        deliverable.refresh_from_db()
        assert deliverable.status == "accepted"
        assert deliverable.delivered_at == dt.datetime(2026, 3, 26, 17, 0, tzinfo=PARIS)
        assert deliverable.delivered_on_time(PARIS) is True
        assert events("deliverable_delivered") == [("“Maquettes” delivered on time", False)]
        assert events("deliverable_accepted") == [("“Maquettes” accepted by the client", False)]
        delivered = MissionEvent.objects.get(kind="deliverable_delivered")
        assert delivered.actor == lead
        assert delivered.data["on_time"] is True

    def test_the_same_status_changes_nothing(self, mission, lead):
        deliverable = create(mission)

        assert deliverable_change_status(deliverable=deliverable, status="planned", by=lead) is False

    def test_an_accepted_deliverable_does_not_move(self, mission, lead):
        deliverable = DeliverableFactory(
            mission=mission, status="accepted", delivered_at=dt.datetime.now(PARIS)
        )

        with pytest.raises(ValidationError) as raised:
            deliverable_change_status(deliverable=deliverable, status="in_progress", by=lead)

        assert raised.value.messages == ["A deliverable cannot go from Accepted to In progress."]
        deliverable.refresh_from_db()
        assert deliverable.status == "accepted"

    def test_reopening_a_delivery_clears_the_delivery_time(self, mission, lead):
        deliverable = create(mission)
        deliverable_change_status(deliverable=deliverable, status="delivered", by=lead)

        deliverable_change_status(deliverable=deliverable, status="in_progress", by=lead)

        deliverable.refresh_from_db()
        assert (deliverable.status, deliverable.delivered_at) == ("in_progress", None)

    def test_an_unknown_status_is_refused(self, mission, lead):
        deliverable = create(mission)
        with pytest.raises(ValidationError):
            deliverable_change_status(deliverable=deliverable, status="shipped", by=lead)
        deliverable.refresh_from_db()
        assert deliverable.status == "planned"

    def test_a_delivered_deliverable_cannot_be_deleted_but_a_planned_one_can(self, mission, lead):
        delivered = DeliverableFactory(
            mission=mission, status="delivered", delivered_at=dt.datetime.now(PARIS)
        )
        planned = DeliverableFactory(mission=mission)
        task = TaskFactory(mission=mission, deliverable=planned)

        with pytest.raises(ValidationError):
            deliverable_delete(deliverable=delivered, by=lead)
        deliverable_delete(deliverable=planned, by=lead)

        assert list(Deliverable.objects.values_list("pk", flat=True)) == [delivered.pk]
        task.refresh_from_db()
        assert task.deliverable is None

    def test_a_deliverable_the_client_heard_about_is_not_deleted(self, mission, lead):
        """A delay notice went to the client: the deliverable stays in the record, the notice with it."""
        deliverable = DeliverableFactory(mission=mission)
        ClientContactFactory(client=mission.client)
        delay_notice_send(
            deliverable=deliverable,
            new_date=deliverable.announced_date + dt.timedelta(days=7),
            reason="Le prestataire de paiement a du retard.",
            by=lead,
            today=dt.date(2026, 3, 2),
        )

        with pytest.raises(ValidationError) as refused:
            deliverable_delete(deliverable=deliverable, by=lead)

        assert refused.value.code == "has_history"
        assert "delay notices" in refused.value.messages[0]
        assert Deliverable.objects.filter(pk=deliverable.pk).exists()
        assert DelayNotice.objects.filter(deliverable=deliverable).count() == 1


class TestOnTime:
    def test_delivered_on_the_announced_day_in_the_collectives_time_zone(self, mission):
        announced = dt.date(2026, 3, 20)
        # 23:30 in Paris on the announced day is still on time, though it is 22:30 UTC.
        late_evening = DeliverableFactory(
            mission=mission,
            announced_date=announced,
            status="delivered",
            delivered_at=dt.datetime(2026, 3, 20, 23, 30, tzinfo=PARIS),
        )
        # 00:30 in Paris the next day is late, though it is still the 20th in UTC.
        after_midnight = DeliverableFactory(
            mission=mission,
            announced_date=announced,
            status="delivered",
            delivered_at=dt.datetime(2026, 3, 21, 0, 30, tzinfo=PARIS),
        )

        assert late_evening.delivered_on_time(PARIS) is True
        assert after_midnight.delivered_on_time(PARIS) is False
        assert after_midnight.delivered_at.astimezone(dt.UTC).date() == announced

    def test_the_rate_is_on_time_over_delivered(self, mission):
        announced = dt.date(2026, 3, 20)
        for day in (18, 20, 23):
            DeliverableFactory(
                mission=mission,
                announced_date=announced,
                status="delivered",
                delivered_at=dt.datetime(2026, 3, day, 12, 0, tzinfo=PARIS),
            )
        DeliverableFactory(
            mission=mission,
            announced_date=announced,
            status="accepted",
            delivered_at=dt.datetime(2026, 3, 19, 12, 0, tzinfo=PARIS),
        )
        DeliverableFactory(mission=mission, announced_date=dt.date(2026, 3, 1))  # not delivered: not counted
        DeliverableFactory(
            status="delivered", delivered_at=dt.datetime(2026, 3, 30, 12, 0, tzinfo=PARIS)
        )  # another mission

        rate = mission_on_time_rate(mission=mission, collective=mission.collective)

        assert rate == OnTimeRate(on_time=3, delivered=4)
        assert rate.percent == 75

    def test_no_delivery_gives_no_rate(self, mission):
        DeliverableFactory(mission=mission)
        rate = mission_on_time_rate(mission=mission, collective=mission.collective)
        assert (rate.delivered, rate.percent) == (0, None)

    def test_the_percentage_is_rounded_half_up(self):
        assert OnTimeRate(on_time=2, delivered=3).percent == 67
        assert OnTimeRate(on_time=1, delivered=8).percent == 13  # 12.5 → 13


class TestDelayNotice:
    @pytest.fixture
    def contacts(self, mission):
        return [
            ClientContactFactory(client=mission.client, full_name="Anne Martin", language="fr"),
            ClientContactFactory(client=mission.client, full_name="Ben Smith", language="en"),
        ]

    def send(self, deliverable, *, today, new_date=None, reason="Le prestataire de paiement a du retard."):
        return delay_notice_send(
            deliverable=deliverable,
            new_date=new_date or deliverable.announced_date + dt.timedelta(days=7),
            reason=reason,
            by=deliverable.mission.lead,
            today=today,
        )

    def test_six_business_days_before_with_five_required_is_in_time(self, mission, contacts):
        deliverable = DeliverableFactory(
            mission=mission,
            title="Maquettes",
            internal_date=dt.date(2026, 3, 13),
            announced_date=dt.date(2026, 3, 17),
        )

        # Monday 9 March → Tuesday 17 March: 10, 11, 12, 13, 16, 17.
        notice = self.send(deliverable, today=dt.date(2026, 3, 9), new_date=dt.date(2026, 3, 24))

        assert (notice.previous_date, notice.new_date, notice.business_days_notice, notice.is_late) == (
            dt.date(2026, 3, 17),
            dt.date(2026, 3, 24),
            6,
            False,
        )
        deliverable.refresh_from_db()
        assert (deliverable.announced_date, deliverable.announced_date_overridden) == (
            dt.date(2026, 3, 24),
            True,
        )
        assert events("delay_notice") == [
            ("“Maquettes” moved from 17 March to 24 March, told 6 business days before", False)
        ]
        assert events("announced_date_changed") == []

    def test_three_business_days_before_is_a_late_notice_flagged_in_the_history(self, mission, contacts):
        deliverable = DeliverableFactory(
            mission=mission, title="Recette", announced_date=dt.date(2026, 3, 17)
        )

        notice = self.send(deliverable, today=dt.date(2026, 3, 12))  # 13, 16, 17

        assert (notice.business_days_notice, notice.is_late) == (3, True)
        assert events("delay_notice") == [
            (
                "“Recette” moved from 17 March to 24 March, told 3 business days before: "
                "late notice (the mission asks for 5)",
                True,
            )
        ]
        event = MissionEvent.objects.get(kind="delay_notice")
        assert event.data == {
            "deliverable_id": deliverable.pk,
            "delay_notice_id": notice.pk,
            "from": "2026-03-17",
            "to": "2026-03-24",
            "business_days_notice": 3,
            "minimum": 5,
            "is_late": True,
        }

    def test_exactly_the_minimum_is_in_time(self, mission, contacts):
        deliverable = DeliverableFactory(mission=mission, announced_date=dt.date(2026, 3, 17))
        notice = self.send(deliverable, today=dt.date(2026, 3, 10))  # 11, 12, 13, 16, 17
        assert (notice.business_days_notice, notice.is_late) == (5, False)

    def test_the_missions_own_minimum_is_used(self, mission, contacts):
        mission.delay_notice_min_business_days = 10
        mission.save()
        deliverable = DeliverableFactory(mission=mission, announced_date=dt.date(2026, 3, 17))
        notice = self.send(deliverable, today=dt.date(2026, 3, 9))
        assert (notice.business_days_notice, notice.is_late) == (6, True)

    def test_weekends_and_holidays_between_are_not_notice(self, mission, contacts):
        # Thursday 30 April → Monday 11 May 2026 is 11 calendar days, but 1 May and 8 May are holidays
        # and two weekends fall between: 4, 5, 6, 7, 11 May are 5 business days.
        deliverable = DeliverableFactory(mission=mission, announced_date=dt.date(2026, 5, 11))
        notice = self.send(deliverable, today=dt.date(2026, 4, 30))
        assert (notice.business_days_notice, notice.is_late) == (5, False)

        # From Wednesday 6 May to Friday 15 May (Ascension on the 14th): 7, 11, 12, 13, 15 → 5.
        other = DeliverableFactory(mission=mission, announced_date=dt.date(2026, 5, 15))
        assert self.send(other, today=dt.date(2026, 5, 6)).business_days_notice == 5
        # One day later, 4: late.
        third = DeliverableFactory(mission=mission, announced_date=dt.date(2026, 5, 15))
        assert self.send(third, today=dt.date(2026, 5, 7)).is_late is True

    def test_a_notice_after_the_old_date_counts_no_notice(self, mission, contacts):
        deliverable = DeliverableFactory(mission=mission, announced_date=dt.date(2026, 3, 17))
        notice = self.send(deliverable, today=dt.date(2026, 3, 18))
        assert (notice.business_days_notice, notice.is_late) == (0, True)

    def test_every_contact_of_the_client_gets_it_in_their_language(self, mission, contacts):
        lead = mission.lead
        lead.full_name = "Claire Dubois"
        lead.save()
        ClientContactFactory(collective=mission.collective)  # another client's contact: not told
        deliverable = DeliverableFactory(
            mission=mission, title="Maquettes", announced_date=dt.date(2026, 3, 17)
        )

        notice = self.send(deliverable, today=dt.date(2026, 3, 9), new_date=dt.date(2026, 3, 24))

        emails = {email.to_email: email for email in OutboundEmail.objects.all()}
        assert set(emails) == {contacts[0].email, contacts[1].email}
        french, english = emails[contacts[0].email], emails[contacts[1].email]
        assert (french.language, english.language) == ("fr", "en")
        assert french.idempotency_key == f"delay_notice:{notice.pk}:{contacts[0].pk}"
        assert english.idempotency_key == f"delay_notice:{notice.pk}:{contacts[1].pk}"
        collective = mission.collective
        for email in (french, english):
            assert email.from_email == collective.notification_sender()
            assert email.reply_to == lead.email
            assert email.collective == collective
            assert "Le prestataire de paiement a du retard." in email.body_text
            assert "Claire Dubois" in email.body_text
        assert english.subject == f"{mission.title}: “Maquettes” moves to March 24, 2026"
        assert "Previous date: March 17, 2026" in english.body_text
        assert "New date: March 24, 2026" in english.body_text
        assert "Hello Ben Smith," in english.body_text
        assert (
            "Claire Dubois remains your single contact for this mission: reply to this email, "
            f"or write to {lead.email}, for any question." in english.body_text
        )
        assert "24 mars 2026" in french.subject
        assert "17 mars 2026" in french.body_text
        assert "Anne Martin" in french.body_text
        assert "24 mars 2026" in french.body_html

    def test_the_new_date_must_come_after_the_current_one_and_a_reason_is_required(self, mission, contacts):
        deliverable = DeliverableFactory(mission=mission, announced_date=dt.date(2026, 3, 17))

        with pytest.raises(ValidationError) as raised:
            self.send(deliverable, today=dt.date(2026, 3, 9), new_date=dt.date(2026, 3, 17), reason="  ")

        assert raised.value.message_dict == {
            "new_date": ["The new date must be after the current announced date (17 March)."],
            "reason": ["Tell the client why the date moves."],
        }
        self.assert_nothing_sent(deliverable, dt.date(2026, 3, 17))

    def test_a_client_without_contact_is_refused(self, mission):
        deliverable = DeliverableFactory(mission=mission, announced_date=dt.date(2026, 3, 17))

        with pytest.raises(ValidationError) as raised:
            self.send(deliverable, today=dt.date(2026, 3, 9))

        assert raised.value.messages == [
            "The client has no contact to tell: add one on the client's page first."
        ]
        self.assert_nothing_sent(deliverable, dt.date(2026, 3, 17))

    def test_a_delivered_deliverable_has_no_date_to_move(self, mission, contacts):
        deliverable = DeliverableFactory(
            mission=mission,
            announced_date=dt.date(2026, 3, 17),
            status="delivered",
            delivered_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS),
        )
        with pytest.raises(ValidationError):
            self.send(deliverable, today=dt.date(2026, 3, 9))
        self.assert_nothing_sent(deliverable, dt.date(2026, 3, 17))

    def test_a_second_submission_of_the_same_notice_sends_nothing_more(self, mission, contacts):
        deliverable = DeliverableFactory(mission=mission, announced_date=dt.date(2026, 3, 17))
        stale = Deliverable.objects.get(pk=deliverable.pk)
        self.send(deliverable, today=dt.date(2026, 3, 9), new_date=dt.date(2026, 3, 24))

        with pytest.raises(ValidationError) as raised:
            self.send(stale, today=dt.date(2026, 3, 9), new_date=dt.date(2026, 3, 24))

        assert raised.value.messages == [
            "The announced date just changed: check it and send the notice again."
        ]
        assert DelayNotice.objects.count() == 1
        assert OutboundEmail.objects.count() == 2

    def assert_nothing_sent(self, deliverable, announced):
        deliverable.refresh_from_db()
        assert (deliverable.announced_date, deliverable.announced_date_overridden) == (announced, False)
        assert DelayNotice.objects.count() == 0
        assert OutboundEmail.objects.count() == 0
        assert MissionEvent.objects.filter(kind="delay_notice").count() == 0


def test_estimates_in_decimal_feed_the_health_stored_after_a_change(mission):
    member = MissionMemberFactory(mission=mission).user
    deliverable = create(mission, internal_date=dt.date(2026, 3, 6), owner=member)
    TaskFactory(mission=mission, deliverable=deliverable, assignee=member, estimate_hours=Decimal("40"))

    update(deliverable, title="Maquettes")

    deliverable.refresh_from_db()
    assert deliverable.health == "at_risk"
    assert deliverable.health_checked_at is not None
