import zoneinfo
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.test import Client as Client_
from django.urls import reverse
from django.utils import timezone
from schwifty import IBAN
from stdnum.eu import vat
from stdnum.fr import siret

from cordee.accounts.models import User
from cordee.clients.models import Client, ClientContact
from cordee.collectives.models import Collective, Membership, Reference
from cordee.collectives.queries import collective_page_state
from cordee.communication.models import DeliveryCall, Recap
from cordee.core.business_days import announced_date_for, is_business_day
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import CollectiveFactory
from cordee.feedback.models import Survey, SurveyInvitation, SurveyResponse
from cordee.missions.models import ClientRequest, Deliverable, Mission, MissionEvent, MissionMember, Task
from cordee.opportunities.models import Opportunity, OpportunityStageChange
from cordee.timesheets.models import TimeEntry

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def test_seed_creates_the_published_demo_collective_with_four_members():
    output = seed()

    collective = Collective.objects.get()
    assert (collective.slug, collective.name) == (settings.DEMO_SLUG, "Atelier Rive Gauche")
    assert collective.is_published and collective.published_at is not None
    assert collective.tagline and len(collective.expertises) >= 3
    assert "<h2>Comment nous travaillons</h2>" in collective.description_html
    assert collective.logo.storage.exists(collective.logo.name)
    memberships = Membership.objects.filter(collective=collective).select_related("user")
    assert sorted(m.title for m in memberships) == [
        "Cheffe de projet",
        "Designer UX",
        "Développeur back-end",
        "Développeuse front-end",
    ]
    admin = memberships.get(role=Membership.Role.ADMIN)
    assert (admin.user.email, admin.user.full_name) == (settings.DEMO_EMAIL, "Claire Martin")
    assert all(m.skills and m.day_rate for m in memberships)
    assert Reference.objects.filter(collective=collective).count() == 3
    assert output.strip() == (
        f"Demo collective “Atelier Rive Gauche” created: log in with {settings.DEMO_EMAIL} / {settings.DEMO_PASSWORD}"
    )


def test_the_demo_page_is_complete():
    seed()

    _references, completeness = collective_page_state(Collective.objects.get())

    assert completeness.missing == []


def test_every_demo_member_has_a_complete_and_valid_legal_identity():
    seed()

    for user in User.objects.all():
        assert user.missing_legal_identity() == [], user.email
        assert siret.is_valid(user.siret), user.siret
        assert IBAN(user.iban).country_code == "FR"
        if user.vat_regime == User.VatRegime.REGISTERED:
            assert vat.is_valid(user.vat_number)
            assert user.vat_number[4:] == user.siret[:9]
        assert EmailAddress.objects.filter(user=user, email=user.email, verified=True, primary=True).exists()


def test_four_opportunities_in_different_stages_with_their_history():
    seed()

    opportunities = Opportunity.objects.order_by("created_at")
    assert sorted(o.stage for o in opportunities) == sorted(["new", "qualified", "proposal_sent", "won"])
    assert all(len(o.need) > 60 for o in opportunities)
    won = opportunities.get(stage=Opportunity.Stage.WON)
    assert list(won.stage_changes.values_list("from_stage", "to_stage")) == [
        ("", "new"),
        ("new", "qualified"),
        ("qualified", "proposal_sent"),
        ("proposal_sent", "won"),
    ]
    assert OpportunityStageChange.objects.filter(collective=won.collective).count() == 1 + 2 + 3 + 4


def test_seed_is_idempotent():
    seed()
    counts = (Collective.objects.count(), User.objects.count(), Opportunity.objects.count())

    output = seed()

    assert (Collective.objects.count(), User.objects.count(), Opportunity.objects.count()) == counts
    assert output.strip() == "Demo data already present (the database has collectives): nothing to do."


def test_seed_does_nothing_on_a_database_with_another_collective():
    CollectiveFactory()

    seed()

    assert not Collective.objects.filter(slug=settings.DEMO_SLUG).exists()
    assert not User.objects.filter(email=settings.DEMO_EMAIL).exists()


def test_the_demo_login_works_and_opens_the_demo_dashboard():
    seed()
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")

    assert client.login(email=settings.DEMO_EMAIL, password=settings.DEMO_PASSWORD)
    response = client.get(reverse("collectives:dashboard", args=[settings.DEMO_SLUG]))

    assert response.status_code == 200
    assert "Atelier Rive Gauche" in response.content.decode()
    assert response.context["overview"].open_opportunity_count == 3


