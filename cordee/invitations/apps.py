from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvitationsConfig(AppConfig):
    name = "cordee.invitations"
    label = "invitations"
    verbose_name = _("Invitations")

    def ready(self):
        from allauth.account.signals import user_logged_in, user_signed_up

        from cordee.invitations import receivers

        user_signed_up.connect(receivers.accept_invitation_on_signup, dispatch_uid="invitations_on_signup")
        user_logged_in.connect(receivers.accept_invitation_on_login, dispatch_uid="invitations_on_login")
