"""Pages of the collective's clients: list, company form, client page, contacts."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from cordee.clients import queries, services
from cordee.clients.access import can_manage_client
from cordee.clients.forms import ClientContactForm, ClientForm
from cordee.clients.models import Client, ClientContact
from cordee.collectives.permissions import collective_view

PAGE_SIZE = 25


def _get_client(request, client_pk) -> Client:
    return get_object_or_404(Client, collective=request.collective, pk=client_pk)


def _get_contact(request, client, contact_pk) -> ClientContact:
    return get_object_or_404(ClientContact, collective=request.collective, client=client, pk=contact_pk)


@collective_view
def client_list(request):
    search = request.GET.get("q", "").strip()[:100]
    archived = request.GET.get("archived") == "1"
    clients = queries.client_list(collective=request.collective, search=search, archived=archived)
    page = Paginator(clients, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {key: value for key, value in (("q", search), ("archived", "1" if archived else "")) if value}
    return render(
        request,
        "clients/list.html",
        {"page_obj": page, "search": search, "archived": archived, "filter_query": urlencode(filters)},
    )


@collective_view
def client_create(request):
    form = ClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            client = services.client_create(
                collective=request.collective, by=request.user, data=form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s was added to your clients. Add the people you work with.")
                % {"name": client.name},
            )
            return redirect("clients:detail", request.collective.slug, client.pk)
    return render(request, "clients/form.html", {"form": form})


@collective_view
def client_detail(request, client_pk):
    client = _get_client(request, client_pk)
    contacts = list(queries.client_contacts(client))
    return render(
        request,
        "clients/detail.html",
        {
            "client": client,
            "contacts": [contact for contact in contacts if not contact.is_archived],
            "archived_contacts": [contact for contact in contacts if contact.is_archived],
            "can_manage_client": can_manage_client(request.membership, client),
        },
    )


@collective_view
def client_edit(request, client_pk):
    client = _get_client(request, client_pk)
    form = ClientForm(request.POST or None, instance=Client.objects.get(pk=client.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.client_update(client=client, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The details of %(name)s were saved.") % {"name": client.name})
            return redirect("clients:detail", request.collective.slug, client.pk)
    return render(request, "clients/form.html", {"form": form, "client": client})


@collective_view
def contact_create(request, client_pk):
    client = _get_client(request, client_pk)
    form = ClientContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.client_contact_create(client=client, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s was added to the contacts of %(client)s.")
                % {"name": contact.full_name, "client": client.name},
            )
            return redirect("clients:detail", request.collective.slug, client.pk)
    return render(request, "clients/contact_form.html", {"form": form, "client": client})


@collective_view
def contact_edit(request, client_pk, contact_pk):
    client = _get_client(request, client_pk)
    contact = _get_contact(request, client, contact_pk)
    form = ClientContactForm(request.POST or None, instance=ClientContact.objects.get(pk=contact.pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.client_contact_update(contact=contact, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The details of %(name)s were saved.") % {"name": contact.full_name})
            return redirect("clients:detail", request.collective.slug, client.pk)
    return render(request, "clients/contact_form.html", {"form": form, "client": client, "contact": contact})


@collective_view
def contact_delete(request, client_pk, contact_pk):
    client = _get_client(request, client_pk)
    contact = _get_contact(request, client, contact_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    name = contact.full_name
    outcome = services.client_contact_remove(contact=contact, by=request.user)
    if outcome == services.REMOVED_ARCHIVED:
        text = _(
            "%(name)s was archived: they stay on the past records of %(client)s but get no more emails, "
            "and their portal access was revoked."
        )
    else:
        text = _("%(name)s was removed from the contacts of %(client)s.")
    messages.success(request, text % {"name": name, "client": client.name})
    return redirect("clients:detail", request.collective.slug, client.pk)


@collective_view
def client_remove(request, client_pk):
    """Archive the client (with history) or delete it (without): the client's mission leads and admins."""
    client = _get_client(request, client_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    outcome = services.client_remove(client=client, by=request.user)
    if outcome == services.REMOVED_ARCHIVED:
        messages.success(
            request,
            _(
                "%(name)s was archived with its contacts: it stays on its missions but is no longer offered "
                "for new ones, and its contacts get no more emails."
            )
            % {"name": client.name},
        )
        return redirect("clients:detail", request.collective.slug, client.pk)
    messages.success(request, _("%(name)s was deleted.") % {"name": client.name})
    return redirect("clients:list", request.collective.slug)
