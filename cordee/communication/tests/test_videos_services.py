"""The async weekly ritual: posting the week's video, the client's notification, and the portal's read."""

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from cordee.clients.models import ClientContact
from cordee.communication.models import RitualVideo
from cordee.communication.services.ritual_videos import (
    ritual_video_post,
    ritual_videos_for_portal,
    week_start_of,
)
from cordee.communication.tests.rituals_factories import PARIS, AsyncMissionFactory, RitualVideoFactory
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.missions.models import Mission, MissionEvent
from cordee.missions.tests.factories import ClientContactFactory, MissionFactory
from cordee.portal.models import PortalAccess

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)
TUESDAY_NOON = dt.datetime(2026, 3, 3, 12, 0, tzinfo=PARIS)
LINK = "https://www.loom.com/share/semaine-10"
SUMMARY = "Priorités : maquettes de la page produit.\nEnsuite : tunnel d'achat."


@pytest.fixture(autouse=True)
def tuesday():
    with time_machine.travel(TUESDAY_NOON, tick=False):
        yield


@pytest.fixture
def mission():
    return AsyncMissionFactory(title="Refonte boutique")


@pytest.fixture
def contacts(mission):
    return [
        ClientContactFactory(client=mission.client, full_name="Alice Martin", email="alice@client.fr"),
        ClientContactFactory(
            client=mission.client, full_name="Bob Smith", email="bob@client.fr", language="en"
        ),
    ]


def post(mission, by=None, **overrides):
    values = {"week_start": MONDAY, "video_link": LINK, "summary": SUMMARY}
    values.update(overrides)
    return ritual_video_post(mission=mission, by=by or mission.lead, **values)


def test_week_start_is_the_monday_of_the_week():
    assert week_start_of(dt.date(2026, 3, 2)) == MONDAY
    assert week_start_of(dt.date(2026, 3, 5)) == MONDAY
    assert week_start_of(dt.date(2026, 3, 8)) == MONDAY
    assert week_start_of(dt.date(2026, 3, 9)) == dt.date(2026, 3, 9)


def test_posting_stores_the_video_and_emails_each_contact_in_their_language(mission, contacts):
    video = post(mission, summary="  " + SUMMARY + "  ")

    assert (video.created, video.notified) == (True, 2)
    stored = RitualVideo.objects.get()
    assert (stored.mission, stored.collective, stored.week_start) == (mission, mission.collective, MONDAY)
    assert (stored.video_link, stored.summary, stored.posted_by) == (LINK, SUMMARY, mission.lead)
    alice, bob = contacts
    emails = {email.to_email: email for email in OutboundEmail.objects.all()}
    assert set(emails) == {"alice@client.fr", "bob@client.fr"}
    assert emails["alice@client.fr"].idempotency_key == f"video:{video.pk}:{alice.pk}"
    assert emails["bob@client.fr"].idempotency_key == f"video:{video.pk}:{bob.pk}"
    for email in emails.values():
        assert email.from_email == mission.collective.notification_sender()
        assert email.reply_to == mission.lead.email
        assert email.collective == mission.collective
        assert LINK in email.body_text and LINK in email.body_html
        assert "Priorités : maquettes de la page produit." in email.body_text
    assert emails["alice@client.fr"].language == "fr"
    # French dates in French (the wording follows the catalogue).
    assert "Refonte boutique" in emails["alice@client.fr"].subject
    assert "2 mars 2026" in emails["alice@client.fr"].subject
    assert emails["bob@client.fr"].language == "en"
    assert emails["bob@client.fr"].subject == "Refonte boutique: the weekly video (week of March 2, 2026)"
    assert "Hello Bob Smith," in emails["bob@client.fr"].body_text


def test_finance_contacts_are_not_sent_the_weekly_video(mission, contacts):
    ClientContactFactory(client=mission.client, email="compta@client.fr", role=ClientContact.Role.FINANCE)

    video = post(mission)

    assert video.notified == 2
    assert sorted(OutboundEmail.objects.values_list("to_email", flat=True)) == [
        "alice@client.fr",
        "bob@client.fr",
    ]


def test_each_contact_gets_their_own_way_into_the_portal(mission, contacts):
    post(mission)

    alice, bob = contacts
    links = {}
    for email in OutboundEmail.objects.all():
        match = re.search(r"http://127\.0\.0\.1:8000/portal/m/([^/\s]+)/", email.body_text)
        assert match, email.body_text
        links[email.to_email] = match.group(1)
        assert f"/portal/m/{match.group(1)}/" in email.body_html
    assert links["alice@client.fr"] != links["bob@client.fr"]
    assert PortalAccess.objects.filter(contact__in=contacts).count() == 2


