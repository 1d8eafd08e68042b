"""Revenue splits (seed, "Répartir les revenus entre les membres"): what each invoiceable amount of a mission
pays each member, the common fund and a referrer, approved by every member concerned before it binds.

The lead (or an admin) proposes a split of a source: a delivered milestone, a validated activity period or
the performance bonus. Each member with a share approves or rejects it in the app (an email asks them, a
daily reminder follows until they answer). When all approve, the split is approved and invoices can be
issued from it (`approved_split_for`). A change is a new version that supersedes the previous one and needs
every approval again; a split that an invoice already uses cannot change (correct the invoice first).
"""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.billing.models import (
    ActivityReport,
    BillingPlan,
    PlanMemberRate,
    RevenueSplit,
    SplitApproval,
    SplitShare,
)
from cordee.billing.queries import invoiceable_deliverables, plan_deposit
from cordee.billing.services.plans import NOT_BILLABLE, bonus_amount
from cordee.billing.services.reports import period_label
from cordee.billing.services.revenue import split_threshold_warnings
from cordee.billing.splitting import ComputedShare, MemberBasis, percents_from_time, split_compute
from cordee.billing.templatetags.billing import quantity
from cordee.collectives.models import Membership
from cordee.collectives.time import collective_zone
from cordee.core.access import AccessDenied
from cordee.core.money import money_sum, to_decimal
from cordee.core.outbox import EmailRequest, email_enqueue_many
from cordee.missions.access import mission_for
from cordee.missions.models import Deliverable, Mission, MissionMember
from cordee.timesheets.models import TimeEntry

Source = RevenueSplit.Source
Method = RevenueSplit.Method
# A reminder goes to a member who has not answered a day after the proposal, then once a day.
REMINDER_AFTER = timedelta(days=1)
REQUEST_TEMPLATE = "billing/emails/split_approval_request"
REMINDER_TEMPLATE = "billing/emails/split_approval_reminder"


@dataclass
class SplitSource:
    """An invoiceable amount of the mission and its current split (None before the first proposal)."""

    kind: str
    pk: int
    title: str
    amount: Decimal
    plan: BillingPlan | None
    deliverable: Deliverable | None = None
    activity_report: ActivityReport | None = None
    current: RevenueSplit | None = None
    versions: list = field(default_factory=list)

    @property
    def source_filter(self) -> dict:
        if self.kind == Source.DELIVERABLE:
            return {"source": Source.DELIVERABLE, "deliverable_id": self.pk}
        if self.kind == Source.ACTIVITY_REPORT:
            return {"source": Source.ACTIVITY_REPORT, "activity_report_id": self.pk}
        return {"source": self.kind, "plan_id": self.pk}

    @property
    def methods(self) -> list[tuple[str, str]]:
        if self.kind == Source.DEPOSIT:
            # Nothing is done yet when the quote is accepted: the shares are agreed before the work.
            return [(Method.AGREED_BEFORE, Method.AGREED_BEFORE.label)]
        if self.kind == Source.BONUS:
            return [(Method.BONUS_WEIGHTS, Method.BONUS_WEIGHTS.label), *_SHARE_METHODS]
        return [(Method.TIME_RATE, Method.TIME_RATE.label), *_SHARE_METHODS]


_SHARE_METHODS = [
    (Method.AGREED_BEFORE, Method.AGREED_BEFORE.label),
    (Method.AGREED_AFTER_TIME, Method.AGREED_AFTER_TIME.label),
]


# --- Reads -------------------------------------------------------------------------------------------


def _active_plan(mission: Mission) -> BillingPlan | None:
    return (
        BillingPlan.objects.filter(mission=mission, status=BillingPlan.Status.ACTIVE)
        .prefetch_related("deliverable_prices")
        .first()
    )


