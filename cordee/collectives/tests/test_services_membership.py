import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from cordee.collectives.models import Membership
from cordee.collectives.services import membership_leave, membership_remove, membership_update
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def snapshot(collective):
    return sorted(
        Membership.objects.filter(collective=collective).values_list("pk", "role", "title", "day_rate")
    )


def update(membership, by, **overrides):
    values = {"title": "Designer", "skills": ["UX"], "day_rate": Decimal("500.00"), "role": None}
    return membership_update(membership=membership, by=by, **{**values, **overrides})


# --- membership_update ---------------------------------------------------------------------------


def test_a_member_edits_their_own_title_skills_and_day_rate(member_membership):
    update(
        member_membership, member_membership, title="Développeuse", skills=["Vue.js"], day_rate=Decimal("580")
    )

    member_membership.refresh_from_db()
    assert (member_membership.title, member_membership.skills, member_membership.day_rate) == (
        "Développeuse",
        ["Vue.js"],
        Decimal("580.00"),
    )


def test_a_member_cannot_change_their_own_role(member_membership):
    before = snapshot(member_membership.collective)

    with pytest.raises(PermissionDenied):
        update(member_membership, member_membership, role=Membership.Role.ADMIN)

    assert snapshot(member_membership.collective) == before


def test_a_member_cannot_edit_someone_else(admin_membership, member_membership):
    before = snapshot(admin_membership.collective)

    with pytest.raises(PermissionDenied):
        update(admin_membership, member_membership, title="Stagiaire")

    assert snapshot(admin_membership.collective) == before


def test_an_admin_of_another_collective_cannot_edit(member_membership):
    outsider = AdminMembershipFactory()
    before = snapshot(member_membership.collective)

    with pytest.raises(PermissionDenied):
        update(member_membership, outsider, role=Membership.Role.ADMIN)

    assert snapshot(member_membership.collective) == before


def test_an_admin_promotes_a_member_then_can_step_down(admin_membership, member_membership):
    update(member_membership, admin_membership, role=Membership.Role.ADMIN)
    update(admin_membership, admin_membership, role=Membership.Role.MEMBER)

    assert snapshot(admin_membership.collective) == sorted(
        [
            (admin_membership.pk, Membership.Role.MEMBER, "Designer", Decimal("500.00")),
            (member_membership.pk, Membership.Role.ADMIN, "Designer", Decimal("500.00")),
        ]
    )


def test_the_last_admin_cannot_be_demoted(admin_membership, member_membership):
    before = snapshot(admin_membership.collective)

    with pytest.raises(ValidationError) as caught:
        update(admin_membership, admin_membership, role=Membership.Role.MEMBER, title="Autre titre")

    assert caught.value.code == "last_admin"
    assert snapshot(admin_membership.collective) == before


def test_a_stale_admin_object_does_not_bypass_the_last_admin_rule(admin_membership, member_membership):
    """The rule reads the locked rows, not the objects the caller holds."""
    second_admin = AdminMembershipFactory(collective=admin_membership.collective)
    stale_second_admin = Membership.objects.get(pk=second_admin.pk)
    update(admin_membership, admin_membership, role=Membership.Role.MEMBER)  # first admin steps down

    with pytest.raises(ValidationError) as caught:
        update(second_admin, stale_second_admin, role=Membership.Role.MEMBER)

    assert caught.value.code == "last_admin"
    assert Membership.objects.get(pk=second_admin.pk).role == Membership.Role.ADMIN


# --- membership_remove ---------------------------------------------------------------------------


def test_an_admin_removes_a_member(admin_membership, member_membership):
    membership_remove(membership=member_membership, by=admin_membership)

    assert not Membership.objects.filter(pk=member_membership.pk).exists()
    assert Membership.objects.filter(pk=admin_membership.pk).exists()


def test_a_member_cannot_remove_anyone(admin_membership, member_membership):
    other = MembershipFactory(collective=admin_membership.collective)
    before = snapshot(admin_membership.collective)

    with pytest.raises(PermissionDenied):
        membership_remove(membership=other, by=member_membership)

    assert snapshot(admin_membership.collective) == before


