"""Factories of the weekly videos and the collective's rituals (events, RSVPs)."""

import datetime as dt
from zoneinfo import ZoneInfo

import factory

from cordee.communication.models import CollectiveEvent, EventResponse, RitualVideo
from cordee.communication.services.events import series_end
from cordee.core.tests.factories import CollectiveFactory, MembershipFactory
from cordee.missions.models import Mission
from cordee.missions.tests.factories import MissionFactory

PARIS = ZoneInfo("Europe/Paris")


class AsyncMissionFactory(MissionFactory):
    """An active mission whose weekly ritual is the async video."""

    ritual_kind = Mission.RitualKind.ASYNC_VIDEO


class RitualVideoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RitualVideo

    mission = factory.SubFactory(AsyncMissionFactory)
    collective = factory.SelfAttribute("mission.collective")
    week_start = dt.date(2026, 3, 2)
    video_link = factory.Sequence(lambda n: f"https://www.loom.com/share/video{n}")
    summary = "Cette semaine : maquettes de la page produit, puis tunnel d'achat."
    posted_by = factory.SelfAttribute("mission.lead")


class CollectiveEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CollectiveEvent

    collective = factory.SubFactory(CollectiveFactory)
    title = factory.Sequence(lambda n: f"Call hebdo {n}")
    description = "Tour de table des missions en cours."
    starts_at = dt.datetime(2026, 3, 5, 9, 30, tzinfo=PARIS)
    duration_minutes = 45
    video_link = "https://meet.example.fr/collectif"
    location = ""
    recurrence = ""
    repeat_until = None
    cancelled_at = None
    created_by = factory.LazyAttribute(lambda event: MembershipFactory(collective=event.collective).user)
    # As the services keep it: the end of the last occurrence (empty for a series without end).
    ends_at = factory.LazyAttribute(lambda event: series_end(event, ZoneInfo(event.collective.time_zone)))


class EventResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EventResponse

    event = factory.SubFactory(CollectiveEventFactory)
    collective = factory.SelfAttribute("event.collective")
    user = factory.LazyAttribute(lambda response: MembershipFactory(collective=response.collective).user)
    answer = EventResponse.Answer.YES
