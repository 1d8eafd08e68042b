from django.urls import path  # noqa: F401

from cordee.feedback.views import analytics, survey

app_name = "feedback"

mission = "collectives/<slug:slug>/missions/<int:mission_pk>/"

urlpatterns: list = [
    # Survey page, opt-out (public by token): survey.py
    path("s/<str:token>/", survey.survey, name="survey"),
    path("s/<str:token>/thanks/", survey.thanks, name="survey_thanks"),
    path("s/<str:token>/stop/", survey.opt_out, name="opt_out"),
    # Responses, follow-up calls: follow_up.py
    # Improvement plans and initiatives: plans.py
    # Analytics and CSV export: analytics.py
    path(mission + "feedback/", analytics.mission, name="mission"),
    path("collectives/<slug:slug>/feedback/", analytics.collective, name="collective"),
    path("collectives/<slug:slug>/feedback/export.csv", analytics.export, name="export"),
]
