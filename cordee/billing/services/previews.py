"""Previews of billing's client-facing emails on the mission's email previews page (registered by
BillingConfig.ready): the mission's latest document when there is one, otherwise an example that is
never saved. Nothing is written: no number is issued, no magic link created."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy

from cordee.billing.models import ActivityReport, BillingPlan, Invoice, InvoiceBatch, OverageRequest, Quote
from cordee.billing.services.sellers import name_initials
from cordee.communication.services.kickoff import portal_login_url
from cordee.communication.services.previews import PreviewKind
from cordee.missions.models import Mission

QUOTE_SENT = "billing/emails/quote_sent"
REPORT_SENT = "billing/emails/report_sent"
CAP_ALERT_CLIENT = "billing/emails/cap_alert_client"
OVERAGE_REQUEST = "billing/emails/overage_request"
INVOICES_SENT = "billing/emails/invoices_sent"
CREDIT_NOTE_SENT = "billing/emails/credit_note_sent"
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
            number=f"DEV-{name_initials(mission.lead.display_name) or 'M'}-{today.year}-00001",
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


def _example_invoice(mission: Mission, seller_name: str, serial: int, amount: str, **values) -> Invoice:
    today = timezone.localdate()
    return Invoice(
        collective_id=mission.collective_id,
        mission=mission,
        number=f"FAC-{name_initials(str(seller_name)) or 'M'}-{today.year}-{serial:05d}",
        issued_on=today,
        due_on=today + timedelta(days=30),
        seller_snapshot={"name": seller_name},
        total_incl_tax=Decimal(amount),
        status=Invoice.Status.ISSUED,
        **values,
    )


def _preview_invoices(mission: Mission, contact, params: dict) -> tuple[str, dict]:
    batch = (
        InvoiceBatch.objects.filter(
            collective_id=mission.collective_id, mission=mission, sent_at__isnull=False
        )
        .order_by("-sent_at", "-pk")
        .first()
    )
    if batch is not None:
        invoices = list(
            Invoice.objects.filter(
                batch=batch, client__isnull=False, document_type=Invoice.DocumentType.INVOICE
            )
            .defer("pdf", "xml")
            .order_by("pk")
        )
    else:
        batch = InvoiceBatch(
            collective_id=mission.collective_id, mission=mission, label=gettext_lazy("(The milestone)")
        )
        invoices = [
            _example_invoice(mission, mission.lead.display_name, 12, "1200.00"),
            _example_invoice(mission, gettext_lazy("(Another member)"), 4, "960.00"),
        ]
    return INVOICES_SENT, {
        **_base(mission, contact),
        "batch": batch,
        "invoices": invoices,
        "total": sum((invoice.amount_due for invoice in invoices), Decimal("0.00")),
        "lead": mission.lead,
    }


def _preview_credit_note(mission: Mission, contact, params: dict) -> tuple[str, dict]:
    credit = (
        Invoice.objects.filter(
            collective_id=mission.collective_id,
            mission=mission,
            client__isnull=False,
            document_type=Invoice.DocumentType.CREDIT_NOTE,
        )
        .exclude(status=Invoice.Status.DRAFT)
        .select_related("corrects")
        .defer("pdf", "xml", "corrects__pdf", "corrects__xml")
        .order_by("-issued_on", "-pk")
        .first()
    )
    if credit is not None:
        original = credit.corrects
    else:
        original = _example_invoice(mission, mission.lead.display_name, 12, "1200.00")
        original.status = Invoice.Status.CANCELLED
        credit = _example_invoice(
            mission, mission.lead.display_name, 3, "1200.00", document_type=Invoice.DocumentType.CREDIT_NOTE
        )
        credit.number = credit.number.replace("FAC", "AV")
    return CREDIT_NOTE_SENT, {
        **_base(mission, contact),
        "credit": credit,
        "original": original,
        "lead": mission.lead,
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
        PreviewKind(
            "invoices_sent",
            gettext_lazy("Invoices sent together"),
            gettext_lazy(
                "When the invoices of a milestone or a period go to the client's finance contact, in one email "
                "with every PDF (the last ones sent, or an example)."
            ),
            _preview_invoices,
            template=INVOICES_SENT,
        ),
        PreviewKind(
            "credit_note_sent",
            gettext_lazy("Credit note"),
            gettext_lazy(
                "When a member corrects an invoice already sent with a credit note (the last one, or an example)."
            ),
            _preview_credit_note,
            template=CREDIT_NOTE_SENT,
        ),
    ]
