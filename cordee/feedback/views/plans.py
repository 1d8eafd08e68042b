"""Improvement plans: the lead turns a round's improvement points into initiatives and sends the recap."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.feedback.forms_plans import PlanForm, initiative_formset, initiatives_from
from cordee.feedback.models import ImprovementPlan, Initiative, Survey, SurveyResponse
from cordee.feedback.services.plans import (
    initiative_set_done,
    plan_create,
    plan_send,
    plan_update,
    survey_improvement_points,
)
from cordee.missions.permissions import mission_view
from cordee.missions.queries.team import team_users


def _responses_url(request) -> str:
    return reverse("feedback:responses", args=[request.collective.slug, request.mission.pk])


def _apply_errors(error: ValidationError, form, formset) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            if field == "message":
                form.add_error("message", errors)
            else:
                for message in dict.fromkeys(errors):
                    formset._non_form_errors = formset.non_form_errors() + [message]
    else:
        form.add_error(None, error.messages)


def _plan_page(request, *, survey, plan=None):
    mission = request.mission
    responses = list(
        SurveyResponse.objects.filter(collective=request.collective, survey=survey)
        .select_related("contact")
        .order_by("submitted_at", "pk")
    )
    points = survey_improvement_points(survey, responses)
    team = team_users(mission)
    if request.method == "POST":
        form = PlanForm(request.POST)
        formset = initiative_formset(points=points, team=team, data=request.POST)
        if form.is_valid() and formset.is_valid():
            items = initiatives_from(formset)
            send = request.POST.get("action") == "send"
            try:
                if plan is None:
                    plan = plan_create(
                        mission=mission,
                        survey=survey,
                        by=request.user,
                        message=form.cleaned_data["message"],
                        initiatives=items,
                    )
                else:
                    plan = plan_update(
                        plan=plan, by=request.user, message=form.cleaned_data["message"], initiatives=items
                    )
                if send:
                    count = plan_send(plan=plan, by=request.user)
            except ValidationError as error:
                _apply_errors(error, form, formset)
            else:
                if send:
                    messages.success(
                        request,
                        ngettext(
                            "Improvement plan sent to %(count)d contact.",
                            "Improvement plan sent to %(count)d contacts.",
                            count,
                        )
                        % {"count": count},
                    )
                else:
                    messages.success(request, _("Improvement plan saved. Send it when it is ready."))
                return redirect(_responses_url(request) + f"#plan-{plan.pk}")
    else:
        form = PlanForm(initial={"message": plan.message} if plan else None)
        initial = (
            [
                {
                    "what": i.what,
                    "improvement_point": i.improvement_point,
                    "owner": i.owner_id,
                    "due_date": i.due_date,
                }
                for i in plan.initiatives.order_by("due_date", "pk")
            ]
            if plan
            else []
        )
        formset = initiative_formset(points=points, team=team, initial=initial)
    recipients = sorted({r.contact for r in responses}, key=lambda contact: (contact.full_name, contact.pk))
    return render(
        request,
        "feedback/plans/form.html",
        {
            "mission": mission,
            "survey": survey,
            "plan": plan,
            "form": form,
            "formset": formset,
            "responses": responses,
            "points": points,
            "recipients": recipients,
        },
        status=400 if request.method == "POST" else 200,
    )


@mission_view
def plan_create_view(request):
    survey_pk = request.GET.get("survey") or request.POST.get("survey")
    survey = get_object_or_404(
        Survey,
        collective=request.collective,
        mission=request.mission,
        pk=survey_pk if str(survey_pk).isdigit() else 0,
    )
    if not request.can_manage_mission:
        raise PermissionDenied
    return _plan_page(request, survey=survey)


@mission_view
def plan_edit(request, plan_pk):
    plan = get_object_or_404(
        ImprovementPlan.objects.select_related("survey"),
        collective=request.collective,
        mission=request.mission,
        pk=plan_pk,
    )
    if not request.can_manage_mission:
        raise PermissionDenied
    if plan.sent_at:
        messages.info(
            request, _("This plan was already sent to the client: track its initiatives from here.")
        )
        return redirect(_responses_url(request) + f"#plan-{plan.pk}")
    if plan.survey is None:
        messages.error(request, _("The survey round of this plan no longer exists."))
        return redirect(_responses_url(request))
    return _plan_page(request, survey=plan.survey, plan=plan)


@mission_view
def plan_send_view(request, plan_pk):
    plan = get_object_or_404(
        ImprovementPlan, collective=request.collective, mission=request.mission, pk=plan_pk
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.can_manage_mission:
        raise PermissionDenied
    try:
        count = plan_send(plan=plan, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            ngettext(
                "Improvement plan sent to %(count)d contact.",
                "Improvement plan sent to %(count)d contacts.",
                count,
            )
            % {"count": count},
        )
    return redirect(_responses_url(request) + f"#plan-{plan.pk}")


@mission_view
def initiative_done(request, initiative_pk):
    initiative = get_object_or_404(
        Initiative.objects.select_related("plan__mission"),
        collective=request.collective,
        plan__mission=request.mission,
        pk=initiative_pk,
    )
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not (request.can_manage_mission or initiative.owner_id == request.user.pk):
        raise PermissionDenied
    done = request.POST.get("done") != "0"
    initiative_set_done(initiative=initiative, by=request.user, done=done)
    if done:
        messages.success(request, _("“%(what)s” marked as done.") % {"what": initiative.what})
    else:
        messages.success(request, _("“%(what)s” is back to do.") % {"what": initiative.what})
    return redirect(_responses_url(request) + f"#plan-{initiative.plan_id}")
