"""The responses page of a mission (lead), the follow-up calls, and the client's slot picking page."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from cordee.feedback.models import FollowUpCall, ImprovementPlan, Initiative, Survey, SurveyResponse
from cordee.feedback.services.follow_up import (
    follow_up_by_token,
    follow_up_close,
    follow_up_pick,
    reason_labels,
    response_mark_unclear,
    slot_datetimes,
)
from cordee.missions.permissions import mission_view

ROUNDS_PER_PAGE = 10


def _responses_url(request) -> str:
    return reverse("feedback:responses", args=[request.collective.slug, request.mission.pk])


@mission_view
def responses(request):
    mission = request.mission
    surveys = (
        Survey.objects.filter(collective=request.collective, mission=mission)
        .prefetch_related(
            Prefetch(
                "responses",
                queryset=SurveyResponse.objects.select_related(
                    "contact", "follow_up", "follow_up__task"
                ).order_by("submitted_at", "pk"),
            )
        )
        .order_by("-due_date", "-pk")
    )
    page = Paginator(surveys, ROUNDS_PER_PAGE).get_page(request.GET.get("page"))
    rounds = list(page.object_list)
    plans = (
        ImprovementPlan.objects.filter(collective=request.collective, mission=mission, survey__in=rounds)
        .select_related("created_by")
        .prefetch_related(
            Prefetch(
                "initiatives", queryset=Initiative.objects.select_related("owner").order_by("due_date", "pk")
            )
        )
        .order_by("created_at", "pk")
    )
    plans_by_survey: dict[int, list] = {}
    for plan in plans:
        plans_by_survey.setdefault(plan.survey_id, []).append(plan)
    for survey in rounds:
        survey.plan_list = plans_by_survey.get(survey.pk, [])
        survey.response_list = list(survey.responses.all())
        for response in survey.response_list:
            follow_up = getattr(response, "follow_up", None) if _has_follow_up(response) else None
            response.follow_up_call = follow_up
            if follow_up:
                follow_up.reason_list = reason_labels(follow_up.reasons)
                follow_up.slot_list = slot_datetimes_of(follow_up, request.collective)
    return render(
        request,
        "feedback/responses/list.html",
        {"mission": mission, "page": page, "rounds": rounds, "can_manage": request.can_manage_mission},
    )


def _has_follow_up(response) -> bool:
    try:
        return response.follow_up is not None
    except FollowUpCall.DoesNotExist:
        return False


def slot_datetimes_of(follow_up, collective):
    follow_up.collective = collective  # already known: no query for the zone
    return slot_datetimes(follow_up)


@mission_view
def response_mark_unclear_view(request, response_pk):
    response = get_object_or_404(
        SurveyResponse.objects.select_related("survey__mission"),
        collective=request.collective,
        survey__mission=request.mission,
        pk=response_pk,
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.can_manage_mission:
        raise PermissionDenied
    follow_up = response_mark_unclear(response=response, by=request.user)
    messages.success(
        request,
        _("Improvement points marked as unclear: %(contact)s is asked for a 30-minute call.")
        % {"contact": response.contact.full_name}
        if follow_up and follow_up.state == FollowUpCall.State.REQUESTED
        else _("Improvement points marked as unclear."),
    )
    return redirect(_responses_url(request) + f"#response-{response.pk}")


@mission_view
def follow_up_close_view(request, follow_up_pk):
    follow_up = get_object_or_404(
        FollowUpCall.objects.select_related("response__survey__mission", "response__contact"),
        collective=request.collective,
        response__survey__mission=request.mission,
        pk=follow_up_pk,
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.can_manage_mission:
        raise PermissionDenied
    state = request.POST.get("state", "")
    try:
        changed = follow_up_close(follow_up=follow_up, by=request.user, state=state)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if not changed:
            messages.info(request, _("This follow-up call was already closed."))
        elif state == FollowUpCall.State.DONE:
            messages.success(
                request,
                _("Follow-up call with %(contact)s marked as done.")
                % {"contact": follow_up.response.contact.full_name},
            )
        else:
            messages.success(
                request,
                _("Follow-up call with %(contact)s marked as declined.")
                % {"contact": follow_up.response.contact.full_name},
            )
    return redirect(_responses_url(request) + f"#response-{follow_up.response_id}")


@never_cache
def follow_up_pick_view(request, token):
    """Public by its token: the contact picks one of the proposed slots, in the contact's language."""
    follow_up = follow_up_by_token(token)
    if follow_up is None:
        raise Http404
    with translation.override(follow_up.response.contact.language or settings.LANGUAGE_CODE):
        response = _pick(request, follow_up)
    return response


def _pick(request, follow_up):
    mission = follow_up.response.survey.mission
    error = ""
    chosen_value = ""
    if request.method == "POST":
        chosen_value = request.POST.get("slot", "")
        try:
            follow_up = follow_up_pick(follow_up=follow_up, slot=chosen_value)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(
                request,
                _(
                    "Thank you! The call is scheduled: an invitation for your calendar is on its way by email."
                ),
            )
            return redirect(request.path)
    elif request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    slots = [(slot.isoformat(), slot) for slot in slot_datetimes(follow_up)]
    return render(
        request,
        "feedback/follow_up/pick.html",
        {
            "follow_up": follow_up,
            "mission": mission,
            "collective": mission.collective,
            "lead": mission.lead,
            "contact": follow_up.response.contact,
            "slots": [(value, slot, value == chosen_value) for value, slot in slots],
            "error": error,
            "time_zone": mission.collective.time_zone,
        },
        status=400 if error else 200,
    )
