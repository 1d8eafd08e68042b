"""Revenue split pages of a mission: one page per invoiceable amount, with its versions, each member's
approval and, for the lead and admins, the form to propose or change the split (with a live preview)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cordee.billing.forms import apply_errors
from cordee.billing.forms_splits import SplitDecisionForm, SplitForm
from cordee.billing.models import RevenueSplit
from cordee.billing.permissions import mission_billing_view
from cordee.billing.services.revenue import split_threshold_warnings
from cordee.billing.services.splits import (
    split_approve,
    split_basis,
    split_change,
    split_decisions,
    split_initial_percents,
    split_preview,
    split_propose,
    split_reject,
    split_source_for,
)

Source = RevenueSplit.Source
URL_NAMES = {
    Source.DELIVERABLE: "billing:split_deliverable",
    Source.ACTIVITY_REPORT: "billing:split_report",
    Source.BONUS: "billing:split_bonus",
    Source.DEPOSIT: "billing:split_deposit",
}


def split_page_url_name(kind: str) -> str:
    return URL_NAMES[kind]


@mission_billing_view
@require_http_methods(["GET", "POST"])
def split_deliverable(request, deliverable_pk):
    return _split_page(request, Source.DELIVERABLE, deliverable_pk)


@mission_billing_view
@require_http_methods(["GET", "POST"])
def split_report(request, report_pk):
    return _split_page(request, Source.ACTIVITY_REPORT, report_pk)


@mission_billing_view
@require_http_methods(["GET", "POST"])
def split_bonus(request, billing_plan_pk):
    return _split_page(request, Source.BONUS, billing_plan_pk)


@mission_billing_view
@require_http_methods(["GET", "POST"])
def split_deposit(request, billing_plan_pk):
    return _split_page(request, Source.DEPOSIT, billing_plan_pk)


def _initial(source, basis) -> dict:
    current = source.current
    if current is None:
        percents = split_initial_percents(basis)
        return {
            "method": source.methods[0][0],
            **{f"percent_{user_id}": percent for user_id, percent in percents.items() if percent},
        }
    initial = {
        "method": current.method,
        "common_fund_percent": current.common_fund_percent.normalize() or None,
        "referrer_percent": current.referrer_percent.normalize() or None,
    }
    for share in current.shares.all():
        if share.kind == share.Kind.REFERRER:
            initial["referrer_label"] = share.label
        elif share.kind == share.Kind.MEMBER:
            if share.percent is not None:
                initial[f"percent_{share.user_id}"] = share.percent.normalize()
            if share.weight is not None:
                initial[f"weight_{share.user_id}"] = share.weight.normalize()
    return initial


def _split_page(request, kind: str, source_pk: int):
    mission = request.mission
    try:
        source = split_source_for(mission, kind, source_pk)
    except ValidationError as error:
        raise Http404 from error
    basis = split_basis(mission, source)
    action = request.POST.get("action") if request.method == "POST" else None
    if action and not request.can_manage_mission:
        raise PermissionDenied
    form = SplitForm(
        request.POST or None, basis=basis, methods=source.methods, initial=_initial(source, basis)
    )
    preview = None
    status = 200
    if action in ("preview", "propose") and form.is_valid():
        choice = form.choice()
        try:
            if action == "preview":
                preview = split_preview(
                    by=request.user, mission_id=mission.pk, kind=kind, source_id=source_pk, choice=choice
                )
            elif source.current is None:
                split_propose(
                    by=request.user, mission_id=mission.pk, kind=kind, source_id=source_pk, choice=choice
                )
            else:
                split_change(by=request.user, split_id=source.current.pk, choice=choice)
        except ValidationError as error:
            apply_errors(form, error)
            status = 400
        else:
            if action == "propose":
                messages.success(
                    request, _("The split is proposed: each member concerned is asked to approve it.")
                )
                return redirect(request.path)
    elif action:
        status = 400
    shown = preview if preview is not None else (source.current.shares.all() if source.current else [])
    warnings = (
        split_threshold_warnings(
            shares=shown, plan=source.plan, amount=source.amount, year=timezone.localdate().year
        )
        if shown and (preview is not None or not source.current.is_approved)
        else []
    )
    decisions = split_decisions(source.current) if source.current else {}
    context = {
        "source": source,
        "current_rows": [(share, decisions.get(share.user_id)) for share in source.current.shares.all()]
        if source.current
        else [],
        "preview_rows": [(share, None) for share in preview] if preview else [],
        "form": form,
        "preview": preview,
        "warnings": warnings,
        "decision_form": SplitDecisionForm(),
        "my_share": next(
            (share for share in source.current.shares.all() if share.user_id == request.user.pk), None
        )
        if source.current
        else None,
    }
    if request.htmx and action == "preview":
        # The fragment replaces the preview in place, with the reasons when there is none (htmx swaps a
        # 200 only).
        context["preview_errors"] = [message for errors in form.errors.values() for message in errors]
        return render(request, "billing/split.html#preview", context)
    return render(request, "billing/split.html", context, status=status)


@mission_billing_view
@require_POST
def split_decide(request, split_pk):
    split = get_object_or_404(
        RevenueSplit, collective=request.collective, mission=request.mission, pk=split_pk
    )
    form = SplitDecisionForm(request.POST)
    source_pk = {
        Source.DELIVERABLE: split.deliverable_id,
        Source.ACTIVITY_REPORT: split.activity_report_id,
    }.get(split.source, split.plan_id)
    back = redirect(split_page_url_name(split.source), request.collective.slug, request.mission.pk, source_pk)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return back
    try:
        if form.cleaned_data["decision"] == "approve":
            split = split_approve(by=request.user, split_id=split.pk, comment=form.cleaned_data["comment"])
            messages.success(
                request,
                _("The split is approved by everyone: it can be invoiced.")
                if split.is_approved
                else _("Your approval is recorded."),
            )
        else:
            split_reject(by=request.user, split_id=split.pk, comment=form.cleaned_data["comment"])
            messages.success(request, _("Your rejection is recorded: the lead is asked for a new version."))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    return back
