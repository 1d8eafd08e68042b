# ruff: noqa: F811 - the fixtures imported from core_fixtures are requested by name
import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from cordee.core.tests.factories import MembershipFactory
from cordee.missions.models import Deliverable, Mission, MissionEvent
from cordee.missions.services.history import mission_event_record
from cordee.missions.tests.core_fixtures import (  # noqa: F401
    NOW,
    PARIS,
    TODAY,
    english,
    frozen_now,
    member_client,
    mission,
)
from cordee.missions.tests.factories import (
    ClientFactory,
    ClientRequestFactory,
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
    TimeEntryFactory,
)

pytestmark = pytest.mark.django_db


def detail_url(mission):
    return reverse("missions:detail", args=[mission.collective.slug, mission.pk])


def history_url(mission):
    return reverse("missions:history", args=[mission.collective.slug, mission.pk])


def list_url(collective):
    return reverse("missions:list", args=[collective.slug])


def delivered(mission, announced, delivered_on, **kwargs):
    return DeliverableFactory(
        mission=mission,
        announced_date=announced,
        internal_date=announced - dt.timedelta(days=3),
        status=Deliverable.Status.DELIVERED,
        delivered_at=dt.datetime.combine(delivered_on, dt.time(17), tzinfo=PARIS),
        **kwargs,
    )


@pytest.mark.usefixtures("frozen_now")
class TestOverview:
    def test_shows_client_team_deliverables_work_and_events(self, admin_client, mission, admin_user):
        zoe = MembershipFactory(collective=mission.collective, user__full_name="Zoé Petit").user
        designer = MissionMemberFactory(mission=mission, role="design", user=zoe)
        DeliverableFactory(
            mission=mission,
            title="Maquettes",
            owner=designer.user,
            announced_date=dt.date(2026, 3, 20),
            health=Deliverable.Health.AT_RISK,
            health_reason="12 h of open work, 6 h of capacity before March 16",
        )
        DeliverableFactory(mission=mission, title="Recette", announced_date=dt.date(2026, 4, 10))
        delivered(mission, dt.date(2026, 2, 20), dt.date(2026, 2, 19), title="Cadrage")
        delivered(mission, dt.date(2026, 2, 25), dt.date(2026, 2, 26), title="Audit")
        TaskFactory(mission=mission, estimate_hours=Decimal("10"), assignee=designer.user)
        TaskFactory(mission=mission, estimate_hours=Decimal("6"), status="done")
        ClientRequestFactory(mission=mission)
        ClientRequestFactory(mission=mission, status="planned")
        TimeEntryFactory(mission=mission, hours=Decimal("4.5"))
        mission_event_record(mission=mission, kind="activated", actor=admin_user)

        response = admin_client.get(detail_url(mission))

        content = response.content.decode()
        overview = response.context["overview"]
        assert (overview.open_task_count, overview.task_count, overview.new_request_count) == (1, 2, 1)
        assert (overview.estimated_hours, overview.logged_hours, overview.logged_percent) == (
            Decimal("16"),
            Decimal("4.5"),
            28,
        )
        deadlines = overview.deadlines
        assert (deadlines.next_deliverable.title, deadlines.worst_health, deadlines.on_time_rate) == (
            "Maquettes",
            "at_risk",
            50,
        )
        assert "50% (1 of 2)" in content
        assert '<span class="badge badge--at_risk">At risk</span>' in content
        assert "12 h of open work, 6 h of capacity before March 16" in content
        assert "March 20, 2026" in content
        assert "Maison Lenoir" in content and "Claire Lenoir" in content and "John Smith" in content
        assert "Zoé Petit" in content
        assert "4.5 h logged of 16 h estimated" in content
        assert "request waiting for triage" in content
        assert "Mission activated" in content
        assert [member.user for member in overview.team][0] == admin_user

    def test_the_lead_sees_the_actions_of_the_status_and_a_member_does_not(
        self, admin_client, member_client, mission
    ):
        lead_page = admin_client.get(detail_url(mission)).content.decode()
        member_page = member_client.get(detail_url(mission)).content.decode()

        for action in ("pause", "deliver"):
            assert reverse(f"missions:{action}", args=[mission.collective.slug, mission.pk]) in lead_page
            assert (
                reverse(f"missions:{action}", args=[mission.collective.slug, mission.pk]) not in member_page
            )
        assert reverse("missions:activate", args=[mission.collective.slug, mission.pk]) not in lead_page
        assert "Change the lead" in lead_page
        assert "Change the lead" not in member_page

    def test_an_empty_mission_says_what_to_do(self, admin_client, collective, admin_user):
        draft = MissionFactory(collective=collective, lead=admin_user, status="draft")

        content = admin_client.get(detail_url(draft)).content.decode()

        assert "No deliverable yet." in content
        assert "This mission is a draft" in content
        assert "Nothing has happened yet." in content
        assert "Nothing delivered yet" in content
        assert reverse("missions:activate", args=[draft.collective.slug, draft.pk]) in content

    def test_the_settings_are_summarised(self, admin_client, mission):
        Mission.objects.filter(pk=mission.pk).update(
            recaps_per_week=2, recap_weekdays=[1, 4], ritual_kind="async_video", feedback_enabled=False
        )

        content = admin_client.get(detail_url(mission)).content.decode()

        assert "2 times a week: Tuesday, Friday" in content
        assert "Weekly video" in content
        assert "5 business days" in content
        assert "Off" in content

    @pytest.mark.parametrize("tasks", [10, 300])
    def test_the_query_count_does_not_grow_with_tasks(
        self, admin_client, collective, admin_user, tasks, django_assert_num_queries
    ):
        subject = MissionFactory(collective=collective, lead=admin_user)
        members = MissionMemberFactory.create_batch(3, mission=subject)
        deliverables = DeliverableFactory.create_batch(3, mission=subject)
        for index in range(tasks):
            TaskFactory(
                mission=subject,
                deliverable=deliverables[index % 3],
                assignee=members[index % 3].user,
                status=["todo", "doing", "done"][index % 3],
            )
        for member in members:
            TimeEntryFactory(mission=subject, user=member.user)
        ClientRequestFactory.create_batch(3, mission=subject)
        for _ in range(8):
            mission_event_record(mission=subject, kind="member_added", actor=admin_user)
        admin_client.get(detail_url(subject))  # warm-up

        with django_assert_num_queries(8):
            response = admin_client.get(detail_url(subject))

        assert response.context["overview"].task_count == tasks


