from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import AdminMembershipFactory, MembershipFactory, UserFactory
from cordee.invitations import views
from cordee.invitations.models import Invitation
from cordee.invitations.tests.factories import InvitationFactory
from cordee.invitations.tests.helpers import invitation_emails

pytestmark = pytest.mark.django_db


def list_url(collective):
    return reverse("invitations:list", args=[collective.slug])


def resend_url(collective, invitation):
    return reverse("invitations:resend", args=[collective.slug, invitation.pk])


def revoke_url(collective, invitation):
    return reverse("invitations:revoke", args=[collective.slug, invitation.pk])


def snapshot():
    return list(Invitation.objects.order_by("pk").values()), OutboundEmail.objects.count()


# Inviting


def test_the_admin_sees_the_invite_form_and_an_empty_state(admin_client, collective):
    response = admin_client.get(list_url(collective))

    assert response.status_code == 200
    content = response.content.decode()
    assert '<textarea name="emails"' in content
    assert '<textarea name="message"' in content
    assert "No invitation sent yet" in content
    assert "Send the invitations" in content


def test_pasting_a_list_invites_everyone_and_reports_per_address(admin_client, collective, member_membership):
    # Given one member and one address invited three days ago
    invited_before = InvitationFactory(
        collective=collective, email="karim@example.fr", sent_at=timezone.now() - timedelta(days=3)
    )
    pasted = (
        f"Léa Martin <lea@example.fr>, KARIM@example.fr\n"
        f"{member_membership.user.email}; ines@example.fr lea@example.fr"
    )

    # When the admin pastes the list
    response = admin_client.post(
        list_url(collective), {"emails": pasted, "message": "Bienvenue !"}, follow=True
    )

    # Then new addresses are invited, the pending one re-sent, the member reported; while the
    # collective is being set up, the next step follows: its page
    page_url = reverse("collectives:page_edit", args=[collective.slug])
    assert response.redirect_chain == [(page_url, 302)]
    content = response.content.decode()
    assert "Next step: complete your public page, then publish it." in content
    assert "2 invitations sent: lea@example.fr, ines@example.fr." in content
    assert "Already invited, so the invitation was sent again with a new link: karim@example.fr." in content
    assert (
        f"Already a member of the collective, no invitation needed: {member_membership.user.email}."
        in content
    )
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "lea@example.fr",
        "ines@example.fr",
        "karim@example.fr",
    }
    invited_before.refresh_from_db()
    assert invited_before.send_count == 2
    assert len(invitation_emails("lea@example.fr")) == 1
    assert len(invitation_emails("karim@example.fr")) == 1
    assert OutboundEmail.objects.filter(to_email=member_membership.user.email).count() == 0
    # And the list shows them as pending
    listing = admin_client.get(list_url(collective)).content.decode()
    assert listing.count('class="badge badge--pending"') == 3


def test_an_invalid_address_creates_nothing_and_keeps_the_typed_text(admin_client, collective):
    pasted = "lea@example.fr, karim.example.fr\nines@example"

    response = admin_client.post(list_url(collective), {"emails": pasted, "message": "Salut"})

    assert response.status_code == 200
    content = response.content.decode()
    assert "These are not valid email addresses: “karim.example.fr”, “ines@example”." in content
    assert "no invitation was sent" in content
    assert "lea@example.fr, karim.example.fr\nines@example</textarea>" in content
    assert ">\nSalut</textarea>" in content
    assert Invitation.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_more_than_twenty_addresses_are_refused(admin_client, collective):
    pasted = "\n".join(f"person{n}@example.fr" for n in range(21))

    response = admin_client.post(list_url(collective), {"emails": pasted, "message": ""})

    assert response.status_code == 200
    content = response.content.decode()
    assert "You entered 21 addresses; you can invite up to 20 people at a time." in content
    assert "person20@example.fr</textarea>" in content
    assert Invitation.objects.count() == 0


def test_an_empty_submission_says_what_to_do(admin_client, collective):
    response = admin_client.post(list_url(collective), {"emails": " , ", "message": ""})

    assert response.status_code == 200
    assert "Enter at least one email address." in response.content.decode()
    assert Invitation.objects.count() == 0


def test_submissions_are_rate_limited_per_collective(admin_client, collective, monkeypatch):
    monkeypatch.setattr(views, "SUBMISSIONS_PER_HOUR", 1)
    admin_client.post(list_url(collective), {"emails": "lea@example.fr", "message": ""})

    response = admin_client.post(list_url(collective), {"emails": "karim@example.fr", "message": ""})

    assert response.status_code == 200
    content = response.content.decode()
    assert "Too many invitations were sent in the last hour. Try again later." in content
    assert "karim@example.fr</textarea>" in content
    assert list(Invitation.objects.values_list("email", flat=True)) == ["lea@example.fr"]


