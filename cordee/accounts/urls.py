from django.urls import path

from cordee.accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/security/", views.security, name="security"),
]
