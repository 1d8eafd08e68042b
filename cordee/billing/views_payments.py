"""Payment pages: bank statements (upload, import progress), the review of their lines (the matching
screen), a mission's invoices and payments, the charts, and the reminder ladder. Thin: parse, call a
service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cordee.billing import payment_queries
from cordee.billing.forms import apply_errors
from cordee.billing.forms_payments import (
    CreditApplyForm,
    CreditRefundForm,
    LineDecisionForm,
    PaymentForm,
    PaymentReverseForm,
    ReminderLevelAddForm,
    ReminderLevelForm,
    StatementUploadForm,
)
from cordee.billing.late_payment import LEVEL_OFFSET_MAX, LEVEL_OFFSET_MIN
from cordee.billing.models import BankStatement, ReminderLevel, StatementLine
from cordee.billing.permissions import mission_billing_view
from cordee.billing.services.credits import available_credits, credit_accounts, credit_apply, credit_refund
from cordee.billing.services.payments import (
    Allocation,
    LineAlreadyDecided,
    invoice_balance,
    payment_record,
    payment_reverse,
    statement_line_confirm,
    statement_line_ignore,
    statement_line_split,
)
from cordee.billing.services.reminders import (
    invoice_dispute_set,
    invoice_reminders_pause,
    ladder_for,
    ladder_level_add,
    ladder_level_archive,
    ladder_level_update,
)
from cordee.billing.services.statements import statement_upload
from cordee.billing.statements import StatementError
from cordee.billing.templatetags.billing import euros
from cordee.billing.templatetags.payment_charts import SERIES_CLASSES
from cordee.collectives.permissions import collective_view
from cordee.core.access import AccessDenied
from cordee.core.money import ZERO


def _invoice_label(invoice) -> str:
    buyer = invoice.client.name if invoice.client_id else invoice.buyer_snapshot.get("name", "")
    return f"{invoice.number} · {buyer} · {euros(invoice_balance(invoice))}"


def _review_context(request) -> dict:
    sellers = payment_queries.reconcilable_sellers(request.user, request.membership)
    seller_ids = [seller.pk for seller in sellers]
    invoices = payment_queries.open_invoices_by_seller(request.collective.pk, seller_ids)
    lines = payment_queries.lines_to_review(request.collective.pk, seller_ids)
    for line in lines:
        line.form = LineDecisionForm(
            invoice_choices=[(invoice.pk, _invoice_label(invoice)) for invoice in invoices[line.seller_id]],
            initial={"invoice": line.suggested_invoice_id},
            prefix=f"line-{line.pk}",
        )
    return {
        "sellers": sellers,
        "lines": lines,
        "decided": payment_queries.lines_decided(request.collective.pk, seller_ids),
        "statements": payment_queries.statements_recent(request.collective.pk, seller_ids),
    }


@collective_view
@require_http_methods(["GET", "POST"])
def payments(request):
    """Import a bank statement and review its lines: the matching screen."""
    context = _review_context(request)
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    form.fields["seller"].choices = [(seller.pk, seller.display_name) for seller in context["sellers"]]
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                statement = statement_upload(
                    by=request.user,
                    seller_id=int(form.cleaned_data["seller"]),
                    filename=upload.name,
                    content=upload.read(),
                    format=form.cleaned_data["format"],
                    mapping=form.mapping(),
                )
            except StatementError as error:
                form.add_error("file", str(error))
            except AccessDenied as error:
                form.add_error("seller", str(error))
            else:
                messages.success(request, _("The statement is being imported."))
                return redirect("billing:statement", request.collective.slug, statement.pk)
        status = 400
    return render(request, "billing/payments.html", {**context, "form": form}, status=status)


@collective_view
def statement_detail(request, statement_pk: int):
    """The import's progress: polled by htmx while it runs, refreshed by the browser without JavaScript."""
    seller_ids = [
        seller.pk for seller in payment_queries.reconcilable_sellers(request.user, request.membership)
    ]
    statement = get_object_or_404(
        BankStatement.objects.defer("content").select_related("seller__user"),
        collective=request.collective,
        seller_id__in=seller_ids,
        pk=statement_pk,
    )
    running = statement.status in (BankStatement.Status.PENDING, BankStatement.Status.RUNNING)
    context = {"statement": statement, "running": running}
    if request.htmx:
        return render(request, "billing/_statement_progress.html", context)
    return render(request, "billing/statement.html", context)


