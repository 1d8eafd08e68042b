from django.urls import path

from cordee.opportunities import views

app_name = "opportunities"

urlpatterns = [
    path("collectives/<slug:slug>/opportunities/", views.pipeline, name="pipeline"),
]
