from decimal import Decimal

from django import forms
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from cordee.core.fields import DateField, DateInput
from cordee.core.forms import add_service_error
from cordee.core.numbers import hours_plain
from cordee.missions.models import Deliverable, Task
from cordee.timesheets.models import TimeEntry
from cordee.timesheets.services import hours_errors


class HoursField(forms.DecimalField):
    """A decimal typed either way, 3,5 or 3.5, whatever the page's language (no one types thousands here)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
        return super().to_python(value)


class TimeEntryForm(forms.Form):
    """Log or change one entry: a duration in hours or in days, on a deliverable or task of the mission."""

    class Unit:
        HOURS = "hours"
        DAYS = "days"

    date = DateField(label=_("Day"), widget=DateInput())
    duration = HoursField(
        label=_("Time spent"),
        localize=True,
        max_digits=7,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 6}),
        error_messages={"invalid": _("Enter a number, for example 1.5 or 0.5.")},
    )
    unit = forms.ChoiceField(
        label=_("Counted in"),
        choices=[(Unit.HOURS, _("hours")), (Unit.DAYS, _("days"))],
        initial=Unit.HOURS,
        widget=forms.RadioSelect,
    )
    activity = forms.ChoiceField(label=_("Activity"), choices=TimeEntry.Activity.choices)
    deliverable = forms.ModelChoiceField(
        label=_("Deliverable"),
        queryset=Deliverable.objects.none(),
        required=False,
        empty_label=_("— None —"),
        error_messages={"invalid_choice": _("Choose a deliverable of this mission.")},
    )
    task = forms.ModelChoiceField(
        label=_("Task"),
        queryset=Task.objects.none(),
        required=False,
        empty_label=_("— None —"),
        error_messages={"invalid_choice": _("Choose a task of this mission.")},
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    # Errors of the service, by its argument names, shown on this form's fields.
    SERVICE_FIELDS = {"hours": "duration", "date": "date", "activity": "activity"}

    def __init__(self, *args, mission, hours_per_day: Decimal, **kwargs):
        super().__init__(*args, **kwargs)
        self.mission = mission
        self.fields["deliverable"].queryset = Deliverable.objects.filter(
            collective_id=mission.collective_id, mission=mission
        )
        tasks = Task.objects.filter(collective_id=mission.collective_id, mission=mission)
        self.fields["task"].queryset = tasks
        self.fields["task"].choices = self._task_choices(tasks)
        self.fields["duration"].help_text = _(
            "In quarter hours; a day counts %(hours)s h in this collective."
        ) % {"hours": hours_plain(hours_per_day)}
        self.fields["task"].help_text = _("The task's deliverable is filled in when you leave it empty.")

    def _task_choices(self, tasks) -> list:
        """The tasks grouped by deliverable (in the deliverables' order), those without one last."""
        groups: dict = {}
        ordered = tasks.select_related("deliverable").order_by(
            F("deliverable__internal_date").asc(nulls_last=True),
            "deliverable__position",
            "deliverable_id",
            "position",
            "pk",
        )
        for task in ordered:
            label = task.deliverable.title if task.deliverable else _("No deliverable")
            title = task.title if task.is_open else _("%(title)s (done)") % {"title": task.title}
            groups.setdefault((task.deliverable_id, str(label)), []).append((task.pk, title))
        return [("", self.fields["task"].empty_label)] + [
            (label, choices) for (_deliverable, label), choices in groups.items()
        ]

    @classmethod
    def initial_from_entry(cls, entry: TimeEntry) -> dict:
        return {
            "date": entry.date,
            "duration": hours_plain(entry.hours),
            "unit": cls.Unit.HOURS,
            "activity": entry.activity,
            "deliverable": entry.deliverable_id,
            "task": entry.task_id,
            "note": entry.note,
        }

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        in_days = data["unit"] == self.Unit.DAYS
        return {
            "date": data["date"],
            "hours": None if in_days else data["duration"],
            "days": data["duration"] if in_days else None,
            "activity": data["activity"],
            "deliverable": data["deliverable"],
            "task": data["task"],
            "note": data["note"],
        }

    def add_service_errors(self, error) -> None:
        """Show a ValidationError of the services on the matching fields (the rest above the form)."""
        add_service_error(self, error, field_of=self.SERVICE_FIELDS)


class WeekForm(forms.Form):
    """The weekly grid: one field per editable cell, named c-<mission id>-<ISO date>; empty means no change."""

    def __init__(self, *args, cells, **kwargs):
        super().__init__(*args, **kwargs)
        self.cell_keys = {}
        for cell in cells:
            name = self.field_name(cell.mission_id, cell.day)
            self.cell_keys[name] = (cell.mission_id, cell.day)
            self.fields[name] = HoursField(
                required=False,
                localize=True,
                max_digits=7,
                min_value=Decimal("0"),
                error_messages={
                    "invalid": _("Enter a number of hours, for example 7 or 3.5."),
                    "min_value": _("Enter 0 or more hours."),
                },
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "decimal",
                        "autocomplete": "off",
                        "size": 4,
                        "class": "week-grid__input",
                    }
                ),
            )
            if cell.entries:
                self.fields[name].initial = hours_plain(cell.total)

    @staticmethod
    def field_name(mission_id: int, day) -> str:
        return f"c-{mission_id}-{day.isoformat()}"

    def clean(self):
        cleaned = super().clean()
        for name, value in list(cleaned.items()):
            if value:  # 0 removes a day's time; the services check the rest again
                for message in hours_errors(value):
                    self.add_error(name, message)
        return cleaned

    def typed_values(self) -> dict:
        """(mission id, day) → hours, for the cells that are not empty."""
        return {self.cell_keys[name]: value for name, value in self.cleaned_data.items() if value is not None}

    def add_cell_errors(self, cell_errors: dict) -> None:
        for (mission_id, day), messages in cell_errors.items():
            name = self.field_name(mission_id, day)
            self.add_error(name if name in self.fields else None, messages)
