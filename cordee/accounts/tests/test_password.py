from django.urls import reverse

from cordee.accounts.tests.helpers import PASSWORD, in_language, link_path, log_in, shown
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import UserFactory

RESET_URL = "/accounts/password/reset/"
NEW_PASSWORD = "une-nouvelle-phrase-secrete"


def test_password_reset_sends_an_outbox_email_whose_link_sets_a_new_password(client, user):
    # When: the reset is requested
    response = client.post(RESET_URL, {"email": "CLAIRE@example.fr"})

    # Then: the "check your inbox" page, and one email in the account's language
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    email = OutboundEmail.objects.get()
    assert (email.to_email, email.language) == ("claire@example.fr", "fr")
    assert email.subject == in_language("fr", "Reset your Cordée password")
    assert "/accounts/password/reset/key/" in email.body_html
    path = link_path(email.body_text, "/accounts/password/reset/key/")

    # When: the link is followed and a new password chosen
    form_page = client.get(path, follow=True)
    submitted = client.post(
        form_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    # Then
    assert shown("Choose a new password") in form_page.content.decode()
    assert submitted.status_code == 302
    assert submitted.url == reverse("account_reset_password_from_key_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert log_in(client, user.email, NEW_PASSWORD).status_code == 302
    notice = OutboundEmail.objects.exclude(pk=email.pk).get()
    assert notice.subject == in_language("fr", "Your Cordée password was reset")


def test_password_reset_link_works_only_once(client, user):
    # Given: a reset link already used
    client.post(RESET_URL, {"email": user.email})
    path = link_path(OutboundEmail.objects.get().body_text, "/accounts/password/reset/key/")
    form_url = client.get(path, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    # When
    response = client.get(path, follow=True)

    # Then
    assert shown("This link no longer works") in response.content.decode()
    assert f'href="{RESET_URL}"' in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_password_reset_for_an_unknown_address_says_the_same_and_tells_the_address(client, db):
    # When
    response = client.post(RESET_URL, {"email": "nobody@example.fr"})

    # Then: no account enumeration; the address gets a "no account here" email
    assert response.status_code == 302
    assert response.url == reverse("account_reset_password_done")
    email = OutboundEmail.objects.get()
    assert email.to_email == "nobody@example.fr"
    assert email.subject == in_language("fr", "No Cordée account uses this address")
    assert "nobody@example.fr" in email.body_text
    assert "/accounts/signup/" in email.body_html


def test_password_change_needs_the_current_password_and_sends_a_security_notice(client, db):
    # Given: a user who logged in with the form
    user = UserFactory(email="sam@example.com", language="en")
    log_in(client, user.email)

    # When: a wrong current password, then the right one
    refused = client.post(
        reverse("account_change_password"),
        {"oldpassword": "nope", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    accepted = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    # Then
    assert refused.status_code == 200
    assert refused.context["form"].errors["oldpassword"]
    assert accepted.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    notice = OutboundEmail.objects.get()
    assert (notice.to_email, notice.language, notice.subject) == (
        "sam@example.com",
        "en",
        "Your Cordée password was changed",
    )
    assert "Your password was changed." in notice.body_text
    assert "/accounts/password/reset/" in notice.body_html


def test_password_reset_page_is_in_our_layout(client, db):
    # When
    response = client.get(RESET_URL)

    # Then
    content = response.content.decode()
    assert 'class="topbar"' in content
    assert shown("Send me a reset link") in content
    assert f'href="{reverse("account_login")}"' in content
