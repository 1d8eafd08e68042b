"""Monthly activity reports (CRA): drafted from logged time in the collective's days, reviewed and sent by the
lead, validated (which locks the period's time) or disputed by the client in the portal."""

import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections
from django.utils import translation

from cordee.billing.models import ActivityReport, BillingPlan
from cordee.billing.services.plans import PortalRefused, overage_answer, overage_request, plan_save
from cordee.billing.services.reports import (
    activity_report_dispute,
    activity_report_draft,
    activity_report_send,
    activity_report_validate,
)
from cordee.billing.tests.conftest import make_ready, payg_input
from cordee.core.access import AccessDenied
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import MembershipFactory
from cordee.missions.tests.factories import (
    ClientContactFactory,
    MissionFactory,
    MissionMemberFactory,
    TimeEntryFactory,
)
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.services import time_entry_update

pytestmark = pytest.mark.django_db
MARCH = {"period_start": date(2026, 3, 1), "period_end": date(2026, 3, 31)}


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def activate(world, **overrides) -> BillingPlan:
    plan = plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input(**overrides))
    BillingPlan.objects.filter(pk=plan.pk).update(status=BillingPlan.Status.ACTIVE)
    plan.refresh_from_db()
    return plan


def log(world, day, hours, user=None, activity=TimeEntry.Activity.PRODUCTION):
    return TimeEntryFactory(
        mission=world.mission, user=user or world.lead, date=day, hours=Decimal(hours), activity=activity
    )


def draft(world, **period):
    return activity_report_draft(by=world.lead, mission_id=world.mission.pk, **{**MARCH, **period})


def test_the_report_counts_days_per_member_after_the_de_risking_phase(world):
    world.collective.hours_per_day = Decimal("8")
    world.collective.save()
    designer = MissionMemberFactory(mission=world.mission)
    make_ready(designer.user, full_name="Paul Durand")
    activate(
        world,
        rate_mode="per_member",
        mission_day_rate=None,
        member_rates=[(world.lead.pk, Decimal("600")), (designer.user_id, Decimal("500"))],
    )
    log(world, date(2026, 3, 12), "8")  # de-risking phase (until 13 March): fixed price
    log(world, date(2026, 3, 16), "8")
    log(
        world, date(2026, 3, 17), "4", activity=TimeEntry.Activity.PROJECT_MANAGEMENT
    )  # the lead's management counts
    log(world, date(2026, 3, 18), "2", activity=TimeEntry.Activity.NON_BILLABLE)
    log(world, date(2026, 3, 16), "12", user=designer.user)
    log(world, date(2026, 4, 1), "8")  # next period

    report = draft(world)
    assert [(line["name"], line["days"], line["amount"]) for line in report.lines] == [
        ("Claire Martin", "1.5000", "900.00"),
        ("Paul Durand", "1.5000", "750.00"),
    ]
    assert (report.total_days, report.total_amount, report.status) == (
        Decimal("3"),
        Decimal("1650.00"),
        "draft",
    )


def test_only_an_active_pay_as_you_go_plan_has_reports(world):
    plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=payg_input())  # draft only
    with pytest.raises(ValidationError):
        draft(world)
    assert ActivityReport.objects.count() == 0


def test_sending_emails_the_contacts_and_a_member_cannot_send(world):
    activate(world)
    log(world, date(2026, 3, 16), "7")
    report = draft(world)
    with pytest.raises(AccessDenied):
        activity_report_send(by=MembershipFactory(collective=world.collective).user, report_id=report.pk)
    activity_report_send(by=world.lead, report_id=report.pk)
    report.refresh_from_db()
    assert (report.status, report.reviewed_by) == ("sent", world.lead)
    assert OutboundEmail.objects.filter(
        idempotency_key=f"billing:report:{report.pk}:contact:{world.contact.pk}"
    ).exists()


