"""The pages of the workspace keep their names in the collectives namespace (`collectives:home`,
`collectives:dashboard`): the project's URLconf adds them to that app's patterns."""

from django.urls import path

from cordee.workspace import views

collective_pages = [
    path("dashboard/", views.home, name="home"),
    path("collectives/<slug:slug>/", views.dashboard, name="dashboard"),
]
