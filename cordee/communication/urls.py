from django.urls import path

from cordee.communication import views  # noqa: F401 - each area adds its module import here
from cordee.communication.views import previews, recaps
from cordee.communication.views import rituals

app_name = "communication"

mission = "collectives/<slug:slug>/missions/<int:mission_pk>/"

urlpatterns: list = [
    # Recaps and the kickoff (recaps.py)
    path(mission + "communication/", recaps.mission_communication, name="mission"),
    path(mission + "communication/recaps/new/", recaps.recap_create, name="recap_create"),
    path(mission + "communication/recaps/<int:recap_pk>/", recaps.recap_edit, name="recap_edit"),
    path(mission + "communication/recaps/<int:recap_pk>/skip/", recaps.recap_skip, name="recap_skip"),
    path(mission + "communication/kickoff/send/", recaps.kickoff_send, name="kickoff_send"),
    path(mission + "communication/kickoff/preview/", previews.kickoff_preview, name="kickoff_preview"),
    # Weekly ritual: sync call and async videos (rituals.py)
    path(mission + "ritual/videos/", rituals.ritual_videos, name="ritual_videos"),
    path(mission + "ritual/videos/<int:video_pk>/", rituals.ritual_video_edit, name="ritual_video_edit"),
    # Delivery calls (calls.py)
    # Collective events (events.py)
    # Email previews (previews.py)
    path(mission + "communication/emails/", previews.email_previews, name="preview"),
    path(mission + "communication/emails/html/", previews.email_preview_html, name="preview_html"),
]
