"""Revenue splits: the arithmetic (to the cent, whatever the input), each method with hand-computed figures,
the approval flow and its versions, the access rule, the reminders, and the split page."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from hypothesis import given, settings
from hypothesis import strategies as st

from cordee.billing.models import BillingPlan, RevenueSplit, SplitApproval, SplitShare
from cordee.billing.services.plans import PlanInput, plan_save
from cordee.billing.services.revenue import member_year_revenue, split_threshold_warnings
from cordee.billing.services.splits import (
    SplitChoice,
    approved_split_for,
    split_approve,
    split_basis,
    split_change,
    split_initial_percents,
    split_propose,
    split_reject,
    split_reminders_send,
    split_source_for,
)
from cordee.billing.splitting import MemberBasis, split_compute
from cordee.billing.tests.conftest import make_ready
from cordee.core.access import AccessDenied
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.models import Deliverable, MissionMember
from cordee.missions.tests.factories import DeliverableFactory, MissionMemberFactory, TimeEntryFactory
from cordee.schedule import billing_split_reminders_tick
from cordee.timesheets.models import TimeEntry

Method = RevenueSplit.Method
Source = RevenueSplit.Source

# --- The arithmetic: any amount, 1 to 10 members, a common fund and a referrer ---------------------------

cents = st.integers(min_value=1, max_value=100_000_000).map(lambda value: Decimal(value) / 100)
percents = st.integers(min_value=0, max_value=4999).map(lambda value: Decimal(value) / 100)
members_basis = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=100_000),  # minutes
        st.integers(min_value=1, max_value=2_000),  # day rate
        st.integers(min_value=0, max_value=1_000),  # weight
    ),
    min_size=1,
    max_size=10,
)


def _members(rows, method):
    members = [
        MemberBasis(user_id=index + 1, name=f"M{index}", minutes=m, day_rate=Decimal(r), weight=Decimal(w))
        for index, (m, r, w) in enumerate(rows)
    ]
    if method == Method.TIME_RATE and not any(member.minutes for member in members):
        members[0].minutes = 60
    if method == Method.BONUS_WEIGHTS and not any(member.weight for member in members):
        members[0].weight = Decimal(1)
    if method in (Method.AGREED_BEFORE, Method.AGREED_AFTER_TIME):
        # Percentages adding up to 100, two decimals.
        base = (Decimal(100) / len(members)).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        for member in members:
            member.percent = base
        members[0].percent += Decimal(100) - base * len(members)
    return members


@settings(max_examples=300, deadline=None)
@given(
    amount=cents,
    rows=members_basis,
    fund=percents,
    referrer=percents,
    method=st.sampled_from(list(Method.values)),
)
def test_the_shares_add_up_to_the_amount_to_the_cent_and_none_is_negative(
    amount, rows, fund, referrer, method
):
    shares = split_compute(
        amount=amount,
        method=method,
        members=_members(rows, method),
        common_fund_percent=fund,
        referrer_percent=referrer,
        referrer_label="Agence Nord",
    )
    assert sum(share.amount for share in shares) == amount
    assert all(share.amount >= 0 for share in shares)
    assert all(share.amount == share.amount.quantize(Decimal("0.01")) for share in shares)
    assert len([share for share in shares if share.kind == SplitShare.Kind.MEMBER]) == len(rows)


def test_three_equal_parts_of_100_euros():
    members = [MemberBasis(user_id=n, weight=Decimal(1)) for n in (1, 2, 3)]
    shares = split_compute(amount=Decimal("100.00"), method=Method.BONUS_WEIGHTS, members=members)
    assert [share.amount for share in shares] == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]


def test_fund_and_referrer_are_taken_first():
    members = [
        MemberBasis(user_id=1, percent=Decimal(70)),
        MemberBasis(user_id=2, percent=Decimal(30)),
    ]
    shares = split_compute(
        amount=Decimal("10000"),
        method=Method.AGREED_BEFORE,
        members=members,
        common_fund_percent=Decimal(5),
        referrer_percent=Decimal(10),
        referrer_label="Agence Nord",
    )
    assert [(share.kind, share.amount) for share in shares] == [
        ("common_fund", Decimal("500.00")),
        ("referrer", Decimal("1000.00")),
        ("member", Decimal("5950.00")),  # 70 % of 8,500
        ("member", Decimal("2550.00")),
    ]


@pytest.mark.parametrize(
    ("method", "members", "options", "message"),
    [
        (Method.AGREED_BEFORE, [(1, {"percent": 50}), (2, {"percent": 40})], {}, "add up to 90%"),
        (
            Method.AGREED_BEFORE,
            [(1, {"percent": 100})],
            {"common_fund_percent": 60, "referrer_percent": 40},
            "",
        ),
        (Method.AGREED_BEFORE, [(1, {"percent": 100})], {"referrer_percent": 5}, "referrer"),
        (Method.BONUS_WEIGHTS, [(1, {"weight": 0})], {}, "weight"),
        (Method.TIME_RATE, [(1, {"minutes": 60})], {}, "day rate"),
        (Method.TIME_RATE, [(1, {"minutes": 0, "day_rate": 500})], {}, "No billable time"),
        (Method.BONUS_WEIGHTS, [(1, {"weight": 1}), (1, {"weight": 1})], {}, "once"),
    ],
)
def test_a_split_that_cannot_add_up_is_refused(method, members, options, message):
    """A split that does not sum is impossible by construction: inputs that cannot make one are refused."""
    basis = [MemberBasis(user_id=user_id, name="Léa", **values) for user_id, values in members]
    with translation.override("en"), pytest.raises(ValidationError) as error:
        split_compute(amount=Decimal("1000"), method=method, members=basis, **options)
    assert message in " ".join(error.value.messages)


# --- A mission with a delivered milestone --------------------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(world):
    """Lead (600 €/day) and Léa (450 €/day) on a milestone mission whose 10,000 € deliverable is delivered."""
    lead = world.lead
    MissionMember.objects.filter(mission=world.mission, user=lead).update(day_rate=Decimal("600"))
    lea = MissionMemberFactory(mission=world.mission, day_rate=Decimal("450")).user
    make_ready(lea, full_name="Léa Petit", language="fr")
    delivered_at = timezone.now()
    previous = DeliverableFactory(
        mission=world.mission,
        title="Audit",
        status=Deliverable.Status.DELIVERED,
        delivered_at=delivered_at - dt.timedelta(days=20),
    )
    deliverable = DeliverableFactory(
        mission=world.mission,
        title="Maquettes",
        status=Deliverable.Status.DELIVERED,
        delivered_at=delivered_at,
    )
    plan = plan_save(
        by=lead,
        mission_id=world.mission.pk,
        plan_input=PlanInput(
            model="milestone",
            deliverable_prices=[
                (previous.pk, Decimal("2000"), None),
                (deliverable.pk, Decimal("10000"), None),
            ],
            bonus_kind="amount",
            bonus_kpi="Conversion",
            bonus_target="3 %",
            bonus_value=Decimal("1000"),
        ),
    )
    BillingPlan.objects.filter(pk=plan.pk).update(status="active")
    today = timezone.localdate()
    entry = {"mission": world.mission}
    # The lead's project management on no deliverable since the previous delivery, and 2 h on it.
    TimeEntryFactory(
        **entry,
        user=lead,
        date=today - dt.timedelta(days=5),
        hours=Decimal("4"),
        activity="project_management",
    )
    TimeEntryFactory(
        **entry, user=lead, date=today - dt.timedelta(days=4), hours=Decimal("2"), deliverable=deliverable
    )
    TimeEntryFactory(
        **entry, user=lea, date=today - dt.timedelta(days=3), hours=Decimal("12"), deliverable=deliverable
    )
    # Not counted: non-billable time, time on the previous deliverable or before its delivery.
    TimeEntryFactory(
        **entry, user=lea, date=today - dt.timedelta(days=3), hours=Decimal("5"), activity="non_billable"
    )
    TimeEntryFactory(
        **entry, user=lea, date=today - dt.timedelta(days=25), hours=Decimal("7"), deliverable=previous
    )
    TimeEntryFactory(
        **entry, user=lead, date=today - dt.timedelta(days=22), hours=Decimal("3"), activity="meeting"
    )
    world.lea = lea
    world.deliverable = deliverable
    world.plan = BillingPlan.objects.get(pk=plan.pk)
    return world


def propose(world, method=Method.TIME_RATE, by=None, **choice):
    return split_propose(
        by=by or world.lead,
        mission_id=world.mission.pk,
        kind=Source.DELIVERABLE,
        source_id=world.deliverable.pk,
        choice=SplitChoice(method=method, **choice),
    )


def amounts(split):
    return {
        (share.user.full_name if share.user_id else share.kind): share.amount for share in split.shares.all()
    }


def test_time_rate_counts_the_leads_project_management(setup):
    split = propose(setup, common_fund_percent=Decimal(5))
    # Lead: 6 h × 600 = 3,600 weight; Léa: 12 h × 450 = 5,400 weight → 40 % / 60 % of 9,500.
    assert amounts(split) == {
        "common_fund": Decimal("500.00"),
        "Claire Martin": Decimal("3800.00"),
        "Léa Petit": Decimal("5700.00"),
    }
    lead_share = split.shares.get(user=setup.lead)
    assert (lead_share.minutes, lead_share.rate) == (360, Decimal("600.00"))
    assert sum(share.amount for share in split.shares.all()) == split.amount == Decimal("10000.00")


def test_agreed_after_delivery_starts_from_the_time_invested(setup):
    source = split_source_for(setup.mission, Source.DELIVERABLE, setup.deliverable.pk)
    initial = split_initial_percents(split_basis(setup.mission, source))
    assert initial == {setup.lea.pk: Decimal("66.67"), setup.lead.pk: Decimal("33.33")}  # 12 h and 6 h
    split = propose(
        setup,
        Method.AGREED_AFTER_TIME,
        percents={setup.lead.pk: Decimal("45"), setup.lea.pk: Decimal("55")},
        referrer_percent=Decimal("10"),
        referrer_label="Agence Nord",
    )
    assert amounts(split) == {
        "referrer": Decimal("1000.00"),
        "Claire Martin": Decimal("4050.00"),
        "Léa Petit": Decimal("4950.00"),
    }
    assert split.shares.get(user=setup.lea).minutes == 720


def test_agreed_before_shares_that_do_not_add_up_change_nothing(setup):
    with pytest.raises(ValidationError):
        propose(setup, Method.AGREED_BEFORE, percents={setup.lead.pk: Decimal(50), setup.lea.pk: Decimal(40)})
    assert not RevenueSplit.objects.exists()
    assert not SplitShare.objects.exists()


def test_the_bonus_is_split_by_contribution_weights(setup):
    BillingPlan.objects.filter(pk=setup.plan.pk).update(bonus_reached=True)
    split = split_propose(
        by=setup.lead,
        mission_id=setup.mission.pk,
        kind=Source.BONUS,
        source_id=setup.plan.pk,
        choice=SplitChoice(method=Method.BONUS_WEIGHTS, weights={setup.lead.pk: 1, setup.lea.pk: 2}),
    )
    assert split.amount == Decimal("1000.00")
    assert amounts(split) == {"Claire Martin": Decimal("333.33"), "Léa Petit": Decimal("666.67")}
    assert split.plan_id == setup.plan.pk and split.deliverable_id is None


def test_a_source_not_invoiceable_cannot_be_split(setup):
    planned = DeliverableFactory(mission=setup.mission)
    with pytest.raises(ValidationError):
        split_propose(
            by=setup.lead,
            mission_id=setup.mission.pk,
            kind=Source.DELIVERABLE,
            source_id=planned.pk,
            choice=SplitChoice(method=Method.TIME_RATE),
        )


# --- Approval, versions ----------------------------------------------------------------------------------


def test_every_member_concerned_approves_then_a_change_needs_approval_again(setup):
    split = propose(setup)
    assert split.status == RevenueSplit.Status.PROPOSED
    # The proposer's own share counts as approved; Léa's answer is still due.
    assert list(split.approvals.values_list("user_id", "decision")) == [(setup.lead.pk, "approve")]
    assert approved_split_for(setup.deliverable) is None

    split = split_approve(by=setup.lea, split_id=split.pk)
    assert split.status == RevenueSplit.Status.APPROVED and split.approved_at is not None
    approved = approved_split_for(setup.deliverable)
    assert approved.pk == split.pk
    assert {share.user_id: share.amount for share in approved.shares.all()} == {
        setup.lead.pk: Decimal("4000.00"),
        setup.lea.pk: Decimal("6000.00"),
    }

    second = split_change(
        by=setup.lead,
        split_id=split.pk,
        choice=SplitChoice(
            method=Method.AGREED_BEFORE, percents={setup.lead.pk: Decimal(50), setup.lea.pk: Decimal(50)}
        ),
    )
    split.refresh_from_db()
    assert (second.version, second.status, second.supersedes_id) == (2, "proposed", split.pk)
    assert split.status == RevenueSplit.Status.SUPERSEDED
    assert approved_split_for(setup.deliverable) is None  # nothing binds while the change waits

    with pytest.raises(ValidationError):  # the old version cannot be approved any more
        split_approve(by=setup.lea, split_id=split.pk)
    with pytest.raises(ValidationError):  # nor changed
        split_change(by=setup.lead, split_id=split.pk, choice=SplitChoice(method=Method.TIME_RATE))
    split_approve(by=setup.lea, split_id=second.pk)
    assert approved_split_for(setup.deliverable).pk == second.pk
    assert RevenueSplit.objects.filter(deliverable=setup.deliverable).count() == 2  # history kept


def test_a_rejection_needs_a_reason_and_a_member_may_change_their_mind(setup):
    split = propose(setup)
    with pytest.raises(ValidationError):
        split_reject(by=setup.lea, split_id=split.pk, comment=" ")
    split_reject(by=setup.lea, split_id=split.pk, comment="J'ai aussi fait la recette")
    split.refresh_from_db()
    assert split.status == RevenueSplit.Status.PROPOSED
    split_approve(by=setup.lea, split_id=split.pk, comment="D'accord après discussion")
    split.refresh_from_db()
    assert split.status == RevenueSplit.Status.APPROVED
    assert list(split.approvals.filter(user=setup.lea).values_list("decision", flat=True)) == [
        "reject",
        "approve",
    ]
    (email,) = OutboundEmail.objects.filter(idempotency_key__startswith=f"billing:split:{split.pk}:rejected:")
    assert email.to_email == setup.lead.email
    assert "J'ai aussi fait la recette" in email.body_text


def test_a_single_member_split_by_its_only_member_binds_at_once(setup):
    split = propose(setup, Method.AGREED_BEFORE, percents={setup.lead.pk: Decimal(100)})
    assert split.status == RevenueSplit.Status.APPROVED
    assert not OutboundEmail.objects.filter(idempotency_key__startswith=f"billing:split:{split.pk}:").exists()


def test_a_second_split_of_the_same_source_is_refused(setup):
    propose(setup)
    with pytest.raises(ValidationError):
        propose(setup)
    assert RevenueSplit.objects.count() == 1


def test_the_database_keeps_one_approved_split_per_source_and_no_negative_share(setup):
    split = propose(setup, Method.AGREED_BEFORE, percents={setup.lead.pk: Decimal(100)})
    other = RevenueSplit(
        collective=setup.collective,
        mission=setup.mission,
        source=Source.DELIVERABLE,
        deliverable=setup.deliverable,
        amount=Decimal("1"),
        method=Method.TIME_RATE,
        version=2,
        status=RevenueSplit.Status.APPROVED,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        other.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        SplitShare.objects.create(
            collective=setup.collective, split=split, kind="member", user=setup.lea, amount=Decimal("-1")
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        RevenueSplit.objects.create(
            collective=setup.collective,
            mission=setup.mission,
            source=Source.DELIVERABLE,
            amount=Decimal("1"),
            method=Method.TIME_RATE,
        )  # no source at all


# --- Access ------------------------------------------------------------------------------------------------


def test_only_the_lead_or_an_admin_proposes(setup):
    with pytest.raises(AccessDenied):
        propose(setup, by=setup.lea)
    admin = AdminMembershipFactory(collective=setup.collective).user
    assert propose(setup, by=admin).created_by == admin
    assert RevenueSplit.objects.count() == 1


def test_only_the_members_concerned_decide(setup):
    split = propose(setup)
    admin = AdminMembershipFactory(collective=setup.collective).user  # no share: not theirs to approve
    outsider = AdminMembershipFactory().user
    for user in (admin, outsider):
        with pytest.raises(AccessDenied):
            split_approve(by=user, split_id=split.pk)
        with pytest.raises(AccessDenied):
            split_reject(by=user, split_id=split.pk, comment="Non")
    setup.lea.memberships.update(archived_at=timezone.now(), archive_reason="left")  # Léa left
    with pytest.raises(AccessDenied):
        split_approve(by=setup.lea, split_id=split.pk)
    assert SplitApproval.objects.count() == 1  # the lead's own approval only


def test_a_member_who_left_cannot_be_given_a_share(setup):
    setup.lea.memberships.update(archived_at=timezone.now(), archive_reason="left")
    with translation.override("en"):
        with pytest.raises(ValidationError) as error:
            propose(setup)  # time × rate: Léa's 12 hours are still logged
        assert "left the collective" in " ".join(error.value.messages)
        with pytest.raises(ValidationError):
            propose(
                setup, Method.AGREED_BEFORE, percents={setup.lead.pk: Decimal(50), setup.lea.pk: Decimal(50)}
            )
    split = propose(setup, Method.AGREED_BEFORE, percents={setup.lead.pk: Decimal(100)})
    assert split.status == RevenueSplit.Status.APPROVED


# --- Emails and reminders ----------------------------------------------------------------------------------


def test_each_member_concerned_is_asked_in_their_language(setup):
    split = propose(setup)
    (email,) = OutboundEmail.objects.filter(idempotency_key__startswith=f"billing:split:{split.pk}:")
    assert email.to_email == setup.lea.email
    assert email.subject.endswith(" : validez la répartition des revenus")
    assert "Votre part : 6\xa0000,00\xa0€ HT." in email.body_text
    assert (
        reverse(
            "billing:split_deliverable", args=[setup.collective.slug, setup.mission.pk, setup.deliverable.pk]
        )
        in email.body_text
    )


def test_reminders_once_a_day_to_who_has_not_answered(setup):
    paris = dt.timezone(dt.timedelta(hours=1))
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=paris), tick=False):
        split = propose(setup)
    reminders = OutboundEmail.objects.filter(idempotency_key__contains=f"billing:split:{split.pk}:remind")
    with time_machine.travel(dt.datetime(2026, 12, 1, 20, tzinfo=paris), tick=False):
        assert split_reminders_send() == 0  # not a day yet
    with time_machine.travel(dt.datetime(2026, 12, 2, 9, 30, tzinfo=paris), tick=False):
        assert split_reminders_send() == 1
        assert split_reminders_send() == 0  # the same day: once
    with time_machine.travel(dt.datetime(2026, 12, 2, 23, 30, tzinfo=paris), tick=False):
        assert split_reminders_send() == 0  # still 2 December in Paris
    with time_machine.travel(dt.datetime(2026, 12, 3, 9, tzinfo=paris), tick=False):
        assert split_reminders_send() == 1
        split_reject(by=setup.lea, split_id=split.pk, comment="Non")
    with time_machine.travel(dt.datetime(2026, 12, 4, 9, tzinfo=paris), tick=False):
        assert split_reminders_send() == 0  # answered
    assert list(reminders.values_list("to_email", flat=True)) == [setup.lea.email] * 2
    assert "attend" in reminders.first().body_text


def test_the_reminder_tick_runs_a_constant_number_of_queries(setup):
    def proposed_splits(count):
        for _index in range(count):
            deliverable = DeliverableFactory(mission=setup.mission, status=Deliverable.Status.DELIVERED)
            split = RevenueSplit.objects.create(
                collective=setup.collective,
                mission=setup.mission,
                source=Source.DELIVERABLE,
                deliverable=deliverable,
                amount=Decimal("100"),
                method=Method.AGREED_BEFORE,
                status=RevenueSplit.Status.PROPOSED,
                proposed_at=timezone.now() - dt.timedelta(days=2),
            )
            for user in (setup.lead, setup.lea):
                SplitShare.objects.create(
                    collective=setup.collective, split=split, user=user, amount=Decimal("50")
                )

    def queries_of_a_tick():
        OutboundEmail.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            sent = split_reminders_send()
        return sent, len(captured)

    proposed_splits(2)
    sent, small = queries_of_a_tick()
    assert sent == 4
    proposed_splits(6)
    sent, large = queries_of_a_tick()
    assert (sent, large) == (16, small)


def test_the_reminder_tick_is_registered(setup):
    assert billing_split_reminders_tick.call_local() == 0


# --- Revenue and thresholds --------------------------------------------------------------------------------


def test_member_year_revenue_reads_approved_splits(setup):
    split = propose(setup)
    assert member_year_revenue(setup.lea, timezone.localdate().year) == Decimal("0.00")
    split_approve(by=setup.lea, split_id=split.pk)
    year = timezone.localdate().year
    assert member_year_revenue(setup.lea, year) == Decimal("6000.00")
    assert member_year_revenue(setup.lead, year) == Decimal("4000.00")
    assert member_year_revenue(setup.lea, year - 1) == Decimal("0.00")
    # When the lead re-invoices everything, the whole amount is their turnover.
    BillingPlan.objects.filter(pk=setup.plan.pk).update(
        invoicing_mode=BillingPlan.InvoicingMode.LEAD_REINVOICES
    )
    assert member_year_revenue(setup.lead, year) == Decimal("10000.00")
    assert member_year_revenue(setup.lea, year) == Decimal("6000.00")


def test_the_member_and_the_split_page_are_warned_before_a_threshold_is_crossed(client, setup):
    PlanDeliverable = setup.plan.deliverable_prices.model
    PlanDeliverable.objects.filter(plan=setup.plan, deliverable=setup.deliverable).update(
        price=Decimal("70000")
    )
    split = propose(setup)
    email = OutboundEmail.objects.get(idempotency_key=f"billing:split:{split.pk}:request:{setup.lea.pk}")
    assert "Attention : Votre chiffre d'affaires" in email.body_text
    assert "vous perdez la franchise en base de TVA immédiatement" in email.body_text
    client.force_login(setup.lead)
    page = client.get(split_url(setup)).content.decode()
    assert "over the increased VAT franchise threshold (41,250.00\xa0€)" in page
    assert "you lose the VAT franchise at once" in page


def test_a_split_that_takes_a_member_over_a_threshold_warns_before(setup):
    PlanDeliverable = setup.plan.deliverable_prices.model
    PlanDeliverable.objects.filter(plan=setup.plan, deliverable=setup.deliverable).update(
        price=Decimal("70000")
    )
    split = propose(setup)
    warnings = split_threshold_warnings(
        shares=split.shares.all(), plan=setup.plan, amount=split.amount, year=timezone.localdate().year
    )
    by_user = {item.user.pk: [(w.threshold.kind, w.crossed) for w in item.warnings] for item in warnings}
    # Léa: 42,000 € (60 %) crosses both franchise thresholds of services and nears the micro ceiling;
    # the lead: 28,000 € is below 90 % of 37,500 €.
    assert by_user == {
        setup.lea.pk: [("vat_franchise_base", True), ("vat_franchise_increased", True)],
    }


# --- Pages -------------------------------------------------------------------------------------------------


def split_url(world):
    return reverse(
        "billing:split_deliverable", args=[world.collective.slug, world.mission.pk, world.deliverable.pk]
    )


def test_a_validated_activity_period_is_split_by_its_frozen_lines(setup):
    BillingPlan.objects.filter(pk=setup.plan.pk).update(status=BillingPlan.Status.SUPERSEDED)
    plan = BillingPlan.objects.create(
        collective=setup.collective,
        mission=setup.mission,
        version=2,
        status=BillingPlan.Status.ACTIVE,
        model=BillingPlan.Model.PAY_AS_YOU_GO,
        mission_day_rate=Decimal("600"),
        seller=setup.plan.seller,
    )
    report = setup.mission.activity_reports.create(
        collective=setup.collective,
        plan=plan,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        status="validated",
        lines=[
            {
                "user_id": setup.lead.pk,
                "name": "Claire",
                "hours": "3.50",
                "days": "0.5",
                "day_rate": "600",
                "amount": "300.00",
            },
            {
                "user_id": setup.lea.pk,
                "name": "Léa",
                "hours": "14",
                "days": "2",
                "day_rate": "600",
                "amount": "1200.00",
            },
        ],
        total_days=Decimal("2.5"),
        total_amount=Decimal("1500.00"),
    )
    split = split_propose(
        by=setup.lead,
        mission_id=setup.mission.pk,
        kind=Source.ACTIVITY_REPORT,
        source_id=report.pk,
        choice=SplitChoice(method=Method.TIME_RATE),
    )
    # The lead's project management is in the report's lines: each gets exactly their line.
    assert amounts(split) == {"Claire Martin": Decimal("300.00"), "Léa Petit": Decimal("1200.00")}
    assert split.activity_report_id == report.pk and split.plan_id == plan.pk


def test_the_lead_previews_then_proposes_from_the_page(client, setup):
    client.force_login(setup.lead)
    data = {
        "method": "agreed_before",
        f"percent_{setup.lead.pk}": "30",
        f"percent_{setup.lea.pk}": "70",
        "common_fund_percent": "",
        "referrer_percent": "",
    }
    response = client.post(split_url(setup), {**data, "action": "preview"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "split-preview" in body and "7,000.00\xa0€" in body
    assert "<html" not in body  # the fragment only
    assert not RevenueSplit.objects.exists()
    response = client.post(split_url(setup), {**data, "action": "propose"})
    assert response.status_code == 302
    assert amounts(RevenueSplit.objects.get()) == {
        "Claire Martin": Decimal("3000.00"),
        "Léa Petit": Decimal("7000.00"),
    }


def test_a_preview_in_place_says_why_it_cannot_be_computed(client, setup):
    client.force_login(setup.lead)
    response = client.post(
        split_url(setup),
        {"method": "agreed_before", f"percent_{setup.lea.pk}": "60", "action": "preview"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps it in
    assert 'id="split-preview"' in body and "add up to 60%" in body
    assert not RevenueSplit.objects.exists()


def test_the_form_keeps_what_was_typed_and_says_why(client, setup):
    client.force_login(setup.lead)
    response = client.post(
        split_url(setup),
        {
            "method": "agreed_before",
            f"percent_{setup.lead.pk}": "30",
            f"percent_{setup.lea.pk}": "60",
            "action": "propose",
        },
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "add up to 90%" in body
    assert 'value="60"' in body
    assert not RevenueSplit.objects.exists()


def test_a_plain_member_approves_from_the_page_but_cannot_propose(client, setup):
    split = propose(setup)
    client.force_login(setup.lea)
    assert client.post(split_url(setup), {"method": "time_rate", "action": "propose"}).status_code == 403
    body = client.get(split_url(setup)).content.decode()
    assert "Approve the split" in body
    response = client.post(
        reverse("billing:split_decide", args=[setup.collective.slug, setup.mission.pk, split.pk]),
        {"decision": "approve"},
    )
    assert response.status_code == 302
    split.refresh_from_db()
    assert split.status == RevenueSplit.Status.APPROVED


def test_the_pages_speak_french(client, setup):
    propose(setup)
    client.force_login(setup.lead)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "fr"
    billing = client.get(
        reverse("billing:mission", args=[setup.collective.slug, setup.mission.pk])
    ).content.decode()
    assert "Répartition des revenus" in billing
    assert "En attente des validations" in billing
    page = client.get(split_url(setup)).content.decode()
    assert "Répartition actuelle" in page
    assert "Temps saisi × taux journalier" in page
    assert "Prévisualiser les parts" in page
    assert "Part (%)" in page and "%%" not in page


def test_a_member_of_another_collective_gets_404(client, setup):
    split = propose(setup)
    stranger = MembershipFactory().user
    client.force_login(stranger)
    assert client.get(split_url(setup)).status_code == 404
    decide = reverse("billing:split_decide", args=[setup.collective.slug, setup.mission.pk, split.pk])
    assert client.post(decide, {"decision": "approve"}).status_code == 404
    assert SplitApproval.objects.count() == 1


def test_the_split_page_runs_a_constant_number_of_queries(client, setup, django_assert_num_queries):
    split = propose(setup)
    client.force_login(setup.lead)
    urls = [split_url(setup), reverse("billing:mission", args=[setup.collective.slug, setup.mission.pk])]
    counts = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        counts[url] = len(captured)
    # More time, more versions, more sources.
    for _index in range(10):
        TimeEntryFactory(
            mission=setup.mission,
            user=setup.lea,
            date=timezone.localdate(),
            hours=Decimal("1"),
            deliverable=setup.deliverable,
        )
    split = split_change(by=setup.lead, split_id=split.pk, choice=SplitChoice(method=Method.TIME_RATE))
    split_change(by=setup.lead, split_id=split.pk, choice=SplitChoice(method=Method.TIME_RATE))
    for _index in range(3):
        extra = DeliverableFactory(
            mission=setup.mission, status=Deliverable.Status.DELIVERED, delivered_at=timezone.now()
        )
        setup.plan.deliverable_prices.create(
            collective=setup.collective, deliverable=extra, price=Decimal("100")
        )
    for url in urls:
        with django_assert_num_queries(counts[url]):
            assert client.get(url).status_code == 200
    assert TimeEntry.objects.count() > 10


# --- Concurrency (real threads; run on PostgreSQL too) -------------------------------------------------------


def run_together(*calls):
    barrier = threading.Barrier(len(calls))
    results, refusals, errors = [], [], []

    def worker(call):
        try:
            barrier.wait(timeout=10)
            results.append(call())
        except ValidationError as refusal:
            refusals.append(refusal)
        except Exception as error:  # noqa: BLE001 - reported by the assertions
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, refusals, errors


@pytest.mark.django_db(transaction=True)
def test_two_proposals_of_the_same_amount_at_the_same_moment_give_one(setup):
    admin = AdminMembershipFactory(collective=setup.collective).user
    results, refusals, errors = run_together(lambda: propose(setup), lambda: propose(setup, by=admin))
    assert errors == []
    assert (len(results), len(refusals)) == (1, 1)
    assert RevenueSplit.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_last_two_approvals_at_the_same_moment_approve_the_split(setup):
    third = MissionMemberFactory(mission=setup.mission, day_rate=Decimal("500")).user
    split = propose(
        setup,
        Method.AGREED_BEFORE,
        percents={setup.lead.pk: Decimal(40), setup.lea.pk: Decimal(30), third.pk: Decimal(30)},
    )
    results, refusals, errors = run_together(
        lambda: split_approve(by=setup.lea, split_id=split.pk),
        lambda: split_approve(by=third, split_id=split.pk),
    )
    assert (errors, refusals) == ([], [])
    split.refresh_from_db()
    assert split.status == RevenueSplit.Status.APPROVED
