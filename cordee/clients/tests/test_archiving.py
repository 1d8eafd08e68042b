"""Nothing with history is deleted: a contact or a client with history is archived; hard delete otherwise.

Archived contacts get no new email (kickoff, recaps, surveys and their reminders, delay notices, lead
changes, portal links) and lose their portal access; they stay on every past record.
"""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from cordee.clients import services as clients_services
from cordee.clients.models import Client, ClientContact
from cordee.clients.services import REMOVED_ARCHIVED, REMOVED_DELETED, client_contact_remove, client_remove
from cordee.communication.models import Recap
from cordee.communication.services.kickoff import kickoff_send
from cordee.communication.services.recaps import recap_send
from cordee.core.access import AccessDenied
from cordee.core.models import OutboundEmail
from cordee.core.outbox import email_enqueue
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory
from cordee.feedback.models import FeedbackOptOut, FollowUpCall, Survey, SurveyInvitation, SurveyResponse
from cordee.feedback.services.surveys import survey_reminders_run, survey_round_open
from cordee.missions.models import Mission
from cordee.missions.services.deliverables import delay_notice_send
from cordee.missions.services.missions import mission_change_lead
from cordee.missions.tests.factories import (
    ClientContactFactory,
    ClientFactory,
    DeliverableFactory,
    MissionFactory,
)
from cordee.portal.models import PortalAccess
from cordee.portal.services import portal_access_request, portal_access_send, portal_link_create
from cordee.portal.tests.conftest import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def mission():
    return MissionFactory(status=Mission.Status.DRAFT)


@pytest.fixture
def lead(mission):
    return mission.lead


@pytest.fixture
def kept(mission):
    """A contact who stays: the emails of the checks below still go to someone."""
    return ClientContactFactory(
        client=mission.client, email="kept@client.fr", role=ClientContact.Role.PROJECT
    )


@pytest.fixture
def answered(mission):
    """A contact with a survey invitation, an answer, a follow-up call and a portal link."""
    contact = ClientContactFactory(
        client=mission.client, email="gone@client.fr", role=ClientContact.Role.SPONSOR
    )
    now = timezone.now()
    survey = Survey.objects.create(
        collective=mission.collective,
        mission=mission,
        due_date=now.date() - dt.timedelta(days=30),
        sent_at=now,
        closes_at=now + dt.timedelta(days=7),
    )
    SurveyInvitation.objects.create(
        collective=mission.collective, survey=survey, contact=contact, token_hash="a" * 64
    )
    response = SurveyResponse.objects.create(
        collective=mission.collective, survey=survey, contact=contact, score=5, ranking="top25"
    )
    FollowUpCall.objects.create(collective=mission.collective, response=response, token_hash="b" * 64)
    portal_link_create(contact=contact)
    return contact


def history_counts(contact):
    return (
        SurveyInvitation.objects.filter(contact=contact).count(),
        SurveyResponse.objects.filter(contact=contact).count(),
        FollowUpCall.objects.filter(response__contact=contact).count(),
        PortalAccess.objects.filter(contact=contact).count(),
    )


# kickoff, recap, survey and its reminder, delay notice, lead change (their idempotency keys' first part).
KEPT_EMAIL_KINDS = ["delay_notice", "mission", "mission", "recap", "survey", "survey"]


def emails_to(address):
    return list(OutboundEmail.objects.filter(to_email=address).values_list("idempotency_key", flat=True))


# --- Contacts ---------------------------------------------------------------------------------------


def test_a_contact_with_answers_is_archived_and_nothing_cascades_away(answered, lead):
    before = history_counts(answered)
    now = dt.datetime(2026, 5, 4, 10, 0, tzinfo=dt.UTC)

    with time_machine.travel(now, tick=False):
        outcome = client_contact_remove(contact=answered, by=lead)

    assert outcome == REMOVED_ARCHIVED
    answered.refresh_from_db()
    assert (answered.archived_at, answered.archived_by) == (now, lead)
    assert before == (1, 1, 1, 1)
    assert history_counts(answered) == before
    assert list(PortalAccess.objects.filter(contact=answered).values_list("revoked_at", flat=True)) == [now]


def test_a_contact_the_collective_emailed_is_archived(mission, lead):
    contact = ClientContactFactory(client=mission.client, email="once@client.fr")
    email_enqueue(
        key="test:once",
        to=contact.email,
        template="missions/missions/emails/lead_changed",
        context={
            "collective": mission.collective,
            "mission": mission,
            "contact": contact,
            "previous_lead": lead,
            "new_lead": lead,
            "message": "",
        },
        language="fr",
        sender=mission.collective.notification_sender(),
        collective=mission.collective,
    )

    assert client_contact_remove(contact=contact, by=lead) == REMOVED_ARCHIVED
    assert ClientContact.objects.get(pk=contact.pk).archived_at is not None


