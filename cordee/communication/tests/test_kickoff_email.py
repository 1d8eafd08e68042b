# ruff: noqa: F811 - the fixtures imported from recap_fixtures are requested by name
"""The kickoff email: sent once to every contact when the mission becomes active, previewed before."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from cordee.communication.models import Ritual
from cordee.communication.services.kickoff import kickoff_send
from cordee.communication.tests.recap_fixtures import (  # noqa: F401 - fixtures
    MONDAY,
    client_company,
    contacts,
    english,
    login,
    mission,
    people,
    set_weekdays,
)
from cordee.core.models import OutboundEmail
from cordee.missions.models import Mission, MissionEvent
from cordee.missions.services.missions import mission_activate, mission_pause, mission_resume
from cordee.missions.tests.factories import ClientContactFactory, DeliverableFactory
from cordee.portal.models import PortalAccess

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(mission, contacts):
    """The mission still in draft, with two deliverables announced with a margin."""
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.DRAFT, activated_at=None)
    mission.refresh_from_db()
    DeliverableFactory(
        mission=mission,
        title="Mockups",
        internal_date=dt.date(2026, 3, 13),
        announced_date=dt.date(2026, 3, 18),
    )
    DeliverableFactory(
        mission=mission, title="API", internal_date=dt.date(2026, 3, 20), announced_date=dt.date(2026, 3, 27)
    )
    return mission


def kickoffs(mission):
    return {
        email.to_email: email
        for email in OutboundEmail.objects.filter(
            idempotency_key__startswith=f"mission:{mission.pk}:kickoff:"
        )
    }


def test_activating_the_mission_sends_the_kickoff_to_every_contact(draft, contacts, people):
    mission_activate(mission=draft, by=people.lead)

    emails = kickoffs(draft)
    assert sorted(emails) == ["claire@lenoir.fr", "fanny@lenoir.fr", "paul@lenoir.fr"]
    claire = emails["claire@lenoir.fr"]
    assert claire.idempotency_key == f"mission:{draft.pk}:kickoff:{contacts.claire.pk}"
    assert claire.from_email == draft.collective.notification_sender()
    assert claire.reply_to == "lea@studio.fr"
    assert claire.collective == draft.collective
    assert {email.to_email: email.language for email in emails.values()} == {
        "claire@lenoir.fr": "en",
        "fanny@lenoir.fr": "en",
        "paul@lenoir.fr": "fr",
    }
    event = MissionEvent.objects.get(mission=draft, kind=MissionEvent.Kind.KICKOFF_SENT)
    assert event.actor == people.lead
    assert sorted(event.data["contacts"]) == sorted([contacts.claire.pk, contacts.paul.pk, contacts.fanny.pk])
    assert event.summary == "Claire Lenoir, Fanny Compta and Paul Lenoir"


def test_the_kickoff_tells_the_single_contact_the_roadmap_the_rituals_the_portal_and_the_surveys(
    draft, contacts, people
):
    Ritual.objects.create(
        collective=draft.collective,
        mission=draft,
        weekday=1,
        start_time=dt.time(10, 0),
        duration_minutes=30,
        video_link="https://meet.example.com/lenoir",
    )

    mission_activate(mission=draft, by=people.lead)

    email = kickoffs(draft)["claire@lenoir.fr"]
    text = email.body_text
    assert (
        email.subject == "“Site refresh” starts: your contact, the roadmap and how we will keep you informed"
    )
    assert text.startswith("Hello Claire Lenoir,\n\nThe mission “Site refresh” with ")
    assert "Léa Martin leads the mission and is your single contact" in text
    assert "- Léa Martin\n- lea@studio.fr\n\n" in text  # no phone on the profile: no phone line
    assert "- Mockups: March 18, 2026\n- API: March 27, 2026\n" in text
    for internal in ("March 13", "March 20"):
        assert internal not in text
    assert (
        "- A 30-minute call every Tuesday at 10 a.m., to go over the week's priorities: the calendar invitation "
        "follows. https://meet.example.com/lenoir" in text
    )
    assert "- A written progress recap every Friday: what was done, what comes next" in text
    access = PortalAccess.objects.get(contact=contacts.claire)
    portal_links = re.findall(r"http://\S+/portal/\S+", text)
    assert len(portal_links) == 1
    assert access.token_hash not in portal_links[0]  # the raw token is in the link, only its hash is stored
    _name, feedback_address = draft.collective.feedback_sender_identity()
    assert (
        f"About 14 days after the start, then every 30 days, you will receive a short satisfaction survey from "
        f"{feedback_address}. It takes 5 minutes: please answer frankly, criticism included. It is how we make "
        "sure you are fully satisfied" in text
    )
    assert text.rstrip().endswith(f"Léa Martin\n{draft.collective.name}")
    html = email.body_html
    assert draft.collective.name in html
    assert "Open my portal" in html
    assert portal_links[0].replace("&", "&amp;") in html


def test_the_kickoff_in_french_follows_the_contacts_language(draft, contacts, people):
    mission_activate(mission=draft, by=people.lead)
    paul = kickoffs(draft)["paul@lenoir.fr"]
    assert paul.language == "fr"
    assert "- Mockups : 18 mars 2026" in paul.body_text or "- Mockups: 18 mars 2026" in paul.body_text
    assert "vendredi" in paul.body_text


def test_two_recaps_a_week_an_async_video_and_no_surveys(draft, contacts, people):
    set_weekdays(draft, [1, 4])
    Mission.objects.filter(pk=draft.pk).update(
        ritual_kind=Mission.RitualKind.ASYNC_VIDEO, feedback_enabled=False
    )
    draft.refresh_from_db()

    mission_activate(mission=draft, by=people.lead)

    text = kickoffs(draft)["claire@lenoir.fr"].body_text
    assert "- A short video each week explaining the week's priorities" in text
    assert "- A written progress recap twice a week, on Tuesday and Friday:" in text
    assert "survey" not in text


def test_a_weekly_call_not_set_up_yet_is_announced_without_a_day(draft, contacts, people):
    mission_activate(mission=draft, by=people.lead)
    text = kickoffs(draft)["claire@lenoir.fr"].body_text
    assert (
        "- A 30-minute call each week, to go over the week's priorities: the calendar invitation with the day and time follows."
        in text
    )


def test_without_deliverables_the_roadmap_comes_with_the_first_recap(mission, contacts, people):
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.DRAFT, activated_at=None)
    mission_activate(mission=mission, by=people.lead)
    assert "The deliverables and their dates will come with the first progress recap." in (
        kickoffs(mission)["claire@lenoir.fr"].body_text
    )


def test_the_kickoff_is_sent_once_whatever_happens_next(draft, contacts, people):
    mission_activate(mission=draft, by=people.lead)
    mission_pause(mission=draft, by=people.lead)
    mission_resume(mission=draft, by=people.lead)

    assert kickoff_send(mission=draft, by=people.lead) == []
    assert OutboundEmail.objects.filter(idempotency_key__contains=":kickoff:").count() == 3
    assert MissionEvent.objects.filter(mission=draft, kind=MissionEvent.Kind.KICKOFF_SENT).count() == 1


def test_a_contact_added_later_gets_it_from_the_communication_page(client, draft, contacts, people):
    mission_activate(mission=draft, by=people.lead)
    ClientContactFactory(client=draft.client, full_name="Nina Neuve", email="nina@lenoir.fr", language="en")
    login(client, people.lead)
    page = reverse("communication:mission", args=[draft.collective.slug, draft.pk])
    assert "1 contact has not received it: Nina Neuve" in client.get(page).content.decode()

    response = client.post(
        reverse("communication:kickoff_send", args=[draft.collective.slug, draft.pk]), follow=True
    )

    assert response.redirect_chain == [(page, 302)]
    assert "The kickoff was sent to 1 contact." in response.content.decode()
    assert sorted(kickoffs(draft)) == [
        "claire@lenoir.fr",
        "fanny@lenoir.fr",
        "nina@lenoir.fr",
        "paul@lenoir.fr",
    ]
    assert MissionEvent.objects.filter(mission=draft, kind=MissionEvent.Kind.KICKOFF_SENT).count() == 2
    assert "has not received it" not in response.content.decode()


def test_sending_again_when_everyone_has_it_says_so(client, draft, contacts, people):
    mission_activate(mission=draft, by=people.lead)
    login(client, people.lead)
    response = client.post(
        reverse("communication:kickoff_send", args=[draft.collective.slug, draft.pk]), follow=True
    )
    assert "Every contact of the client has already received the kickoff." in response.content.decode()
    assert OutboundEmail.objects.filter(idempotency_key__contains=":kickoff:").count() == 3


def test_a_draft_mission_has_no_kickoff_to_send(client, draft, people):
    login(client, people.lead)
    response = client.post(
        reverse("communication:kickoff_send", args=[draft.collective.slug, draft.pk]), follow=True
    )
    assert "The kickoff goes out once the mission is active." in response.content.decode()
    assert not OutboundEmail.objects.exists()


def test_a_member_who_is_not_the_lead_cannot_send_it(client, draft, contacts, people):
    mission_activate(mission=draft, by=people.lead)
    ClientContactFactory(client=draft.client, email="nina@lenoir.fr")
    count = OutboundEmail.objects.count()
    login(client, people.anna)

    response = client.post(reverse("communication:kickoff_send", args=[draft.collective.slug, draft.pk]))

    assert response.status_code == 403
    assert OutboundEmail.objects.count() == count
    assert MissionEvent.objects.filter(mission=draft, kind=MissionEvent.Kind.KICKOFF_SENT).count() == 1


def test_sending_the_kickoff_is_a_post(client, draft, people):
    login(client, people.lead)
    assert (
        client.get(reverse("communication:kickoff_send", args=[draft.collective.slug, draft.pk])).status_code
        == 405
    )


def test_the_email_reaches_the_mailbox_once_committed(
    draft, contacts, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mission_activate(mission=draft, by=people.lead)
    assert sorted(message.to[0] for message in mail.outbox) == [
        "claire@lenoir.fr",
        "fanny@lenoir.fr",
        "paul@lenoir.fr",
    ]
    claire = next(message for message in mail.outbox if message.to == ["claire@lenoir.fr"])
    assert claire.reply_to == ["lea@studio.fr"]
    assert claire.alternatives[0][1] == "text/html"


def test_a_client_without_contacts_gets_nothing_and_the_page_says_so(client, mission, people):
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.DRAFT, activated_at=None)
    mission_activate(mission=mission, by=people.lead)

    assert not OutboundEmail.objects.exists()
    assert not MissionEvent.objects.filter(mission=mission, kind=MissionEvent.Kind.KICKOFF_SENT).exists()
    login(client, people.lead)
    content = client.get(
        reverse("communication:mission", args=[mission.collective.slug, mission.pk])
    ).content.decode()
    assert "The client had no contact when the mission was activated." in content
    assert "Add the client's contacts" in content


# --- The preview before activating -------------------------------------------------------------


def test_the_lead_previews_the_kickoff_before_activating(client, draft, contacts, people):
    login(client, people.lead)

    response = client.get(reverse("communication:kickoff_preview", args=[draft.collective.slug, draft.pk]))

    assert response.status_code == 200
    content = response.content.decode()
    assert "“Site refresh” starts: your contact, the roadmap and how we will keep you informed" in content
    assert "Claire Lenoir &lt;claire@lenoir.fr&gt;" in content
    assert "- Mockups: March 18, 2026" in content
    assert "/portal/" in content
    # A preview sends nothing and creates no magic link.
    assert not OutboundEmail.objects.exists()
    assert not PortalAccess.objects.exists()
    assert Mission.objects.get(pk=draft.pk).status == Mission.Status.DRAFT


def test_the_kickoff_preview_in_a_french_contacts_language(client, draft, contacts, people):
    login(client, people.lead)
    url = reverse("communication:kickoff_preview", args=[draft.collective.slug, draft.pk])
    content = client.get(url, {"contact": contacts.paul.pk}).content.decode()
    assert "18 mars 2026" in content


def test_a_member_who_is_not_the_lead_cannot_preview_it(client, draft, people):
    login(client, people.anna)
    assert (
        client.get(
            reverse("communication:kickoff_preview", args=[draft.collective.slug, draft.pk])
        ).status_code
        == 403
    )


def test_the_mission_status_page_tells_when_the_kickoff_went_out(client, draft, contacts, people):
    login(client, people.lead)
    page = reverse("communication:mission", args=[draft.collective.slug, draft.pk])
    assert (
        "It goes to every contact of the client when you activate the mission"
        in client.get(page).content.decode()
    )

    mission_activate(mission=draft, by=people.lead)

    content = client.get(page).content.decode()
    assert "to 3 contacts." in content
    assert MONDAY.year == 2026
