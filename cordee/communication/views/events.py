"""The collective's rituals: events with RSVP, and each member's private calendar URL of them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe

from cordee.collectives.permissions import collective_view
from cordee.communication.forms.events import CollectiveEventForm, EventResponseForm
from cordee.communication.models import CollectiveEvent, EventResponse
from cordee.communication.services.events import (
    UPCOMING_WEEKS,
    can_edit_event,
    cancelled_events,
    collective_event_cancel,
    collective_event_create,
    collective_event_update,
    event_feed_create,
    event_feed_lookup,
    event_feed_of,
    event_feed_revoke,
    event_response_set,
    event_with_responses,
    events_feed_ics,
    events_feed_url,
    next_occurrence,
    past_events,
    recurrence_label,
    response_summary,
    upcoming_events,
    upcoming_occurrences,
)

PAGE_SIZE = 25
SHOWS = ("upcoming", "past", "cancelled")
# The new feed's token waits here until the page shows it, once (only its hash is stored).
NEW_FEED_SESSION_KEY = "events_feed_new_token"


def events_url(request, event: CollectiveEvent | None = None) -> str:
    url = reverse("communication:events", args=[request.collective.slug])
    return f"{url}#event-{event.pk}" if event else url


def _forbidden(request, text: str, back_url: str):
    return render(
        request, "missions/board/forbidden.html", {"message": text, "back_url": back_url}, status=403
    )


def _decorate(events, request, now) -> None:
    """What each card needs: who answered what, the member's own answer, whether they may edit it."""
    for event in events:
        event.rsvp = response_summary(event, user=request.user)
        event.can_edit = can_edit_event(event=event, membership=request.membership)
        event.recurrence_text = recurrence_label(event)
        event.is_over = bool(event.ends_at and event.ends_at <= now)


