from decimal import Decimal

import pytest
from django.urls import reverse

from cordee.collectives.models import Membership
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def members_url(collective):
    return reverse("collectives:members", args=[collective.slug])


def edit_url(membership):
    return reverse("collectives:member_edit", args=[membership.collective.slug, membership.pk])


def remove_url(membership):
    return reverse("collectives:member_remove", args=[membership.collective.slug, membership.pk])


def snapshot(collective):
    return sorted(
        Membership.objects.filter(collective=collective).values_list("pk", "role", "title", "day_rate")
    )


# --- List ----------------------------------------------------------------------------------------


def test_members_see_names_titles_roles_skills_and_day_rates(member_client, collective, admin_membership):
    MembershipFactory(
        collective=collective,
        user__full_name="Karim Benali",
        title="Développeur back-end",
        skills=["Django", "PostgreSQL"],
        day_rate=Decimal("1250.50"),
    )

    response = member_client.get(members_url(collective))

    content = response.content.decode()
    assert "Karim Benali" in content
    assert "Développeur back-end" in content
    assert "<li>Django</li>" in content and "<li>PostgreSQL</li>" in content
    assert "1,250.50 € excl. VAT" in content
    assert "Admin" in content
    assert "3 members in" in content
    assert '<span class="avatar" aria-hidden="true">KB</span>' in content


