"""Billing pages of the collective's members: sellers and their readiness, the mission's plan, quotes,
activity reports, overage requests and budget. Thin: parse, call a service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from cordee.billing import queries, queries_invoices
from cordee.billing.forms import (
    BonusMeasureForm,
    EntitySellerForm,
    OverageForm,
    PaymentDefaultsForm,
    PlanForm,
    QuoteDraftForm,
    ReportDraftForm,
    apply_errors,
)
from cordee.billing.models import ActivityReport, LegalSeller, Quote
from cordee.billing.permissions import mission_billing_view
from cordee.billing.services.plans import (
    invoicing_consequences,
    overage_request,
    plan_bonus_measure,
    plan_save,
)
from cordee.billing.services.quotes import quote_draft, quote_revise, quote_send
from cordee.billing.services.reports import activity_report_draft, activity_report_send
from cordee.billing.services.sellers import (
    entity_seller_save,
    member_seller_for,
    seller_payment_defaults_update,
    series_prefix_update,
)
from cordee.billing.services.splits import split_sources
from cordee.collectives.permissions import collective_view
from cordee.missions.models import MissionMember


def _billing_url(request):
    return reverse("billing:mission", args=[request.collective.slug, request.mission.pk])


def _flash(request, errors) -> None:
    for message in dict.fromkeys(errors):
        messages.error(request, message)


# --- Sellers ----------------------------------------------------------------------------------------


@collective_view
@require_http_methods(["GET", "POST"])
def sellers(request):
    """The collective's "ready to bill" checklists, the member's payment defaults, the entity (admins)."""
    collective = request.collective
    entity = LegalSeller.objects.filter(collective=collective, kind=LegalSeller.Kind.ENTITY).first()
    own_seller = LegalSeller.objects.filter(
        collective=collective, kind=LegalSeller.Kind.MEMBER, user=request.user
    ).first()
    action = request.POST.get("action") if request.method == "POST" else None
    entity_form = EntitySellerForm(
        request.POST if action == "entity" else None, instance=entity, prefix="entity"
    )
    payment_form = PaymentDefaultsForm(
        request.POST if action == "payment" else None, instance=own_seller, prefix="payment"
    )
    status = 200
    if action == "entity" and request.membership.is_admin and entity_form.is_valid():
        try:
            entity_seller_save(by=request.user, collective_id=collective.pk, values=entity_form.cleaned_data)
        except ValidationError as error:
            apply_errors(entity_form, error)
        else:
            messages.success(request, _("The collective's legal entity is saved."))
            return redirect("billing:sellers", collective.slug)
    elif action == "payment" and payment_form.is_valid():
        try:
            seller = own_seller or member_seller_for(
                by=request.user, collective_id=collective.pk, user_id=request.user.pk
            )
            seller_payment_defaults_update(
                by=request.user, seller_id=seller.pk, values=payment_form.cleaned_data
            )
        except ValidationError as error:
            apply_errors(payment_form, error)
        else:
            messages.success(request, _("Your payment terms are saved."))
            return redirect("billing:sellers", collective.slug)
    elif action == "prefix":
        seller_id = int(request.POST.get("seller") or 0)
        try:
            series_prefix_update(
                by=request.user,
                seller_id=seller_id,
                document_type=request.POST.get("document_type", ""),
                prefix=request.POST.get("prefix", ""),
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            status = 400
        else:
            messages.success(request, _("The prefix is saved."))
            return redirect("billing:sellers", collective.slug)
    if request.method == "POST" and status == 200:
        status = 400
    members, entity_readiness = queries.collective_readiness(collective, request.user)
    return render(
        request,
        "billing/sellers.html",
        {
            "members": members,
            "entity": entity_readiness,
            "entity_form": entity_form if request.membership.is_admin else None,
            "payment_form": payment_form,
            "own_seller": own_seller,
        },
        status=status,
    )


# --- The mission's billing page ---------------------------------------------------------------------


@mission_billing_view
def mission_billing(request):
    mission = request.mission
    billing = queries.mission_billing(mission)
    today = timezone.localdate()
    budget = queries.mission_budget(billing.active, today=today) if billing.active else None
    return render(
        request,
        "billing/mission.html",
        {
            "billing": billing,
            "budget": budget,
            "quote_form": QuoteDraftForm(initial=QuoteDraftForm.default_initial(today)),
            "report_form": ReportDraftForm(
                initial={"period_start": today.replace(day=1), "period_end": today}
            ),
            "overage_form": OverageForm(),
            "bonus_form": BonusMeasureForm(),
            "invoicing": queries_invoices.mission_invoicing(mission, billing.active, request.membership),
            "split_sources": split_sources(mission),
        },
    )


@mission_billing_view(manage=True)
@require_http_methods(["GET", "POST"])
def plan_edit(request):
    mission = request.mission
    billing = queries.mission_billing(mission)
    deliverables = list(mission.deliverables.order_by("internal_date", "position", "pk"))
    team = [
        member.user
        for member in MissionMember.objects.filter(mission=mission).select_related("user").order_by("pk")
    ]
    base = billing.draft or billing.active
    form = PlanForm(
        request.POST or None, initial=PlanForm.initial_from(base), deliverables=deliverables, team=team
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan_save(
                by=request.user,
                mission_id=mission.pk,
                plan_input=form.plan_input(),
                consequences_confirmed=form.cleaned_data["consequences_confirmed"],
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("The billing plan is saved as a draft: draft its quote to send it."))
            return redirect(_billing_url(request))
    consequences = invoicing_consequences(mission=mission, mode="lead_reinvoices")
    return render(
        request,
        "billing/plan_form.html",
        {"form": form, "billing": billing, "consequences": consequences},
        status=400 if request.method == "POST" else 200,
    )


# --- Quotes -----------------------------------------------------------------------------------------


@mission_billing_view(manage=True)
@require_POST
def quote_create(request):
    form = QuoteDraftForm(request.POST)
    if form.is_valid():
        try:
            quote = quote_draft(
                by=request.user, mission_id=request.mission.pk, valid_until=form.cleaned_data["valid_until"]
            )
        except ValidationError as error:
            _flash(request, error.messages)
        else:
            return redirect("billing:quote", request.collective.slug, request.mission.pk, quote.pk)
    else:
        _flash(request, [message for errors in form.errors.values() for message in errors])
    return redirect(_billing_url(request))


def _quote(request, quote_pk) -> Quote:
    return get_object_or_404(
        Quote.objects.select_related("plan", "seller__user", "accepted_by"),
        collective=request.collective,
        mission=request.mission,
        pk=quote_pk,
    )


@mission_billing_view
def quote_detail(request, quote_pk):
    quote = _quote(request, quote_pk)
    plan = queries._plans(request.mission).get(pk=quote.plan_id)
    return render(request, "billing/quote.html", {"quote": quote, "plan": plan})


@mission_billing_view
def quote_pdf(request, quote_pk):
    quote = _quote(request, quote_pk)
    if not quote.pdf:
        raise Http404
    return _pdf_response(quote)


def _pdf_response(quote: Quote) -> HttpResponse:
    response = HttpResponse(bytes(quote.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="devis-{quote.number.replace("/", "-")}.pdf"'
    return response


@mission_billing_view(manage=True)
@require_POST
def quote_send_view(request, quote_pk):
    quote = _quote(request, quote_pk)
    try:
        quote = quote_send(by=request.user, quote_id=quote.pk)
    except ValidationError as error:
        _flash(request, error.messages)
        return redirect("billing:quote", request.collective.slug, request.mission.pk, quote.pk)
    messages.success(
        request, _("Quote %(number)s is sent to the client's contacts.") % {"number": quote.number}
    )
    return redirect("billing:quote", request.collective.slug, request.mission.pk, quote.pk)


@mission_billing_view(manage=True)
@require_POST
def quote_revise_view(request, quote_pk):
    quote = _quote(request, quote_pk)
    try:
        quote_revise(by=request.user, quote_id=quote.pk)
    except ValidationError as error:
        _flash(request, error.messages)
        return redirect("billing:quote", request.collective.slug, request.mission.pk, quote.pk)
    messages.success(
        request, _("The quote is withdrawn: change the plan, then draft and send the new version.")
    )
    return redirect("billing:plan", request.collective.slug, request.mission.pk)


# --- Activity reports, overage, bonus ---------------------------------------------------------------


@mission_billing_view(manage=True)
@require_POST
def report_create(request):
    form = ReportDraftForm(request.POST)
    if form.is_valid():
        try:
            report = activity_report_draft(
                by=request.user,
                mission_id=request.mission.pk,
                period_start=form.cleaned_data["period_start"],
                period_end=form.cleaned_data["period_end"],
            )
        except ValidationError as error:
            _flash(request, error.messages)
        else:
            return redirect("billing:report", request.collective.slug, request.mission.pk, report.pk)
    else:
        _flash(request, [message for errors in form.errors.values() for message in errors])
    return redirect(_billing_url(request))


def _report(request, report_pk) -> ActivityReport:
    return get_object_or_404(
        ActivityReport, collective=request.collective, mission=request.mission, pk=report_pk
    )


@mission_billing_view
def report_detail(request, report_pk):
    return render(request, "billing/report.html", {"report": _report(request, report_pk)})


@mission_billing_view(manage=True)
@require_POST
def report_send_view(request, report_pk):
    report = _report(request, report_pk)
    try:
        activity_report_send(by=request.user, report_id=report.pk)
    except ValidationError as error:
        _flash(request, error.messages)
    else:
        messages.success(request, _("The activity report is sent to the client for validation."))
    return redirect("billing:report", request.collective.slug, request.mission.pk, report.pk)


@mission_billing_view(manage=True)
@require_POST
def overage_create(request):
    form = OverageForm(request.POST)
    if form.is_valid():
        try:
            overage_request(
                by=request.user,
                mission_id=request.mission.pk,
                days=form.cleaned_data["days"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            _flash(request, error.messages)
        else:
            messages.success(request, _("The client is asked to approve the extra days in the portal."))
    else:
        _flash(request, [message for errors in form.errors.values() for message in errors])
    return redirect(_billing_url(request))


@mission_billing_view(manage=True)
@require_POST
def bonus_measure(request, billing_plan_pk):
    form = BonusMeasureForm(request.POST)
    if form.is_valid():
        try:
            plan_bonus_measure(
                by=request.user,
                plan_id=get_object_or_404(request.mission.billing_plans, pk=billing_plan_pk).pk,
                measured_value=form.cleaned_data["measured_value"],
                reached=form.cleaned_data["reached"],
            )
        except ValidationError as error:
            _flash(request, error.messages)
        else:
            messages.success(request, _("The measured KPI is recorded."))
    else:
        _flash(request, [message for errors in form.errors.values() for message in errors])
    return redirect(_billing_url(request))