class TestMissionList:
    def test_running_missions_come_first_with_their_deadlines(self, admin_client, collective, admin_user):
        closed = MissionFactory(
            collective=collective, title="Fermée", status="closed", start_date=dt.date(2026, 2, 1)
        )
        draft = MissionFactory(
            collective=collective, title="Brouillon", status="draft", start_date=dt.date(2026, 2, 1)
        )
        active = MissionFactory(
            collective=collective, title="Active", status="active", start_date=dt.date(2026, 1, 1)
        )
        paused = MissionFactory(
            collective=collective, title="En pause", status="paused", start_date=dt.date(2026, 2, 1)
        )
        DeliverableFactory(
            mission=active, announced_date=dt.date(2026, 3, 20), health="late", title="Maquettes"
        )
        MissionFactory(title="Autre collectif")

        response = admin_client.get(list_url(collective))

        assert list(response.context["page_obj"].object_list) == [active, paused, draft, closed]
        content = response.content.decode()
        assert '<span class="badge badge--late">Late</span>' in content
        assert "Maquettes" in content
        assert "Autre collectif" not in content

    def test_filters_by_status_lead_and_client(self, admin_client, collective, admin_user):
        other_lead = MembershipFactory(collective=collective).user
        client = ClientFactory(collective=collective)
        mine = MissionFactory(collective=collective, lead=admin_user, client=client, status="active")
        MissionFactory(collective=collective, lead=other_lead, client=client, status="active")
        MissionFactory(collective=collective, lead=admin_user, status="draft")

        def titles(**params):
            return [
                m.title
                for m in admin_client.get(list_url(collective), params).context["page_obj"].object_list
            ]

        assert titles(status="active", lead=admin_user.pk, client=client.pk) == [mine.title]
        assert len(titles(status="draft")) == 1
        assert len(titles(lead=other_lead.pk)) == 1
        assert len(titles(status="nonsense")) == 3

    def test_an_empty_list_says_what_to_do(self, admin_client, collective):
        content = admin_client.get(list_url(collective)).content.decode()

        assert "No mission yet." in content
        assert reverse("opportunities:pipeline", args=[collective.slug]) in content

    def test_the_query_count_does_not_grow_with_missions(
        self, admin_client, collective, admin_user, django_assert_num_queries
    ):
        counts = []
        for extra in (2, 30):
            for _ in range(extra):
                subject = MissionFactory(collective=collective, lead=admin_user)
                DeliverableFactory(mission=subject)
                TaskFactory(mission=subject)
            admin_client.get(list_url(collective))  # warm-up
            with django_assert_num_queries(7) as captured:
                response = admin_client.get(list_url(collective))
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1]
        assert len(response.context["page_obj"].object_list) == 25


