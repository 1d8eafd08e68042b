"""The recap editor: the subject and the text the client reads."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cordee.communication.models import Recap


class RecapForm(forms.Form):
    subject = forms.CharField(
        label=_("Subject"),
        max_length=Recap._meta.get_field("subject").max_length,
        error_messages={"required": _("Give the email a subject.")},
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=Recap._meta.get_field("body").max_length,
        widget=forms.Textarea(attrs={"rows": 22, "class": "recap-editor__body"}),
        strip=False,
        help_text=_(
            "Plain text. A blank line starts a new paragraph; lines starting with “- ” become a list, "
            "and indented lines stay with the item above."
        ),
        error_messages={"required": _("Write the recap before saving it.")},
    )

    def clean_body(self):
        body = self.cleaned_data["body"].replace("\r\n", "\n")
        if not body.strip():
            raise forms.ValidationError(_("Write the recap before saving it."), code="required")
        return body
