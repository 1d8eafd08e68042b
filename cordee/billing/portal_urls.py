"""The client's billing pages, included under the portal's prefix by the project's URLs (the portal app
stays below billing and never imports it)."""

from django.urls import path

from cordee.billing import portal_views, portal_views_invoices

app_name = "billing_portal"

urlpatterns = [
    path("missions/<int:mission_pk>/billing/", portal_views.billing, name="billing"),
    path("quotes/<int:quote_pk>/", portal_views.quote, name="quote"),
    path("quotes/<int:quote_pk>/pdf/", portal_views.quote_pdf, name="quote_pdf"),
    path("reports/<int:report_pk>/", portal_views.report, name="report"),
    path("overages/<int:overage_pk>/answer/", portal_views.overage_answer_view, name="overage_answer"),
    path("missions/<int:mission_pk>/invoices/", portal_views_invoices.invoices, name="invoices"),
    path("invoice-batches/<int:batch_pk>/", portal_views_invoices.batch, name="batch"),
    path("invoices/<int:invoice_pk>/pdf/", portal_views_invoices.invoice_pdf, name="invoice_pdf"),
]
