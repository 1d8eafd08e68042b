from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cordee.invitations.parsing import parse_addresses
from cordee.invitations.services import MAX_ADDRESSES_PER_SUBMISSION, MESSAGE_MAX_LENGTH


class InvitationForm(forms.Form):
    emails = forms.CharField(
        label=_("Email addresses"),
        help_text=format_lazy(
            _(
                "Paste one or several addresses, separated by commas, semicolons, spaces or new lines "
                "(“{example}” works too), up to {limit} at a time."
            ),
            example="Léa Martin <lea@exemple.fr>",
            limit=MAX_ADDRESSES_PER_SUBMISSION,
        ),
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "placeholder": "lea@exemple.fr, Karim Benali <karim@exemple.fr>",
                "aria-describedby": "id_emails_helptext id_emails_errors",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
        error_messages={"required": _("Enter at least one email address.")},
    )
    message = forms.CharField(
        label=_("Personal message (optional)"),
        help_text=_("Added to the email, under your name."),
        required=False,
        max_length=MESSAGE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "aria-describedby": "id_message_helptext"}),
    )

    def clean_emails(self) -> list[str]:
        parsed = parse_addresses(self.cleaned_data["emails"])
        if parsed.invalid:
            raise forms.ValidationError(
                ngettext(
                    "This is not a valid email address: %(entries)s. Correct or remove it; "
                    "no invitation was sent.",
                    "These are not valid email addresses: %(entries)s. Correct or remove them; "
                    "no invitation was sent.",
                    len(parsed.invalid),
                )
                % {"entries": ", ".join(f"“{entry}”" for entry in parsed.invalid)},
                code="invalid",
            )
        if not parsed.addresses:
            raise forms.ValidationError(self.fields["emails"].error_messages["required"], code="required")
        if len(parsed.addresses) > MAX_ADDRESSES_PER_SUBMISSION:
            raise forms.ValidationError(
                ngettext(
                    "You entered %(count)d addresses; you can invite up to %(limit)d person at a time.",
                    "You entered %(count)d addresses; you can invite up to %(limit)d people at a time.",
                    MAX_ADDRESSES_PER_SUBMISSION,
                )
                % {"count": len(parsed.addresses), "limit": MAX_ADDRESSES_PER_SUBMISSION},
                code="too_many",
            )
        return parsed.emails