# The list


def test_the_list_shows_each_status_with_its_dates_and_actions(admin_client, collective):
    now = timezone.now()
    pending = InvitationFactory(collective=collective, email="pending@example.fr")
    accepted = InvitationFactory(
        collective=collective, email="accepted@example.fr", accepted_at=now, accepted_by=UserFactory()
    )
    InvitationFactory(collective=collective, email="revoked@example.fr", revoked_at=now)
    expired = InvitationFactory(
        collective=collective,
        email="expired@example.fr",
        sent_at=now - timedelta(days=20),
        expires_at=now - timedelta(days=6),
    )

    response = admin_client.get(list_url(collective))

    content = response.content.decode()
    for state in ["pending", "accepted", "revoked", "expired"]:
        assert f'<span class="badge badge--{state}">' in content
    assert "valid until" in content
    assert "expired on" in content
    assert "revoked on" in content
    assert f"by {accepted.accepted_by.display_name} ({accepted.accepted_by.email})" in content
    # Only open invitations (pending or expired) can be re-sent or revoked
    assert resend_url(collective, pending) in content
    assert resend_url(collective, expired) in content
    assert resend_url(collective, accepted) not in content
    assert content.count('/resend/"') == 2
    assert content.count('/revoke/"') == 2
    assert 'All <span class="invitation-filters__count">(4)</span>' in content


def test_the_list_can_be_filtered_by_status(admin_client, collective):
    InvitationFactory(collective=collective, email="pending@example.fr")
    InvitationFactory(collective=collective, email="revoked@example.fr", revoked_at=timezone.now())

    response = admin_client.get(list_url(collective), {"status": "revoked"})

    content = response.content.decode()
    assert "revoked@example.fr" in content
    assert "pending@example.fr" not in content
    assert 'aria-current="page">Revoked' in content


def test_the_list_paginates_by_25(admin_client, collective):
    for n in range(30):
        InvitationFactory(collective=collective, email=f"person{n:02d}@example.fr")

    first = admin_client.get(list_url(collective)).content.decode()
    second = admin_client.get(list_url(collective), {"page": 2}).content.decode()

    assert first.count('class="invitation-row"') == 25
    assert second.count('class="invitation-row"') == 5
    assert "Page 2 of 2" in second


def test_a_member_sees_the_list_without_the_form_or_the_actions(client, collective, member_membership):
    invitation = InvitationFactory(collective=collective)
    client.force_login(member_membership.user)

    response = client.get(list_url(collective))

    assert response.status_code == 200
    content = response.content.decode()
    assert invitation.email in content
    assert "<textarea" not in content
    assert resend_url(collective, invitation) not in content


def test_the_query_count_does_not_grow_with_the_number_of_invitations(admin_client, collective):
    def count_queries():
        with CaptureQueriesContext(connection) as context:
            response = admin_client.get(list_url(collective))
        assert response.status_code == 200
        return len(context.captured_queries)

    for n in range(3):
        InvitationFactory(
            collective=collective, accepted_by=UserFactory(), accepted_at=timezone.now() if n else None
        )
    admin_client.get(list_url(collective))  # warm-up
    with_three = count_queries()
    for n in range(12):
        InvitationFactory(
            collective=collective, accepted_by=UserFactory(), accepted_at=timezone.now() if n else None
        )

    with_fifteen = count_queries()

    assert with_fifteen == with_three


def test_the_list_makes_a_fixed_number_of_queries(admin_client, collective, django_assert_num_queries):
    for _n in range(15):
        InvitationFactory(collective=collective)
    admin_client.get(list_url(collective))  # warm-up

    # user, memberships (the check and the navigation), counts, page count, page rows,
    # and the set-up thread while the page is not published
    with django_assert_num_queries(6):
        admin_client.get(list_url(collective))
    collective.is_published = True
    collective.save(update_fields=["is_published"])
    admin_client.get(list_url(collective))
    with django_assert_num_queries(5):
        admin_client.get(list_url(collective))


# Re-send and revoke


def test_resending_sends_a_new_link_and_returns_to_the_same_page(admin_client, collective):
    invitation = InvitationFactory(collective=collective, sent_at=timezone.now() - timedelta(days=2))
    old_token = invitation.raw_token
    back = f"{list_url(collective)}?status=pending"

    response = admin_client.post(resend_url(collective, invitation), {"next": back}, follow=True)

    assert response.redirect_chain == [(back, 302)]
    assert "sent again to" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    assert len(invitation_emails(invitation.email)) == 1
    # The old link no longer opens anything
    old_link = admin_client.get(reverse("invitations:accept", args=[old_token]))
    assert old_link.status_code == 404
    assert "This invitation link is not valid" in old_link.content.decode()


