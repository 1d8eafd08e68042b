from django.urls import path

from cordee.missions.views import board, deliverables, inbox, missions, my_work

app_name = "missions"

mission = "collectives/<slug:slug>/missions/<int:mission_pk>/"

urlpatterns = [
    # My work (across collectives) is the workspace's page (`missions:my_work`, added by cordee/urls.py).
    path("my-work/calendar/", my_work.calendar_feed_subscribe, name="calendar_feed_create"),
    path("my-work/calendar/revoke/", my_work.calendar_feed_stop, name="calendar_feed_revoke"),
    # The private iCal feed: the token is the only key (no slug, no session).
    path("feeds/<str:token>.ics", my_work.member_feed, name="member_feed"),
    # Missions
    path("collectives/<slug:slug>/missions/", missions.mission_list, name="list"),
    path("collectives/<slug:slug>/missions/new/", missions.mission_create, name="create"),
    path(mission, missions.mission_detail, name="detail"),
    path(mission + "history/", missions.history, name="history"),
    path(mission + "edit/", missions.mission_edit, name="edit"),
    path(mission + "activate/", missions.mission_activate, name="activate"),
    path(mission + "pause/", missions.mission_pause, name="pause"),
    path(mission + "resume/", missions.mission_resume, name="resume"),
    path(mission + "deliver/", missions.mission_deliver, name="deliver"),
    path(mission + "close/", missions.mission_close, name="close"),
    path(mission + "lead/", missions.mission_change_lead, name="change_lead"),
    path(mission + "team/", missions.team, name="team"),
    # Deliverables, health and delay notices
    path(mission + "deliverables/", deliverables.deliverable_list, name="deliverables"),
    path(mission + "deliverables/new/", deliverables.deliverable_create, name="deliverable_create"),
    path(
        mission + "deliverables/<int:deliverable_pk>/",
        deliverables.deliverable_detail,
        name="deliverable_detail",
    ),
    path(
        mission + "deliverables/<int:deliverable_pk>/edit/",
        deliverables.deliverable_edit,
        name="deliverable_edit",
    ),
    path(
        mission + "deliverables/<int:deliverable_pk>/delete/",
        deliverables.deliverable_delete,
        name="deliverable_delete",
    ),
    path(
        mission + "deliverables/<int:deliverable_pk>/status/",
        deliverables.deliverable_status,
        name="deliverable_status",
    ),
    path(
        mission + "deliverables/<int:deliverable_pk>/announced-date/reset/",
        deliverables.deliverable_announced_reset,
        name="deliverable_announced_reset",
    ),
    path(
        mission + "deliverables/<int:deliverable_pk>/delay-notice/",
        deliverables.delay_notice,
        name="delay_notice",
    ),
    # Task board
    path(mission + "board/", board.board, name="board"),
    path(mission + "board/tasks/new/", board.task_create_view, name="task_create"),
    path(mission + "board/tasks/<int:task_pk>/edit/", board.task_edit_view, name="task_edit"),
    path(mission + "board/tasks/<int:task_pk>/move/", board.task_move_view, name="task_move"),
    path(mission + "board/tasks/<int:task_pk>/reorder/", board.task_reorder_view, name="task_reorder"),
    path(mission + "board/tasks/<int:task_pk>/place/", board.task_place_view, name="task_place"),
    path(mission + "board/tasks/<int:task_pk>/actions/", board.task_actions_view, name="task_actions"),
    path(mission + "board/tasks/<int:task_pk>/assign/", board.task_assign_view, name="task_assign"),
    path(mission + "board/tasks/<int:task_pk>/take/", board.task_take_view, name="task_take"),
    path(mission + "board/tasks/<int:task_pk>/release/", board.task_release_view, name="task_release"),
    path(mission + "board/tasks/<int:task_pk>/delete/", board.task_delete_view, name="task_delete"),
    # Client requests inbox
    path(mission + "inbox/", inbox.inbox, name="inbox"),
    path(mission + "inbox/new/", inbox.request_create, name="request_create"),
    path(mission + "inbox/<int:request_pk>/", inbox.request_triage, name="request_triage"),
]
