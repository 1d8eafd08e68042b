"""The mission's inbox of client requests: recorded by the lead, then turned into tasks or declined."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.missions.forms.requests import ClientRequestForm, DeclineForm, TriageFormSet
from cordee.missions.models import ClientRequest
from cordee.missions.permissions import mission_view
from cordee.missions.queries.board import mission_team, team_roles
from cordee.missions.queries.inbox import inbox_requests, request_counts
from cordee.missions.services.requests import (
    client_request_decline,
    client_request_plan,
    client_request_record,
)
from cordee.missions.views.board import forbidden

PAGE_SIZE = 25


def inbox_url(request, client_request: ClientRequest | None = None) -> str:
    url = reverse("missions:inbox", args=[request.collective.slug, request.mission.pk])
    return f"{url}#request-{client_request.pk}" if client_request else url


@mission_view
def inbox(request):
    status = request.GET.get("status", "")
    status = status if status in ClientRequest.Status.values else ""
    page = Paginator(inbox_requests(mission=request.mission, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = request_counts(mission=request.mission)
    status_links = [("", _("All"), counts["all"])] + [
        (value, label, counts[value]) for value, label in ClientRequest.Status.choices
    ]
    context = {
        "mission": request.mission,
        "page_obj": page,
        "status": status,
        "status_links": status_links,
        "counts": counts,
        "can_manage": request.can_manage_mission,
    }
    return render(request, "missions/inbox/inbox.html", context)


@mission_view
def request_create(request):
    if not request.can_manage_mission:
        return forbidden(
            request, _("Only the lead of the mission records the client's requests."), inbox_url(request)
        )
    form = ClientRequestForm(request.POST or None, mission=request.mission)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            client_request = client_request_record(
                mission=request.mission,
                title=data["title"],
                body=data.get("body", ""),
                contact=data.get("contact"),
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("“%(request)s” is in the inbox. Turn it into tasks or decline it.")
                % {"request": client_request.title},
            )
            if request.POST.get("next") == "triage":
                return redirect(
                    "missions:request_triage",
                    slug=request.collective.slug,
                    mission_pk=request.mission.pk,
                    request_pk=client_request.pk,
                )
            return redirect(inbox_url(request, client_request))
    return render(request, "missions/inbox/request_form.html", {"form": form, "mission": request.mission})


def _triage_forms(request, client_request, data=None, action=""):
    roles = team_roles(mission_team(mission=request.mission))
    form_kwargs = {"mission": request.mission, "roles": roles}
    initial = [{"title": client_request.title}] if client_request.status == ClientRequest.Status.NEW else []
    formset = TriageFormSet(
        data if action == "plan" else None, prefix="tasks", form_kwargs=form_kwargs, initial=initial
    )
    decline_form = DeclineForm(data if action == "decline" else None, prefix="decline")
    return formset, decline_form


@mission_view
def request_triage(request, request_pk):
    client_request = get_object_or_404(
        ClientRequest.objects.select_related("contact", "recorded_by", "triaged_by"),
        collective=request.collective,
        mission=request.mission,
        pk=request_pk,
    )
    client_request.mission = request.mission
    if not request.can_manage_mission:
        return forbidden(
            request, _("Only the lead of the mission triages the client's requests."), inbox_url(request)
        )
    can_plan = client_request.status != ClientRequest.Status.DECLINED
    can_decline = client_request.status == ClientRequest.Status.NEW
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if (action == "plan" and not can_plan) or (action == "decline" and not can_decline):
        # A page left open while someone else triaged the request.
        messages.error(
            request,
            _("This request is already %(status)s: nothing was changed.")
            % {"status": client_request.get_status_display().lower()},
        )
        return redirect(request.path)
    formset, decline_form = _triage_forms(request, client_request, request.POST or None, action)
    if action == "plan" and formset.is_valid():
        try:
            tasks = client_request_plan(client_request=client_request, tasks=formset.tasks(), by=request.user)
        except PermissionDenied as denied:
            return forbidden(request, str(denied), inbox_url(request))
        except ValidationError as error:
            formset.non_form_errors().extend(error.messages)
        else:
            messages.success(
                request,
                ngettext(
                    "“%(request)s” turned into %(count)d task.",
                    "“%(request)s” turned into %(count)d tasks.",
                    len(tasks),
                )
                % {"request": client_request.title, "count": len(tasks)},
            )
            return redirect(inbox_url(request, client_request))
    elif action == "decline" and decline_form.is_valid():
        try:
            client_request_decline(
                client_request=client_request, reason=decline_form.cleaned_data["reason"], by=request.user
            )
        except PermissionDenied as denied:
            return forbidden(request, str(denied), inbox_url(request))
        except ValidationError as error:
            decline_form.add_error(None, error)
        else:
            messages.success(request, _("“%(request)s” declined.") % {"request": client_request.title})
            return redirect(inbox_url(request, client_request))
    context = {
        "mission": request.mission,
        "client_request": client_request,
        "tasks": client_request.tasks.select_related("assignee").order_by("position", "pk"),
        "formset": formset,
        "decline_form": decline_form,
        "can_plan": can_plan,
        "can_decline": can_decline,
    }
    return render(request, "missions/inbox/triage.html", context)
