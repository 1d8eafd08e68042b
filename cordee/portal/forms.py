from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class PortalLoginForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        help_text=_("The address your contact in the collective knows you by."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class PortalRequestForm(forms.Form):
    title = forms.CharField(
        label=_("Summary"),
        max_length=200,
        help_text=_("In a few words, for example: “Change the colour of the buy button”."),
    )
    body = forms.CharField(
        label=_("Details"),
        required=False,
        max_length=5000,
        help_text=_("Optional: context, links, what you expect."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError(_("Summarise the request in a few words."), code="required")
        return title


class PortalLanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)
