from django.urls import path

from cordee.communication import views  # noqa: F401 - each area adds its module import here
from cordee.communication.views import calls as call_views
from cordee.communication.views import events, previews, recaps, rituals
from cordee.communication.views import ritual_call as ritual_call_views

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
    path(mission + "communication/weekly-call/", ritual_call_views.ritual_call, name="ritual_call"),
    path(
        mission + "communication/weekly-call/stop/",
        ritual_call_views.ritual_call_stop,
        name="ritual_call_stop",
    ),
    # The client's calendar address (client_feed_create, client_feed_revoke): the portal's, added by
    # cordee/urls.py (cordee/portal/client_feed_views.py).
    path(mission + "communication/weekly-videos/", rituals.ritual_videos, name="ritual_videos"),
    path(
        mission + "communication/weekly-videos/<int:video_pk>/",
        rituals.ritual_video_edit,
        name="ritual_video_edit",
    ),
    # Delivery calls (calls.py)
    path(mission + "communication/calls/", call_views.call_list, name="calls"),
    path(
        mission + "deliverables/<int:deliverable_pk>/calls/new/", call_views.call_create, name="call_create"
    ),
    path(mission + "communication/calls/<int:call_pk>/edit/", call_views.call_edit, name="call_edit"),
    path(mission + "communication/calls/<int:call_pk>/cancel/", call_views.call_cancel, name="call_cancel"),
    path(mission + "communication/calls/<int:call_pk>/invite.ics", call_views.call_ics, name="call_ics"),
    # Collective events (events.py)
    path("collectives/<slug:slug>/rituals/", events.events, name="events"),
    path("collectives/<slug:slug>/rituals/new/", events.event_create, name="event_create"),
    path("collectives/<slug:slug>/rituals/<int:event_pk>/edit/", events.event_edit, name="event_edit"),
    path("collectives/<slug:slug>/rituals/<int:event_pk>/cancel/", events.event_cancel, name="event_cancel"),
    path("collectives/<slug:slug>/rituals/<int:event_pk>/answer/", events.event_rsvp, name="event_rsvp"),
    path(
        "collectives/<slug:slug>/rituals/calendar/", events.events_feed_subscribe, name="events_feed_create"
    ),
    path(
        "collectives/<slug:slug>/rituals/calendar/revoke/",
        events.events_feed_revoke,
        name="events_feed_revoke",
    ),
    # The private iCal feed of the collective's rituals: the token is the only key (no slug, no session).
    path("feeds/events/<str:token>.ics", events.events_feed, name="events_feed"),
    # Email previews (previews.py)
    path(mission + "communication/emails/", previews.email_previews, name="preview"),
    path(mission + "communication/emails/html/", previews.email_preview_html, name="preview_html"),
]