def test_a_contact_without_history_is_deleted(mission, lead):
    contact = ClientContactFactory(client=mission.client)

    assert client_contact_remove(contact=contact, by=lead) == REMOVED_DELETED
    assert not ClientContact.objects.filter(pk=contact.pk).exists()


def test_a_plain_member_cannot_remove_a_contact_and_nothing_changes(answered, mission):
    member = MembershipFactory(collective=mission.collective).user

    with pytest.raises(AccessDenied):
        client_contact_remove(contact=answered, by=member)

    answered.refresh_from_db()
    assert answered.archived_at is None
    assert PortalAccess.objects.get(contact=answered).revoked_at is None


def test_the_lead_of_any_of_the_clients_missions_and_an_admin_may_remove(answered, mission):
    other_lead = MembershipFactory(collective=mission.collective).user
    MissionFactory(collective=mission.collective, client=mission.client, lead=other_lead)
    admin = AdminMembershipFactory(collective=mission.collective).user
    second = ClientContactFactory(client=mission.client)

    assert client_contact_remove(contact=answered, by=other_lead) == REMOVED_ARCHIVED
    assert client_contact_remove(contact=second, by=admin) == REMOVED_DELETED


def test_an_archived_contact_gets_no_new_email(answered, kept, mission, lead):
    client_contact_remove(contact=answered, by=lead)
    mission.status = Mission.Status.ACTIVE
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.ACTIVE, feedback_enabled=True)
    deliverable = DeliverableFactory(mission=mission)
    recap = Recap.objects.create(
        collective=mission.collective,
        mission=mission,
        period_start=timezone.now(),
        subject="Point",
        body="Texte",
    )
    new_lead = AdminMembershipFactory(collective=mission.collective).user

    kickoff_send(mission=mission, by=lead)
    recap_send(recap=recap, by=lead)
    survey_round_open(mission=mission, due_date=timezone.localdate())
    delay_notice_send(
        deliverable=deliverable,
        new_date=deliverable.announced_date + dt.timedelta(days=14),
        reason="Retard",
        by=lead,
        today=timezone.localdate(),
    )
    mission_change_lead(mission=mission, by=lead, new_lead=new_lead)
    survey_reminders_run(now=timezone.now() + dt.timedelta(days=4))
    sent_by_sign_in_page = portal_access_request(email=answered.email)

    assert emails_to(answered.email) == []
    assert sent_by_sign_in_page == 0
    # The same emails went to the contact who stays: the checks above did send.
    assert sorted(key.split(":")[0] for key in emails_to(kept.email)) == KEPT_EMAIL_KINDS
    with pytest.raises(ValidationError) as refused:
        portal_access_send(contact=answered, by=lead)
    assert refused.value.messages == [
        f"{answered.full_name} is archived: they no longer receive emails nor portal access."
    ]


def test_an_archived_contact_loses_the_portal_session_they_had_open(client, answered, lead):
    sign_in(client, answered)
    assert client.get(reverse("portal:home")).status_code == 200

    client_contact_remove(contact=answered, by=lead)

    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def test_the_client_page_archives_and_lists_archived_contacts_apart(client, answered, mission, lead):
    client.force_login(lead)
    url = reverse("clients:contact_delete", args=[mission.collective.slug, mission.client_id, answered.pk])

    response = client.post(url, HTTP_ACCEPT_LANGUAGE="en", follow=True)

    content = response.content.decode()
    assert (
        f"{answered.full_name} was archived: they stay on the past records of {mission.client.name} but get no "
        "more emails, and their portal access was revoked."
    ) in content
    assert "Archived contacts" in content
    assert ClientContact.objects.filter(pk=answered.pk).exists()


def test_a_plain_member_sees_no_remove_button_and_gets_a_403(client, answered, mission):
    member = MembershipFactory(collective=mission.collective).user
    client.force_login(member)
    url = reverse("clients:contact_delete", args=[mission.collective.slug, mission.client_id, answered.pk])

    page = client.get(reverse("clients:detail", args=[mission.collective.slug, mission.client_id]))
    response = client.post(url)

    assert url not in page.content.decode()
    assert response.status_code == 403
    assert ClientContact.objects.get(pk=answered.pk).archived_at is None


# --- Clients ----------------------------------------------------------------------------------------


def test_a_client_with_missions_is_archived_with_its_contacts(answered, kept, mission, lead):
    assert client_remove(client=mission.client, by=lead) == REMOVED_ARCHIVED

    client = Client.objects.get(pk=mission.client_id)
    assert (client.archived_at is not None, client.archived_by) == (True, lead)
    assert set(ClientContact.objects.filter(client=client).values_list("archived_by", flat=True)) == {lead.pk}
    assert Mission.objects.get(pk=mission.pk).client_id == client.pk
    assert history_counts(answered) == (1, 1, 1, 1)


