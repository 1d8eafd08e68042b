"""Background tasks of the core app. Every periodic job of the project is declared in `cordee/schedule.py`,
registered from the top of the layers (`cordee/workspace/tasks.py`)."""

from huey.contrib.djhuey import db_task

from cordee.core import outbox


@db_task()
def deliver_email(email_id: int) -> bool:
    return outbox.email_deliver(email_id)
