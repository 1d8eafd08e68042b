# ruff: noqa: F811 - the fixtures imported from core_fixtures are requested by name
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cordee.clients.models import Client, ClientContact
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory, OpportunityFactory
from cordee.missions.models import Mission, MissionEvent, MissionMember
from cordee.missions.services.missions import mission_create
from cordee.missions.tests.core_fixtures import TODAY, english, frozen_now, member_client  # noqa: F401
from cordee.missions.tests.factories import ClientFactory, MissionFactory
from cordee.opportunities.models import Opportunity

pytestmark = pytest.mark.django_db


def create_url(collective, **params):
    address = reverse("missions:create", args=[collective.slug])
    if params:
        address += "?" + "&".join(f"{key}={value}" for key, value in params.items())
    return address


def data(**changes):
    values = {"title": "Refonte du site", "description": "", "start_date": dt.date(2026, 3, 9)}
    values.update(changes)
    return values


def form_data(collective, team=(), **changes):
    """What the creation form posts: every member of the collective as a team row, `team` ticked."""
    members = list(collective.memberships.order_by("user__full_name", "user__email"))
    values = {
        "title": "Refonte du site",
        "client": "",
        "new_client_name": "",
        "description": "Un site plus rapide.",
        "lead": "",
        "start_date": "2026-03-09",
        "assignment_mode": "self_service",
        "recaps_per_week": "2",
        "recap_weekdays": ["1", "4"],
        "ritual_kind": "async_video",
        "delay_notice_min_business_days": "5",
        "feedback_enabled": "on",
        "feedback_first_after_days": "14",
        "feedback_every_days": "30",
        "team-TOTAL_FORMS": str(len(members)),
        "team-INITIAL_FORMS": str(len(members)),
        "team-MIN_NUM_FORMS": "0",
        "team-MAX_NUM_FORMS": "50",
    }
    for index, membership in enumerate(members):
        values[f"team-{index}-user"] = str(membership.user_id)
        values[f"team-{index}-role"] = ""
        values[f"team-{index}-day_rate"] = ""
        values[f"team-{index}-weekly_capacity_hours"] = ""
        if membership.user_id in {user.pk for user in team}:
            values[f"team-{index}-selected"] = "on"
    values.update(changes)
    return values