def _splits_prefetch():
    return RevenueSplit.objects.select_related("created_by").prefetch_related(
        Prefetch("shares", queryset=SplitShare.objects.select_related("user").order_by("pk")),
        Prefetch(
            "approvals", queryset=SplitApproval.objects.select_related("user").order_by("decided_at", "pk")
        ),
    )


def split_sources(mission: Mission) -> list[SplitSource]:
    """The mission's invoiceable amounts under its active plan, each with its split versions (newest first):
    delivered (or accepted) milestones, validated activity periods, the bonus once its target is reached.
    A constant number of queries, whatever the number of sources and versions."""
    plan = _active_plan(mission)
    if plan is None:
        return []
    sources = []
    deposit = plan_deposit(plan)
    if deposit is not None:
        sources.append(
            SplitSource(
                kind=Source.DEPOSIT,
                pk=plan.pk,
                title=deposit_title(deposit),
                amount=deposit.amount,
                plan=plan,
            )
        )
    if not plan.is_pay_as_you_go:
        for item in invoiceable_deliverables(plan):
            sources.append(
                SplitSource(
                    kind=Source.DELIVERABLE,
                    pk=item.deliverable_id,
                    title=item.deliverable.title,
                    amount=item.price,
                    plan=plan,
                    deliverable=item.deliverable,
                )
            )
    validated = list(
        ActivityReport.objects.filter(
            collective_id=mission.collective_id, mission=mission, status=ActivityReport.Status.VALIDATED
        ).order_by("period_start", "pk")
    )
    for report in validated:
        if report.total_amount > 0:
            sources.append(
                SplitSource(
                    kind=Source.ACTIVITY_REPORT,
                    pk=report.pk,
                    title=_("Activity %(period)s") % {"period": period_label(report)},
                    amount=report.total_amount,
                    plan=plan,
                    activity_report=report,
                )
            )
    if plan.has_bonus and plan.bonus_reached:
        fixed = money_sum([item.price for item in plan.deliverable_prices.all()] + [plan.derisk_price or 0])
        fixed += money_sum(report.total_amount for report in validated if report.plan_id == plan.pk)
        amount = bonus_amount(plan, fixed)
        if amount > 0:
            sources.append(
                SplitSource(
                    kind=Source.BONUS, pk=plan.pk, title=_("Performance bonus"), amount=amount, plan=plan
                )
            )
    splits = list(_splits_prefetch().filter(collective_id=mission.collective_id, mission=mission))
    for source in sources:
        source.versions = sorted(
            (split for split in splits if _matches(split, source)), key=lambda split: -split.version
        )
        source.current = next((split for split in source.versions if split.is_current), None)
    return sources


def deposit_title(deposit) -> str:
    return _("Deposit: %(percent)s%% of quote %(number)s") % {
        "percent": quantity(deposit.percent),
        "number": deposit.quote.number,
    }


def _matches(split: RevenueSplit, source: SplitSource) -> bool:
    return all(getattr(split, name) == value for name, value in source.source_filter.items())


def split_source_for(mission: Mission, kind: str, pk: int) -> SplitSource:
    """One invoiceable amount of the mission; `ValidationError` when it is not invoiceable (yet)."""
    for source in split_sources(mission):
        if source.kind == kind and source.pk == pk:
            return source
    raise ValidationError(_("This amount cannot be split: it is not invoiceable under the active plan."))


def _rates(mission: Mission, plan: BillingPlan | None) -> tuple[dict[int, Decimal | None], Decimal | None]:
    """Each user's day rate, and the rate of anyone else: the plan's mission rate when it has one (for all),
    else the plan's per-member rate, else the rate on the mission's team, else the member's default rate."""
    if (
        plan is not None
        and plan.rate_mode == BillingPlan.RateMode.MISSION
        and plan.mission_day_rate is not None
    ):
        return {}, plan.mission_day_rate
    team = {
        member.user_id: member.day_rate if member.day_rate is not None else member.user.default_day_rate
        for member in MissionMember.objects.filter(mission=mission).select_related("user")
    }
    if plan is not None and plan.rate_mode == BillingPlan.RateMode.PER_MEMBER:
        team |= dict(PlanMemberRate.objects.filter(plan=plan).values_list("user_id", "day_rate"))
    return team, None


