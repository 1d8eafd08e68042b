"""Delivery calls: schedule one for a deliverable, preview the invitation, reschedule, cancel, download."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.collectives.time import collective_today
from cordee.communication.forms.calls import DeliveryCallForm
from cordee.communication.models import DeliveryCall
from cordee.communication.services import calls as services
from cordee.core.forms import add_service_error
from cordee.core.outbox import render_email
from cordee.missions.models import Deliverable
from cordee.missions.permissions import mission_view

PAGE_SIZE = 25


def _deliverable(request, deliverable_pk) -> Deliverable:
    deliverable = get_object_or_404(
        Deliverable, collective=request.collective, mission=request.mission, pk=deliverable_pk
    )
    request.mission.collective = request.collective
    deliverable.mission, deliverable.collective = request.mission, request.collective
    return deliverable


def _call(request, call_pk) -> DeliveryCall:
    """One call of the current mission: another mission's, or another collective's, is a 404."""
    call = get_object_or_404(
        services.calls_with_attendees(DeliveryCall.objects.all()),
        collective=request.collective,
        mission=request.mission,
        pk=call_pk,
    )
    request.mission.collective = request.collective
    call.mission = request.mission
    call.deliverable.mission, call.deliverable.collective = request.mission, request.collective
    return call


# A refusal of the call's start shows on the date the member typed.
FIELD_OF = {"starts_at": "start_date"}


def _detail_url(request, deliverable) -> str:
    return reverse(
        "missions:deliverable_detail", args=[request.collective.slug, request.mission.pk, deliverable.pk]
    )


def _preview(request, *, call: DeliveryCall, form: DeliveryCallForm, kind: str, previous_starts_at=None):
    """The email the first client contact chosen would get, in their language."""
    data = form.service_arguments()
    attendees = services.attendees_of(contacts=data["attendee_contacts"], users=data["attendee_users"])
    recipient = next((attendee for attendee in attendees if not attendee.is_team), None)
    if recipient is None:
        return None
    call.starts_at, call.duration_minutes = data["starts_at"], data["duration_minutes"]
    call.video_link = data["video_link"]
    subject, body, _html = render_email(
        services.INVITATION_TEMPLATE,
        services.delivery_call_email_context(
            call=call,
            recipient=recipient,
            attendees=attendees,
            kind=kind,
            previous_starts_at=previous_starts_at,
            collective=request.collective,
        ),
        recipient.language,
    )
    return {"subject": subject, "body": body, "recipient": recipient, "count": len(attendees)}


@mission_view
def call_list(request):
    """Every delivery call of the mission, the latest first, and the deliverables still without one."""
    mission, collective = request.mission, request.collective
    page = Paginator(services.mission_calls(mission=mission), PAGE_SIZE).get_page(request.GET.get("page"))
    upcoming = DeliveryCall.objects.filter(
        deliverable=OuterRef("pk"), cancelled_at__isnull=True, starts_at__gte=timezone.now()
    )
    without_call = (
        Deliverable.objects.filter(collective=collective, mission=mission)
        .exclude(status__in=[Deliverable.Status.DELIVERED, Deliverable.Status.ACCEPTED])
        .exclude(Exists(upcoming))
        .order_by("announced_date", "pk")
    )
    context = {
        "mission": mission,
        "page_obj": page,
        "without_call": without_call[:10],
        "now": timezone.now(),
    }
    return render(request, "communication/calls/list.html", context)


@mission_view(manage=True)
def call_create(request, deliverable_pk):
    deliverable = _deliverable(request, deliverable_pk)
    mission, collective = request.mission, request.collective
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        form = DeliveryCallForm(request.POST, mission=mission, collective=collective)
    else:
        form = DeliveryCallForm(
            initial=DeliveryCallForm.initial_for_new(
                mission=mission, deliverable=deliverable, today=collective_today(collective)
            ),
            mission=mission,
            collective=collective,
        )
    preview = None
    if action in ("preview", "send") and form.is_valid():
        if action == "send":
            try:
                call = services.delivery_call_schedule(
                    deliverable=deliverable, by=request.user, **form.service_arguments()
                )
            except ValidationError as error:
                add_service_error(form, error, field_of=FIELD_OF)
            else:
                count = len(services.call_attendees(call))
                messages.success(
                    request,
                    ngettext(
                        "The delivery call is scheduled: the invitation was sent to %(count)d person.",
                        "The delivery call is scheduled: the invitation was sent to %(count)d people.",
                        count,
                    )
                    % {"count": count},
                )
                return redirect(_detail_url(request, deliverable) + "#calls")
        else:
            call = DeliveryCall(
                collective=collective, mission=mission, deliverable=deliverable, organizer=mission.lead
            )
            preview = _preview(request, call=call, form=form, kind="new")
    context = {"mission": mission, "deliverable": deliverable, "form": form, "preview": preview, "call": None}
    return render(request, "communication/calls/form.html", context)


@mission_view(manage=True)
def call_edit(request, call_pk):
    call = _call(request, call_pk)
    mission, collective = request.mission, request.collective
    deliverable = call.deliverable
    if call.cancelled_at or call.starts_at <= timezone.now():
        messages.info(
            request,
            _("This call was cancelled: schedule a new one instead.")
            if call.cancelled_at
            else _("This call has already started: it can no longer be changed."),
        )
        return redirect(_detail_url(request, deliverable) + "#calls")
    action = request.POST.get("action", "") if request.method == "POST" else ""
    if request.method == "POST":
        form = DeliveryCallForm(request.POST, mission=mission, collective=collective)
    else:
        form = DeliveryCallForm(
            initial=DeliveryCallForm.initial_for(call, time_zone=collective.time_zone),
            mission=mission,
            collective=collective,
        )
    preview = None
    if action in ("preview", "send") and form.is_valid():
        if action == "send":
            try:
                changed = services.delivery_call_update(
                    call=call, by=request.user, **form.service_arguments()
                )
            except ValidationError as error:
                call.refresh_from_db()
                add_service_error(form, error, field_of=FIELD_OF)
            else:
                if changed:
                    count = len(services.call_attendees(call))
                    messages.success(
                        request,
                        ngettext(
                            "The call is updated: %(count)d person got the new invitation.",
                            "The call is updated: %(count)d people got the new invitation.",
                            count,
                        )
                        % {"count": count},
                    )
                else:
                    messages.info(request, _("Nothing changed: no email was sent."))
                return redirect(_detail_url(request, deliverable) + "#calls")
        else:
            previous_starts_at = call.starts_at
            preview_call = DeliveryCall(
                pk=call.pk,
                collective=collective,
                mission=mission,
                deliverable=deliverable,
                organizer=call.organizer,
                calendar_uid=call.calendar_uid,
                sequence=call.sequence + 1,
            )
            preview = _preview(
                request, call=preview_call, form=form, kind="update", previous_starts_at=previous_starts_at
            )
    context = {"mission": mission, "deliverable": deliverable, "form": form, "preview": preview, "call": call}
    return render(request, "communication/calls/form.html", context)


@mission_view(manage=True)
def call_cancel(request, call_pk):
    call = _call(request, call_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        services.delivery_call_cancel(call=call, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        count = len(services.call_attendees(call))
        messages.success(
            request,
            ngettext(
                "The call is cancelled: %(count)d person was told and it leaves their calendar.",
                "The call is cancelled: %(count)d people were told and it leaves their calendars.",
                count,
            )
            % {"count": count},
        )
    return redirect(_detail_url(request, call.deliverable) + "#calls")


@mission_view
def call_ics(request, call_pk):
    """The call as an .ics file to add to one's own calendar (same UID as the invitation)."""
    call = _call(request, call_pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    data = services.delivery_call_file(call, language=request.LANGUAGE_CODE)
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="delivery-call-{call.pk}.ics"'
    return response
