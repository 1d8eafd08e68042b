"""Improvement plans: initiatives on the round's points, the recap sent to the client, tracking to done."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import MembershipFactory
from cordee.feedback.models import ImprovementPlan, Initiative
from cordee.feedback.services.plans import InitiativeData, initiatives_for_survey_page, plan_create, plan_send
from cordee.feedback.tests.followup_factories import response_for, survey_for
from cordee.missions.tests.factories import MissionFactory, MissionMemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client):
    """The member pages in English: the asserts read the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def mission(db):
    mission = MissionFactory()
    mission.lead.full_name = "Alice Martin"
    mission.lead.save(update_fields=["full_name"])
    return mission


@pytest.fixture
def survey(mission):
    return survey_for(mission)


@pytest.fixture
def answers(survey):
    return [
        response_for(survey, score=6, ranking="top25", improvements=["Délais des retours", "Plus de démos"]),
        response_for(
            survey, score=9, ranking="top10", improvements=["Plus de démos", "Documentation"], language="en"
        ),
    ]


@pytest.fixture
def lead_client(client, mission):
    client.force_login(mission.lead)
    return client


def create_url(mission, survey):
    return (
        reverse("feedback:plan_create", args=[mission.collective.slug, mission.pk]) + f"?survey={survey.pk}"
    )


def form_data(mission, *rows, action="send", message="Merci pour vos retours francs."):
    data = {
        "message": message,
        "action": action,
        "initiatives-TOTAL_FORMS": str(max(3, len(rows))),
        "initiatives-INITIAL_FORMS": "0",
        "initiatives-MIN_NUM_FORMS": "0",
        "initiatives-MAX_NUM_FORMS": "10",
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"initiatives-{index}-{key}"] = value
    return data


def row(mission, what="Une démo chaque vendredi", point="Plus de démos", due="2026-04-10", owner=None):
    return {
        "what": what,
        "improvement_point": point,
        "owner": str((owner or mission.lead).pk),
        "due_date": due,
    }


def test_the_plan_page_offers_the_rounds_points(lead_client, mission, survey, answers):
    page = lead_client.get(create_url(mission, survey))

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('<option value="Plus de démos">') == 3  # once per initiative row
    assert '<option value="Délais des retours">' in html
    assert '<option value="Documentation">' in html
    assert answers[0].contact.full_name in html


def test_the_lead_writes_and_sends_the_plan(lead_client, mission, survey, answers):
    member = MissionMemberFactory(mission=mission).user

    page = lead_client.post(
        create_url(mission, survey),
        form_data(
            mission,
            row(mission),
            row(
                mission, what="Réponse sous 24 h", point="Délais des retours", due="2026-04-03", owner=member
            ),
        ),
        follow=True,
    )

    plan = ImprovementPlan.objects.get()
    assert plan.survey == survey
    assert plan.message == "Merci pour vos retours francs."
    assert plan.sent_at is not None
    assert [(i.what, i.improvement_point, i.owner, i.due_date) for i in plan.initiatives.all()] == [
        ("Réponse sous 24 h", "Délais des retours", member, dt.date(2026, 4, 3)),
        ("Une démo chaque vendredi", "Plus de démos", mission.lead, dt.date(2026, 4, 10)),
    ]
    assert "Improvement plan sent to 2 contacts." in page.content.decode()
    emails = {email.to_email: email for email in OutboundEmail.objects.all()}
    assert set(emails) == {answers[0].contact.email, answers[1].contact.email}
    english = emails[answers[1].contact.email]
    assert english.idempotency_key == f"plan:{plan.pk}:{answers[1].contact.pk}"
    assert english.language == "en"
    assert english.reply_to == mission.lead.email
    assert english.from_email.startswith("Alice Martin — ")
    assert f"<noreply+{mission.collective.slug}@{settings.EMAIL_SENDER_DOMAIN}>" in english.from_email
    assert english.subject == f"What we are doing with your feedback on “{mission.title}”"
    assert "Merci pour vos retours francs." in english.body_text
    assert "- Une démo chaque vendredi\n  On your point: “Plus de démos”" in english.body_text
    assert "Réponse sous 24 h" in english.body_text
    assert emails[answers[0].contact.email].language == "fr"


def test_a_draft_is_saved_without_sending_then_sent_once(lead_client, mission, survey, answers):
    lead_client.post(create_url(mission, survey), form_data(mission, row(mission), action="save"))
    plan = ImprovementPlan.objects.get()
    assert plan.sent_at is None
    assert OutboundEmail.objects.count() == 0

    send_url = reverse("feedback:plan_send", args=[mission.collective.slug, mission.pk, plan.pk])
    lead_client.post(send_url)
    page = lead_client.post(send_url, follow=True)

    assert OutboundEmail.objects.count() == 2
    assert "This plan was already sent to the client." in page.content.decode()


def test_a_point_not_in_the_round_is_refused_and_the_typed_values_kept(lead_client, mission, survey, answers):
    page = lead_client.post(
        create_url(mission, survey),
        form_data(mission, row(mission, what="Un point inventé", point="Pas dans le sondage")),
    )

    assert page.status_code == 400
    assert ImprovementPlan.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    html = page.content.decode()
    assert "Select a valid choice." in html
    assert 'value="Un point inventé"' in html
    assert "Merci pour vos retours francs." in html


