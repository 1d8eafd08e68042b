from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail

from cordee.collectives.models import Membership
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import (
    AdminMembershipFactory,
    CollectiveFactory,
    MembershipFactory,
    UserFactory,
)
from cordee.core.tokens import token_hash
from cordee.invitations.models import Invitation
from cordee.invitations.services import (
    InvitationError,
    invitation_accept,
    invitation_resend,
    invitation_revoke,
    invitations_create,
)
from cordee.invitations.tests.factories import InvitationFactory
from cordee.invitations.tests.helpers import invitation_emails, token_in

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def inviter(admin_user):
    admin_user.full_name = "Claire Vasseur"
    admin_user.language = "en"
    admin_user.save()
    return admin_user


# invitations_create


@time_machine.travel(NOW, tick=False)
def test_each_address_gets_an_invitation_with_a_hashed_token_and_an_email(collective, inviter):
    # When an admin invites two addresses
    report = invitations_create(
        collective=collective,
        invited_by=inviter,
        emails=["lea@example.fr", "karim@example.fr"],
        message="On monte l'équipe pour la refonte Lenoir.",
    )

    # Then both are reported as invited and have an open invitation valid 14 days
    assert report.invited == ["lea@example.fr", "karim@example.fr"]
    assert report.resent == report.already_members == report.recently_sent == []
    invitations = {
        invitation.email: invitation for invitation in Invitation.objects.filter(collective=collective)
    }
    assert set(invitations) == {"lea@example.fr", "karim@example.fr"}
    lea = invitations["lea@example.fr"]
    assert lea.invited_by == inviter
    assert lea.send_count == 1
    assert lea.sent_at == NOW
    assert lea.expires_at == NOW + timedelta(days=14)
    assert lea.message == "On monte l'équipe pour la refonte Lenoir."
    # And each got one email whose link carries a token stored only as its hash
    (email,) = invitation_emails("lea@example.fr")
    raw_token = token_in(email)
    assert lea.token_hash == token_hash(raw_token)
    assert raw_token not in lea.token_hash
    assert not Invitation.objects.filter(token_hash=raw_token).exists()
    assert email.idempotency_key == f"invitation:{lea.pk}:send:1"
    assert len(invitation_emails("karim@example.fr")) == 1


@time_machine.travel(NOW, tick=False)
def test_the_email_comes_from_the_collective_replies_to_the_inviter_in_the_inviters_language(
    collective, inviter
):
    invitations_create(
        collective=collective, invited_by=inviter, emails=["lea@example.fr"], message="À lundi !"
    )

    (email,) = invitation_emails("lea@example.fr")
    assert email.from_email == collective.notification_sender()
    assert email.reply_to == inviter.email
    assert email.language == "en"
    assert email.collective == collective
    assert email.subject == f"Claire Vasseur invites you to join {collective.name} on Cordée"
    assert f"Claire Vasseur invites you to join {collective.name}" in email.body_text
    assert "À lundi !" in email.body_text
    assert "À lundi !" in email.body_html
    assert "until March 16, 2026" in email.body_text
    raw_token = token_in(email)
    assert f"https://app.cordee.test/invitations/{raw_token}/" in email.body_text
    assert f'href="https://app.cordee.test/invitations/{raw_token}/"' in email.body_html


def test_an_invitee_who_already_has_an_account_gets_the_email_in_their_own_language(collective, inviter):
    UserFactory(email="lea@example.fr", language="fr")

    invitations_create(collective=collective, invited_by=inviter, emails=["lea@example.fr"], message="")

    (email,) = invitation_emails("lea@example.fr")
    assert email.language == "fr"


