"""The client portal: magic-link sign-in, the client's missions, and the portal access given by members."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cordee.clients.models import ClientContact
from cordee.collectives.permissions import collective_view
from cordee.collectives.time import collective_today, collective_zone
from cordee.communication.services.calls import delivery_call_file
from cordee.core.ics import calendar_file_response
from cordee.core.ratelimit import client_ip, ratelimit_hit
from cordee.missions.models import Mission
from cordee.portal import queries, services
from cordee.portal.feeds import mission_feed_url, webcal
from cordee.portal.forms import PortalLanguageForm, PortalLoginForm, PortalRequestForm
from cordee.portal.permissions import portal_view
from cordee.portal.sessions import (
    NEXT_KEY,
    portal_access_from_session,
    portal_session_ids,
    portal_sign_in,
    portal_sign_out,
)
from cordee.portal.tasks import portal_links_send

PAGE_SIZE = 25
# On the mission page: the latest few; the full lists have their own pages.
LATEST_RECAPS = 3
LATEST_VIDEOS = 3
LATEST_REQUESTS = 5
# Sign-in links asked for on the sign-in page, per hour.
LINKS_PER_IP_PER_HOUR = 10
LINKS_PER_EMAIL_PER_HOUR = 3
# Requests a contact sends from the portal, per hour (keeps a mistake or a script from flooding the inbox).
REQUESTS_PER_CONTACT_PER_HOUR = 20


def _refusal_message(reason: str) -> str:
    if reason == "expired":
        return _(
            "This sign-in link has expired: links work for %(days)d days. Ask for a new one below, "
            "it will arrive by email in a minute."
        ) % {"days": settings.PORTAL_LINK_VALIDITY_DAYS}
    if reason == "used":
        return _(
            "This sign-in link was already used: each link works only once. Ask for a new one below, "
            "it will arrive by email in a minute."
        )
    if reason == "revoked":
        return _(
            "This sign-in link was cancelled by the collective. If you still need the portal, ask your "
            "contact there to send you a new access."
        )
    return _(
        "This sign-in link is not valid. Check that you opened the whole address from the email, or ask "
        "for a new link below."
    )


# --- Sign-in ---------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def login(request):
    """Ask for a magic link by email. The answer never tells whether the address is known."""
    if request.method == "GET" and portal_access_from_session(request) is not None:
        return redirect("portal:home")
    form = PortalLoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"].strip().lower()
        allowed = ratelimit_hit("portal-link-ip", client_ip(request), LINKS_PER_IP_PER_HOUR, 3600)
        allowed = allowed and ratelimit_hit("portal-link-email", email, LINKS_PER_EMAIL_PER_HOUR, 3600)
        if not allowed:
            form.add_error(
                None, _("Too many links were asked for in the last hour. Wait a while, then try again.")
            )
            status = 429
        else:
            portal_links_send(email)
            messages.success(
                request,
                _(
                    "If %(email)s is the address of a client contact, a sign-in link is on its way. "
                    "Check your inbox (and your spam folder) in a minute."
                )
                % {"email": email},
            )
            return redirect("portal:login")
    return render(
        request,
        "portal/login.html",
        {"form": form, "validity_days": settings.PORTAL_LINK_VALIDITY_DAYS},
        status=status,
    )


def _language_for_token_page(request, access) -> str:
    """The language chosen on this device (the switch), else the contact's."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen in dict(settings.LANGUAGES):
        return chosen
    return access.contact.language if access else translation.get_language()


