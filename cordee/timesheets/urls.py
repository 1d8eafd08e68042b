from django.urls import path

from cordee.timesheets import views

app_name = "timesheets"

urlpatterns = [
    path("collectives/<slug:slug>/missions/<int:mission_pk>/time/", views.mission_time, name="mission"),
]
