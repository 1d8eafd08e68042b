"""Feedback analytics pages (a mission's, the collective's) and the CSV export of the responses."""

from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.collectives.permissions import collective_view
from cordee.collectives.time import collective_zone
from cordee.core.csv import csv_response
from cordee.feedback import queries
from cordee.missions.models import Mission
from cordee.missions.permissions import mission_view

ANSWER_SLOTS = 3


@mission_view
def mission(request):
    feedback = queries.mission_feedback(request.collective, request.mission)
    return render(
        request,
        "feedback/analytics/mission.html",
        {"mission": request.mission, "feedback": feedback, "summary": feedback.summary},
    )


@collective_view
def collective(request):
    feedback = queries.collective_feedback(request.collective)
    return render(
        request,
        "feedback/analytics/collective.html",
        {"feedback": feedback, "summary": feedback.summary},
    )


def _slots(values, count=ANSWER_SLOTS) -> list[str]:
    values = [value for value in (values or []) if str(value).strip()][:count]
    return values + [""] * (count - len(values))


@collective_view
def export(request):
    """Every response as CSV for a spreadsheet (through the one formula-safe writer); `?mission=<id>`
    limits it to one mission of the collective (another collective's, or not a number, is a 404)."""
    mission = None
    if request.GET.get("mission"):
        mission_id = request.GET["mission"]
        if not mission_id.isascii() or not mission_id.isdigit():
            raise Http404(_("There is no such mission."))
        mission = get_object_or_404(Mission, collective=request.collective, pk=int(mission_id))
    zone = collective_zone(request.collective)
    name = f"feedback-{request.collective.slug}{f'-mission-{mission.pk}' if mission else ''}"
    header = [
        _("Mission"),
        _("Client"),
        _("Contact"),
        _("Round date"),
        _("Score"),
        _("Ranking"),
        *[_("Appreciated %(number)s") % {"number": number} for number in range(1, ANSWER_SLOTS + 1)],
        *[_("Improvement %(number)s") % {"number": number} for number in range(1, ANSWER_SLOTS + 1)],
        _("Comment"),
        _("Answered at"),
    ]
    rows = (
        [
            answer.survey.mission.title,
            answer.survey.mission.client.name,
            answer.contact.full_name,
            answer.survey.due_date,
            answer.score,
            answer.get_ranking_display(),
            *_slots(answer.appreciated),
            *_slots(answer.improvements),
            answer.comment,
            timezone.localtime(answer.submitted_at, zone).strftime("%Y-%m-%d %H:%M"),
        ]
        for answer in queries.export_rows(request.collective, mission=mission)
    )
    return csv_response(f"{name}-{timezone.localdate(timezone=zone):%Y-%m-%d}.csv", header, rows)
