"""The collective's clock: its time zone and its today. Every date a collective sees is in its own zone."""

from datetime import date
from zoneinfo import ZoneInfo

from django.utils import timezone


def collective_zone(collective) -> ZoneInfo:
    """The collective's time zone (`Collective.time_zone`, an IANA name such as Europe/Paris)."""
    return ZoneInfo(collective.time_zone)


def collective_today(collective) -> date:
    """Today's date in the collective's time zone (not the server's, not UTC)."""
    return timezone.localdate(timezone=collective_zone(collective))