def test_the_notification_is_delivered_once_the_post_commits(
    mission, contacts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        post(mission)

    assert sorted(message.to[0] for message in mail.outbox) == ["alice@client.fr", "bob@client.fr"]
    assert all(message.reply_to == [mission.lead.email] for message in mail.outbox)


def test_a_new_video_is_in_the_missions_history(mission, contacts):
    video = post(mission)

    event = MissionEvent.objects.get(mission=mission)
    assert (event.kind, event.actor, event.collective_id) == (
        MissionEvent.Kind.RITUAL_VIDEO_POSTED,
        mission.lead,
        mission.collective_id,
    )
    assert event.data == {"video_id": video.pk, "week_start": "2026-03-02", "notified": 2}


def test_posting_again_the_same_week_edits_the_video_and_notifies_no_one(mission, contacts):
    first = post(mission)

    again = post(
        mission, week_start=dt.date(2026, 3, 4), video_link="https://youtu.be/abc", summary="Corrigé"
    )

    assert (again.pk, again.created, again.notified) == (first.pk, False, 0)
    stored = RitualVideo.objects.get()
    assert (stored.week_start, stored.video_link, stored.summary) == (
        MONDAY,
        "https://youtu.be/abc",
        "Corrigé",
    )
    assert OutboundEmail.objects.count() == 2
    assert MissionEvent.objects.filter(kind=MissionEvent.Kind.RITUAL_VIDEO_POSTED).count() == 1


def test_an_admin_who_is_not_the_lead_may_post(mission, contacts):
    admin = AdminMembershipFactory(collective=mission.collective).user

    video = post(mission, by=admin)

    assert video.posted_by == admin
    assert OutboundEmail.objects.count() == 2


def test_a_member_who_is_not_the_lead_cannot_post(mission, contacts):
    member = MembershipFactory(collective=mission.collective).user

    with pytest.raises(PermissionDenied):
        post(mission, by=member)

    assert RitualVideo.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_a_lead_who_is_a_plain_member_may_post(contacts):
    lead = MembershipFactory().user
    mission = AsyncMissionFactory(collective=lead.memberships.get().collective, lead=lead)

    video = post(mission, by=lead)

    assert video.created is True


def test_an_admin_of_another_collective_cannot_post(mission, contacts):
    stranger = AdminMembershipFactory().user

    with pytest.raises(PermissionDenied):
        post(mission, by=stranger)

    assert RitualVideo.objects.count() == 0


@pytest.mark.parametrize(
    "link",
    ["ftp://files.example.fr/video.mp4", "javascript:alert(1)", "www.loom.com/share/x", "pas un lien", ""],
)
def test_only_http_and_https_links_are_accepted(mission, contacts, link):
    with pytest.raises(ValidationError) as error:
        post(mission, video_link=link)

    assert list(error.value.error_dict) == ["video_link"]
    assert RitualVideo.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_a_summary_is_required(mission, contacts):
    with pytest.raises(ValidationError) as error:
        post(mission, summary="   ")

    assert error.value.message_dict == {"summary": ["Sum up the week's priorities in a few lines."]}
    assert RitualVideo.objects.count() == 0


def test_a_mission_whose_ritual_is_a_call_takes_no_video(contacts):
    mission = MissionFactory(ritual_kind=Mission.RitualKind.SYNC_CALL)

    with pytest.raises(ValidationError) as error:
        post(mission)

    assert error.value.code == "not_async"
    assert RitualVideo.objects.count() == 0


@pytest.mark.parametrize("status", [Mission.Status.DRAFT, Mission.Status.PAUSED, Mission.Status.CLOSED])
def test_a_new_video_needs_an_active_mission(status):
    mission = AsyncMissionFactory(status=status)

    with pytest.raises(ValidationError):
        post(mission)

    assert RitualVideo.objects.count() == 0


def test_a_posted_video_can_be_corrected_on_a_paused_mission_but_not_on_a_closed_one(mission):
    video = RitualVideoFactory(mission=mission, week_start=MONDAY)
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.PAUSED)
    mission.refresh_from_db()

    assert post(mission, summary="Corrigé").pk == video.pk

    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.CLOSED)
    mission.refresh_from_db()
    with pytest.raises(ValidationError):
        post(mission, summary="Encore")
    assert RitualVideo.objects.get().summary == "Corrigé"


@pytest.mark.parametrize(
    ("week", "accepted"),
    [
        (dt.date(2026, 2, 23), False),  # last week: too late for a new video
        (MONDAY, True),
        (dt.date(2026, 3, 9), True),  # next week, in advance
        (dt.date(2026, 3, 16), False),  # two weeks ahead
    ],
)
def test_a_new_video_is_for_this_week_or_next_week(mission, week, accepted):
    if accepted:
        assert post(mission, week_start=week).week_start == week
    else:
        with pytest.raises(ValidationError) as error:
            post(mission, week_start=week)
        assert list(error.value.error_dict) == ["week_start"]
        assert RitualVideo.objects.count() == 0


def test_a_past_video_can_still_be_corrected(mission):
    old = RitualVideoFactory(mission=mission, week_start=dt.date(2026, 2, 16), summary="Avant")

    assert post(mission, week_start=dt.date(2026, 2, 16), summary="Après").pk == old.pk
    assert RitualVideo.objects.get().summary == "Après"


def test_the_portal_reads_the_missions_videos_most_recent_first(mission):
    older = RitualVideoFactory(mission=mission, week_start=dt.date(2026, 2, 23))
    newer = RitualVideoFactory(mission=mission, week_start=MONDAY)
    RitualVideoFactory(week_start=MONDAY)  # another mission's

    videos = list(ritual_videos_for_portal(mission))

    assert videos == [newer, older]
    assert (videos[0].week_start, videos[0].video_link, videos[0].summary) == (
        MONDAY,
        newer.video_link,
        newer.summary,
    )
