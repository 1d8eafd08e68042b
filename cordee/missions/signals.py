"""What the missions area announces to the areas above it (communication, feedback...).

Missions sit below those areas and never import them: a change here sends one of these signals, and
each higher app connects its receivers in its `AppConfig.ready()` (its `receivers.py`). Signals are
sent synchronously inside the sender's transaction, so a receiver that fails rolls the change back,
as a direct call would.
"""

from django.dispatch import Signal

# A draft mission became active (`mission`, `by`): the kickoff email goes to the client's contacts.
mission_activated = Signal()

# The mission no longer has a weekly call (`mission`, `by`): it was delivered or closed, or its ritual
# became the weekly video; the call is cancelled in every calendar.
weekly_call_ended = Signal()

# The client accepted a deliverable (`deliverable`, `now`): a satisfaction survey round may open.
deliverable_accepted = Signal()

# A member's private calendar feed is being built (`user`, `now`): each receiver returns the iCalendar
# events it adds (delivery calls, weekly calls...), in the order they are listed in the feed.
member_calendar_events = Signal()
