"""Background work of the feedback app: the work the periodic jobs of `cordee/schedule.py` hand out.

Each task takes a batch of missions (or invitations) and does each one in its own transaction."""

from datetime import date

from huey.contrib.djhuey import db_task

from cordee.feedback.services.surveys import survey_reminder_send, survey_scheduled_round_open


@db_task()
def survey_rounds_open_task(rounds: list[tuple[int, date]]) -> int:
    return sum(
        1
        for mission_id, due_date in rounds
        if survey_scheduled_round_open(mission_id=mission_id, due_date=due_date) is not None
    )


@db_task()
def survey_reminders_task(invitation_ids: list[int]) -> int:
    return sum(1 for invitation_id in invitation_ids if survey_reminder_send(invitation_id=invitation_id))
