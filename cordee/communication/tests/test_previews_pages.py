# ruff: noqa: F811 - the fixtures imported from recap_fixtures are requested by name
"""Previews of every email the client receives, in a contact's language, before anything is sent."""

import datetime as dt

import pytest
from django.urls import reverse

from cordee.communication.models import Recap
from cordee.communication.services import previews
from cordee.communication.services.recaps import recap_draft
from cordee.communication.tests.recap_fixtures import (  # noqa: F401 - fixtures
    at,
    client_company,
    contacts,
    english,
    login,
    mission,
    people,
)
from cordee.core.models import OutboundEmail
from cordee.missions.models import Deliverable
from cordee.missions.tests.factories import DeliverableFactory, MissionFactory
from cordee.portal.models import PortalAccess

pytestmark = pytest.mark.django_db


def url(name, mission):
    return reverse(f"communication:{name}", args=[mission.collective.slug, mission.pk])


@pytest.fixture
def mockups(mission):
    return DeliverableFactory(
        mission=mission,
        title="Mockups",
        internal_date=dt.date(2026, 3, 13),
        announced_date=dt.date(2026, 3, 18),
    )


@pytest.fixture
def nothing_written():
    """Previews write nothing: no email, no magic link, no recap."""

    def counts():
        return (OutboundEmail.objects.count(), PortalAccess.objects.count(), Recap.objects.count())

    before = counts()
    yield
    assert counts() == before


def test_the_page_lists_every_client_email_and_shows_the_kickoff_first(
    client, mission, contacts, mockups, people, nothing_written
):
    login(client, people.lead)
    response = client.get(url("preview", mission))

    assert response.status_code == 200
    assert [kind.key for kind in response.context["kinds"]][:4] == [
        "kickoff",
        "recap",
        "delay_notice",
        "lead_changed",
    ]
    content = response.content.decode()
    assert response.context["kind"].key == "kickoff"
    assert response.context["contact"] == contacts.claire
    assert "Claire Lenoir &lt;claire@lenoir.fr&gt;" in content
    assert "Léa Martin &lt;lea@studio.fr&gt;" in content  # replies go to the lead
    assert "“Site refresh” starts: your contact, the roadmap" in content
    assert '<pre class="email-text" tabindex="0" aria-labelledby="text-title">Hello Claire Lenoir,' in content
    assert (
        f'src="{url("preview_html", mission)}?email=kickoff&amp;language=en&amp;contact={contacts.claire.pk}"'
        in content
    )


def test_a_contact_reads_it_in_their_language(client, mission, contacts, mockups, people, nothing_written):
    login(client, people.lead)
    response = client.get(url("preview", mission), {"email": "kickoff", "contact": contacts.paul.pk})
    assert response.context["language"] == "fr"
    assert "18 mars 2026" in response.content.decode()


def test_the_language_can_be_chosen(client, mission, contacts, mockups, people, nothing_written):
    login(client, people.lead)
    response = client.get(
        url("preview", mission), {"email": "kickoff", "contact": contacts.paul.pk, "language": "en"}
    )
    assert "March 18, 2026" in response.content.decode()


def test_the_recap_preview_without_a_draft_shows_what_one_would_say_without_saving_it(
    client, mission, contacts, mockups, people, nothing_written
):
    contacts.paul.language = "en"  # the recap is drafted in the language most recipients read
    contacts.paul.save(update_fields=["language"])
    login(client, people.lead)
    with at(dt.date(2026, 3, 6), 10):
        content = client.get(url("preview", mission), {"email": "recap"}).content.decode()
    assert "Site refresh: progress recap of 6 March" in content
    assert "- “Mockups” (planned): on track for 18 March." in content


def test_the_recap_preview_shows_the_draft_asked_for(client, mission, contacts, people):
    with at(dt.date(2026, 3, 6), 10):
        draft = recap_draft(mission=mission)
    Recap.objects.filter(pk=draft.pk).update(subject="Our week", body="Hello,\n\n- One\n  Two\n\nLéa")
    login(client, people.lead)
    response = client.get(url("preview_html", mission), {"email": "recap", "recap": draft.pk})
    html = response.content.decode()
    assert '<li style="margin:0 0 8px;">One<br><span' in html
    assert ">Two</span></li>" in html


def test_another_collectives_recap_is_never_shown(client, mission, contacts, people):
    other = MissionFactory(title="Secret mission")
    with at(dt.date(2026, 3, 6), 10):
        secret = recap_draft(mission=other)
    Recap.objects.filter(pk=secret.pk).update(subject="Secret subject")
    login(client, people.lead)
    content = client.get(url("preview", mission), {"email": "recap", "recap": secret.pk}).content.decode()
    assert "Secret" not in content


