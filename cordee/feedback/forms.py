from django import forms
from django.utils.translation import gettext_lazy as _

from cordee.feedback.models import SurveyResponse

# ---- Survey (the client's answers) ----------------------------------------------------------------

# The scale the page offers: 0 to 10 without 7 (seed: « interdisez la note 7/10 »).
SCORE_CHOICES = [(value, str(value)) for value in range(11) if value != 7]
ANSWER_MAX_LENGTH = 300


def _answer(label):
    return forms.CharField(label=label, required=False, max_length=ANSWER_MAX_LENGTH)


class SurveyForm(forms.Form):
    appreciated_1 = _answer(_("First thing"))
    appreciated_2 = _answer(_("Second thing"))
    appreciated_3 = _answer(_("Third thing"))
    improvement_1 = _answer(_("First point"))
    improvement_2 = _answer(_("Second point"))
    improvement_3 = _answer(_("Third point"))
    score = forms.IntegerField(
        label=_("Out of 10, how likely are you to recommend us to your network?"),
        widget=forms.RadioSelect(choices=SCORE_CHOICES),
        error_messages={
            "required": _("Choose a score: 0 to 6, or 8 to 10."),
            "invalid": _("Choose a score: 0 to 6, or 8 to 10."),
        },
    )
    ranking = forms.ChoiceField(
        label=_("Compared with other service providers, where do you place us?"),
        choices=SurveyResponse.Ranking.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose where you place us."),
            "invalid_choice": _("Choose where you place us."),
        },
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us? (optional)"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    APPRECIATED = ("appreciated_1", "appreciated_2", "appreciated_3")
    IMPROVEMENTS = ("improvement_1", "improvement_2", "improvement_3")

    @classmethod
    def initial_from(cls, response: SurveyResponse | None) -> dict:
        if response is None:
            return {}
        initial = {"score": response.score, "ranking": response.ranking, "comment": response.comment}
        for names, values in (
            (cls.APPRECIATED, response.appreciated),
            (cls.IMPROVEMENTS, response.improvements),
        ):
            for name, value in zip(names, values, strict=False):
                initial[name] = value
        return initial

    def clean_score(self):
        score = self.cleaned_data["score"]
        if score is None or not 0 <= score <= 10:
            raise forms.ValidationError(_("Choose a score: 0 to 6, or 8 to 10."), code="score_range")
        if score == 7:
            raise forms.ValidationError(
                _("7 is not a possible answer: choose 6 or 8, whichever is closer to what you think."),
                code="seven",
            )
        return score

    def clean(self):
        cleaned = super().clean()
        if not any((cleaned.get(name) or "").strip() for name in self.APPRECIATED):
            self.add_error("appreciated_1", _("Tell us at least one thing you appreciate."))
        return cleaned

    def answers(self) -> dict:
        data = self.cleaned_data
        return {
            "appreciated": [data[name] for name in self.APPRECIATED if data.get(name)],
            "improvements": [data[name] for name in self.IMPROVEMENTS if data.get(name)],
            "score": data["score"],
            "ranking": data["ranking"],
            "comment": data.get("comment", ""),
        }
