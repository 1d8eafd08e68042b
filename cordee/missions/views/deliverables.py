from django.http import HttpResponse

from cordee.missions.permissions import mission_view


@mission_view
def deliverable_list(request):
    return HttpResponse("deliverables")
