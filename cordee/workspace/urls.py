"""The pages of the workspace keep their names in the namespace of the app they started in
(`collectives:home`, `collectives:dashboard`, `missions:my_work`): the project's URLconf adds them to that
app's patterns."""

from django.urls import path

from cordee.workspace import views

collective_pages = [
    path("dashboard/", views.home, name="home"),
    path("collectives/<slug:slug>/", views.dashboard, name="dashboard"),
]

missions_pages = [
    path("my-work/", views.my_work, name="my_work"),
]
