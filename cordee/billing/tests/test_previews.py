"""Billing's client-facing emails on the mission's email previews page: the mission's latest document, or
an example, and nothing written."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cordee.billing.models import ActivityReport, BillingPlan, OverageRequest, Quote
from cordee.billing.services.sellers import name_initials
from cordee.billing.tests.conftest import sent_quote
from cordee.core.models import OutboundEmail
from cordee.portal.models import PortalAccess

pytestmark = pytest.mark.django_db


def counts():
    return [
        model.objects.count()
        for model in (OutboundEmail, PortalAccess, Quote, BillingPlan, ActivityReport, OverageRequest)
    ]


def preview(client, world, key):
    client.force_login(world.lead)
    url = reverse("communication:preview", args=[world.collective.slug, world.mission.pk])
    response = client.get(url, {"email": key, "language": "en", "contact": world.contact.pk})
    assert response.status_code == 200
    assert response.context["kind"].key == key
    assert response.context["unavailable"] == ""
    return response.context["subject"], response.context["text"]


def test_without_a_billing_document_each_email_shows_an_example_and_nothing_is_written(client, world):
    before = counts()
    title = world.mission.title

    quote_subject, quote_text = preview(client, world, "quote_sent")
    report_subject, report_text = preview(client, world, "report_sent")
    cap_subject, cap_text = preview(client, world, "cap_alert_client")
    overage_subject, overage_text = preview(client, world, "overage_request")

    assert counts() == before
    initials = name_initials(world.mission.lead.display_name)
    assert initials
    assert quote_subject == f"Quote DEV-{initials}-{timezone.localdate().year}-00001 for {title}"
    assert "Total excl. VAT: 12,000.00\xa0€." in quote_text
    assert report_subject == f"Activity report of {title} to validate"
    assert "is ready: 8.5 days." in report_text
    assert cap_subject == f"{title}: 80% of the budget in days"
    assert f"{title} has consumed 16 days of the 20 days agreed (80%)." in cap_text
    assert overage_subject == f"{title}: approval asked for days beyond the cap"
    assert "The team asks for 3 more days on" in overage_text
    assert "(The reason you give, in your own words.)" in overage_text


def test_the_quote_preview_shows_the_last_quote_sent(client, world):
    quote = sent_quote(world)
    before = counts()

    subject, text = preview(client, world, "quote_sent")

    assert counts() == before
    assert subject == f"Quote {quote.number} for {world.mission.title}"
    assert quote.total_excl_vat == Decimal("15000.00")  # the cap of 20 days at 600 € and the de-risking phase
    assert "Total excl. VAT: 15,000.00\xa0€." in text


def test_the_cap_alert_preview_uses_the_plans_cap(client, world):
    sent_quote(world)
    BillingPlan.objects.filter(mission=world.mission).update(cap_days=Decimal("10"))

    _subject, text = preview(client, world, "cap_alert_client")

    assert f"{world.mission.title} has consumed 8 days of the 10 days agreed (80%)." in text
