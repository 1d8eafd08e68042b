"""allauth's emails and pages, rendered with Cordée's templates."""

from datetime import UTC, datetime

import pytest
from django import forms
from django.template.loader import render_to_string

from cordee.core.outbox import render_email
from cordee.core.tests.factories import UserFactory

EMAIL_CONTEXT = {
    "email": "claire@example.fr",
    "activate_url": "http://testserver/accounts/confirm-email/KEY/",
    "password_reset_url": "http://testserver/accounts/password/reset/key/1-KEY/",
    "signup_url": "http://testserver/accounts/signup/",
    "code": "",
    "from_email": "old@example.fr",
    "to_email": "new@example.fr",
    "deleted_email": "old@example.fr",
    "ip": "203.0.113.7",
    "user_agent": "Firefox",
    "timestamp": datetime(2026, 3, 2, 9, 30, tzinfo=UTC),
}

EMAILS = {
    "account/email/email_confirmation_signup": "http://testserver/accounts/confirm-email/KEY/",
    "account/email/email_confirmation": "http://testserver/accounts/confirm-email/KEY/",
    "account/email/password_reset_key": "http://testserver/accounts/password/reset/key/1-KEY/",
    "account/email/unknown_account": "http://testserver/accounts/signup/",
    "account/email/account_already_exists": "http://testserver/accounts/password/reset/key/1-KEY/",
    "account/email/password_changed": "/accounts/password/reset/",
    "account/email/password_set": "/accounts/password/reset/",
    "account/email/password_reset": "/accounts/password/reset/",
    "account/email/email_changed": "/accounts/password/reset/",
    "account/email/email_confirm": "/accounts/password/reset/",
    "account/email/email_deleted": "/accounts/password/reset/",
    "mfa/email/totp_activated": "/accounts/password/reset/",
    "mfa/email/totp_deactivated": "/accounts/password/reset/",
    "mfa/email/recovery_codes_generated": "/accounts/password/reset/",
}


@pytest.mark.parametrize("template", list(EMAILS))
@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_allauth_email_has_a_subject_a_text_and_an_html_version_with_a_button(db, template, language):
    # Given
    context = {**EMAIL_CONTEXT, "user": UserFactory()}

    # When
    subject, text, html = render_email(template, context, language)

    # Then
    assert subject and "\n" not in subject and "{" not in subject
    assert EMAILS[template].split("testserver")[-1] in text
    assert f'<html lang="{language}">' in html
    assert 'style="display:inline-block;padding:12px 22px;' in html  # the shared button
    assert "&lt;" not in text and "&#x27;" not in text  # plain text is not HTML-escaped


def test_security_notices_tell_where_the_change_came_from(db):
    # When
    _subject, text, html = render_email(
        "account/email/email_changed", {**EMAIL_CONTEXT, "user": UserFactory()}, "en"
    )

    # Then
    assert "Your primary email address changed from old@example.fr to new@example.fr." in text
    assert "203.0.113.7" in text and "Firefox" in text
    assert "March 2, 2026" in text
    assert "203.0.113.7" in html


def test_code_variant_of_the_confirmation_email_shows_the_code(db):
    # When
    _subject, text, html = render_email(
        "account/email/email_confirmation_signup", {**EMAIL_CONTEXT, "code": "ABC-123"}, "en"
    )

    # Then
    assert "ABC-123" in text and "ABC-123" in html
    assert "confirm-email" not in html


class SampleForm(forms.Form):
    email = forms.EmailField(label="Email")


def test_allauth_pages_we_did_not_rewrite_use_our_layout_and_elements(rf, db):
    # Given: an allauth page built from its elements (only used if email changing is turned on)
    request = rf.get("/accounts/email/")
    request.user = UserFactory()
    form = SampleForm(data={"email": "not an email"})
    form.is_valid()

    # When
    html = render_to_string(
        "account/email_change.html",
        {"form": form, "emailaddresses": [], "request": request, "user": request.user},
        request=request,
    )

    # Then
    assert 'class="topbar"' in html
    assert "Menu:" not in html
    assert 'class="page-header"' in html
    assert 'class="field field--error"' in html
    assert 'class="button' in html
