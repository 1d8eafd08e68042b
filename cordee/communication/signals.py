"""What the communication area asks of, or announces to, the areas above it (the portal...).

Communication sits below the portal and never imports it: it sends these signals, and the portal
connects its receivers in `PortalConfig.ready()` (`cordee/portal/receivers.py`).
"""

from django.dispatch import Signal

# An email to a client contact needs their way into the portal (`contact`): a receiver returns the
# absolute URL to put in it (a fresh magic link), or None. Without an answer, the portal's sign-in page.
contact_portal_url = Signal()
