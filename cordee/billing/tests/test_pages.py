"""Every billing page renders for its audience, in a constant number of queries as data grows."""

import pytest
from django.urls import reverse

from cordee.billing.tests.conftest import portal_sign_in, sent_quote

pytestmark = pytest.mark.django_db


def test_member_pages_render(client, world):
    quote = sent_quote(world)
    client.force_login(world.lead)
    slug, mission = world.collective.slug, world.mission.pk
    for url in (
        reverse("billing:sellers", args=[slug]),
        reverse("billing:mission", args=[slug, mission]),
        reverse("billing:plan", args=[slug, mission]),
        reverse("billing:quote", args=[slug, mission, quote.pk]),
        reverse("billing:quote_pdf", args=[slug, mission, quote.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url


def test_portal_pages_render(client, world):
    quote = sent_quote(world)
    portal_sign_in(client, world.contact)
    for url in (
        reverse("billing_portal:quote", args=[quote.pk]),
        reverse("billing_portal:quote_pdf", args=[quote.pk]),
        reverse("billing_portal:billing", args=[world.mission.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
