import datetime as dt
import zoneinfo

import pytest
import time_machine

from cordee.core.tests.factories import CollectiveFactory, ReferenceFactory

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
# A Monday morning in Paris: every date in these tests is relative to it.
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS)


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def published(collective):
    collective.is_published = True
    collective.description = "Nous concevons des **produits numériques** sobres."
    collective.expertises = ["Design UX", "Django", "Accessibilité"]
    collective.contact_email = "bonjour@collectif.fr"
    collective.save()
    ReferenceFactory(
        collective=collective,
        title="Refonte du site e-commerce",
        client_name="Maison Lenoir",
        year=2025,
        text="Une refonte complète en six semaines.",
    )
    return collective


@pytest.fixture
def other_collective(db):
    return CollectiveFactory(is_published=False)


@pytest.fixture
def proposal_data():
    """What a visitor types in the form (dates after NOW)."""
    return {
        "contact_name": "Paul Durand",
        "contact_email": "paul@durand-sa.fr",
        "company": "Durand SA",
        "need": "Refonte de notre application mobile de prise de rendez-vous.",
        "budget": "15k-50k",
        "desired_start": "2026-04-01",
        "deadline": "2026-06-30",
    }


@pytest.fixture(autouse=True)
def _english(client):
    """Pages are asserted in English (the source language), whatever the French catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
