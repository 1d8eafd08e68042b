"""Background work of the feedback app: the per-mission work of the periodic jobs in `cordee/schedule.py`."""

from datetime import date

from huey.contrib.djhuey import db_task

from cordee.feedback.services.surveys import survey_reminder_send, survey_scheduled_round_open


@db_task()
def survey_round_open_task(mission_id: int, due_date: date) -> bool:
    return survey_scheduled_round_open(mission_id=mission_id, due_date=due_date) is not None


@db_task()
def survey_reminder_task(invitation_id: int) -> bool:
    return survey_reminder_send(invitation_id=invitation_id)
