"""Forms of the client requests inbox: record a request, turn it into tasks, decline it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cordee.accounts.models import User
from cordee.clients.models import ClientContact
from cordee.core.fields import UserChoiceField
from cordee.missions.forms.tasks import (
    DeliverableChoiceField,
    mission_deliverables,
    role_choices,
)
from cordee.missions.models import ClientRequest, Deliverable, Mission
from cordee.missions.queries.team import team_users


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, contact):
        return f"{contact.full_name} ({contact.get_role_display()})"


class ClientRequestForm(forms.ModelForm):
    contact = ContactChoiceField(
        queryset=ClientContact.objects.none(),
        required=False,
        label=_("From"),
        empty_label=_("Not specified"),
        help_text=_("The client's contact who asked."),
    )

    class Meta:
        model = ClientRequest
        fields = ["title", "body", "contact"]
        labels = {"title": _("Summary"), "body": _("Details")}
        help_texts = {
            "title": _("In a few words, for example: change the colour of the buy button."),
            "body": _("What the client said or wrote, and any context the team needs."),
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = (
            ClientContact.objects.current()
            .filter(collective_id=mission.collective_id, client_id=mission.client_id)
            .order_by("full_name")
        )
        self.fields["title"].widget.attrs.update({"autocomplete": "off"})

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError(_("Summarise the request in a few words."), code="required")
        return title


class TriageTaskForm(forms.Form):
    """One task a request turns into (a row of the triage formset)."""

    title = forms.CharField(label=_("Task"), max_length=200)
    required_role = forms.ChoiceField(label=_("Role needed"), required=False)
    estimate_hours = forms.DecimalField(
        label=_("Estimate (hours)"),
        required=False,
        min_value=0,
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"min": "0", "step": "0.25", "inputmode": "decimal"}),
    )
    deliverable = DeliverableChoiceField(
        queryset=Deliverable.objects.none(), required=False, label=_("Deliverable"), empty_label=_("None")
    )
    assignee = UserChoiceField(queryset=User.objects.none(), required=False, label=_("Assignee"))

    def __init__(self, *args, mission: Mission, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs.update({"autocomplete": "off"})
        self.fields["required_role"].choices = role_choices(roles)
        self.fields["deliverable"].queryset = mission_deliverables(mission)
        self.fields["assignee"].queryset = team_users(mission)
        self.fields["assignee"].empty_label = (
            _("Automatic: the member holding the role")
            if mission.assignment_mode == Mission.AssignmentMode.BY_ROLE
            else _("Nobody yet")
        )

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError(_("Give the task a title."), code="required")
        return title


class BaseTriageFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(form.cleaned_data for form in self.forms):
            raise forms.ValidationError(_("Add at least one task."), code="no_task")

    def tasks(self) -> list[dict]:
        """The filled rows, as arguments for `client_request_plan` (an empty assignee: the mode decides)."""
        items = []
        for form in self.forms:
            data = form.cleaned_data
            if not data:
                continue
            item = {key: data.get(key) for key in ("title", "required_role", "estimate_hours", "deliverable")}
            item["required_role"] = item["required_role"] or ""
            if data.get("assignee") is not None:
                item["assignee"] = data["assignee"]
            items.append(item)
        return items


TriageFormSet = forms.formset_factory(
    TriageTaskForm,
    formset=BaseTriageFormSet,
    extra=2,
    min_num=1,
    validate_min=True,
    max_num=20,
    validate_max=True,
)


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=ClientRequest._meta.get_field("decline_reason").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Kept with the request, so that the team and the client know why."),
        error_messages={"required": _("Say why the request is declined.")},
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Say why the request is declined."), code="required")
        return reason
