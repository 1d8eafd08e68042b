"""The weekly video form: the week, the link to the video and a short summary of the week's priorities."""

from datetime import date

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from cordee.communication.services.ritual_videos import (
    SUMMARY_MAX_LENGTH,
    VIDEO_LINK_MAX_LENGTH,
    clean_summary,
    clean_video_link,
)


class RitualVideoForm(forms.Form):
    week_start = forms.TypedChoiceField(label=_("Week"), coerce=date.fromisoformat)
    video_link = forms.CharField(
        label=_("Link to the video"),
        max_length=VIDEO_LINK_MAX_LENGTH,
        widget=forms.URLInput(attrs={"placeholder": "https://", "inputmode": "url", "autocomplete": "url"}),
        help_text=_("A Loom, YouTube, Vimeo or drive link the client can open without an account."),
    )
    summary = forms.CharField(
        label=_("Summary of the week's priorities"),
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "A few lines the client can read without watching: what matters this week, what comes next."
        ),
    )

    def __init__(self, *args, weeks: list[date] | None, this_week: date, **kwargs):
        """`weeks` are the weeks offered; None when editing a posted video (its week does not change)."""
        super().__init__(*args, **kwargs)
        if weeks is None:
            del self.fields["week_start"]
        else:
            self.fields["week_start"].choices = [
                (week.isoformat(), self.week_label(week, this_week)) for week in weeks
            ]
        self.fields["video_link"].widget.attrs["maxlength"] = VIDEO_LINK_MAX_LENGTH

    @staticmethod
    def week_label(week: date, this_week: date) -> str:
        day = date_format(week, "DATE_FORMAT")
        if week == this_week:
            return _("This week (from Monday %(date)s)") % {"date": day}
        if week > this_week and (week - this_week).days == 7:
            return _("Next week (from Monday %(date)s)") % {"date": day}
        return _("Week of %(date)s") % {"date": day}

    def clean_video_link(self):
        return clean_video_link(self.cleaned_data["video_link"])

    def clean_summary(self):
        return clean_summary(self.cleaned_data["summary"])
