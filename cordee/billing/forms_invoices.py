"""Forms of invoicing: a draft's purchase order and reform data, a credit note, a billing mandate."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from cordee.billing.forms import DateInput, _date_in_range
from cordee.billing.models import Invoice


class InvoiceDraftForm(forms.Form):
    purchase_order = forms.CharField(
        label=_("Client's purchase order number"),
        max_length=50,
        required=False,
        help_text=_("Only if the client issued one: it is then printed on the invoice."),
    )
    flow = forms.ChoiceField(label=_("Buyer"), choices=Invoice.Flow.choices)
    operation_nature = forms.ChoiceField(
        label=_("Nature of the operation"), choices=Invoice.OperationNature.choices
    )
    vat_on_debits = forms.BooleanField(
        label=_("The seller opted for paying VAT on debits"),
        required=False,
        help_text=_("Only for a VAT-registered seller who chose this option: printing it wrongly is fined."),
    )
    note = forms.CharField(
        label=_("Note printed on the invoice"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CreditNoteForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to credit (€, excl. VAT)"),
        required=False,
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
        help_text=_("Leave empty to cancel the whole invoice."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class BillingMandateForm(forms.Form):
    issuer = forms.TypedChoiceField(label=_("Who issues my invoices"), coerce=int)
    signed_on = forms.DateField(label=_("Signed on"), widget=DateInput(), validators=[_date_in_range])
    scope = forms.CharField(
        label=_("Scope"),
        max_length=300,
        help_text=_("What the mandate covers, e.g. “the invoices of the collective's missions”."),
    )
    contest_days = forms.IntegerField(
        label=_("Days to contest an invoice"), min_value=1, max_value=90, initial=15
    )
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=DateInput(), validators=[_date_in_range]
    )

    def __init__(self, *args, sellers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["issuer"].choices = [(seller.pk, seller.display_name) for seller in sellers]
