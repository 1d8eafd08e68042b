from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from cordee.collectives.models import Membership
from cordee.core.tests.factories import CollectiveFactory, MembershipFactory, UserFactory
from cordee.invitations.models import Invitation
from cordee.invitations.receivers import SESSION_KEY
from cordee.invitations.tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def accept_url(invitation):
    return reverse("invitations:accept", args=[invitation.raw_token])


def dashboard_url(collective):
    return reverse("collectives:dashboard", args=[collective.slug])


@pytest.fixture
def invitation(db):
    inviter = UserFactory(full_name="Claire Vasseur", email="claire@example.fr")
    collective = CollectiveFactory(name="Atelier Rive Gauche", tagline="Design et développement web")
    MembershipFactory(collective=collective, user=inviter, role=Membership.Role.ADMIN)
    return InvitationFactory(
        collective=collective,
        invited_by=inviter,
        email="lea@example.fr",
        message="On t'attend pour la refonte Lenoir !",
        sent_at=SENT,
        expires_at=SENT + timedelta(days=14),
    )


def state_of(invitation):
    invitation.refresh_from_db()
    return invitation.accepted_at, invitation.accepted_by_id, invitation.revoked_at


@pytest.fixture(autouse=True)
def _day_one():
    with time_machine.travel(SENT + timedelta(hours=2), tick=False):
        yield


# Anonymous visitors


def test_an_anonymous_visitor_sees_who_invites_them_and_how_to_join(client, invitation):
    response = client.get(accept_url(invitation))

    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Atelier Rive Gauche</h1>" in content
    assert "Design et développement web" in content
    assert "<strong>Claire Vasseur</strong> invites you (<strong>lea@example.fr</strong>)" in content
    assert "On t&#x27;attend pour la refonte Lenoir !" in content
    assert "Create my account" in content
    assert "I already have an account" in content
    signup = f"{reverse('account_signup')}?email=lea%40example.fr&amp;next=%2Finvitations%2F{invitation.raw_token}%2F"
    assert signup in content
    assert f"{reverse('account_login')}?next=%2Finvitations%2F{invitation.raw_token}%2F" in content
    # The link is carried through sign-up and login in the session
    assert client.session[SESSION_KEY] == invitation.raw_token
    assert response["Cache-Control"].startswith("max-age=0")


def test_a_visitor_whose_address_has_an_account_is_offered_to_log_in_first(client, invitation):
    UserFactory(email="lea@example.fr")

    content = client.get(accept_url(invitation)).content.decode()

    assert "You already have a Cordée account with lea@example.fr: log in to join." in content
    assert "Log in and join" in content


def test_an_anonymous_post_is_sent_to_log_in_and_changes_nothing(client, invitation):
    response = client.post(accept_url(invitation))

    assert response.status_code == 302
    assert (
        response["Location"] == f"{reverse('account_login')}?next=%2Finvitations%2F{invitation.raw_token}%2F"
    )
    assert state_of(invitation) == (None, None, None)
    assert Membership.objects.count() == 1


# Refused links


def test_an_unknown_link_says_so(client):
    response = client.get(reverse("invitations:accept", args=["not-a-real-token"]))

    assert response.status_code == 404
    assert "This invitation link is not valid" in response.content.decode()
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize(("days", "usable"), [(13, True), (15, False)])
def test_a_link_works_for_fourteen_days(client, invitation, days, usable):
    with time_machine.travel(SENT + timedelta(days=days), tick=False):
        response = client.get(accept_url(invitation))

    content = response.content.decode()
    if usable:
        assert response.status_code == 200
        assert "Create my account" in content
    else:
        assert response.status_code == 410
        assert "This invitation has expired" in content
        assert "was valid until March 16, 2026." in content
        assert "Ask Claire Vasseur to send you a new one" in content
        assert 'href="mailto:claire@example.fr' in content
        assert "Create my account" not in content
        assert SESSION_KEY not in client.session


def test_an_expired_link_cannot_be_accepted_by_a_signed_in_user(client, invitation):
    user = UserFactory(email="lea@example.fr")
    client.force_login(user)

    with time_machine.travel(SENT + timedelta(days=15), tick=False):
        response = client.post(accept_url(invitation))

    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()
    assert state_of(invitation) == (None, None, None)


def test_a_used_link_is_refused_to_anyone_else(client, invitation):
    invitation.accepted_at = SENT + timedelta(hours=1)
    invitation.accepted_by = UserFactory(email="lea@example.fr")
    invitation.save()
    intruder = UserFactory()
    client.force_login(intruder)

    get = client.get(accept_url(invitation))
    post = client.post(accept_url(invitation))

    assert get.status_code == post.status_code == 410
    assert "This invitation has already been used" in get.content.decode()
    assert not Membership.objects.filter(user=intruder).exists()


