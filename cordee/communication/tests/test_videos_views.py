"""The weekly videos page of a mission: post, edit, list; lead and admins only; isolation; query counts."""

import datetime as dt
import html

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from cordee.communication.models import RitualVideo
from cordee.communication.tests.rituals_factories import PARIS, AsyncMissionFactory, RitualVideoFactory
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.models import Mission
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)
LINK = "https://www.loom.com/share/semaine-10"


@pytest.fixture(autouse=True)
def english(client):
    """Pages are asserted in English (the source language), whatever the French catalogue says."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def tuesday():
    with time_machine.travel(dt.datetime(2026, 3, 3, 12, 0, tzinfo=PARIS), tick=False):
        yield


@pytest.fixture
def mission():
    mission = AsyncMissionFactory(title="Refonte boutique")
    ClientContactFactory(client=mission.client, email="alice@client.fr")
    return mission


@pytest.fixture
def lead_client(client, mission):
    client.force_login(mission.lead)
    return client


def videos_url(mission):
    return reverse("communication:ritual_videos", args=[mission.collective.slug, mission.pk])


def edit_url(video):
    return reverse(
        "communication:ritual_video_edit", args=[video.mission.collective.slug, video.mission.pk, video.pk]
    )


def text(response) -> str:
    return html.unescape(response.content.decode())


def form_data(**overrides):
    data = {"week_start": "2026-03-02", "video_link": LINK, "summary": "Priorités de la semaine : maquettes."}
    data.update(overrides)
    return data


def test_the_lead_sees_the_form_for_this_week(lead_client, mission):
    response = lead_client.get(videos_url(mission))

    assert response.status_code == 200
    form = response.context["form"]
    assert [value for value, _label in form.fields["week_start"].choices] == ["2026-03-02", "2026-03-09"]
    assert form.initial["week_start"] == "2026-03-02"
    content = text(response)
    assert "Post and notify the client" in content
    assert "No video yet this week." in content
    assert 'aria-current="page">Communication</a>' in content
    assert list(response.context["page_obj"].object_list) == []


def test_the_lead_posts_the_video_and_the_client_is_notified(lead_client, mission):
    response = lead_client.post(videos_url(mission), form_data(), follow=True)

    video = RitualVideo.objects.get()
    assert response.redirect_chain == [(videos_url(mission) + f"#video-{video.pk}", 302)]
    assert (video.week_start, video.video_link, video.posted_by) == (MONDAY, LINK, mission.lead)
    assert OutboundEmail.objects.get().to_email == "alice@client.fr"
    content = text(response)
    assert "1 client contact was notified by email" in content
    assert "Priorités de la semaine : maquettes." in content
    assert f'href="{LINK}"' in content
    assert "Save the video" in content  # the week has its video: the form now edits it


def test_posting_for_next_week_in_advance(lead_client, mission):
    lead_client.post(videos_url(mission), form_data(week_start="2026-03-09"))

    assert RitualVideo.objects.get().week_start == dt.date(2026, 3, 9)


def test_posting_again_edits_without_notifying(lead_client, mission):
    video = RitualVideoFactory(mission=mission, week_start=MONDAY, summary="Avant")

    response = lead_client.post(videos_url(mission), form_data(summary="Après"), follow=True)

    video.refresh_from_db()
    assert video.summary == "Après"
    assert RitualVideo.objects.count() == 1
    assert OutboundEmail.objects.count() == 0
    assert "The client was not notified again." in text(response)


def test_a_bad_link_is_refused_and_what_was_typed_is_kept(lead_client, mission):
    response = lead_client.post(
        videos_url(mission), form_data(video_link="ftp://files.example.fr/v.mp4", summary="Mon résumé")
    )

    assert response.status_code == 200
    assert RitualVideo.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    content = text(response)
    assert "Give a web address starting with https://" in content
    assert 'value="ftp://files.example.fr/v.mp4"' in content
    assert "Mon résumé</textarea>" in content


def test_a_week_too_far_ahead_is_refused(lead_client, mission):
    response = lead_client.post(videos_url(mission), form_data(week_start="2026-03-16"))

    assert response.status_code == 200
    assert RitualVideo.objects.count() == 0
    assert "Select a valid choice." in text(response)
    assert LINK in text(response)


def test_a_member_who_is_not_the_lead_sees_the_videos_but_cannot_post(client, mission):
    RitualVideoFactory(mission=mission, week_start=MONDAY, summary="Déjà là")
    member = MembershipFactory(collective=mission.collective).user
    client.force_login(member)

    page = client.get(videos_url(mission))
    assert page.status_code == 200
    assert page.context["form"] is None
    assert "Déjà là" in text(page)

    response = client.post(videos_url(mission), form_data(week_start="2026-03-09", summary="Intrus"))

    assert response.status_code == 403
    assert "Only the lead of the mission and the collective's admins post the weekly video." in (
        text(response)
    )
    assert "Nothing was changed." in text(response)
    assert list(RitualVideo.objects.values_list("summary", flat=True)) == ["Déjà là"]
    assert OutboundEmail.objects.count() == 0


def test_a_member_cannot_edit_a_video(client, mission):
    video = RitualVideoFactory(mission=mission, week_start=MONDAY, summary="Avant")
    client.force_login(MembershipFactory(collective=mission.collective).user)

    assert client.get(edit_url(video)).status_code == 403
    response = client.post(edit_url(video), form_data(summary="Après"))

    assert response.status_code == 403
    video.refresh_from_db()
    assert video.summary == "Avant"


def test_an_admin_edits_a_past_video(client, mission):
    video = RitualVideoFactory(mission=mission, week_start=dt.date(2026, 2, 16), summary="Avant")
    client.force_login(AdminMembershipFactory(collective=mission.collective).user)

    page = client.get(edit_url(video))
    assert page.status_code == 200
    assert page.context["form"].initial["summary"] == "Avant"

    response = client.post(edit_url(video), form_data(week_start="2026-02-16", summary="Après"))

    assert response.status_code == 302
    video.refresh_from_db()
    assert (video.week_start, video.summary) == (dt.date(2026, 2, 16), "Après")
    assert OutboundEmail.objects.count() == 0


def test_the_edit_form_keeps_the_videos_week_whatever_is_posted(lead_client, mission):
    video = RitualVideoFactory(mission=mission, week_start=dt.date(2026, 2, 16))

    response = lead_client.post(edit_url(video), form_data(week_start="2026-03-02", summary="Corrigé"))

    assert response.status_code == 302
    assert RitualVideo.objects.count() == 1
    video.refresh_from_db()
    assert (video.week_start, video.summary) == (dt.date(2026, 2, 16), "Corrigé")


def test_an_edit_with_an_empty_summary_is_refused_and_keeps_the_link(lead_client, mission):
    video = RitualVideoFactory(mission=mission, week_start=MONDAY, summary="Avant")

    response = lead_client.post(
        edit_url(video), form_data(video_link="https://youtu.be/nouveau", summary=" ")
    )

    assert response.status_code == 200
    assert "This field is required." in text(response)
    assert 'value="https://youtu.be/nouveau"' in text(response)
    video.refresh_from_db()
    assert video.summary == "Avant"


def test_a_call_ritual_mission_shows_the_notice_and_refuses_posts(client):
    mission = MissionFactory(ritual_kind=Mission.RitualKind.SYNC_CALL)
    client.force_login(mission.lead)

    page = client.get(videos_url(mission))
    assert page.status_code == 200
    assert page.context["form"] is None
    assert "This mission's weekly ritual is a call, not a video." in text(page)

    response = client.post(videos_url(mission), form_data(summary="Résumé tapé"))

    assert response.status_code == 200
    assert RitualVideo.objects.count() == 0
    content = text(response)
    assert "switch it to a weekly video in the mission" in content
    assert "Résumé tapé</textarea>" in content


def test_a_paused_mission_takes_no_new_video(client):
    mission = AsyncMissionFactory(status=Mission.Status.PAUSED)
    client.force_login(mission.lead)

    response = client.post(videos_url(mission), form_data())

    assert response.status_code == 200
    assert RitualVideo.objects.count() == 0
    assert "Weekly videos are posted while the mission is active" in text(response)


def test_the_list_paginates_past_videos(lead_client, mission):
    for week in range(30):
        RitualVideoFactory(mission=mission, week_start=MONDAY - dt.timedelta(weeks=week))

    first = lead_client.get(videos_url(mission))
    second = lead_client.get(videos_url(mission) + "?page=2")

    assert len(first.context["page_obj"].object_list) == 25
    assert first.context["page_obj"].object_list[0].week_start == MONDAY
    assert len(second.context["page_obj"].object_list) == 5
    assert list(second.context["page_obj"].object_list)[-1].week_start == MONDAY - dt.timedelta(weeks=29)


@pytest.mark.parametrize("count", [1, 20])
def test_the_page_runs_the_same_queries_with_few_or_many_videos(
    lead_client, mission, count, django_assert_num_queries
):
    for week in range(count):
        RitualVideoFactory(mission=mission, week_start=MONDAY - dt.timedelta(weeks=week))
    url = videos_url(mission)
    lead_client.get(url)  # warm-up (session, caches)

    with django_assert_num_queries(QUERIES):
        response = lead_client.get(url)

    assert len(response.context["page_obj"].object_list) == count


QUERIES = 7


def test_a_member_of_another_collective_gets_404(client, mission):
    video = RitualVideoFactory(mission=mission, week_start=MONDAY)
    outsider = AdminMembershipFactory()
    client.force_login(outsider.user)

    assert client.get(videos_url(mission)).status_code == 404
    assert client.post(videos_url(mission), form_data()).status_code == 404
    assert client.get(edit_url(video)).status_code == 404
    assert client.post(edit_url(video), form_data(summary="Intrus")).status_code == 404
    # The other collective's video smuggled under the outsider's own mission
    own = AsyncMissionFactory(collective=outsider.collective, lead=outsider.user)
    smuggled = reverse("communication:ritual_video_edit", args=[outsider.collective.slug, own.pk, video.pk])
    assert client.post(smuggled, form_data(summary="Intrus")).status_code == 404
    video.refresh_from_db()
    assert video.summary != "Intrus"
    assert RitualVideo.objects.count() == 1


def test_a_video_of_another_mission_of_the_same_collective_is_a_404(lead_client, mission):
    other = RitualVideoFactory(mission=AsyncMissionFactory(collective=mission.collective), week_start=MONDAY)

    url = reverse("communication:ritual_video_edit", args=[mission.collective.slug, mission.pk, other.pk])
    assert lead_client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, mission):
    video = RitualVideoFactory(mission=mission, week_start=MONDAY)

    for url in (videos_url(mission), edit_url(video)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_the_weekly_video_email_can_be_previewed_before_any_video(lead_client, mission):
    preview = reverse("communication:preview", args=[mission.collective.slug, mission.pk])

    response = lead_client.get(preview + "?email=ritual_video&language=en")

    assert response.status_code == 200
    assert response.context["kind"].key == "ritual_video"
    assert response.context["subject"] == "Refonte boutique: the weekly video (week of March 2, 2026)"
    assert "https://www.loom.com/share/example" in response.context["text"]
    assert RitualVideo.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_the_preview_shows_the_latest_video(lead_client, mission):
    RitualVideoFactory(mission=mission, week_start=MONDAY, summary="Les maquettes avancent.")
    preview = reverse("communication:preview", args=[mission.collective.slug, mission.pk])

    response = lead_client.get(preview + "?email=ritual_video&language=en")

    assert "Les maquettes avancent." in response.context["text"]
    assert "Hello " in response.context["text"]
