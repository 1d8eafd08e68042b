"""The client's billing pages in the portal: quotes to accept ("Bon pour accord") or decline, activity
reports to validate or dispute, overages to approve, and the budget as far as the plan shows it.

Scoped by the portal session (`portal_view`): every object is fetched through the signed-in contact's
collective and client, so another client's quote is a 404.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from cordee.billing import queries
from cordee.billing.forms import QuoteAcceptForm, QuoteDeclineForm, ReportDisputeForm, apply_errors
from cordee.billing.models import ActivityReport, BillingPlan, OverageRequest, Quote
from cordee.billing.services.plans import PortalRefused, overage_answer
from cordee.billing.services.quotes import portal_quote, quote_accept, quote_decline
from cordee.billing.services.reports import activity_report_dispute, activity_report_validate, portal_report
from cordee.core.ratelimit import client_ip
from cordee.portal.permissions import portal_view
from cordee.portal.queries import portal_mission


def _quote_or_404(request, quote_pk) -> Quote:
    try:
        return portal_quote(request.portal_contact, quote_pk)
    except Quote.DoesNotExist as error:
        raise Http404 from error


def _report_or_404(request, report_pk) -> ActivityReport:
    try:
        return portal_report(request.portal_contact, report_pk)
    except ActivityReport.DoesNotExist as error:
        raise Http404 from error


@portal_view
def billing(request, mission_pk):
    """The mission's billing as the client sees it: never the internal time of fixed-price work."""
    mission = portal_mission(request.portal_contact, mission_pk)
    plan = (
        BillingPlan.objects.filter(mission=mission, status=BillingPlan.Status.ACTIVE)
        .select_related("mission__collective")
        .first()
    )
    budget = queries.mission_budget(plan, today=timezone.localdate()) if plan else None
    quotes = list(
        Quote.objects.filter(mission=mission, collective_id=mission.collective_id)
        .exclude(status=Quote.Status.DRAFT)
        .defer("pdf")
        .order_by("-sent_at", "-pk")[:20]
    )
    reports = list(
        ActivityReport.objects.filter(mission=mission, collective_id=mission.collective_id)
        .exclude(status=ActivityReport.Status.DRAFT)
        .order_by("-period_start", "-pk")[:24]
    )
    overages = list(
        OverageRequest.objects.filter(plan__mission=mission, collective_id=mission.collective_id)[:20]
    )
    return render(
        request,
        "billing/portal/billing.html",
        {
            "mission": mission,
            "plan": plan,
            "budget": budget,
            "quotes": quotes,
            "reports": reports,
            "overages": overages,
        },
    )


@never_cache
@portal_view
@require_http_methods(["GET", "POST"])
def quote(request, quote_pk):
    quote = _quote_or_404(request, quote_pk)
    action = request.POST.get("action") if request.method == "POST" else None
    accept_form = QuoteAcceptForm(
        request.POST if action == "accept" else None, initial={"pdf_sha256": quote.pdf_sha256}
    )
    decline_form = QuoteDeclineForm(request.POST if action == "decline" else None)
    if action == "accept" and accept_form.is_valid():
        try:
            quote_accept(
                contact=request.portal_contact,
                quote_id=quote.pk,
                typed_name=accept_form.cleaned_data["typed_name"],
                ip=client_ip(request),
                user_agent=request.headers.get("User-Agent", ""),
                pdf_sha256=accept_form.cleaned_data["pdf_sha256"],
            )
        except ValidationError as error:
            apply_errors(accept_form, error)
        except PortalRefused as refused:
            accept_form.add_error(None, str(refused))
        else:
            messages.success(request, _("Thank you: the quote is accepted. The team is notified."))
            return redirect("billing_portal:quote", quote.pk)
    elif action == "decline" and decline_form.is_valid():
        try:
            quote_decline(
                contact=request.portal_contact, quote_id=quote.pk, reason=decline_form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(decline_form, error)
        except PortalRefused as refused:
            decline_form.add_error(None, str(refused))
        else:
            messages.success(request, _("The quote is declined; the team is told your reason."))
            return redirect("billing_portal:quote", quote.pk)
    plan = queries._plans(quote.mission).get(pk=quote.plan_id)
    return render(
        request,
        "billing/portal/quote.html",
        {
            "quote": quote,
            "plan": plan,
            "lines": quote.lines.get("items", []),
            "conditions": quote.lines.get("conditions", []),
            "accept_form": accept_form,
            "decline_form": decline_form,
            "can_answer": quote.status == Quote.Status.SENT and quote.valid_until >= timezone.localdate(),
        },
        status=400 if request.method == "POST" else 200,
    )


@portal_view
def quote_pdf(request, quote_pk):
    quote = _quote_or_404(request, quote_pk)
    response = HttpResponse(bytes(quote.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="devis-{quote.number.replace("/", "-")}.pdf"'
    return response


@never_cache
@portal_view
@require_http_methods(["GET", "POST"])
def report(request, report_pk):
    report = _report_or_404(request, report_pk)
    action = request.POST.get("action") if request.method == "POST" else None
    dispute_form = ReportDisputeForm(request.POST if action == "dispute" else None)
    error_message = None
    if action == "validate":
        try:
            activity_report_validate(contact=request.portal_contact, report_id=report.pk)
        except PortalRefused as refused:
            error_message = str(refused)
        else:
            messages.success(request, _("Thank you: the activity report is validated."))
            return redirect("billing_portal:report", report.pk)
    elif action == "dispute" and dispute_form.is_valid():
        try:
            activity_report_dispute(
                contact=request.portal_contact,
                report_id=report.pk,
                comment=dispute_form.cleaned_data["comment"],
            )
        except ValidationError as error:
            apply_errors(dispute_form, error)
        except PortalRefused as refused:
            error_message = str(refused)
        else:
            messages.success(request, _("Your comment is sent: the team will correct the report."))
            return redirect("billing_portal:report", report.pk)
    return render(
        request,
        "billing/portal/report.html",
        {"report": report, "dispute_form": dispute_form, "error_message": error_message},
        status=400 if request.method == "POST" else 200,
    )


@portal_view
@require_POST
def overage_answer_view(request, overage_pk):
    approve = request.POST.get("action") == "approve"
    try:
        overage = overage_answer(contact=request.portal_contact, overage_id=overage_pk, approve=approve)
    except OverageRequest.DoesNotExist as error:
        raise Http404 from error
    except PortalRefused as refused:
        messages.error(request, str(refused))
        overage = OverageRequest.objects.select_related("plan").get(pk=overage_pk)
    else:
        messages.success(
            request, _("Your answer is recorded.") if approve is False else _("The extra days are approved.")
        )
    return redirect("billing_portal:billing", overage.plan.mission_id)
