"""Forms of the task board: a task's details, a move, an assignment."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cordee.accounts.models import User
from cordee.core.fields import DateInput, UserChoiceField
from cordee.missions.models import Deliverable, Mission, Task
from cordee.missions.queries.team import team_users
from cordee.missions.services.tasks import role_key


class DeliverableChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, deliverable):
        return deliverable.title


def mission_deliverables(mission: Mission):
    return Deliverable.objects.filter(collective_id=mission.collective_id, mission=mission).order_by(
        "internal_date", "position", "pk"
    )


def role_choices(roles: list[str], current: str = "") -> list[tuple[str, str]]:
    """ "No particular role" then the team's roles, plus the task's current role if nobody holds it now."""
    choices = [("", _("No particular role"))] + [(role, role) for role in roles]
    if current and role_key(current) not in {role_key(role) for role in roles}:
        choices.append((current, _("%(role)s (nobody on the team)") % {"role": current}))
    return choices


class TaskForm(forms.ModelForm):
    """Create or edit a task. The assignee field is there only for those who may assign (the lead)."""

    required_role = forms.ChoiceField(label=_("Role needed"), required=False)
    deliverable = DeliverableChoiceField(
        queryset=Deliverable.objects.none(), required=False, label=_("Deliverable"), empty_label=_("None")
    )
    assignee = UserChoiceField(queryset=User.objects.none(), required=False, label=_("Assignee"))

    class Meta:
        model = Task
        fields = [
            "title",
            "description",
            "deliverable",
            "required_role",
            "estimate_hours",
            "due_date",
            "assignee",
        ]
        labels = {"estimate_hours": _("Estimate (hours)"), "due_date": _("Due date")}
        help_texts = {
            "estimate_hours": _("Open estimates feed the deliverable's health and each member's load."),
        }
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "estimate_hours": forms.NumberInput(attrs={"min": "0", "step": "0.25", "inputmode": "decimal"}),
            "due_date": DateInput(),
        }

    def __init__(self, *args, mission: Mission, roles: list[str], can_assign: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.mission = mission
        self.fields["title"].widget.attrs.update({"autocomplete": "off"})
        self.fields["deliverable"].queryset = mission_deliverables(mission)
        self.fields["required_role"].choices = role_choices(roles, self.instance.required_role)
        if can_assign:
            self.fields["assignee"].queryset = team_users(mission)
            if mission.assignment_mode == Mission.AssignmentMode.BY_ROLE and not self.instance.pk:
                self.fields["assignee"].empty_label = _("Automatic: the member holding the role")
                self.fields["assignee"].help_text = _(
                    "Leave on automatic to give the task to the least loaded member holding its role."
                )
            else:
                self.fields["assignee"].empty_label = _("Nobody yet")
        else:
            del self.fields["assignee"]

    def clean_title(self):
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError(_("Give the task a title."), code="required")
        return title


class TaskMoveForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices)


class TaskPlaceForm(forms.Form):
    """A drop on the board: the column, and the card the task goes above (empty: the bottom)."""

    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices)
    before = forms.IntegerField(required=False, min_value=1)


class TaskReorderForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])


class TaskAssignForm(forms.Form):
    assignee = UserChoiceField(
        queryset=User.objects.none(), required=False, label=_("Assignee"), empty_label=_("Nobody")
    )

    def __init__(self, *args, mission: Mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = team_users(mission)
