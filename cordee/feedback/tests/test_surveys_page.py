"""The client's survey page: by token, in their language, no 7, editable until it closes; the opt-out."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from cordee.core.models import OutboundEmail
from cordee.feedback.models import (
    FeedbackOptOut,
    ImprovementPlan,
    Initiative,
    Survey,
    SurveyInvitation,
    SurveyResponse,
)
from cordee.feedback.services.surveys import survey_answer
from cordee.feedback.tests.surveys_fixtures import (  # noqa: F401 - fixtures
    contacts_fixture,
    mission_fixture,
    paris,
    survey_keys,
    tick_at,
    token_for,
)
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory

VALID = {
    "appreciated_1": "Votre réactivité",
    "appreciated_2": "La qualité des maquettes",
    "appreciated_3": "",
    "improvement_1": "Des comptes rendus plus courts",
    "improvement_2": "",
    "improvement_3": "",
    "score": "9",
    "ranking": "top10",
    "comment": "Merci à toute l’équipe",
}


@pytest.fixture
def opened(mission, contacts):
    tick_at(paris(14, 9))
    return Survey.objects.get()


@pytest.fixture
def invitation(opened, contacts):
    return SurveyInvitation.objects.get(survey=opened, contact=contacts.sponsor)


@pytest.fixture
def url(invitation):
    return reverse("feedback:survey", args=[token_for(invitation)])


def at(day, hour=12):
    return time_machine.travel(paris(day, hour), tick=False)


def page(client, url, day=15):
    with at(day):
        return client.get(url)


def post(client, url, data, day=15):
    with at(day):
        return client.post(url, data)


# --- Reading the page -----------------------------------------------------------------------------


def test_the_page_shows_the_four_questions_in_the_contact_s_language(client, url):
    response = page(client, url)

    assert response.status_code == 200
    assert response.headers["Content-Language"] == "fr"
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "Studio Nord" in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    for name in (
        "appreciated_1",
        "appreciated_2",
        "appreciated_3",
        "improvement_1",
        "improvement_2",
        "improvement_3",
        "comment",
    ):
        assert f'name="{name}"' in html


def test_the_page_in_english_for_an_english_contact(client, opened, contacts):
    invitation = SurveyInvitation.objects.get(survey=opened, contact=contacts.project)
    response = page(client, reverse("feedback:survey", args=[token_for(invitation)]))

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "How is “Refonte du site” going?" in html
    assert "Out of 10, how likely are you to recommend us to your network?" in html
    assert "Compared with other service providers, where do you place us?" in html


def test_the_scale_offers_0_to_10_without_7(client, url):
    html = page(client, url).content.decode()

    offered = [value for value in range(11) if f'name="score" value="{value}"' in html]
    assert offered == [0, 1, 2, 3, 4, 5, 6, 8, 9, 10]
    assert 'name="score" value="7"' not in html


def test_the_ranking_offers_the_five_places(client, url):
    html = page(client, url).content.decode()

    for value in ("top1", "top10", "top25", "top50", "second_half"):
        assert f'name="ranking" value="{value}"' in html


def test_an_unknown_token_is_a_404(client, opened):
    for name in ("feedback:survey", "feedback:survey_thanks", "feedback:opt_out"):
        assert page(client, reverse(name, args=["not-a-token"])).status_code == 404


def test_a_contact_s_token_never_shows_another_contact_s_survey(client, opened, contacts):
    """Another client's contact, another collective: each link opens its own contact's page only."""
    other_mission = MissionFactory(start_date=opened.mission.start_date, title="Autre mission")
    stranger = ClientContactFactory(client=other_mission.client, full_name="Zoé Étrangère")
    tick_at(paris(14, 10))
    theirs = SurveyInvitation.objects.get(contact=stranger)
    mine = SurveyInvitation.objects.get(survey=opened, contact=contacts.sponsor)

    html = page(client, reverse("feedback:survey", args=[token_for(mine)])).content.decode()
    assert "Refonte du site" in html and "Autre mission" not in html

    post(client, reverse("feedback:survey", args=[token_for(theirs)]), VALID)
    assert list(SurveyResponse.objects.values_list("contact_id", "survey_id")) == [
        (stranger.pk, theirs.survey_id)
    ]
    html = page(client, reverse("feedback:survey", args=[token_for(mine)])).content.decode()
    assert "Votre réactivité" not in html  # the stranger's answers are not on my page


def test_query_count_of_the_page_does_not_grow_with_initiatives(
    client, url, opened, django_assert_num_queries
):
    def add_initiatives(count):
        plan = ImprovementPlan.objects.create(
            collective=opened.collective, mission=opened.mission, sent_at=paris(10), message=""
        )
        for index in range(count):
            Initiative.objects.create(
                collective=opened.collective,
                plan=plan,
                what=f"Initiative {index}",
                due_date=dt.date(2026, 4, 1),
            )

    add_initiatives(1)
    page(client, url)
    with django_assert_num_queries(3):
        page(client, url)
    add_initiatives(6)
    with django_assert_num_queries(3):
        response = page(client, url)
    assert response.content.decode().count("survey__initiative-what") == 7


def test_the_page_reminds_the_initiatives_of_the_plans_sent(client, url, opened):
    sent = ImprovementPlan.objects.create(
        collective=opened.collective, mission=opened.mission, sent_at=paris(10)
    )
    draft = ImprovementPlan.objects.create(collective=opened.collective, mission=opened.mission)
    Initiative.objects.create(
        collective=opened.collective, plan=sent, what="Un point hebdo plus court",
        improvement_point="Réunions trop longues", due_date=dt.date(2026, 3, 20),
    )  # fmt: skip
    Initiative.objects.create(
        collective=opened.collective, plan=sent, what="Maquettes partagées", due_date=dt.date(2026, 3, 10),
        done_at=paris(12),
    )  # fmt: skip
    Initiative.objects.create(
        collective=opened.collective, plan=draft, what="Pas encore envoyée", due_date=dt.date(2026, 4, 1)
    )

    html = page(client, url).content.decode()
    assert "Un point hebdo plus court" in html
    assert "Réunions trop longues" in html
    assert "Maquettes partagées" in html
    assert "Pas encore envoyée" not in html
    assert html.index("Un point hebdo plus court") < html.index('name="appreciated_1"')


def test_no_initiatives_section_without_a_plan_sent(client, url):
    assert "survey__initiatives" not in page(client, url).content.decode()


# --- Answering ------------------------------------------------------------------------------------


def test_answering_records_the_response_and_shows_the_thanks_page(client, url, invitation):
    response = post(client, url, VALID)

    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:survey_thanks", args=[token_for(invitation)])
    saved = SurveyResponse.objects.get()
    assert (saved.survey, saved.contact, saved.collective) == (
        invitation.survey,
        invitation.contact,
        invitation.collective,
    )
    assert saved.appreciated == ["Votre réactivité", "La qualité des maquettes"]
    assert saved.improvements == ["Des comptes rendus plus courts"]
    assert (saved.score, saved.ranking, saved.comment) == (9, "top10", "Merci à toute l’équipe")
    thanks = page(client, response["Location"])
    assert thanks.status_code == 200
    assert "survey__done" in thanks.content.decode()
    assert 'name="score"' not in thanks.content.decode()


@pytest.mark.parametrize(
    ("score", "message"),
    [
        ("7", "7 is not a possible answer"),
        ("11", "Choose a score: 0 to 6, or 8 to 10."),
        ("-1", "Choose a score: 0 to 6, or 8 to 10."),
        ("huit", "Choose a score: 0 to 6, or 8 to 10."),
        ("", "Choose a score: 0 to 6, or 8 to 10."),
    ],
)
def test_the_server_refuses_7_and_anything_outside_0_to_10(client, opened, contacts, score, message):
    invitation = SurveyInvitation.objects.get(survey=opened, contact=contacts.project)  # English
    url = reverse("feedback:survey", args=[token_for(invitation)])
    response = post(client, url, {**VALID, "score": score})

    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert SurveyResponse.objects.count() == 0
    assert 'value="Votre réactivité"' in html  # what was typed is kept
    assert 'value="Des comptes rendus plus courts"' in html
    assert "Merci à toute l’équipe" in html
    assert '<input type="radio" name="ranking" value="top10" id="id_ranking_1" required checked>' in html


def test_the_7_is_refused_on_the_french_page_too(client, url):
    html = post(client, url, {**VALID, "score": "7"}).content.decode()

    assert SurveyResponse.objects.count() == 0
    assert 'id="score-errors" role="alert"' in html
    assert 'value="Votre réactivité"' in html


def test_the_first_question_needs_one_answer_and_the_ranking_is_required(client, opened, contacts):
    invitation = SurveyInvitation.objects.get(survey=opened, contact=contacts.project)
    url = reverse("feedback:survey", args=[token_for(invitation)])
    data = {**VALID, "appreciated_1": "", "appreciated_2": "", "ranking": ""}
    html = post(client, url, data).content.decode()

    assert "Tell us at least one thing you appreciate." in html
    assert "Choose where you place us." in html
    assert SurveyResponse.objects.count() == 0


def test_the_service_refuses_7_and_out_of_range_scores(invitation):
    for score in (7, 11, -1, None, "9", True):
        with at(15), pytest.raises(ValidationError):
            survey_answer(
                invitation=invitation, data={"appreciated": ["x"], "score": score, "ranking": "top10"}
            )
    assert SurveyResponse.objects.count() == 0


def test_the_database_refuses_7(invitation):
    with pytest.raises(IntegrityError), transaction.atomic():
        SurveyResponse.objects.create(
            collective=invitation.collective,
            survey=invitation.survey,
            contact=invitation.contact,
            score=7,
            ranking="top10",
        )
    assert SurveyResponse.objects.count() == 0


def test_the_model_validation_refuses_7(invitation):
    response = SurveyResponse(
        collective=invitation.collective,
        survey=invitation.survey,
        contact=invitation.contact,
        score=7,
        ranking="top10",
    )
    with pytest.raises(ValidationError) as error:
        response.full_clean()
    assert "score" in error.value.message_dict


def test_the_answer_is_editable_until_the_survey_closes(client, url, invitation):
    post(client, url, VALID, day=15)
    html = page(client, url, day=20).content.decode()
    assert 'value="Votre réactivité"' in html
    assert '<input type="radio" name="score" value="9" id="id_score_8" required checked>' in html

    response = post(
        client, url, {**VALID, "score": "4", "ranking": "second_half", "appreciated_2": ""}, day=23
    )

    assert response.status_code == 302
    saved = SurveyResponse.objects.get()
    assert (saved.score, saved.ranking, saved.appreciated) == (4, "second_half", ["Votre réactivité"])


def test_after_closing_the_page_says_so_and_nothing_changes(client, opened, contacts):
    invitation = SurveyInvitation.objects.get(survey=opened, contact=contacts.project)  # English
    url = reverse("feedback:survey", args=[token_for(invitation)])
    post(client, url, VALID, day=15)

    closed_get = page(client, url, day=24)  # closed on day 24 at 9:00
    closed_post = post(client, url, {**VALID, "score": "2"}, day=24)

    for response in (closed_get, closed_post):
        assert response.status_code == 200
        html = response.content.decode()
        assert 'name="score"' not in html
        assert "<h1>This survey is closed</h1>" in html
        assert "Answers to this survey were accepted until March 26, 2026." in html
    assert SurveyResponse.objects.get().score == 9


def test_the_service_refuses_an_answer_after_closing(invitation):
    with at(24), pytest.raises(ValidationError) as error:
        survey_answer(invitation=invitation, data={"appreciated": ["x"], "score": 9, "ranking": "top10"})
    assert error.value.code == "closed"
    assert SurveyResponse.objects.count() == 0


def test_a_worrying_answer_is_handed_to_the_follow_up_check(invitation, monkeypatch):
    from cordee.feedback.services import follow_up

    checked = []
    monkeypatch.setattr(follow_up, "follow_up_check", checked.append, raising=False)
    with at(15):
        response = survey_answer(
            invitation=invitation, data={"appreciated": ["x"], "score": 6, "ranking": "top25"}
        )
    assert checked == [response]


def test_the_thanks_page_without_an_answer_goes_back_to_the_survey(client, invitation):
    response = page(client, reverse("feedback:survey_thanks", args=[token_for(invitation)]))

    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:survey", args=[token_for(invitation)])


# --- Opt-out --------------------------------------------------------------------------------------


def test_the_opt_out_get_asks_to_confirm_and_changes_nothing(client, invitation):
    response = page(client, reverse("feedback:opt_out", args=[token_for(invitation)]))

    assert response.status_code == 200
    assert '<form method="post">' in response.content.decode()
    assert FeedbackOptOut.objects.count() == 0


def test_the_opt_out_post_records_it_once(client, invitation):
    url = reverse("feedback:opt_out", args=[token_for(invitation)])
    post(client, url, {})
    response = post(client, url, {})

    assert response.status_code == 200
    assert list(FeedbackOptOut.objects.values_list("contact_id", "collective_id")) == [
        (invitation.contact_id, invitation.collective_id)
    ]
    assert '<form method="post">' not in page(client, url).content.decode()


def test_after_an_opt_out_no_reminder_and_no_next_survey(client, invitation, contacts):
    post(client, reverse("feedback:opt_out", args=[token_for(invitation)]), {})

    tick_at(paris(17, 9))
    tick_at(paris(44, 9))

    assert Survey.objects.count() == 2
    assert SurveyInvitation.objects.filter(contact=contacts.sponsor).count() == 1
    assert OutboundEmail.objects.filter(to_email=contacts.sponsor.email).count() == 1  # the first survey only
    assert OutboundEmail.objects.filter(to_email=contacts.project.email).count() == 3
