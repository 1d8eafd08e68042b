"""Background work of the billing app: importing a bank statement in the worker."""

from huey.contrib.djhuey import db_task

from cordee.billing.services import statements


@db_task()
def statement_import_task(statement_id: int) -> int:
    return statements.statement_import(statement_id)
