"""Signals the clients area sends for higher areas to react to (it imports none of them)."""

from django.dispatch import Signal

# Sent inside the archiving transaction with `contact` and `at`: the portal revokes the contact's access.
contact_archived = Signal()
