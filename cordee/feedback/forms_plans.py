"""Forms of the improvement plans: a message and a list of initiatives (one row each)."""

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from cordee.core.fields import DateField, DateInput
from cordee.feedback.services.plans import MAX_INITIATIVES, InitiativeData


class PlanForm(forms.Form):
    message = forms.CharField(
        label=_("Message to the client"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("A few words before the list: thank them for their frankness, say what changes first."),
    )


class InitiativeForm(forms.Form):
    what = forms.CharField(label=_("Initiative"), max_length=300, required=False)
    improvement_point = forms.ChoiceField(label=_("Answers the point"), required=False)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=None, required=False)
    due_date = DateField(label=_("Due date"), required=False, widget=DateInput())

    def __init__(self, *args, points=(), team=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["improvement_point"].choices = [("", _("— General —"))] + [(p, p) for p in points]
        self.fields["owner"].queryset = team
        self.fields["owner"].label_from_instance = lambda user: user.display_name

    def is_blank(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return not (data.get("what") or "").strip()

    def clean(self):
        data = super().clean()
        if (data.get("what") or "").strip():
            if not data.get("due_date"):
                self.add_error("due_date", _("Give this initiative a due date."))
            if not data.get("owner"):
                self.add_error("owner", _("Choose who owns this initiative."))
        return data

    def to_data(self) -> InitiativeData:
        data = self.cleaned_data
        return InitiativeData(
            what=data["what"].strip(),
            improvement_point=data.get("improvement_point") or "",
            owner=data.get("owner"),
            due_date=data.get("due_date"),
        )


def initiative_formset(*, points, team, data=None, initial=None):
    initial = list(initial or [])
    extra = max(1, 3 - len(initial))
    formset_class = formset_factory(
        InitiativeForm, extra=extra, max_num=MAX_INITIATIVES, absolute_max=MAX_INITIATIVES, validate_max=True
    )
    return formset_class(
        data=data, initial=initial, prefix="initiatives", form_kwargs={"points": points, "team": team}
    )


def initiatives_from(formset) -> list[InitiativeData]:
    return [form.to_data() for form in formset.forms if form.cleaned_data and not form.is_blank()]