@collective_view
@require_http_methods(["GET", "POST"])
def line_decide(request, line_pk: int):
    """Confirm, split or ignore one statement line; the one who comes second is told, nothing is lost."""
    sellers = payment_queries.reconcilable_sellers(request.user, request.membership)
    get_object_or_404(
        StatementLine.objects.only("pk"),
        collective=request.collective,
        seller_id__in=[seller.pk for seller in sellers],
        pk=line_pk,
    )
    if request.method == "GET":
        return redirect(reverse("billing:payments", args=[request.collective.slug]) + f"#line-{line_pk}")
    form = LineDecisionForm(request.POST, prefix=f"line-{line_pk}")
    # The invoice choices are checked by the service (same seller, access); here only their shape.
    for name, field in form.fields.items():
        if name == "invoice" or name.startswith("split_invoice_"):
            field.choices = [("", "—")] + [
                (value, value) for value in request.POST.getlist(form.add_prefix(name))
            ]
    back = reverse("billing:payments", args=[request.collective.slug]) + f"#line-{line_pk}"
    if not form.is_valid():
        messages.error(request, _("Choose an invoice and amounts in euros."))
        return redirect(back)
    action = form.cleaned_data["action"]
    try:
        if action == "confirm":
            statement_line_confirm(
                by=request.user, line_id=line_pk, invoice_id=form.cleaned_data["invoice"] or None
            )
            messages.success(request, _("The payment is recorded."))
        elif action == "split":
            statement_line_split(
                by=request.user,
                line_id=line_pk,
                allocations=[Allocation(invoice_id, amount) for invoice_id, amount in form.allocations()],
            )
            messages.success(request, _("The line is split between the invoices."))
        else:
            statement_line_ignore(by=request.user, line_id=line_pk)
            messages.success(request, _("The line is set aside."))
    except LineAlreadyDecided as error:
        messages.warning(request, " ".join(error.messages))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    except AccessDenied:
        raise Http404 from None
    return redirect(back)


@collective_view
def payment_charts(request):
    today = timezone.localdate()
    months, series = payment_queries.monthly_receipts(request.membership, today)
    for index, item in enumerate(series):
        item.css_index = index % SERIES_CLASSES
        item.cells = list(zip(months, item.amounts, strict=True))
    return render(
        request,
        "billing/payment_charts.html",
        {
            "ageing": payment_queries.receivables_ageing(request.membership, today),
            "buckets": payment_queries.AGEING_BUCKETS,
            "months": months,
            "series": series,
        },
    )


# --- Client credit ---------------------------------------------------------------------------------


def _credit_forms(request, account, today):
    key = f"{account.seller.pk}-{account.client.pk}"
    posted = request.method == "POST" and request.POST.get("account") == key
    action = request.POST.get("action") if posted else None
    account.key = key
    account.apply_form = CreditApplyForm(
        request.POST if action == "apply" else None,
        prefix=f"apply-{key}",
        initial={"amount": account.available},
    )
    account.apply_form.fields["invoice"].choices = [
        (invoice.pk, _invoice_label(invoice)) for invoice in account.open_invoices
    ]
    account.refund_form = CreditRefundForm(
        request.POST if action == "refund" else None,
        prefix=f"refund-{key}",
        initial={"refunded_on": today, "amount": account.available},
    )
    return action


@collective_view
@require_http_methods(["GET", "POST"])
def client_credits(request):
    """Each client's credit with each seller the user reconciles: apply it to an open invoice, or record
    that it was refunded; with where every credit came from and what became of it."""
    sellers = payment_queries.reconcilable_sellers(request.user, request.membership)
    accounts = credit_accounts(request.collective.pk, [seller.pk for seller in sellers])
    today = timezone.localdate()
    status = 200
    for account in accounts:
        action = _credit_forms(request, account, today)
        form = account.apply_form if action == "apply" else account.refund_form
        if action not in ("apply", "refund"):
            continue
        status = 400
        if not form.is_valid():
            continue
        try:
            if action == "apply":
                credit_apply(
                    by=request.user,
                    invoice_id=form.cleaned_data["invoice"],
                    amount=form.cleaned_data["amount"],
                )
                messages.success(request, _("The credit is applied to the invoice."))
            else:
                credit_refund(
                    by=request.user,
                    seller_id=account.seller.pk,
                    client_id=account.client.pk,
                    **form.cleaned_data,
                )
                messages.success(request, _("The refund is recorded."))
        except ValidationError as error:
            apply_errors(form, error)
        except AccessDenied as error:
            form.add_error(None, str(error))
        else:
            return redirect("billing:client_credits", request.collective.slug)
    if request.method == "POST" and status == 200:
        messages.error(request, _("This credit is no longer on the page: reload it and try again."))
        status = 400
    return render(request, "billing/client_credits.html", {"accounts": accounts}, status=status)


# --- A mission's invoices and payments -------------------------------------------------------------