def test_the_email_is_delivered_once_the_transaction_commits(
    collective, inviter, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        invitations_create(collective=collective, invited_by=inviter, emails=["lea@example.fr"], message="")

    assert [message.to for message in mail.outbox] == [["lea@example.fr"]]
    assert mail.outbox[0].reply_to == [inviter.email]
    assert OutboundEmail.objects.get(to_email="lea@example.fr").state == OutboundEmail.State.SENT


def test_members_are_reported_and_not_invited(collective, inviter, member_membership):
    # Given a member whose secondary verified address is also typed, in capitals
    from allauth.account.models import EmailAddress

    EmailAddress.objects.create(user=member_membership.user, email="perso@example.fr", verified=True)

    report = invitations_create(
        collective=collective,
        invited_by=inviter,
        emails=[member_membership.user.email.upper(), "perso@example.fr", inviter.email, "lea@example.fr"],
        message="",
    )

    assert report.already_members == [member_membership.user.email, "perso@example.fr", inviter.email]
    assert report.invited == ["lea@example.fr"]
    assert list(Invitation.objects.values_list("email", flat=True)) == ["lea@example.fr"]
    assert OutboundEmail.objects.filter(to_email=member_membership.user.email).count() == 0


def test_a_member_of_another_collective_is_invited(collective, inviter):
    other = MembershipFactory()

    report = invitations_create(
        collective=collective, invited_by=inviter, emails=[other.user.email], message=""
    )

    assert report.invited == [other.user.email]


def test_an_address_already_invited_is_sent_again_with_a_new_link(collective, inviter):
    # Given an invitation sent two days ago
    with time_machine.travel(NOW, tick=False):
        invitations_create(
            collective=collective, invited_by=inviter, emails=["lea@example.fr"], message="Hello"
        )
    invitation = Invitation.objects.get()
    first_hash = invitation.token_hash

    # When the same address is typed again
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        report = invitations_create(
            collective=collective, invited_by=inviter, emails=["lea@example.fr"], message=""
        )

    # Then it is re-sent (not duplicated): new token, new expiry, a second email, the message kept
    assert report.resent == ["lea@example.fr"]
    assert report.invited == []
    invitation.refresh_from_db()
    assert Invitation.objects.count() == 1
    assert invitation.send_count == 2
    assert invitation.token_hash != first_hash
    assert invitation.expires_at == NOW + timedelta(days=16)
    assert invitation.message == "Hello"
    emails = invitation_emails("lea@example.fr")
    assert [email.idempotency_key for email in emails] == [
        f"invitation:{invitation.pk}:send:1",
        f"invitation:{invitation.pk}:send:2",
    ]
    assert invitation.token_hash == token_hash(token_in(emails[1]))


def test_an_expired_invitation_typed_again_is_renewed(collective, inviter):
    invitation = InvitationFactory(
        collective=collective,
        email="lea@example.fr",
        sent_at=NOW - timedelta(days=20),
        expires_at=NOW - timedelta(days=6),
    )

    with time_machine.travel(NOW, tick=False):
        report = invitations_create(
            collective=collective, invited_by=inviter, emails=["lea@example.fr"], message=""
        )
        invitation.refresh_from_db()
        assert invitation.status == Invitation.Status.PENDING

    assert report.resent == ["lea@example.fr"]
    assert invitation.expires_at == NOW + timedelta(days=14)


def test_a_form_submitted_twice_does_not_kill_the_first_link(collective, inviter):
    with time_machine.travel(NOW, tick=False):
        invitations_create(collective=collective, invited_by=inviter, emails=["lea@example.fr"], message="")
    invitation = Invitation.objects.get()
    token_hash_before = invitation.token_hash

    with time_machine.travel(NOW + timedelta(seconds=5), tick=False):
        report = invitations_create(
            collective=collective, invited_by=inviter, emails=["lea@example.fr"], message=""
        )

    assert report.recently_sent == ["lea@example.fr"]
    assert report.resent == []
    invitation.refresh_from_db()
    assert invitation.token_hash == token_hash_before
    assert invitation.send_count == 1
    assert len(invitation_emails("lea@example.fr")) == 1


def test_a_revoked_address_can_be_invited_again(collective, inviter):
    revoked = InvitationFactory(collective=collective, email="lea@example.fr", revoked_at=NOW)

    report = invitations_create(
        collective=collective, invited_by=inviter, emails=["lea@example.fr"], message=""
    )

    assert report.invited == ["lea@example.fr"]
    assert Invitation.objects.filter(collective=collective, email="lea@example.fr").count() == 2
    revoked.refresh_from_db()
    assert revoked.status == Invitation.Status.REVOKED


@pytest.mark.parametrize(
    ("emails", "code"),
    [
        (["lea@example.fr", "not-an-address"], "invalid"),
        ([], "empty"),
        ([f"person{n}@example.fr" for n in range(21)], "too_many"),
    ],
)
def test_invalid_input_creates_nothing(collective, inviter, emails, code):
    with pytest.raises(InvitationError) as error:
        invitations_create(collective=collective, invited_by=inviter, emails=emails, message="")

    assert error.value.code == code
    assert Invitation.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_twenty_addresses_are_accepted_and_duplicates_count_once(collective, inviter):
    emails = [f"person{n}@example.fr" for n in range(20)] + ["PERSON0@example.fr"]

    report = invitations_create(collective=collective, invited_by=inviter, emails=emails, message="")

    assert len(report.invited) == 20
    assert Invitation.objects.count() == 20


# invitation_resend


def test_resending_changes_the_link_and_the_old_one_stops_matching(collective, inviter):
    invitation = InvitationFactory(collective=collective, sent_at=NOW - timedelta(days=3))
    old_hash = invitation.token_hash
    second_admin = AdminMembershipFactory(collective=collective, user__full_name="Marc Lenoir").user

    with time_machine.travel(NOW, tick=False):
        invitation_resend(invitation=invitation, sent_by=second_admin)

    invitation.refresh_from_db()
    assert invitation.send_count == 2
    assert invitation.sent_at == NOW
    assert invitation.expires_at == NOW + timedelta(days=14)
    assert invitation.invited_by == second_admin
    assert not Invitation.objects.filter(token_hash=old_hash).exists()
    (email,) = invitation_emails(invitation.email)
    assert email.idempotency_key == f"invitation:{invitation.pk}:send:2"
    assert email.reply_to == second_admin.email
    assert invitation.token_hash == token_hash(token_in(email))


@pytest.mark.parametrize("field", ["accepted_at", "revoked_at"])
def test_a_closed_invitation_cannot_be_resent(collective, inviter, field):
    invitation = InvitationFactory(collective=collective, sent_at=NOW - timedelta(days=3), **{field: NOW})
    before = Invitation.objects.values().get(pk=invitation.pk)

    with pytest.raises(InvitationError) as error:
        invitation_resend(invitation=invitation, sent_by=inviter)

    assert error.value.code == "not_open"
    assert Invitation.objects.values().get(pk=invitation.pk) == before
    assert OutboundEmail.objects.count() == 0


# invitation_revoke


def test_revoking_closes_the_invitation_once(collective, inviter):
    invitation = InvitationFactory(collective=collective)

    with time_machine.travel(NOW, tick=False):
        invitation_revoke(invitation=invitation, by=inviter)
    with pytest.raises(InvitationError) as error:
        invitation_revoke(invitation=invitation, by=inviter)

    invitation.refresh_from_db()
    assert invitation.revoked_at == NOW
    assert invitation.status == Invitation.Status.REVOKED
    assert error.value.code == "not_open"


# invitation_accept


def test_accepting_creates_a_membership_and_tells_the_inviter(collective, inviter):
    invitation = InvitationFactory(collective=collective, invited_by=inviter, email="lea@example.fr")
    user = UserFactory(email="lea@example.fr", full_name="Léa Martin")

    with time_machine.travel(NOW, tick=False):
        membership = invitation_accept(invitation=invitation, user=user)

    assert membership.collective == collective
    assert membership.user == user
    assert membership.role == Membership.Role.MEMBER
    invitation.refresh_from_db()
    assert invitation.accepted_at == NOW
    assert invitation.accepted_by == user
    notification = OutboundEmail.objects.get(idempotency_key=f"invitation:{invitation.pk}:accepted")
    assert notification.to_email == inviter.email
    assert notification.subject == f"Léa Martin joined {collective.name}"
    assert notification.from_email == collective.notification_sender()


def test_accepting_twice_creates_one_membership(collective):
    invitation = InvitationFactory(collective=collective)
    user = UserFactory(email=invitation.email)
    invitation_accept(invitation=invitation, user=user)
    stale_copy = Invitation.objects.get(pk=invitation.pk)
    stale_copy.accepted_at = None  # as a concurrent request read it before the first one committed

    with pytest.raises(InvitationError) as error:
        invitation_accept(invitation=stale_copy, user=user)

    assert error.value.code == "already_member"
    assert Membership.objects.filter(collective=collective, user=user).count() == 1


def test_a_used_link_cannot_let_a_second_person_in(collective):
    invitation = InvitationFactory(collective=collective)
    invitation_accept(invitation=invitation, user=UserFactory(email=invitation.email))
    intruder = UserFactory()

    with pytest.raises(InvitationError) as error:
        invitation_accept(invitation=Invitation.objects.get(pk=invitation.pk), user=intruder)

    assert error.value.code == "not_pending"
    assert not Membership.objects.filter(user=intruder).exists()


@pytest.mark.parametrize(
    "changes",
    [
        {"revoked_at": NOW - timedelta(days=1)},
        {"expires_at": NOW - timedelta(seconds=1)},
    ],
)
def test_a_revoked_or_expired_invitation_cannot_be_accepted(changes):
    invitation = InvitationFactory(collective=CollectiveFactory(), sent_at=NOW - timedelta(days=2), **changes)
    user = UserFactory(email=invitation.email)

    with time_machine.travel(NOW, tick=False), pytest.raises(InvitationError) as error:
        invitation_accept(invitation=invitation, user=user)

    assert error.value.code == "not_pending"
    assert not Membership.objects.filter(user=user).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_the_expiry_date_in_the_email_is_the_collectives_local_date():
    # 23:30 UTC on 1 March is already 2 March in Paris; the link expires on 16 March, Paris time.
    inviter = AdminMembershipFactory(collective__time_zone="Europe/Paris", user__language="en")
    collective = inviter.collective
    with time_machine.travel(datetime(2026, 3, 1, 23, 30, tzinfo=UTC), tick=False):
        invitations_create(
            collective=collective, invited_by=inviter.user, emails=["lea@example.fr"], message=""
        )

    (email,) = invitation_emails("lea@example.fr")
    assert "until March 16, 2026" in email.body_text
