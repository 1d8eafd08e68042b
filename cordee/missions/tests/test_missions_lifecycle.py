# ruff: noqa: F811 - the fixtures imported from core_fixtures are requested by name
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.models import Mission, MissionEvent
from cordee.missions.services.missions import (
    mission_activate,
    mission_close,
    mission_deliver,
    mission_pause,
    mission_resume,
    mission_update,
)
from cordee.missions.tests.core_fixtures import NOW, english, frozen_now, member_client, mission  # noqa: F401
from cordee.missions.tests.factories import ClientFactory, MissionFactory

pytestmark = pytest.mark.django_db

SERVICES = {
    "activate": mission_activate,
    "pause": mission_pause,
    "resume": mission_resume,
    "deliver": mission_deliver,
    "close": mission_close,
}
VALID = {
    ("draft", "activate"): "active",
    ("active", "pause"): "paused",
    ("paused", "resume"): "active",
    ("active", "deliver"): "delivered",
    ("delivered", "close"): "closed",
}
STATUSES = ["draft", "active", "paused", "delivered", "closed"]


def action_url(mission, action):
    return reverse(f"missions:{action}", args=[mission.collective.slug, mission.pk])


class TestTransitions:
    @pytest.mark.parametrize(("status", "action"), list(VALID))
    def test_a_valid_transition_moves_the_mission_and_records_an_event(
        self, mission, admin_user, status, action
    ):
        Mission.objects.filter(pk=mission.pk).update(status=status)
        mission.refresh_from_db()

        SERVICES[action](mission=mission, by=admin_user)

        mission.refresh_from_db()
        assert mission.status == VALID[(status, action)]
        # (activating also sends the kickoff to the client's contacts, with its own event)
        event = MissionEvent.objects.exclude(kind=MissionEvent.Kind.KICKOFF_SENT).get(mission=mission)
        assert (event.kind, event.actor, event.data) == (
            {
                "activate": "activated",
                "pause": "paused",
                "resume": "resumed",
                "deliver": "delivered",
                "close": "closed",
            }[action],
            admin_user,
            {"from": status, "to": VALID[(status, action)]},
        )

    @pytest.mark.parametrize(
        ("status", "action"),
        [(status, action) for status in STATUSES for action in SERVICES if (status, action) not in VALID],
    )
    def test_an_invalid_transition_is_refused_and_nothing_changes(self, mission, admin_user, status, action):
        Mission.objects.filter(pk=mission.pk).update(status=status)
        mission.refresh_from_db()

        with pytest.raises(ValidationError) as refused:
            SERVICES[action](mission=mission, by=admin_user)

        assert refused.value.code == "invalid_transition"
        assert Mission.objects.get(pk=mission.pk).status == status
        assert not MissionEvent.objects.exists()

    def test_the_message_says_why(self, mission, admin_user):
        with pytest.raises(ValidationError) as refused:
            mission_close(mission=mission, by=admin_user)

        assert refused.value.messages == ["A mission that is active cannot be closed."]

    def test_activation_is_dated(self, collective, admin_user, frozen_now):
        draft = MissionFactory(collective=collective, lead=admin_user, status="draft")

        mission_activate(mission=draft, by=admin_user)

        draft.refresh_from_db()
        assert draft.activated_at == NOW

    def test_a_stale_status_in_memory_does_not_allow_a_second_move(self, mission, admin_user):
        stale = Mission.objects.get(pk=mission.pk)
        mission_pause(mission=mission, by=admin_user)

        with pytest.raises(ValidationError):
            mission_pause(mission=stale, by=admin_user)

        assert MissionEvent.objects.filter(kind="paused").count() == 1

    def test_an_admin_who_is_not_the_lead_may_move_it(self, mission, collective):
        other_admin = AdminMembershipFactory(collective=collective).user

        mission_pause(mission=mission, by=other_admin)

        assert Mission.objects.get(pk=mission.pk).status == "paused"

    def test_a_member_who_is_not_the_lead_may_not(self, mission, member_membership):
        with pytest.raises(PermissionDenied):
            mission_pause(mission=mission, by=member_membership.user)

        assert Mission.objects.get(pk=mission.pk).status == "active"
        assert not MissionEvent.objects.exists()

    def test_a_member_who_is_the_lead_may(self, collective, member_membership):
        led = MissionFactory(collective=collective, lead=member_membership.user)

        mission_deliver(mission=led, by=member_membership.user)

        assert Mission.objects.get(pk=led.pk).status == "delivered"