@collective_view
def events(request):
    now = timezone.now()
    show = request.GET.get("show", "")
    show = show if show in SHOWS else "upcoming"
    occurrences = []
    if show == "upcoming":
        current = upcoming_events(collective=request.collective, now=now)
        occurrences = upcoming_occurrences(current, now=now)
        page = Paginator(current, PAGE_SIZE).get_page(request.GET.get("page"))
    elif show == "past":
        page = Paginator(past_events(collective=request.collective, now=now), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    else:
        page = Paginator(cancelled_events(collective=request.collective), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    _decorate(page.object_list, request, now)
    new_token = request.session.pop(NEW_FEED_SESSION_KEY, None)
    feed = event_feed_of(user=request.user, collective=request.collective)
    new_feed_url = events_feed_url(new_token) if new_token and feed else ""
    context = {
        "show": show,
        "show_links": [
            ("upcoming", _("Upcoming")),
            ("past", _("Past")),
            ("cancelled", _("Cancelled")),
        ],
        "page_obj": page,
        "occurrences": occurrences,
        "weeks": UPCOMING_WEEKS,
        "feed": feed,
        "new_feed_url": new_feed_url,
        "new_feed_webcal_url": new_feed_url.replace("https://", "webcal://").replace("http://", "webcal://"),
        "answers": EventResponse.Answer.choices,
    }
    return render(request, "communication/events/list.html", context)


@collective_view
def event_create(request):
    form = CollectiveEventForm(request.POST or None, collective=request.collective)
    if request.method == "POST" and form.is_valid():
        try:
            event = collective_event_create(
                collective=request.collective,
                by=request.user,
                invite_members=form.cleaned_data["invite_members"],
                **form.service_values(),
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            text = _("“%(title)s” is in the collective's rituals: members can answer.") % {
                "title": event.title
            }
            if event.invited:
                text += " " + ngettext(
                    "%(count)d member was invited by email.",
                    "%(count)d members were invited by email.",
                    event.invited,
                ) % {"count": event.invited}
            messages.success(request, text)
            return redirect(events_url(request, event))
    return render(request, "communication/events/form.html", {"form": form, "event": None})


def _get_event(request, event_pk) -> CollectiveEvent:
    return get_object_or_404(
        CollectiveEvent.objects.select_related("created_by", "collective"),
        collective=request.collective,
        pk=event_pk,
    )


@collective_view
def event_edit(request, event_pk):
    event = _get_event(request, event_pk)
    back_url = events_url(request, event)
    if not can_edit_event(event=event, membership=request.membership):
        return _forbidden(
            request,
            _("Only the person who created the event and the collective's admins change it."),
            back_url,
        )
    if event.cancelled_at:
        messages.error(request, _("This event was cancelled: it can no longer change."))
        return redirect(reverse("communication:events", args=[request.collective.slug]) + "?show=cancelled")
    form = CollectiveEventForm(request.POST or None, collective=request.collective, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            event = collective_event_update(event=event, by=request.user, **form.service_values())
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            if event.changed:
                messages.success(
                    request,
                    _("“%(title)s” was updated: subscribed calendars will show the change.")
                    % {"title": event.title},
                )
            else:
                messages.info(request, _("Nothing was changed."))
            return redirect(back_url)
    return render(
        request, "communication/events/form.html", {"form": form, "event": event, "back_url": back_url}
    )


@collective_view
def event_cancel(request, event_pk):
    event = _get_event(request, event_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        cancelled = collective_event_cancel(event=event, by=request.user)
    except PermissionDenied:
        return _forbidden(
            request,
            _("Only the person who created the event and the collective's admins cancel it."),
            events_url(request, event),
        )
    if cancelled:
        messages.success(
            request,
            _("“%(title)s” was cancelled: it disappears from the members' calendars.")
            % {"title": event.title},
        )
    else:
        messages.info(request, _("This event was already cancelled."))
    return redirect(events_url(request))


@collective_view
def event_rsvp(request, event_pk):
    event = _get_event(request, event_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = EventResponseForm(request.POST)
    error = ""
    if not form.is_valid():
        error = _("Answer going, maybe or not going.")
    else:
        try:
            event_response_set(event=event, user=request.user, answer=form.cleaned_data["answer"])
        except ValidationError as refused:
            error = " ".join(refused.messages)
    if request.htmx:
        return _card(request, event_pk, error=error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Your answer to “%(title)s” is saved.") % {"title": event.title})
    return redirect(events_url(request, event))


def _card(request, event_pk, *, error: str = ""):
    """The event's card, fresh, for an in-place answer."""
    now = timezone.now()
    event = event_with_responses(collective=request.collective, pk=event_pk)
    event.next = next_occurrence(event, now=now) if not event.cancelled_at else None
    _decorate([event], request, now)
    context = {
        "event": event,
        "answers": EventResponse.Answer.choices,
        "rsvp_error": error,
        "show": "upcoming",
    }
    return render(request, "communication/events/_event.html", context)


@collective_view
def events_feed_subscribe(request):
    """Create the member's rituals calendar URL, or give it a new address (the old one stops working)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    raw_token, replaced = event_feed_create(user=request.user, collective=request.collective)
    request.session[NEW_FEED_SESSION_KEY] = raw_token
    if replaced:
        messages.success(
            request, _("Your rituals calendar has a new address: the previous one no longer works.")
        )
    else:
        messages.success(request, _("Your rituals calendar address is ready: add it to your calendar now."))
    return redirect(events_url(request) + "#calendar")


@collective_view
def events_feed_revoke(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if event_feed_revoke(user=request.user, collective=request.collective):
        messages.success(
            request,
            _("Your rituals calendar address was revoked: calendars subscribed to it no longer update."),
        )
    else:
        messages.info(request, _("You had no rituals calendar address."))
    return redirect(events_url(request) + "#calendar")


@require_safe
def events_feed(request, token):
    """The iCal feed behind a member's private address: no session, the token is the key (404 once
    revoked, or once the member has left the collective)."""
    feed = event_feed_lookup(raw_token=token)
    if feed is None:
        raise Http404
    data = events_feed_ics(collective=feed.collective, user=feed.user)
    response = HttpResponse(data, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{feed.collective.slug}-rituals.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response
