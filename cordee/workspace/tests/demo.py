"""Helpers of the demo seed's tests."""

import zoneinfo
from io import StringIO

from django.core.management import call_command

from cordee.billing.models import Invoice
from cordee.missions.models import Mission

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
MAINTENANCE = "Maintenance et évolutions de la boutique en ligne"


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def active_mission() -> Mission:
    """The subsidies portal, the demo's mission in full swing."""
    return Mission.objects.select_related("client", "lead").get(
        title="Portail des subventions aux associations"
    )


def issued_invoices():
    return Invoice.objects.filter(status=Invoice.Status.ISSUED, document_type=Invoice.DocumentType.INVOICE)