class TestService:
    def test_the_collectives_defaults_fill_in_the_settings(self, collective, admin_user):
        collective.default_assignment_mode = "by_role"
        collective.default_recaps_per_week = 2
        collective.default_ritual_kind = "async_video"
        collective.delay_notice_min_business_days = 7
        collective.feedback_first_after_days = 10
        collective.feedback_every_days = 21
        collective.save()
        client = ClientFactory(collective=collective)

        mission = mission_create(
            collective=collective, by=admin_user, data=data(client=client, lead=admin_user), team=[]
        )

        assert (
            mission.status,
            mission.assignment_mode,
            mission.recaps_per_week,
            mission.recap_weekdays,
            mission.ritual_kind,
            mission.delay_notice_min_business_days,
            mission.feedback_enabled,
            mission.feedback_first_after_days,
            mission.feedback_every_days,
        ) == ("draft", "by_role", 2, [1, 4], "async_video", 7, True, 10, 21)

    def test_exactly_one_lead_who_joins_the_team_with_the_membership_day_rate(self, collective, admin_user):
        lead = MembershipFactory(collective=collective, day_rate=Decimal("600.00")).user
        designer = MembershipFactory(collective=collective, day_rate=Decimal("500.00")).user
        client = ClientFactory(collective=collective)

        mission = mission_create(
            collective=collective,
            by=admin_user,
            data=data(client=client, lead=lead),
            team=[
                {"user": designer, "role": "design", "day_rate": None, "weekly_capacity_hours": Decimal("14")}
            ],
        )

        assert mission.lead == lead
        assert sorted(
            MissionMember.objects.filter(mission=mission).values_list(
                "user_id", "role", "day_rate", "weekly_capacity_hours"
            )
        ) == sorted(
            [
                (lead.pk, "", Decimal("600.00"), None),
                (designer.pk, "design", Decimal("500.00"), Decimal("14")),
            ]
        )
        event = MissionEvent.objects.get(mission=mission)
        assert (event.kind, event.actor, event.data["lead"]) == ("created", admin_user, lead.pk)

    def test_a_typed_day_rate_wins_over_the_membership_one(self, collective, admin_user):
        designer = MembershipFactory(collective=collective, day_rate=Decimal("500.00")).user

        mission = mission_create(
            collective=collective,
            by=admin_user,
            data=data(client=ClientFactory(collective=collective), lead=admin_user),
            team=[{"user": designer, "role": "", "day_rate": Decimal("450"), "weekly_capacity_hours": None}],
        )

        assert MissionMember.objects.get(mission=mission, user=designer).day_rate == Decimal("450.00")

    def test_a_lead_from_another_collective_is_refused_and_nothing_is_created(self, collective, admin_user):
        outsider = AdminMembershipFactory().user

        with pytest.raises(ValidationError) as refused:
            mission_create(
                collective=collective,
                by=admin_user,
                data=data(client=ClientFactory(collective=collective), lead=outsider),
                team=[],
            )

        assert refused.value.error_dict["lead"][0].code == "lead_not_member"
        assert not Mission.objects.exists()

    def test_a_mission_without_a_lead_is_refused(self, collective, admin_user):
        with pytest.raises(ValidationError) as refused:
            mission_create(
                collective=collective,
                by=admin_user,
                data=data(client=ClientFactory(collective=collective)),
                team=[],
            )

        assert "lead" in refused.value.error_dict
        assert not Mission.objects.exists()

    def test_a_client_or_a_team_member_from_another_collective_is_refused(self, collective, admin_user):
        foreign_client = ClientFactory()
        outsider = AdminMembershipFactory().user

        with pytest.raises(ValidationError) as refused:
            mission_create(
                collective=collective,
                by=admin_user,
                data=data(client=foreign_client, lead=admin_user),
                team=[{"user": outsider, "role": "", "day_rate": None, "weekly_capacity_hours": None}],
            )

        assert set(refused.value.error_dict) == {"client", "team"}
        assert not Mission.objects.exists()
        assert not MissionMember.objects.exists()

    @pytest.mark.parametrize(
        ("recaps", "weekdays"), [(1, [1, 4]), (2, [4]), (2, []), (3, [0, 1, 2]), (1, [5])]
    )
    def test_recap_weekdays_must_match_the_number_of_recaps(self, collective, admin_user, recaps, weekdays):
        with pytest.raises(ValidationError) as refused:
            mission_create(
                collective=collective,
                by=admin_user,
                data=data(
                    client=ClientFactory(collective=collective),
                    lead=admin_user,
                    recaps_per_week=recaps,
                    recap_weekdays=weekdays,
                ),
                team=[],
            )

        assert set(refused.value.error_dict) & {"recap_weekdays", "recaps_per_week"}
        assert not Mission.objects.exists()

    def test_someone_outside_the_collective_cannot_create(self, collective, admin_user):
        with pytest.raises(PermissionDenied):
            mission_create(
                collective=collective,
                by=AdminMembershipFactory().user,
                data=data(client=ClientFactory(collective=collective), lead=admin_user),
                team=[],
            )
        assert not Mission.objects.exists()


