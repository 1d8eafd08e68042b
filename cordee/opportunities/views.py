from django.http import HttpResponse

from cordee.core.permissions import collective_view


@collective_view
def pipeline(request):
    return HttpResponse("pipeline")
