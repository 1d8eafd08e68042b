from django.urls import path

from cordee.collectives import views

app_name = "collectives"

urlpatterns = [
    path("collectives/new/", views.create, name="create"),
    path("collectives/<slug:slug>/members/", views.members, name="members"),
    path("collectives/<slug:slug>/members/<int:pk>/edit/", views.member_edit, name="member_edit"),
    path("collectives/<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("collectives/<slug:slug>/leave/", views.leave, name="leave"),
    path("collectives/<slug:slug>/page/", views.page_edit, name="page_edit"),
    path("collectives/<slug:slug>/page/publish/", views.page_publish, name="publish"),
    path("collectives/<slug:slug>/page/unpublish/", views.page_unpublish, name="unpublish"),
    path("collectives/<slug:slug>/page/references/new/", views.reference_create, name="reference_create"),
    path("collectives/<slug:slug>/page/references/<int:pk>/", views.reference_edit, name="reference_edit"),
    path(
        "collectives/<slug:slug>/page/references/<int:pk>/delete/",
        views.reference_delete,
        name="reference_delete",
    ),
    path(
        "collectives/<slug:slug>/page/references/<int:pk>/move/", views.reference_move, name="reference_move"
    ),
    path("collectives/<slug:slug>/settings/", views.settings_edit, name="settings"),
    path("collectives/<slug:slug>/settings/emails/", views.failed_emails, name="failed_emails"),
    path(
        "collectives/<slug:slug>/settings/emails/<int:email_pk>/retry/",
        views.failed_email_retry,
        name="failed_email_retry",
    ),
]