class TestConversion:
    @pytest.fixture
    def won(self, collective):
        return OpportunityFactory(
            collective=collective,
            stage=Opportunity.Stage.WON,
            company="Durand SA",
            contact_name="Paul Durand",
            contact_email="paul@durand.fr",
            need="Refonte de l'application mobile",
            language="en",
        )

    def test_the_client_contact_and_need_are_carried_and_the_opportunity_linked(
        self, collective, admin_user, won
    ):
        mission = mission_create(
            collective=collective, by=admin_user, data=data(lead=admin_user), team=[], opportunity=won
        )

        client = Client.objects.get(collective=collective)
        assert client.name == "Durand SA"
        contact = ClientContact.objects.get(client=client)
        assert (contact.full_name, contact.email, contact.language, contact.role) == (
            "Paul Durand",
            "paul@durand.fr",
            "en",
            "sponsor",
        )
        assert (mission.client, mission.description, mission.opportunity) == (
            client,
            "Refonte de l'application mobile",
            won,
        )
        assert won.mission == mission
        event = MissionEvent.objects.get(mission=mission)
        assert (event.summary, event.data["opportunity"]) == (
            "Created from the opportunity of Durand SA.",
            won.pk,
        )

    def test_a_client_with_the_same_name_is_reused_and_a_known_contact_kept(
        self, collective, admin_user, won
    ):
        existing = ClientFactory(collective=collective, name="durand sa")
        ClientContact.objects.create(
            collective=collective, client=existing, full_name="Paul D.", email="paul@durand.fr"
        )

        mission = mission_create(
            collective=collective, by=admin_user, data=data(lead=admin_user), team=[], opportunity=won
        )

        assert mission.client == existing
        assert Client.objects.count() == 1
        assert list(ClientContact.objects.values_list("full_name", flat=True)) == ["Paul D."]

    def test_a_chosen_client_gets_the_opportunitys_contact(self, collective, admin_user, won):
        chosen = ClientFactory(collective=collective, name="Groupe Durand")

        mission = mission_create(
            collective=collective,
            by=admin_user,
            data=data(lead=admin_user, client=chosen, description="Autre texte"),
            team=[],
            opportunity=won,
        )

        assert (mission.client, mission.description) == (chosen, "Autre texte")
        assert chosen.contacts.get().email == "paul@durand.fr"

    @pytest.mark.parametrize("stage", ["new", "qualified", "proposal_sent", "lost"])
    def test_an_opportunity_not_won_is_refused(self, collective, admin_user, won, stage):
        Opportunity.objects.filter(pk=won.pk).update(stage=stage)

        with pytest.raises(ValidationError) as refused:
            mission_create(
                collective=collective, by=admin_user, data=data(lead=admin_user), team=[], opportunity=won
            )

        assert refused.value.code == "opportunity_not_won"
        assert (Mission.objects.count(), Client.objects.count(), ClientContact.objects.count()) == (0, 0, 0)

    def test_an_opportunity_already_converted_is_refused(self, collective, admin_user, won):
        first = MissionFactory(collective=collective, opportunity=won, title="Déjà là")

        with pytest.raises(ValidationError) as refused:
            mission_create(
                collective=collective, by=admin_user, data=data(lead=admin_user), team=[], opportunity=won
            )

        assert refused.value.messages == ["This opportunity is already the mission “Déjà là”."]
        assert list(Mission.objects.all()) == [first]

    def test_another_collectives_opportunity_is_refused(self, collective, admin_user):
        foreign = OpportunityFactory(stage=Opportunity.Stage.WON)

        with pytest.raises(ValidationError) as refused:
            mission_create(
                collective=collective, by=admin_user, data=data(lead=admin_user), team=[], opportunity=foreign
            )

        assert refused.value.code == "opportunity_other"
        assert not Mission.objects.exists()


