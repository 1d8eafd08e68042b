"""A member who leaves or is removed is archived, not deleted: what they did stays theirs, they act nowhere,
they leave every list, picker and count of the collective, and a new invitation brings the same row back."""

import ast
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cordee.api.models import AccessToken
from cordee.api.services.tokens import access_token_authenticate, access_token_create
from cordee.collectives.access import membership_for
from cordee.collectives.models import Membership
from cordee.collectives.queries import collective_members
from cordee.collectives.services import membership_leave, membership_remove
from cordee.core.access import AccessDenied
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory, UserFactory
from cordee.invitations.models import Invitation
from cordee.invitations.services import invitation_accept, invitations_create
from cordee.invitations.tests.factories import InvitationFactory
from cordee.missions.forms.missions import collective_users
from cordee.missions.models import Task
from cordee.missions.queries.team import team_users
from cordee.missions.services.tasks import task_assign
from cordee.missions.tests.factories import (
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
    TimeEntryFactory,
)
from cordee.opportunities.queries import collective_members_as_users
from cordee.timesheets.models import TimeEntry
from cordee.workspace.queries import memberships_for_home

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_membership():
    return AdminMembershipFactory()


@pytest.fixture
def collective(admin_membership):
    return admin_membership.collective


@pytest.fixture
def lead(admin_membership):
    return admin_membership.user


@pytest.fixture
def lead_client(client, lead):
    client.force_login(lead)
    return client


@pytest.fixture
def member_membership(collective):
    return MembershipFactory(collective=collective)


@pytest.fixture
def mission(collective, lead):
    return MissionFactory(collective=collective, lead=lead)


@pytest.fixture
def former(mission):
    """A team member with a done task and logged time, then removed from the collective by an admin."""
    member = MissionMemberFactory(mission=mission)
    membership = Membership.objects.get(collective=mission.collective, user=member.user)
    TaskFactory(mission=mission, assignee=member.user, status=Task.Status.DONE)
    TimeEntryFactory(mission=mission, user=member.user, hours=Decimal("2"))
    admin = Membership.objects.get(collective=mission.collective, user=mission.lead)
    membership_remove(membership=membership, by=admin)
    return membership


def test_removing_a_member_archives_the_membership_with_who_and_why(former, lead):
    row = Membership.with_archived.get(pk=former.pk)

    assert row.archived_at is not None
    assert row.archived_by == lead
    assert row.archive_reason == Membership.ArchiveReason.REMOVED
    assert not Membership.objects.filter(pk=former.pk).exists()


def test_leaving_archives_the_membership_as_left_by_the_member(member_membership):
    membership_leave(membership=member_membership)

    row = Membership.with_archived.get(pk=member_membership.pk)
    assert (row.archived_by, row.archive_reason) == (member_membership.user, Membership.ArchiveReason.LEFT)


def test_what_a_former_member_did_stays_theirs(former, mission):
    assert TimeEntry.objects.filter(mission=mission, user=former.user, hours=Decimal("2")).exists()
    assert Task.objects.filter(mission=mission, assignee=former.user, status=Task.Status.DONE).exists()
    assert mission.team.filter(user=former.user).exists()


def test_a_former_member_acts_nowhere(former, collective, client):
    with pytest.raises(AccessDenied):
        membership_for(former.user, collective.pk)

    client.force_login(former.user)
    response = client.get(reverse("collectives:members", args=[collective.slug]))
    assert response.status_code in (403, 404)


def test_a_former_member_leaves_every_list_picker_and_count(former, collective, mission, lead, lead_client):
    user = former.user

    assert user not in {membership.user for membership in collective_members(collective)}
    assert user not in collective_users(collective)
    assert user not in collective_members_as_users(collective=collective)
    assert user not in team_users(mission)
    (card,) = memberships_for_home(lead)
    assert card.member_count == 1
    page = lead_client.get(reverse("collectives:members", args=[collective.slug])).content.decode()
    assert user.display_name not in page


def test_a_task_cannot_be_given_to_a_former_member(former, mission, lead):
    task = TaskFactory(mission=mission)

    with pytest.raises(ValidationError):
        task_assign(task=task, assignee=former.user, by=lead)

    task.refresh_from_db()
    assert task.assignee is None


