from django.urls import path

from cordee.invitations import views

app_name = "invitations"

urlpatterns: list = []
