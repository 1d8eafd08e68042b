from django.urls import path

from cordee.clients import views

app_name = "clients"

client = "collectives/<slug:slug>/clients/<int:client_pk>/"

urlpatterns = [
    path("collectives/<slug:slug>/clients/", views.client_list, name="list"),
    path("collectives/<slug:slug>/clients/new/", views.client_create, name="create"),
    path(client, views.client_detail, name="detail"),
    path(client + "edit/", views.client_edit, name="edit"),
    path(client + "remove/", views.client_remove, name="remove"),
    path(client + "contacts/new/", views.contact_create, name="contact_create"),
    path(client + "contacts/<int:contact_pk>/edit/", views.contact_edit, name="contact_edit"),
    path(client + "contacts/<int:contact_pk>/delete/", views.contact_delete, name="contact_delete"),
]
