from allauth.account.adapter import DefaultAccountAdapter
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from cordee.accounts.language import language_cookie_set, supported_language
from cordee.accounts.models import User
from cordee.core.outbox import email_enqueue


class AccountAdapter(DefaultAccountAdapter):
    """allauth's hooks for Cordée: emails through the outbox, and the account's language."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": _(
            "Too many failed login attempts. To protect this account, logging in is paused for a few "
            "minutes, even with the right password. Try again later, or reset your password."
        ),
        "email_password_mismatch": _(
            "This email address and password do not match. Check both and try again."
        ),
    }

    def send_mail(self, template_prefix, email, context):
        """Routes allauth's emails (verification, password reset…) through the outbox."""
        user = User.objects.filter(email__iexact=email).first()
        language = user.language if user else supported_language(translation.get_language())
        # allauth passes objects in the context; keep only what templates read, rendered now.
        context = {"email": email, **context, "current_site": self.get_current_site_for_email()}
        email_enqueue(
            key=f"allauth:{template_prefix}:{email}:{timezone.now().isoformat()}",
            to=email,
            template=template_prefix,
            context=context,
            language=language,
        )

    def get_current_site_for_email(self):
        from django.contrib.sites.shortcuts import get_current_site

        return get_current_site(self.request)

    def save_user(self, request, user, form, commit=True):
        """A new account speaks the language its owner signed up in (French by default)."""
        user.language = supported_language(translation.get_language())
        return super().save_user(request, user, form, commit=commit)

    def post_login(self, request, user, **kwargs):
        """After logging in, the interface switches to the language saved on the account."""
        language = supported_language(user.language)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = super().post_login(request, user, **kwargs)
        language_cookie_set(response, language)
        return response
