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
    with django_assert_num_queries(5):
        user_client.get(SECURITY_URL)

    # When: more addresses
    for number in range(5):
        EmailAddress.objects.create(user=user, email=f"other{number}@example.fr")

    # Then
    with django_assert_num_queries(5):
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
