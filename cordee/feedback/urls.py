from django.urls import path  # noqa: F401

app_name = "feedback"

mission = "collectives/<slug:slug>/missions/<int:mission_pk>/"

urlpatterns: list = [
    # Survey page, opt-out (public by token): survey.py
    # Responses, follow-up calls: follow_up.py
    # Improvement plans and initiatives: plans.py
    # Analytics and CSV export: analytics.py
]