def test_the_navigation_of_a_former_member_no_longer_lists_the_collective(former, collective, client):
    MembershipFactory(user=former.user)  # still a member elsewhere
    client.force_login(former.user)

    page = client.get(reverse("missions:my_work")).content.decode()

    assert reverse("collectives:dashboard", args=[collective.slug]) not in page


def test_a_former_member_can_be_invited_again_and_comes_back_on_the_same_row(former, collective, lead):
    former_admin_title = former.title

    report = invitations_create(collective=collective, invited_by=lead, emails=[former.user.email])
    assert report.invited == [former.user.email]
    invitation = Invitation.objects.get(collective=collective, email=former.user.email)

    membership = invitation_accept(invitation=invitation, user=former.user)

    assert membership.pk == former.pk
    row = Membership.objects.get(pk=former.pk)
    assert (row.archived_at, row.archived_by, row.archive_reason) == (None, None, "")
    assert (row.role, row.title) == (Membership.Role.MEMBER, former_admin_title)
    assert membership_for(former.user, collective.pk).pk == former.pk
    assert Membership.with_archived.filter(collective=collective, user=former.user).count() == 1


def test_a_former_admin_comes_back_as_a_plain_member(collective, admin_membership):
    second = MembershipFactory(collective=collective, role=Membership.Role.ADMIN)
    membership_leave(membership=second)
    invitation = InvitationFactory(
        collective=collective, email=second.user.email, invited_by=admin_membership.user
    )

    membership = invitation_accept(invitation=invitation, user=second.user)

    assert membership.role == Membership.Role.MEMBER
    with pytest.raises(AccessDenied):
        membership_for(second.user, collective.pk, admin=True)


def test_a_current_member_is_still_not_invited_twice(member_membership, lead):
    report = invitations_create(
        collective=member_membership.collective, invited_by=lead, emails=[member_membership.user.email]
    )

    assert report.already_members == [member_membership.user.email]


def test_an_archived_admin_row_gives_no_admin_right(collective, admin_membership):
    second = MembershipFactory(collective=collective, role=Membership.Role.ADMIN)
    membership_leave(membership=second)

    assert not Membership.with_archived.get(pk=second.pk).is_admin
    assert UserFactory() not in collective_users(collective)


# A join through `memberships__…` bypasses the manager that hides archived memberships: each one says
# `…memberships__archived_at__isnull=True` in the same call (the same membership row), unless listed here.
JOINS_THAT_MAY_SEE_FORMER_MEMBERS = {
    # The name and language of someone who was on a ritual's invitation and no longer is.
    ("communication/services/rituals_calendar.py", "memberships__collective_id"),
}


def membership_joins_without_the_archive_filter() -> list[str]:
    package = Path(__file__).resolve().parent.parent / "cordee"
    found = []
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package).as_posix()
        if "/tests/" in f"/{relative}" or "/migrations/" in relative:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            names = [keyword.arg for keyword in node.keywords if keyword.arg]
            for name in names:
                match = re.match(r"^((?:\w+__)?)memberships__(\w+)$", name)
                if not match or name.startswith("mission_memberships") or "__mission_memberships" in name:
                    continue
                prefix = match.group(1)
                if match.group(2) == "archived_at__isnull":
                    continue
                if f"{prefix}memberships__archived_at__isnull" in names:
                    continue
                if (relative, f"{prefix}memberships__{match.group(2)}".removeprefix(prefix)) in (
                    JOINS_THAT_MAY_SEE_FORMER_MEMBERS
                ):
                    continue
                found.append(f"{relative}:{node.lineno} {name}")
    return found


def test_every_join_through_memberships_leaves_former_members_out():
    assert membership_joins_without_the_archive_filter() == []


def test_the_team_page_keeps_a_former_member_with_their_hours_marked_as_gone(former, mission, lead_client):
    page = lead_client.get(
        reverse("missions:team", args=[mission.collective.slug, mission.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()

    assert former.user.display_name in page
    assert page.count("Left the collective") == 1
    assert "2 h logged" in page


def test_the_api_token_of_a_former_member_stops_working(collective, lead, member_membership):
    _token, raw = access_token_create(
        by=member_membership.user, collective_id=collective.pk, name="Zapier", scope=AccessToken.Scope.READ
    )
    assert access_token_authenticate(raw) is not None

    membership_remove(
        membership=member_membership, by=Membership.objects.get(collective=collective, user=lead)
    )

    assert access_token_authenticate(raw) is None
