"""A member's private calendar feed of their deadlines: a revocable secret URL, and the iCal file it serves.

Only the SHA-256 of the token is stored: the URL is shown once, when it is created. Regenerating it
replaces the token (the old URL stops working); revoking deletes it.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from cordee.core.ics import calendar_add_timezones
from cordee.core.tokens import token_hash, token_new
from cordee.missions import signals
from cordee.missions.models import CalendarFeedToken
from cordee.missions.queries.my_work import my_open_deliverables, my_open_tasks


def calendar_feed_url(raw_token: str) -> str:
    return settings.BASE_URL + reverse("missions:member_feed", args=[raw_token])


@transaction.atomic
def calendar_feed_create(*, user) -> tuple[str, bool]:
    """Create the member's feed, or replace its token (the previous URL stops working).

    Returns the raw token, to show once, and whether a previous feed was replaced.
    """
    raw, hashed = token_new()
    _feed, created = CalendarFeedToken.objects.update_or_create(
        user=user, defaults={"token_hash": hashed, "created_at": timezone.now()}
    )
    return raw, not created


@transaction.atomic
def calendar_feed_revoke(*, user) -> bool:
    """Delete the member's feed: its URL is a 404 from now on. False when there was none."""
    deleted, _by_model = CalendarFeedToken.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_owner(*, raw_token: str):
    """The active member whose feed this token opens, or None."""
    feed = (
        CalendarFeedToken.objects.select_related("user")
        .filter(token_hash=token_hash(raw_token), user__is_active=True)
        .first()
    )
    return feed.user if feed else None


def _domain() -> str:
    return urlsplit(settings.BASE_URL).hostname or "cordee.local"


def _all_day(event: Event, day) -> None:
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))


def calendar_feed_ics(*, user) -> bytes:
    """The member's deadlines as all-day events, in their language: tasks assigned to them with a due
    date, and the internal and announced dates of the deliverables they own; then their delivery calls
    and weekly calls as timed events. UIDs stay the same from
    one fetch to the next, so calendars update events instead of duplicating them."""
    domain = _domain()
    now = timezone.now()
    with translation.override(user.language):
        calendar = Calendar()
        calendar.add("prodid", "-//Cordée//Deadlines//EN")
        calendar.add("version", "2.0")
        calendar.add("calscale", "GREGORIAN")
        calendar.add("method", "PUBLISH")
        calendar.add("x-wr-calname", _("Cordée · my deadlines"))
        calendar.add(
            "x-wr-caldesc",
            _("Tasks assigned to %(name)s and deliverables they own.") % {"name": user.display_name},
        )
        calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", "PT1H")

        tasks = my_open_tasks(user=user).filter(due_date__isnull=False).order_by("due_date", "pk")
        for task in tasks:
            mission = task.mission
            url = settings.BASE_URL + reverse("missions:board", args=[mission.collective.slug, mission.pk])
            event = Event()
            event.add("uid", f"task-{task.pk}@{domain}")
            event.add("dtstamp", now)
            _all_day(event, task.due_date)
            event.add("summary", _("Due: %(task)s") % {"task": task.title})
            lines = [
                _("Mission: %(mission)s (%(collective)s)")
                % {"mission": mission.title, "collective": mission.collective.name}
            ]
            if task.deliverable:
                lines.append(_("Deliverable: %(deliverable)s") % {"deliverable": task.deliverable.title})
            lines += [_("Status: %(status)s") % {"status": task.get_status_display()}, url]
            event.add("description", "\n".join(lines))
            event.add("url", url)
            event.add("transp", "TRANSPARENT")
            calendar.add_component(event)

        for deliverable in my_open_deliverables(user=user):
            mission = deliverable.mission
            url = settings.BASE_URL + reverse(
                "missions:deliverables", args=[mission.collective.slug, mission.pk]
            )
            dates = [
                ("internal", deliverable.internal_date, _("Internal due date: %(deliverable)s")),
                ("announced", deliverable.announced_date, _("Announced to the client: %(deliverable)s")),
            ]
            for kind, day, summary in dates:
                event = Event()
                event.add("uid", f"deliverable-{deliverable.pk}-{kind}@{domain}")
                event.add("dtstamp", now)
                _all_day(event, day)
                event.add("summary", summary % {"deliverable": deliverable.title})
                event.add(
                    "description",
                    "\n".join(
                        [
                            _("Mission: %(mission)s (%(collective)s)")
                            % {"mission": mission.title, "collective": mission.collective.name},
                            _("Internal due date: %(date)s; announced to the client: %(announced)s")
                            % {
                                "date": date_format(deliverable.internal_date, "DATE_FORMAT"),
                                "announced": date_format(deliverable.announced_date, "DATE_FORMAT"),
                            },
                            _("Health: %(health)s") % {"health": deliverable.get_health_display()},
                            url,
                        ]
                    ),
                )
                event.add("url", url)
                event.add("transp", "TRANSPARENT")
                calendar.add_component(event)

        # The areas above add their events: the communication area the delivery calls the member is
        # invited to and the weekly calls of their missions, in their collective's zone.
        for _receiver, events in signals.member_calendar_events.send(
            sender=CalendarFeedToken, user=user, now=now
        ):
            for event in events:
                calendar.add_component(event)
        calendar_add_timezones(calendar)
        return calendar.to_ical()