def test_a_revoked_link_is_refused(client, invitation):
    invitation.revoked_at = SENT + timedelta(hours=1)
    invitation.save()
    user = UserFactory(email="lea@example.fr")
    client.force_login(user)

    response = client.post(accept_url(invitation))

    assert response.status_code == 410
    content = response.content.decode()
    assert "This invitation was withdrawn" in content
    assert "If you think it is a mistake, ask Claire Vasseur." in content
    assert not Membership.objects.filter(user=user).exists()


# Signed-in users


def test_a_member_is_told_they_already_belong_to_the_collective(client, invitation):
    member = MembershipFactory(collective=invitation.collective, user=UserFactory(email="lea@example.fr"))
    client.force_login(member.user)

    get = client.get(accept_url(invitation))
    post = client.post(accept_url(invitation))

    assert get.status_code == post.status_code == 200
    content = get.content.decode()
    assert "You are already a member of Atelier Rive Gauche" in content
    assert f'href="{dashboard_url(invitation.collective)}"' in content
    assert state_of(invitation) == (None, None, None)
    assert Membership.objects.filter(user=member.user).count() == 1


def test_signed_in_as_someone_else_shows_both_addresses_and_both_choices(client, invitation):
    other = UserFactory(email="lea.pro@studio.fr")
    client.force_login(other)

    response = client.get(accept_url(invitation))

    assert response.status_code == 200
    content = response.content.decode()
    assert (
        "This invitation was sent to <strong>lea@example.fr</strong>, "
        "but you are signed in as <strong>lea.pro@studio.fr</strong>."
    ) in content
    assert "Join as lea.pro@studio.fr" in content
    assert "Log out and continue as lea@example.fr" in content
    assert f'action="{reverse("account_logout")}"' in content
    assert f'name="next" value="/invitations/{invitation.raw_token}/"' in content
    assert state_of(invitation) == (None, None, None)


def test_signed_in_as_someone_else_can_join_with_this_account(client, invitation):
    other = UserFactory(email="lea.pro@studio.fr")
    client.force_login(other)

    response = client.post(accept_url(invitation))

    assert response.status_code == 302
    assert response["Location"] == dashboard_url(invitation.collective)
    assert Membership.objects.get(user=other).collective == invitation.collective
    assert state_of(invitation)[1] == other.pk


def test_log_out_and_continue_brings_back_the_invitation_as_a_visitor(client, invitation):
    client.force_login(UserFactory(email="lea.pro@studio.fr"))

    response = client.post(reverse("account_logout"), {"next": accept_url(invitation)}, follow=True)

    assert response.redirect_chain[-1] == (accept_url(invitation), 302)
    assert "I already have an account" in response.content.decode()
    assert client.session[SESSION_KEY] == invitation.raw_token


def test_a_secondary_verified_address_counts_as_the_invited_one(client, invitation):
    from allauth.account.models import EmailAddress

    user = UserFactory(email="lea.pro@studio.fr")
    EmailAddress.objects.create(user=user, email="lea@example.fr", verified=True)
    client.force_login(user)

    content = client.get(accept_url(invitation)).content.decode()

    assert "Join Atelier Rive Gauche" in content
    assert "you are signed in as" not in content


def test_the_invited_user_joins_in_one_click_and_a_double_click_joins_once(client, invitation):
    user = UserFactory(email="lea@example.fr", language="en")
    client.force_login(user)
    page = client.get(accept_url(invitation))
    assert "Join Atelier Rive Gauche</button>" in page.content.decode()

    first = client.post(accept_url(invitation))
    second = client.post(accept_url(invitation), follow=True)

    assert first.status_code == 302
    assert first["Location"] == dashboard_url(invitation.collective)
    assert second.redirect_chain == [(dashboard_url(invitation.collective), 302)]
    assert "Welcome to Atelier Rive Gauche! You are now a member." in second.content.decode()
    membership = Membership.objects.get(user=user)
    assert (membership.collective, membership.role) == (invitation.collective, Membership.Role.MEMBER)
    assert state_of(invitation) == (SENT + timedelta(hours=2), user.pk, None)
    assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.ACCEPTED


def test_opening_the_link_again_after_joining_goes_to_the_collective(client, invitation):
    user = UserFactory(email="lea@example.fr")
    client.force_login(user)
    client.post(accept_url(invitation))

    response = client.get(accept_url(invitation))

    assert response.status_code == 302
    assert response["Location"] == dashboard_url(invitation.collective)
