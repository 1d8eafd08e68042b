"""What billing announces to the apps above it (the API's webhooks).

Billing never imports those apps: a transition here sends one of these signals, and each higher app
connects its receivers in its `AppConfig.ready()`. Signals are sent synchronously inside the sender's
transaction; a receiver that only acts once the transaction commits (`transaction.on_commit`) sees
nothing of a change that is rolled back.
"""

from django.dispatch import Signal

# An invoice or a credit note was issued: numbered, frozen, its files stored (`invoice`).
invoice_issued = Signal()

# Issued invoices were sent to the client together, in one batch (`invoices`).
invoices_sent = Signal()

# An invoice's paid amount and payment status were recomputed from its payments (`invoice`).
invoice_payment_refreshed = Signal()

# The client accepted a quote ("bon pour accord") in the portal (`quote`).
quote_accepted = Signal()
