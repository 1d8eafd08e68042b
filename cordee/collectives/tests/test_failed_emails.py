"""The collective's admins see the emails that could not be delivered and send them again."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from cordee.collectives import services
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory

pytestmark = pytest.mark.django_db


def failed_email(collective, key="survey:1", **overrides):
    values = {
        "idempotency_key": key,
        "collective": collective,
        "to_email": "client@example.fr",
        "from_email": "noreply@cordee.localhost",
        "subject": "Votre avis compte",
        "body_text": "Bonjour\n",
        "state": OutboundEmail.State.FAILED,
        "attempts": 6,
        "last_error": "SMTPRecipientsRefused: mailbox full",
    }
    return OutboundEmail.objects.create(**{**values, **overrides})


def page_url(collective):
    return reverse("collectives:failed_emails", args=[collective.slug])


def retry_url(email):
    return reverse("collectives:failed_email_retry", args=[email.collective.slug, email.pk])


def test_admins_see_only_their_collectives_failed_emails(admin_client, collective):
    email = failed_email(collective)
    failed_email(collective, key="sent", state=OutboundEmail.State.SENT, subject="Déjà envoyé")
    failed_email(AdminMembershipFactory().collective, key="other", subject="Chez les autres")

    response = admin_client.get(page_url(collective))

    assert response.status_code == 200
    assert list(response.context["page_obj"]) == [email]
    content = response.content.decode()
    assert "Votre avis compte" in content and "SMTPRecipientsRefused: mailbox full" in content
    assert retry_url(email) in content
    assert "Déjà envoyé" not in content and "Chez les autres" not in content


def test_the_settings_page_links_to_the_failed_emails(admin_client, collective):
    assert (
        page_url(collective)
        in admin_client.get(reverse("collectives:settings", args=[collective.slug])).content.decode()
    )


def test_an_empty_list_says_that_everything_was_delivered(admin_client, collective):
    response = admin_client.get(page_url(collective))
    assert "Every email of the collective has been delivered or is on its way." in response.content.decode()


def test_plain_members_are_refused_the_page_and_the_retry(member_client, collective):
    email = failed_email(collective)

    assert member_client.get(page_url(collective)).status_code == 403
    assert member_client.post(retry_url(email)).status_code == 403

    email.refresh_from_db()
    assert (email.state, email.attempts) == (OutboundEmail.State.FAILED, 6)


def test_retrying_sends_the_email_again_with_fresh_attempts(
    admin_client, collective, django_capture_on_commit_callbacks
):
    email = failed_email(collective)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(retry_url(email), follow=True)

    assert response.redirect_chain == [(page_url(collective), 302)]
    assert "The email to client@example.fr is queued again." in response.content.decode()
    email.refresh_from_db()
    assert email.state == OutboundEmail.State.SENT
    assert email.attempts == 1
    assert [message.subject for message in mail.outbox] == ["Votre avis compte"]


def test_a_get_on_the_retry_address_changes_nothing(admin_client, collective):
    email = failed_email(collective)
    assert admin_client.get(retry_url(email)).status_code == 405
    email.refresh_from_db()
    assert email.state == OutboundEmail.State.FAILED


def test_an_email_no_longer_failed_is_not_retried(admin_client, admin_membership, collective):
    email = failed_email(collective)
    OutboundEmail.objects.filter(pk=email.pk).update(state=OutboundEmail.State.SENT)

    with pytest.raises(ValidationError) as refused:
        services.failed_email_retry(email=email, by=admin_membership)

    assert refused.value.code == "not_failed"
    email.refresh_from_db()
    assert (email.state, email.attempts) == (OutboundEmail.State.SENT, 6)
    assert mail.outbox == []


def test_the_service_refuses_a_plain_member_and_an_admin_of_another_collective(collective, member_membership):
    email = failed_email(collective)

    for outsider in (member_membership, AdminMembershipFactory()):
        with pytest.raises(PermissionDenied):
            services.failed_email_retry(email=email, by=outsider)

    email.refresh_from_db()
    assert (email.state, email.attempts) == (OutboundEmail.State.FAILED, 6)
