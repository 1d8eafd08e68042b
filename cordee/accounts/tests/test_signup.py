from allauth.account.models import EmailAddress
from django.urls import reverse

from cordee.accounts.models import User
from cordee.accounts.tests.helpers import in_language, link_path, shown
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import UserFactory

SIGNUP_URL = "/accounts/signup/"


def test_signup_form_asks_only_for_an_email_a_name_and_a_password(client, db):
    # When
    response = client.get(SIGNUP_URL)

    # Then
    assert response.status_code == 200
    assert list(response.context["form"].fields) == ["email", "full_name", "password1"]
    assert '<html lang="fr">' in response.content.decode()
    assert 'class="topbar"' in response.content.decode()
    assert f'href="{reverse("account_login")}"' in response.content.decode()


def test_signup_creates_an_unverified_user_and_a_french_verification_email(client, db):
    # When
    response = client.post(
        SIGNUP_URL,
        {"email": "Nora@Example.fr", "full_name": "Léa Fontaine", "password1": "un-long-mot-de-passe-2026"},
    )

    # Then
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = User.objects.get()
    assert user.email == "nora@example.fr"
    assert user.full_name == "Léa Fontaine"
    assert user.language == "fr"
    assert user.check_password("un-long-mot-de-passe-2026")
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == ("nora@example.fr", False, True)
    email = OutboundEmail.objects.get()
    assert email.to_email == "nora@example.fr"
    assert email.language == "fr"
    assert email.subject == in_language("fr", "Please Confirm Your Email Address")
    assert email.subject == "Confirmez votre adresse e-mail"
    assert "/accounts/confirm-email/" in email.body_text
    assert "/accounts/confirm-email/" in email.body_html
    assert (
        in_language("fr", "Sent by Cordée, the operating system of freelance collectives.") in email.body_html
    )
    assert '<html lang="fr">' in email.body_html


def test_verification_link_confirms_the_email_and_logs_the_user_in(client, db):
    # Given
    client.post(
        SIGNUP_URL,
        {"email": "nora@example.fr", "full_name": "Léa Fontaine", "password1": "un-long-mot-de-passe-2026"},
    )
    path = link_path(OutboundEmail.objects.get().body_text, "/accounts/confirm-email/")

    # When: the link shows a confirmation page, whose button confirms
    page = client.get(path)
    response = client.post(path)

    # Then
    assert page.status_code == 200
    assert shown("Confirm my address") in page.content.decode()
    assert response.status_code == 302
    # a new account goes on with the set-up: its collective's creation
    assert response.url == reverse("collectives:create")
    user = User.objects.get(email="nora@example.fr")
    assert EmailAddress.objects.get(user=user).verified is True
    assert int(client.session["_auth_user_id"]) == user.pk


def test_expired_or_unknown_confirmation_link_says_what_to_do(client, db):
    # When
    response = client.get("/accounts/confirm-email/not-a-real-key/")

    # Then
    assert response.status_code == 200
    assert shown("This link no longer works") in response.content.decode()
    assert f'href="{reverse("account_login")}"' in response.content.decode()


def test_signup_in_english_stores_english_and_sends_the_email_in_english(client, db):
    # When
    client.post(
        SIGNUP_URL,
        {"email": "sam@example.com", "full_name": "Léa Fontaine", "password1": "a-long-password-2026"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    # Then
    assert User.objects.get().language == "en"
    email = OutboundEmail.objects.get()
    assert (email.language, email.subject) == ("en", "Please Confirm Your Email Address")
    assert "Welcome to Cordée! One last step" in email.body_text


def test_signup_with_a_taken_email_creates_nobody_and_warns_the_owner(client, db):
    # Given
    owner = UserFactory(email="claire@example.fr", language="en")

    # When
    response = client.post(
        SIGNUP_URL,
        {"email": "claire@example.fr", "full_name": "Léa Fontaine", "password1": "another-long-password-1"},
    )

    # Then: same answer as a new sign-up (no account enumeration), and the owner is told
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert list(User.objects.all()) == [owner]
    email = OutboundEmail.objects.get()
    assert (email.to_email, email.language, email.subject) == (
        "claire@example.fr",
        "en",
        "You already have a Cordée account",
    )
    assert "/accounts/password/reset/" in email.body_text


def test_signup_refuses_a_weak_password_and_keeps_the_email(client, db):
    # When
    response = client.post(
        SIGNUP_URL, {"email": "nora@example.fr", "full_name": "Léa Fontaine", "password1": "123"}
    )

    # Then
    assert response.status_code == 200
    assert response.context["form"].errors["password1"]
    assert 'value="nora@example.fr"' in response.content.decode()
    assert User.objects.count() == 0
    assert OutboundEmail.objects.count() == 0


def test_verification_sent_page_explains_the_next_step(client, db):
    # When
    response = client.get(reverse("account_email_verification_sent"))

    # Then
    assert response.status_code == 200
    assert shown("Check your inbox") in response.content.decode()
