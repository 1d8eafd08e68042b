from django.urls import path

from cordee.missions.views import board, deliverables, inbox, missions, my_work

app_name = "missions"

mission = "collectives/<slug:slug>/missions/<int:mission_pk>/"

urlpatterns = [
    # My work (across collectives)
    path("my-work/", my_work.my_work, name="my_work"),
    # Missions
    path("collectives/<slug:slug>/missions/", missions.mission_list, name="list"),
    path("collectives/<slug:slug>/missions/new/", missions.mission_create, name="create"),
    path(mission, missions.mission_detail, name="detail"),
    path(mission + "history/", missions.history, name="history"),
    # Deliverables, health and delay notices
    path(mission + "deliverables/", deliverables.deliverable_list, name="deliverables"),
    # Task board
    path(mission + "board/", board.board, name="board"),
    # Client requests inbox
    path(mission + "inbox/", inbox.inbox, name="inbox"),
]
