from django import forms
from django.utils.translation import gettext_lazy as _

from cordee.api.models import AccessToken, WebhookEndpoint


class AccessTokenForm(forms.Form):
    LIFETIMES = [("30", _("30 days")), ("90", _("90 days")), ("365", _("1 year")), ("", _("No expiry"))]

    name = forms.CharField(
        label=_("Name"),
        max_length=80,
        help_text=_("What will use it, e.g. “Accounting sync”. 80 characters at most."),
    )
    scope = forms.ChoiceField(
        label=_("Access"),
        choices=AccessToken.Scope.choices,
        initial=AccessToken.Scope.READ,
        widget=forms.RadioSelect,
    )
    lifetime = forms.ChoiceField(label=_("Expires after"), choices=LIFETIMES, initial="90", required=False)
    billing = forms.BooleanField(
        label=_("Also read billing (billing:read)"),
        required=False,
        help_text=_(
            "Invoices, quotes, payments and revenue splits, only those you may see on the billing pages. "
            "Off unless ticked."
        ),
    )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// address of your tool that accepts POST requests. 500 characters at most."),
    )
    description = forms.CharField(label=_("Description"), max_length=120, required=False)
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEndpoint.Event.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Invoice, credit note and quote events are sent only while the admin who adds the endpoint "
            "stays an admin of the collective."
        ),
    )
