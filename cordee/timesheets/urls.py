from django.urls import path

from cordee.timesheets import views

app_name = "timesheets"

mission = "collectives/<slug:slug>/missions/<int:mission_pk>/time/"

urlpatterns = [
    path("time/", views.week, name="week"),
    path(mission, views.mission_time, name="mission"),
    path(mission + "<int:entry_pk>/edit/", views.entry_edit, name="entry_edit"),
    path(mission + "<int:entry_pk>/delete/", views.entry_delete, name="entry_delete"),
]
