from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings
from django.urls import reverse

from cordee.accounts.adapter import AccountAdapter
from cordee.accounts.tests.helpers import PASSWORD, link_path, log_in, shown, shown_error
from cordee.core.models import OutboundEmail
from cordee.core.tests.factories import UserFactory

LOGIN_URL = "/accounts/login/"


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_login_page_offers_password_reset_and_sign_up(client, db):
    # When
    response = client.get(LOGIN_URL)

    # Then
    content = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in content
    assert f'href="{reverse("account_reset_password")}"' in content
    assert f'href="{reverse("account_signup")}"' in content
    assert shown("Forgot your password?") in content
    assert "Menu:" not in content  # allauth's bare layout is replaced by ours
    assert 'class="card auth-card stack"' in content


def test_login_with_the_right_password_logs_in_and_redirects(client, user):
    # When
    response = log_in(client, user.email)

    # Then
    assert response.status_code == 302
    assert response.url == reverse(settings.LOGIN_REDIRECT_URL)
    assert int(logged_in_user_id(client)) == user.pk


def test_login_with_a_wrong_password_is_refused_and_keeps_the_email(client, user):
    # When
    response = log_in(client, user.email, "wrong password")

    # Then
    assert response.status_code == 200
    assert logged_in_user_id(client) is None
    content = response.content.decode()
    assert shown_error(AccountAdapter.error_messages["email_password_mismatch"]) in content
    assert f'value="{user.email}"' in content


def test_login_with_an_unverified_email_is_refused_with_the_verification_message(client, db):
    # Given
    user = UserFactory(email="nora@example.fr", verified=False)

    # When
    response = log_in(client, "nora@example.fr", follow=True)

    # Then: not logged in, told to confirm the address, and a fresh link is sent
    assert logged_in_user_id(client) is None
    assert response.redirect_chain == [(reverse("account_email_verification_sent"), 302)]
    content = response.content.decode()
    assert shown("Check your inbox") in content
    assert (
        shown(
            "To keep your account safe, confirm your email address first: we have just sent you an email "
            "with a confirmation link. Click it and you are in."
        )
        in content
    )
    email = OutboundEmail.objects.get()
    assert (email.to_email, email.language) == (user.email, "fr")
    assert "/accounts/confirm-email/" in email.body_text


def test_login_rate_limit_refuses_even_the_right_password_until_the_window_passes(client, user):
    limited = shown_error(AccountAdapter.error_messages["too_many_login_attempts"])
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        # Given: five failed attempts, each refused for the wrong password
        for _attempt in range(5):
            response = log_in(client, user.email, "wrong password")
            assert limited not in response.content.decode()

        # When: the sixth attempt, then the right password
        sixth = log_in(client, user.email, "wrong password")
        right = log_in(client, user.email, PASSWORD)

        # Then: both are refused with the rate-limit message
        assert limited in sixth.content.decode()
        assert right.status_code == 200
        assert limited in right.content.decode()
        assert 'role="alert"' in right.content.decode()
        assert logged_in_user_id(client) is None

        # When the five-minute window has passed
        traveller.shift(timedelta(minutes=5, seconds=1))
        later = log_in(client, user.email, PASSWORD)

        # Then the right password works again
        assert later.status_code == 302
        assert int(logged_in_user_id(client)) == user.pk


def test_login_switches_the_interface_to_the_account_language(client, db):
    # Given
    user = UserFactory(email="sam@example.com", language="en")

    # When
    response = log_in(client, user.email)
    page = client.get(reverse("accounts:profile"))

    # Then
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert '<html lang="en">' in page.content.decode()
    assert "My profile" in page.content.decode()


def test_logout_page_asks_for_confirmation_then_logs_out(user_client):
    # When
    page = user_client.get(reverse("account_logout"))
    response = user_client.post(reverse("account_logout"))

    # Then
    assert page.status_code == 200
    assert shown("Log out of Cordée?") in page.content.decode()
    assert response.status_code == 302
    assert logged_in_user_id(user_client) is None


def test_the_sign_in_page_says_when_logging_in_pauses_and_how_to_lift_it(client, db):
    content = client.get("/accounts/login/").content.decode()

    assert (
        shown(
            "After five failed attempts, logging in to the account pauses for five minutes, even with the right "
            "password. Resetting your password lifts the pause at once."
        )
        in content
    )


def test_a_password_reset_lifts_the_pause_after_failed_attempts(client, user):
    limited = shown_error(AccountAdapter.error_messages["too_many_login_attempts"])
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        for _attempt in range(5):
            log_in(client, user.email, "wrong password")
        assert limited in log_in(client, user.email, PASSWORD).content.decode()

        # When: the password is reset through the emailed link
        client.post("/accounts/password/reset/", {"email": user.email})
        email = OutboundEmail.objects.filter(to_email=user.email).latest("pk")
        form_page = client.get(link_path(email.body_text, "/accounts/password/reset/key/"), follow=True)
        new_password = "une-nouvelle-phrase-secrete"
        client.post(form_page.redirect_chain[-1][0], {"password1": new_password, "password2": new_password})

        # Then: the new password logs in at once, within the five minutes
        response = log_in(client, user.email, new_password)
        assert response.status_code == 302
        assert int(logged_in_user_id(client)) == user.pk