@never_cache
@require_http_methods(["GET", "POST"])
def magic(request, token):
    """A magic link. GET only shows a button (mail scanners that open links do not use it up); the POST
    uses the link once and signs the contact in."""
    access = services.portal_link_find(token)
    if access is not None:
        translation.activate(_language_for_token_page(request, access))
        request.LANGUAGE_CODE = translation.get_language()
    # A link that leads to one page (a quote to accept, for instance) carries it in `next`, kept for the sign-in.
    wanted = request.GET.get("next", "")
    if wanted.startswith("/portal/") and url_has_allowed_host_and_scheme(wanted, {request.get_host()}):
        request.session[NEXT_KEY] = wanted
    contact_id, access_id = portal_session_ids(request)
    already_in = (
        access is not None
        and access.pk == access_id
        and access.contact_id == contact_id
        and portal_access_from_session(request) is not None
    )
    if already_in:
        # The same link opened again in the browser it signed in: the session is still open.
        next_url = request.session.pop(NEXT_KEY, "")
        return redirect(next_url if next_url.startswith("/portal/") else "portal:home")
    reason = "unknown" if access is None else services.refusal_reason(access)
    if request.method == "POST" and reason is None:
        try:
            access = services.portal_link_consume(raw_token=token)
        except services.PortalLinkRefused as refused:
            reason = refused.reason
        else:
            chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            if chosen in dict(settings.LANGUAGES):
                services.portal_contact_language_set(contact=access.contact, language=chosen)
            portal_sign_in(request, access)
            next_url = request.session.pop(NEXT_KEY, "")
            if (
                next_url
                and next_url.startswith("/portal/")
                and url_has_allowed_host_and_scheme(next_url, {request.get_host()})
            ):
                return redirect(next_url)
            return redirect("portal:home")
    context = {
        "access": access,
        "contact": access.contact if access else None,
        "collective": access.collective if access else None,
        "reason": reason,
        "refusal": _refusal_message(reason) if reason else "",
        "portal_session_days": settings.PORTAL_SESSION_DAYS,
        "current_mission": services.contact_current_mission(access.contact) if reason == "revoked" else None,
        "form": PortalLoginForm(
            initial={"email": access.contact.email} if access and reason != "revoked" else None
        ),
    }
    return render(
        request, "portal/magic.html", context, status=200 if reason is None else 410 if access else 404
    )


@require_POST
def logout(request):
    access_id = portal_session_ids(request)[1]
    if access_id:
        services.portal_session_end(access_id=access_id)
    portal_sign_out(request)
    messages.success(request, _("You are signed out of the portal."))
    return redirect("portal:login")


@portal_view
@require_POST
def language(request):
    form = PortalLanguageForm(request.POST)
    if form.is_valid():
        services.portal_contact_language_set(
            contact=request.portal_contact, language=form.cleaned_data["language"]
        )
        translation.activate(request.portal_contact.language)
    next_url = request.POST.get("next", "")
    if not (
        next_url.startswith("/portal/") and url_has_allowed_host_and_scheme(next_url, {request.get_host()})
    ):
        next_url = reverse("portal:home")
    response = redirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        request.portal_contact.language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# --- Portal pages -----------------------------------------------------------------------------------


