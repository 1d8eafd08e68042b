from django.urls import path

from cordee.billing import views, views_invoices, views_payments, views_payouts, views_splits

app_name = "billing"

mission = "collectives/<slug:slug>/missions/<int:mission_pk>/billing/"
area = "collectives/<slug:slug>/billing/"

urlpatterns = [
    path("collectives/<slug:slug>/billing/", views.sellers, name="sellers"),
    path(mission, views.mission_billing, name="mission"),
    path(mission + "plan/", views.plan_edit, name="plan"),
    path(mission + "plans/<int:billing_plan_pk>/bonus/", views.bonus_measure, name="bonus_measure"),
    path(mission + "quotes/new/", views.quote_create, name="quote_create"),
    path(mission + "quotes/<int:quote_pk>/", views.quote_detail, name="quote"),
    path(mission + "quotes/<int:quote_pk>/pdf/", views.quote_pdf, name="quote_pdf"),
    path(mission + "quotes/<int:quote_pk>/send/", views.quote_send_view, name="quote_send"),
    path(mission + "quotes/<int:quote_pk>/revise/", views.quote_revise_view, name="quote_revise"),
    path(mission + "reports/new/", views.report_create, name="report_create"),
    path(mission + "reports/<int:report_pk>/", views.report_detail, name="report"),
    path(mission + "reports/<int:report_pk>/send/", views.report_send_view, name="report_send"),
    path(mission + "overage/", views.overage_create, name="overage_create"),
    path("collectives/<slug:slug>/billing/mandates/", views_invoices.mandates, name="mandates"),
    path(mission + "invoices/new/", views_invoices.invoice_batch_create, name="invoice_batch_create"),
    path(mission + "invoices/<int:invoice_pk>/", views_invoices.invoice_detail, name="invoice"),
    path(
        mission + "invoices/<int:invoice_pk>/issue/", views_invoices.invoice_issue_view, name="invoice_issue"
    ),
    path(mission + "invoices/<int:invoice_pk>/pdf/", views_invoices.invoice_pdf, name="invoice_pdf"),
    path(
        mission + "invoice-batches/<int:batch_pk>/send/",
        views_invoices.invoice_batch_send_view,
        name="invoice_batch_send",
    ),
    path(
        mission + "invoice-batches/<int:batch_pk>/discard/",
        views_invoices.invoice_batch_discard_view,
        name="invoice_batch_discard",
    ),
    path(mission + "payments/", views_payments.mission_payments, name="mission_payments"),
    path("collectives/<slug:slug>/billing/payments/", views_payments.payments, name="payments"),
    path(
        "collectives/<slug:slug>/billing/payments/statements/<int:statement_pk>/",
        views_payments.statement_detail,
        name="statement",
    ),
    path(
        "collectives/<slug:slug>/billing/payments/lines/<int:line_pk>/",
        views_payments.line_decide,
        name="line_decide",
    ),
    path(area + "payments/credits/", views_payments.client_credits, name="client_credits"),
    path(
        "collectives/<slug:slug>/billing/payments/charts/",
        views_payments.payment_charts,
        name="payment_charts",
    ),
    path(
        "collectives/<slug:slug>/billing/reminders/", views_payments.reminder_ladder, name="reminder_ladder"
    ),
    path(
        mission + "splits/deliverables/<int:deliverable_pk>/",
        views_splits.split_deliverable,
        name="split_deliverable",
    ),
    path(mission + "splits/reports/<int:report_pk>/", views_splits.split_report, name="split_report"),
    path(mission + "splits/bonus/<int:billing_plan_pk>/", views_splits.split_bonus, name="split_bonus"),
    path(mission + "splits/deposit/<int:billing_plan_pk>/", views_splits.split_deposit, name="split_deposit"),
    path(mission + "splits/<int:split_pk>/decide/", views_splits.split_decide, name="split_decide"),
    path(area + "payouts/", views_payouts.payouts_page, name="payouts"),
    path(area + "payouts/<int:payout_batch_pk>/", views_payouts.payout_batch, name="payout_batch"),
    path(
        area + "payouts/<int:payout_batch_pk>/file/",
        views_payouts.payout_batch_file,
        name="payout_batch_file",
    ),
    path(area + "statement/", views_payouts.member_statement, name="member_statement"),
    path(area + "exports/", views_payouts.exports_page, name="exports"),
    path(area + "exports/<int:job_pk>/", views_payouts.export_job, name="export_job"),
    path(area + "exports/<int:job_pk>/retry/", views_payouts.export_retry, name="export_retry"),
    path(area + "exports/<int:job_pk>/download/", views_payouts.export_download, name="export_download"),
]
