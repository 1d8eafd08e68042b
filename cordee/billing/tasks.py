"""Background work of billing: long exports, built by the worker while their page shows the progress."""

from django.db import transaction
from huey.contrib.djhuey import db_task

from cordee.billing.services import exports


@db_task()
def run_export(job_id: int) -> bool:
    return exports.export_run(job_id)


def export_enqueue(job_id: int) -> None:
    """Build the export once the transaction that queued it has committed."""
    transaction.on_commit(lambda: run_export(job_id))