def _entries_for(source: SplitSource, mission: Mission):
    entries = TimeEntry.objects.filter(collective_id=mission.collective_id, mission=mission).exclude(
        activity__in=NOT_BILLABLE
    )
    if source.kind == Source.DELIVERABLE:
        # The deliverable's own time, plus the time logged on no deliverable (project management and
        # meetings, mostly the lead's) since the previous delivery: each hour counts in one split only.
        deliverable = source.deliverable
        until = (
            timezone.localdate(deliverable.delivered_at) if deliverable.delivered_at else timezone.localdate()
        )
        previous = (
            Deliverable.objects.filter(mission=mission, delivered_at__lt=deliverable.delivered_at)
            .exclude(pk=deliverable.pk)
            .order_by("-delivered_at")
            .values_list("delivered_at", flat=True)
            .first()
            if deliverable.delivered_at
            else None
        )
        unattached = Q(deliverable__isnull=True, date__lte=until)
        if previous:
            unattached &= Q(date__gt=timezone.localdate(previous))
        return entries.filter(Q(deliverable_id=deliverable.pk) | unattached)
    if source.kind == Source.ACTIVITY_REPORT:
        report = source.activity_report
        return entries.filter(date__gte=report.period_start, date__lte=report.period_end)
    return entries


def split_basis(mission: Mission, source: SplitSource) -> list[MemberBasis]:
    """The members a split of `source` starts from: everyone who logged billable time on it (project
    management included), then the rest of the team and the lead, with minutes and day rates."""
    names = {}
    minutes: dict[int, int] = {}
    rates: dict[int, Decimal | None] = {}
    if source.kind == Source.ACTIVITY_REPORT:
        # What the client validated: the report's frozen lines.
        for line in source.activity_report.lines:
            user_id = int(line["user_id"])
            minutes[user_id] = int(to_decimal(line["hours"]) * 60)
            rates[user_id] = to_decimal(line["day_rate"]) if line.get("day_rate") else None
            names[user_id] = line.get("name", "")
    else:
        plan_rates, other_rate = _rates(mission, source.plan)
        for row in (
            _entries_for(source, mission).order_by().values("user_id").annotate(hours=Sum("hours")).order_by()
        ):
            minutes[row["user_id"]] = int(row["hours"] * 60)
            rates[row["user_id"]] = plan_rates.get(row["user_id"], other_rate)
    team_ids = set(MissionMember.objects.filter(mission=mission).values_list("user_id", flat=True))
    user_ids = set(minutes) | team_ids | {mission.lead_id}
    active = {
        membership.user_id: membership.user
        for membership in Membership.objects.filter(
            collective_id=mission.collective_id, user_id__in=user_ids
        ).select_related("user")
    }
    basis = []
    for user_id in user_ids:
        user = active.get(user_id)
        if user is None and not minutes.get(user_id):
            continue
        basis.append(
            MemberBasis(
                user_id=user_id,
                name=user.display_name if user else names.get(user_id, "") or _("A former member"),
                minutes=minutes.get(user_id, 0),
                day_rate=rates.get(user_id),
                is_member=user is not None,
            )
        )
    return sorted(basis, key=lambda member: (-member.minutes, member.name.lower(), member.user_id))


def split_initial_percents(basis: list[MemberBasis]) -> dict[int, Decimal]:
    """The shares of an "agreed after delivery" split before anyone edits them: the time each invested."""
    return dict(zip((member.user_id for member in basis), percents_from_time(basis), strict=True))


@dataclass
class SplitChoice:
    """What the lead chose in the split form."""

    method: str
    percents: dict = field(default_factory=dict)  # user id -> percent (agreed methods)
    weights: dict = field(default_factory=dict)  # user id -> weight (bonus)
    common_fund_percent: Decimal = Decimal(0)
    referrer_percent: Decimal = Decimal(0)
    referrer_label: str = ""
    note: str = ""


