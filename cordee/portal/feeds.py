"""The client's calendar of a mission: a private feed URL with the announced dates of the deliverables,
the delivery calls and the weekly call, to subscribe to in Google Calendar, Outlook or Apple Calendar.

The token is the only key (no session: calendar apps fetch it). Only the SHA-256 of the token is stored.
The token itself is derived from the server's secret key and the feed's creation time, so that the portal
and the lead can show the address again at any time without storing it; regenerating it (a new creation
time) makes the previous address a 404, and so does revoking it (the row is deleted).

Nothing internal is in this feed: no internal date, no estimate, no health, no other mission.
"""

from datetime import timedelta
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from cordee.clients.models import ClientContact
from cordee.communication.models import DeliveryCall
from cordee.communication.services.calls import call_feed_event
from cordee.communication.services.rituals_calendar import ritual_call_is_live, ritual_feed_event, ritual_of
from cordee.core import ics
from cordee.core.tokens import token_hash
from cordee.missions.access import mission_for
from cordee.missions.models import Deliverable, Mission
from cordee.portal.models import MissionCalendarFeed

TOKEN_SALT = "cordee.portal.feeds.mission"
# A regenerated client address waits here until the weekly call page shows it once more, highlighted.
NEW_FEED_SESSION_KEY = "mission_feed_regenerated"
LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _raw_token(feed: MissionCalendarFeed) -> str:
    return salted_hmac(
        TOKEN_SALT, f"{feed.mission_id}:{feed.created_at.isoformat()}", algorithm="sha256"
    ).hexdigest()


def mission_feed_of(mission: Mission) -> MissionCalendarFeed | None:
    return MissionCalendarFeed.objects.filter(collective_id=mission.collective_id, mission=mission).first()


def _url(feed: MissionCalendarFeed, language: str | None = None) -> str:
    url = settings.BASE_URL + reverse("portal:mission_feed", args=[_raw_token(feed)])
    if language in LANGUAGES:
        url += "?" + urlencode({"lang": language})
    return url


def webcal(url: str) -> str:
    """The same address for the "subscribe" links of calendar apps."""
    return url.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1)


@transaction.atomic
def mission_feed_create(*, mission: Mission) -> MissionCalendarFeed:
    """The mission's feed, created on first use."""
    feed = mission_feed_of(mission)
    if feed is not None:
        return feed
    now = timezone.now()
    feed = MissionCalendarFeed(collective_id=mission.collective_id, mission=mission, created_at=now)
    feed.token_hash = token_hash(_raw_token(feed))
    try:
        with transaction.atomic():
            feed.save()
    except IntegrityError:  # created at the same moment by another request
        return MissionCalendarFeed.objects.get(mission=mission)
    # auto_now_add replaced created_at on save: store the token of the value actually saved.
    if token_hash(_raw_token(feed)) != feed.token_hash:
        feed.token_hash = token_hash(_raw_token(feed))
        MissionCalendarFeed.objects.filter(pk=feed.pk).update(token_hash=feed.token_hash)
    return feed


def mission_feed_url(mission: Mission, *, language: str | None = None, create: bool = True) -> str:
    """The absolute address of the mission's feed for its client (created on first use unless
    ``create`` is False; then "" when there is none). ``language`` picks the language of the events."""
    feed = mission_feed_create(mission=mission) if create else mission_feed_of(mission)
    if feed is None:
        return ""
    if token_hash(_raw_token(feed)) != feed.token_hash:
        # The server's secret key changed: the address is given a new token.
        MissionCalendarFeed.objects.filter(pk=feed.pk).update(token_hash=token_hash(_raw_token(feed)))
    return _url(feed, language)


