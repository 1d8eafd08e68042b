"""Preview of the invoice reminder on the mission's email previews page (registered by BillingConfig.ready):
the mission's latest batch still to remind as it would go out at +7 days, or an example never saved."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy

from cordee.billing.models import Invoice
from cordee.billing.services.reminders import (
    DEFAULT_TEXTS,
    REMINDER_TEMPLATE,
    DefaultLevel,
    reminder_context,
    reminder_lines,
)
from cordee.communication.services.kickoff import portal_login_url
from cordee.communication.services.previews import PreviewKind
from cordee.missions.models import Mission

EXAMPLE_LEVEL = 7


def _example_invoices(mission: Mission, today) -> list[Invoice]:
    due = today - timedelta(days=EXAMPLE_LEVEL)
    return [
        Invoice(
            collective_id=mission.collective_id,
            mission=mission,
            number=number,
            issued_on=due - timedelta(days=30),
            due_on=due,
            flow=Invoice.Flow.B2B,
            seller_snapshot={"name": name, "late_penalty_rate": "10.15"},
            total_incl_tax=Decimal(total),
            amount_paid=Decimal("0.00"),
        )
        for number, name, total in (
            ("FAC-CM-2026-00012", "Claire Martin EI", "3600.00"),
            ("FAC-PD-2026-00007", "Paul Durand EI", "2400.00"),
        )
    ]


def _preview_reminder(mission: Mission, contact, params: dict) -> tuple[str, dict]:
    today = timezone.localdate()
    latest = (
        Invoice.objects.filter(
            collective_id=mission.collective_id,
            mission=mission,
            status=Invoice.Status.ISSUED,
            batch__isnull=False,
            payment_status__in=(Invoice.PaymentStatus.OPEN, Invoice.PaymentStatus.PARTLY_PAID),
        )
        .order_by("-issued_on", "-pk")
        .values_list("batch_id", flat=True)
        .first()
    )
    invoices = []
    if latest is not None:
        invoices = list(
            Invoice.objects.filter(
                collective_id=mission.collective_id,
                batch_id=latest,
                status=Invoice.Status.ISSUED,
                payment_status__in=(Invoice.PaymentStatus.OPEN, Invoice.PaymentStatus.PARTLY_PAID),
            ).order_by("due_on", "number")
        )
    if invoices:
        today = max(invoice.due_on for invoice in invoices) + timedelta(days=EXAMPLE_LEVEL)
    else:
        invoices = _example_invoices(mission, today)
    level = DefaultLevel(EXAMPLE_LEVEL, *DEFAULT_TEXTS[EXAMPLE_LEVEL])
    context = reminder_context(
        lines=reminder_lines(invoices, today), level=level, mission=mission, contact=contact, today=today
    )
    return REMINDER_TEMPLATE, {**context, "portal_url": portal_login_url()}


def email_previews() -> list[PreviewKind]:
    return [
        PreviewKind(
            "invoice_reminder",
            gettext_lazy("Invoice reminder"),
            gettext_lazy(
                "At each step of the collective's reminder ladder, all of the mission's unpaid invoices in one "
                "email (shown 7 days after the due date: the mission's latest invoices, or an example)."
            ),
            _preview_reminder,
            template=REMINDER_TEMPLATE,
        )
    ]
