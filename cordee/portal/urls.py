from django.urls import path

from cordee.portal import feeds, views

app_name = "portal"

mission = "missions/<int:mission_pk>/"

urlpatterns = [
    # Sign-in by magic link (public: the token is the key)
    path("", views.login, name="login"),
    path("m/<str:token>/", views.magic, name="magic"),
    path("sign-out/", views.logout, name="logout"),
    path("language/", views.language, name="language"),
    # The client's pages (a portal session, see cordee.portal.permissions.portal_view)
    path("home/", views.home, name="home"),
    path(mission, views.mission, name="mission"),
    path(mission + "recaps/", views.recaps, name="recaps"),
    path(mission + "videos/", views.videos, name="videos"),
    path(mission + "requests/", views.requests, name="requests"),
    path("calls/<int:call_pk>.ics", views.call_ics, name="call_ics"),
    # Members give or take back a contact's access (collective-scoped)
    path(
        "collectives/<slug:slug>/contacts/<int:contact_pk>/access/send/",
        views.access_send,
        name="access_send",
    ),
    path(
        "collectives/<slug:slug>/contacts/<int:contact_pk>/access/revoke/",
        views.access_revoke,
        name="access_revoke",
    ),
    # The mission's calendar feed for the client (cordee/portal/feeds.py, the calendar area)
    path("feeds/<str:token>.ics", feeds.mission_feed, name="mission_feed"),
]
