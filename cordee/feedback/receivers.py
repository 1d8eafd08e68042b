"""How the feedback area reacts to what the missions area announces (`cordee.missions.signals`).

Connected in `FeedbackConfig.ready()`.
"""

from cordee.feedback.services.surveys import survey_after_acceptance


def survey_on_acceptance(sender, *, deliverable, now, **kwargs) -> None:
    survey_after_acceptance(deliverable, now=now)
