from django.urls import path

from cordee.collectives import views

app_name = "collectives"

urlpatterns = [
    path("dashboard/", views.home, name="home"),
    path("collectives/new/", views.create, name="create"),
    path("collectives/<slug:slug>/", views.dashboard, name="dashboard"),
    path("collectives/<slug:slug>/members/", views.members, name="members"),
    path("collectives/<slug:slug>/page/", views.page_edit, name="page_edit"),
    path("collectives/<slug:slug>/settings/", views.settings_edit, name="settings"),
]
