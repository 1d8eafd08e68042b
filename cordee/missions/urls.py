from django.urls import path

from cordee.missions import views

app_name = "missions"

mission = "collectives/<slug:slug>/missions/<int:mission_pk>/"

urlpatterns = [
    path("my-work/", views.my_work, name="my_work"),
    path("collectives/<slug:slug>/missions/", views.mission_list, name="list"),
    path("collectives/<slug:slug>/missions/new/", views.mission_create, name="create"),
    path(mission, views.mission_detail, name="detail"),
    path(mission + "deliverables/", views.deliverables, name="deliverables"),
    path(mission + "board/", views.board, name="board"),
    path(mission + "inbox/", views.inbox, name="inbox"),
    path(mission + "history/", views.history, name="history"),
]
