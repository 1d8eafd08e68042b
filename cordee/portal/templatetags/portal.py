"""Template helpers of the client portal, and the portal access column of the collective's client page."""

from django import template
from django.utils.dates import WEEKDAYS

from cordee.communication.services.recaps import recap_body_blocks
from cordee.portal.feeds import NEW_FEED_SESSION_KEY, mission_feed_url, webcal
from cordee.portal.queries import NO_ACCESS, PortalAccessState, portal_access_states

register = template.Library()


@register.simple_tag
def portal_access_for(contacts) -> dict[int, PortalAccessState]:
    """The portal state of every contact of a list, in one query: `{% portal_access_for contacts as states %}`."""
    return portal_access_states(contacts)


@register.filter
def access_of(states: dict, contact) -> PortalAccessState:
    return states.get(contact.pk, NO_ACCESS)


@register.filter
def weekday_name(weekday: int) -> str:
    return WEEKDAYS.get(weekday, "")


@register.filter
def recap_blocks(body: str) -> list[dict]:
    """A recap's text cut into paragraphs and lists, as the recap email shows it."""
    return recap_body_blocks(body)


@register.simple_tag(takes_context=True)
def client_calendar_feed(context, mission) -> dict:
    """`{% client_calendar_feed mission as feed %}` on the weekly call page, for its lead: the client's
    calendar address (none until created), its webcal:// link, and whether it was just regenerated."""
    request = context["request"]
    url = mission_feed_url(mission, create=False)
    return {
        "url": url,
        "webcal_url": webcal(url) if url else "",
        "is_new": bool(request.session.pop(NEW_FEED_SESSION_KEY, "")),
    }
