"""The Django admin for operators: every model is registered and its search works."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from cordee.clients.models import ClientContact
from cordee.collectives.models import Membership, Reference
from cordee.core.tests.factories import AdminMembershipFactory, OpportunityFactory, ReferenceFactory
from cordee.missions.models import DelayNotice, Deliverable
from cordee.missions.tests.factories import ClientContactFactory, DeliverableFactory

pytestmark = pytest.mark.django_db

PROJECT_APPS = {
    "accounts",
    "core",
    "collectives",
    "invitations",
    "opportunities",
    "clients",
    "missions",
    "timesheets",
    "portal",
    "communication",
}


@pytest.fixture
def operator(client, django_user_model):
    user = django_user_model.objects.create_superuser(email="ops@cordee.example", password="x")
    client.force_login(user)
    return client


def test_every_model_of_the_project_is_registered():
    missing = [
        model.__name__
        for model in apps.get_models()
        if model._meta.app_label in PROJECT_APPS
        and not admin.site.is_registered(model)
        and model.__name__ not in {"OpportunityStageChange", "OpportunityChange"}  # inlines of Opportunity
    ]
    assert missing == []


def test_each_changelist_opens_and_searches(operator):
    membership = AdminMembershipFactory(user__email="nadia@studio.fr", collective__name="Studio Nord")
    ReferenceFactory(collective=membership.collective)
    OpportunityFactory(collective=membership.collective, company="Boulangerie Lenoir")
    for model in [m for m in apps.get_models() if m._meta.app_label in PROJECT_APPS]:
        if not admin.site.is_registered(model):
            continue
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = operator.get(url, {"q": "nadia"})
        assert response.status_code == 200, url
    assert (
        b"nadia@studio.fr" in operator.get(reverse("admin:accounts_user_changelist"), {"q": "nadia"}).content
    )
    assert (
        b"Boulangerie Lenoir"
        in operator.get(reverse("admin:opportunities_opportunity_changelist"), {"q": "Lenoir"}).content
    )


# --- Nothing with history is deleted from the admin either ---------------------------------------------


def test_the_bulk_delete_action_is_off():
    assert "delete_selected" not in dict(admin.site.actions)


def test_a_row_with_history_has_no_delete_and_its_delete_page_refuses(operator):
    deliverable = DeliverableFactory()
    DelayNotice.objects.create(
        collective=deliverable.collective,
        deliverable=deliverable,
        previous_date=deliverable.announced_date,
        new_date=deliverable.announced_date,
        reason="Retard fournisseur",
        business_days_notice=5,
        is_late=False,
    )
    url = reverse("admin:missions_deliverable_delete", args=[deliverable.pk])

    assert operator.get(url).status_code == 403
    assert operator.post(url, {"post": "yes"}).status_code == 403
    assert Deliverable.objects.filter(pk=deliverable.pk).exists()
    assert DelayNotice.objects.filter(deliverable=deliverable).count() == 1


def test_a_row_without_history_is_still_deleted(operator):
    reference = ReferenceFactory()

    response = operator.post(
        reverse("admin:collectives_reference_delete", args=[reference.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not Reference.objects.filter(pk=reference.pk).exists()


def test_what_is_archived_instead_is_never_deleted_from_the_admin(operator):
    """Memberships, clients and contacts are archived in the app; the admin deletes none of them."""
    membership = AdminMembershipFactory()
    contact = ClientContactFactory()
    for url in (
        reverse("admin:collectives_membership_delete", args=[membership.pk]),
        reverse("admin:clients_clientcontact_delete", args=[contact.pk]),
        reverse("admin:clients_client_delete", args=[contact.client.pk]),
    ):
        assert operator.post(url, {"post": "yes"}).status_code == 403, url
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert ClientContact.objects.filter(pk=contact.pk).exists()


def test_inlines_of_rows_that_may_carry_history_delete_nothing(operator):
    contact = ClientContactFactory()
    page = operator.get(reverse("admin:clients_client_change", args=[contact.client.pk]))
    formset = next(
        formset for formset in page.context["inline_admin_formsets"] if formset.opts.model is ClientContact
    )

    assert formset.formset.can_delete is False
    collective_page = operator.get(
        reverse("admin:collectives_collective_change", args=[contact.collective.pk])
    )
    (memberships,) = [
        formset
        for formset in collective_page.context["inline_admin_formsets"]
        if formset.opts.model is Membership
    ]
    assert memberships.formset.can_delete is False
