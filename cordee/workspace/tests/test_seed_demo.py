from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings

from cordee.accounts.models import User
from cordee.billing.models import (
    ActivityReport,
    BillingPlan,
    Invoice,
    InvoiceReminder,
    LegalSeller,
    Payment,
    Quote,
    RevenueSplit,
)
from cordee.collectives.models import Collective
from cordee.communication.models import DeliveryCall, Recap
from cordee.core.business_days import announced_date_for, is_business_day
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import CollectiveFactory
from cordee.feedback.models import Survey, SurveyInvitation, SurveyResponse
from cordee.missions.models import ClientRequest, Deliverable, Mission, MissionEvent, MissionMember, Task
from cordee.timesheets.models import TimeEntry
from cordee.workspace.management.commands import seed_demo
from cordee.workspace.tests.demo import MAINTENANCE, PARIS, active_mission, issued_invoices, seed

pytestmark = pytest.mark.django_db


def test_seed_does_nothing_on_a_database_with_another_collective():
    CollectiveFactory()

    seed()

    assert not Collective.objects.filter(slug=settings.DEMO_SLUG).exists()
    assert not User.objects.filter(email=settings.DEMO_EMAIL).exists()


# --- The clients and missions of the demo ---------------------------------------------------------

# A Wednesday, a Friday (the recap day), a Sunday, and days around public holidays (Ascension
# Thursday, New Year): the demo's dates are relative to today and must hold whatever today is.
SEED_DAYS = [
    datetime(2026, 3, 11, 10, 0, tzinfo=PARIS),
    datetime(2026, 11, 27, 18, 0, tzinfo=PARIS),
    datetime(2026, 6, 7, 12, 0, tzinfo=PARIS),
    datetime(2026, 5, 13, 9, 0, tzinfo=PARIS),
    datetime(2026, 12, 31, 23, 30, tzinfo=PARIS),
]


@pytest.mark.parametrize("moment", SEED_DAYS, ids=lambda moment: moment.date().isoformat())
def test_the_demo_holds_whatever_today_is(moment):
    with time_machine.travel(moment, tick=False):
        seed()

    the_active_mission_started_five_weeks_ago_with_its_team_and_three_deliverables(moment)
    the_demo_bills_both_active_missions_through_the_services(moment)


def the_active_mission_started_five_weeks_ago_with_its_team_and_three_deliverables(moment):
    today = moment.date()

    mission = active_mission()
    assert (mission.client.name, mission.lead.email) == ("Ville de Montreuil", settings.DEMO_EMAIL)
    five_weeks_ago = today - timedelta(days=35)
    assert mission.start_date - timedelta(days=mission.start_date.weekday()) == five_weeks_ago - timedelta(
        days=five_weeks_ago.weekday()
    )
    assert is_business_day(mission.start_date)
    assert mission.activated_at.astimezone(PARIS).date() == mission.start_date
    team = {m.user.email: (m.role, m.day_rate) for m in MissionMember.objects.filter(mission=mission)}
    assert team == {
        settings.DEMO_EMAIL: ("pilotage", Decimal("650.00")),
        "julien.moreau@demo.cordee.localhost": ("design", Decimal("550.00")),
        "karim.benali@demo.cordee.localhost": ("back-end", Decimal("600.00")),
        "sophie.lefevre@demo.cordee.localhost": ("front-end", Decimal("580.00")),
    }
    delivered, in_progress, planned = Deliverable.objects.filter(mission=mission).order_by("internal_date")
    assert [delivered.status, in_progress.status, planned.status] == ["delivered", "in_progress", "planned"]
    for deliverable in (delivered, in_progress, planned):
        assert deliverable.announced_date == announced_date_for(mission.start_date, deliverable.internal_date)
        assert not deliverable.announced_date_overridden
        # Refreshed after the seed: every deliverable is on track and was checked.
        assert (deliverable.health, deliverable.health_checked_at) == ("on_track", moment)
    assert delivered.delivered_on_time(PARIS) is True
    assert delivered.delivered_at < moment
    assert today < in_progress.internal_date < planned.internal_date
    assert not MissionEvent.objects.filter(mission=mission, kind=MissionEvent.Kind.HEALTH_CHANGED).exists()
    # The history reads in order, nothing in the future.
    assert not MissionEvent.objects.filter(created_at__gt=moment).exists()


