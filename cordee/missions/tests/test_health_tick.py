"""The hourly health tick: stored health, one alert per transition, across days (time travel)."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory
from cordee.missions.models import Deliverable, MissionEvent, Task
from cordee.missions.services.deliverables import deliverable_update
from cordee.missions.services.health import deliverables_health_refresh
from cordee.missions.tests.factories import (
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
)
from cordee.schedule import missions_health_tick

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def at(day, hour=10):
    return dt.datetime(2026, 3, day, hour, 0, tzinfo=PARIS)


@pytest.fixture
def traveller():
    with time_machine.travel(at(2), tick=False) as traveller:
        yield traveller


@pytest.fixture
def mission(traveller):
    mission = MissionFactory(start_date=dt.date(2026, 2, 2), title="Refonte")
    mission.lead.full_name = "Claire Dubois"
    mission.lead.language = "en"
    mission.lead.save()
    return mission


@pytest.fixture
def member(mission):
    return MissionMemberFactory(mission=mission).user


@pytest.fixture
def deliverable(mission, member):
    """Internal date Friday 13 March, announced Thursday 19 March; 30 h of open work for one member."""
    deliverable = DeliverableFactory(
        mission=mission,
        title="Maquettes",
        owner=member,
        internal_date=dt.date(2026, 3, 13),
        announced_date=dt.date(2026, 3, 19),
    )
    TaskFactory(mission=mission, deliverable=deliverable, assignee=member, estimate_hours=Decimal("30"))
    return deliverable


def stored(deliverable):
    deliverable.refresh_from_db()
    return deliverable.health


def alerts():
    return list(OutboundEmail.objects.order_by("pk").values_list("idempotency_key", flat=True))


def health_events():
    return list(
        MissionEvent.objects.filter(kind="health_changed")
        .order_by("pk")
        .values_list("data__to", "is_flagged")
    )


class TestAcrossDays:
    def test_the_lead_is_alerted_once_when_it_turns_at_risk_then_once_when_late(self, traveller, deliverable):
        key = f"deliverable:{deliverable.pk}:health"

        # Monday 2 March: 10 business days × 7 h before the internal date for 30 h of work.
        assert deliverables_health_refresh() == 0
        assert stored(deliverable) == "on_track"
        assert deliverable.health_checked_at == at(2)
        # Monday 9 March: 5 days, 35 h, still enough.
        traveller.move_to(at(9))
        deliverables_health_refresh()
        assert (stored(deliverable), alerts()) == ("on_track", [])

        # Tuesday 10 March: 4 days, 28 h: the margin is being used.
        traveller.move_to(at(10))
        assert deliverables_health_refresh() == 1
        assert stored(deliverable) == "at_risk"
        assert alerts() == [f"{key}:at_risk:2026-03-10"]
        # The next hours and days of the same state alert nobody again.
        traveller.move_to(at(10, 15))
        assert deliverables_health_refresh() == 0
        traveller.move_to(at(11))
        deliverables_health_refresh()
        assert alerts() == [f"{key}:at_risk:2026-03-10"]
        assert deliverable.health_checked_at is not None
        assert stored(deliverable) == "at_risk"
        assert deliverable.health_checked_at == at(11)

        # Tuesday 17 March: 3 days × 7 h before the announced date for 30 h: late.
        traveller.move_to(at(17))
        assert deliverables_health_refresh() == 1
        assert stored(deliverable) == "late"
        assert alerts() == [f"{key}:at_risk:2026-03-10", f"{key}:late:2026-03-17"]
        assert health_events() == [("at_risk", False), ("late", True)]

    def test_the_alert_says_why_and_offers_to_replan_or_send_a_delay_notice(
        self, traveller, deliverable, mission
    ):
        traveller.move_to(at(10))

        deliverables_health_refresh()

        email = OutboundEmail.objects.get()
        slug, base = mission.collective.slug, "http://127.0.0.1:8000"
        deliverable_path = f"/collectives/{slug}/missions/{mission.pk}/deliverables/{deliverable.pk}"
        assert email.to_email == mission.lead.email
        assert email.language == "en"
        assert email.from_email == mission.collective.notification_sender()
        assert email.subject == "At risk: “Maquettes” (Refonte)"
        assert "Hello Claire," in email.body_text
        assert "“Maquettes” (mission “Refonte”) is now at risk." in email.body_text
        assert (
            "Why: 30 h of open work, 28 h of capacity before 13 March: the margin is being used."
            in email.body_text
        )
        assert "Internal date: March 13, 2026" in email.body_text
        assert "Announced to the client: March 19, 2026" in email.body_text
        assert f"{base}{deliverable_path}/edit/" in email.body_text
        assert f"{base}/collectives/{slug}/missions/{mission.pk}/board/" in email.body_text
        assert f"{base}{deliverable_path}/delay-notice/" in email.body_text
        assert "at least 5 business days before the announced date" in email.body_text
        assert f'href="{base}{deliverable_path}/delay-notice/"' in email.body_html
        event = MissionEvent.objects.get(kind="health_changed")
        assert event.data["deliverable_id"] == deliverable.pk
        assert (event.data["from"], event.data["to"], event.actor) == ("on_track", "at_risk", None)

    def test_the_alert_is_in_the_leads_language(self, traveller, deliverable, mission):
        mission.lead.language = "fr"
        mission.lead.save()
        traveller.move_to(at(10))

        deliverables_health_refresh()

        email = OutboundEmail.objects.get()
        assert email.language == "fr"
        assert "13 mars 2026" in email.body_text
        assert "19 mars 2026" in email.body_text

    def test_the_same_transition_twice_the_same_day_sends_one_email(self, traveller, deliverable):
        task = Task.objects.get()
        traveller.move_to(at(10))
        deliverables_health_refresh()
        traveller.move_to(at(10, 11))
        Task.objects.filter(pk=task.pk).update(status="done")
        deliverables_health_refresh()
        assert stored(deliverable) == "on_track"
        traveller.move_to(at(10, 12))
        Task.objects.filter(pk=task.pk).update(status="doing")

        assert deliverables_health_refresh() == 1

        assert stored(deliverable) == "at_risk"
        assert health_events() == [("at_risk", False), ("at_risk", False)]
        assert alerts() == [f"deliverable:{deliverable.pk}:health:at_risk:2026-03-10"]

    def test_getting_better_is_stored_without_alert(self, traveller, deliverable):
        Deliverable.objects.filter(pk=deliverable.pk).update(health="late", health_reason="Ancienne raison")

        assert deliverables_health_refresh() == 0

        assert stored(deliverable) == "on_track"
        assert deliverable.health_reason != "Ancienne raison"
        assert (alerts(), health_events()) == ([], [])

    def test_from_at_risk_to_late_alerts_again(self, traveller, deliverable):
        Deliverable.objects.filter(pk=deliverable.pk).update(health="at_risk")
        traveller.move_to(at(20))

        assert deliverables_health_refresh() == 1

        assert alerts() == [f"deliverable:{deliverable.pk}:health:late:2026-03-20"]


@pytest.mark.parametrize("status", ["paused", "closed", "draft", "delivered"])
def test_missions_that_are_not_active_are_left_alone(traveller, deliverable, mission, status):
    mission.status = status
    mission.save()
    traveller.move_to(at(17))

    assert deliverables_health_refresh() == 0

    deliverable.refresh_from_db()
    assert (deliverable.health, deliverable.health_checked_at) == ("on_track", None)
    assert (alerts(), health_events()) == ([], [])


def test_delivered_deliverables_are_on_track(traveller, deliverable):
    Deliverable.objects.filter(pk=deliverable.pk).update(
        status="delivered", delivered_at=at(12), health="at_risk"
    )
    traveller.move_to(at(20))

    deliverables_health_refresh()

    assert stored(deliverable) == "on_track"
    assert alerts() == []


def test_the_leads_own_change_is_recorded_without_emailing_them(traveller, deliverable, mission):
    with translation.override("en"):
        deliverable_update(
            deliverable=deliverable,
            by=mission.lead,
            title=deliverable.title,
            owner=deliverable.owner,
            internal_date=dt.date(2026, 3, 4),
            announced_date=dt.date(2026, 3, 19),
        )

    assert stored(deliverable) == "at_risk"
    assert health_events() == [("at_risk", False)]
    assert MissionEvent.objects.get(kind="health_changed").actor == mission.lead
    assert alerts() == []


def test_an_admins_change_alerts_the_lead(traveller, deliverable, mission):
    admin = AdminMembershipFactory(collective=mission.collective).user

    deliverable_update(
        deliverable=deliverable,
        by=admin,
        title=deliverable.title,
        owner=deliverable.owner,
        internal_date=dt.date(2026, 3, 4),
        announced_date=dt.date(2026, 3, 19),
    )

    assert alerts() == [f"deliverable:{deliverable.pk}:health:at_risk:2026-03-02"]
    assert OutboundEmail.objects.get().to_email == mission.lead.email


def test_the_periodic_task_runs_the_refresh(traveller, deliverable):
    traveller.move_to(at(10))

    assert missions_health_tick.call_local() == 1  # one chunk of deliverables, handed to the worker

    assert stored(deliverable) == "at_risk"


def test_the_tick_reads_in_batches_with_a_fixed_number_of_queries(traveller, mission, member):
    def build(count):
        for _ in range(count):
            item = DeliverableFactory(
                mission=mission, internal_date=dt.date(2026, 3, 13), announced_date=dt.date(2026, 3, 19)
            )
            TaskFactory(mission=mission, deliverable=item, assignee=member, estimate_hours=Decimal("1"))

    build(3)
    deliverables_health_refresh()
    with CaptureQueriesContext(connection) as few:
        deliverables_health_refresh()
    build(27)
    deliverables_health_refresh()
    with CaptureQueriesContext(connection) as many:
        assert deliverables_health_refresh() == 0

    assert len(many) == len(few)
    assert Deliverable.objects.filter(health="on_track", health_checked_at=at(2)).count() == 30
    # Small batches: every deliverable is still refreshed.
    Deliverable.objects.update(health_checked_at=None)
    deliverables_health_refresh(batch_size=7)
    assert Deliverable.objects.filter(health_checked_at__isnull=True).count() == 0
