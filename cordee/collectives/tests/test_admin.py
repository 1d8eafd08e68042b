import pytest
from django.urls import reverse

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import OpportunityFactory, ReferenceFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    user = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_admin_lists_and_searches_collectives_memberships_references(superuser_client, member_membership):
    ReferenceFactory(collective=member_membership.collective, title="Site de la mairie")
    collective = member_membership.collective

    pages = {
        "collective": superuser_client.get(
            reverse("admin:collectives_collective_changelist"), {"q": collective.slug}
        ),
        "membership": superuser_client.get(
            reverse("admin:collectives_membership_changelist"), {"q": member_membership.user.email}
        ),
        "reference": superuser_client.get(reverse("admin:collectives_reference_changelist"), {"q": "mairie"}),
        "change": superuser_client.get(reverse("admin:collectives_collective_change", args=[collective.pk])),
    }

    assert {name: page.status_code for name, page in pages.items()} == dict.fromkeys(pages, 200)
    assert pages["collective"].context["cl"].result_count == 1
    assert pages["membership"].context["cl"].result_count == 1
    assert pages["reference"].context["cl"].result_count == 1


def test_admin_lists_outbound_emails_and_opportunities(superuser_client):
    OutboundEmail.objects.create(
        idempotency_key="test:1",
        to_email="client@example.fr",
        from_email="a@b.fr",
        subject="Bonjour",
        body_text="x",
    )
    OpportunityFactory(company="Librairie Dupont")

    emails = superuser_client.get(reverse("admin:core_outboundemail_changelist"), {"q": "client@example.fr"})
    filtered = superuser_client.get(reverse("admin:core_outboundemail_changelist"), {"state__exact": "sent"})
    opportunities = superuser_client.get(
        reverse("admin:opportunities_opportunity_changelist"), {"q": "Dupont", "stage__exact": "new"}
    )

    assert (emails.context["cl"].result_count, filtered.context["cl"].result_count) == (1, 0)
    assert opportunities.context["cl"].result_count == 1
