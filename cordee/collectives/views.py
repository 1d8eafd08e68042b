from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from cordee.core.permissions import collective_view


@login_required
def home(request):
    return render(request, "base.html")


@login_required
def create(request):
    return HttpResponse("create")


@collective_view
def dashboard(request):
    return render(request, "base.html")


@collective_view
def members(request):
    return HttpResponse("members")


@collective_view
def page_edit(request):
    return HttpResponse("page")


@collective_view(admin_only=True)
def settings_edit(request):
    return HttpResponse("settings")
