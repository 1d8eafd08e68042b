from django.urls import path

from cordee.opportunities import views

app_name = "opportunities"

urlpatterns = [
    path("collectives/<slug:slug>/opportunities/", views.pipeline, name="pipeline"),
    path("collectives/<slug:slug>/opportunities/list/", views.opportunity_list_view, name="list"),
    path("collectives/<slug:slug>/opportunities/new/", views.create, name="create"),
    path("collectives/<slug:slug>/opportunities/<int:pk>/", views.detail, name="detail"),
    path("collectives/<slug:slug>/opportunities/<int:pk>/stage/", views.move, name="move"),
]