def _members_for(choice: SplitChoice, basis: list[MemberBasis]) -> list[MemberBasis]:
    """The members of the split: who logged time (time × rate), or who got a share or a weight above 0."""
    if choice.method not in Method.values:
        raise ValidationError({"method": _("Choose how to split the amount.")})
    if choice.method == Method.TIME_RATE:
        members = [member for member in basis if member.minutes > 0]
        for member in members:
            _check_still_member(member)
        return members
    values = choice.weights if choice.method == Method.BONUS_WEIGHTS else choice.percents
    known = {member.user_id: member for member in basis}
    members = []
    for user_id, value in values.items():
        if value is None or to_decimal(value) == 0:
            continue
        member = known.get(int(user_id))
        if member is None:
            raise ValidationError(_("Only members of the collective on this mission can have a share."))
        _check_still_member(member)
        if choice.method == Method.BONUS_WEIGHTS:
            member = MemberBasis(
                user_id=member.user_id, name=member.name, minutes=member.minutes, weight=value
            )
        else:
            member = MemberBasis(
                user_id=member.user_id, name=member.name, minutes=member.minutes, percent=value
            )
        members.append(member)
    if not members:
        raise ValidationError(_("Give at least one member a share."))
    return members


def _check_still_member(member: MemberBasis) -> None:
    """Everyone with a share approves the split: someone who left the collective cannot, so they cannot
    have a share (settle with them apart, and split the rest by agreed shares)."""
    if not member.is_member:
        raise ValidationError(
            _(
                "%(name)s left the collective and cannot approve a split: settle their part with them, then "
                "split the rest by agreed shares."
            )
            % {"name": member.name}
        )


def split_preview(
    *, by, mission_id: int, kind: str, source_id: int, choice: SplitChoice
) -> list[ComputedShare]:
    """The shares the choice would give, computed and not saved (the form's live preview)."""
    mission = mission_for(by, mission_id)
    source = split_source_for(mission, kind, source_id)
    return _compute(mission, source, choice)


def _compute(mission: Mission, source: SplitSource, choice: SplitChoice) -> list[ComputedShare]:
    members = _members_for(choice, split_basis(mission, source))
    return split_compute(
        amount=source.amount,
        method=choice.method,
        members=members,
        common_fund_percent=choice.common_fund_percent,
        referrer_percent=choice.referrer_percent,
        referrer_label=choice.referrer_label,
    )


def approved_split_for(source, plan_amount: str = Source.BONUS) -> RevenueSplit | None:
    """The approved split of an invoiceable source (a `Deliverable`, an `ActivityReport`, or the
    `BillingPlan` whose bonus or, with `plan_amount=Source.DEPOSIT`, deposit is invoiced), with its shares;
    None when there is none. An invoice is issued from this split only: its member shares (`split.shares`,
    kind member) give each member's amount."""
    if isinstance(source, Deliverable):
        filters = {"source": Source.DELIVERABLE, "deliverable_id": source.pk}
    elif isinstance(source, ActivityReport):
        filters = {"source": Source.ACTIVITY_REPORT, "activity_report_id": source.pk}
    elif isinstance(source, BillingPlan) and plan_amount in (Source.BONUS, Source.DEPOSIT):
        filters = {"source": plan_amount, "plan_id": source.pk}
    else:
        raise TypeError(f"{type(source).__name__} is not an invoiceable source")
    return (
        _splits_prefetch()
        .filter(collective_id=source.collective_id, status=RevenueSplit.Status.APPROVED, **filters)
        .first()
    )


