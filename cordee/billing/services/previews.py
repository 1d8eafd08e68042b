"""Previews of billing's client-facing emails on the mission's email previews page (registered by
BillingConfig.ready): the mission's latest document when there is one, otherwise an example that is
never saved. Nothing is written: no number is issued, no magic link created."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy

from cordee.billing.models import ActivityReport, BillingPlan, OverageRequest, Quote
from cordee.communication.services.kickoff import portal_login_url
from cordee.communication.services.previews import PreviewKind
from cordee.missions.models import Mission

QUOTE_SENT = "billing/emails/quote_sent"
REPORT_SENT = "billing/emails/report_sent"
CAP_ALERT_CLIENT = "billing/emails/cap_alert_client"
OVERAGE_REQUEST = "billing/emails/overage_request"
EXAMPLE_CAP_DAYS = Decimal("20")
EXAMPLE_THRESHOLD = 80


def _base(mission: Mission, contact) -> dict:
    return {
        "mission": mission,
        "collective": mission.collective,
        "contact": contact,
        "portal_url": portal_login_url(),
    }


def _cap_days(mission: Mission) -> Decimal:
    """The cap of the mission's latest capped plan, or an example cap."""
    plan = (
        BillingPlan.objects.filter(
            collective_id=mission.collective_id, mission=mission, cap_days__isnull=False
        )
        .order_by("-version")
        .first()
    )
    return plan.cap_days if plan is not None else EXAMPLE_CAP_DAYS


def _preview_quote(mission: Mission, contact, params: dict) -> tuple[str, dict]:
    quote = (
        Quote.objects.filter(collective_id=mission.collective_id, mission=mission)
        .exclude(status=Quote.Status.DRAFT)
        .order_by("-sent_at", "-pk")
        .first()
    )
    if quote is None:
        today = timezone.localdate()
        quote = Quote(
            collective_id=mission.collective_id,
            mission=mission,
            number=f"DEV-{today.year}-00001",
            issued_on=today,
            valid_until=today + timedelta(days=30),
            total_excl_vat=Decimal("12000.00"),
        )
    return QUOTE_SENT, {**_base(mission, contact), "quote": quote, "lead": mission.lead}


def _preview_report(mission: Mission, contact, params: dict) -> tuple[str, dict]:
    report = (
        ActivityReport.objects.filter(collective_id=mission.collective_id, mission=mission)
        .exclude(status=ActivityReport.Status.DRAFT)
        .order_by("-sent_at", "-pk")
        .first()
    )
    if report is None:
        end = timezone.localdate().replace(day=1) - timedelta(days=1)
        report = ActivityReport(
            collective_id=mission.collective_id,
            mission=mission,
            period_start=end.replace(day=1),
            period_end=end,
            total_days=Decimal("8.5"),
        )
    return REPORT_SENT, {**_base(mission, contact), "report": report}


def _preview_cap_alert(mission: Mission, contact, params: dict) -> tuple[str, dict]:
    cap = _cap_days(mission)
    return CAP_ALERT_CLIENT, {
        **_base(mission, contact),
        "threshold": EXAMPLE_THRESHOLD,
        "consumed": (cap * EXAMPLE_THRESHOLD / 100).normalize(),
        "cap": cap.normalize(),
    }


def _preview_overage(mission: Mission, contact, params: dict) -> tuple[str, dict]:
    overage = (
        OverageRequest.objects.filter(collective_id=mission.collective_id, plan__mission=mission)
        .select_related("plan")
        .order_by("-requested_at", "-pk")
        .first()
    )
    if overage is None:
        cap = _cap_days(mission)
        overage = OverageRequest(
            collective_id=mission.collective_id,
            days=Decimal("3"),
            reason=gettext_lazy("(The reason you give, in your own words.)"),
        )
    else:
        cap = overage.plan.cap_days or EXAMPLE_CAP_DAYS
    return OVERAGE_REQUEST, {
        **_base(mission, contact),
        "overage": overage,
        "days": overage.days.normalize(),
        "cap": cap.normalize(),
    }


def email_previews() -> list[PreviewKind]:
    return [
        PreviewKind(
            "quote_sent",
            gettext_lazy("Quote"),
            gettext_lazy(
                "When you send a quote, to every contact of the client, with its PDF attached (the last "
                "quote sent, or an example)."
            ),
            _preview_quote,
            template=QUOTE_SENT,
        ),
        PreviewKind(
            "report_sent",
            gettext_lazy("Activity report"),
            gettext_lazy(
                "When you send a pay-as-you-go mission's activity report for validation (the last report "
                "sent, or an example)."
            ),
            _preview_report,
            template=REPORT_SENT,
        ),
        PreviewKind(
            "cap_alert_client",
            gettext_lazy("Cap alert"),
            gettext_lazy(
                "At 50, 80 and 100% of a pay-as-you-go plan's cap, when the plan tells the client "
                "(example: 80%)."
            ),
            _preview_cap_alert,
            template=CAP_ALERT_CLIENT,
        ),
        PreviewKind(
            "overage_request",
            gettext_lazy("Overage request"),
            gettext_lazy(
                "When you ask the client to approve days beyond the cap (the last request, or an example)."
            ),
            _preview_overage,
            template=OVERAGE_REQUEST,
        ),
    ]
