# ruff: noqa: F811 - the fixtures imported from core_fixtures are requested by name
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.models import Mission, MissionEvent, MissionMember
from cordee.missions.services.missions import (
    mission_change_lead,
    mission_member_add,
    mission_member_remove,
    mission_member_update,
)
from cordee.missions.tests.core_fixtures import english, member_client, mission, teammate  # noqa: F401
from cordee.missions.tests.factories import MissionMemberFactory, TaskFactory, TimeEntryFactory

pytestmark = pytest.mark.django_db


def team_url(mission):
    return reverse("missions:team", args=[mission.collective.slug, mission.pk])


def lead_url(mission):
    return reverse("missions:change_lead", args=[mission.collective.slug, mission.pk])


class TestLeadChange:
    def test_recorded_with_from_and_to_and_the_new_lead_joins_the_team(self, mission, admin_user, teammate):
        new_lead = teammate.user

        event = mission_change_lead(mission=mission, by=admin_user, new_lead=new_lead)

        mission.refresh_from_db()
        assert mission.lead == new_lead
        assert MissionMember.objects.filter(mission=mission, user=new_lead).exists()
        assert (event.kind, event.actor, event.summary) == (
            "lead_changed",
            admin_user,
            f"{admin_user.display_name} → Zoé Petit",
        )
        assert (event.data["from"], event.data["to"], event.data["joined_team"]) == (
            admin_user.pk,
            new_lead.pk,
            True,
        )
        assert MissionEvent.objects.filter(mission=mission, kind="member_added").count() == 1

    def test_every_client_contact_is_emailed_in_their_language_from_the_collective(
        self, mission, admin_user, teammate, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            event = mission_change_lead(
                mission=mission, by=admin_user, new_lead=teammate.user, message="Ravie de vous retrouver."
            )

        emails = {email.to_email: email for email in OutboundEmail.objects.all()}
        assert set(emails) == {"claire@lenoir.fr", "john@lenoir.fr"}
        contacts = {contact.email: contact for contact in mission.client.contacts.all()}
        for address, email in emails.items():
            assert email.idempotency_key == f"mission:{mission.pk}:lead:{event.pk}:{contacts[address].pk}"
            assert email.from_email == mission.collective.notification_sender()
            assert email.reply_to == teammate.user.email
            assert "Ravie de vous retrouver." in email.body_text
        english_email, french_email = emails["john@lenoir.fr"], emails["claire@lenoir.fr"]
        assert english_email.language == "en"
        assert english_email.subject == "Refonte du site: Zoé Petit is now your contact"
        assert (
            "From now on, Zoé Petit is your single contact for the mission “Refonte du site”"
            in english_email.body_text
        )
        assert french_email.language == "fr"
        assert "Zoé Petit" in french_email.subject
        assert sorted(message.to[0] for message in mail.outbox) == ["claire@lenoir.fr", "john@lenoir.fr"]

    def test_a_draft_mission_changes_lead_without_emailing_the_client(self, mission, admin_user, teammate):
        Mission.objects.filter(pk=mission.pk).update(status="draft")
        mission.refresh_from_db()

        mission_change_lead(mission=mission, by=admin_user, new_lead=teammate.user)

        assert Mission.objects.get(pk=mission.pk).lead == teammate.user
        assert not OutboundEmail.objects.exists()

    def test_a_lead_outside_the_collective_is_refused_and_nothing_changes(self, mission, admin_user):
        outsider = AdminMembershipFactory().user

        with pytest.raises(ValidationError) as refused:
            mission_change_lead(mission=mission, by=admin_user, new_lead=outsider)

        assert refused.value.error_dict["lead"][0].code == "not_member"
        assert Mission.objects.get(pk=mission.pk).lead == admin_user
        assert not MissionMember.objects.filter(user=outsider).exists()
        assert not MissionEvent.objects.exists()
        assert not OutboundEmail.objects.exists()

    def test_the_same_lead_is_refused(self, mission, admin_user):
        with pytest.raises(ValidationError) as refused:
            mission_change_lead(mission=mission, by=admin_user, new_lead=admin_user)

        assert refused.value.error_dict["lead"][0].code == "same_lead"
        assert not MissionEvent.objects.exists()

    def test_a_member_who_is_not_the_lead_cannot(self, mission, member_membership, teammate):
        with pytest.raises(PermissionDenied):
            mission_change_lead(mission=mission, by=member_membership.user, new_lead=teammate.user)

        assert Mission.objects.get(pk=mission.pk).lead_id != teammate.user_id
        assert not OutboundEmail.objects.exists()

    def test_the_lead_who_is_not_admin_can_hand_over(self, collective, member_membership, teammate):
        from cordee.missions.tests.factories import MissionFactory

        led = MissionFactory(collective=collective, lead=member_membership.user)

        mission_change_lead(mission=led, by=member_membership.user, new_lead=teammate.user)

        assert Mission.objects.get(pk=led.pk).lead == teammate.user

    def test_the_page_lists_the_contacts_and_changes_the_lead(self, admin_client, mission, teammate):
        page = admin_client.get(lead_url(mission)).content.decode()
        assert "Claire Lenoir" in page and "John Smith" in page
        assert f'<option value="{mission.lead_id}"' not in page

        response = admin_client.post(
            lead_url(mission), {"lead": teammate.user_id, "message": ""}, follow=True
        )

        assert Mission.objects.get(pk=mission.pk).lead == teammate.user
        assert "Zoé Petit is now the lead of the mission; the client&#x27;s contacts were told by email." in (
            response.content.decode()
        )

    def test_a_lead_of_another_collective_in_the_post_is_refused_with_the_message_kept(
        self, admin_client, mission
    ):
        outsider = AdminMembershipFactory().user

        response = admin_client.post(lead_url(mission), {"lead": outsider.pk, "message": "Bonjour à tous"})

        assert response.status_code == 200
        assert "Select a valid choice." in response.content.decode()
        assert "Bonjour à tous" in response.content.decode()
        assert Mission.objects.get(pk=mission.pk).lead_id == mission.lead_id
        assert not OutboundEmail.objects.exists()

    def test_a_member_who_is_not_the_lead_gets_403(self, member_client, mission, teammate):
        assert member_client.get(lead_url(mission)).status_code == 403
        assert member_client.post(lead_url(mission), {"lead": teammate.user_id}).status_code == 403
        assert Mission.objects.get(pk=mission.pk).lead_id == mission.lead_id
        assert not MissionEvent.objects.exists()


class TestTeamServices:
    def test_a_member_joins_with_the_collective_day_rate_by_default(self, mission, admin_user, collective):
        membership = MembershipFactory(collective=collective, day_rate=Decimal("520.00"))

        member = mission_member_add(mission=mission, by=admin_user, user=membership.user, role="dev")

        assert (member.role, member.day_rate, member.collective) == ("dev", Decimal("520.00"), collective)
        event = MissionEvent.objects.get(kind="member_added")
        assert event.data == {"user": membership.user_id, "role": "dev"}

    def test_someone_outside_the_collective_cannot_join(self, mission, admin_user):
        outsider = AdminMembershipFactory().user

        with pytest.raises(ValidationError) as refused:
            mission_member_add(mission=mission, by=admin_user, user=outsider)

        assert refused.value.error_dict["user"][0].code == "not_member"
        assert not MissionMember.objects.filter(user=outsider).exists()

    def test_a_member_already_on_the_team_is_refused(self, mission, admin_user):
        with pytest.raises(ValidationError) as refused:
            mission_member_add(mission=mission, by=admin_user, user=admin_user)

        assert refused.value.error_dict["user"][0].code == "already"

    def test_role_rate_and_capacity_are_updated(self, mission, admin_user, teammate):
        member = MissionMemberFactory(mission=mission, user=teammate.user)

        mission_member_update(
            member=member,
            by=admin_user,
            role="UX",
            day_rate=Decimal("600"),
            weekly_capacity_hours=Decimal("21"),
        )

        member.refresh_from_db()
        assert (member.role, member.day_rate, member.weekly_capacity_hours) == (
            "UX",
            Decimal("600"),
            Decimal("21"),
        )

    def test_a_capacity_over_a_week_is_refused(self, mission, admin_user, teammate):
        member = MissionMemberFactory(mission=mission, user=teammate.user, weekly_capacity_hours=None)

        with pytest.raises(ValidationError):
            mission_member_update(
                member=member, by=admin_user, role="", day_rate=None, weekly_capacity_hours=200
            )

        member.refresh_from_db()
        assert member.weekly_capacity_hours is None

    def test_the_lead_cannot_be_removed(self, mission, admin_user):
        lead_member = MissionMember.objects.get(mission=mission, user=admin_user)

        with pytest.raises(ValidationError) as refused:
            mission_member_remove(member=lead_member, by=admin_user)

        assert refused.value.code == "is_lead"
        assert MissionMember.objects.filter(pk=lead_member.pk).exists()

    def test_a_member_with_open_tasks_cannot_be_removed(self, mission, admin_user, teammate):
        member = MissionMemberFactory(mission=mission, user=teammate.user)
        TaskFactory(mission=mission, assignee=teammate.user, status="doing")
        TaskFactory(mission=mission, assignee=teammate.user, status="todo")

        with pytest.raises(ValidationError) as refused:
            mission_member_remove(member=member, by=admin_user)

        assert refused.value.messages == [
            "Zoé Petit still has 2 open tasks on this mission: reassign or finish them first."
        ]
        assert MissionMember.objects.filter(pk=member.pk).exists()

    def test_a_member_with_logged_time_cannot_be_removed(self, mission, admin_user, teammate):
        member = MissionMemberFactory(mission=mission, user=teammate.user)
        TimeEntryFactory(mission=mission, user=teammate.user)

        with pytest.raises(ValidationError) as refused:
            mission_member_remove(member=member, by=admin_user)

        assert refused.value.code == "has_time"
        assert MissionMember.objects.filter(pk=member.pk).exists()

    def test_a_member_whose_tasks_are_done_leaves_and_it_is_recorded(self, mission, admin_user, teammate):
        member = MissionMemberFactory(mission=mission, user=teammate.user)
        TaskFactory(mission=mission, assignee=teammate.user, status="done")

        mission_member_remove(member=member, by=admin_user)

        assert not MissionMember.objects.filter(pk=member.pk).exists()
        event = MissionEvent.objects.get(kind="member_removed")
        assert (event.summary, event.data) == ("Zoé Petit", {"user": teammate.user_id})

    def test_a_member_who_is_not_the_lead_cannot_manage_the_team(self, mission, member_membership, teammate):
        member = MissionMemberFactory(mission=mission, user=teammate.user)

        with pytest.raises(PermissionDenied):
            mission_member_add(mission=mission, by=member_membership.user, user=member_membership.user)
        with pytest.raises(PermissionDenied):
            mission_member_update(
                member=member, by=member_membership.user, role="x", day_rate=None, weekly_capacity_hours=None
            )
        with pytest.raises(PermissionDenied):
            mission_member_remove(member=member, by=member_membership.user)

        assert list(MissionMember.objects.filter(mission=mission).values_list("user_id", "role")) == [
            (mission.lead_id, "lead"),
            (teammate.user_id, "design"),
        ]


class TestTeamPage:
    def test_shows_each_member_with_open_tasks_and_hours(self, admin_client, mission, teammate):
        MissionMemberFactory(mission=mission, user=teammate.user, role="design", day_rate=Decimal("550"))
        TaskFactory(mission=mission, assignee=teammate.user)
        TimeEntryFactory(mission=mission, user=teammate.user, hours=Decimal("3.5"))

        content = admin_client.get(team_url(mission)).content.decode()

        assert "Zoé Petit" in content
        assert "550.00 € a day" in content
        assert "1 open task" in content
        assert "3.5 h logged" in content

    def test_add_a_member(self, admin_client, mission, collective):
        membership = MembershipFactory(collective=collective, day_rate=Decimal("500"))

        response = admin_client.post(
            team_url(mission),
            {
                "action": "add",
                "add-user": membership.user_id,
                "add-role": "front",
                "add-day_rate": "",
                "add-weekly_capacity_hours": "14",
            },
            follow=True,
        )

        member = MissionMember.objects.get(mission=mission, user=membership.user)
        assert (member.role, member.day_rate, member.weekly_capacity_hours) == (
            "front",
            Decimal("500"),
            Decimal("14"),
        )
        assert "joined the team." in response.content.decode()

    def test_adding_someone_of_another_collective_is_refused_with_typed_values_kept(
        self, admin_client, mission
    ):
        outsider = AdminMembershipFactory().user

        response = admin_client.post(
            team_url(mission),
            {
                "action": "add",
                "add-user": outsider.pk,
                "add-role": "Rôle tapé",
                "add-day_rate": "",
                "add-weekly_capacity_hours": "",
            },
        )

        assert response.status_code == 200
        assert "Select a valid choice." in response.content.decode()
        assert 'value="Rôle tapé"' in response.content.decode()
        assert not MissionMember.objects.filter(user=outsider).exists()

    def test_edit_a_member_and_see_errors_in_place(self, admin_client, mission, teammate):
        member = MissionMemberFactory(mission=mission, user=teammate.user, role="design")
        prefix = f"member-{member.pk}"

        refused = admin_client.post(
            team_url(mission),
            {
                "action": "edit",
                "member": member.pk,
                f"{prefix}-role": "UX",
                f"{prefix}-day_rate": "-5",
                f"{prefix}-weekly_capacity_hours": "",
            },
        )
        assert refused.status_code == 200
        assert 'value="UX"' in refused.content.decode()
        member.refresh_from_db()
        assert member.role == "design"

        admin_client.post(
            team_url(mission),
            {
                "action": "edit",
                "member": member.pk,
                f"{prefix}-role": "UX",
                f"{prefix}-day_rate": "600",
                f"{prefix}-weekly_capacity_hours": "7",
            },
        )
        member.refresh_from_db()
        assert (member.role, member.day_rate, member.weekly_capacity_hours) == (
            "UX",
            Decimal("600"),
            Decimal("7"),
        )

    def test_removing_a_member_with_open_tasks_says_why(self, admin_client, mission, teammate):
        member = MissionMemberFactory(mission=mission, user=teammate.user)
        TaskFactory(mission=mission, assignee=teammate.user)

        response = admin_client.post(
            team_url(mission), {"action": "remove", "member": member.pk}, follow=True
        )

        assert (
            "Zoé Petit still has 1 open task on this mission: reassign or finish it first."
            in response.content.decode()
        )
        assert MissionMember.objects.filter(pk=member.pk).exists()

    def test_a_team_member_of_another_mission_in_the_post_is_a_404(self, admin_client, mission, collective):
        from cordee.missions.tests.factories import MissionFactory

        elsewhere = MissionMemberFactory(mission=MissionFactory(collective=collective))

        response = admin_client.post(team_url(mission), {"action": "remove", "member": elsewhere.pk})

        assert response.status_code == 404
        assert MissionMember.objects.filter(pk=elsewhere.pk).exists()

    def test_a_member_sees_the_team_but_gets_403_on_changes(self, member_client, mission, teammate):
        member = MissionMemberFactory(mission=mission, user=teammate.user)

        page = member_client.get(team_url(mission))
        assert page.status_code == 200
        assert "Remove from the team" not in page.content.decode()
        for data in (
            {"action": "remove", "member": member.pk},
            {"action": "add", "add-user": teammate.user_id},
            {"action": "edit", "member": member.pk, f"member-{member.pk}-role": "x"},
        ):
            assert member_client.post(team_url(mission), data).status_code == 403
        member.refresh_from_db()
        assert member.role == "design"
        assert MissionMember.objects.filter(mission=mission).count() == 2

    def test_the_query_count_does_not_grow_with_the_team(
        self, admin_client, mission, django_assert_num_queries
    ):
        counts = []
        for extra in (1, 6):
            MissionMemberFactory.create_batch(extra, mission=mission)
            admin_client.get(team_url(mission))  # warm-up
            with django_assert_num_queries(5) as captured:
                admin_client.get(team_url(mission))
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1]