def split_is_invoiced(split: RevenueSplit) -> bool:
    """Whether a document (an invoice, a line) already points at the split or one of its shares: every
    other model's foreign key to them counts, so the invoicing models are covered when they arrive."""
    own = (RevenueSplit, SplitShare, SplitApproval)
    for model, rows in (
        (RevenueSplit, [split.pk]),
        (SplitShare, list(split.shares.values_list("pk", flat=True))),
    ):
        for relation in model._meta.related_objects:
            if relation.related_model in own or not rows:
                continue
            lookup = {f"{relation.field.name}__in": rows}
            if relation.related_model._default_manager.filter(**lookup).exists():
                return True
    return False


def split_decisions(split: RevenueSplit) -> dict[int, SplitApproval]:
    """Each member's latest decision on the split (from its prefetched approvals)."""
    latest = {}
    for approval in split.approvals.all():
        latest[approval.user_id] = approval
    return latest


def split_member_ids(split: RevenueSplit) -> list[int]:
    return [share.user_id for share in split.shares.all() if share.kind == SplitShare.Kind.MEMBER]


# --- Changes -----------------------------------------------------------------------------------------


@transaction.atomic
def split_propose(*, by, mission_id: int, kind: str, source_id: int, choice: SplitChoice) -> RevenueSplit:
    """The lead (or an admin) proposes the first split of an invoiceable amount; each member with a share
    is asked to approve it. The proposer's own share counts as approved."""
    mission = mission_for(by, mission_id, manage=True)
    source = split_source_for(mission, kind, source_id)
    if source.current is not None:
        raise ValidationError(_("This amount already has a split: change it instead."))
    return _create_version(by=by, mission=mission, source=source, choice=choice, supersedes=None)


@transaction.atomic
def split_change(*, by, split_id: int, choice: SplitChoice) -> RevenueSplit:
    """A new version of a split (proposed or approved): it supersedes the previous one, which stops binding,
    and every member concerned approves again. Refused once an invoice uses the split."""
    split = RevenueSplit.objects.select_for_update().filter(pk=split_id).first()
    if split is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    mission = mission_for(by, split.mission_id, manage=True)
    if not split.is_current:
        raise ValidationError(_("This version was already replaced: change the latest one."))
    if split_is_invoiced(split):
        raise ValidationError(
            _(
                "An invoice already uses this split: correct the invoice with a credit note before changing it."
            )
        )
    kind = split.source
    source_id = {
        Source.DELIVERABLE: split.deliverable_id,
        Source.ACTIVITY_REPORT: split.activity_report_id,
    }.get(kind, split.plan_id)
    source = split_source_for(mission, kind, source_id)
    changed = RevenueSplit.objects.filter(pk=split.pk, status=split.status).update(
        status=RevenueSplit.Status.SUPERSEDED
    )
    if changed != 1:
        raise ValidationError(_("This split changed meanwhile: reload the page."))
    return _create_version(by=by, mission=mission, source=source, choice=choice, supersedes=split)


def _create_version(
    *, by, mission: Mission, source: SplitSource, choice: SplitChoice, supersedes
) -> RevenueSplit:
    shares = _compute(mission, source, choice)
    now = timezone.now()
    split = RevenueSplit(
        collective_id=mission.collective_id,
        mission=mission,
        plan=source.plan,
        source=source.kind,
        deliverable=source.deliverable,
        activity_report=source.activity_report,
        amount=source.amount,
        method=choice.method,
        version=(supersedes.version + 1) if supersedes else 1,
        status=RevenueSplit.Status.PROPOSED,
        supersedes=supersedes,
        common_fund_percent=to_decimal(choice.common_fund_percent or 0),
        referrer_percent=to_decimal(choice.referrer_percent or 0),
        note=(choice.note or "").strip()[:300],
        created_by=by,
        proposed_at=now,
    )
    try:
        with transaction.atomic():
            split.save()
    except IntegrityError as error:
        raise ValidationError(_("This amount already has a split: reload the page and change it.")) from error
    SplitShare.objects.bulk_create(
        SplitShare(
            collective_id=mission.collective_id,
            split=split,
            kind=share.kind,
            user_id=share.user_id,
            label="" if share.kind == SplitShare.Kind.MEMBER else share.label,
            minutes=share.minutes,
            rate=share.rate,
            weight=share.weight,
            percent=share.percent,
            amount=share.amount,
        )
        for share in shares
    )
    member_ids = [share.user_id for share in shares if share.kind == SplitShare.Kind.MEMBER]
    if by.pk in member_ids:
        SplitApproval.objects.create(
            collective_id=mission.collective_id, split=split, user=by, decision=SplitApproval.Decision.APPROVE
        )
    _approve_if_complete(split)
    split.refresh_from_db()
    if split.status == RevenueSplit.Status.PROPOSED:
        _ask_for_approval(split, mission, [user_id for user_id in member_ids if user_id != by.pk])
    return split