@portal_view
def home(request):
    missions = queries.portal_missions(request.portal_contact)
    page = Paginator(missions, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/home.html", {"page_obj": page})


def _feed_urls(mission, language: str) -> tuple[str, str]:
    """The mission's calendar feed for its client, as an address and a webcal:// subscribe link (the
    URLs not mounted, the page simply has no calendar block)."""
    try:
        url = mission_feed_url(mission, language=language) or ""
    except NoReverseMatch:
        return "", ""
    return url, webcal(url) if url else ""


@portal_view
def mission(request, mission_pk):
    contact = request.portal_contact
    mission = queries.portal_mission(contact, mission_pk)
    recaps = list(queries.sent_recaps(mission)[: LATEST_RECAPS + 1])
    videos = []
    ritual = None
    if mission.ritual_kind == Mission.RitualKind.ASYNC_VIDEO:
        videos = list(queries.ritual_videos(mission)[: LATEST_VIDEOS + 1])
    else:
        ritual = queries.active_ritual(mission)
    requests = list(queries.mission_requests(mission)[: LATEST_REQUESTS + 1])
    feed_url, feed_subscribe_url = _feed_urls(mission, contact.language)
    return render(
        request,
        "portal/mission.html",
        {
            "mission": mission,
            "deliverables": queries.roadmap(mission),
            "recaps": recaps[:LATEST_RECAPS],
            "more_recaps": len(recaps) > LATEST_RECAPS,
            "ritual": ritual,
            "videos": videos[:LATEST_VIDEOS],
            "more_videos": len(videos) > LATEST_VIDEOS,
            "calls": queries.delivery_calls(mission),
            "requests": requests[:LATEST_REQUESTS],
            "more_requests": len(requests) > LATEST_REQUESTS,
            "request_form": PortalRequestForm(),
            "feed_url": feed_url,
            "feed_subscribe_url": feed_subscribe_url,
            "time_zone": mission.collective.time_zone,
            "zone_label": mission.collective.time_zone.rsplit("/", 1)[-1].replace("_", " "),
            "today": collective_today(mission.collective),
        },
    )


@portal_view
def recaps(request, mission_pk):
    mission = queries.portal_mission(request.portal_contact, mission_pk)
    page = Paginator(queries.sent_recaps(mission), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/recaps.html",
        {"mission": mission, "page_obj": page, "time_zone": mission.collective.time_zone},
    )


@portal_view
def videos(request, mission_pk):
    mission = queries.portal_mission(request.portal_contact, mission_pk)
    page = Paginator(queries.ritual_videos(mission), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/videos.html", {"mission": mission, "page_obj": page})


@portal_view
@require_http_methods(["GET", "POST"])
def requests(request, mission_pk):
    """The mission's requests with their status, and the form to send a new one to the lead."""
    contact = request.portal_contact
    mission = queries.portal_mission(contact, mission_pk)
    form = PortalRequestForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        if not ratelimit_hit("portal-request", str(contact.pk), REQUESTS_PER_CONTACT_PER_HOUR, 3600):
            form.add_error(None, _("You sent many requests in the last hour. Wait a while, then try again."))
            status = 429
        else:
            try:
                services.portal_request_send(
                    contact=contact,
                    mission=mission,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    _("Your request was sent to %(lead)s. Its status shows below as it moves on.")
                    % {"lead": mission.lead.display_name},
                )
                return redirect("portal:requests", mission_pk=mission.pk)
    page = Paginator(queries.mission_requests(mission), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "portal/requests.html",
        {"mission": mission, "page_obj": page, "form": form},
        status=status,
    )


@portal_view
def call_ics(request, call_pk):
    """A delivery call as an .ics file to add to one's calendar: the same event (UID, SEQUENCE) as the
    invitation the calls area emails, as `METHOD:PUBLISH`, in the contact's language."""
    call = queries.portal_call(request.portal_contact, call_pk)
    data = delivery_call_file(call, language=request.portal_contact.language)
    return calendar_file_response(data, filename=f"delivery-call-{call.pk}.ics")


# --- Members: give and revoke a contact's access ---------------------------------------------------


def _get_contact(request, contact_pk) -> ClientContact:
    return get_object_or_404(
        ClientContact.objects.select_related("client", "collective"),
        collective=request.collective,
        pk=contact_pk,
    )


@collective_view
def access_send(request, contact_pk):
    contact = _get_contact(request, contact_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        sent = services.portal_access_send(contact=contact, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("clients:detail", request.collective.slug, contact.client_id)
    expires_on = timezone.localtime(sent.access.expires_at, collective_zone(request.collective)).date()
    messages.success(
        request,
        _(
            "A sign-in link to the client portal was emailed to %(name)s (%(email)s); it works once, until %(date)s."
        )
        % {
            "name": contact.full_name,
            "email": contact.email,
            "date": date_format(expires_on, "DATE_FORMAT"),
        },
    )
    return redirect("clients:detail", request.collective.slug, contact.client_id)


@collective_view
def access_revoke(request, contact_pk):
    contact = _get_contact(request, contact_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    services.portal_access_revoke(contact=contact, by=request.user)
    messages.success(
        request,
        _(
            "%(name)s no longer has access to the client portal: their links no longer work and their "
            "open sessions are closed. Send the access again to give it back."
        )
        % {"name": contact.full_name},
    )
    return redirect("clients:detail", request.collective.slug, contact.client_id)