def test_a_round_day_rate_keeps_its_cents_in_the_french_format(member_client, collective, admin_membership):
    MembershipFactory(collective=collective, day_rate=Decimal("650"))

    content = member_client.get(members_url(collective), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "650,00\xa0€ HT" in content


def test_a_member_sees_edit_only_for_themselves_and_no_remove_button(
    member_client, collective, admin_membership, member_membership
):
    response = member_client.get(members_url(collective))

    content = response.content.decode()
    assert edit_url(member_membership) in content
    assert edit_url(admin_membership) not in content
    assert remove_url(admin_membership) not in content
    assert reverse("collectives:leave", args=[collective.slug]) in content


def test_an_admin_sees_edit_and_remove_for_others(
    admin_client, collective, admin_membership, member_membership
):
    response = admin_client.get(members_url(collective))

    content = response.content.decode()
    assert edit_url(member_membership) in content
    assert remove_url(member_membership) in content
    assert remove_url(admin_membership) not in content


def test_the_number_of_queries_does_not_grow_with_members(
    admin_client, collective, django_assert_num_queries
):
    counts = []
    for total in (2, 8):
        while Membership.objects.filter(collective=collective).count() < total:
            MembershipFactory(collective=collective, skills=["UX"])
        admin_client.get(members_url(collective))  # warm-up
        with django_assert_num_queries(4) as captured:
            response = admin_client.get(members_url(collective))
        assert len(response.context["members"]) == total
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def test_members_are_paginated(admin_client, collective):
    for _ in range(25):
        MembershipFactory(collective=collective)

    first = admin_client.get(members_url(collective))
    second = admin_client.get(members_url(collective) + "?page=2")

    assert len(first.context["members"]) == 25
    assert len(second.context["members"]) == 1
    assert "Page 2 of 2" in second.content.decode()


# --- Edit ----------------------------------------------------------------------------------------


def test_an_admin_edits_a_members_role_title_skills_and_day_rate(admin_client, member_membership):
    response = admin_client.post(
        edit_url(member_membership),
        {"role": "admin", "title": "Designer UX", "skills": "Figma, Recherche", "day_rate": "550"},
        follow=True,
    )

    member_membership.refresh_from_db()
    assert (
        member_membership.role,
        member_membership.title,
        member_membership.skills,
        member_membership.day_rate,
    ) == (
        Membership.Role.ADMIN,
        "Designer UX",
        ["Figma", "Recherche"],
        Decimal("550.00"),
    )
    assert "profile has been saved." in response.content.decode()


def test_a_member_edits_their_own_profile_but_not_their_role(member_client, member_membership):
    response = member_client.get(edit_url(member_membership))
    assert 'name="role"' not in response.content.decode()
    assert "Only an admin can change roles." in response.content.decode()

    member_client.post(
        edit_url(member_membership),
        {"role": "admin", "title": "Développeuse", "skills": "Vue.js", "day_rate": "580"},
    )

    member_membership.refresh_from_db()
    assert (member_membership.role, member_membership.title, member_membership.day_rate) == (
        Membership.Role.MEMBER,
        "Développeuse",
        Decimal("580.00"),
    )


def test_a_member_cannot_edit_someone_else(member_client, collective, admin_membership):
    before = snapshot(collective)

    get = member_client.get(edit_url(admin_membership))
    post = member_client.post(edit_url(admin_membership), {"title": "Pirate", "skills": "", "day_rate": "1"})

    assert (get.status_code, post.status_code) == (403, 403)
    assert snapshot(collective) == before


def test_a_negative_day_rate_is_refused_and_typed_values_kept(member_client, member_membership):
    before = snapshot(member_membership.collective)

    response = member_client.post(
        edit_url(member_membership), {"title": "Développeuse", "skills": "Vue.js", "day_rate": "-5"}
    )

    content = response.content.decode()
    assert "Ensure this value is greater than or equal to 0." in content
    assert 'value="Développeuse"' in content
    assert 'value="-5"' in content
    assert snapshot(member_membership.collective) == before


def test_the_last_admin_cannot_demote_themselves(admin_client, admin_membership, member_membership):
    before = snapshot(admin_membership.collective)

    response = admin_client.post(
        edit_url(admin_membership),
        {"role": "member", "title": "Cheffe de projet", "skills": "", "day_rate": ""},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "is the last admin: make someone else admin first." in content
    assert 'value="Cheffe de projet"' in content
    assert snapshot(admin_membership.collective) == before


# --- Remove and leave ----------------------------------------------------------------------------


def test_an_admin_removes_a_member(admin_client, collective, member_membership):
    response = admin_client.post(remove_url(member_membership), follow=True)

    assert not Membership.objects.filter(pk=member_membership.pk).exists()
    assert f"{member_membership.user.display_name} is no longer a member of" in response.content.decode()


def test_a_member_cannot_remove_others(member_client, collective, admin_membership):
    other = MembershipFactory(collective=collective)
    before = snapshot(collective)

    responses = [member_client.post(remove_url(target)).status_code for target in (admin_membership, other)]

    assert responses == [403, 403]
    assert snapshot(collective) == before


def test_the_last_admin_cannot_be_removed(admin_client, collective, admin_membership, member_membership):
    before = snapshot(collective)

    response = admin_client.post(remove_url(admin_membership), follow=True)

    assert "is the last admin and cannot be removed." in response.content.decode()
    assert snapshot(collective) == before


def test_a_member_leaves_and_lands_on_the_personal_dashboard(member_client, collective, member_membership):
    response = member_client.post(reverse("collectives:leave", args=[collective.slug]), follow=True)

    assert response.redirect_chain == [("/dashboard/", 302)]
    assert not Membership.objects.filter(pk=member_membership.pk).exists()
    assert f"You have left {collective.name}." in response.content.decode()


def test_the_last_admin_cannot_leave(admin_client, collective, admin_membership, member_membership):
    before = snapshot(collective)

    response = admin_client.post(reverse("collectives:leave", args=[collective.slug]), follow=True)

    assert response.redirect_chain == [(members_url(collective), 302)]
    assert "You are the last admin: make another member admin before leaving." in response.content.decode()
    assert snapshot(collective) == before


def test_an_admin_can_leave_once_another_admin_exists(admin_client, collective, admin_membership):
    AdminMembershipFactory(collective=collective)

    response = admin_client.post(reverse("collectives:leave", args=[collective.slug]))

    assert response["Location"] == "/dashboard/"
    assert not Membership.objects.filter(pk=admin_membership.pk).exists()


def test_the_invitations_link_appears_once_invitations_exist(admin_client, collective):
    from django.urls import NoReverseMatch

    response = admin_client.get(members_url(collective))

    try:
        invite_url = reverse("invitations:list", args=[collective.slug])
    except NoReverseMatch:
        assert "Invite members" not in response.content.decode()
    else:
        assert f'href="{invite_url}"' in response.content.decode()
