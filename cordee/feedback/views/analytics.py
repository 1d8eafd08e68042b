"""Feedback analytics pages (a mission's, the collective's) and the CSV export of the responses."""

import csv

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _

from cordee.collectives.permissions import collective_view
from cordee.collectives.time import collective_zone
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


def _cell(text) -> str:
    """Client-written text, defused so that a spreadsheet never runs it as a formula."""
    text = str(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _slots(values, count=ANSWER_SLOTS) -> list[str]:
    values = [_cell(value) for value in (values or []) if str(value).strip()][:count]
    return values + [""] * (count - len(values))


@collective_view
def export(request):
    """Every response as CSV for a spreadsheet: UTF-8 with a BOM and `;` separators, as Excel expects in
    France; `?mission=<id>` limits it to one mission of the collective (another collective's is a 404)."""
    mission = None
    if request.GET.get("mission"):
        mission = get_object_or_404(Mission, collective=request.collective, pk=request.GET["mission"])
    zone = collective_zone(request.collective)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"feedback-{request.collective.slug}{f'-mission-{mission.pk}' if mission else ''}"
    response["Content-Disposition"] = (
        f'attachment; filename="{name}-{timezone.localdate(timezone=zone):%Y-%m-%d}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        [
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
    )
    for answer in queries.export_rows(request.collective, mission=mission):
        writer.writerow(
            [
                answer.survey.mission.title,
                answer.survey.mission.client.name,
                answer.contact.full_name,
                answer.survey.due_date.isoformat(),
                answer.score,
                answer.get_ranking_display(),
                *_slots(answer.appreciated),
                *_slots(answer.improvements),
                _cell(answer.comment),
                timezone.localtime(answer.submitted_at, zone).strftime("%Y-%m-%d %H:%M"),
            ]
        )
    return response