def test_resending_twice_in_a_row_sends_once(admin_client, collective):
    invitation = InvitationFactory(collective=collective, sent_at=timezone.now() - timedelta(days=2))
    admin_client.post(resend_url(collective, invitation))

    response = admin_client.post(resend_url(collective, invitation), follow=True)

    assert "was sent less than a minute ago" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.send_count == 2
    assert len(invitation_emails(invitation.email)) == 1


def test_resend_ignores_a_next_url_outside_the_list(admin_client, collective):
    invitation = InvitationFactory(collective=collective, sent_at=timezone.now() - timedelta(days=2))

    response = admin_client.post(resend_url(collective, invitation), {"next": "https://evil.example/"})

    assert response["Location"] == list_url(collective)


def test_revoking_makes_the_link_refused(admin_client, collective):
    invitation = InvitationFactory(collective=collective)

    response = admin_client.post(revoke_url(collective, invitation), follow=True)

    assert f"Invitation to {invitation.email} revoked" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    admin_client.logout()
    link = admin_client.get(reverse("invitations:accept", args=[invitation.raw_token]))
    assert link.status_code == 410
    assert "This invitation was withdrawn" in link.content.decode()


def test_revoking_an_accepted_invitation_is_refused(admin_client, collective):
    invitation = InvitationFactory(
        collective=collective, accepted_at=timezone.now(), accepted_by=UserFactory()
    )
    before = snapshot()

    response = admin_client.post(revoke_url(collective, invitation), follow=True)

    assert "This invitation was already accepted or revoked." in response.content.decode()
    assert snapshot() == before


def test_resend_and_revoke_only_accept_post(admin_client, collective):
    invitation = InvitationFactory(collective=collective)
    before = snapshot()

    assert admin_client.get(resend_url(collective, invitation)).status_code == 405
    assert admin_client.get(revoke_url(collective, invitation)).status_code == 405
    assert snapshot() == before


# Permissions and isolation


def test_a_member_who_is_not_admin_cannot_invite_resend_or_revoke(client, collective, member_membership):
    invitation = InvitationFactory(collective=collective, sent_at=timezone.now() - timedelta(days=2))
    client.force_login(member_membership.user)
    before = snapshot()

    invite = client.post(list_url(collective), {"emails": "lea@example.fr", "message": ""})
    resend = client.post(resend_url(collective, invitation))
    revoke = client.post(revoke_url(collective, invitation))

    assert (invite.status_code, resend.status_code, revoke.status_code) == (403, 403, 403)
    assert snapshot() == before


def test_an_admin_of_a_gets_404_on_the_invitations_of_b(admin_client, collective):
    other_admin = AdminMembershipFactory()
    b = other_admin.collective
    b_invitation = InvitationFactory(collective=b, invited_by=other_admin.user)
    before = snapshot()

    responses = [
        admin_client.get(list_url(b)),
        admin_client.post(list_url(b), {"emails": "lea@example.fr", "message": ""}),
        admin_client.post(resend_url(b, b_invitation)),
        admin_client.post(revoke_url(b, b_invitation)),
        # B's invitation smuggled under A's slug
        admin_client.post(resend_url(collective, b_invitation)),
        admin_client.post(revoke_url(collective, b_invitation)),
        admin_client.get(resend_url(collective, b_invitation)),
    ]

    assert [response.status_code for response in responses] == [404] * 7
    assert snapshot() == before


def test_a_list_of_a_does_not_show_the_invitations_of_b(admin_client, collective):
    InvitationFactory(collective=MembershipFactory().collective, email="elsewhere@example.fr")

    response = admin_client.get(list_url(collective))

    assert "elsewhere@example.fr" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client, collective):
    invitation = InvitationFactory(collective=collective)
    before = snapshot()
    login = reverse("account_login")

    responses = [
        client.get(list_url(collective)),
        client.post(list_url(collective), {"emails": "lea@example.fr"}),
        client.post(resend_url(collective, invitation)),
        client.post(revoke_url(collective, invitation)),
    ]

    for response in responses:
        assert response.status_code == 302
        assert response["Location"].startswith(f"{login}?next=")
    assert snapshot() == before


def test_once_the_page_is_published_sending_invitations_comes_back_to_the_list(admin_client, collective):
    collective.is_published = True
    collective.save(update_fields=["is_published"])

    response = admin_client.post(
        list_url(collective), {"emails": "lea@example.fr", "message": ""}, follow=True
    )

    assert response.redirect_chain == [(list_url(collective), 302)]
    assert Invitation.objects.get().email == "lea@example.fr"
    assert "setup-steps" not in response.content.decode()