def test_the_allauth_login_form_accepts_the_demo_credentials():
    seed()
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")

    response = client.post(
        reverse("account_login"), {"login": settings.DEMO_EMAIL, "password": settings.DEMO_PASSWORD}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("collectives:home")


# --- The clients and missions of the demo ---------------------------------------------------------

# A Wednesday, a Friday (the recap day), a Sunday, and days around public holidays (Ascension
# Thursday, New Year): the demo's dates are relative to today and must hold whatever today is.
SEED_DAYS = [
    datetime(2026, 3, 11, 10, 0, tzinfo=PARIS),
    datetime(2026, 11, 27, 18, 0, tzinfo=PARIS),
    datetime(2026, 6, 7, 12, 0, tzinfo=PARIS),
    datetime(2026, 5, 13, 9, 0, tzinfo=PARIS),
    datetime(2026, 12, 31, 23, 30, tzinfo=PARIS),
]


def active_mission() -> Mission:
    return Mission.objects.select_related("client", "lead").get(status=Mission.Status.ACTIVE)


def test_two_clients_with_a_sponsor_a_project_and_a_finance_contact_in_french():
    seed()
    seed()

    assert list(Client.objects.order_by("name").values_list("name", flat=True)) == [
        "Maison Lenoir",
        "Ville de Montreuil",
    ]
    for client in Client.objects.all():
        contacts = ClientContact.objects.filter(client=client)
        assert sorted(contacts.values_list("role", flat=True)) == ["finance", "project", "sponsor"]
        assert set(contacts.values_list("language", flat=True)) == {"fr"}
        assert all(contact.job_title for contact in contacts)
    # The won opportunity's contact is Maison Lenoir's sponsor, not a duplicate.
    assert ClientContact.objects.get(email="marc.lambert@maisonlenoir.example").role == "sponsor"


@pytest.mark.parametrize("moment", SEED_DAYS, ids=lambda moment: moment.date().isoformat())
def test_the_active_mission_started_five_weeks_ago_with_its_team_and_three_deliverables(moment):
    with time_machine.travel(moment, tick=False):
        seed()
    today = moment.date()

    mission = active_mission()
    assert (mission.client.name, mission.lead.email) == ("Ville de Montreuil", settings.DEMO_EMAIL)
    five_weeks_ago = today - timedelta(days=35)
    assert mission.start_date - timedelta(days=mission.start_date.weekday()) == five_weeks_ago - timedelta(
        days=five_weeks_ago.weekday()
    )
    assert is_business_day(mission.start_date)
    assert mission.activated_at.astimezone(PARIS).date() == mission.start_date
    team = {m.user.email: (m.role, m.day_rate) for m in MissionMember.objects.filter(mission=mission)}
    assert team == {
        settings.DEMO_EMAIL: ("pilotage", Decimal("650.00")),
        "julien.moreau@demo.cordee.localhost": ("design", Decimal("550.00")),
        "karim.benali@demo.cordee.localhost": ("back-end", Decimal("600.00")),
        "sophie.lefevre@demo.cordee.localhost": ("front-end", Decimal("580.00")),
    }
    delivered, in_progress, planned = Deliverable.objects.filter(mission=mission).order_by("internal_date")
    assert [delivered.status, in_progress.status, planned.status] == ["delivered", "in_progress", "planned"]
    for deliverable in (delivered, in_progress, planned):
        assert deliverable.announced_date == announced_date_for(mission.start_date, deliverable.internal_date)
        assert not deliverable.announced_date_overridden
        # Refreshed after the seed: every deliverable is on track and was checked.
        assert (deliverable.health, deliverable.health_checked_at) == ("on_track", moment)
    assert delivered.delivered_on_time(PARIS) is True
    assert delivered.delivered_at < moment
    assert today < in_progress.internal_date < planned.internal_date
    assert not MissionEvent.objects.filter(mission=mission, kind=MissionEvent.Kind.HEALTH_CHANGED).exists()
    # The history reads in order, nothing in the future.
    assert not MissionEvent.objects.filter(created_at__gt=moment).exists()


@time_machine.travel(SEED_DAYS[0], tick=False)
def test_the_active_mission_has_a_lively_board_time_requests_recap_call_and_survey():
    seed()
    seed()
    mission = active_mission()
    today = SEED_DAYS[0].date()

    tasks = Task.objects.filter(mission=mission)
    assert tasks.count() == 16
    assert Counter(tasks.values_list("status", flat=True)) == {"done": 5, "doing": 2, "review": 2, "todo": 7}
    assert not tasks.filter(estimate_hours__isnull=True).exists()
    assert tasks.values("assignee").distinct().count() == 5  # the four members, and one task for anyone
    assert not tasks.filter(status="done", completed_at__isnull=True).exists()

    entries = TimeEntry.objects.filter(mission=mission)
    assert entries.values("user").distinct().count() == 4
    assert mission.start_date == min(entries.values_list("date", flat=True))
    assert max(entries.values_list("date", flat=True)) < today
    assert all(is_business_day(day) for day in entries.values_list("date", flat=True))

    requests = ClientRequest.objects.filter(mission=mission)
    assert sorted(requests.values_list("status", "source")) == [("new", "portal"), ("planned", "lead")]
    assert tasks.filter(request__status="planned").count() == 1

    recap = Recap.objects.get(mission=mission)
    assert (recap.state, recap.sent_by.email, recap.slot_date) == (
        "sent",
        settings.DEMO_EMAIL,
        date(2026, 3, 6),
    )
    assert recap.body.startswith("Bonjour Isabelle")

    call = DeliveryCall.objects.get(mission=mission)
    next_monday = date(2026, 3, 16)
    assert next_monday <= call.starts_at.astimezone(PARIS).date() < next_monday + timedelta(days=7)
    assert call.deliverable.status == "in_progress" and call.cancelled_at is None
    assert sorted(call.attendee_contacts.values_list("role", flat=True)) == ["project", "sponsor"]

    survey = Survey.objects.get(mission=mission)
    assert survey.due_date == mission.start_date + timedelta(days=14)
    assert survey.sent_at is not None
    assert SurveyInvitation.objects.filter(survey=survey).count() == 2
    response = SurveyResponse.objects.get(survey=survey)
    assert (response.score, response.ranking, response.contact.role) == (9, "top10", "project")
    assert len(response.appreciated) == len(response.improvements) == 3

    # Activation sent the kickoff to the client's three contacts, once.
    assert sorted(OutboundEmail.objects.values_list("to_email", flat=True)) == [
        "a.mercier@montreuil.example",
        "i.fournier@montreuil.example",
        "n.haddad@montreuil.example",
    ]


def test_the_draft_mission_comes_from_the_won_opportunity_of_maison_lenoir():
    seed()
    seed()

    draft = Mission.objects.get(status=Mission.Status.DRAFT)
    won = Opportunity.objects.get(stage=Opportunity.Stage.WON)
    assert (draft.opportunity, draft.client.name, draft.lead.email) == (
        won,
        "Maison Lenoir",
        settings.DEMO_EMAIL,
    )
    assert draft.start_date > timezone.localdate()
    assert Deliverable.objects.filter(mission=draft).count() == 2
    assert Mission.objects.count() == 2


def test_a_second_run_creates_nothing_more():
    seed()
    models = (
        Client,
        ClientContact,
        Mission,
        MissionMember,
        Deliverable,
        Task,
        ClientRequest,
        TimeEntry,
        Recap,
        DeliveryCall,
        Survey,
        SurveyResponse,
        MissionEvent,
        OutboundEmail,
    )
    counts = [model.objects.count() for model in models]

    output = seed()

    assert [model.objects.count() for model in models] == counts
    assert counts[:4] == [2, 6, 2, 7]
    assert output.strip() == "Demo data already present (the database has collectives): nothing to do."


@pytest.mark.parametrize(
    "url_name",
    [
        "missions:detail",
        "missions:board",
        "missions:deliverables",
        "missions:inbox",
        "missions:history",
        "communication:mission",
        "communication:calls",
        "feedback:mission",
    ],
)
def test_the_demo_missions_pages_open_for_claire(url_name):
    seed()
    seed()
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(email=settings.DEMO_EMAIL, password=settings.DEMO_PASSWORD)

    for mission in Mission.objects.all():
        response = client.get(reverse(url_name, args=[settings.DEMO_SLUG, mission.pk]))

        assert response.status_code == 200, (url_name, mission.status)


def test_the_demo_mission_list_and_my_work_open_for_claire():
    seed()
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(email=settings.DEMO_EMAIL))

    missions = client.get(reverse("missions:list", args=[settings.DEMO_SLUG]))
    my_work = client.get(reverse("missions:my_work"))

    assert (missions.status_code, my_work.status_code) == (200, 200)
    content = missions.content.decode()
    assert "Portail des subventions aux associations" in content
    assert "Espace client : commandes, retours et réparations" in content


def test_the_demo_feedback_shows_an_nps():
    seed()
    client = Client_(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(User.objects.get(email=settings.DEMO_EMAIL))

    mission_page = client.get(reverse("feedback:mission", args=[settings.DEMO_SLUG, active_mission().pk]))
    collective_page = client.get(reverse("feedback:collective", args=[settings.DEMO_SLUG]))

    assert mission_page.context["summary"].nps == Decimal(100)
    assert collective_page.context["summary"].nps == Decimal(100)
