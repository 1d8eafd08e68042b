"""Monthly activity reports (CRA) of pay-as-you-go missions: drafted from logged time, reviewed by the lead,
sent, validated or disputed by the client. Validating locks the period's time; only validated periods
can be invoiced."""

import hashlib
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cordee.billing.models import ActivityReport, BillingPlan
from cordee.billing.services.links import client_email_enqueue, portal_link_to
from cordee.billing.services.plans import NOT_BILLABLE, PortalRefused, billable_days_limit
from cordee.billing.templatetags.billing import quantity
from cordee.clients.models import ClientContact
from cordee.core.money import line_amount, money_sum, round_quantity
from cordee.missions.access import mission_for
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.services import time_entries_lock

MAX_PERIOD_DAYS = 31


def _period_entries(report_or_plan, *, mission_id, start: date, end: date, derisk_end: date | None):
    entries = TimeEntry.objects.filter(
        collective_id=report_or_plan.collective_id, mission_id=mission_id, date__gte=start, date__lte=end
    ).exclude(activity__in=NOT_BILLABLE)
    if derisk_end:
        entries = entries.filter(date__gt=derisk_end)
    return entries


def _fingerprint(entries) -> str:
    """Changes whenever an entry of the period is added, removed or edited."""
    rows = entries.order_by("pk").values_list("pk", "user_id", "date", "hours", "activity")
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def _lines(plan: BillingPlan, entries) -> list[dict]:
    per_day = plan.mission.collective.hours_per_day
    rates = {rate.user_id: rate.day_rate for rate in plan.member_rates.all()}
    lines = []
    for row in (
        entries.order_by()
        .values("user_id", "user__full_name", "user__email")
        .annotate(hours=Sum("hours"))
        .order_by("user__full_name", "user_id")
    ):
        days = round_quantity(row["hours"] / per_day)
        rate = (
            plan.mission_day_rate
            if plan.rate_mode == BillingPlan.RateMode.MISSION
            else rates.get(row["user_id"])
        )
        lines.append(
            {
                "user_id": row["user_id"],
                "name": row["user__full_name"] or row["user__email"].split("@")[0],
                "hours": str(row["hours"]),
                "days": str(days),
                "day_rate": str(rate) if rate is not None else "",
                "amount": str(line_amount(days, rate)) if rate is not None else "",
            }
        )
    return lines


def report_days_and_rate(
    report: ActivityReport | None, user_id: int | None
) -> tuple[Decimal, Decimal] | None:
    """The days a member worked in a report's period and their day rate, as the client validated them."""
    for line in report.lines if report is not None else []:
        if line.get("day_rate") and int(line["user_id"]) == user_id:
            return Decimal(line["days"]), Decimal(line["day_rate"])
    return None


def _days_before(plan: BillingPlan, start: date) -> Decimal:
    """Days already reported (sent or validated) before this period, under the plan."""
    total = ActivityReport.objects.filter(
        plan__mission_id=plan.mission_id,
        status__in=(ActivityReport.Status.SENT, ActivityReport.Status.VALIDATED),
        period_start__lt=start,
    ).aggregate(total=Sum("total_days"))["total"]
    return total or Decimal("0")


@transaction.atomic
def activity_report_draft(*, by, mission_id: int, period_start: date, period_end: date) -> ActivityReport:
    """Draft (or redraft) the report of a period from the time logged, for the lead to review."""
    mission = mission_for(by, mission_id, manage=True)
    plan = (
        BillingPlan.objects.filter(mission=mission, status=BillingPlan.Status.ACTIVE)
        .select_related("mission__collective")
        .first()
    )
    if plan is None or not plan.is_pay_as_you_go:
        raise ValidationError(_("Activity reports are for missions with an active pay-as-you-go plan."))
    if period_end < period_start:
        raise ValidationError({"period_end": _("The period ends before it starts.")})
    if (period_end - period_start).days >= MAX_PERIOD_DAYS:
        raise ValidationError({"period_end": _("A report covers one month at most.")})
    if period_end > timezone.localdate():
        raise ValidationError(
            {"period_end": _("A report covers time already spent: end it today at the latest.")}
        )
    overlapping = ActivityReport.objects.filter(
        mission=mission, period_start__lte=period_end, period_end__gte=period_start
    ).exclude(status__in=(ActivityReport.Status.DRAFT, ActivityReport.Status.DISPUTED))
    if overlapping.exists():
        raise ValidationError(_("This period overlaps a report already sent."))
    entries = _period_entries(
        plan, mission_id=mission.pk, start=period_start, end=period_end, derisk_end=plan.derisk_end_date
    )
    lines = _lines(plan, entries)
    report = (
        ActivityReport.objects.select_for_update()
        .filter(mission=mission, status=ActivityReport.Status.DRAFT)
        .first()
    ) or ActivityReport(collective_id=mission.collective_id, mission=mission)
    report.plan = plan
    report.period_start = period_start
    report.period_end = period_end
    report.lines = lines
    report.total_days = round_quantity(sum((Decimal(line["days"]) for line in lines), Decimal("0")))
    report.total_amount = money_sum(line["amount"] for line in lines if line["amount"])
    report.time_fingerprint = _fingerprint(entries)
    try:
        with transaction.atomic():
            report.save()
    except IntegrityError as error:
        raise ValidationError(_("This period already has a report.")) from error
    return report


