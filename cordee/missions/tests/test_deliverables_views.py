"""The deliverables pages: list, create, edit, detail, status, delete, and the delay notice form."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.models import DelayNotice, Deliverable, MissionEvent
from cordee.missions.tests.factories import (
    ClientContactFactory,
    DeliverableFactory,
    MissionFactory,
    MissionMemberFactory,
    TaskFactory,
)

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")
START = dt.date(2026, 3, 2)  # a Monday; "today" in these tests


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS), tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def mission():
    mission = MissionFactory(start_date=START, title="Refonte")
    mission.lead.full_name = "Claire Dubois"
    mission.lead.save()
    return mission


@pytest.fixture
def lead_client(client, mission):
    client.force_login(mission.lead)
    return client


@pytest.fixture
def teammate(mission):
    """A team member who is neither the lead nor an admin."""
    return MissionMemberFactory(mission=mission).user


@pytest.fixture
def teammate_client(client, teammate):
    client.force_login(teammate)
    return client


@pytest.fixture
def deliverable(mission, teammate):
    return DeliverableFactory(
        mission=mission,
        title="Maquettes",
        owner=teammate,
        internal_date=dt.date(2026, 3, 27),
        announced_date=dt.date(2026, 4, 2),
    )


def url(name, mission, deliverable=None):
    args = [mission.collective.slug, mission.pk]
    if deliverable is not None:
        args.append(deliverable.pk)
    return reverse(f"missions:{name}", args=args)


def form_data(**changes):
    data = {
        "title": "Maquettes",
        "description": "Les écrans principaux",
        "owner": "",
        "internal_date": "2026-03-27",
        "announced_mode": "automatic",
        "announced_date": "",
    }
    data.update(changes)
    return data


def snapshot(deliverable):
    deliverable.refresh_from_db()
    return (
        deliverable.title,
        deliverable.owner_id,
        deliverable.internal_date,
        deliverable.announced_date,
        deliverable.announced_date_overridden,
        deliverable.status,
        deliverable.delivered_at,
    )


class TestList:
    def test_each_row_says_dates_margin_status_health_and_on_time(self, lead_client, mission, teammate):
        at_risk = DeliverableFactory(
            mission=mission,
            title="Maquettes",
            owner=teammate,
            internal_date=dt.date(2026, 3, 6),
            announced_date=dt.date(2026, 3, 10),
        )
        TaskFactory(mission=mission, deliverable=at_risk, assignee=teammate, estimate_hours=Decimal("40"))
        DeliverableFactory(
            mission=mission,
            title="Prototype",
            internal_date=dt.date(2026, 3, 3),
            announced_date=dt.date(2026, 3, 5),
            announced_date_overridden=True,
            status="delivered",
            delivered_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS),
        )

        response = lead_client.get(url("deliverables", mission))

        assert response.status_code == 200
        content = response.content.decode()
        assert (
            '<a class="button" href="{}">Add a deliverable</a>'.format(url("deliverable_create", mission))
            in content
        )
        assert "<strong>Maquettes</strong>" in content
        assert teammate.display_name in content
        assert '<time datetime="2026-03-06">March 6, 2026</time>' in content
        assert '<time datetime="2026-03-10">March 10, 2026</time>' in content
        assert "2 business days of margin" in content
        assert "team only" in content
        assert '<span class="badge badge--at_risk">At risk</span>' in content
        assert "40 h of open work, 35 h of capacity before 6 March: the margin is being used" in content
        assert "2 business days of margin · set by hand" in content
        assert '<span class="badge badge--delivered">Delivered</span>' in content
        assert "on March 2, 2026" in content
        assert '<span class="badge badge--ok">On time</span>' in content
        assert '<p class="stat">100&nbsp;%</p>' in content
        assert "1 of 1 delivered deliverable was delivered on or before its announced date." in content

    def test_the_on_time_rate_is_a_dash_before_any_delivery(self, lead_client, deliverable, mission):
        content = lead_client.get(url("deliverables", mission)).content.decode()

        assert '<p class="stat">—</p>' in content
        assert "Nothing delivered yet: the rate appears with the first delivery." in content

    def test_a_late_delivery_lowers_the_rate(self, lead_client, mission):
        for day, title in ((5, "Avant"), (12, "Après")):
            DeliverableFactory(
                mission=mission,
                title=title,
                internal_date=dt.date(2026, 3, 3),
                announced_date=dt.date(2026, 3, 6),
                status="delivered",
                delivered_at=dt.datetime(2026, 3, day, 18, 0, tzinfo=PARIS),
            )

        content = lead_client.get(url("deliverables", mission)).content.decode()

        assert '<p class="stat">50&nbsp;%</p>' in content
        assert '<span class="badge badge--danger">After the announced date</span>' in content

    def test_delay_notices_are_counted_on_the_row(self, lead_client, deliverable, mission):
        DelayNotice.objects.create(
            collective=mission.collective,
            deliverable=deliverable,
            previous_date=dt.date(2026, 3, 30),
            new_date=dt.date(2026, 4, 2),
            reason="Retard",
            business_days_notice=2,
            is_late=True,
        )

        content = lead_client.get(url("deliverables", mission)).content.decode()

        assert "1 delay notice" in content
        assert '<span class="badge badge--late">late notice</span>' in content

    def test_the_empty_state_says_what_to_do(self, lead_client, mission, teammate):
        content = lead_client.get(url("deliverables", mission)).content.decode()
        assert "No deliverable yet." in content
        assert "Add the first deliverable" in content

        lead_client.force_login(teammate)
        content = lead_client.get(url("deliverables", mission)).content.decode()
        assert "No deliverable yet." in content
        assert "Add the first deliverable" not in content
        assert "Claire Dubois, the mission's lead, adds them." in content

    def test_a_teammate_sees_the_list_without_the_lead_actions(self, teammate_client, deliverable, mission):
        content = teammate_client.get(url("deliverables", mission)).content.decode()

        assert "<strong>Maquettes</strong>" in content
        assert "Add a deliverable" not in content

    def test_the_number_of_queries_does_not_grow_with_the_rows(
        self, lead_client, mission, teammate, django_assert_num_queries
    ):
        def build(count):
            for index in range(count):
                item = DeliverableFactory(mission=mission, owner=teammate, internal_date=dt.date(2026, 3, 20))
                TaskFactory(
                    mission=mission, deliverable=item, assignee=teammate, estimate_hours=Decimal(index)
                )
                DelayNotice.objects.create(
                    collective=mission.collective,
                    deliverable=item,
                    previous_date=dt.date(2026, 3, 30),
                    new_date=dt.date(2026, 4, 2),
                    reason="Retard",
                    business_days_notice=2,
                    is_late=index % 2 == 0,
                )
                if index % 3 == 0:
                    Deliverable.objects.filter(pk=item.pk).update(
                        status="delivered", delivered_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
                    )

        page = url("deliverables", mission)
        build(3)
        lead_client.get(page)  # warm-up (session, content types)
        with django_assert_num_queries(8) as few:
            assert lead_client.get(page).status_code == 200
        build(27)
        with django_assert_num_queries(8):
            response = lead_client.get(page)
        assert len(response.context["page_obj"].object_list) == 25
        assert len(few.captured_queries) == 8

    def test_the_list_paginates(self, lead_client, mission):
        for _ in range(26):
            DeliverableFactory(mission=mission, internal_date=dt.date(2026, 3, 20))

        content = lead_client.get(url("deliverables", mission) + "?page=2").content.decode()

        assert "Page 2 of 2" in content
        assert content.count("<strong>Livrable") == 1


class TestCreate:
    def test_the_form_explains_the_margin(self, lead_client, mission):
        content = lead_client.get(url("deliverable_create", mission)).content.decode()

        assert '<legend class="label">Date announced to the client</legend>' in content
        assert (
            "20 % of the business days since the mission&#x27;s start (2 March), at least 2 business days; "
            "weekends and public holidays are skipped." in content
        )
        assert 'value="automatic" id="id_announced_mode_0" required checked>' in content

    def test_the_announced_date_is_computed_from_the_margin(self, lead_client, mission, teammate):
        response = lead_client.post(
            url("deliverable_create", mission), form_data(owner=teammate.pk), follow=True
        )

        assert response.redirect_chain == [(url("deliverables", mission), 302)]
        assert (
            "“Maquettes” was added, announced to the client for April 2, 2026." in response.content.decode()
        )
        deliverable = Deliverable.objects.get()
        assert (
            deliverable.owner,
            deliverable.internal_date,
            deliverable.announced_date,
            deliverable.announced_date_overridden,
            deliverable.description,
        ) == (teammate, dt.date(2026, 3, 27), dt.date(2026, 4, 2), False, "Les écrans principaux")
        assert MissionEvent.objects.get().kind == "deliverable_added"

    def test_the_lead_may_set_the_announced_date_by_hand(self, lead_client, mission):
        lead_client.post(
            url("deliverable_create", mission),
            form_data(announced_mode="by_hand", announced_date="2026-04-10"),
        )

        deliverable = Deliverable.objects.get()
        assert (deliverable.announced_date, deliverable.announced_date_overridden) == (
            dt.date(2026, 4, 10),
            True,
        )

    def test_a_date_by_hand_before_the_internal_date_is_refused_and_the_typing_kept(
        self, lead_client, mission
    ):
        response = lead_client.post(
            url("deliverable_create", mission),
            form_data(title="Recette", announced_mode="by_hand", announced_date="2026-03-20"),
        )

        assert response.status_code == 200
        content = response.content.decode()
        assert "The announced date cannot be before the internal date (27 March)." in content
        assert 'value="Recette"' in content
        assert 'value="2026-03-20"' in content
        assert 'value="by_hand" id="id_announced_mode_1" required checked>' in content
        assert "Les écrans principaux</textarea>" in content
        assert Deliverable.objects.count() == 0
        assert MissionEvent.objects.count() == 0

    def test_by_hand_without_a_date_is_refused(self, lead_client, mission):
        response = lead_client.post(url("deliverable_create", mission), form_data(announced_mode="by_hand"))

        assert "Choose the date announced to the client." in response.content.decode()
        assert Deliverable.objects.count() == 0

    def test_an_internal_date_before_the_start_is_refused(self, lead_client, mission):
        response = lead_client.post(url("deliverable_create", mission), form_data(internal_date="2026-02-27"))

        content = response.content.decode()
        assert "The internal date cannot be before the mission&#x27;s start (2 March)." in content
        assert 'value="2026-02-27"' in content
        assert Deliverable.objects.count() == 0

    def test_the_owner_must_be_on_the_team(self, lead_client, mission):
        outsider = MembershipFactory(collective=mission.collective).user

        response = lead_client.post(url("deliverable_create", mission), form_data(owner=outsider.pk))

        content = response.content.decode()
        assert "Select a valid choice. That choice is not one of the available choices." in content
        assert f'<option value="{outsider.pk}"' not in content
        assert Deliverable.objects.count() == 0

    def test_a_lead_who_is_not_an_admin_can_add_deliverables(self, client):
        lead = MembershipFactory().user
        mission = MissionFactory(collective=lead.memberships.get().collective, lead=lead, start_date=START)
        client.force_login(lead)

        response = client.post(url("deliverable_create", mission), form_data())

        assert response.status_code == 302
        assert Deliverable.objects.filter(mission=mission).count() == 1

    def test_a_teammate_cannot_add_a_deliverable(self, teammate_client, mission):
        assert teammate_client.get(url("deliverable_create", mission)).status_code == 403
        assert teammate_client.post(url("deliverable_create", mission), form_data()).status_code == 403
        assert Deliverable.objects.count() == 0
        assert MissionEvent.objects.count() == 0


class TestEdit:
    def test_the_form_starts_with_the_current_values(self, lead_client, mission, deliverable, teammate):
        Deliverable.objects.filter(pk=deliverable.pk).update(announced_date_overridden=True)

        content = lead_client.get(url("deliverable_edit", mission, deliverable)).content.decode()

        assert 'value="Maquettes"' in content
        assert f'<option value="{teammate.pk}" selected>' in content
        assert 'value="2026-03-27"' in content
        assert 'value="by_hand" id="id_announced_mode_1" required checked>' in content
        assert 'value="2026-04-02"' in content
        assert "4 business days of margin" in content
        assert "Set by hand; the automatic date would be April 2, 2026." in content

    def test_moving_the_internal_date_moves_the_automatic_announced_date(
        self, lead_client, mission, deliverable
    ):
        response = lead_client.post(
            url("deliverable_edit", mission, deliverable),
            form_data(internal_date="2026-03-13", owner=deliverable.owner_id),
            follow=True,
        )

        assert response.redirect_chain == [(url("deliverable_detail", mission, deliverable), 302)]
        assert "“Maquettes” was updated." in response.content.decode()
        deliverable.refresh_from_db()
        assert (deliverable.internal_date, deliverable.announced_date) == (
            dt.date(2026, 3, 13),
            dt.date(2026, 3, 17),
        )
        assert MissionEvent.objects.get(kind="announced_date_changed").data["to"] == "2026-03-17"

    def test_going_back_to_automatic(self, lead_client, mission, deliverable):
        Deliverable.objects.filter(pk=deliverable.pk).update(
            announced_date=dt.date(2026, 4, 15), announced_date_overridden=True
        )

        lead_client.post(
            url("deliverable_edit", mission, deliverable),
            form_data(announced_mode="automatic", announced_date="2026-04-15"),
        )

        deliverable.refresh_from_db()
        assert (deliverable.announced_date, deliverable.announced_date_overridden) == (
            dt.date(2026, 4, 2),
            False,
        )

    def test_an_override_before_the_internal_date_changes_nothing(self, lead_client, mission, deliverable):
        before = snapshot(deliverable)

        response = lead_client.post(
            url("deliverable_edit", mission, deliverable),
            form_data(title="Nouveau titre", announced_mode="by_hand", announced_date="2026-03-26"),
        )

        content = response.content.decode()
        assert "The announced date cannot be before the internal date (27 March)." in content
        assert 'value="Nouveau titre"' in content
        assert snapshot(deliverable) == before

    def test_a_teammate_cannot_edit(self, teammate_client, mission, deliverable):
        before = snapshot(deliverable)

        assert teammate_client.get(url("deliverable_edit", mission, deliverable)).status_code == 403
        response = teammate_client.post(
            url("deliverable_edit", mission, deliverable), form_data(title="Pirate")
        )

        assert response.status_code == 403
        assert snapshot(deliverable) == before
        assert MissionEvent.objects.count() == 0


class TestDetail:
    def test_shows_dates_health_tasks_and_notices(self, lead_client, mission, deliverable, teammate):
        Deliverable.objects.filter(pk=deliverable.pk).update(
            internal_date=dt.date(2026, 3, 6),
            announced_date=dt.date(2026, 3, 12),
            announced_date_overridden=True,
        )
        TaskFactory(
            mission=mission,
            deliverable=deliverable,
            title="Écran d'accueil",
            assignee=teammate,
            estimate_hours=40,
        )
        TaskFactory(
            mission=mission, deliverable=deliverable, title="Panier", assignee=teammate, estimate_hours=None
        )
        DelayNotice.objects.create(
            collective=mission.collective,
            deliverable=deliverable,
            previous_date=dt.date(2026, 3, 10),
            new_date=dt.date(2026, 3, 12),
            reason="Le client a changé la charte.",
            sent_by=mission.lead,
            business_days_notice=3,
            is_late=True,
        )

        response = lead_client.get(url("deliverable_detail", mission, deliverable))

        assert response.status_code == 200
        content = response.content.decode()
        assert "<h2>Maquettes</h2>" in content
        assert '<span class="badge badge--at_risk">At risk</span>' in content
        assert "Deadline health: At risk" in content
        assert "Replan the deliverable" in content
        assert f'href="{url("delay_notice", mission, deliverable)}"' in content
        assert "4 business days of margin" in content
        assert "The announced date was set by hand; the automatic one would be March 10, 2026." in content
        assert "Back to the automatic date" in content
        assert "Écran d&#x27;accueil" in content
        assert "no estimate" in content
        assert "40 h" in content
        assert "March 10, 2026 → March 12, 2026" in content
        assert "Sent on March 2, 2026 by Claire Dubois, 3 business days before the old date" in content
        assert '<span class="badge badge--late">late notice</span>' in content
        assert "Le client a changé la charte." in content
        assert 'value="in_progress"' in content and "Mark in progress" in content
        assert "Delete the deliverable" in content

    def test_a_teammate_sees_it_without_the_lead_actions(self, teammate_client, mission, deliverable):
        content = teammate_client.get(url("deliverable_detail", mission, deliverable)).content.decode()

        assert "<h2>Maquettes</h2>" in content
        assert "Mark in progress" not in content
        assert "Delete the deliverable" not in content
        assert url("deliverable_edit", mission, deliverable) not in content

    def test_the_number_of_queries_does_not_grow_with_tasks_and_notices(
        self, lead_client, mission, deliverable, teammate, django_assert_num_queries
    ):
        def build(count):
            for _ in range(count):
                TaskFactory(mission=mission, deliverable=deliverable, assignee=teammate)
                DelayNotice.objects.create(
                    collective=mission.collective,
                    deliverable=deliverable,
                    previous_date=dt.date(2026, 3, 30),
                    new_date=dt.date(2026, 4, 2),
                    reason="Retard",
                    sent_by=mission.lead,
                    business_days_notice=2,
                    is_late=False,
                )

        page = url("deliverable_detail", mission, deliverable)
        build(3)
        lead_client.get(page)
        # The deliverable page and its delivery calls (the calls' own count test is in
        # cordee/communication/tests/test_calls_views.py).
        with django_assert_num_queries(11):
            lead_client.get(page)
        build(27)
        with django_assert_num_queries(11):
            assert lead_client.get(page).status_code == 200


class TestStatusResetDelete:
    def test_marking_delivered_sets_the_time_and_records_it(self, lead_client, mission, deliverable, _frozen):
        response = lead_client.post(
            url("deliverable_status", mission, deliverable), {"status": "delivered"}, follow=True
        )

        assert response.redirect_chain == [(url("deliverable_detail", mission, deliverable), 302)]
        assert "“Maquettes” is now delivered." in response.content.decode()
        deliverable.refresh_from_db()
        assert (deliverable.status, deliverable.delivered_at) == (
            "delivered",
            dt.datetime(2026, 3, 2, 10, 0, tzinfo=PARIS),
        )
        assert MissionEvent.objects.get(kind="deliverable_delivered").data["on_time"] is True

    def test_a_forbidden_move_says_so(self, lead_client, mission, deliverable):
        Deliverable.objects.filter(pk=deliverable.pk).update(status="accepted")

        response = lead_client.post(
            url("deliverable_status", mission, deliverable), {"status": "planned"}, follow=True
        )

        assert "A deliverable cannot go from Accepted to Planned." in response.content.decode()
        deliverable.refresh_from_db()
        assert deliverable.status == "accepted"

    def test_post_only_actions_refuse_get(self, lead_client, mission, deliverable):
        for name in ("deliverable_status", "deliverable_delete", "deliverable_announced_reset"):
            assert lead_client.get(url(name, mission, deliverable)).status_code == 405
        assert Deliverable.objects.filter(pk=deliverable.pk).exists()

    def test_back_to_the_automatic_date(self, lead_client, mission, deliverable):
        Deliverable.objects.filter(pk=deliverable.pk).update(
            announced_date=dt.date(2026, 4, 20), announced_date_overridden=True
        )

        response = lead_client.post(url("deliverable_announced_reset", mission, deliverable), follow=True)

        assert "The announced date is automatic again: April 2, 2026." in response.content.decode()
        deliverable.refresh_from_db()
        assert (deliverable.announced_date, deliverable.announced_date_overridden) == (
            dt.date(2026, 4, 2),
            False,
        )

    def test_delete(self, lead_client, mission, deliverable):
        response = lead_client.post(url("deliverable_delete", mission, deliverable), follow=True)

        assert response.redirect_chain == [(url("deliverables", mission), 302)]
        assert "“Maquettes” was deleted." in response.content.decode()
        assert Deliverable.objects.count() == 0

    def test_a_delivered_deliverable_is_not_deleted(self, lead_client, mission, deliverable):
        Deliverable.objects.filter(pk=deliverable.pk).update(
            status="delivered", delivered_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
        )

        response = lead_client.post(url("deliverable_delete", mission, deliverable), follow=True)

        assert "A delivered deliverable stays in the mission&#x27;s record: it cannot be deleted." in (
            response.content.decode()
        )
        assert Deliverable.objects.count() == 1

    def test_a_teammate_can_do_none_of_it(self, teammate_client, mission, deliverable):
        Deliverable.objects.filter(pk=deliverable.pk).update(announced_date_overridden=True)
        before = snapshot(deliverable)

        for name, data in (
            ("deliverable_status", {"status": "delivered"}),
            ("deliverable_announced_reset", {}),
            ("deliverable_delete", {}),
        ):
            assert teammate_client.post(url(name, mission, deliverable), data).status_code == 403

        assert snapshot(deliverable) == before
        assert MissionEvent.objects.count() == 0


class TestDelayNoticePage:
    @pytest.fixture
    def contacts(self, mission):
        return [
            ClientContactFactory(client=mission.client, full_name="Anne Martin", language="fr"),
            ClientContactFactory(client=mission.client, full_name="Ben Smith", language="en"),
        ]

    @pytest.fixture
    def soon(self, mission, teammate):
        """Announced for Thursday 5 March: 4 business days of notice today, under the 5 asked for."""
        return DeliverableFactory(
            mission=mission,
            title="Recette",
            internal_date=dt.date(2026, 3, 3),
            announced_date=dt.date(2026, 3, 5),
        )

    def test_the_form_says_whether_the_notice_comes_in_time(
        self, lead_client, mission, deliverable, contacts
    ):
        content = lead_client.get(url("delay_notice", mission, deliverable)).content.decode()

        assert "Delay notice for “Maquettes”" in content
        assert (
            "Sent today, it comes 23 business days before April 2, 2026: enough for the client to adapt "
            "(the mission asks for at least 5)." in content
        )
        assert "Anne Martin" in content and "Ben Smith" in content
        assert "Replies go to Claire Dubois, the mission's lead and the client's single contact." in content
        assert 'name="new_date"' in content

    def test_a_late_notice_is_announced_before_sending(self, lead_client, mission, soon, contacts):
        content = lead_client.get(url("delay_notice", mission, soon)).content.decode()

        assert '<span class="badge badge--late">late notice</span>' in content
        assert (
            "Sent today, it comes 3 business days before March 5, 2026, while the mission asks for at least 5"
            in (content)
        )

    def test_the_preview_shows_the_email_and_sends_nothing(self, lead_client, mission, deliverable, contacts):
        response = lead_client.post(
            url("delay_notice", mission, deliverable),
            {
                "new_date": "2026-04-09",
                "reason": "La maquette du panier\nest à refaire.",
                "action": "preview",
            },
        )

        content = response.content.decode()
        assert "Preview of the email" in content
        assert "As Anne Martin will read it (French); each contact gets it in their own language." in content
        assert "9 avril 2026" in content
        assert 'name="new_date" value="2026-04-09"' in content
        assert 'value="La maquette du panier\nest à refaire."' in content
        assert "Send to 2 contacts" in content
        assert DelayNotice.objects.count() == 0
        assert OutboundEmail.objects.count() == 0
        assert snapshot(deliverable)[3] == dt.date(2026, 4, 2)

    def test_change_it_goes_back_to_the_form_with_the_typing(
        self, lead_client, mission, deliverable, contacts
    ):
        response = lead_client.post(
            url("delay_notice", mission, deliverable),
            {"new_date": "2026-04-09", "reason": "Le panier est à refaire.", "action": "edit"},
        )

        content = response.content.decode()
        assert 'value="2026-04-09"' in content
        assert "Le panier est à refaire.</textarea>" in content
        assert "Preview of the email" not in content

    def test_sending_moves_the_date_and_tells_every_contact(
        self, lead_client, mission, deliverable, contacts
    ):
        response = lead_client.post(
            url("delay_notice", mission, deliverable),
            {"new_date": "2026-04-09", "reason": "Le panier est à refaire.", "action": "send"},
            follow=True,
        )

        assert response.redirect_chain == [(url("deliverable_detail", mission, deliverable), 302)]
        content = response.content.decode()
        assert "The delay notice was sent to 2 contacts of the client." in content
        assert "April 2, 2026 → April 9, 2026" in content
        assert "Sent on March 2, 2026 by Claire Dubois, 23 business days before the old date" in content
        notice = DelayNotice.objects.get()
        assert (
            notice.previous_date,
            notice.new_date,
            notice.business_days_notice,
            notice.is_late,
            notice.sent_by,
        ) == (
            dt.date(2026, 4, 2),
            dt.date(2026, 4, 9),
            23,
            False,
            mission.lead,
        )
        assert snapshot(deliverable)[3:5] == (dt.date(2026, 4, 9), True)
        assert sorted(OutboundEmail.objects.values_list("to_email", "language")) == sorted(
            [(contacts[0].email, "fr"), (contacts[1].email, "en")]
        )

    def test_a_late_notice_is_sent_with_a_warning(self, lead_client, mission, soon, contacts):
        response = lead_client.post(
            url("delay_notice", mission, soon),
            {"new_date": "2026-03-12", "reason": "Retard de l'hébergeur.", "action": "send"},
            follow=True,
        )

        assert (
            "The delay notice was sent to 2 contacts of the client. It came later than the 5 business days "
            "the mission asks for." in response.content.decode()
        )
        assert DelayNotice.objects.get().is_late is True
        assert MissionEvent.objects.get(kind="delay_notice").is_flagged is True

    def test_an_earlier_date_is_refused_and_the_typing_kept(
        self, lead_client, mission, deliverable, contacts
    ):
        before = snapshot(deliverable)

        response = lead_client.post(
            url("delay_notice", mission, deliverable),
            {"new_date": "2026-04-01", "reason": "Le panier est à refaire.", "action": "send"},
        )

        content = response.content.decode()
        assert "The new date must be after the current announced date (2 April)." in content
        assert 'value="2026-04-01"' in content
        assert "Le panier est à refaire.</textarea>" in content
        assert snapshot(deliverable) == before
        assert (DelayNotice.objects.count(), OutboundEmail.objects.count()) == (0, 0)

    def test_a_reason_is_required(self, lead_client, mission, deliverable, contacts):
        response = lead_client.post(
            url("delay_notice", mission, deliverable),
            {"new_date": "2026-04-09", "reason": " ", "action": "preview"},
        )

        content = response.content.decode()
        assert "Tell the client why the date moves." in content
        assert 'value="2026-04-09"' in content
        assert DelayNotice.objects.count() == 0

    def test_without_contact_the_page_sends_to_the_client_page(self, lead_client, mission, deliverable):
        page = lead_client.get(url("delay_notice", mission, deliverable)).content.decode()
        assert "has no contact yet: add the people to tell on the client's page, then come back." in page
        assert reverse("clients:detail", args=[mission.collective.slug, mission.client_id]) in page

        response = lead_client.post(
            url("delay_notice", mission, deliverable),
            {"new_date": "2026-04-09", "reason": "Retard", "action": "send"},
        )

        assert "The client has no contact to tell: add one on the client&#x27;s page first." in (
            response.content.decode()
        )
        assert snapshot(deliverable)[3] == dt.date(2026, 4, 2)
        assert DelayNotice.objects.count() == 0

    def test_a_delivered_deliverable_has_no_notice_to_send(self, lead_client, mission, deliverable, contacts):
        Deliverable.objects.filter(pk=deliverable.pk).update(
            status="delivered", delivered_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=PARIS)
        )

        response = lead_client.get(url("delay_notice", mission, deliverable), follow=True)

        assert response.redirect_chain == [(url("deliverable_detail", mission, deliverable), 302)]
        assert (
            "This deliverable was already delivered: there is no date to move." in response.content.decode()
        )

    def test_a_teammate_cannot_send_one(self, teammate_client, mission, deliverable, contacts):
        before = snapshot(deliverable)

        assert teammate_client.get(url("delay_notice", mission, deliverable)).status_code == 403
        response = teammate_client.post(
            url("delay_notice", mission, deliverable),
            {"new_date": "2026-04-09", "reason": "Retard", "action": "send"},
        )

        assert response.status_code == 403
        assert snapshot(deliverable) == before
        assert (DelayNotice.objects.count(), OutboundEmail.objects.count(), MissionEvent.objects.count()) == (
            0,
            0,
            0,
        )

    def test_an_admin_who_is_not_the_lead_can_send_one(self, client, mission, deliverable, contacts):
        client.force_login(AdminMembershipFactory(collective=mission.collective).user)

        client.post(
            url("delay_notice", mission, deliverable),
            {"new_date": "2026-04-09", "reason": "Retard", "action": "send"},
        )

        assert DelayNotice.objects.count() == 1
        assert set(OutboundEmail.objects.values_list("reply_to", flat=True)) == {mission.lead.email}


DELIVERABLE_URLS = [
    "deliverable_detail",
    "deliverable_edit",
    "deliverable_delete",
    "deliverable_status",
    "deliverable_announced_reset",
    "delay_notice",
]


class TestIsolation:
    def test_anonymous_visitors_are_sent_to_log_in(self, client, mission, deliverable):
        urls = [url("deliverables", mission), url("deliverable_create", mission)]
        urls += [url(name, mission, deliverable) for name in DELIVERABLE_URLS]
        login = reverse("account_login")
        for address in urls:
            for method in (client.get, client.post):
                response = method(address)
                assert response.status_code == 302, address
                assert response["Location"].startswith(login), address
        assert snapshot(deliverable)[0] == "Maquettes"

    def test_a_member_of_another_collective_gets_404(self, client, mission, deliverable):
        ClientContactFactory(client=mission.client)
        outsider = AdminMembershipFactory()
        client.force_login(outsider.user)
        before = snapshot(deliverable)
        # Through the mission's own collective, and smuggled under the outsider's collective.
        smuggled = MissionFactory(collective=outsider.collective, start_date=START)
        urls = [url("deliverables", mission), url("deliverable_create", mission)]
        urls += [url(name, mission, deliverable) for name in DELIVERABLE_URLS]
        urls += [
            reverse(f"missions:{name}", args=[outsider.collective.slug, mission.pk, deliverable.pk])
            for name in DELIVERABLE_URLS
        ]
        urls += [
            reverse(f"missions:{name}", args=[outsider.collective.slug, smuggled.pk, deliverable.pk])
            for name in DELIVERABLE_URLS
        ]
        for address in urls:
            assert client.get(address).status_code == 404, address
            data = {"status": "delivered", "new_date": "2026-05-01", "reason": "x", "action": "send"}
            assert client.post(address, data | form_data()).status_code == 404, address
        assert snapshot(deliverable) == before
        assert (DelayNotice.objects.count(), OutboundEmail.objects.count()) == (0, 0)

    def test_a_deliverable_of_another_mission_of_the_same_collective_is_a_404(
        self, lead_client, mission, deliverable
    ):
        ClientContactFactory(client=mission.client)
        other_mission = MissionFactory(collective=mission.collective, lead=mission.lead, start_date=START)
        before = snapshot(deliverable)

        for name in DELIVERABLE_URLS:
            address = reverse(
                f"missions:{name}", args=[mission.collective.slug, other_mission.pk, deliverable.pk]
            )
            assert lead_client.get(address).status_code == 404, name
            data = {"status": "delivered", "new_date": "2026-05-01", "reason": "x", "action": "send"}
            assert lead_client.post(address, data | form_data(title="Pirate")).status_code == 404, name

        assert snapshot(deliverable) == before
        assert Deliverable.objects.count() == 1
        assert (DelayNotice.objects.count(), OutboundEmail.objects.count()) == (0, 0)
