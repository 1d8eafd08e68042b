"""Reads the client pages need, each in a fixed number of queries whatever the number of rows."""

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from cordee.clients.models import Client, ClientContact


def client_list(*, collective, search: str = "", archived: bool = False) -> QuerySet[Client]:
    """The collective's clients (the archived ones with `archived`) by name, with their number of contacts
    (the missions' page adds their missions: `cordee.missions.templatetags.client_missions`)."""
    clients = Client.objects.filter(collective=collective, archived_at__isnull=not archived)
    if search:
        clients = clients.filter(
            Q(name__icontains=search)
            | Q(siren__icontains=search.replace(" ", ""))
            | Q(city__icontains=search)
            | Q(contacts__full_name__icontains=search)
            | Q(contacts__email__icontains=search)
        ).distinct()
    return clients.annotate(contact_count=Count("contacts", distinct=True)).order_by("name", "pk")


def contact_role_order() -> Case:
    """Sponsor first, then the project contact, then finance (the order of ClientContact.Role)."""
    return Case(
        *[When(role=role, then=Value(rank)) for rank, role in enumerate(ClientContact.Role.values)],
        default=Value(len(ClientContact.Role.values)),
        output_field=IntegerField(),
    )


def client_contacts(client: Client) -> QuerySet[ClientContact]:
    """The client's contacts, sponsor first, then project, then finance."""
    return (
        ClientContact.objects.filter(collective_id=client.collective_id, client=client)
        .annotate(role_rank=contact_role_order())
        .order_by("role_rank", "full_name", "pk")
    )
