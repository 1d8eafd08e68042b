"""How the communication area reacts to what the missions area announces (`cordee.missions.signals`).

Connected in `CommunicationConfig.ready()`.
"""

from datetime import timedelta

from cordee.communication.services.calls import call_feed_event, member_calls
from cordee.communication.services.kickoff import kickoff_send
from cordee.communication.services.rituals_calendar import member_rituals, ritual_call_stop, ritual_feed_event


def kickoff_on_activation(sender, *, mission, by, **kwargs) -> None:
    kickoff_send(mission=mission, by=by)


def weekly_call_stop(sender, *, mission, by, **kwargs) -> None:
    ritual_call_stop(mission=mission, by=by)


def calls_in_member_feed(sender, *, user, now, **kwargs) -> list:
    """The delivery calls the member is invited to (from 30 days back), then the weekly calls of their
    missions, at their time in their collective's zone (the feed adds the VTIMEZONE)."""
    events = [
        call_feed_event(call, collective=call.mission.collective, language=user.language)
        for call in member_calls(user=user, since=now - timedelta(days=30))
    ]
    events += [
        ritual_feed_event(ritual, mission=ritual.mission, language=user.language)
        for ritual in member_rituals(user=user)
    ]
    return events
