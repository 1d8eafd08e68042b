"""Forms of a mission's core: creation and settings, team rows, lead change, team management."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from cordee.accounts.models import User
from cordee.clients.models import Client
from cordee.collectives.models import Membership
from cordee.core.fields import DateField, DateInput, UserChoiceField
from cordee.missions.models import Mission, MissionMember
from cordee.missions.services.missions import RECAP_WEEKDAYS

WEEKDAY_CHOICES = [(day, WEEKDAYS[day]) for day in RECAP_WEEKDAYS]


def collective_users(collective):
    return User.objects.filter(
        memberships__collective=collective, memberships__archived_at__isnull=True
    ).order_by("full_name", "email")


def _decimal_widget(step: str, placeholder: str = "") -> forms.NumberInput:
    attrs = {"step": step, "min": "0", "inputmode": "decimal"}
    if placeholder:
        attrs["placeholder"] = placeholder
    return forms.NumberInput(attrs=attrs)


class MissionSettingsForm(forms.Form):
    """The fields a mission's creation and its settings page share."""

    title = forms.CharField(label=_("Title"), max_length=Mission._meta.get_field("title").max_length)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=Mission._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The need, the scope and what “done” means for the client."),
    )
    start_date = DateField(label=_("Start date"), widget=DateInput())
    assignment_mode = forms.ChoiceField(
        label=_("Task assignment"),
        choices=Mission.AssignmentMode.choices,
        widget=forms.RadioSelect,
        help_text=_(
            "Who gives tasks to whom. It can change during the mission; the server enforces the mode chosen."
        ),
    )
    recaps_per_week = forms.TypedChoiceField(
        label=_("Progress recaps per week"),
        choices=[(1, _("Once a week")), (2, _("Twice a week"))],
        coerce=int,
        widget=forms.RadioSelect,
    )
    recap_weekdays = forms.TypedMultipleChoiceField(
        label=_("Recap days"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Pick as many days as recaps per week."),
    )
    ritual_kind = forms.ChoiceField(
        label=_("Weekly ritual"),
        choices=Mission.RitualKind.choices,
        widget=forms.RadioSelect,
        help_text=_("A 30-minute call with the client, or a short video on the week's priorities."),
    )
    delay_notice_min_business_days = forms.IntegerField(
        label=_("Minimum notice for a delay (business days)"),
        min_value=0,
        max_value=60,
        help_text=_("A delay announced later than this before the announced date is flagged as late."),
    )
    feedback_enabled = forms.BooleanField(label=_("Send satisfaction surveys to the client"), required=False)
    feedback_first_after_days = forms.IntegerField(
        label=_("First survey after (days)"), min_value=1, max_value=365
    )
    feedback_every_days = forms.IntegerField(
        label=_("Then a survey every (days)"), min_value=1, max_value=365
    )

    def __init__(self, *args, collective, **kwargs):
        super().__init__(*args, **kwargs)
        self.collective = collective

    def communication_fields(self):
        return [
            self[name]
            for name in ("recaps_per_week", "recap_weekdays", "ritual_kind", "delay_notice_min_business_days")
        ]

    def feedback_fields(self):
        return [
            self[name] for name in ("feedback_enabled", "feedback_first_after_days", "feedback_every_days")
        ]

    def clean(self):
        cleaned_data = super().clean()
        recaps = cleaned_data.get("recaps_per_week")
        weekdays = cleaned_data.get("recap_weekdays")
        if recaps and weekdays is not None and len(set(weekdays)) != recaps:
            self.add_error(
                "recap_weekdays",
                ValidationError(
                    _("Pick exactly one weekday for the recap.")
                    if recaps == 1
                    else _("Pick exactly two weekdays for the recaps."),
                    code="weekday_count",
                ),
            )
        return cleaned_data


class MissionCreateForm(MissionSettingsForm):
    client = forms.ModelChoiceField(
        label=_("Client"),
        queryset=Client.objects.none(),
        required=False,
        empty_label=_("— A new client —"),
    )
    new_client_name = forms.CharField(
        label=_("New client: company name"),
        max_length=Client._meta.get_field("name").max_length,
        required=False,
        help_text=_("Only when the client is not in the list. You can complete its details later."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    lead = UserChoiceField(
        label=_("Lead"),
        queryset=User.objects.none(),
        help_text=_(
            "The client's single contact: centralises their feedback, sends the recaps, announces delays."
        ),
    )

    field_order = [
        "title",
        "client",
        "new_client_name",
        "description",
        "lead",
        "start_date",
        "assignment_mode",
    ]

    def __init__(self, *args, opportunity=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.opportunity = opportunity
        self.fields["client"].queryset = (
            Client.objects.current().filter(collective=self.collective).order_by("name")
        )
        self.fields["lead"].queryset = collective_users(self.collective)
        if opportunity is not None:
            self.fields["new_client_name"].help_text = _(
                "Leave both empty to create the client from the opportunity: %(company)s."
            ) % {"company": opportunity.company or opportunity.contact_name}

    def general_fields(self):
        return [
            self[name] for name in ("title", "client", "new_client_name", "description", "lead", "start_date")
        ]

    def clean(self):
        cleaned_data = super().clean()
        client, new_name = cleaned_data.get("client"), (cleaned_data.get("new_client_name") or "").strip()
        if client is not None and new_name:
            self.add_error(
                "new_client_name",
                ValidationError(
                    _("Choose an existing client or give the name of a new one, not both."), code="both"
                ),
            )
        elif client is None and not new_name and self.opportunity is None and "client" not in self.errors:
            self.add_error(
                "client",
                ValidationError(_("Choose a client or give the name of a new one."), code="client_required"),
            )
        return cleaned_data


class MissionEditForm(MissionSettingsForm):
    client = forms.ModelChoiceField(label=_("Client"), queryset=Client.objects.none())

    field_order = ["title", "client", "description", "start_date", "assignment_mode"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An archived client stays selectable on the missions that already have it.
        self.fields["client"].queryset = (
            Client.objects.filter(collective=self.collective)
            .filter(Q(archived_at__isnull=True) | Q(pk=self.initial.get("client")))
            .order_by("name")
        )

    def general_fields(self):
        return [self[name] for name in ("title", "client", "description", "start_date")]


# --- Team ------------------------------------------------------------------------------------------


class TeamRowForm(forms.Form):
    """One member of the collective in the creation form: on the team or not, role, rate, capacity."""

    user = forms.ModelChoiceField(queryset=User.objects.none(), widget=forms.HiddenInput)
    selected = forms.BooleanField(label=_("On the team"), required=False)
    role = forms.CharField(
        label=_("Role on the mission"),
        max_length=MissionMember._meta.get_field("role").max_length,
        required=False,
    )
    day_rate = forms.DecimalField(
        label=_("Day rate (€, excl. VAT)"), max_digits=10, decimal_places=2, min_value=0, required=False
    )
    weekly_capacity_hours = forms.DecimalField(
        label=_("Hours per week"), max_digits=5, decimal_places=2, min_value=0, max_value=168, required=False
    )

    def __init__(self, *args, collective, memberships: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = collective_users(collective)
        self.fields["day_rate"].widget = _decimal_widget("10")
        self.fields["weekly_capacity_hours"].widget = _decimal_widget("0.5", _("Full time"))
        user_id = self.data.get(self.add_prefix("user")) if self.is_bound else self.initial.get("user")
        try:
            self.membership = memberships.get(int(user_id)) if user_id else None
        except (TypeError, ValueError):
            self.membership = None


class BaseTeamFormSet(forms.BaseFormSet):
    def team(self) -> list[dict]:
        """The selected rows, as the `team` argument of mission_create."""
        return [
            {
                "user": form.cleaned_data["user"],
                "role": form.cleaned_data.get("role", ""),
                "day_rate": form.cleaned_data.get("day_rate"),
                "weekly_capacity_hours": form.cleaned_data.get("weekly_capacity_hours"),
            }
            for form in self.forms
            if form.cleaned_data.get("selected") and form.cleaned_data.get("user")
        ]


TeamFormSet = forms.formset_factory(
    TeamRowForm, formset=BaseTeamFormSet, extra=0, max_num=50, validate_max=True
)


def team_formset(*, collective, data=None, lead_id=None, roles: dict | None = None) -> BaseTeamFormSet:
    """One row per member of the collective; the lead's row starts ticked, rates from the memberships."""
    memberships = {
        membership.user_id: membership
        for membership in Membership.objects.filter(collective=collective)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    }
    initial = [
        {
            "user": user_id,
            "selected": user_id == lead_id,
            "role": (roles or {}).get(user_id, membership.title),
            "day_rate": membership.day_rate,
        }
        for user_id, membership in memberships.items()
    ]
    return TeamFormSet(
        data,
        initial=None if data is not None else initial,
        prefix="team",
        form_kwargs={"collective": collective, "memberships": memberships},
    )


class TeamMemberAddForm(forms.Form):
    user = UserChoiceField(label=_("Member"), queryset=User.objects.none())
    role = forms.CharField(
        label=_("Role on the mission"),
        max_length=MissionMember._meta.get_field("role").max_length,
        required=False,
        help_text=_("For example: design, back-end, front-end."),
    )
    day_rate = forms.DecimalField(
        label=_("Day rate (€, excl. VAT)"),
        max_digits=10,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Leave empty to use the member's day rate in the collective."),
    )
    weekly_capacity_hours = forms.DecimalField(
        label=_("Hours per week on this mission"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=168,
        required=False,
        help_text=_("Leave empty for full time."),
    )

    def __init__(self, *args, mission, **kwargs):
        super().__init__(*args, prefix="add", **kwargs)
        self.fields["user"].queryset = collective_users(mission.collective_id).exclude(
            mission_memberships__mission=mission
        )
        self.fields["day_rate"].widget = _decimal_widget("10")
        self.fields["weekly_capacity_hours"].widget = _decimal_widget("0.5", _("Full time"))


class TeamMemberEditForm(forms.Form):
    """A team member's role, rate and capacity; one per member on the team page (prefixed by its id)."""

    role = forms.CharField(
        label=_("Role on the mission"),
        max_length=MissionMember._meta.get_field("role").max_length,
        required=False,
    )
    day_rate = forms.DecimalField(
        label=_("Day rate (€, excl. VAT)"), max_digits=10, decimal_places=2, min_value=0, required=False
    )
    weekly_capacity_hours = forms.DecimalField(
        label=_("Hours per week on this mission"),
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=168,
        required=False,
        help_text=_("Leave empty for full time."),
    )

    def __init__(self, *args, member: MissionMember, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "role": member.role,
                "day_rate": member.day_rate,
                "weekly_capacity_hours": member.weekly_capacity_hours,
            },
        )
        super().__init__(*args, prefix=f"member-{member.pk}", **kwargs)
        self.member = member
        self.fields["day_rate"].widget = _decimal_widget("10")
        self.fields["weekly_capacity_hours"].widget = _decimal_widget("0.5", _("Full time"))


class LeadChangeForm(forms.Form):
    lead = UserChoiceField(label=_("New lead"), queryset=User.objects.none())
    message = forms.CharField(
        label=_("A word for the client (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Added to the email that introduces the new lead to the client's contacts."),
    )

    def __init__(self, *args, mission, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = collective_users(mission.collective_id).exclude(pk=mission.lead_id)
