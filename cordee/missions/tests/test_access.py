"""The one access rule: active members see a mission; its lead and the collective's admins manage it."""

import pytest
from django.contrib.auth.models import AnonymousUser

from cordee.collectives.access import membership_for
from cordee.collectives.models import Membership
from cordee.core.access import AccessDenied
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.access import deliverable_for, mission_for, task_for
from cordee.missions.tests.factories import DeliverableFactory, MissionFactory, TaskFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mission():
    return MissionFactory()


def test_a_plain_member_sees_but_does_not_manage(mission):
    member = MembershipFactory(collective=mission.collective).user
    assert mission_for(member, mission.pk) == mission
    with pytest.raises(AccessDenied):
        mission_for(member, mission.pk, manage=True)


def test_the_lead_and_an_admin_manage(mission):
    admin = AdminMembershipFactory(collective=mission.collective).user
    assert mission_for(mission.lead, mission.pk, manage=True) == mission
    assert mission_for(admin, mission.pk, manage=True) == mission


def test_a_lead_who_left_the_collective_is_refused(mission):
    Membership.objects.filter(collective=mission.collective, user=mission.lead).delete()
    with pytest.raises(AccessDenied):
        mission_for(mission.lead, mission.pk)
    with pytest.raises(AccessDenied):
        mission_for(mission.lead, mission.pk, manage=True)


@pytest.mark.parametrize("user_kind", ["outsider", "anonymous", "none"])
def test_outsiders_are_refused_for_every_kind(mission, user_kind):
    user = {
        "outsider": lambda: AdminMembershipFactory().user,
        "anonymous": AnonymousUser,
        "none": lambda: None,
    }[user_kind]()
    deliverable = DeliverableFactory(mission=mission)
    task = TaskFactory(mission=mission)
    for fetch, pk in ((mission_for, mission.pk), (deliverable_for, deliverable.pk), (task_for, task.pk)):
        with pytest.raises(AccessDenied):
            fetch(user, pk)
    with pytest.raises(AccessDenied):
        membership_for(user, mission.collective_id)


def test_a_missing_mission_is_refused_like_a_foreign_one(mission):
    with pytest.raises(AccessDenied):
        mission_for(mission.lead, mission.pk + 1000)


def test_membership_for_admin_only(mission):
    member = MembershipFactory(collective=mission.collective)
    assert membership_for(member.user, mission.collective_id) == member
    with pytest.raises(AccessDenied):
        membership_for(member.user, mission.collective_id, admin=True)


def test_a_deactivated_account_is_refused_even_as_admin(mission):
    admin = AdminMembershipFactory(collective=mission.collective).user
    admin.is_active = False
    admin.save()

    with pytest.raises(AccessDenied):
        mission_for(admin, mission.pk)
