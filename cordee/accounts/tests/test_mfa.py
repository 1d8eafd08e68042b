import time
from datetime import UTC, datetime, timedelta

import time_machine
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.urls import reverse

from cordee.accounts.tests.helpers import PASSWORD, in_language, log_in, shown
from cordee.core.models import OutboundEmail

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def log_in_and_confirm(client, user):
    """Log in with the form, then type the password again: two-factor changes need a fresh confirmation."""
    log_in(client, user.email)
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302


def activate_totp(client, user) -> str:
    """Activate the authenticator app with a code computed from the secret the page shows."""
    log_in_and_confirm(client, user)
    page = client.get(reverse("mfa_activate_totp"))
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in page.content.decode()
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    return secret


def test_activating_totp_with_a_code_then_login_asks_for_a_code(
    client, user, django_capture_on_commit_callbacks
):
    with time_machine.travel(NOW, tick=False) as traveller:
        # Given: the authenticator app is activated with a code computed from the page's secret
        with django_capture_on_commit_callbacks(execute=True):
            secret = activate_totp(client, user)
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).count() == 1
        assert Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).count() == 1
        notice = OutboundEmail.objects.get(to_email=user.email)
        assert notice.subject == in_language("fr", "Two-factor authentication is on")
        client.post(reverse("account_logout"))

        # When: logging in with the right password
        traveller.shift(timedelta(seconds=60))
        response = log_in(client, user.email)

        # Then: a code is asked for, and the user is not logged in yet
        assert response.status_code == 302
        assert response.url == reverse("mfa_authenticate")
        assert "_auth_user_id" not in client.session
        page = client.get(reverse("mfa_authenticate"))
        assert shown("Enter your code") in page.content.decode()

        # When: a wrong code, then the right one
        wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
        right = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})

        # Then
        assert wrong.status_code == 200
        assert wrong.context["form"].errors["code"]
        assert right.status_code == 302
        assert int(client.session["_auth_user_id"]) == user.pk


def test_activation_with_a_wrong_code_is_refused(client, user):
    # Given
    log_in_and_confirm(client, user)
    client.get(reverse("mfa_activate_totp"))

    # When
    response = client.post(reverse("mfa_activate_totp"), {"code": "123456"})

    # Then
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert 'value="123456"' in response.content.decode()
    assert not Authenticator.objects.filter(user=user).exists()


def test_a_recovery_code_replaces_a_lost_phone(client, user):
    with time_machine.travel(NOW, tick=False):
        # Given
        activate_totp(client, user)
        codes_page = client.get(reverse("mfa_view_recovery_codes"))
        recovery_code = codes_page.context["unused_codes"][0]
        client.post(reverse("account_logout"))

        # When
        log_in(client, user.email)
        response = client.post(reverse("mfa_authenticate"), {"code": recovery_code})

        # Then
        assert f"<code>{recovery_code}</code>" in codes_page.content.decode()
        assert response.status_code == 302
        assert int(client.session["_auth_user_id"]) == user.pk


def test_two_factor_pages_are_in_our_layout_and_show_the_status(client, user):
    with time_machine.travel(NOW, tick=False):
        # Given
        log_in(client, user.email)
        reauthenticate = client.get(reverse("mfa_activate_totp"), follow=True)
        client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
        before = client.get(reverse("mfa_index"))
        activation = client.get(reverse("mfa_activate_totp"))
        client.post(reverse("mfa_activate_totp"), {"code": totp_code(client.session[SECRET_SESSION_KEY])})

        # When
        after = client.get(reverse("mfa_index"))
        security = client.get(reverse("accounts:security"))

    # Then
    assert reauthenticate.redirect_chain[0][0].startswith(reverse("account_reauthenticate"))
    assert shown("Confirm it's you") in reauthenticate.content.decode()
    assert 'class="account-tabs"' in before.content.decode()
    assert shown("Set up the authenticator app") in before.content.decode()
    assert 'src="data:image/svg+xml;base64,' in activation.content.decode()
    assert shown("Deactivate") in after.content.decode()
    assert shown("Active") in security.content.decode()
    assert f'href="{reverse("mfa_index")}"' in security.content.decode()
