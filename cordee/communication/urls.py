from django.urls import path

from cordee.communication import views  # noqa: F401 - each area adds its module import here

app_name = "communication"

mission = "collectives/<slug:slug>/missions/<int:mission_pk>/"

urlpatterns: list = [
    # Recaps and the kickoff (recaps.py)
    # Weekly ritual: sync call and async videos (rituals.py)
    # Delivery calls (calls.py)
    # Collective events (events.py)
    # Email previews (previews.py)
]
