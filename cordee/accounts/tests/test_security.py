from allauth.account.models import EmailAddress
from django.urls import reverse

from cordee.accounts.tests.helpers import in_language, log_in, shown
from cordee.core.models import OutboundEmail

SECURITY_URL = "/profile/security/"


def test_anonymous_visitor_is_sent_to_the_login_page(client, db):
    # When
    response = client.get(SECURITY_URL)

    # Then
    assert response.status_code == 302
    assert response.url == f"{reverse('account_login')}?next={SECURITY_URL}"


def test_security_page_shows_addresses_password_and_two_factor_status(user_client, user):
    # Given
    EmailAddress.objects.create(user=user, email="claire@atelier.fr", verified=False, primary=False)

    # When
    response = user_client.get(SECURITY_URL)

    # Then
    content = response.content.decode()
    assert response.status_code == 200
    assert [address.email for address in response.context["overview"].email_addresses] == [
        "claire@example.fr",
        "claire@atelier.fr",
    ]
    assert shown("Not confirmed") in content
    assert f'href="{reverse("account_change_password")}"' in content
    assert f'href="{reverse("account_email")}"' in content
    assert f'href="{reverse("mfa_activate_totp")}"' in content
    assert response.context["overview"].two_factor_enabled is False


def test_security_page_queries_do_not_grow_with_more_addresses(user_client, user, django_assert_num_queries):
    # Given: a warm-up call
    user_client.get(SECURITY_URL)
    with django_assert_num_queries(4):
        user_client.get(SECURITY_URL)

    # When: more addresses
    for number in range(5):
        EmailAddress.objects.create(user=user, email=f"other{number}@example.fr")

    # Then
    with django_assert_num_queries(4):
        response = user_client.get(SECURITY_URL)
    assert len(response.context["overview"].email_addresses) == 6


def test_adding_an_address_sends_it_a_confirmation_link(client, user):
    # Given
    log_in(client, user.email)

    # When
    response = client.post(reverse("account_email"), {"email": "claire@atelier.fr", "action_add": ""})

    # Then
    assert response.status_code == 302
    assert EmailAddress.objects.get(email="claire@atelier.fr").verified is False
    email = OutboundEmail.objects.get(to_email="claire@atelier.fr")
    assert email.subject == in_language("fr", "Please Confirm Your Email Address")
    assert "claire@atelier.fr" in email.body_text
    page = client.get(reverse("account_email"))
    assert "claire@atelier.fr" in page.content.decode()
    assert 'name="action_remove"' in page.content.decode()
    assert "data-confirm=" in page.content.decode()


def test_password_change_page_is_in_our_layout(client, user):
    # Given
    log_in(client, user.email)

    # When
    response = client.get(reverse("account_change_password"))

    # Then
    content = response.content.decode()
    assert 'class="account-tabs"' in content
    assert shown("Change my password") in content
    assert 'name="oldpassword"' in content


def test_sensitive_change_can_be_confirmed_with_an_emailed_code(client, user):
    # Given: logged in, then asked to confirm before setting up two-factor authentication
    log_in(client, user.email)
    password_page = client.get(reverse("mfa_activate_totp"), follow=True)
    (by_code,) = [
        alternative["url"]
        for alternative in password_page.context["reauthentication_alternatives"]
        if alternative["id"] == "reauthenticate_by_code"
    ]

    # When: a code is requested by email, then typed in
    request_page = client.get(by_code)
    requested = client.post(by_code, {"recipient": user.email})
    email = OutboundEmail.objects.get()
    code = email.body_text.split(in_language("fr", "Type this code in the open Cordée window to continue:"))[
        1
    ].split()[0]
    confirm_page = client.get(requested.url)
    wrong = client.post(requested.url, {"code": "WRONG1"})
    right = client.post(requested.url, {"code": code})

    # Then
    assert shown("Email me a code") in request_page.content.decode()
    assert email.subject == in_language("fr", "Your Cordée confirmation code")
    assert shown("Enter the code") in confirm_page.content.decode()
    assert user.email in confirm_page.content.decode()
    assert f'name="next" value="{reverse("mfa_activate_totp")}"' in confirm_page.content.decode()
    assert wrong.status_code == 200
    assert wrong.context["form"].errors["code"]
    assert right.status_code == 302
    assert right.url == reverse("mfa_activate_totp")
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
