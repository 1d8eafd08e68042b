"""A member of collective A never reaches collective B's opportunities, whatever the URL."""

import pytest
from django.urls import reverse

from cordee.opportunities.models import Opportunity, OpportunityStageChange

pytestmark = pytest.mark.django_db


def snapshot():
    return (
        list(Opportunity.objects.order_by("pk").values()),
        list(OpportunityStageChange.objects.order_by("pk").values()),
    )


def b_urls(slug, pk):
    return {
        "pipeline": reverse("opportunities:pipeline", args=[slug]),
        "list": reverse("opportunities:list", args=[slug]),
        "create": reverse("opportunities:create", args=[slug]),
        "detail": reverse("opportunities:detail", args=[slug, pk]),
        "move": reverse("opportunities:move", args=[slug, pk]),
    }


# Pages under B's slug, and B's objects smuggled under A's slug.
CASES = [(page, "b_slug") for page in ("pipeline", "list", "create", "detail", "move")] + [
    ("detail", "a_slug"),
    ("move", "a_slug"),
]


@pytest.mark.parametrize(("page", "through"), CASES)
def test_a_member_of_a_gets_404_on_b_and_nothing_changes(
    admin_client, collective, admin_user, other_opportunity, page, through
):
    # Given a member of A, and B's opportunity reached through B's slug or smuggled under A's
    slug = other_opportunity.collective.slug if through == "b_slug" else collective.slug
    url = b_urls(slug, other_opportunity.pk)[page]
    before = snapshot()

    # When they read it, then post an edit, a move or a new opportunity to it
    get_response = admin_client.get(url)
    post_response = admin_client.post(
        url,
        {
            "stage": "won",
            "owner": admin_user.pk,
            "notes": "piraté",
            "contact_name": "X",
            "contact_email": "x@example.fr",
            "need": "x",
            "budget": "unknown",
        },
        HTTP_HX_REQUEST="true" if page == "move" else "",
    )

    # Then both are a 404 and nothing changed
    assert get_response.status_code == 404
    assert post_response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("page", ["pipeline", "list", "create", "detail", "move"])
def test_anonymous_visitors_are_sent_to_log_in(client, opportunity, page):
    url = b_urls(opportunity.collective.slug, opportunity.pk)[page]
    before = snapshot()

    for response in (client.get(url), client.post(url, {"stage": "won"})):
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('account_login')}?next={url}"
    assert snapshot() == before


def test_b_opportunities_are_absent_from_a_pages(admin_client, collective, opportunity, other_opportunity):
    pipeline = admin_client.get(reverse("opportunities:pipeline", args=[collective.slug])).content.decode()
    listing = admin_client.get(reverse("opportunities:list", args=[collective.slug])).content.decode()

    for content in (pipeline, listing):
        assert "Durand SA" in content
        assert "Société B" not in content
