import pytest
from django.urls import reverse

from cordee.collectives.models import Membership
from cordee.core.tests.factories import (
    AdminMembershipFactory,
    CollectiveFactory,
    MembershipFactory,
    OpportunityFactory,
    ReferenceFactory,
    UserFactory,
)
from cordee.opportunities.models import Opportunity

pytestmark = pytest.mark.django_db

HOME = reverse("collectives:home")


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(HOME)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_user_without_collective_sees_the_empty_state_leading_to_creation(client):
    client.force_login(UserFactory())

    response = client.get(HOME)

    content = response.content.decode()
    assert response.status_code == 200
    assert "You are not part of a collective yet." in content
    assert f'href="{reverse("collectives:create")}"' in content
    # The onboarding checklist: four steps, none done.
    assert response.context["onboarding"].done_count == 0
    assert [item.key for item in response.context["onboarding"].items] == [
        "create",
        "invite",
        "page",
        "publish",
    ]
    assert "0 of 4 steps done" in content


def test_each_collective_gets_a_card_with_role_members_page_and_open_opportunities(client):
    user = UserFactory()
    published = CollectiveFactory(name="Atelier Nord", is_published=True)
    MembershipFactory(collective=published, user=user, role=Membership.Role.MEMBER)
    AdminMembershipFactory(collective=published)
    MembershipFactory(collective=published)
    OpportunityFactory(collective=published, stage=Opportunity.Stage.NEW)
    OpportunityFactory(collective=published, stage=Opportunity.Stage.PROPOSAL_SENT)
    OpportunityFactory(collective=published, stage=Opportunity.Stage.WON)
    OpportunityFactory(collective=published, stage=Opportunity.Stage.LOST)
    draft = AdminMembershipFactory(user=user, collective__name="Brouillon Studio").collective
    OpportunityFactory(collective=CollectiveFactory(), stage=Opportunity.Stage.NEW)  # someone else's
    client.force_login(user)

    response = client.get(HOME)

    cards = {m.collective.name: m for m in response.context["memberships"]}
    assert list(cards) == ["Atelier Nord", "Brouillon Studio"]
    assert (cards["Atelier Nord"].member_count, cards["Atelier Nord"].open_opportunity_count) == (3, 2)
    assert (cards["Brouillon Studio"].member_count, cards["Brouillon Studio"].open_opportunity_count) == (
        1,
        0,
    )
    content = response.content.decode()
    assert reverse("collectives:dashboard", args=[published.slug]) in content
    assert reverse("collectives:dashboard", args=[draft.slug]) in content
    assert content.count("Not published") == 1
    assert "Published" in content
    assert "Admin" in content and "Member" in content


def test_the_checklist_follows_the_first_collective_an_admin_has_not_finished(client):
    membership = AdminMembershipFactory(collective__name="Studio Sud")
    client.force_login(membership.user)

    response = client.get(HOME)

    onboarding = response.context["onboarding"]
    assert response.context["onboarding_membership"] == membership
    assert [(item.key, item.done) for item in onboarding.items] == [
        ("create", True),
        ("invite", False),
        ("page", False),
        ("publish", False),
    ]
    assert "Set up Studio Sud" in response.content.decode()


def test_the_checklist_disappears_once_every_step_is_done(client, settings, tmp_path):
    membership = AdminMembershipFactory(
        collective__is_published=True,
        collective__description="Nous faisons du design.",
        collective__expertises=["Design"],
        collective__logo="logos/x.png",
        title="Designer",
    )
    MembershipFactory(collective=membership.collective, title="Développeur")
    ReferenceFactory(collective=membership.collective)
    client.force_login(membership.user)

    response = client.get(HOME)

    assert response.context["onboarding"] is None
    assert "steps done" not in response.content.decode()


def _user_with_collectives(count):
    user = UserFactory()
    for _ in range(count):
        collective = AdminMembershipFactory(user=user).collective
        MembershipFactory(collective=collective)
        OpportunityFactory(collective=collective)
        ReferenceFactory(collective=collective)
    return user


def test_the_number_of_queries_does_not_grow_with_the_number_of_collectives(
    client, django_assert_num_queries
):
    few, many = _user_with_collectives(2), _user_with_collectives(8)
    counts = {}
    for label, user in (("few", few), ("many", many)):
        client.force_login(user)
        client.get(HOME)  # warm-up
        with django_assert_num_queries(3) as captured:
            response = client.get(HOME)
        counts[label] = len(captured.captured_queries)
        assert len(response.context["memberships"]) == (2 if label == "few" else 8)
    assert counts["few"] == counts["many"]