def test_a_client_without_history_is_deleted_with_its_contacts():
    admin = AdminMembershipFactory()
    client = ClientFactory(collective=admin.collective)
    contact = ClientContactFactory(client=client)

    assert client_remove(client=client, by=admin.user) == REMOVED_DELETED
    assert not Client.objects.filter(pk=client.pk).exists()
    assert not ClientContact.objects.filter(pk=contact.pk).exists()


def test_an_archived_client_leaves_the_list_and_the_new_mission_form(client, mission, lead):
    other = ClientFactory(collective=mission.collective, name="Société Restante")
    client_remove(client=mission.client, by=lead)
    client.force_login(lead)
    slug = mission.collective.slug

    listing = client.get(reverse("clients:list", args=[slug])).content.decode()
    archived = client.get(reverse("clients:list", args=[slug]) + "?archived=1").content.decode()
    new_mission = client.get(reverse("missions:create", args=[slug])).content.decode()

    assert mission.client.name not in listing
    assert mission.client.name in archived
    assert f">{mission.client.name}</option>" not in new_mission
    assert f">{other.name}</option>" in new_mission


def test_a_plain_member_cannot_remove_a_client(mission):
    member = MembershipFactory(collective=mission.collective).user

    with pytest.raises(AccessDenied):
        client_remove(client=mission.client, by=member)

    assert Client.objects.get(pk=mission.client_id).archived_at is None


# --- The race between "nothing refers to it" and the delete ----------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_opt_out_recorded_while_the_contact_is_removed_is_never_lost(monkeypatch):
    """The removal has found no history and is about to delete; a click on "no more surveys" records an
    opt-out for the contact at that moment. Either the opt-out waits and finds the contact gone (its
    transaction fails, nothing committed is lost), or it commits first and the contact is archived:
    never an opt-out committed and then deleted by the removal's cascade."""
    mission = MissionFactory()
    contact = ClientContactFactory(client=mission.client, collective=mission.collective)
    checked, opted_out = threading.Event(), threading.Event()
    outcome = {}
    real_check = clients_services.contact_has_history

    def check_then_pause(checked_contact):
        found = real_check(checked_contact)
        checked.set()
        opted_out.wait(timeout=2)  # room for the opt-out to commit, if the removal lets it
        return found

    monkeypatch.setattr(clients_services, "contact_has_history", check_then_pause)

    def remove():
        try:
            outcome["remove"] = client_contact_remove(contact=contact, by=mission.lead)
        finally:
            connection.close()

    def opt_out():
        checked.wait(timeout=10)
        try:
            with transaction.atomic():
                FeedbackOptOut.objects.create(collective=mission.collective, contact_id=contact.pk)
            outcome["opt_out"] = "committed"
            opted_out.set()
        except IntegrityError:
            outcome["opt_out"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=remove), threading.Thread(target=opt_out)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    if outcome["opt_out"] == "committed":
        assert FeedbackOptOut.objects.filter(contact_id=contact.pk).exists()
        assert ClientContact.objects.get(pk=contact.pk).is_archived
    else:
        assert outcome == {"remove": REMOVED_DELETED, "opt_out": "refused"}
        assert not ClientContact.objects.filter(pk=contact.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_mission_created_while_its_client_is_removed_keeps_its_client(monkeypatch):
    client = ClientFactory()
    lead = AdminMembershipFactory(collective=client.collective).user
    checked, created = threading.Event(), threading.Event()
    outcome = {}
    real_refers_to = clients_services._refers_to

    def check_then_pause(instance, **kwargs):
        found = real_refers_to(instance, **kwargs)
        if isinstance(instance, Client):
            checked.set()
            created.wait(timeout=2)
        return found

    monkeypatch.setattr(clients_services, "_refers_to", check_then_pause)

    def remove():
        try:
            outcome["remove"] = client_remove(client=client, by=lead)
        finally:
            connection.close()

    def create_mission():
        checked.wait(timeout=10)
        try:
            with transaction.atomic():
                Mission.objects.create(
                    collective=client.collective,
                    client=client,
                    title="Refonte",
                    lead=lead,
                    start_date=dt.date(2026, 12, 1),
                )
            outcome["mission"] = "committed"
            created.set()
        except IntegrityError:
            outcome["mission"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=remove), threading.Thread(target=create_mission)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    if outcome["mission"] == "committed":
        assert Mission.objects.filter(client_id=client.pk).exists()
        assert Client.objects.get(pk=client.pk).is_archived
    else:
        assert outcome == {"remove": REMOVED_DELETED, "mission": "refused"}
