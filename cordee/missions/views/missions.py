from django.http import HttpResponse

from cordee.core.permissions import collective_view
from cordee.missions.permissions import mission_view


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
def history(request):
    return HttpResponse("history")
