"""A member who leads missions still under way is neither removed nor leaves until the lead changes."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from cordee.collectives.models import Membership
from cordee.collectives.services import membership_leave, membership_remove
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.models import Mission
from cordee.missions.services.missions import mission_change_lead
from cordee.missions.tests.factories import MissionFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return AdminMembershipFactory()


@pytest.fixture
def leader(admin):
    """A member who leads an active and a paused mission, and led a closed one."""
    membership = MembershipFactory(collective=admin.collective, user__full_name="Nadia Benali")
    for title, status in (
        ("Refonte", Mission.Status.ACTIVE),
        ("Audit", Mission.Status.PAUSED),
        ("Ancien", "closed"),
    ):
        MissionFactory(collective=admin.collective, lead=membership.user, title=title, status=status)
    return membership


def test_removing_a_lead_is_refused_naming_the_missions(admin, leader):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        membership_remove(membership=leader, by=admin)

    assert refused.value.messages == [
        "Nadia Benali leads missions still under way: “Audit”, “Refonte”. Change their lead first, then remove "
        "Nadia Benali."
    ]
    assert Membership.objects.filter(pk=leader.pk).exists()


def test_the_refusal_is_in_french_for_a_french_admin(admin, leader):
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        membership_remove(membership=leader, by=admin)

    assert refused.value.messages == [
        "Nadia Benali est responsable de missions en cours\u00a0: “Audit”, “Refonte”. Changez d'abord leur "
        "responsable, puis retirez Nadia Benali."
    ]


def test_a_lead_cannot_leave_either(leader):
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        membership_leave(membership=leader)

    assert refused.value.messages == [
        "Vous êtes responsable de missions en cours\u00a0: “Audit”, “Refonte”. Confiez-les à un autre membre "
        "avant de partir."
    ]
    assert Membership.objects.filter(pk=leader.pk).exists()


def test_once_the_lead_changed_the_member_is_removed_and_their_history_stays(admin, leader):
    entry = TimeEntryFactory(mission=Mission.objects.get(title="Refonte"), user=leader.user)
    for mission in Mission.objects.filter(lead=leader.user).exclude(status="closed"):
        mission_change_lead(mission=mission, by=admin.user, new_lead=admin.user)

    membership_remove(membership=leader, by=admin)

    assert not Membership.objects.filter(pk=leader.pk).exists()
    entry.refresh_from_db()
    assert entry.user == leader.user
    assert Mission.objects.get(title="Ancien").lead == leader.user