@time_machine.travel(SEED_DAYS[0], tick=False)
def test_the_active_mission_has_a_lively_board_time_requests_recap_call_and_survey():
    seed()
    seed()
    mission = active_mission()
    today = SEED_DAYS[0].date()

    tasks = Task.objects.filter(mission=mission)
    assert tasks.count() == 16
    assert Counter(tasks.values_list("status", flat=True)) == {"done": 5, "doing": 2, "review": 2, "todo": 7}
    assert not tasks.filter(estimate_hours__isnull=True).exists()
    assert tasks.values("assignee").distinct().count() == 5  # the four members, and one task for anyone
    assert not tasks.filter(status="done", completed_at__isnull=True).exists()

    entries = TimeEntry.objects.filter(mission=mission)
    assert entries.values("user").distinct().count() == 4
    assert mission.start_date == min(entries.values_list("date", flat=True))
    assert max(entries.values_list("date", flat=True)) < today
    assert all(is_business_day(day) for day in entries.values_list("date", flat=True))

    requests = ClientRequest.objects.filter(mission=mission)
    assert sorted(requests.values_list("status", "source")) == [("new", "portal"), ("planned", "lead")]
    assert tasks.filter(request__status="planned").count() == 1

    recap = Recap.objects.get(mission=mission)
    assert (recap.state, recap.sent_by.email, recap.slot_date) == (
        "sent",
        settings.DEMO_EMAIL,
        date(2026, 3, 6),
    )
    assert recap.body.startswith("Bonjour Isabelle")

    call = DeliveryCall.objects.get(mission=mission)
    next_monday = date(2026, 3, 16)
    assert next_monday <= call.starts_at.astimezone(PARIS).date() < next_monday + timedelta(days=7)
    assert call.deliverable.status == "in_progress" and call.cancelled_at is None
    assert sorted(call.attendee_contacts.values_list("role", flat=True)) == ["project", "sponsor"]

    survey = Survey.objects.get(mission=mission)
    assert survey.due_date == mission.start_date + timedelta(days=14)
    assert survey.sent_at is not None
    assert SurveyInvitation.objects.filter(survey=survey).count() == 2
    response = SurveyResponse.objects.get(survey=survey)
    assert (response.score, response.ranking, response.contact.role) == (9, "top10", "project")
    assert len(response.appreciated) == len(response.improvements) == 3

    # Activation sent the kickoff to the client's three contacts, once.
    kickoffs = OutboundEmail.objects.filter(idempotency_key__startswith=f"mission:{mission.pk}:kickoff:")
    assert sorted(kickoffs.values_list("to_email", flat=True)) == [
        "a.mercier@montreuil.example",
        "i.fournier@montreuil.example",
        "n.haddad@montreuil.example",
    ]


def the_demo_bills_both_active_missions_through_the_services(moment):
    today = moment.date()

    portal, maintenance = active_mission(), Mission.objects.get(title=MAINTENANCE)
    assert maintenance.status == Mission.Status.ACTIVE and maintenance.client.name == "Maison Lenoir"
    # Each plan active after its quote was accepted in the portal, before the mission started.
    for mission, model in ((portal, "milestone"), (maintenance, "payg")):
        plan = BillingPlan.objects.get(mission=mission)
        assert (plan.status, plan.model, plan.invoicing_mode) == ("active", model, "per_member")
        quote = Quote.objects.get(mission=mission)
        assert quote.status == "accepted" and quote.accepted_pdf_sha256 == quote.pdf_sha256
        assert quote.issued_on < quote.accepted_at.astimezone(PARIS).date() < mission.start_date
    # The delivered milestone: split as agreed, approved by all four, one invoice each, sent together.
    delivered = Deliverable.objects.get(mission=portal, status="delivered")
    split = RevenueSplit.objects.get(deliverable=delivered)
    assert (split.status, split.amount) == ("approved", Decimal("9000.00"))
    milestone = issued_invoices().filter(deliverable=delivered)
    assert milestone.count() == 4 and milestone.values("batch").distinct().count() == 1
    assert all(invoice.sent_at for invoice in milestone)
    assert sum(invoice.total_excl_tax for invoice in milestone) == Decimal("9000.00")
    assert delivered.delivered_at.astimezone(PARIS).date() < min(i.issued_on for i in milestone)
    # Three monthly activity reports validated by the client; the last month's split waits for Sophie.
    reports = ActivityReport.objects.filter(mission=maintenance).order_by("period_start")
    assert [report.status for report in reports] == ["validated"] * 3
    assert reports.last().period_end < today
    waiting = RevenueSplit.objects.get(status="proposed")
    assert waiting.activity_report == reports.last()
    assert list(waiting.approvals.values_list("user__email", flat=True)) == [
        "karim.benali@demo.cordee.localhost"
    ]
    monthly = issued_invoices().filter(mission=maintenance)
    assert monthly.count() == 4 and monthly.values("batch").distinct().count() == 2
    # One paid, one partly paid, one overdue and reminded; nothing dated in the future.
    statuses = Counter(issued_invoices().values_list("payment_status", flat=True))
    assert statuses["paid"] == 1 and statuses["partly_paid"] == 1
    overdue = [invoice for invoice in issued_invoices() if invoice.due_on < today and invoice.balance_due > 0]
    oldest = min(overdue, key=lambda invoice: invoice.due_on)
    assert {7, 15} <= set(
        InvoiceReminder.objects.filter(invoices=oldest).values_list("offset_days", flat=True)
    )
    assert max(Payment.objects.values_list("paid_on", flat=True)) < today
    assert max(issued_invoices().values_list("issued_on", flat=True)) < today
    assert not InvoiceReminder.objects.filter(sent_at__gt=moment).exists()


def test_billing_is_added_once_to_a_demo_seeded_before_it(monkeypatch):
    # A demo collective seeded before billing was part of the demo.
    monkeypatch.setattr(seed_demo, "create_demo_billing", lambda **kwargs: None)
    seed()
    monkeypatch.undo()
    assert not LegalSeller.objects.exists()

    output = seed()
    counts = (Invoice.objects.count(), OutboundEmail.objects.count(), Mission.objects.count())
    again = seed()

    assert output.strip() == "Billing added to the demo collective “Atelier Rive Gauche”."
    assert issued_invoices().count() == 8
    assert (Invoice.objects.count(), OutboundEmail.objects.count(), Mission.objects.count()) == counts
    assert again.strip() == "Demo data already present (the database has collectives): nothing to do."
