"""Background work of the billing app: importing a bank statement, sending the reminders a tick found due,
building long exports while their page shows the progress."""

from django.db import transaction
from huey.contrib.djhuey import db_task

from cordee.billing.services import exports, reminders, statements


@db_task()
def statement_import_task(statement_id: int) -> int:
    return statements.statement_import(statement_id)


@db_task()
def invoice_reminders_task(due: list[tuple[int, int]]) -> int:
    """Send the reminders the tick found due, each batch and level in its own transaction."""
    return sum(
        1
        for batch_id, offset_days in due
        if reminders.reminder_send(batch_id=batch_id, offset_days=offset_days)
    )


@db_task()
def run_export(job_id: int) -> bool:
    return exports.export_run(job_id)


def export_enqueue(job_id: int) -> None:
    """Build the export once the transaction that queued it has committed."""
    transaction.on_commit(lambda: run_export(job_id))