def test_an_initiative_needs_an_owner_and_a_due_date(lead_client, mission, survey, answers):
    page = lead_client.post(
        create_url(mission, survey),
        form_data(
            mission, {"what": "Sans date ni porteur", "improvement_point": "", "owner": "", "due_date": ""}
        ),
    )

    assert page.status_code == 400
    assert ImprovementPlan.objects.count() == 0
    html = page.content.decode()
    assert "Give this initiative a due date." in html
    assert "Choose who owns this initiative." in html
    assert 'value="Sans date ni porteur"' in html


def test_a_plan_needs_an_initiative(lead_client, mission, survey, answers):
    page = lead_client.post(create_url(mission, survey), form_data(mission))

    assert page.status_code == 400
    assert "Add at least one initiative." in page.content.decode()
    assert ImprovementPlan.objects.count() == 0


def test_an_owner_outside_the_team_is_refused(lead_client, mission, survey, answers):
    outsider = MembershipFactory(collective=mission.collective).user

    page = lead_client.post(create_url(mission, survey), form_data(mission, row(mission, owner=outsider)))

    assert page.status_code == 400
    assert ImprovementPlan.objects.count() == 0


def test_a_member_cannot_write_a_plan(client, mission, survey, answers):
    client.force_login(MembershipFactory(collective=mission.collective).user)

    page = client.post(create_url(mission, survey), form_data(mission, row(mission)))

    assert page.status_code == 403
    assert ImprovementPlan.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def sent_plan(mission, survey, **owner):
    plan = plan_create(
        mission=mission,
        survey=survey,
        by=mission.lead,
        message="",
        initiatives=[
            InitiativeData(
                "Une démo chaque vendredi",
                "Plus de démos",
                owner.get("owner", mission.lead),
                dt.date(2026, 4, 10),
            )
        ],
    )
    plan_send(plan=plan, by=mission.lead)
    return plan


def test_the_lead_tracks_an_initiative_to_done_and_back(lead_client, mission, survey, answers):
    plan = sent_plan(mission, survey)
    initiative = plan.initiatives.get()
    url = reverse("feedback:initiative_done", args=[mission.collective.slug, mission.pk, initiative.pk])

    page = lead_client.post(url, {"done": "1"}, follow=True)
    initiative.refresh_from_db()
    assert initiative.done_at is not None
    assert "“Une démo chaque vendredi” marked as done." in page.content.decode()

    lead_client.post(url, {"done": "0"})
    initiative.refresh_from_db()
    assert initiative.done_at is None


def test_the_owner_marks_their_initiative_done(client, mission, survey, answers):
    owner = MissionMemberFactory(mission=mission).user
    plan = sent_plan(mission, survey, owner=owner)
    initiative = plan.initiatives.get()
    client.force_login(owner)

    client.post(
        reverse("feedback:initiative_done", args=[mission.collective.slug, mission.pk, initiative.pk])
    )

    assert Initiative.objects.get(pk=initiative.pk).done_at is not None


def test_another_member_cannot_mark_an_initiative_done(client, mission, survey, answers):
    plan = sent_plan(mission, survey)
    initiative = plan.initiatives.get()
    client.force_login(MembershipFactory(collective=mission.collective).user)

    page = client.post(
        reverse("feedback:initiative_done", args=[mission.collective.slug, mission.pk, initiative.pk])
    )

    assert page.status_code == 403
    assert Initiative.objects.get(pk=initiative.pk).done_at is None


def test_the_responses_page_lists_the_initiatives_with_their_status(lead_client, mission, survey, answers):
    sent_plan(mission, survey)

    page = lead_client.get(reverse("feedback:responses", args=[mission.collective.slug, mission.pk]))

    html = page.content.decode()
    assert "Une démo chaque vendredi" in html
    assert "Mark done" in html


def test_a_sent_plan_is_no_longer_edited(lead_client, mission, survey, answers):
    plan = sent_plan(mission, survey)

    page = lead_client.post(
        reverse("feedback:plan_edit", args=[mission.collective.slug, mission.pk, plan.pk]),
        form_data(mission, row(mission, what="Changé après coup")),
        follow=True,
    )

    assert "already sent to the client" in page.content.decode()
    assert list(plan.initiatives.values_list("what", flat=True)) == ["Une démo chaque vendredi"]


def test_the_lead_edits_a_draft(lead_client, mission, survey, answers):
    lead_client.post(create_url(mission, survey), form_data(mission, row(mission), action="save"))
    plan = ImprovementPlan.objects.get()
    edit_url = reverse("feedback:plan_edit", args=[mission.collective.slug, mission.pk, plan.pk])
    assert 'value="Une démo chaque vendredi"' in lead_client.get(edit_url).content.decode()

    lead_client.post(edit_url, form_data(mission, row(mission, what="Deux démos par mois"), action="save"))

    assert list(plan.initiatives.values_list("what", flat=True)) == ["Deux démos par mois"]
    assert OutboundEmail.objects.count() == 0


def test_initiatives_for_the_survey_page_are_those_of_sent_plans(mission, survey, answers):
    sent = sent_plan(mission, survey)
    plan_create(
        mission=mission,
        survey=survey,
        by=mission.lead,
        message="",
        initiatives=[InitiativeData("Brouillon", "", mission.lead, dt.date(2026, 4, 1))],
    )

    initiatives = initiatives_for_survey_page(mission)

    assert [(i.what, i.plan_id, i.done_at) for i in initiatives] == [
        ("Une démo chaque vendredi", sent.pk, None)
    ]
