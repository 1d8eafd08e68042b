from django.http import HttpResponse

from cordee.missions.permissions import mission_view


@mission_view
def mission_time(request):
    return HttpResponse("time")