def test_the_last_admin_cannot_be_removed(admin_membership, member_membership):
    before = snapshot(admin_membership.collective)

    with pytest.raises(ValidationError) as caught:
        membership_remove(membership=admin_membership, by=admin_membership)

    assert caught.value.code == "last_admin"
    assert snapshot(admin_membership.collective) == before


def test_an_admin_demoted_meanwhile_can_no_longer_remove(admin_membership, member_membership):
    second_admin = AdminMembershipFactory(collective=admin_membership.collective)
    stale_admin = Membership.objects.get(pk=admin_membership.pk)
    update(admin_membership, second_admin, role=Membership.Role.MEMBER)
    before = snapshot(admin_membership.collective)

    with pytest.raises(PermissionDenied):
        membership_remove(membership=second_admin, by=stale_admin)

    assert snapshot(admin_membership.collective) == before


# --- membership_leave ----------------------------------------------------------------------------


def test_a_member_leaves(member_membership):
    membership_leave(membership=member_membership)

    assert not Membership.objects.filter(pk=member_membership.pk).exists()


def test_an_admin_leaves_when_another_admin_remains(admin_membership):
    other_admin = AdminMembershipFactory(collective=admin_membership.collective)

    membership_leave(membership=admin_membership)

    assert list(Membership.objects.filter(collective=admin_membership.collective)) == [other_admin]


def test_the_last_admin_cannot_leave(admin_membership, member_membership):
    before = snapshot(admin_membership.collective)

    with pytest.raises(ValidationError) as caught:
        membership_leave(membership=admin_membership)

    assert caught.value.code == "last_admin"
    assert snapshot(admin_membership.collective) == before


def test_the_only_member_cannot_leave(admin_membership):
    with pytest.raises(ValidationError) as caught:
        membership_leave(membership=admin_membership)

    assert caught.value.code == "last_admin"
    assert Membership.objects.filter(pk=admin_membership.pk).exists()


# --- Concurrency ---------------------------------------------------------------------------------


def run_concurrently(*calls):
    """Run each call in its own thread (its own database connection), released at the same instant."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            call()
            outcomes[index] = "ok"
        except ValidationError as error:
            outcomes[index] = error.code
        except PermissionDenied:
            outcomes[index] = "forbidden"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(outcomes)


@pytest.mark.django_db(transaction=True)
def test_two_admins_leaving_at_the_same_time_leave_one_admin():
    first = AdminMembershipFactory()
    second = AdminMembershipFactory(collective=first.collective)

    outcomes = run_concurrently(
        lambda: membership_leave(membership=first), lambda: membership_leave(membership=second)
    )

    assert outcomes == ["last_admin", "ok"]
    assert Membership.objects.filter(collective=first.collective, role=Membership.Role.ADMIN).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_admins_demoting_each_other_at_the_same_time_leave_one_admin():
    first = AdminMembershipFactory()
    second = AdminMembershipFactory(collective=first.collective)

    outcomes = run_concurrently(
        lambda: update(second, first, role=Membership.Role.MEMBER),
        lambda: update(first, second, role=Membership.Role.MEMBER),
    )

    # The second request runs after the first: its author is no longer an admin.
    assert outcomes == ["forbidden", "ok"]
    assert Membership.objects.filter(collective=first.collective, role=Membership.Role.ADMIN).count() == 1


def test_someone_who_left_meanwhile_can_no_longer_edit(admin_membership, member_membership):
    stale_admin = AdminMembershipFactory(collective=admin_membership.collective)
    Membership.objects.filter(pk=stale_admin.pk).delete()
    before = snapshot(admin_membership.collective)

    with pytest.raises(PermissionDenied):
        update(member_membership, stale_admin, role=Membership.Role.ADMIN)

    assert snapshot(admin_membership.collective) == before


def test_an_admin_demoted_meanwhile_can_no_longer_edit_others(admin_membership, member_membership):
    second_admin = AdminMembershipFactory(collective=admin_membership.collective)
    stale_admin = Membership.objects.get(pk=admin_membership.pk)
    update(admin_membership, second_admin, role=Membership.Role.MEMBER)
    before = snapshot(admin_membership.collective)

    with pytest.raises(PermissionDenied):
        update(member_membership, stale_admin, title="Stagiaire")

    assert snapshot(admin_membership.collective) == before
