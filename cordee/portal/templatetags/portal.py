"""Template helpers of the client portal, and the portal access column of the collective's client page."""

from django import template
from django.utils.dates import WEEKDAYS

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
    try:
        from cordee.communication.services.recaps import recap_body_blocks
    except ImportError:
        recap_body_blocks = None
    if recap_body_blocks is not None:
        return recap_body_blocks(body)
    return [
        {"lines": [line for line in chunk.splitlines() if line.strip()], "items": []}
        for chunk in body.split("\n\n")
    ]