def test_days_beyond_the_cap_block_the_report_until_the_client_approves_an_overage(world):
    activate(world, cap_days=Decimal("2"))
    for day in (16, 17, 18):
        log(world, date(2026, 3, day), "7")
    report = draft(world)
    with pytest.raises(ValidationError) as error:
        activity_report_send(by=world.lead, report_id=report.pk)
    assert error.value.messages == [
        "1 days of this report are beyond the cap and not approved by the client: ask for an overage, and send "
        "the report once it is approved."
    ]
    report.refresh_from_db()
    assert report.status == "draft"

    overage = overage_request(by=world.lead, mission_id=world.mission.pk, days=Decimal("1"), reason="Recette")
    with pytest.raises(ValidationError):
        activity_report_send(by=world.lead, report_id=report.pk)  # asked is not approved
    overage_answer(contact=world.contact, overage_id=overage.pk, approve=True)
    activity_report_send(by=world.lead, report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "sent"


def test_validation_locks_the_time_of_the_period(world):
    activate(world)
    inside = log(world, date(2026, 3, 16), "7")
    outside = log(world, date(2026, 4, 2), "7")
    report = draft(world)
    activity_report_send(by=world.lead, report_id=report.pk)
    activity_report_validate(contact=world.contact, report_id=report.pk)
    report.refresh_from_db()
    inside.refresh_from_db()
    outside.refresh_from_db()
    assert (report.status, report.answered_by) == ("validated", world.contact)
    assert (inside.is_locked, outside.is_locked) == (True, False)
    with pytest.raises(ValidationError):
        time_entry_update(entry=inside, by=world.lead, date=inside.date, hours=Decimal("1"))
    with pytest.raises(PortalRefused):
        activity_report_validate(contact=world.contact, report_id=report.pk)


def test_validation_is_refused_when_the_time_changed_since_sending(world):
    activate(world)
    entry = log(world, date(2026, 3, 16), "7")
    report = draft(world)
    activity_report_send(by=world.lead, report_id=report.pk)
    time_entry_update(entry=entry, by=world.lead, date=entry.date, hours=Decimal("5"))
    with pytest.raises(PortalRefused, match="changed since the report was sent"):
        activity_report_validate(contact=world.contact, report_id=report.pk)
    report.refresh_from_db()
    entry.refresh_from_db()
    assert (report.status, entry.is_locked) == ("sent", False)


def test_a_disputed_report_keeps_the_comment_and_the_period_can_be_redrafted(world):
    activate(world)
    log(world, date(2026, 3, 16), "7")
    report = draft(world)
    activity_report_send(by=world.lead, report_id=report.pk)
    with pytest.raises(ValidationError):
        activity_report_dispute(contact=world.contact, report_id=report.pk, comment=" ")
    activity_report_dispute(
        contact=world.contact, report_id=report.pk, comment="Le 16 mars était férié chez nous"
    )
    report.refresh_from_db()
    assert (report.status, report.dispute_comment) == ("disputed", "Le 16 mars était férié chez nous")
    assert TimeEntry.objects.filter(locked_at__isnull=False).count() == 0
    again = draft(world)
    assert again.pk != report.pk


def test_another_clients_contact_cannot_validate(world):
    activate(world)
    log(world, date(2026, 3, 16), "7")
    report = draft(world)
    activity_report_send(by=world.lead, report_id=report.pk)
    other = MissionFactory(collective=world.collective)
    stranger = ClientContactFactory(client=other.client)
    with pytest.raises(ActivityReport.DoesNotExist):
        activity_report_validate(contact=stranger, report_id=report.pk)
    report.refresh_from_db()
    assert report.status == "sent"


@pytest.mark.parametrize(
    "period",
    [
        {"period_start": date(2026, 3, 10), "period_end": date(2026, 3, 1)},
        {"period_start": date(2026, 1, 1), "period_end": date(2026, 3, 1)},
        {"period_start": date(2026, 3, 1), "period_end": date(2099, 3, 2)},
    ],
)
def test_bad_periods_are_refused(world, period):
    activate(world)
    with pytest.raises(ValidationError):
        draft(world, **period)
    assert ActivityReport.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_edit_and_validation_never_leave_a_validated_period_with_different_time():
    mission = MissionFactory(start_date=date(2026, 3, 2))
    make_ready(mission.lead)
    contact = ClientContactFactory(client=mission.client)
    plan = plan_save(by=mission.lead, mission_id=mission.pk, plan_input=payg_input())
    BillingPlan.objects.filter(pk=plan.pk).update(status="active")
    entry = TimeEntryFactory(mission=mission, user=mission.lead, date=date(2026, 3, 16), hours=Decimal("7"))
    report = activity_report_draft(by=mission.lead, mission_id=mission.pk, **MARCH)
    activity_report_send(by=mission.lead, report_id=report.pk)
    barrier = threading.Barrier(2)
    outcomes = {}

    def validate():
        try:
            barrier.wait(timeout=10)
            activity_report_validate(contact=contact, report_id=report.pk)
            outcomes["validate"] = "ok"
        except PortalRefused:
            outcomes["validate"] = "refused"
        finally:
            connections.close_all()

    def edit():
        try:
            barrier.wait(timeout=10)
            time_entry_update(
                entry=TimeEntry.objects.get(pk=entry.pk), by=mission.lead, date=entry.date, hours=Decimal("3")
            )
            outcomes["edit"] = "ok"
        except ValidationError:
            outcomes["edit"] = "refused"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=validate), threading.Thread(target=edit)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    entry.refresh_from_db()
    report.refresh_from_db()
    assert outcomes in ({"validate": "ok", "edit": "refused"}, {"validate": "refused", "edit": "ok"})
    if outcomes["validate"] == "ok":
        assert (report.status, entry.hours, entry.is_locked) == ("validated", Decimal("7.00"), True)
    else:
        assert (report.status, entry.hours, entry.is_locked) == ("sent", Decimal("3.00"), False)