class TestStatusViews:
    def test_the_lead_pauses_from_the_page(self, admin_client, mission):
        response = admin_client.post(action_url(mission, "pause"), follow=True)

        assert Mission.objects.get(pk=mission.pk).status == "paused"
        assert response.redirect_chain == [
            (reverse("missions:detail", args=[mission.collective.slug, mission.pk]), 302)
        ]
        assert "“Refonte du site” is paused." in response.content.decode()

    def test_an_invalid_transition_is_explained_and_changes_nothing(self, admin_client, mission):
        response = admin_client.post(action_url(mission, "activate"), follow=True)

        assert "A mission that is active cannot be activated." in response.content.decode()
        assert Mission.objects.get(pk=mission.pk).status == "active"
        assert not MissionEvent.objects.exists()

    @pytest.mark.parametrize("action", list(SERVICES))
    def test_a_member_who_is_not_the_lead_gets_403_and_nothing_changes(self, member_client, mission, action):
        response = member_client.post(action_url(mission, action))

        assert response.status_code == 403
        assert Mission.objects.get(pk=mission.pk).status == "active"
        assert not MissionEvent.objects.exists()

    def test_a_get_is_not_allowed(self, admin_client, mission):
        assert admin_client.get(action_url(mission, "pause")).status_code == 405
        assert Mission.objects.get(pk=mission.pk).status == "active"


class TestSettings:
    def edit_data(self, mission, **changes):
        values = {
            "title": "Nouveau titre",
            "client": str(mission.client_id),
            "description": "Nouvelle description",
            "start_date": "2026-03-16",
            "assignment_mode": "by_role",
            "recaps_per_week": "1",
            "recap_weekdays": ["0"],
            "ritual_kind": "async_video",
            "delay_notice_min_business_days": "3",
            "feedback_first_after_days": "7",
            "feedback_every_days": "15",
        }
        values.update(changes)
        return values

    def test_the_lead_changes_the_settings(self, admin_client, mission):
        response = admin_client.post(
            reverse("missions:edit", args=[mission.collective.slug, mission.pk]), self.edit_data(mission)
        )

        assert response.status_code == 302
        mission.refresh_from_db()
        assert (
            mission.title,
            mission.assignment_mode,
            mission.recap_weekdays,
            mission.ritual_kind,
            mission.delay_notice_min_business_days,
            mission.feedback_enabled,
        ) == ("Nouveau titre", "by_role", [0], "async_video", 3, False)

    def test_a_client_of_another_collective_is_refused_and_typed_values_kept(self, admin_client, mission):
        before = Mission.objects.values().get(pk=mission.pk)

        response = admin_client.post(
            reverse("missions:edit", args=[mission.collective.slug, mission.pk]),
            self.edit_data(mission, client=str(ClientFactory().pk)),
        )

        assert response.status_code == 200
        assert "Select a valid choice." in response.content.decode()
        assert 'value="Nouveau titre"' in response.content.decode()
        assert Mission.objects.values().get(pk=mission.pk) == before

    def test_the_service_refuses_a_foreign_client_too(self, mission, admin_user):
        with pytest.raises(ValidationError) as refused:
            mission_update(
                mission=mission,
                by=admin_user,
                data={"title": "x", "client": ClientFactory(), "start_date": mission.start_date},
            )
        assert "client" in refused.value.error_dict

    def test_a_member_who_is_not_the_lead_gets_403(self, member_client, mission):
        before = Mission.objects.values().get(pk=mission.pk)
        url = reverse("missions:edit", args=[mission.collective.slug, mission.pk])

        assert member_client.get(url).status_code == 403
        assert member_client.post(url, self.edit_data(mission)).status_code == 403
        assert Mission.objects.values().get(pk=mission.pk) == before

    def test_the_form_shows_the_current_settings(self, admin_client, mission):
        content = admin_client.get(
            reverse("missions:edit", args=[mission.collective.slug, mission.pk])
        ).content.decode()

        assert 'value="Refonte du site"' in content
        assert 'value="4" id="id_recap_weekdays_4" checked' in content


def test_a_non_member_lead_never_manages(collective):
    """Even a lead whose membership ended cannot act on the mission any more."""
    lead = MembershipFactory(collective=collective)
    led = MissionFactory(collective=collective, lead=lead.user)
    lead.delete()

    with pytest.raises(PermissionDenied):
        mission_pause(mission=led, by=lead.user)
    assert Mission.objects.get(pk=led.pk).status == "active"
