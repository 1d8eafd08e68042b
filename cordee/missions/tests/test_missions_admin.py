import pytest
from django.urls import reverse

from cordee.core.tests.factories import UserFactory
from cordee.missions.models import DelayNotice, MissionMember
from cordee.missions.services.history import mission_event_record
from cordee.missions.tests.factories import (
    ClientContactFactory,
    ClientRequestFactory,
    DeliverableFactory,
    MissionFactory,
    TaskFactory,
    TimeEntryFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_the_admin_lists_and_searches_clients_missions_and_time(superuser_client):
    mission = MissionFactory(title="Refonte Lenoir", client__name="Maison Lenoir")
    ClientContactFactory(client=mission.client, email="claire@lenoir.fr")
    deliverable = DeliverableFactory(mission=mission, title="Maquettes")
    TaskFactory(mission=mission, title="Écrire les specs")
    ClientRequestFactory(mission=mission, title="Changer le logo")
    DelayNotice.objects.create(
        collective=mission.collective,
        deliverable=deliverable,
        previous_date=deliverable.announced_date,
        new_date=deliverable.announced_date,
        reason="Retard fournisseur",
        business_days_notice=3,
        is_late=True,
    )
    mission_event_record(mission=mission, kind="created", summary="Créée à la main")
    TimeEntryFactory(mission=mission, note="Atelier de cadrage")

    searches = {
        "clients_client": "Lenoir",
        "clients_clientcontact": "claire@lenoir.fr",
        "missions_mission": "Refonte Lenoir",
        "missions_deliverable": "Maquettes",
        "missions_task": "specs",
        "missions_clientrequest": "logo",
        "missions_delaynotice": "fournisseur",
        "missions_missionevent": "main",
        "timesheets_timeentry": "cadrage",
    }
    for model, query in searches.items():
        response = superuser_client.get(reverse(f"admin:{model}_changelist"), {"q": query})
        assert response.status_code == 200, model
        assert response.context["cl"].result_count == 1, model

    change = superuser_client.get(reverse("admin:missions_mission_change", args=[mission.pk]))
    assert change.status_code == 200
    assert "Maquettes" in change.content.decode()
    assert MissionMember.objects.filter(mission=mission).count() == 1


def test_every_model_of_clients_missions_and_timesheets_is_registered_and_its_pages_open(superuser_client):
    from django.apps import apps
    from django.contrib import admin

    from cordee.missions.models import CalendarFeedToken, TaskAssignment

    mission = MissionFactory()
    task = TaskFactory(mission=mission)
    deliverable = DeliverableFactory(mission=mission)
    ClientContactFactory(client=mission.client)
    ClientRequestFactory(mission=mission)
    TimeEntryFactory(mission=mission)
    TaskAssignment.objects.create(collective=mission.collective, task=task, to_user=mission.lead)
    CalendarFeedToken.objects.create(user=mission.lead, token_hash="a" * 64)
    DelayNotice.objects.create(
        collective=mission.collective,
        deliverable=deliverable,
        previous_date=deliverable.announced_date,
        new_date=deliverable.announced_date,
        reason="Retard",
        business_days_notice=6,
        is_late=False,
    )
    mission_event_record(mission=mission, kind="created")
    models = [
        model for model in apps.get_models() if model._meta.app_label in {"clients", "missions", "timesheets"}
    ]

    assert [model.__name__ for model in models if not admin.site.is_registered(model)] == []
    for model in models:
        name = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        assert superuser_client.get(reverse(f"{name}_changelist"), {"q": "x"}).status_code == 200, name
        row = model.objects.first()
        assert superuser_client.get(reverse(f"{name}_change", args=[row.pk])).status_code == 200, name
