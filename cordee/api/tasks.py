"""Background work of the API: webhook deliveries (the periodic tick is declared in cordee/schedule.py)."""

from django.db import transaction
from huey.contrib.djhuey import db_task

from cordee.api.services import webhooks


@db_task()
def deliver_webhook(delivery_id: int) -> None:
    retry_in = webhooks.webhook_deliver(delivery_id)
    if retry_in:
        deliver_webhook.schedule(args=(delivery_id,), delay=retry_in)


def deliveries_enqueue(delivery_ids) -> None:
    """Send these deliveries once the current transaction has committed."""
    delivery_ids = list(delivery_ids)
    transaction.on_commit(lambda: [deliver_webhook(delivery_id) for delivery_id in delivery_ids])
