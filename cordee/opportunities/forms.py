from django import forms
from django.utils.translation import gettext_lazy as _

from cordee.collectives.time import collective_today
from cordee.core.fields import DateInput
from cordee.opportunities.models import Opportunity
from cordee.opportunities.queries import collective_members_as_users


class OwnerChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.display_name


class ProjectDatesMixin:
    """A deadline cannot come before the desired start; past dates are refused when asked to."""

    refuse_past_dates = False

    def clean(self):
        cleaned_data = super().clean()
        desired_start = cleaned_data.get("desired_start")
        deadline = cleaned_data.get("deadline")
        if self.refuse_past_dates:
            today = collective_today(self.collective)
            for name in ("desired_start", "deadline"):
                value = cleaned_data.get(name)
                if value and value < today:
                    self.add_error(name, _("This date is already past."))
                    cleaned_data.pop(name, None)
            desired_start = cleaned_data.get("desired_start")
            deadline = cleaned_data.get("deadline")
        if desired_start and deadline and deadline < desired_start:
            self.add_error("deadline", _("The deadline cannot be before the desired start."))
        return cleaned_data


class OpportunityCreateForm(ProjectDatesMixin, forms.ModelForm):
    """An opportunity a member enters by hand (a call, a meeting, a referral)."""

    owner = OwnerChoiceField(queryset=None, required=False, empty_label=_("Unassigned"), label=_("Owner"))

    class Meta:
        model = Opportunity
        fields = [
            "contact_name",
            "contact_email",
            "company",
            "need",
            "budget",
            "desired_start",
            "deadline",
            "owner",
            "next_action",
            "next_action_date",
            "notes",
        ]
        labels = {"contact_name": _("Contact name"), "contact_email": _("Contact email")}
        help_texts = {
            "next_action": _("For example: call back to qualify the budget."),
            "notes": _("Only the members of the collective see these notes."),
        }
        widgets = {
            "need": forms.Textarea(attrs={"rows": 5}),
            "notes": forms.Textarea(attrs={"rows": 4}),
            "desired_start": DateInput(),
            "deadline": DateInput(),
            "next_action_date": DateInput(),
        }

    def __init__(self, *args, collective, **kwargs):
        self.collective = collective
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = collective_members_as_users(collective=collective)


class OpportunityEditForm(forms.Form):
    """What members change while they follow an opportunity: stage, owner, notes, next action."""

    stage = forms.ChoiceField(label=_("Stage"), choices=Opportunity.Stage.choices)
    owner = OwnerChoiceField(queryset=None, required=False, empty_label=_("Unassigned"), label=_("Owner"))
    next_action = forms.CharField(
        label=_("Next action"),
        max_length=200,
        required=False,
        help_text=_("For example: send the proposal."),
    )
    next_action_date = forms.DateField(label=_("Next action date"), required=False, widget=DateInput())
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Only the members of the collective see these notes."),
    )

    def __init__(self, *args, collective, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = collective_members_as_users(collective=collective)


class StageMoveForm(forms.Form):
    """The small form on each card of the board."""

    stage = forms.ChoiceField(label=_("Stage"), choices=Opportunity.Stage.choices)