def test_the_delay_notice_example_moves_the_next_deliverable(
    client, mission, contacts, mockups, people, nothing_written
):
    login(client, people.lead)
    content = client.get(url("preview", mission), {"email": "delay_notice"}).content.decode()
    assert "Site refresh: “Mockups” moves to March 25, 2026" in content
    assert "(The reason you give, in your own words.)" in content


def test_without_an_open_deliverable_the_delay_notice_says_what_to_do(
    client, mission, contacts, mockups, people
):
    Deliverable.objects.filter(pk=mockups.pk).update(status=Deliverable.Status.DELIVERED)
    login(client, people.lead)
    response = client.get(url("preview", mission), {"email": "delay_notice"})
    assert (
        response.context["unavailable"] == "Add a deliverable still to deliver: the example moves its date."
    )
    assert "Add a deliverable still to deliver" in response.content.decode()
    html = client.get(url("preview_html", mission), {"email": "delay_notice"}).content.decode()
    assert (
        html == "<p>Nothing to show yet. Add a deliverable still to deliver: the example moves its date.</p>"
    )


def test_the_new_lead_example_needs_a_second_team_member(client, mission, contacts, people):
    login(client, people.lead)
    content = client.get(url("preview", mission), {"email": "lead_changed"}).content.decode()
    assert "Anna Durand" in content  # Anna is on the team: the example hands the mission to her


def test_without_contacts_a_stand_in_reads_it(client, mission, people, nothing_written):
    login(client, people.lead)
    response = client.get(url("preview", mission))
    content = response.content.decode()
    assert "Maison Lenoir has no contact yet: the preview uses a stand-in." in content
    assert "Hello Your client contact," in content


def test_an_unknown_email_falls_back_to_the_first(client, mission, contacts, people):
    login(client, people.lead)
    assert client.get(url("preview", mission), {"email": "nope"}).context["kind"].key == "kickoff"


def test_the_html_part_is_served_alone_with_its_own_strict_policy(client, mission, contacts, mockups, people):
    login(client, people.lead)
    response = client.get(url("preview_html", mission), {"email": "kickoff", "contact": contacts.claire.pk})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    policy = response["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in policy
    assert "default-src 'none'" in policy
    assert "script-src 'none'" in policy
    assert "style-src 'unsafe-inline'" in policy
    assert "sandbox" in policy
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    html = response.content.decode()
    assert html.startswith("<!DOCTYPE html>")
    assert mission.collective.name in html
    assert "Open my portal" in html
    # The page around it keeps the app's policy.
    page = client.get(url("preview", mission))
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    assert page["X-Frame-Options"] == "DENY"


def test_other_areas_add_their_emails(client, mission, contacts, people, monkeypatch):
    def build(mission, contact, params):
        return "communication/emails/kickoff", previews.kickoff_email_context(
            mission=mission, contact=contact
        )

    monkeypatch.setattr(previews, "_registered", dict(previews._registered))
    previews.preview_register(
        [previews.PreviewKind("an_area_email", "An area's email", "Now and then.", build, template="x")]
    )
    login(client, people.lead)

    response = client.get(url("preview", mission), {"email": "an_area_email"})

    keys = [kind.key for kind in response.context["kinds"]]
    assert keys[-1] == "an_area_email"
    assert "overage_request" in keys[:-1]
    assert response.context["kind"].label == "An area's email"


@pytest.mark.parametrize(
    "key, subject",
    [
        ("survey", "“Site refresh”: 5 minutes to tell us frankly how it is going"),
        ("follow_up_request", "Your feedback on “Site refresh”: 30 minutes to talk about it?"),
        ("follow_up_confirmed", "Invitation: our call on "),
        ("improvement_plan", "What we are doing with your feedback on “Site refresh”"),
    ],
)
def test_the_feedback_emails_are_previewed_without_writing_anything(
    client, mission, contacts, people, nothing_written, key, subject
):
    """(The confirmation's subject goes on with the example slot's date and time.)"""
    login(client, people.lead)

    response = client.get(url("preview", mission), {"email": key})

    assert response.status_code == 200
    assert response.context["kind"].key == key
    assert response.context["subject"].startswith(subject)
    assert response.context["unavailable"] == ""


@pytest.mark.parametrize("name", ["preview", "preview_html", "kickoff_preview"])
def test_a_member_who_is_not_the_lead_cannot_preview(client, mission, contacts, people, name):
    login(client, people.anna)
    assert client.get(url(name, mission)).status_code == 403