@pytest.mark.usefixtures("frozen_now")
class TestCreatePage:
    def test_the_form_starts_with_the_collectives_defaults_and_the_user_as_lead(
        self, admin_client, collective, admin_user
    ):
        collective.default_assignment_mode = "by_role"
        collective.default_ritual_kind = "async_video"
        collective.default_recaps_per_week = 2
        collective.save()

        response = admin_client.get(create_url(collective))

        form = response.context["form"]
        assert form.initial["lead"] == admin_user.pk
        assert form.initial["start_date"] == TODAY
        assert (
            form.initial["assignment_mode"],
            form.initial["ritual_kind"],
            form.initial["recap_weekdays"],
        ) == (
            "by_role",
            "async_video",
            [1, 4],
        )
        content = response.content.decode()
        assert 'value="by_role" required id="id_assignment_mode_2" checked' in content
        assert 'value="async_video" required id="id_ritual_kind_1" checked' in content
        assert 'value="4" id="id_recap_weekdays_4" checked' in content
        assert 'type="date" name="start_date" value="2026-03-02"' in content
        assert response.context["team"].forms[0].initial["selected"] is True

    def test_a_member_creates_a_mission_with_a_new_client_and_a_team(
        self, member_client, collective, admin_user, member_membership
    ):
        designer = MembershipFactory(collective=collective, day_rate=Decimal("480.00")).user

        response = member_client.post(
            create_url(collective),
            form_data(collective, team=[designer], lead=str(admin_user.pk), new_client_name="Maison Lenoir"),
            follow=True,
        )

        mission = Mission.objects.get()
        assert response.redirect_chain == [
            (reverse("missions:detail", args=[collective.slug, mission.pk]), 302)
        ]
        assert "was created as a draft" in response.content.decode()
        assert (
            mission.client.name,
            mission.lead,
            mission.status,
            mission.recap_weekdays,
            mission.ritual_kind,
        ) == (
            "Maison Lenoir",
            admin_user,
            "draft",
            [1, 4],
            "async_video",
        )
        assert set(mission.team.values_list("user_id", "day_rate")) == {
            (admin_user.pk, None),
            (designer.pk, Decimal("480.00")),
        }

    def test_the_wrong_number_of_recap_days_is_refused_and_typed_values_kept(
        self, admin_client, collective, admin_user
    ):
        client = ClientFactory(collective=collective)

        response = admin_client.post(
            create_url(collective),
            form_data(
                collective,
                client=str(client.pk),
                lead=str(admin_user.pk),
                title="Titre tapé",
                recaps_per_week="2",
                recap_weekdays=["4"],
            ),
        )

        content = response.content.decode()
        assert response.status_code == 200
        assert "Pick exactly two weekdays for the recaps." in content
        assert 'value="Titre tapé"' in content
        assert not Mission.objects.exists()

    def test_a_client_or_lead_of_another_collective_in_the_post_is_refused(
        self, admin_client, collective, admin_user
    ):
        foreign_client = ClientFactory()
        outsider = AdminMembershipFactory().user

        response = admin_client.post(
            create_url(collective),
            form_data(collective, client=str(foreign_client.pk), lead=str(outsider.pk), title="Titre tapé"),
        )

        form = response.context["form"]
        assert set(form.errors) == {"client", "lead"}
        assert 'value="Titre tapé"' in response.content.decode()
        assert not Mission.objects.exists()

    def test_a_team_member_of_another_collective_in_the_post_is_refused(
        self, admin_client, collective, admin_user
    ):
        outsider = AdminMembershipFactory().user
        values = form_data(collective, lead=str(admin_user.pk), new_client_name="Lenoir")
        values.update({"team-TOTAL_FORMS": "2", "team-1-user": str(outsider.pk), "team-1-selected": "on"})

        response = admin_client.post(create_url(collective), values)

        assert response.status_code == 200
        assert "This person is not a member of the collective." in response.content.decode()
        assert not Mission.objects.exists()
        assert not Client.objects.exists()

    def test_both_a_client_and_a_new_name_is_refused(self, admin_client, collective, admin_user):
        client = ClientFactory(collective=collective)

        response = admin_client.post(
            create_url(collective),
            form_data(collective, client=str(client.pk), new_client_name="Autre", lead=str(admin_user.pk)),
        )

        assert (
            "Choose an existing client or give the name of a new one, not both." in response.content.decode()
        )
        assert not Mission.objects.exists()

    def test_the_client_of_the_query_string_is_preselected(self, admin_client, collective):
        client = ClientFactory(collective=collective)
        foreign = ClientFactory()

        assert (
            admin_client.get(create_url(collective, client=client.pk)).context["form"].initial["client"]
            == client.pk
        )
        assert (
            "client"
            not in admin_client.get(create_url(collective, client=foreign.pk)).context["form"].initial
        )


