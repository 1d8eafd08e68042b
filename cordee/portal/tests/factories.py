"""Factories of what the client portal shows: sent recaps, the weekly ritual and videos, delivery calls."""

import datetime as dt
from zoneinfo import ZoneInfo

import factory
from django.utils import timezone

from cordee.communication.models import DeliveryCall, Recap, Ritual, RitualVideo
from cordee.missions.tests.factories import DeliverableFactory, MissionFactory

PARIS = ZoneInfo("Europe/Paris")


class RecapFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Recap

    mission = factory.SubFactory(MissionFactory)
    collective = factory.SelfAttribute("mission.collective")
    period_start = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=7))
    state = Recap.State.SENT
    subject = factory.Sequence(lambda n: f"Point d'avancement n°{n}")
    body = "Bonjour,\n\n- Maquettes : livrées.\n- Tunnel d'achat : en cours.\n\nÀ vendredi."
    drafted_body = factory.SelfAttribute("body")
    sent_at = factory.LazyFunction(timezone.now)
    sent_by = factory.SelfAttribute("mission.lead")


class RitualFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Ritual

    mission = factory.SubFactory(MissionFactory)
    collective = factory.SelfAttribute("mission.collective")
    weekday = 1
    start_time = dt.time(9, 30)
    duration_minutes = 30
    video_link = "https://meet.example.fr/point-hebdo"
    first_date = dt.date(2026, 3, 3)


class RitualVideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RitualVideo

    mission = factory.SubFactory(MissionFactory, ritual_kind="async_video")
    collective = factory.SelfAttribute("mission.collective")
    week_start = factory.Sequence(lambda n: dt.date(2026, 1, 5) + dt.timedelta(weeks=n))
    video_link = factory.Sequence(lambda n: f"https://www.loom.com/share/semaine{n}")
    summary = "Cette semaine : la page produit."
    posted_by = factory.SelfAttribute("mission.lead")


class DeliveryCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeliveryCall

    deliverable = factory.SubFactory(DeliverableFactory)
    mission = factory.SelfAttribute("deliverable.mission")
    collective = factory.SelfAttribute("deliverable.collective")
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=10))
    duration_minutes = 45
    video_link = "https://meet.example.fr/livraison"
    organizer = factory.SelfAttribute("mission.lead")