class TestHistory:
    def test_the_timeline_is_the_most_recent_first_with_flagged_events_labelled(
        self, admin_client, mission, admin_user
    ):
        with time_machine.travel(NOW, tick=False):
            mission_event_record(mission=mission, kind="created", actor=admin_user)
        with time_machine.travel(NOW + dt.timedelta(days=1), tick=False):
            mission_event_record(
                mission=mission,
                kind="delay_notice",
                actor=admin_user,
                summary="Maquettes: March 20 → March 27",
                flagged=True,
            )

        response = admin_client.get(history_url(mission))

        content = response.content.decode()
        assert [event.kind for event in response.context["page_obj"]] == ["delay_notice", "created"]
        assert '<span class="badge badge--late">Late notice</span>' in content
        assert "Maquettes: March 20 → March 27" in content
        timeline = content[content.index('class="list timeline"') :]
        assert timeline.index("Delay notice sent") < timeline.index("Mission created")
        assert admin_user.display_name in content

    def test_the_timeline_paginates_and_filters(self, admin_client, mission, admin_user):
        for _ in range(26):
            mission_event_record(mission=mission, kind="member_added", actor=admin_user)
        mission_event_record(mission=mission, kind="lead_changed", actor=admin_user, summary="A → B")

        assert "Page 1 of 2" in admin_client.get(history_url(mission)).content.decode()
        filtered = admin_client.get(history_url(mission), {"kind": "lead_changed"})
        assert [event.summary for event in filtered.context["page_obj"]] == ["A → B"]

    def test_an_empty_history_says_what_will_show(self, admin_client, mission):
        MissionEvent.objects.all().delete()

        assert "Nothing has happened yet." in admin_client.get(history_url(mission)).content.decode()

    def test_the_query_count_does_not_grow_with_events(
        self, admin_client, mission, admin_user, django_assert_num_queries
    ):
        counts = []
        for extra in (3, 40):
            for _ in range(extra):
                mission_event_record(mission=mission, kind="member_added", actor=admin_user)
            admin_client.get(history_url(mission))  # warm-up
            with django_assert_num_queries(5) as captured:
                admin_client.get(history_url(mission))
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1]


class TestEventRecord:
    def test_records_the_event_with_its_collective_and_cuts_a_long_summary(self, mission, admin_user):
        event = mission_event_record(
            mission=mission,
            kind="delay_notice",
            actor=admin_user,
            summary="x" * 400,
            data={"a": 1},
            flagged=True,
        )

        event.refresh_from_db()
        assert (event.collective_id, event.kind, event.actor, event.data, event.is_flagged) == (
            mission.collective_id,
            "delay_notice",
            admin_user,
            {"a": 1},
            True,
        )
        assert len(event.summary) == 300 and event.summary.endswith("…")

    def test_an_unknown_kind_is_a_programming_error(self, mission):
        with pytest.raises(ValueError, match="Unknown mission event kind"):
            mission_event_record(mission=mission, kind="nonsense")
        assert not MissionEvent.objects.exists()


def test_contacts_are_listed_sponsor_first(admin_client, mission):
    from cordee.missions.tests.factories import ClientContactFactory

    ClientContactFactory(client=mission.client, full_name="Aline Finance", role="finance")
    ClientContactFactory(client=mission.client, full_name="Bruno Projet", role="project")

    contacts = admin_client.get(detail_url(mission)).context["overview"].contacts

    assert [(contact.role, contact.full_name) for contact in contacts] == [
        ("sponsor", "Claire Lenoir"),
        ("sponsor", "John Smith"),
        ("project", "Bruno Projet"),
        ("finance", "Aline Finance"),
    ]