@transaction.atomic
def mission_feed_regenerate(*, mission: Mission, by) -> str:
    """A new address (the previous one stops working at once); returns it."""
    mission_for(by, mission.pk, manage=True)
    feed = mission_feed_of(mission)
    if feed is None:
        return _url(mission_feed_create(mission=mission))
    previous = feed.created_at
    feed.created_at = max(timezone.now(), previous + timedelta(microseconds=1))
    feed.token_hash = token_hash(_raw_token(feed))
    MissionCalendarFeed.objects.filter(pk=feed.pk).update(
        created_at=feed.created_at, token_hash=feed.token_hash
    )
    return _url(feed)


@transaction.atomic
def mission_feed_revoke(*, mission: Mission, by) -> bool:
    """Delete the feed: its address is a 404 from now on. False when there was none."""
    mission_for(by, mission.pk, manage=True)
    deleted, _by_model = MissionCalendarFeed.objects.filter(
        collective_id=mission.collective_id, mission=mission
    ).delete()
    return bool(deleted)


def mission_feed_for_token(raw_token: str) -> MissionCalendarFeed | None:
    return (
        MissionCalendarFeed.objects.select_related("mission__collective", "mission__client", "mission__lead")
        .filter(token_hash=token_hash(raw_token))
        .first()
    )


def _domain() -> str:
    return urlsplit(settings.BASE_URL).hostname or "cordee.local"


def feed_language(mission: Mission, requested: str | None) -> str:
    """The language asked for in the address, else the one of the client's first contact."""
    if requested in LANGUAGES:
        return requested
    language = (
        ClientContact.objects.filter(collective_id=mission.collective_id, client_id=mission.client_id)
        .order_by("pk")
        .values_list("language", flat=True)
        .first()
    )
    return language or settings.LANGUAGE_CODE


def mission_feed_ics(mission: Mission, *, language: str) -> bytes:
    """What the client sees in their calendar: announced dates (all day), delivery calls, the weekly call."""
    collective = mission.collective
    domain = _domain()
    with translation.override(language):
        events = []
        deliverables = Deliverable.objects.filter(collective_id=collective.pk, mission=mission).order_by(
            "announced_date", "pk"
        )
        for deliverable in deliverables:
            if deliverable.is_done:
                summary = _("Delivered: %(deliverable)s") % {"deliverable": deliverable.title}
            else:
                summary = _("Delivery: %(deliverable)s") % {"deliverable": deliverable.title}
            description = "\n".join(
                [
                    _("Mission: %(mission)s (%(collective)s)")
                    % {"mission": mission.title, "collective": collective.name},
                    _("Announced for %(date)s")
                    % {"date": formats.date_format(deliverable.announced_date, "DATE_FORMAT")},
                    _("Status: %(status)s") % {"status": deliverable.get_status_display()},
                ]
            )
            events.append(
                ics.calendar_event(
                    uid=f"mission-{mission.pk}-deliverable-{deliverable.pk}@{domain}",
                    summary=summary,
                    description=description,
                    start=deliverable.announced_date,
                    transparent=True,
                )
            )
        calls = (
            DeliveryCall.objects.filter(
                collective_id=collective.pk, mission=mission, cancelled_at__isnull=True
            )
            .select_related("deliverable")
            .order_by("starts_at", "pk")
        )
        for call in calls:
            call.mission = mission
            events.append(call_feed_event(call, collective=collective, language=language))
        ritual = ritual_of(mission)
        if ritual_call_is_live(ritual, mission):
            events.append(ritual_feed_event(ritual, mission=mission, language=language))
        name = _("%(mission)s · %(collective)s") % {"mission": mission.title, "collective": collective.name}
        description = _("Delivery dates, delivery calls and the weekly call of the mission.")
        return ics.calendar_feed(events, name=name, time_zone=collective.time_zone, description=description)


@require_safe
def mission_feed(request, token):
    """The client's feed behind the private address: no session, the token is the key (404 once revoked)."""
    feed = mission_feed_for_token(token)
    if feed is None:
        raise Http404
    mission = feed.mission
    language = feed_language(mission, request.GET.get("lang"))
    return ics.calendar_feed_response(
        mission_feed_ics(mission, language=language), filename=f"mission-{mission.pk}.ics"
    )
