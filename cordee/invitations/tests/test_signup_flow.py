"""An invitation carried through allauth's sign-up and login, as a browser goes through them."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from cordee.accounts.models import User
from cordee.collectives.models import Membership
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import CollectiveFactory, MembershipFactory, UserFactory
from cordee.invitations.models import Invitation
from cordee.invitations.receivers import SESSION_KEY
from cordee.invitations.services import invitations_create
from cordee.invitations.tests.factories import InvitationFactory
from cordee.invitations.tests.helpers import invitation_emails, token_in

pytestmark = pytest.mark.django_db

PASSWORD = "un-long-mot-de-passe-2026"


@pytest.fixture
def invitation(db):
    inviter = UserFactory(full_name="Claire Vasseur")
    collective = CollectiveFactory(name="Atelier Rive Gauche")
    MembershipFactory(collective=collective, user=inviter, role=Membership.Role.ADMIN)
    return InvitationFactory(collective=collective, invited_by=inviter, email="lea@example.fr")


def accept_path(invitation):
    return reverse("invitations:accept", args=[invitation.raw_token])


def signup_url(invitation, email=None):
    return f"{reverse('account_signup')}?email={email or invitation.email}&next={accept_path(invitation)}"


def login_url(invitation):
    return f"{reverse('account_login')}?next={accept_path(invitation)}"


def dashboard_url(invitation):
    return reverse("collectives:dashboard", args=[invitation.collective.slug])


def emails_to(address):
    return list(OutboundEmail.objects.filter(to_email=address).values_list("idempotency_key", flat=True))


def test_the_sign_up_form_is_prefilled_with_the_invited_address(client, invitation):
    client.get(accept_path(invitation))

    response = client.get(signup_url(invitation))

    assert response.status_code == 200
    assert response.context["form"]["email"].value() == "lea@example.fr"


def test_a_new_user_signs_up_through_the_link_and_lands_in_the_collective(client, invitation):
    # Given an invitation emailed by an admin, and the visitor who opened its link
    Invitation.objects.all().delete()
    invitations_create(
        collective=invitation.collective,
        invited_by=invitation.invited_by,
        emails=["lea@example.fr"],
        message="",
    )
    invitation = Invitation.objects.get()
    (invitation_email,) = invitation_emails("lea@example.fr")
    link = token_in(invitation_email)
    accept = reverse("invitations:accept", args=[link])
    client.get(accept)

    # When they create their account with the invited address
    response = client.post(
        f"{reverse('account_signup')}?email=lea@example.fr&next={accept}",
        {"email": "lea@example.fr", "full_name": "Léa Fontaine", "password1": PASSWORD},
    )

    # Then they are signed in and sent straight to the collective
    assert response.status_code == 302
    assert response["Location"] == dashboard_url(invitation)
    user = User.objects.get(email="lea@example.fr")
    assert client.session["_auth_user_id"] == str(user.pk)
    # As a member, the invitation used, their address verified by the link they followed
    assert Membership.objects.get(user=user).collective == invitation.collective
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ACCEPTED
    assert invitation.accepted_by == user
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == ("lea@example.fr", True, True)
    # Without a second verification email: only the invitation ever went to this address
    assert emails_to("lea@example.fr") == [invitation_email.idempotency_key]
    assert SESSION_KEY not in client.session
    # And the collective welcomes them
    dashboard = client.get(response["Location"])
    assert dashboard.status_code == 200
    assert "Welcome to Atelier Rive Gauche! You are now a member." in dashboard.content.decode()
    # While the admin who invited them hears about it
    assert OutboundEmail.objects.filter(idempotency_key=f"invitation:{invitation.pk}:accepted").exists()


def test_the_address_match_ignores_case(client, invitation):
    client.get(accept_path(invitation))

    response = client.post(
        signup_url(invitation),
        {"email": "Lea@Example.FR", "full_name": "Léa Fontaine", "password1": PASSWORD},
    )

    assert response["Location"] == dashboard_url(invitation)
    assert EmailAddress.objects.get(email="lea@example.fr").verified is True


def test_signing_up_with_another_address_still_requires_verifying_it(client, invitation):
    client.get(accept_path(invitation))

    response = client.post(
        signup_url(invitation),
        {"email": "lea.pro@studio.fr", "full_name": "Léa Fontaine", "password1": PASSWORD},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="lea.pro@studio.fr")
    assert EmailAddress.objects.get(user=user).verified is False
    assert len(emails_to("lea.pro@studio.fr")) == 1  # allauth's verification email
    assert not Membership.objects.filter(user=user).exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert client.session[SESSION_KEY] == invitation.raw_token


def test_a_plain_sign_up_without_the_link_is_untouched(client, invitation):
    response = client.post(
        reverse("account_signup"),
        {"email": "lea@example.fr", "full_name": "Léa Fontaine", "password1": PASSWORD},
    )

    assert response["Location"] == reverse("account_email_verification_sent")
    assert EmailAddress.objects.get(email="lea@example.fr").verified is False
    assert not Membership.objects.filter(user__email="lea@example.fr").exists()


def test_an_existing_user_logs_in_through_the_link_and_joins(client, invitation):
    user = UserFactory(email="lea@example.fr", language="en")
    client.get(accept_path(invitation))

    response = client.post(
        login_url(invitation), {"login": "lea@example.fr", "password": "correct horse battery"}
    )

    assert response.status_code == 302
    assert response["Location"] == dashboard_url(invitation)
    assert Membership.objects.get(user=user).collective == invitation.collective
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert SESSION_KEY not in client.session


def test_an_existing_member_logging_in_through_the_link_goes_to_the_collective(client, invitation):
    member = MembershipFactory(collective=invitation.collective, user=UserFactory(email="lea@example.fr"))
    client.get(accept_path(invitation))

    response = client.post(
        login_url(invitation), {"login": "lea@example.fr", "password": "correct horse battery"}
    )

    assert response["Location"] == dashboard_url(invitation)
    assert Membership.objects.filter(user=member.user).count() == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING


def test_logging_in_as_someone_else_leads_to_the_choice_on_the_invitation_page(client, invitation):
    other = UserFactory(email="lea.pro@studio.fr", language="en")
    client.get(accept_path(invitation))

    # Even from a login page without `next`, the invitation is not forgotten
    response = client.post(
        reverse("account_login"), {"login": "lea.pro@studio.fr", "password": "correct horse battery"}
    )

    assert response["Location"] == accept_path(invitation)
    assert not Membership.objects.filter(user=other).exists()
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "but you are signed in as <strong>lea.pro@studio.fr</strong>" in page.content.decode()


def test_a_link_revoked_meanwhile_is_not_accepted_at_login(client, invitation):
    user = UserFactory(email="lea@example.fr")
    client.get(accept_path(invitation))
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=timezone.now())

    response = client.post(
        reverse("account_login"), {"login": "lea@example.fr", "password": "correct horse battery"}
    )

    assert response["Location"] == reverse("collectives:home")
    assert not Membership.objects.filter(user=user).exists()
    assert SESSION_KEY not in client.session


def test_a_link_expired_meanwhile_leads_to_its_explanation(client, invitation):
    UserFactory(email="lea@example.fr", language="en")
    client.get(accept_path(invitation))
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))

    response = client.post(
        login_url(invitation), {"login": "lea@example.fr", "password": "correct horse battery"}
    )
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en")

    assert response["Location"] == accept_path(invitation)
    assert page.status_code == 410
    assert "This invitation has expired" in page.content.decode()
    assert Membership.objects.filter(collective=invitation.collective).count() == 1
