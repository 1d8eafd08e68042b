from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from schwifty import IBAN
from stdnum.eu import vat
from stdnum.fr import siret

from cordee.accounts.models import User
from cordee.collectives.models import Collective, Membership, Reference
from cordee.collectives.queries import collective_page_state
from cordee.core.tests.factories import CollectiveFactory
from cordee.opportunities.models import Opportunity, OpportunityStageChange

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_creates_the_published_demo_collective_with_four_members():
    output = seed()

    collective = Collective.objects.get()
    assert (collective.slug, collective.name) == (settings.DEMO_SLUG, "Atelier Rive Gauche")
    assert collective.is_published and collective.published_at is not None
    assert collective.tagline and len(collective.expertises) >= 3
    assert "<h2>Comment nous travaillons</h2>" in collective.description_html
    assert collective.logo.storage.exists(collective.logo.name)
    memberships = Membership.objects.filter(collective=collective).select_related("user")
    assert sorted(m.title for m in memberships) == [
        "Cheffe de projet",
        "Designer UX",
        "Développeur back-end",
        "Développeuse front-end",
    ]
    admin = memberships.get(role=Membership.Role.ADMIN)
    assert (admin.user.email, admin.user.full_name) == (settings.DEMO_EMAIL, "Claire Martin")
    assert all(m.skills and m.day_rate for m in memberships)
    assert Reference.objects.filter(collective=collective).count() == 3
    assert output.strip() == (
        f"Demo collective “Atelier Rive Gauche” created: log in with {settings.DEMO_EMAIL} / {settings.DEMO_PASSWORD}"
    )


def test_the_demo_page_is_complete():
    seed()

    _references, completeness = collective_page_state(Collective.objects.get())

    assert completeness.missing == []


def test_every_demo_member_has_a_complete_and_valid_legal_identity():
    seed()

    for user in User.objects.all():
        assert user.missing_legal_identity() == [], user.email
        assert siret.is_valid(user.siret), user.siret
        assert IBAN(user.iban).country_code == "FR"
        if user.vat_regime == User.VatRegime.REGISTERED:
            assert vat.is_valid(user.vat_number)
            assert user.vat_number[4:] == user.siret[:9]
        assert EmailAddress.objects.filter(user=user, email=user.email, verified=True, primary=True).exists()


def test_four_opportunities_in_different_stages_with_their_history():
    seed()

    opportunities = Opportunity.objects.order_by("created_at")
    assert sorted(o.stage for o in opportunities) == sorted(["new", "qualified", "proposal_sent", "won"])
    assert all(len(o.need) > 60 for o in opportunities)
    won = opportunities.get(stage=Opportunity.Stage.WON)
    assert list(won.stage_changes.values_list("from_stage", "to_stage")) == [
        ("", "new"),
        ("new", "qualified"),
        ("qualified", "proposal_sent"),
        ("proposal_sent", "won"),
    ]
    assert OpportunityStageChange.objects.filter(collective=won.collective).count() == 1 + 2 + 3 + 4


def test_seed_is_idempotent():
    seed()
    counts = (Collective.objects.count(), User.objects.count(), Opportunity.objects.count())

    output = seed()

    assert (Collective.objects.count(), User.objects.count(), Opportunity.objects.count()) == counts
    assert output.strip() == "Demo data already present (the database has collectives): nothing to do."


def test_seed_does_nothing_on_a_database_with_another_collective():
    CollectiveFactory()

    seed()

    assert not Collective.objects.filter(slug=settings.DEMO_SLUG).exists()
    assert not User.objects.filter(email=settings.DEMO_EMAIL).exists()


def test_the_demo_login_works_and_opens_the_demo_dashboard():
    seed()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    assert client.login(email=settings.DEMO_EMAIL, password=settings.DEMO_PASSWORD)
    response = client.get(reverse("collectives:dashboard", args=[settings.DEMO_SLUG]))

    assert response.status_code == 200
    assert "Atelier Rive Gauche" in response.content.decode()
    assert response.context["overview"].open_opportunity_count == 3


def test_the_allauth_login_form_accepts_the_demo_credentials():
    seed()
    client = Client(HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(
        reverse("account_login"), {"login": settings.DEMO_EMAIL, "password": settings.DEMO_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("collectives:home")
