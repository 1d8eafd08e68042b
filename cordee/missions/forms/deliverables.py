from django import forms
from django.utils.translation import gettext_lazy as _

from cordee.core.deferred_text import format_day
from cordee.core.fields import DateField, DateInput, UserChoiceField
from cordee.missions.models import Deliverable
from cordee.missions.queries.team import team_users


class DeliverableForm(forms.Form):
    """A deliverable as the lead plans it: the announced date is automatic unless set by hand."""

    AUTOMATIC, BY_HAND = "automatic", "by_hand"

    title = forms.CharField(label=_("Title"), max_length=160)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=Deliverable._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the client receives, and how it will be checked."),
    )
    owner = UserChoiceField(
        label=_("Owner"),
        queryset=None,
        required=False,
        empty_label=_("No owner yet"),
        help_text=_("A member of the mission's team who answers for this deliverable."),
    )
    internal_date = DateField(
        label=_("Internal due date"),
        widget=DateInput(),
        help_text=_("The date the team aims for. Only the team sees it."),
    )
    announced_mode = forms.ChoiceField(
        label=_("Date announced to the client"),
        choices=[
            (AUTOMATIC, _("Automatic: the internal date plus the collective's margin")),
            (BY_HAND, _("Set by hand")),
        ],
        initial=AUTOMATIC,
        widget=forms.RadioSelect,
    )
    announced_date = DateField(
        label=_("Announced date, when set by hand"),
        required=False,
        widget=DateInput(),
        help_text=_("To push a date the client already knows back, send a delay notice instead."),
    )

    def __init__(self, *args, mission, collective, **kwargs):
        super().__init__(*args, **kwargs)
        self.mission = mission
        self.fields["owner"].queryset = team_users(mission)
        self.fields["announced_mode"].help_text = _(
            "%(percent)s %% of the business days since the mission's start (%(start)s), "
            "at least %(minimum)s business days; weekends and public holidays are skipped."
        ) % {
            "percent": collective.margin_percent,
            "start": format_day(mission.start_date),
            "minimum": collective.margin_min_business_days,
        }

    @classmethod
    def initial_for(cls, deliverable: Deliverable) -> dict:
        return {
            "title": deliverable.title,
            "description": deliverable.description,
            "owner": deliverable.owner_id,
            "internal_date": deliverable.internal_date,
            "announced_mode": cls.BY_HAND if deliverable.announced_date_overridden else cls.AUTOMATIC,
            "announced_date": deliverable.announced_date if deliverable.announced_date_overridden else None,
        }

    def clean(self):
        cleaned_data = super().clean()
        internal_date = cleaned_data.get("internal_date")
        if cleaned_data.get("announced_mode") == self.BY_HAND:
            announced_date = cleaned_data.get("announced_date")
            if announced_date is None and "announced_date" not in self.errors:
                self.add_error("announced_date", _("Choose the date announced to the client."))
            elif announced_date and internal_date and announced_date < internal_date:
                self.add_error(
                    "announced_date",
                    _("The announced date cannot be before the internal date (%(date)s).")
                    % {"date": format_day(internal_date)},
                )
        else:
            cleaned_data["announced_date"] = None
        if internal_date and internal_date < self.mission.start_date:
            self.add_error(
                "internal_date",
                _("The internal date cannot be before the mission's start (%(date)s).")
                % {"date": format_day(self.mission.start_date)},
            )
        return cleaned_data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "owner": data["owner"],
            "internal_date": data["internal_date"],
            "announced_date": data["announced_date"],
        }


class DeliverableStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Deliverable.Status.choices)


class DelayNoticeForm(forms.Form):
    new_date = DateField(
        label=_("New announced date"),
        widget=DateInput(),
        error_messages={"required": _("Choose the new announced date.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        error_messages={"required": _("Tell the client why the date moves.")},
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Say what happened and what the team does about it; the client reads it as written."),
    )

    def __init__(self, *args, deliverable: Deliverable, **kwargs):
        super().__init__(*args, **kwargs)
        self.deliverable = deliverable

    def clean_new_date(self):
        new_date = self.cleaned_data["new_date"]
        if new_date <= self.deliverable.announced_date:
            raise forms.ValidationError(
                _("The new date must be after the current announced date (%(date)s).")
                % {"date": format_day(self.deliverable.announced_date)}
            )
        return new_date

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Tell the client why the date moves."))
        return reason
