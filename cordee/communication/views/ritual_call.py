"""The weekly sync call of a mission (a recurring invitation) and the client's calendar address."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.communication.forms.calls import RitualCallForm
from cordee.communication.models import Ritual
from cordee.communication.services import rituals_calendar as services
from cordee.communication.services.calls import contact_choices, team_choices
from cordee.core.forms import add_service_error
from cordee.core.outbox import render_email
from cordee.missions.models import Mission
from cordee.missions.permissions import mission_view


def _page_url(request) -> str:
    return reverse("communication:ritual_call", args=[request.collective.slug, request.mission.pk])


def _videos_url(request) -> str:
    try:
        return reverse("communication:ritual_videos", args=[request.collective.slug, request.mission.pk])
    except NoReverseMatch:
        return ""


def _preview(request, ritual: Ritual | None, form: RitualCallForm):
    mission = request.mission
    contact = contact_choices(mission).first()
    if contact is None:
        return None
    data = form.cleaned_data
    live = services.ritual_call_is_live(ritual, mission)
    draft = Ritual(
        collective=request.collective,
        mission=mission,
        weekday=data["weekday"],
        start_time=data["start_time"],
        duration_minutes=data["duration_minutes"],
        video_link=data["video_link"],
        first_date=data["first_date"],
    )
    recipient = services.attendees_of(contacts=[contact], users=[])[0]
    subject, body, _html = render_email(
        services.INVITATION_TEMPLATE,
        services.ritual_call_email_context(
            ritual=draft, mission=mission, recipient=recipient, kind="update" if live else "new"
        ),
        recipient.language,
    )
    return {"subject": subject, "body": body, "recipient": recipient}


@mission_view
def ritual_call(request):
    """Everyone on the mission sees the weekly call; the lead and the admins set it up and send it."""
    mission, collective = request.mission, request.collective
    mission.collective = collective
    ritual = services.ritual_of(mission)
    live = services.ritual_call_is_live(ritual, mission)
    is_call = mission.ritual_kind == Mission.RitualKind.SYNC_CALL
    is_open = mission.status not in services.CLOSED_STATUSES
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST" and not request.can_manage_mission:
        raise PermissionDenied
    if request.method == "POST":
        form = RitualCallForm(request.POST, collective=collective)
    else:
        form = RitualCallForm(
            initial=RitualCallForm.initial_for(ritual) if ritual and ritual.first_date else None,
            collective=collective,
        )
    preview = None
    if is_call and action in ("preview", "send") and form.is_valid():
        if action == "send":
            data = form.cleaned_data
            try:
                ritual, sent = services.ritual_call_save(mission=mission, by=request.user, **data)
            except ValidationError as error:
                add_service_error(form, error)
            else:
                if sent:
                    count = len(services.ritual_call_invited(ritual))
                    messages.success(
                        request,
                        ngettext(
                            "The weekly call is in the calendars: the invitation was sent to %(count)d person.",
                            "The weekly call is in the calendars: the invitation was sent to %(count)d people.",
                            count,
                        )
                        % {"count": count},
                    )
                else:
                    messages.info(request, _("Nothing changed: no email was sent."))
                return redirect(_page_url(request))
        else:
            preview = _preview(request, ritual, form)
    contacts = list(contact_choices(mission))
    team = list(team_choices(mission))
    invited = services.ritual_call_invited(ritual) if live else []
    context = {
        "mission": mission,
        "ritual": ritual,
        "live": live,
        "is_call": is_call,
        "is_open": is_open,
        "form": form,
        "preview": preview,
        "contacts": contacts,
        "team": team,
        "invited_count": len(invited),
        "next_call": services.ritual_call_next(ritual, collective.time_zone) if live else None,
        "videos_url": _videos_url(request),
        "now": timezone.now(),
    }
    return render(request, "communication/ritual/call.html", context)


@mission_view(manage=True)
def ritual_call_stop(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    request.mission.collective = request.collective
    if services.ritual_call_stop(mission=request.mission, by=request.user):
        messages.success(
            request, _("The weekly call is stopped: everyone invited was told and it leaves their calendars.")
        )
    else:
        messages.info(request, _("There was no weekly call running."))
    return redirect(_page_url(request))
