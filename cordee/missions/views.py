from django.contrib.auth.decorators import login_required
from django.http import HttpResponse

from cordee.core.permissions import collective_view
from cordee.missions.permissions import mission_view


@login_required
def my_work(request):
    return HttpResponse("my work")


@collective_view
def mission_list(request):
    return HttpResponse("missions")


@collective_view
def mission_create(request):
    return HttpResponse("create")


@mission_view
def mission_detail(request):
    return HttpResponse("detail")


@mission_view
def deliverables(request):
    return HttpResponse("deliverables")


@mission_view
def board(request):
    return HttpResponse("board")


@mission_view
def inbox(request):
    return HttpResponse("inbox")


@mission_view
def history(request):
    return HttpResponse("history")