@mission_billing_view
@require_http_methods(["GET", "POST"])
def mission_payments(request):
    mission = request.mission
    action = request.POST.get("action") if request.method == "POST" else None
    invoice_id = int(request.POST.get("invoice") or 0) if request.method == "POST" else 0
    status = 200
    bound = None
    if action == "record":
        bound = PaymentForm(request.POST, prefix=f"pay-{invoice_id}")
        if bound.is_valid():
            try:
                payment_record(by=request.user, invoice_id=invoice_id, **bound.cleaned_data)
            except ValidationError as error:
                apply_errors(bound, error)
            except AccessDenied as error:
                bound.add_error(None, str(error))
            else:
                messages.success(request, _("The payment is recorded."))
                return redirect("billing:mission_payments", request.collective.slug, mission.pk)
        status = 400
    elif action in ("reverse", "pause", "resume", "dispute", "undispute"):
        try:
            if action == "reverse":
                reverse_form = PaymentReverseForm(request.POST)
                if not reverse_form.is_valid():
                    raise ValidationError(_("Say why this payment is reversed."))
                payment_reverse(
                    by=request.user,
                    payment_id=int(request.POST.get("payment") or 0),
                    reason=reverse_form.cleaned_data["reason"],
                )
            elif action in ("pause", "resume"):
                invoice_reminders_pause(by=request.user, invoice_id=invoice_id, paused=action == "pause")
            else:
                invoice_dispute_set(by=request.user, invoice_id=invoice_id, disputed=action == "dispute")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except AccessDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("Saved."))
        return redirect("billing:mission_payments", request.collective.slug, mission.pk)
    invoices = payment_queries.mission_invoices(mission, request.membership)
    today = timezone.localdate()
    credits = available_credits(
        request.collective.pk,
        {invoice.seller_id for invoice in invoices},
        {invoice.client_id for invoice in invoices},
    )
    for invoice in invoices:
        invoice.balance = invoice_balance(invoice)
        invoice.credit = -invoice.balance
        invoice.is_late = invoice.balance > 0 and invoice.due_on < today
        invoice.credit_available = credits.get((invoice.seller_id, invoice.client_id), ZERO)
        if bound is not None and invoice.pk == invoice_id:
            invoice.payment_form = bound
        else:
            invoice.payment_form = PaymentForm(
                prefix=f"pay-{invoice.pk}",
                initial={"paid_on": today, "amount": invoice.balance if invoice.balance > 0 else None},
            )
    return render(
        request,
        "billing/mission_payments.html",
        {"mission": mission, "invoices": invoices, "reverse_form": PaymentReverseForm()},
        status=status,
    )


# --- The reminder ladder ---------------------------------------------------------------------------


@collective_view(admin_only=True)
@require_http_methods(["GET", "POST"])
def reminder_ladder(request):
    ladder = ladder_for(by=request.user, collective_id=request.collective.pk)
    all_levels = list(ReminderLevel.objects.filter(ladder=ladder, collective=request.collective))
    levels = [level for level in all_levels if level.archived_at is None]
    action = request.POST.get("action", "update") if request.method == "POST" else None
    status = 200
    if action == "archive":
        try:
            ladder_level_archive(by=request.user, level_id=int(request.POST.get("level") or 0))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except AccessDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The reminder is archived: it will not be sent any more."))
        return redirect("billing:reminder_ladder", request.collective.slug)
    add_form = ReminderLevelAddForm(request.POST if action == "add" else None, prefix="new")
    if action == "add":
        if add_form.is_valid():
            try:
                ladder_level_add(
                    by=request.user, collective_id=request.collective.pk, **add_form.cleaned_data
                )
            except ValidationError as error:
                apply_errors(add_form, error)
            else:
                messages.success(request, _("The reminder is added."))
                return redirect("billing:reminder_ladder", request.collective.slug)
        status = 400
    for level in levels:
        prefix = f"level-{level.pk}"
        level.days_before = -level.offset_days
        posted = action == "update" and request.POST.get("level") == str(level.pk)
        level.form = ReminderLevelForm(
            request.POST if posted else None,
            prefix=prefix,
            initial={
                "offset_days": level.offset_days,
                "text_fr": level.text_fr,
                "text_en": level.text_en,
                "enabled": level.enabled,
            },
        )
        if posted:
            if level.form.is_valid():
                try:
                    ladder_level_update(by=request.user, level_id=level.pk, **level.form.cleaned_data)
                except ValidationError as error:
                    apply_errors(level.form, error)
                else:
                    messages.success(request, _("The reminder is saved."))
                    return redirect("billing:reminder_ladder", request.collective.slug)
            status = 400
    return render(
        request,
        "billing/reminder_ladder.html",
        {
            "levels": levels,
            "archived": [level for level in all_levels if level.archived_at is not None],
            "add_form": add_form,
            "days_before_max": -LEVEL_OFFSET_MIN,
            "days_after_max": LEVEL_OFFSET_MAX,
        },
        status=status,
    )
