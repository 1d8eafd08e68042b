from django.urls import path

from cordee.clients import views

app_name = "clients"

urlpatterns = [
    path("collectives/<slug:slug>/clients/", views.client_list, name="list"),
    path("collectives/<slug:slug>/clients/<int:client_pk>/", views.client_detail, name="detail"),
]
