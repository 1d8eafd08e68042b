from allauth.account.adapter import DefaultAccountAdapter
from django.utils import timezone, translation

from cordee.core.outbox import email_enqueue


class AccountAdapter(DefaultAccountAdapter):
    """Routes allauth's emails (verification, password reset…) through the outbox."""

    def send_mail(self, template_prefix, email, context):
        from cordee.accounts.models import User

        user = User.objects.filter(email__iexact=email).first()
        language = user.language if user else translation.get_language() or "fr"
        # allauth passes objects in the context; keep only what templates read, rendered now.
        context = {**context, "current_site": self.get_current_site_for_email()}
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
