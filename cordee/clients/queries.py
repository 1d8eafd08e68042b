"""Reads the client pages need, each in a fixed number of queries whatever the number of rows."""

from django.db.models import Count, Q, QuerySet

from cordee.clients.models import Client, ClientContact
from cordee.missions.models import Mission

OPEN_MISSION_STATUSES = (Mission.Status.DRAFT, Mission.Status.ACTIVE, Mission.Status.PAUSED)


def client_list(*, collective, search: str = "", archived: bool = False) -> QuerySet[Client]:
    """The collective's clients (the archived ones with `archived`) by name, with their number of contacts
    and of missions."""
    clients = Client.objects.filter(collective=collective, archived_at__isnull=not archived)
    if search:
        clients = clients.filter(
            Q(name__icontains=search)
            | Q(siren__icontains=search.replace(" ", ""))
            | Q(city__icontains=search)
            | Q(contacts__full_name__icontains=search)
            | Q(contacts__email__icontains=search)
        ).distinct()
    return clients.annotate(
        contact_count=Count("contacts", distinct=True),
        mission_count=Count("missions", distinct=True),
        open_mission_count=Count(
            "missions", filter=Q(missions__status__in=OPEN_MISSION_STATUSES), distinct=True
        ),
    ).order_by("name", "pk")


def client_contacts(client: Client) -> QuerySet[ClientContact]:
    """The client's contacts, sponsor first, then project, then finance."""
    from cordee.missions.queries.missions import contact_role_order

    return (
        ClientContact.objects.filter(collective_id=client.collective_id, client=client)
        .annotate(role_rank=contact_role_order())
        .order_by("role_rank", "full_name", "pk")
    )


def client_missions(client: Client) -> QuerySet[Mission]:
    """The client's missions, open ones first, with their lead."""
    from cordee.missions.queries.missions import status_order

    return (
        Mission.objects.filter(collective_id=client.collective_id, client=client)
        .select_related("lead")
        .annotate(status_rank=status_order())
        .order_by("status_rank", "-start_date", "-pk")
    )
