# ruff: noqa: F811 - the fixtures imported from recap_fixtures are requested by name
"""The Communication page, the recap editor, "write one now", skipping, and what the portal gets."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from cordee.communication.models import Recap
from cordee.communication.services.recaps import (
    recap_draft,
    recap_send,
    recap_send_automatic,
    recaps_for_portal,
)
from cordee.communication.tests.recap_fixtures import (  # noqa: F401 - fixtures
    at,
    client_company,
    contacts,
    english,
    login,
    mission,
    paris,
    people,
)
from cordee.core.models import OutboundEmail
from cordee.missions.models import MissionEvent
from cordee.missions.tests.factories import DeliverableFactory

pytestmark = pytest.mark.django_db

FRIDAY = dt.date(2026, 3, 6)
BODY = (
    "Hello,\n\nAll announced dates hold.\n\nDeliverables:\n- “Mockups”: on track.\n  Done: Home page.\n\nLéa"
)


@pytest.fixture
def recap(mission, contacts):
    DeliverableFactory(mission=mission, title="Mockups", announced_date=dt.date(2026, 3, 18))
    with at(FRIDAY, 8):
        return recap_draft(mission=mission, slot_date=FRIDAY)


def url(name, mission, *args):
    return reverse(f"communication:{name}", args=[mission.collective.slug, mission.pk, *args])


def state(recap):
    recap.refresh_from_db()
    return (recap.state, recap.subject, recap.body, recap.edited_at, recap.sent_at)


# --- The Communication page --------------------------------------------------------------------


class TestCommunicationPage:
    def test_the_lead_sees_the_rhythm_the_drafts_and_the_sent_recaps(self, client, mission, recap, people):
        with at(FRIDAY, 9):
            sent = recap_draft(mission=mission)
            recap_send(recap=sent, by=people.lead)
        login(client, people.lead)

        with at(FRIDAY, 10):
            response = client.get(url("mission", mission))

        content = response.content.decode()
        assert response.status_code == 200
        assert 'aria-current="page">Communication</a>' in content
        assert "Once a week, on Friday." in content
        assert "Next draft: Friday 13 March, from 8 a.m." in content
        assert "You review and send each draft yourself." in content
        assert "For March 6, 2026" in content
        assert url("recap_edit", mission, recap.pk) in content
        assert 'Recaps sent <span class="muted small">(1)</span>' in content
        assert "by Léa Martin" in content
        assert "Write a recap now" in content
        assert url("preview", mission) in content
        assert url("kickoff_preview", mission) in content

    def test_the_automatic_sending_is_explained(self, client, mission, collective, people):
        collective.recaps_auto_send = True
        collective.save(update_fields=["recaps_auto_send"])
        login(client, people.lead)
        assert "A draft nobody edited goes out automatically at 5 p.m. on its day." in (
            client.get(url("mission", mission)).content.decode()
        )

    def test_a_team_member_reads_it_without_the_lead_actions(self, client, mission, recap, people):
        login(client, people.anna)
        content = client.get(url("mission", mission)).content.decode()
        assert "Recaps waiting for review" in content
        assert "Write a recap now" not in content
        assert url("recap_edit", mission, recap.pk) not in content
        assert url("preview", mission) not in content

    def test_empty_states_say_what_comes_next(self, client, mission, people):
        login(client, people.lead)
        with at(dt.date(2026, 3, 4), 10):
            content = client.get(url("mission", mission)).content.decode()
        assert (
            "Nothing to review. The next recap is drafted on Friday 6 March; you can also write one now."
            in content
        )
        assert (
            "No recap sent yet. Once sent, each recap stays available to the client in their portal."
            in content
        )

    def test_the_number_of_queries_does_not_grow_with_recaps(
        self, client, mission, contacts, people, django_assert_num_queries
    ):
        login(client, people.lead)
        page = url("mission", mission)

        def make(count):
            for index in range(count):
                with at(FRIDAY + dt.timedelta(days=index), 9):
                    recap = recap_draft(mission=mission)
                    if index % 3:
                        recap_send(recap=recap, by=people.lead)

        make(2)
        client.get(page)  # warm-up
        with django_assert_num_queries(10):
            client.get(page)
        make(40)
        with django_assert_num_queries(10):
            response = client.get(page)
        assert response.context["page_obj"].paginator.count == 27
        assert len(response.context["page_obj"].object_list) == 25
        assert len(response.context["drafts"]) == 15


# --- Write one now -----------------------------------------------------------------------------


class TestWriteOneNow:
    def test_the_lead_gets_a_draft_from_the_data_as_it_is(self, client, mission, contacts, people):
        login(client, people.lead)
        with at(dt.date(2026, 3, 4), 15):
            response = client.post(url("recap_create", mission), follow=True)

        recap = Recap.objects.get(mission=mission)
        assert (recap.slot_date, recap.state, recap.body == recap.drafted_body) == (None, "draft", True)
        assert response.redirect_chain == [(url("recap_edit", mission, recap.pk), 302)]
        assert "The recap is drafted from the mission&#x27;s data" in response.content.decode()

    def test_a_double_click_opens_the_same_draft(self, client, mission, contacts, people):
        login(client, people.lead)
        with at(dt.date(2026, 3, 4), 15):
            client.post(url("recap_create", mission))
            client.post(url("recap_create", mission))
        assert Recap.objects.filter(mission=mission).count() == 1

    def test_a_member_who_is_not_the_lead_is_refused(self, client, mission, people):
        login(client, people.anna)
        assert client.post(url("recap_create", mission)).status_code == 403
        assert not Recap.objects.exists()

    def test_it_is_a_post(self, client, mission, people):
        login(client, people.lead)
        assert client.get(url("recap_create", mission)).status_code == 405
        assert not Recap.objects.exists()


# --- The editor --------------------------------------------------------------------------------


class TestEditor:
    def test_the_editor_shows_the_draft_and_who_receives_it(self, client, mission, recap, people):
        login(client, people.lead)
        response = client.get(url("recap_edit", mission, recap.pk))
        content = response.content.decode()
        assert response.status_code == 200
        assert response.context["form"].initial == {"subject": recap.subject, "body": recap.body}
        assert "Claire Lenoir" in content and "Paul Lenoir" in content
        assert "Fanny Compta" not in content  # finance does not get recaps
        assert "Send to 2 contacts" in content

    def test_saving_comes_first_and_sending_is_a_second_confirmed_step_with_the_saved_text(
        self, client, mission, recap, people
    ):
        login(client, people.lead)
        with at(FRIDAY, 11):
            client.post(
                url("recap_edit", mission, recap.pk), {"subject": "Our week", "body": BODY, "action": "save"}
            )
        html = client.get(url("recap_edit", mission, recap.pk)).content.decode()

        editor, sending = html.split('aria-labelledby="send-title"')
        actions = re.findall(r'name="action" value="(\w+)"', editor)
        assert actions == ["save", "preview"]
        assert 'value="send"' in sending and 'data-confirm="Send this recap to the client now?"' in sending
        assert '<input type="hidden" name="subject" value="Our week">' in sending
        # The text's preview: paragraphs and the list as the client will read them.
        assert "<p>All announced dates hold.</p>" in editor
        assert "<li>“Mockups”: on track.<br>Done: Home page.</li>" in editor

    def test_an_admin_who_is_not_the_lead_may_edit(self, client, mission, recap, people):
        login(client, people.admin)
        assert client.get(url("recap_edit", mission, recap.pk)).status_code == 200

    def test_saving_keeps_the_leads_text(self, client, mission, recap, people):
        login(client, people.lead)
        with at(FRIDAY, 11):
            response = client.post(
                url("recap_edit", mission, recap.pk),
                {"subject": "Our week", "body": BODY, "action": "save"},
                follow=True,
            )
        assert response.redirect_chain == [(url("recap_edit", mission, recap.pk), 302)]
        assert "Draft saved." in response.content.decode()
        assert state(recap) == ("draft", "Our week", BODY, paris(FRIDAY, 11), None)
        assert recap.is_edited

    def test_an_empty_text_is_refused_and_what_was_typed_stays(self, client, mission, recap, people):
        login(client, people.lead)
        before = state(recap)
        response = client.post(
            url("recap_edit", mission, recap.pk), {"subject": "Typed subject", "body": "  ", "action": "send"}
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert "Write the recap before saving it." in content
        assert 'value="Typed subject"' in content
        assert state(recap) == before
        assert not OutboundEmail.objects.filter(idempotency_key__contains=":send:").exists()

    def test_save_and_preview_shows_the_email_as_the_client_gets_it(self, client, mission, recap, people):
        login(client, people.lead)
        response = client.post(
            url("recap_edit", mission, recap.pk), {"subject": "Our week", "body": BODY, "action": "preview"}
        )
        assert response.status_code == 302
        assert response["Location"] == url("recap_edit", mission, recap.pk) + "?preview=1#preview"
        content = client.get(response["Location"]).content.decode()
        frame = url("preview_html", mission) + f"?email=recap&amp;recap={recap.pk}&amp;contact="
        assert frame in content
        assert 'sandbox=""' in content
        html = client.get(
            url("preview_html", mission), {"email": "recap", "recap": recap.pk}
        ).content.decode()
        assert "Done: Home page." in html
        assert not OutboundEmail.objects.filter(idempotency_key__contains=":send:").exists()

    def test_sending_goes_to_every_contact_but_finance_with_the_leads_text(
        self, client, mission, recap, people, contacts
    ):
        login(client, people.lead)
        with at(FRIDAY, 16):
            response = client.post(
                url("recap_edit", mission, recap.pk),
                {"subject": "Our week", "body": BODY, "action": "send"},
                follow=True,
            )

        assert response.redirect_chain == [(url("mission", mission), 302)]
        assert "The recap was sent to 2 contacts of the client." in response.content.decode()
        recap.refresh_from_db()
        assert (recap.state, recap.sent_by, recap.sent_at, recap.sent_automatically) == (
            "sent",
            people.lead,
            paris(FRIDAY, 16),
            False,
        )
        emails = {
            email.to_email: email
            for email in OutboundEmail.objects.filter(idempotency_key__startswith=f"recap:{recap.pk}:send:")
        }
        assert sorted(emails) == ["claire@lenoir.fr", "paul@lenoir.fr"]
        claire = emails["claire@lenoir.fr"]
        assert claire.idempotency_key == f"recap:{recap.pk}:send:{contacts.claire.pk}"
        assert claire.subject == "Our week"
        assert claire.reply_to == "lea@studio.fr"
        assert claire.from_email == mission.collective.notification_sender()
        assert claire.body_text.startswith(
            BODY + "\n\n--\nReply to this email to reach Léa Martin (lea@studio.fr)"
        )
        assert "/portal/" in claire.body_text
        assert '<li style="margin:0 0 8px;">“Mockups”: on track.<br>' in claire.body_html
        assert emails["paul@lenoir.fr"].language == "fr"
        event = MissionEvent.objects.get(mission=mission, kind=MissionEvent.Kind.RECAP_SENT)
        assert (event.actor, event.summary, event.data["automatic"]) == (people.lead, "Our week", False)

    def test_a_sent_recap_is_shown_read_only(self, client, mission, recap, people):
        recap_send(recap=recap, by=people.lead)
        login(client, people.lead)
        response = client.get(url("recap_edit", mission, recap.pk))
        assert "Sent on" in response.content.decode()
        assert "form" not in response.context
        assert "Skip this recap" not in response.content.decode()

    @pytest.mark.parametrize("action", ["save", "send"])
    def test_a_draft_sent_automatically_meanwhile_refuses_the_edit_and_keeps_the_text(
        self, client, mission, recap, people, action
    ):
        login(client, people.lead)
        assert client.get(url("recap_edit", mission, recap.pk)).status_code == 200
        recap_send_automatic(recap=recap)  # while the lead was typing
        before, count = state(recap), OutboundEmail.objects.count()

        response = client.post(
            url("recap_edit", mission, recap.pk),
            {"subject": "Late subject", "body": "Late text", "action": action},
        )

        assert response.status_code == 200
        content = response.content.decode()
        assert "This recap was already sent automatically." in content
        assert 'value="Late subject"' in content
        assert "Late text</textarea>" in content
        assert state(recap) == before
        assert OutboundEmail.objects.count() == count

    def test_without_recipients_sending_is_refused_and_the_text_is_kept(
        self, client, mission, recap, people, contacts
    ):
        contacts.claire.delete()
        contacts.paul.delete()
        login(client, people.lead)
        response = client.post(
            url("recap_edit", mission, recap.pk), {"subject": "Our week", "body": BODY, "action": "send"}
        )
        assert response.status_code == 200
        content = response.content.decode()
        assert (
            "Maison Lenoir has no contact to send the recap to: add one on the client&#x27;s page." in content
        )
        assert "Our week" in content
        assert state(recap)[0:3] == ("draft", "Our week", BODY)
        assert not OutboundEmail.objects.filter(idempotency_key__contains=":send:").exists()

    def test_a_member_who_is_not_the_lead_cannot_open_or_change_it(self, client, mission, recap, people):
        before = state(recap)
        login(client, people.anna)
        assert client.get(url("recap_edit", mission, recap.pk)).status_code == 403
        response = client.post(
            url("recap_edit", mission, recap.pk), {"subject": "X", "body": "Y", "action": "send"}
        )
        assert response.status_code == 403
        assert state(recap) == before
        assert not OutboundEmail.objects.filter(idempotency_key__contains=":send:").exists()

    def test_a_recap_of_another_mission_is_not_found(self, client, mission, recap, people, collective):
        from cordee.missions.tests.factories import MissionFactory

        other = MissionFactory(collective=collective, lead=people.lead)
        login(client, people.lead)
        assert client.get(url("recap_edit", other, recap.pk)).status_code == 404


class TestSkip:
    def test_the_lead_skips_a_draft(self, client, mission, recap, people):
        login(client, people.lead)
        response = client.post(url("recap_skip", mission, recap.pk), follow=True)
        assert response.redirect_chain == [(url("mission", mission), 302)]
        assert "The recap is skipped: the next one will cover its period." in response.content.decode()
        assert state(recap)[0] == "skipped"
        event = MissionEvent.objects.get(mission=mission, kind=MissionEvent.Kind.RECAP_SKIPPED)
        assert (event.actor, event.data) == (people.lead, {"recap": recap.pk, "slot_date": "2026-03-06"})

    def test_a_sent_recap_cannot_be_skipped(self, client, mission, recap, people):
        recap_send(recap=recap, by=people.lead)
        login(client, people.lead)
        response = client.post(url("recap_skip", mission, recap.pk), follow=True)
        assert "This recap was already sent." in response.content.decode()
        assert state(recap)[0] == "sent"

    def test_a_member_who_is_not_the_lead_cannot_skip(self, client, mission, recap, people):
        login(client, people.anna)
        assert client.post(url("recap_skip", mission, recap.pk)).status_code == 403
        assert state(recap)[0] == "draft"
        assert not MissionEvent.objects.filter(kind=MissionEvent.Kind.RECAP_SKIPPED).exists()

    def test_it_is_a_post(self, client, mission, recap, people):
        login(client, people.lead)
        assert client.get(url("recap_skip", mission, recap.pk)).status_code == 405
        assert state(recap)[0] == "draft"


# --- For the portal ----------------------------------------------------------------------------


def test_the_portal_gets_the_sent_recaps_newest_first_never_drafts(mission, contacts, people):
    with at(FRIDAY, 9):
        first = recap_draft(mission=mission)
        recap_send(recap=first, by=people.lead)
    with at(FRIDAY + dt.timedelta(days=7), 9):
        second = recap_draft(mission=mission)
        recap_send(recap=second, by=people.lead)
        recap_draft(mission=mission)  # a draft
    assert list(recaps_for_portal(mission)) == [second, first]
