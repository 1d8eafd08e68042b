from django.http import HttpResponse

from cordee.core.permissions import collective_view


@collective_view
def client_list(request):
    return HttpResponse("clients")


@collective_view
def client_detail(request, client_pk):
    return HttpResponse("client")
