# ruff: noqa: F811 - the fixtures imported from core_fixtures are requested by name
"""The collective dashboard's mission blocks: active missions and opportunities waiting for an action."""

import datetime as dt

import pytest
from django.urls import reverse

from cordee.core.tests.factories import AdminMembershipFactory, OpportunityFactory
from cordee.missions.models import Deliverable
from cordee.missions.tests.core_fixtures import PARIS, TODAY, english, frozen_now  # noqa: F401
from cordee.missions.tests.factories import DeliverableFactory, MissionFactory, TaskFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_now")]


def dashboard_url(collective):
    return reverse("collectives:dashboard", args=[collective.slug])


def delivered(mission, announced, on):
    return DeliverableFactory(
        mission=mission,
        announced_date=announced,
        internal_date=announced - dt.timedelta(days=2),
        status=Deliverable.Status.ACCEPTED,
        delivered_at=dt.datetime.combine(on, dt.time(23, 30), tzinfo=PARIS),
    )


class TestActiveMissions:
    def test_each_active_mission_with_lead_next_date_worst_health_and_on_time_rate(
        self, admin_client, collective, admin_user
    ):
        soon = MissionFactory(collective=collective, title="Refonte", lead=admin_user)
        DeliverableFactory(
            mission=soon, title="Maquettes", announced_date=TODAY + dt.timedelta(days=5), health="at_risk"
        )
        DeliverableFactory(
            mission=soon, title="Recette", announced_date=TODAY + dt.timedelta(days=20), health="late"
        )
        delivered(
            soon, TODAY - dt.timedelta(days=10), TODAY - dt.timedelta(days=10)
        )  # on time (late evening)
        delivered(soon, TODAY - dt.timedelta(days=5), TODAY - dt.timedelta(days=4))  # late
        delivered(soon, TODAY - dt.timedelta(days=3), TODAY - dt.timedelta(days=6))  # early
        later = MissionFactory(collective=collective, title="Audit")
        DeliverableFactory(mission=later, announced_date=TODAY + dt.timedelta(days=30))
        MissionFactory(collective=collective, title="Brouillon", status="draft")
        MissionFactory(collective=collective, title="Finie", status="delivered")
        MissionFactory(title="Autre collectif")

        response = admin_client.get(dashboard_url(collective))

        missions = response.context["overview"].active_missions
        assert [mission.title for mission in missions] == ["Refonte", "Audit"]
        first = missions[0].deadlines
        assert (first.next_deliverable.title, first.worst_health, first.on_time_rate) == (
            "Maquettes",
            "late",
            67,
        )
        content = response.content.decode()
        assert "Active missions" in content
        assert f"Lead: {admin_user.display_name}" in content
        assert "Next: Maquettes, announced for March 7, 2026" in content
        assert '<span class="badge badge--late">Late</span>' in content
        assert "67% on time" in content
        assert "Brouillon" not in content and "Autre collectif" not in content

    def test_without_active_mission_the_block_says_what_to_do(self, admin_client, collective):
        content = admin_client.get(dashboard_url(collective)).content.decode()

        assert "No active mission." in content
        assert reverse("missions:create", args=[collective.slug]) in content


class TestWaitingOpportunities:
    def test_open_ones_due_today_or_past_or_without_next_action(self, admin_client, collective):
        OpportunityFactory(
            collective=collective,
            company="En retard",
            next_action="Relancer",
            next_action_date=TODAY - dt.timedelta(days=2),
        )
        OpportunityFactory(
            collective=collective,
            company="Aujourd'hui",
            next_action="Appeler",
            next_action_date=TODAY,
            stage="qualified",
        )
        OpportunityFactory(collective=collective, company="Rien de prévu")
        OpportunityFactory(
            collective=collective,
            company="Plus tard",
            next_action="Devis",
            next_action_date=TODAY + dt.timedelta(days=1),
        )
        OpportunityFactory(collective=collective, company="Action sans date", next_action="Écrire")
        OpportunityFactory(collective=collective, company="Gagnée", stage="won")
        OpportunityFactory(
            collective=collective,
            company="Perdue",
            stage="lost",
            next_action_date=TODAY - dt.timedelta(days=1),
        )
        OpportunityFactory(company="Autre collectif")

        response = admin_client.get(dashboard_url(collective))

        waiting = response.context["overview"].waiting_opportunities
        assert [opportunity.company for opportunity in waiting] == [
            "En retard",
            "Aujourd'hui",
            "Rien de prévu",
        ]
        content = response.content.decode()
        section = content[content.index('id="waiting-title"') :]
        assert '<span class="badge badge--danger">Overdue</span>' in section
        assert '<span class="badge badge--pending">Today</span>' in section
        assert '<span class="badge badge--pending">No next action</span>' in section

    def test_the_block_is_cut_with_a_link_to_the_rest(self, admin_client, collective):
        for _ in range(7):
            OpportunityFactory(collective=collective)

        response = admin_client.get(dashboard_url(collective))

        assert len(response.context["overview"].waiting_opportunities) == 5
        assert response.context["overview"].has_more_waiting_opportunities is True
        assert "More in the pipeline" in response.content.decode()


