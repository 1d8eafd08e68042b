from django.http import HttpResponse

from cordee.missions.permissions import mission_view


@mission_view
def board(request):
    return HttpResponse("board")