@transaction.atomic
def activity_report_send(*, by, report_id: int) -> ActivityReport:
    """The lead sends the reviewed report to the client contacts. Days beyond the cap that the client has
    not approved block it: ask for an overage first."""
    report = ActivityReport.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise ValidationError(_("This report does not exist."))
    mission = mission_for(by, report.mission_id, manage=True)
    if report.status != ActivityReport.Status.DRAFT:
        raise ValidationError(_("This report was already sent."))
    plan = report.plan
    entries = _period_entries(
        report,
        mission_id=mission.pk,
        start=report.period_start,
        end=report.period_end,
        derisk_end=plan.derisk_end_date,
    )
    if _fingerprint(entries) != report.time_fingerprint:
        raise ValidationError(_("Time of this period changed since the draft: draft the report again."))
    limit = billable_days_limit(plan)
    if limit is not None:
        over = _days_before(plan, report.period_start) + report.total_days - limit
        if over > 0:
            raise ValidationError(
                _(
                    "%(days)s days of this report are beyond the cap and not approved by the client: ask "
                    "for an overage, and send the report once it is approved."
                )
                % {"days": quantity(over)}
            )
    report.status = ActivityReport.Status.SENT
    report.sent_at = timezone.now()
    report.reviewed_by = by
    report.save(update_fields=["status", "sent_at", "reviewed_by"])
    for contact in ClientContact.objects.filter(
        client_id=mission.client_id, collective_id=mission.collective_id
    ):
        client_email_enqueue(
            mission,
            contact,
            key=f"billing:report:{report.pk}:contact:{contact.pk}",
            template="billing/emails/report_sent",
            context={
                "report": report,
                "portal_url": portal_link_to(contact, "billing_portal:report", report.pk),
            },
        )
    return report


def portal_report(contact: ClientContact, report_id: int) -> ActivityReport:
    return ActivityReport.objects.select_related("mission", "plan").get(
        pk=report_id,
        collective_id=contact.collective_id,
        mission__client_id=contact.client_id,
        status__in=(
            ActivityReport.Status.SENT,
            ActivityReport.Status.VALIDATED,
            ActivityReport.Status.DISPUTED,
        ),
    )


@transaction.atomic
def activity_report_validate(*, contact: ClientContact, report_id: int) -> ActivityReport:
    """The client validates the report: the period's time is locked with it. Refused when the time changed
    since it was sent (a concurrent edit): the entries are locked first, then compared."""
    report = portal_report(contact, report_id)
    report = ActivityReport.objects.select_for_update().get(pk=report.pk)
    if report.status != ActivityReport.Status.SENT:
        raise PortalRefused(_("This report was already answered."))
    entries = _period_entries(
        report,
        mission_id=report.mission_id,
        start=report.period_start,
        end=report.period_end,
        derisk_end=report.plan.derisk_end_date,
    )
    ids = list(entries.select_for_update().values_list("pk", flat=True))
    if _fingerprint(entries) != report.time_fingerprint:
        raise PortalRefused(
            _(
                "The time of this period changed since the report was sent: the team will send you an updated one."
            )
        )
    changed = ActivityReport.objects.filter(pk=report.pk, status=ActivityReport.Status.SENT).update(
        status=ActivityReport.Status.VALIDATED, answered_by=contact, answered_at=timezone.now()
    )
    if changed != 1:
        raise PortalRefused(_("This report was already answered."))
    time_entries_lock(collective=report.collective, entry_ids=ids)
    report.refresh_from_db()
    return report


@transaction.atomic
def activity_report_dispute(*, contact: ClientContact, report_id: int, comment: str) -> ActivityReport:
    report = portal_report(contact, report_id)
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": _("Say what is wrong, so that the team can correct it.")})
    changed = ActivityReport.objects.filter(pk=report.pk, status=ActivityReport.Status.SENT).update(
        status=ActivityReport.Status.DISPUTED,
        answered_by=contact,
        answered_at=timezone.now(),
        dispute_comment=comment[:2000],
    )
    if changed != 1:
        raise PortalRefused(_("This report was already answered."))
    report.refresh_from_db()
    return report


def period_label(report: ActivityReport) -> str:
    return _("%(start)s to %(end)s") % {
        "start": date_format(report.period_start, "DATE_FORMAT"),
        "end": date_format(report.period_end, "DATE_FORMAT"),
    }
