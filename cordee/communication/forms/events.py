"""Forms of the collective's rituals: an event (when, where, how it repeats) and a member's answer."""

from datetime import datetime, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cordee.collectives.time import collective_zone
from cordee.communication.models import CollectiveEvent, EventResponse
from cordee.core.fields import DateInput
from cordee.core.forms import add_service_error


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class CollectiveEventForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=160,
        help_text=_("For example: weekly call, monthly lunch, spring trip."),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The agenda, what to prepare, what to bring."),
    )
    date = forms.DateField(label=_("Date"), widget=DateInput())
    start_time = forms.TimeField(label=_("Starts at"), widget=TimeInput())
    end_time = forms.TimeField(label=_("Ends at"), widget=TimeInput())
    end_date = forms.DateField(
        label=_("Ends on"),
        required=False,
        widget=DateInput(),
        help_text=_("Only for an event over several days, such as a trip."),
    )
    location = forms.CharField(
        label=_("Place"),
        required=False,
        max_length=200,
        help_text=_("An address, a café, a city. Leave empty for a call."),
    )
    video_link = forms.CharField(
        label=_("Video call link"),
        required=False,
        max_length=200,
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url"}),
    )
    recurrence = forms.ChoiceField(
        label=_("Repeats"), choices=CollectiveEvent.Recurrence.choices, required=False
    )
    repeat_until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=DateInput(),
        help_text=_("The last date it repeats; leave empty to repeat without end."),
    )

    invite_members = forms.BooleanField(
        label=_("Invite the other members by email"),
        required=False,
        initial=True,
        help_text=_(
            "With an invitation for their calendar (members subscribed to the rituals calendar already have "
            "it there). Changes and a cancellation will follow by email."
        ),
    )

    def __init__(self, *args, collective, event: CollectiveEvent | None = None, **kwargs):
        self.zone = collective_zone(collective)
        if event is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(event)
        super().__init__(*args, **kwargs)
        if event is not None:
            # Whether changes are emailed follows the choice made when the event was created.
            del self.fields["invite_members"]
        self.fields["date"].help_text = _("Times are in the collective's time zone (%(zone)s).") % {
            "zone": collective.time_zone
        }

    def initial_from(self, event: CollectiveEvent) -> dict:
        start = timezone.localtime(event.starts_at, self.zone)
        end = start + timedelta(minutes=event.duration_minutes)
        return {
            "title": event.title,
            "description": event.description,
            "date": start.date(),
            "start_time": start.time().replace(second=0, microsecond=0),
            "end_time": end.time().replace(second=0, microsecond=0),
            "end_date": end.date() if end.date() != start.date() else None,
            "location": event.location,
            "video_link": event.video_link,
            "recurrence": event.recurrence,
            "repeat_until": event.repeat_until,
        }

    def clean(self):
        data = super().clean()
        day, start_time, end_time = data.get("date"), data.get("start_time"), data.get("end_time")
        if day is None or start_time is None or end_time is None:
            return data
        end_day = data.get("end_date") or day
        starts_at = datetime.combine(day, start_time, tzinfo=self.zone)
        ends_at = datetime.combine(end_day, end_time, tzinfo=self.zone)
        if ends_at <= starts_at:
            self.add_error(
                "end_date" if data.get("end_date") else "end_time",
                _("The event must end after it starts."),
            )
            return data
        data["starts_at"] = starts_at
        data["duration_minutes"] = int((ends_at - starts_at).total_seconds() // 60)
        return data

    # Service errors on computed values are shown on the field the member typed.
    FIELD_OF = {"starts_at": "date", "duration_minutes": "end_time"}

    def add_service_errors(self, error) -> None:
        add_service_error(self, error, field_of=self.FIELD_OF)

    def service_values(self) -> dict:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "starts_at": data["starts_at"],
            "duration_minutes": data["duration_minutes"],
            "location": data["location"],
            "video_link": data["video_link"],
            "recurrence": data["recurrence"],
            "repeat_until": data["repeat_until"],
        }


class EventResponseForm(forms.Form):
    answer = forms.ChoiceField(label=_("Your answer"), choices=EventResponse.Answer.choices)
