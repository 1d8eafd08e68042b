"""The missions shown on the client's pages. The clients app sits below missions and cannot read them: its
templates load these tags instead, the missions area owning what it shows there."""

from django import template

from cordee.missions.queries.missions import client_missions as client_missions_query
from cordee.missions.queries.missions import clients_mission_counts

register = template.Library()


@register.simple_tag
def client_missions(client) -> list:
    """{% client_missions client as missions %}: the client's missions, open ones first, with their lead."""
    return list(client_missions_query(client))


@register.simple_tag
def with_mission_counts(clients) -> list:
    """{% with_mission_counts page_obj as clients %}: the clients, each with `mission_count` and
    `open_mission_count`, in one query."""
    return clients_mission_counts(clients)
