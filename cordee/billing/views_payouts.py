"""Payouts and exports pages of the collective's billing area. Thin: parse, call a service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from cordee.billing.forms import apply_errors
from cordee.billing.forms_payouts import ExportForm, PayoutBatchForm
from cordee.billing.models import BillingPlan, PayoutBatch
from cordee.billing.services import exports, payouts
from cordee.billing.tasks import export_enqueue
from cordee.collectives.permissions import collective_view
from cordee.core.access import AccessDenied

BATCHES_SHOWN = 20


def _payout_missions(collective, sellers) -> list[tuple[int, str]]:
    """The missions whose active plan names one of these sellers, as (id, title)."""
    return list(
        BillingPlan.objects.filter(
            collective=collective,
            status=BillingPlan.Status.ACTIVE,
            seller__in=[seller.pk for seller in sellers],
        )
        .order_by("mission__title")
        .values_list("mission_id", "mission__title")
    )


@collective_view
@require_http_methods(["GET", "POST"])
def payouts_page(request):
    """What each paying seller the member administers owes its members, and its payout batches."""
    collective = request.collective
    sellers = payouts.payout_sellers(request.user, collective.pk)
    missions = _payout_missions(collective, sellers)
    form = PayoutBatchForm(
        request.POST if request.method == "POST" else None, sellers=sellers, missions=missions
    )
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                batch = payouts.payout_batch_create(
                    by=request.user,
                    seller_id=form.cleaned_data["seller"],
                    mission_id=form.cleaned_data["mission"],
                    execution_date=form.cleaned_data["execution_date"],
                )
            except AccessDenied as error:
                form.add_error("seller", str(error))
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("The payout batch is drafted: check it, then approve it."))
                return redirect("billing:payout_batch", collective.slug, batch.pk)
    owed = [(seller, payouts.owed_by_seller(seller)) for seller in sellers]
    batches = list(
        PayoutBatch.objects.filter(collective=collective, seller__in=[seller.pk for seller in sellers])
        .select_related("seller__user")
        .annotate(payout_count=Count("payouts"))
        .defer("file")[:BATCHES_SHOWN]
    )
    return render(
        request,
        "billing/payouts.html",
        {"sellers": sellers, "owed": owed, "batches": batches, "form": form},
        status=status,
    )


ACTIONS = {
    "approve": (
        payouts.payout_batch_approve,
        gettext_lazy("The batch is approved: export its transfer file."),
    ),
    "export": (
        payouts.payout_batch_export,
        gettext_lazy("The transfer file is ready: upload it to the bank."),
    ),
    "paid": (payouts.payout_batch_mark_paid, gettext_lazy("The batch is marked paid.")),
    "cancel": (
        payouts.payout_batch_cancel,
        gettext_lazy("The batch is cancelled: what it held is owed again."),
    ),
}


def _batch_or_404(request, payout_batch_pk) -> PayoutBatch:
    batch = (
        PayoutBatch.objects.filter(pk=payout_batch_pk, collective=request.collective)
        .select_related("seller__user", "approved_by", "created_by", "paid_by")
        .defer("file")
        .first()
    )
    if batch is None:
        raise Http404
    try:
        payouts.seller_admin_for(request.user, batch.seller_id)
    except AccessDenied as error:
        raise Http404 from error
    return batch


@collective_view
@require_http_methods(["GET", "POST"])
def payout_batch(request, payout_batch_pk):
    batch = _batch_or_404(request, payout_batch_pk)
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            messages.error(request, _("Choose an action."))
        else:
            service, success = action
            try:
                service(by=request.user, batch_id=batch.pk)
            except ValidationError as error:
                for message in error.messages:
                    messages.error(request, message)
            else:
                messages.success(request, success)
        return redirect("billing:payout_batch", request.collective.slug, batch.pk)
    return render(
        request,
        "billing/payout_batch.html",
        {"batch": batch, "payouts": list(batch.payouts.select_related("member").order_by("pk"))},
    )


@collective_view
def payout_batch_file(request, payout_batch_pk):
    batch = _batch_or_404(request, payout_batch_pk)
    try:
        batch = payouts.payout_batch_file(by=request.user, batch_id=batch.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("billing:payout_batch", request.collective.slug, batch.pk)
    response = HttpResponse(bytes(batch.file), content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{batch.file_name}"'
    return response


@collective_view
def member_statement(request):
    """The member's own statement; an admin may open a member's with ?member=ID."""
    member_id = request.GET.get("member", "")
    member_id = int(member_id) if member_id.isdigit() else request.user.pk
    try:
        rows = payouts.member_statement(
            by=request.user, collective_id=request.collective.pk, member_id=member_id
        )
    except AccessDenied as error:
        raise Http404 from error
    totals = {
        name: sum((getattr(row, name) for row in rows), 0)
        for name in ("invoiced", "received", "paid_out", "in_batches")
    }
    return render(request, "billing/statement_member.html", {"rows": rows, "totals": totals})


# --- Exports ------------------------------------------------------------------------------------------


@collective_view
@require_http_methods(["GET", "POST"])
def exports_page(request):
    sellers = exports.export_sellers(request.user, request.collective.pk)
    form = ExportForm(request.POST if request.method == "POST" else None, sellers=sellers)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                job = exports.export_request(
                    by=request.user,
                    seller_id=form.cleaned_data["seller"],
                    kind=form.cleaned_data["kind"],
                    year=form.cleaned_data["year"],
                )
            except AccessDenied as error:
                form.add_error("seller", str(error))
            except ValidationError as error:
                apply_errors(form, error)
            else:
                export_enqueue(job.pk)
                return redirect("billing:export_job", request.collective.slug, job.pk)
    jobs = exports.export_jobs(request.user, request.collective.pk)
    return render(request, "billing/exports.html", {"form": form, "jobs": jobs}, status=status)


def _job_or_404(request, job_pk):
    try:
        job = exports.export_job_for(by=request.user, job_id=job_pk)
    except AccessDenied as error:
        raise Http404 from error
    if job.collective_id != request.collective.pk:
        raise Http404
    return job


@collective_view
def export_job(request, job_pk):
    """The export's progress: htmx polls the fragment every second; without JavaScript the page refreshes."""
    job = _job_or_404(request, job_pk)
    template = "billing/export_job.html#progress" if request.htmx else "billing/export_job.html"
    return render(request, template, {"job": job})


@collective_view
def export_retry(request, job_pk):
    """A failed export asked again (POST); the job's own check comes first, so a stranger gets a 404."""
    job = _job_or_404(request, job_pk)
    if request.method == "POST" and job.status == job.Status.FAILED:
        try:
            job = exports.export_request(
                by=request.user, seller_id=job.seller_id, kind=job.kind, year=job.year
            )
        except (AccessDenied, ValidationError) as error:
            messages.error(request, str(error))
            return redirect("billing:exports", request.collective.slug)
        export_enqueue(job.pk)
    return redirect("billing:export_job", request.collective.slug, job.pk)


@collective_view
def export_download(request, job_pk):
    job = _job_or_404(request, job_pk)
    if job.status != job.Status.DONE:
        return redirect("billing:export_job", request.collective.slug, job.pk)
    response = HttpResponse(bytes(job.file), content_type=job.content_type)
    response["Content-Disposition"] = f'attachment; filename="{job.file_name}"'
    return response
