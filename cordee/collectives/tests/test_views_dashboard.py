import pytest
from django.urls import reverse

from cordee.core.tests.factories import (
    AdminMembershipFactory,
    MembershipFactory,
    OpportunityFactory,
    ReferenceFactory,
)
from cordee.opportunities.models import Opportunity

pytestmark = pytest.mark.django_db


def dashboard_url(collective):
    return reverse("collectives:dashboard", args=[collective.slug])


def test_the_overview_counts_opportunities_by_stage_and_links_to_the_pipeline(admin_client, collective):
    for stage, count in [("new", 2), ("qualified", 1), ("won", 3)]:
        for _ in range(count):
            OpportunityFactory(collective=collective, stage=stage)
    OpportunityFactory(stage=Opportunity.Stage.NEW)  # another collective's

    response = admin_client.get(dashboard_url(collective))

    overview = response.context["overview"]
    assert [(item.stage, item.count) for item in overview.stage_counts] == [
        ("new", 2),
        ("qualified", 1),
        ("proposal_sent", 0),
        ("won", 3),
        ("lost", 0),
    ]
    assert overview.open_opportunity_count == 3
    assert reverse("opportunities:pipeline", args=[collective.slug]) in response.content.decode()


def test_a_new_collective_sees_its_set_up_checklist_and_the_public_page_link(admin_client, collective):
    response = admin_client.get(dashboard_url(collective))

    content = response.content.decode()
    assert [(item.key, item.done) for item in response.context["overview"].onboarding.items] == [
        ("create", True),
        ("invite", False),
        ("page", False),
        ("publish", False),
    ]
    assert "Set up your collective" in content
    assert "1 of 4 steps done" in content
    assert reverse("public:collective", args=[collective.slug]) in content
    assert "Not published" in content
    assert "No open opportunity. Publish your page" in content


def test_the_checklist_counts_members_invited_and_page_progress(admin_client, collective, member_membership):
    response = admin_client.get(dashboard_url(collective))

    onboarding = response.context["overview"].onboarding
    assert [(item.key, item.done) for item in onboarding.items][1] == ("invite", True)
    assert "2 of 4 steps done" in response.content.decode()


def test_the_members_list_is_compact_with_titles(admin_client, collective, admin_membership):
    MembershipFactory(collective=collective, user__full_name="Zoé Petit", title="Designer UX")

    response = admin_client.get(dashboard_url(collective))

    content = response.content.decode()
    assert [m.user.full_name for m in response.context["overview"].members] == [
        admin_membership.user.full_name,
        "Zoé Petit",
    ]
    assert "Zoé Petit" in content and "Designer UX" in content
    assert "No title yet" in content  # the admin has none


def test_a_member_sees_the_overview_too(member_client, collective):
    response = member_client.get(dashboard_url(collective))

    assert response.status_code == 200
    assert "See the page content" in response.content.decode()


def _collective_with(collective, count):
    for index in range(count):
        MembershipFactory(collective=collective, title=f"Titre {index}")
        OpportunityFactory(collective=collective, stage=Opportunity.Stage.choices[index % 5][0])
        ReferenceFactory(collective=collective)


def test_the_number_of_queries_does_not_grow_with_members_and_opportunities(
    client, django_assert_num_queries
):
    counts = []
    for extra in (2, 8):
        admin = AdminMembershipFactory()
        _collective_with(admin.collective, extra)
        client.force_login(admin.user)
        client.get(dashboard_url(admin.collective))  # warm-up
        # The user, their memberships, the waiting and the next opportunities, the members, the stage
        # counts, the collective's counts (with whether it has surveys and active billing plans), the
        # active missions (none here: their deliverables are not read). No survey and no active plan: the
        # client feedback and budgets blocks read nothing.
        with django_assert_num_queries(8) as captured:
            response = client.get(dashboard_url(admin.collective))
        assert len(response.context["overview"].members) == extra + 1
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_next_steps_list_open_opportunities_dated_actions_first(admin_client, collective):
    import datetime as dt

    OpportunityFactory(collective=collective, company="Sans action", stage=Opportunity.Stage.NEW)
    OpportunityFactory(
        collective=collective,
        company="Plus tard",
        stage=Opportunity.Stage.QUALIFIED,
        next_action="Envoyer le devis",
        next_action_date=dt.date(2026, 5, 2),
    )
    OpportunityFactory(
        collective=collective,
        company="Bientôt",
        stage=Opportunity.Stage.PROPOSAL_SENT,
        next_action="Relancer",
        next_action_date=dt.date(2026, 4, 20),
    )
    OpportunityFactory(collective=collective, company="Gagnée", stage=Opportunity.Stage.WON)

    response = admin_client.get(dashboard_url(collective))

    upcoming = response.context["overview"].upcoming_opportunities
    assert [o.company for o in upcoming] == ["Bientôt", "Plus tard", "Sans action"]
    content = response.content.decode()
    assert "Relancer · April 20, 2026" in content
    assert "no next step yet" in content
    assert reverse("opportunities:detail", args=[collective.slug, upcoming[0].pk]) in content
