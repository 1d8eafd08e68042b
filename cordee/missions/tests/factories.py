"""Factories of the mission domain, shared by the clients, missions and timesheets tests."""

from datetime import date, timedelta
from decimal import Decimal

import factory

from cordee.clients.models import Client, ClientContact
from cordee.core.tests.factories import AdminMembershipFactory, CollectiveFactory
from cordee.missions.models import ClientRequest, Deliverable, Mission, MissionMember, Task
from cordee.timesheets.models import TimeEntry


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    collective = factory.SubFactory(CollectiveFactory)
    name = factory.Sequence(lambda n: f"Entreprise {n}")


class ClientContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientContact

    client = factory.SubFactory(ClientFactory)
    collective = factory.SelfAttribute("client.collective")
    full_name = factory.Faker("name", locale="fr_FR")
    email = factory.Sequence(lambda n: f"contact{n}@client.fr")
    role = ClientContact.Role.SPONSOR


class MissionFactory(factory.django.DjangoModelFactory):
    """A mission whose lead is an admin of the collective and a member of the team."""

    class Meta:
        model = Mission
        skip_postgeneration_save = True

    collective = factory.SubFactory(CollectiveFactory)
    client = factory.SubFactory(ClientFactory, collective=factory.SelfAttribute("..collective"))
    title = factory.Sequence(lambda n: f"Mission {n}")
    lead = factory.LazyAttribute(lambda mission: AdminMembershipFactory(collective=mission.collective).user)
    start_date = factory.LazyFunction(lambda: date.today() - timedelta(days=7))
    status = Mission.Status.ACTIVE

    @factory.post_generation
    def lead_in_team(mission, create, extracted, **kwargs):
        if create:
            MissionMember.objects.get_or_create(
                collective=mission.collective, mission=mission, user=mission.lead, defaults={"role": "lead"}
            )


class MissionMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MissionMember

    mission = factory.SubFactory(MissionFactory)
    collective = factory.SelfAttribute("mission.collective")
    user = factory.LazyAttribute(
        lambda member: AdminMembershipFactory(collective=member.collective, role="member").user
    )
    role = "design"
    day_rate = Decimal("550.00")


class DeliverableFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deliverable

    mission = factory.SubFactory(MissionFactory)
    collective = factory.SelfAttribute("mission.collective")
    title = factory.Sequence(lambda n: f"Livrable {n}")
    internal_date = factory.LazyFunction(lambda: date.today() + timedelta(days=21))
    announced_date = factory.LazyAttribute(lambda deliverable: deliverable.internal_date + timedelta(days=4))


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    mission = factory.SubFactory(MissionFactory)
    collective = factory.SelfAttribute("mission.collective")
    title = factory.Sequence(lambda n: f"Tâche {n}")
    estimate_hours = Decimal("4")


class ClientRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientRequest

    mission = factory.SubFactory(MissionFactory)
    collective = factory.SelfAttribute("mission.collective")
    title = "Changer la couleur du bouton d'achat"


class TimeEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimeEntry

    mission = factory.SubFactory(MissionFactory)
    collective = factory.SelfAttribute("mission.collective")
    user = factory.SelfAttribute("mission.lead")
    date = factory.LazyFunction(date.today)
    hours = Decimal("3.5")
