from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from cordee.collectives.time import collective_today
from cordee.core.fields import DateInput
from cordee.opportunities.forms import ProjectDatesMixin
from cordee.opportunities.models import Opportunity

NEED_MAX_LENGTH = 5000
# The name of the trap field: visually hidden, humans leave it empty, spam robots fill it in.
HONEYPOT_FIELD = "website_url"


class ProposalForm(ProjectDatesMixin, forms.ModelForm):
    """The "Propose a project" form of the public page, filled in by a prospective client."""

    refuse_past_dates = True

    class Meta:
        model = Opportunity
        fields = ["contact_name", "contact_email", "company", "need", "budget", "desired_start", "deadline"]
        labels = {
            "contact_name": _("Your name"),
            "contact_email": _("Your email"),
            "company": _("Company or organisation"),
            "need": _("Your project"),
            "budget": _("Budget"),
            "desired_start": _("Desired start"),
            "deadline": _("Deadline"),
        }
        help_texts = {
            "contact_email": _("We will answer you at this address."),
            "need": _("What do you want to achieve, for whom, and under which constraints?"),
            "desired_start": _("Optional."),
            "deadline": _("Optional: the date by which it must be delivered."),
        }
        widgets = {
            "contact_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "company": forms.TextInput(attrs={"autocomplete": "organization"}),
            "need": forms.Textarea(attrs={"rows": 6, "maxlength": NEED_MAX_LENGTH}),
            "desired_start": DateInput(),
            "deadline": DateInput(),
        }

    def __init__(self, *args, collective, **kwargs):
        self.collective = collective
        super().__init__(*args, **kwargs)
        self.fields["need"].validators.append(MaxLengthValidator(NEED_MAX_LENGTH))
        today = collective_today(collective).isoformat()
        for name in ("desired_start", "deadline"):
            self.fields[name].widget.attrs["min"] = today