def _split_url(split: RevenueSplit, mission: Mission) -> str:
    source_id = {
        Source.DELIVERABLE: split.deliverable_id,
        Source.ACTIVITY_REPORT: split.activity_report_id,
    }.get(split.source, split.plan_id)
    name = {
        Source.DELIVERABLE: "deliverable",
        Source.ACTIVITY_REPORT: "report",
        Source.DEPOSIT: "deposit",
    }.get(split.source, "bonus")
    return settings.BASE_URL + reverse(
        f"billing:split_{name}", args=[mission.collective.slug, mission.pk, source_id]
    )


def _approval_email(split, mission, user, share_amount, *, key: str, reminder: bool) -> EmailRequest:
    template = REMINDER_TEMPLATE if reminder else REQUEST_TEMPLATE
    return EmailRequest(
        key=key,
        to=user.email,
        template=template,
        context={
            "recipient": user,
            "mission": mission,
            "collective": mission.collective,
            "split": split,
            "source_title": _source_title(split),
            "amount": split.amount,
            "share_amount": share_amount,
            "url": _split_url(split, mission),
        },
        language=user.language or settings.LANGUAGE_CODE,
        sender=mission.collective.notification_sender(),
        reply_to=mission.lead.email,
        collective=mission.collective,
    )


def _source_title(split: RevenueSplit) -> str:
    if split.source == Source.DELIVERABLE:
        return split.deliverable.title
    if split.source == Source.ACTIVITY_REPORT:
        return period_label(split.activity_report)
    return str(Source(split.source).label)


def _ask_for_approval(split: RevenueSplit, mission: Mission, user_ids: list[int]) -> None:
    """Ask each member to approve, with the revenue thresholds the split would take them near or over."""
    shares = list(split.shares.select_related("user"))
    warnings = {
        item.user.pk: item.warnings
        for item in split_threshold_warnings(
            shares=shares, plan=split.plan, amount=split.amount, year=timezone.localdate().year
        )
    }
    requests = []
    for share in shares:
        if share.kind != SplitShare.Kind.MEMBER or share.user_id not in user_ids:
            continue
        request = _approval_email(
            split,
            mission,
            share.user,
            share.amount,
            key=f"billing:split:{split.pk}:request:{share.user_id}",
            reminder=False,
        )
        request.context["warnings"] = warnings.get(share.user_id, [])
        requests.append(request)
    email_enqueue_many(requests)


def _approve_if_complete(split: RevenueSplit) -> bool:
    """Approve the split once every member with a share has approved it (their latest decision)."""
    member_ids = set(
        SplitShare.objects.filter(split=split, kind=SplitShare.Kind.MEMBER).values_list("user_id", flat=True)
    )
    latest = {}
    for user_id, decision in (
        SplitApproval.objects.filter(split=split)
        .order_by("decided_at", "pk")
        .values_list("user_id", "decision")
    ):
        latest[user_id] = decision
    if any(latest.get(user_id) != SplitApproval.Decision.APPROVE for user_id in member_ids):
        return False
    return (
        RevenueSplit.objects.filter(pk=split.pk, status=RevenueSplit.Status.PROPOSED).update(
            status=RevenueSplit.Status.APPROVED, approved_at=timezone.now()
        )
        == 1
    )