@pytest.mark.usefixtures("frozen_now")
class TestConvertPage:
    def test_a_won_opportunity_prefills_the_form_and_becomes_the_mission(
        self, admin_client, collective, admin_user
    ):
        won = OpportunityFactory(
            collective=collective,
            stage="won",
            company="Durand SA",
            need="Refonte de l'application\nAvec un back-office",
            desired_start=dt.date(2026, 4, 1),
        )

        page = admin_client.get(create_url(collective, opportunity=won.pk))

        initial = page.context["form"].initial
        assert (initial["title"], initial["new_client_name"], initial["start_date"]) == (
            "Durand SA — Refonte de l'application",
            "Durand SA",
            dt.date(2026, 4, 1),
        )
        assert initial["description"] == "Refonte de l'application\nAvec un back-office"
        assert "Won opportunity: Durand SA" in page.content.decode()

        response = admin_client.post(
            create_url(collective, opportunity=won.pk),
            form_data(
                collective,
                lead=str(admin_user.pk),
                title=initial["title"],
                description=initial["description"],
                new_client_name="",
            ),
        )

        mission = Mission.objects.get()
        assert response.status_code == 302
        assert (mission.opportunity, mission.client.name) == (won, "Durand SA")
        assert mission.client.contacts.get().email == won.contact_email

    def test_a_known_client_with_the_companys_name_is_preselected(self, admin_client, collective):
        known = ClientFactory(collective=collective, name="Durand SA")
        won = OpportunityFactory(collective=collective, stage="won", company="Durand SA")

        initial = admin_client.get(create_url(collective, opportunity=won.pk)).context["form"].initial

        assert initial["client"] == known.pk
        assert "new_client_name" not in initial

    def test_an_opportunity_not_won_sends_back_to_it_with_a_message(self, admin_client, collective):
        open_one = OpportunityFactory(collective=collective, stage="qualified")

        response = admin_client.get(create_url(collective, opportunity=open_one.pk), follow=True)

        assert response.redirect_chain == [
            (reverse("opportunities:detail", args=[collective.slug, open_one.pk]), 302)
        ]
        assert "Only a won opportunity becomes a mission" in response.content.decode()

    def test_an_opportunity_already_converted_leads_to_its_mission(self, admin_client, collective):
        won = OpportunityFactory(collective=collective, stage="won")
        mission = MissionFactory(collective=collective, opportunity=won)

        response = admin_client.post(create_url(collective, opportunity=won.pk), {"title": "x"})

        assert response.status_code == 302
        assert response["Location"] == reverse("missions:detail", args=[collective.slug, mission.pk])
        assert Mission.objects.count() == 1

    def test_another_collectives_opportunity_is_a_404(self, admin_client, collective, admin_user):
        foreign = OpportunityFactory(stage="won")

        assert admin_client.get(create_url(collective, opportunity=foreign.pk)).status_code == 404
        response = admin_client.post(
            create_url(collective, opportunity=foreign.pk), form_data(collective, lead=str(admin_user.pk))
        )
        assert response.status_code == 404
        assert not Mission.objects.exists()


class TestOpportunityPage:
    def test_a_won_opportunity_offers_the_conversion_then_links_its_mission(self, admin_client, collective):
        won = OpportunityFactory(collective=collective, stage="won")
        page = reverse("opportunities:detail", args=[collective.slug, won.pk])

        assert f"{create_url(collective)}?opportunity={won.pk}" in admin_client.get(page).content.decode()

        mission = MissionFactory(collective=collective, opportunity=won)
        content = admin_client.get(page).content.decode()
        assert "Convert to mission" not in content
        assert reverse("missions:detail", args=[collective.slug, mission.pk]) in content

    def test_an_open_opportunity_offers_no_conversion(self, admin_client, collective):
        open_one = OpportunityFactory(collective=collective, stage="proposal_sent")

        content = admin_client.get(
            reverse("opportunities:detail", args=[collective.slug, open_one.pk])
        ).content.decode()

        assert "Convert to mission" not in content


@pytest.mark.usefixtures("frozen_now")
def test_the_start_date_is_given_to_the_date_picker_in_iso_format_in_french_too(admin_client, collective):
    content = admin_client.get(create_url(collective), HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert 'type="date" name="start_date" value="2026-03-02"' in content
