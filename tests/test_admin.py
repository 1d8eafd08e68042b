"""The Django admin for operators: every model is registered and its search works."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from cordee.core.tests.factories import AdminMembershipFactory, OpportunityFactory, ReferenceFactory

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