def test_the_query_count_does_not_grow_with_missions(client, django_assert_num_queries):
    counts = []
    for extra in (2, 10):
        admin = AdminMembershipFactory()
        for index in range(extra):
            mission = MissionFactory(collective=admin.collective, lead=admin.user)
            DeliverableFactory.create_batch(2, mission=mission)
            TaskFactory(mission=mission)
            OpportunityFactory(collective=admin.collective, next_action_date=TODAY - dt.timedelta(days=index))
        client.force_login(admin.user)
        client.get(dashboard_url(admin.collective))  # warm-up
        # The dashboard's 8 (see collectives' test) and the active missions' deliverables; no survey and no
        # active billing plan here: the client feedback and budgets blocks read nothing.
        with django_assert_num_queries(9) as captured:
            response = client.get(dashboard_url(admin.collective))
        assert len(response.context["overview"].active_missions) == extra
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


class TestMissionDefaultsSettings:
    """The collective's settings page holds the defaults of new missions ("Missions" fieldset)."""

    def settings_data(self, collective, **changes):
        data = {
            "name": collective.name,
            "slug": collective.slug,
            "time_zone": "Europe/Paris",
            "contact_email": "",
            "feedback_sender_name": "",
            "feedback_sender_email": "",
            "notification_sender_name": "",
            "notification_sender_email": "",
            "default_assignment_mode": "self_service",
            "default_recaps_per_week": "2",
            "default_ritual_kind": "async_video",
            "delay_notice_min_business_days": "8",
            "margin_percent": "25",
            "margin_min_business_days": "3",
            "hours_per_day": "7.5",
            "feedback_first_after_days": "10",
            "feedback_every_days": "20",
        }
        data.update(changes)
        return data

    def test_the_admin_sets_the_defaults_and_a_new_mission_starts_with_them(self, admin_client, collective):
        from decimal import Decimal

        response = admin_client.post(
            reverse("collectives:settings", args=[collective.slug]), self.settings_data(collective)
        )

        assert response.status_code == 302
        collective.refresh_from_db()
        assert (
            collective.default_assignment_mode,
            collective.default_recaps_per_week,
            collective.default_ritual_kind,
            collective.delay_notice_min_business_days,
            collective.margin_percent,
            collective.margin_min_business_days,
            collective.hours_per_day,
            collective.feedback_first_after_days,
            collective.feedback_every_days,
        ) == ("self_service", 2, "async_video", 8, 25, 3, Decimal("7.5"), 10, 20)
        initial = admin_client.get(reverse("missions:create", args=[collective.slug])).context["form"].initial
        assert (
            initial["assignment_mode"],
            initial["recaps_per_week"],
            initial["recap_weekdays"],
            initial["ritual_kind"],
            initial["delay_notice_min_business_days"],
            initial["feedback_first_after_days"],
            initial["feedback_every_days"],
        ) == ("self_service", 2, [1, 4], "async_video", 8, 10, 20)

    def test_the_fieldset_shows_the_current_defaults(self, admin_client, collective):
        content = admin_client.get(reverse("collectives:settings", args=[collective.slug])).content.decode()

        assert "<legend>Missions</legend>" in content
        assert '<option value="lead_assigns" selected>The lead assigns tasks</option>' in content
        assert 'name="delay_notice_min_business_days" value="5"' in content

    def test_an_out_of_range_default_is_refused_with_typed_values_kept(self, admin_client, collective):
        from cordee.collectives.models import Collective

        before = Collective.objects.values().get(pk=collective.pk)

        response = admin_client.post(
            reverse("collectives:settings", args=[collective.slug]),
            self.settings_data(collective, name="Nom tapé", margin_percent="150"),
        )

        assert response.status_code == 200
        assert "Ensure this value is less than or equal to 100." in response.content.decode()
        assert 'value="Nom tapé"' in response.content.decode()
        assert Collective.objects.values().get(pk=collective.pk) == before

    def test_the_service_refuses_an_unknown_mode(self, collective):
        from django.core.exceptions import ValidationError

        from cordee.collectives.services import collective_settings_update

        with pytest.raises(ValidationError) as refused:
            collective_settings_update(
                collective=collective,
                by=collective.memberships.get(role="admin").user,
                name=collective.name,
                slug=collective.slug,
                time_zone="Europe/Paris",
                default_assignment_mode="anarchy",
            )

        assert "default_assignment_mode" in refused.value.error_dict
        collective.refresh_from_db()
        assert collective.default_assignment_mode == "lead_assigns"
