from django.urls import path  # noqa: F401

from cordee.feedback.views import analytics, follow_up, plans, survey

app_name = "feedback"

mission = "collectives/<slug:slug>/missions/<int:mission_pk>/"

urlpatterns: list = [
    # Survey page, opt-out (public by token): survey.py
    path("s/<str:token>/", survey.survey, name="survey"),
    path("s/<str:token>/thanks/", survey.thanks, name="survey_thanks"),
    path("s/<str:token>/stop/", survey.opt_out, name="opt_out"),
    # Responses, follow-up calls: follow_up.py
    path(mission + "feedback/responses/", follow_up.responses, name="responses"),
    path(
        mission + "feedback/responses/<int:response_pk>/unclear/",
        follow_up.response_mark_unclear_view,
        name="response_mark_unclear",
    ),
    path(
        mission + "feedback/follow-ups/<int:follow_up_pk>/close/",
        follow_up.follow_up_close_view,
        name="follow_up_close",
    ),
    path("s/call/<str:token>/", follow_up.follow_up_pick_view, name="follow_up_pick"),
    # Improvement plans and initiatives: plans.py
    path(mission + "feedback/plans/new/", plans.plan_create_view, name="plan_create"),
    path(mission + "feedback/plans/<int:plan_pk>/", plans.plan_edit, name="plan_edit"),
    path(mission + "feedback/plans/<int:plan_pk>/send/", plans.plan_send_view, name="plan_send"),
    path(
        mission + "feedback/initiatives/<int:initiative_pk>/done/",
        plans.initiative_done,
        name="initiative_done",
    ),
    # Analytics and CSV export: analytics.py
    path(mission + "feedback/", analytics.mission, name="mission"),
    path("collectives/<slug:slug>/feedback/", analytics.collective, name="collective"),
    path("collectives/<slug:slug>/feedback/export.csv", analytics.export, name="export"),
]
