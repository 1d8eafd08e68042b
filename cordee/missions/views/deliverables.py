"""Deliverables of a mission, their deadline health, and delay notices to the client."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.collectives.time import collective_today
from cordee.core.forms import add_service_error
from cordee.core.outbox import render_email
from cordee.missions.forms.deliverables import DelayNoticeForm, DeliverableForm, DeliverableStatusForm
from cordee.missions.models import Deliverable
from cordee.missions.permissions import mission_view
from cordee.missions.queries import deliverables as queries
from cordee.missions.services import deliverables as services

PAGE_SIZE = 25


def _deliverable(request, deliverable_pk) -> Deliverable:
    """One deliverable of the current mission: another mission's, or another collective's, is a 404."""
    deliverable = get_object_or_404(
        Deliverable.objects.select_related("owner"),
        collective=request.collective,
        mission=request.mission,
        pk=deliverable_pk,
    )
    request.mission.collective = request.collective
    deliverable.mission, deliverable.collective = request.mission, request.collective
    return deliverable


def _redirect_to_detail(request, deliverable):
    return redirect(
        "missions:deliverable_detail",
        slug=request.collective.slug,
        mission_pk=request.mission.pk,
        deliverable_pk=deliverable.pk,
    )


@mission_view
def deliverable_list(request):
    collective, mission = request.collective, request.mission
    today = collective_today(collective)
    page = Paginator(queries.deliverable_list(mission=mission, collective=collective), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = queries.deliverables_decorate(page.object_list, collective=collective, today=today)
    context = {
        "mission": mission,
        "page_obj": page,
        "on_time": queries.mission_on_time_rate(mission=mission, collective=collective),
        "today": today,
    }
    return render(request, "missions/deliverables/list.html", context)


@mission_view(manage=True)
def deliverable_create(request):
    collective, mission = request.collective, request.mission
    if request.method == "POST":
        form = DeliverableForm(request.POST, mission=mission, collective=collective)
        if form.is_valid():
            try:
                deliverable = services.deliverable_create(
                    mission=mission, collective=collective, by=request.user, **form.service_arguments()
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _("“%(title)s” was added, announced to the client for %(date)s.")
                    % {"title": deliverable.title, "date": _date(deliverable.announced_date)},
                )
                return redirect("missions:deliverables", slug=collective.slug, mission_pk=mission.pk)
    else:
        form = DeliverableForm(mission=mission, collective=collective)
    return render(
        request,
        "missions/deliverables/form.html",
        {"mission": mission, "form": form, "deliverable": None},
    )


@mission_view
def deliverable_detail(request, deliverable_pk):
    deliverable = _deliverable(request, deliverable_pk)
    collective = request.collective
    today = collective_today(collective)
    queries.deliverables_decorate([deliverable], collective=collective, today=today)
    notice_days, notice_is_late = services.delay_notice_terms(deliverable=deliverable, today=today)
    context = {
        "mission": request.mission,
        "deliverable": deliverable,
        "tasks": queries.deliverable_tasks(deliverable=deliverable),
        "delay_notices": queries.deliverable_delay_notices(deliverable=deliverable),
        "totals": queries.deliverable_time_totals(deliverable=deliverable),
        "status_moves": _status_actions(deliverable),
        "automatic_date": services.automatic_announced_date(
            mission=request.mission, collective=collective, internal_date=deliverable.internal_date
        ),
        "notice_days": notice_days,
        "notice_is_late": notice_is_late,
        "today": today,
    }
    return render(request, "missions/deliverables/detail.html", context)


def _status_actions(deliverable) -> list[tuple[str, str]]:
    """The status buttons of a deliverable: (status, label), forward moves first."""
    Status = Deliverable.Status
    labels = {
        Status.IN_PROGRESS: _("Reopen") if deliverable.is_done else _("Mark in progress"),
        Status.DELIVERED: _("Mark delivered"),
        Status.ACCEPTED: _("Mark accepted by the client"),
        Status.PLANNED: _("Back to planned"),
    }
    moves = services.STATUS_MOVES[deliverable.status]
    order = [Status.IN_PROGRESS, Status.DELIVERED, Status.ACCEPTED, Status.PLANNED]
    if deliverable.is_done:
        order = [Status.ACCEPTED, Status.IN_PROGRESS]
    return [(status.value, labels[status]) for status in order if status in moves]


@mission_view(manage=True)
def deliverable_edit(request, deliverable_pk):
    deliverable = _deliverable(request, deliverable_pk)
    collective, mission = request.collective, request.mission
    if request.method == "POST":
        form = DeliverableForm(request.POST, mission=mission, collective=collective)
        if form.is_valid():
            try:
                services.deliverable_update(
                    deliverable=deliverable, by=request.user, **form.service_arguments()
                )
            except ValidationError as error:
                deliverable.refresh_from_db()
                add_service_error(form, error)
            else:
                messages.success(request, _("“%(title)s” was updated.") % {"title": deliverable.title})
                return _redirect_to_detail(request, deliverable)
    else:
        form = DeliverableForm(
            initial=DeliverableForm.initial_for(deliverable), mission=mission, collective=collective
        )
    context = {
        "mission": mission,
        "form": form,
        "deliverable": deliverable,
        "margin_days": services.margin_business_days_of(deliverable),
        "automatic_date": services.automatic_announced_date(
            mission=mission, collective=collective, internal_date=deliverable.internal_date
        ),
    }
    return render(request, "missions/deliverables/form.html", context)


@mission_view(manage=True)
def deliverable_delete(request, deliverable_pk):
    deliverable = _deliverable(request, deliverable_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    title = deliverable.title
    try:
        services.deliverable_delete(deliverable=deliverable, by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return _redirect_to_detail(request, deliverable)
    messages.success(request, _("“%(title)s” was deleted.") % {"title": title})
    return redirect("missions:deliverables", slug=request.collective.slug, mission_pk=request.mission.pk)


@mission_view(manage=True)
def deliverable_status(request, deliverable_pk):
    deliverable = _deliverable(request, deliverable_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = DeliverableStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid status."))
        return _redirect_to_detail(request, deliverable)
    try:
        services.deliverable_change_status(
            deliverable=deliverable, status=form.cleaned_data["status"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(
            request,
            _("“%(title)s” is now %(status)s.")
            % {"title": deliverable.title, "status": deliverable.get_status_display().lower()},
        )
    return _redirect_to_detail(request, deliverable)


@mission_view(manage=True)
def deliverable_announced_reset(request, deliverable_pk):
    deliverable = _deliverable(request, deliverable_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.deliverable_announced_date_reset(deliverable=deliverable, by=request.user)
    messages.success(
        request,
        _("The announced date is automatic again: %(date)s.") % {"date": _date(deliverable.announced_date)},
    )
    return _redirect_to_detail(request, deliverable)


@mission_view(manage=True)
def delay_notice(request, deliverable_pk):
    """Move the announced date back and tell the client: a form, a preview of the email, then send."""
    deliverable = _deliverable(request, deliverable_pk)
    mission, collective = request.mission, request.collective
    if deliverable.is_done:
        messages.info(request, _("This deliverable was already delivered: there is no date to move."))
        return _redirect_to_detail(request, deliverable)
    today = collective_today(collective)
    contacts = list(services.delay_notice_recipients(mission=mission))
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = DelayNoticeForm(request.POST or None, deliverable=deliverable)
    preview = None
    if action in ("preview", "send") and form.is_valid():
        data = form.cleaned_data
        if action == "send":
            try:
                notice = services.delay_notice_send(
                    deliverable=deliverable,
                    new_date=data["new_date"],
                    reason=data["reason"],
                    by=request.user,
                    today=today,
                )
            except ValidationError as error:
                deliverable.refresh_from_db()
                add_service_error(form, error)
            else:
                text = ngettext(
                    "The delay notice was sent to %(count)d contact of the client.",
                    "The delay notice was sent to %(count)d contacts of the client.",
                    len(contacts),
                ) % {"count": len(contacts)}
                if notice.is_late:
                    messages.warning(
                        request,
                        _("%(text)s It came later than the %(minimum)s business days the mission asks for.")
                        % {"text": text, "minimum": mission.delay_notice_min_business_days},
                    )
                else:
                    messages.success(request, text)
                return _redirect_to_detail(request, deliverable)
        elif contacts:
            contact = contacts[0]
            subject, body, _html = render_email(
                "missions/emails/delay_notice",
                services.delay_notice_email_context(
                    deliverable=deliverable,
                    previous_date=deliverable.announced_date,
                    new_date=data["new_date"],
                    reason=data["reason"],
                    contact=contact,
                ),
                contact.language,
            )
            preview = {"subject": subject, "body": body, "contact": contact}
    notice_days, notice_is_late = services.delay_notice_terms(deliverable=deliverable, today=today)
    context = {
        "mission": mission,
        "deliverable": deliverable,
        "form": form,
        "preview": preview,
        "contacts": contacts,
        "notice_days": notice_days,
        "notice_is_late": notice_is_late,
        "today": today,
    }
    return render(request, "missions/deliverables/delay_notice.html", context)


def _date(day) -> str:
    return date_format(day, "DATE_FORMAT")