def _split_for_decision(by, split_id: int) -> RevenueSplit:
    split = RevenueSplit.objects.select_for_update().filter(pk=split_id).first()
    if split is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    mission_for(by, split.mission_id)
    if not SplitShare.objects.filter(split=split, kind=SplitShare.Kind.MEMBER, user_id=by.pk).exists():
        raise AccessDenied(_("Only the members who share this amount can approve or reject its split."))
    if split.status != RevenueSplit.Status.PROPOSED:
        raise ValidationError(_("This split is not waiting for approvals any more."))
    return split


@transaction.atomic
def split_approve(*, by, split_id: int, comment: str = "") -> RevenueSplit:
    """A member with a share approves the split; the last approval makes it bind."""
    split = _split_for_decision(by, split_id)
    SplitApproval.objects.create(
        collective_id=split.collective_id,
        split=split,
        user=by,
        decision=SplitApproval.Decision.APPROVE,
        comment=(comment or "").strip()[:500],
    )
    _approve_if_complete(split)
    split.refresh_from_db()
    return split


@transaction.atomic
def split_reject(*, by, split_id: int, comment: str) -> RevenueSplit:
    """A member with a share rejects the split, saying why; the lead is told by email and proposes a new
    version."""
    split = _split_for_decision(by, split_id)
    if not (comment or "").strip():
        raise ValidationError(
            {"comment": _("Say what you would change, so the lead can propose a new version.")}
        )
    rejection = SplitApproval.objects.create(
        collective_id=split.collective_id,
        split=split,
        user=by,
        decision=SplitApproval.Decision.REJECT,
        comment=comment.strip()[:500],
    )
    mission = Mission.objects.select_related("collective", "lead").get(pk=split.mission_id)
    lead = mission.lead
    email_enqueue_many(
        [
            EmailRequest(
                key=f"billing:split:{split.pk}:rejected:{rejection.pk}",
                to=lead.email,
                template="billing/emails/split_rejected",
                context={
                    "recipient": lead,
                    "member": by,
                    "comment": rejection.comment,
                    "mission": mission,
                    "collective": mission.collective,
                    "split": split,
                    "source_title": _source_title(split),
                    "url": _split_url(split, mission),
                },
                language=lead.language or settings.LANGUAGE_CODE,
                sender=mission.collective.notification_sender(),
                collective=mission.collective,
            )
        ]
    )
    return split


# --- Reminders (periodic) ----------------------------------------------------------------------------


def split_reminders_send(now=None) -> int:
    """Remind each member with a share of a proposed split who has not answered, once a day from a day
    after the proposal. The key per split version, member and day (in the collective's time zone) makes
    ticks, retries and concurrent workers send it once. A constant number of queries before the sends."""
    now = now or timezone.now()
    splits = (
        RevenueSplit.objects.filter(
            status=RevenueSplit.Status.PROPOSED, proposed_at__lte=now - REMINDER_AFTER
        )
        .select_related("mission__collective", "mission__lead", "deliverable", "activity_report")
        .prefetch_related(
            Prefetch(
                "shares",
                queryset=SplitShare.objects.filter(kind=SplitShare.Kind.MEMBER).select_related("user"),
            ),
            "approvals",
        )
    )
    requests = []
    for split in splits:
        mission = split.mission
        answered = {approval.user_id for approval in split.approvals.all()}
        day = timezone.localtime(now, collective_zone(mission.collective)).date().isoformat()
        for share in split.shares.all():
            if share.user_id in answered or not share.user.is_active:
                continue
            requests.append(
                _approval_email(
                    split,
                    mission,
                    share.user,
                    share.amount,
                    key=f"billing:split:{split.pk}:remind:{share.user_id}:{day}",
                    reminder=True,
                )
            )
    return email_enqueue_many(requests)
