"""Forms of calendar invitations: a delivery call, the weekly sync call."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cordee.communication.services import calls as call_services
from cordee.core.fields import DateField, DateInput


class TimeInput(forms.TimeInput):
    """The browser's time picker (24-hour value whatever the language)."""

    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


class ContactChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, contact):
        return f"{contact.full_name} · {contact.get_role_display()} · {contact.email}"


class TeamChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return user.display_name


WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def local_datetime(day: date, at: time, time_zone: str) -> tuple[datetime | None, str]:
    """The aware datetime of a wall-clock time in a zone, or None and why (a time skipped by the clocks)."""
    zone = ZoneInfo(time_zone)
    moment = datetime.combine(day, at, tzinfo=zone)
    round_trip = moment.astimezone(ZoneInfo("UTC")).astimezone(zone)
    if round_trip.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None, "gap"
    return moment, ""


class DeliveryCallForm(forms.Form):
    start_date = DateField(label=_("Day"), widget=DateInput())
    start_time = forms.TimeField(label=_("Time"), widget=TimeInput())
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=call_services.MIN_DURATION,
        max_value=call_services.MAX_DURATION,
        initial=30,
        widget=forms.NumberInput(attrs={"step": 5}),
    )
    video_link = forms.URLField(
        label=_("Video call link"),
        required=False,
        assume_scheme="https",
        help_text=_("Google Meet, Zoom, Teams, Jitsi… It goes in the invitation and the email."),
    )
    attendee_contacts = ContactChoiceField(
        label=_("The client's people"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    attendee_users = TeamChoiceField(
        label=_("The team"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, mission, collective, **kwargs):
        super().__init__(*args, **kwargs)
        self.mission, self.collective = mission, collective
        self.fields["attendee_contacts"].queryset = call_services.contact_choices(mission)
        self.fields["attendee_users"].queryset = call_services.team_choices(mission)
        self.fields["start_time"].help_text = _("In the collective's time zone (%(zone)s).") % {
            "zone": collective.time_zone
        }
        self.fields["attendee_users"].help_text = _(
            "%(lead)s, the lead, organises the call: calendars send the answers to them."
        ) % {"lead": mission.lead.display_name}

    @classmethod
    def initial_for_new(cls, *, mission, deliverable, today: date) -> dict:
        """Everyone invited, on the announced date when it is still ahead, at 10:00 for 30 minutes."""
        day = deliverable.announced_date if deliverable.announced_date > today else today + timedelta(days=1)
        return {
            "start_date": day,
            "start_time": time(10, 0),
            "duration_minutes": 30,
            "attendee_contacts": list(call_services.contact_choices(mission).values_list("pk", flat=True)),
            "attendee_users": list(call_services.team_choices(mission).values_list("pk", flat=True)),
        }

    @classmethod
    def initial_for(cls, call, *, time_zone: str) -> dict:
        local = call.starts_at.astimezone(ZoneInfo(time_zone))
        return {
            "start_date": local.date(),
            "start_time": local.time().replace(second=0, microsecond=0),
            "duration_minutes": call.duration_minutes,
            "video_link": call.video_link,
            "attendee_contacts": [contact.pk for contact in call.attendee_contacts.all()],
            "attendee_users": [user.pk for user in call.attendee_users.all()],
        }

    def clean(self):
        cleaned_data = super().clean()
        day, at = cleaned_data.get("start_date"), cleaned_data.get("start_time")
        if day and at:
            moment, problem = local_datetime(day, at, self.collective.time_zone)
            if problem:
                self.add_error(
                    "start_time",
                    _("%(time)s does not exist on %(date)s: the clocks change that night.")
                    % {"time": at.strftime("%H:%M"), "date": date_format(day, "DATE_FORMAT")},
                )
            cleaned_data["starts_at"] = moment
        if "attendee_contacts" in cleaned_data and not cleaned_data["attendee_contacts"]:
            self.add_error("attendee_contacts", _("Invite at least one contact of the client."))
        return cleaned_data

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "starts_at": data["starts_at"],
            "duration_minutes": data["duration_minutes"],
            "video_link": data.get("video_link") or "",
            "attendee_contacts": list(data["attendee_contacts"]),
            "attendee_users": list(data["attendee_users"]),
        }


class RitualCallForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Every"), choices=WEEKDAYS, coerce=int, initial=0)
    start_time = forms.TimeField(label=_("At"), widget=TimeInput(), initial=time(9, 30))
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=5,
        max_value=240,
        initial=30,
        widget=forms.NumberInput(attrs={"step": 5}),
        help_text=_("30 minutes is usually enough to review the week and agree on the next steps."),
    )
    video_link = forms.URLField(
        label=_("Video call link"),
        assume_scheme="https",
        help_text=_("The same link every week: a permanent Meet, Zoom, Teams or Jitsi room."),
    )
    first_date = DateField(label=_("First call on"), widget=DateInput())

    def __init__(self, *args, collective, **kwargs):
        super().__init__(*args, **kwargs)
        self.collective = collective
        self.fields["start_time"].help_text = _("In the collective's time zone (%(zone)s).") % {
            "zone": collective.time_zone
        }

    @classmethod
    def initial_for(cls, ritual) -> dict:
        return {
            "weekday": ritual.weekday,
            "start_time": ritual.start_time,
            "duration_minutes": ritual.duration_minutes,
            "video_link": ritual.video_link,
            "first_date": ritual.first_date,
        }

    def clean(self):
        cleaned_data = super().clean()
        weekday, day, at = (cleaned_data.get(name) for name in ("weekday", "first_date", "start_time"))
        if day is not None and weekday is not None and day.weekday() != weekday:
            self.add_error(
                "first_date",
                _("%(date)s is a %(day)s: choose a %(weekday)s, or change the day of the call.")
                % {
                    "date": date_format(day, "DATE_FORMAT"),
                    "day": date_format(day, "l"),
                    "weekday": date_format(date(2024, 1, 1) + timedelta(days=weekday), "l"),
                },
            )
        elif day and at and local_datetime(day, at, self.collective.time_zone)[1]:
            self.add_error(
                "start_time",
                _("%(time)s does not exist on %(date)s: the clocks change that night.")
                % {"time": at.strftime("%H:%M"), "date": date_format(day, "DATE_FORMAT")},
            )
        return cleaned_data
