"""The client's portal pages: missions, roadmap, recaps, ritual, delivery calls; only what the client may see."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from cordee.clients.models import ClientContact
from cordee.communication.models import Recap
from cordee.missions.models import ClientRequest, Deliverable, Mission
from cordee.missions.tests.factories import (
    ClientRequestFactory,
    DeliverableFactory,
    MissionFactory,
    TaskFactory,
)
from cordee.portal.tests.conftest import sign_in
from cordee.portal.tests.factories import (
    DeliveryCallFactory,
    RecapFactory,
    RitualVideoFactory,
)

pytestmark = pytest.mark.django_db


def mission_url(mission) -> str:
    return reverse("portal:mission", args=[mission.pk])


@pytest.fixture
def signed_in(client, world):
    sign_in(client, world.contact_x)
    return client


class TestHome:
    def test_active_missions_come_first_with_their_next_delivery(self, signed_in, world):
        closed = MissionFactory(
            collective=world.mission_x.collective,
            client=world.client_x,
            title="Audit 2025",
            status=Mission.Status.CLOSED,
            start_date=dt.date(2026, 6, 1),
        )
        paused = MissionFactory(
            collective=world.mission_x.collective,
            client=world.client_x,
            title="Application mobile",
            status=Mission.Status.PAUSED,
            start_date=dt.date(2026, 7, 1),
        )

        response = signed_in.get(reverse("portal:home"))

        missions = list(response.context["page_obj"])
        assert missions == [world.mission_x, paused, closed]
        assert (missions[0].next_title, missions[0].next_date) == ("Maquettes", dt.date(2026, 3, 20))
        content = response.content.decode()
        assert "Maquettes · March 20, 2026" in content
        assert "Hello Paul Durand" in content
        assert "The missions of Maison Lenoir with" in content

    def test_a_client_without_visible_mission_is_told_what_comes_next(self, client, world):
        contact = ClientContact.objects.create(
            collective=world.client_y.collective,
            client=MissionFactory(collective=world.client_y.collective, status=Mission.Status.DRAFT).client,
            full_name="Nina",
            email="nina@example.fr",
            language="en",
        )
        sign_in(client, contact)

        content = client.get(reverse("portal:home")).content.decode()

        assert "No mission to show yet." in content

    def test_the_layout_has_no_member_menu(self, signed_in, world):
        content = signed_in.get(reverse("portal:home")).content.decode()

        assert "Client portal" in content
        assert "Sign out" in content
        for member_only in (
            reverse("collectives:home"),
            reverse("missions:my_work"),
            reverse("accounts:profile"),
            "My dashboard",
            "Public page",
        ):
            assert member_only not in content

    def test_the_query_count_does_not_grow_with_missions(self, signed_in, world, django_assert_num_queries):
        counts = []
        for extra in (1, 12):
            for _ in range(extra):
                mission = MissionFactory(collective=world.mission_x.collective, client=world.client_x)
                DeliverableFactory.create_batch(2, mission=mission)
            signed_in.get(reverse("portal:home"))
            with django_assert_num_queries(3) as captured:
                signed_in.get(reverse("portal:home"))
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1]


class TestMissionPage:
    def test_the_roadmap_shows_announced_dates_and_statuses(self, signed_in, world):
        response = signed_in.get(mission_url(world.mission_x))

        content = response.content.decode()
        assert response.status_code == 200
        assert [deliverable.title for deliverable in response.context["deliverables"]] == [
            "Maquettes",
            "Tunnel d'achat",
        ]
        assert "Announced for <strong>March 20, 2026</strong>" in content
        assert "Announced for <strong>April 16, 2026</strong>" in content
        assert "In progress" in content
        assert "Planned" in content

    def test_nothing_internal_is_in_the_page(self, signed_in, world):
        content = signed_in.get(mission_url(world.mission_x)).content.decode()

        for internal in (
            "March 11, 2026",  # internal dates
            "April 7, 2026",
            "INTERNAL-HEALTH-REASON",
            "INTERNAL-LATE-REASON",
            "At risk",
            "Late",
            "INTERNAL-TASK",
            "13.75",  # estimate
            "13,75",
            "17.25",  # time spent
            "17,25",
            "INTERNAL-TIME-NOTE",
            "987",  # day rate
            "INTERNAL-CLIENT-NOTE",
            "INTERNAL-MISSION-DESCRIPTION",
            "INTERNAL-DELIVERABLE-DESCRIPTION",
            "INTERNAL-LEAD-NOTE",
            "DRAFT-RECAP",
            "SKIPPED-RECAP",
            "CANCELLED-CALL",
        ):
            assert internal not in content, internal

    def test_the_lead_is_the_single_contact(self, signed_in, world):
        lead = world.mission_x.lead

        content = signed_in.get(mission_url(world.mission_x)).content.decode()

        assert f"Your single contact: {lead.display_name}" in content
        assert f'href="mailto:{lead.email}"' in content

    def test_only_sent_recaps_show_newest_first_with_a_link_to_all(self, signed_in, world):
        for days in (3, 2, 1):
            RecapFactory(
                mission=world.mission_x,
                subject=f"Recap {days} days ago",
                sent_at=timezone.now() - dt.timedelta(days=days),
            )

        response = signed_in.get(mission_url(world.mission_x))

        assert [recap.subject for recap in response.context["recaps"]] == [
            "Point du vendredi",
            "Recap 1 days ago",
            "Recap 2 days ago",
        ]
        assert response.context["more_recaps"] is True
        assert reverse("portal:recaps", args=[world.mission_x.pk]) in response.content.decode()

    def test_a_recap_keeps_its_paragraphs_and_lists(self, signed_in, world):
        RecapFactory(
            mission=world.mission_x,
            subject="Semaine 12",
            body="Bonjour,\n\n- Maquettes : livrées.\n- Tunnel : en cours.\n\nÀ vendredi.",
            sent_at=timezone.now() + dt.timedelta(minutes=1),
        )

        content = signed_in.get(mission_url(world.mission_x)).content.decode()

        assert "<p>Bonjour,</p>" in content
        assert "<li>Maquettes : livrées.</li>" in content
        assert "<p>À vendredi.</p>" in content

    def test_the_weekly_call_is_described(self, signed_in, world):
        content = signed_in.get(mission_url(world.mission_x)).content.decode()

        assert "Every Tuesday at 9:30 a.m. (Paris time), for 30 minutes." in content
        assert 'href="https://meet.example.fr/point-hebdo"' in content

    def test_a_weekly_call_yet_to_start_says_when(self, signed_in, world):
        world.mission_x.ritual.__class__.objects.filter(mission=world.mission_x).update(
            first_date=timezone.localdate() + dt.timedelta(days=30)
        )
        first = timezone.localdate() + dt.timedelta(days=30)

        content = signed_in.get(mission_url(world.mission_x)).content.decode()

        with translation.override("en"):
            expected = date_format(first, "DATE_FORMAT")
        assert f"The first call is on {expected}." in content

    def test_the_weekly_call_of_a_delivered_mission_is_over(self, signed_in, world):
        Mission.objects.filter(pk=world.mission_x.pk).update(status=Mission.Status.DELIVERED)

        content = signed_in.get(mission_url(world.mission_x)).content.decode()

        assert "point-hebdo" not in content

    def test_a_stopped_weekly_call_is_not_shown(self, signed_in, world):
        world.mission_x.ritual.__class__.objects.filter(mission=world.mission_x).update(is_active=False)

        content = signed_in.get(mission_url(world.mission_x)).content.decode()

        assert "point-hebdo" not in content
        assert "will schedule a short weekly call with you" in content

    def test_the_weekly_videos_show_for_an_async_ritual(self, signed_in, world):
        Mission.objects.filter(pk=world.mission_x.pk).update(ritual_kind=Mission.RitualKind.ASYNC_VIDEO)
        videos = [
            RitualVideoFactory(mission=world.mission_x, week_start=dt.date(2026, 3, 2 + 7 * week))
            for week in range(4)
        ]

        response = signed_in.get(mission_url(world.mission_x))

        content = response.content.decode()
        assert response.context["videos"] == [videos[3], videos[2], videos[1]]
        assert response.context["more_videos"] is True
        assert "Week of March 23, 2026" in content
        assert f'href="{videos[3].video_link}"' in content
        assert "Every Tuesday" not in content

    def test_delivery_calls_come_upcoming_first_then_past_without_cancelled_ones(self, signed_in, world):
        later = DeliveryCallFactory(
            deliverable=world.deliverables[1], starts_at=timezone.now() + dt.timedelta(days=20)
        )
        past = DeliveryCallFactory(
            deliverable=world.deliverables[0], starts_at=timezone.now() - dt.timedelta(days=2)
        )

        response = signed_in.get(mission_url(world.mission_x))

        calls = response.context["calls"]
        assert calls.upcoming == [world.call, later]
        assert calls.past == [past]
        content = response.content.decode()
        assert reverse("portal:call_ics", args=[world.call.pk]) in content
        assert reverse("portal:call_ics", args=[past.pk]) not in content
        assert "(Paris time), 45 minutes" in content

    def test_a_delivered_deliverable_shows_its_delivery_day(self, signed_in, world):
        Deliverable.objects.filter(pk=world.deliverables[0].pk).update(
            status=Deliverable.Status.DELIVERED,
            delivered_at=dt.datetime(2026, 3, 18, 16, 0, tzinfo=dt.UTC),
        )

        content = signed_in.get(mission_url(world.mission_x)).content.decode()

        assert "Delivered on March 18, 2026" in content

    def test_empty_sections_say_what_comes_next(self, client, world):
        mission = MissionFactory(collective=world.mission_x.collective, client=world.client_x)
        sign_in(client, world.contact_x)

        content = client.get(mission_url(mission)).content.decode()

        assert "The roadmap is being prepared" in content
        assert "No recap yet." in content
        assert "Each delivery comes with a call" in content
        assert "No request yet." in content

    def test_the_query_count_does_not_grow_with_the_mission(
        self, signed_in, world, django_assert_num_queries
    ):
        counts = []
        for extra in (1, 10):
            for _ in range(extra):
                deliverable = DeliverableFactory(mission=world.mission_x)
                TaskFactory(mission=world.mission_x, deliverable=deliverable)
                DeliveryCallFactory(deliverable=deliverable)
                RecapFactory(mission=world.mission_x)
                ClientRequestFactory(mission=world.mission_x, contact=world.contact_x)
            signed_in.get(mission_url(world.mission_x))
            with django_assert_num_queries(10) as captured:
                signed_in.get(mission_url(world.mission_x))
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1]


class TestListPages:
    def test_all_the_recaps_paginate(self, signed_in, world):
        RecapFactory.create_batch(26, mission=world.mission_x)

        first = signed_in.get(reverse("portal:recaps", args=[world.mission_x.pk]))
        second = signed_in.get(reverse("portal:recaps", args=[world.mission_x.pk]), {"page": 2})

        assert len(first.context["page_obj"].object_list) == 25
        assert len(second.context["page_obj"].object_list) == 2
        assert "DRAFT-RECAP" not in first.content.decode() + second.content.decode()

    def test_all_the_videos_paginate(self, signed_in, world):
        RitualVideoFactory.create_batch(27, mission=world.mission_x)

        second = signed_in.get(reverse("portal:videos", args=[world.mission_x.pk]), {"page": 2})

        assert len(second.context["page_obj"].object_list) == 2
        assert "Page 2 of 2" in second.content.decode()

    @pytest.mark.parametrize("name", ["portal:recaps", "portal:videos", "portal:requests"])
    def test_the_query_count_does_not_grow_with_rows(self, signed_in, world, name, django_assert_num_queries):
        url = reverse(name, args=[world.mission_x.pk])
        counts = []
        for extra in (1, 12):
            RecapFactory.create_batch(extra, mission=world.mission_x)
            RitualVideoFactory.create_batch(extra, mission=world.mission_x)
            ClientRequestFactory.create_batch(extra, mission=world.mission_x, contact=world.contact_x)
            signed_in.get(url)
            with django_assert_num_queries(4) as captured:
                signed_in.get(url)
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1]

    def test_empty_lists_say_what_comes_next(self, signed_in, world):
        Recap.objects.filter(mission=world.mission_x).delete()

        recaps = signed_in.get(reverse("portal:recaps", args=[world.mission_x.pk])).content.decode()
        videos = signed_in.get(reverse("portal:videos", args=[world.mission_x.pk])).content.decode()

        assert "No recap yet." in recaps
        assert "records a short video on the week's priorities" in videos


class TestLanguage:
    def test_portal_pages_follow_the_contact_language(self, client, world):
        ClientContact.objects.filter(pk=world.contact_x.pk).update(language="fr")
        world.contact_x.refresh_from_db()
        sign_in(client, world.contact_x)

        response = client.get(mission_url(world.mission_x), HTTP_ACCEPT_LANGUAGE="en")

        content = response.content.decode()
        assert '<html lang="fr">' in content
        assert response["Content-Language"] == "fr"
        assert "20 mars 2026" in content
        assert "March 20, 2026" not in content

    def test_the_language_switch_updates_the_contact(self, signed_in, world):
        response = signed_in.post(
            reverse("portal:language"), {"language": "fr", "next": mission_url(world.mission_x)}
        )
        page = signed_in.get(mission_url(world.mission_x))

        world.contact_x.refresh_from_db()
        assert response.status_code == 302
        assert response["Location"] == mission_url(world.mission_x)
        assert world.contact_x.language == "fr"
        assert "20 mars 2026" in page.content.decode()

    def test_the_language_switch_refuses_an_outside_address_and_an_unknown_language(self, signed_in, world):
        response = signed_in.post(
            reverse("portal:language"), {"language": "de", "next": "https://evil.example/portal/"}
        )

        world.contact_x.refresh_from_db()
        assert response["Location"] == reverse("portal:home")
        assert world.contact_x.language == "en"

    def test_the_switch_of_a_signed_in_contact_posts_to_the_portal(self, signed_in):
        content = signed_in.get(reverse("portal:home")).content.decode()

        assert f'action="{reverse("portal:language")}"' in content


def test_the_internal_fixture_really_holds_internal_data(world):
    """The absence checks above mean something only if the fixture holds what they look for."""
    first = world.deliverables[0]
    assert (first.internal_date, first.health, first.health_reason) == (
        dt.date(2026, 3, 11),
        Deliverable.Health.AT_RISK,
        "INTERNAL-HEALTH-REASON",
    )
    assert world.mission_x.team.filter(day_rate=Decimal("987.65")).exists()
    assert world.mission_x.tasks.filter(title="INTERNAL-TASK", estimate_hours=Decimal("13.75")).exists()
    assert ClientRequest.objects.filter(body="INTERNAL-LEAD-NOTE", mission=world.mission_x).exists()
    assert Recap.objects.filter(subject="DRAFT-RECAP", mission=world.mission_x).exists()
