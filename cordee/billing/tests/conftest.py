"""A collective ready to bill: a lead with a complete legal identity, a client with a billing address and
a contact, an active mission; and helpers to build plans and quotes through the services."""

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from cordee.billing.models import BillingPlan, NumberSeries, Quote
from cordee.billing.services.plans import PlanInput, plan_save
from cordee.billing.services.quotes import quote_draft, quote_send
from cordee.clients.models import Client, ClientContact
from cordee.collectives.models import Collective
from cordee.missions.models import Mission
from cordee.missions.tests.factories import ClientContactFactory, ClientFactory, MissionFactory
from cordee.portal.services import portal_link_create

LEGAL_IDENTITY = {
    "full_name": "Claire Martin",
    "legal_form": "micro",
    "business_name": "Claire Martin Design",
    "siret": "73282932000074",
    "vat_regime": "franchise",
    "address_line": "12 rue des Lilas",
    "postal_code": "75011",
    "city": "Paris",
    "iban": "FR7630006000011234567890189",
    "bic": "AGRIFRPP",
    "account_holder": "Claire Martin",
}


def make_ready(user, **overrides):
    for name, value in {**LEGAL_IDENTITY, **overrides}.items():
        setattr(user, name, value)
    user.save()
    return user


@dataclass
class World:
    collective: Collective
    mission: Mission
    client: Client
    contact: ClientContact

    @property
    def lead(self):
        return self.mission.lead


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def world(db):
    mission = MissionFactory(start_date=date(2026, 3, 2))
    make_ready(mission.lead)
    client = mission.client
    client.address_line = "5 avenue de France"
    client.postal_code = "75013"
    client.city = "Paris"
    client.siren = "552081317"
    client.save()
    contact = ClientContactFactory(client=client, full_name="Louise Bernard", language="fr")
    return World(collective=mission.collective, mission=mission, client=client, contact=contact)


def payg_input(**overrides) -> PlanInput:
    values = {
        "model": BillingPlan.Model.PAY_AS_YOU_GO,
        "mission_day_rate": Decimal("600"),
        "cap_days": Decimal("20"),
        "derisk_scope": "Audit et prototype",
        "derisk_price": Decimal("3000"),
        "derisk_end_date": date(2026, 3, 13),
    }
    return PlanInput(**{**values, **overrides})


def sent_quote(world, plan_input=None, valid_until=None) -> Quote:
    plan_save(by=world.lead, mission_id=world.mission.pk, plan_input=plan_input or payg_input())
    quote = quote_draft(
        by=world.lead,
        mission_id=world.mission.pk,
        valid_until=valid_until or date.today() + timedelta(days=30),
    )
    return quote_send(by=world.lead, quote_id=quote.pk)


def series_prefix(seller, document_type: str) -> str:
    """The prefix the seller's series was given: a member's carries their initials ("FAC-CM")."""
    return NumberSeries.objects.get(seller=seller, document_type=document_type).prefix


def portal_sign_in(client, contact):
    url = portal_link_create(contact=contact)
    token = url.rstrip("/").rsplit("/", 1)[-1]
    response = client.post(reverse("portal:magic", args=[token]))
    assert response.status_code == 302
    return client


__all__ = [
    "ClientFactory",
    "ClientContactFactory",
    "World",
    "payg_input",
    "sent_quote",
    "portal_sign_in",
    "series_prefix",
]
