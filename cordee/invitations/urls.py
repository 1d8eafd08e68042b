from django.urls import path

from cordee.invitations import views

app_name = "invitations"

urlpatterns = [
    path("collectives/<slug:slug>/invitations/", views.invitation_list_view, name="list"),
    path("collectives/<slug:slug>/invitations/<int:pk>/resend/", views.invitation_resend_view, name="resend"),
    path("collectives/<slug:slug>/invitations/<int:pk>/revoke/", views.invitation_revoke_view, name="revoke"),
    path("invitations/<str:token>/", views.invitation_accept_view, name="accept"),
]
