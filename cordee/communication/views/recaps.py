"""The mission's Communication page, the recap editor, "write one now", and the kickoff."""

from datetime import time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.collectives.time import collective_zone
from cordee.communication.forms.recaps import RecapForm
from cordee.communication.models import Recap
from cordee.communication.services import kickoff as kickoff_services
from cordee.communication.services import recaps as services
from cordee.communication.services.previews import preview_kind
from cordee.core.forms import add_service_error
from cordee.missions.models import Mission
from cordee.missions.permissions import mission_view

PAGE_SIZE = 25


def _mission(request) -> Mission:
    request.mission.collective = request.collective
    return request.mission


def _recap(request, recap_pk) -> Recap:
    """A recap of the current mission: another mission's, or another collective's, is a 404."""
    recap = get_object_or_404(
        Recap.objects.select_related("sent_by"),
        collective=request.collective,
        mission=request.mission,
        pk=recap_pk,
    )
    recap.mission = _mission(request)
    return recap


def _to_page(request):
    return redirect("communication:mission", slug=request.collective.slug, mission_pk=request.mission.pk)


def _to_editor(request, recap):
    return redirect(
        "communication:recap_edit",
        slug=request.collective.slug,
        mission_pk=request.mission.pk,
        recap_pk=recap.pk,
    )


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


@mission_view
def mission_communication(request):
    """What the client hears from the team: the kickoff, the recaps, the weekly ritual."""
    mission = _mission(request)
    collective = request.collective
    zone = collective_zone(collective)
    now_local = timezone.localtime(timezone.now(), zone)
    recaps = Recap.objects.filter(collective=collective, mission=mission)
    drafts = list(recaps.filter(state=Recap.State.DRAFT).order_by("slot_date", "created_at", "pk"))
    sent_page = Paginator(
        recaps.filter(state=Recap.State.SENT).select_related("sent_by").order_by("-sent_at", "-pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    drafted_slots = set(recaps.filter(slot_date__gte=now_local.date()).values_list("slot_date", flat=True))
    activated_on = timezone.localtime(services.mission_activation(mission, zone), zone).date()
    next_slot = (
        services.recap_next_slot(
            weekdays=mission.recap_weekdays,
            activated_on=activated_on,
            now_local=now_local,
            draft_hour=services.recap_draft_hour(collective),
            drafted=drafted_slots,
        )
        if mission.status in (Mission.Status.DRAFT, Mission.Status.ACTIVE)
        else None
    )
    contacts = kickoff_services.kickoff_recipients(mission)
    kickoff = kickoff_services.kickoff_status(mission, contacts)
    return render(
        request,
        "communication/mission.html",
        {
            "mission": mission,
            "drafts": drafts,
            "page_obj": sent_page,
            "next_slot": next_slot,
            "recap_days": kickoff_services.weekday_names(mission.recap_weekdays or []),
            "draft_time": time(services.recap_draft_hour(collective)),
            "auto_send_time": time(collective.recaps_auto_send_hour),
            "contacts": contacts,
            "kickoff": kickoff,
            "is_active": mission.status == Mission.Status.ACTIVE,
        },
    )


@mission_view(manage=True)
def recap_create(request):
    """ "Write one now": a draft from the data as it is, outside the schedule."""
    mission = _mission(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    recap = services.recap_create_now(mission=mission, by=request.user)
    messages.success(
        request, _("The recap is drafted from the mission's data: read it, complete it, send it.")
    )
    return _to_editor(request, recap)


@mission_view(manage=True)
def recap_edit(request, recap_pk):
    """Edit a draft, preview it as the client will get it, send it; a sent recap is shown as sent."""
    recap = _recap(request, recap_pk)
    mission = recap.mission
    recipients = services.recap_recipients(mission)
    if recap.state != Recap.State.DRAFT and request.method != "POST":
        return render(
            request,
            "communication/recaps/edit.html",
            {
                "mission": mission,
                "recap": recap,
                "recipients": recipients,
                "blocks": services.recap_body_blocks(recap.body),
            },
        )
    action = request.POST.get("action", "save") if request.method == "POST" else ""
    form = RecapForm(request.POST or None, initial={"subject": recap.subject, "body": recap.body})
    show_preview = request.method == "GET" and request.GET.get("preview") == "1"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.recap_update(recap=recap, by=request.user, subject=data["subject"], body=data["body"])
            if action == "send":
                emails = services.recap_send(recap=recap, by=request.user)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if action == "send":
                messages.success(
                    request,
                    ngettext(
                        "The recap was sent to %(count)d contact of the client.",
                        "The recap was sent to %(count)d contacts of the client.",
                        len(emails),
                    )
                    % {"count": len(emails)},
                )
                return _to_page(request)
            if action == "preview":
                messages.success(request, _("Draft saved. Here is the email as the client will receive it."))
                response = _to_editor(request, recap)
                response["Location"] += "?preview=1#preview"
                return response
            messages.success(request, _("Draft saved."))
            return _to_editor(request, recap)
    kind = preview_kind("recap")
    return render(
        request,
        "communication/recaps/edit.html",
        {
            "mission": mission,
            "recap": recap,
            "form": form,
            "recipients": recipients,
            "show_preview": show_preview and kind is not None,
            "preview_contact": recipients[0] if recipients else None,
        },
    )


@mission_view(manage=True)
def recap_skip(request, recap_pk):
    recap = _recap(request, recap_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.recap_skip(recap=recap, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(request, _("The recap is skipped: the next one will cover its period."))
    return _to_page(request)


@mission_view(manage=True)
def kickoff_send(request):
    """Send the kickoff to the contacts who have not had it (for example, added after the activation)."""
    mission = _mission(request)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        emails = kickoff_services.kickoff_send(mission=mission, by=request.user)
    except ValidationError as error:
        messages.error(request, _error_text(error))
    else:
        if emails:
            messages.success(
                request,
                ngettext(
                    "The kickoff was sent to %(count)d contact.",
                    "The kickoff was sent to %(count)d contacts.",
                    len(emails),
                )
                % {"count": len(emails)},
            )
        else:
            messages.info(request, _("Every contact of the client has already received the kickoff."))
    return _to_page(request)
