from django.http import HttpResponse


def collective_page(request, slug):
    return HttpResponse("public")
