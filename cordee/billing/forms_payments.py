"""Forms of the payment pages: a payment, a bank statement upload with its CSV column mapping, the review
of a statement line, and a level of the reminder ladder. Choices of sellers and invoices are set by the
view from what the user may see."""

from django import forms
from django.utils.translation import gettext_lazy as _

from cordee.billing.late_payment import LEVEL_OFFSET_MAX, LEVEL_OFFSET_MIN
from cordee.billing.models import BankStatement, Payment
from cordee.billing.statements import MAX_STATEMENT_BYTES
from cordee.core.fields import DateField

SPLIT_ROWS = 3


def amount_field(**options) -> forms.DecimalField:
    """An amount in euros to the cent, typed with the phone's decimal keypad."""
    return forms.DecimalField(
        label=_("Amount (€)"),
        max_digits=12,
        decimal_places=2,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        **options,
    )


class PaymentForm(forms.Form):
    paid_on = DateField(label=_("Date received"))
    amount = amount_field()
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    reference = forms.CharField(label=_("Reference"), max_length=140, required=False)


class CreditApplyForm(forms.Form):
    """Apply a client's credit to one of the seller's open invoices of that client (choices set by the view)."""

    invoice = forms.TypedChoiceField(label=_("Invoice to pay"), coerce=int)
    amount = amount_field()


class CreditRefundForm(forms.Form):
    refunded_on = DateField(label=_("Date refunded"))
    amount = amount_field()
    method = forms.ChoiceField(label=_("Method"), choices=Payment.Method.choices)
    reference = forms.CharField(label=_("Reference"), max_length=140, required=False)


class PaymentReverseForm(forms.Form):
    reason = forms.CharField(label=_("Why reverse this payment?"), max_length=300)


class StatementUploadForm(forms.Form):
    seller = forms.ChoiceField(label=_("Bank account of"))
    format = forms.ChoiceField(
        label=_("Format"), choices=BankStatement.Format.choices, widget=forms.RadioSelect, initial="camt053"
    )
    file = forms.FileField(label=_("Statement file"), help_text=_("CAMT.053 (XML) or CSV, 5 MB at most."))
    date_column = forms.CharField(label=_("Date column"), max_length=100, required=False, initial="Date")
    amount_column = forms.CharField(
        label=_("Amount column (signed)"),
        max_length=100,
        required=False,
        help_text=_("Or leave empty and name the credit column."),
    )
    credit_column = forms.CharField(
        label=_("Credit column"), max_length=100, required=False, initial="Crédit"
    )
    reference_column = forms.CharField(
        label=_("Label or reference column"), max_length=100, required=False, initial="Libellé"
    )
    counterparty_column = forms.CharField(label=_("Payer column (optional)"), max_length=100, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_STATEMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB: export a shorter period."))
        return upload

    def clean(self):
        data = super().clean()
        if data.get("format") == BankStatement.Format.CSV:
            if not data.get("date_column") or not data.get("reference_column"):
                raise forms.ValidationError(_("For a CSV file, name the date and the label columns."))
            if not data.get("amount_column") and not data.get("credit_column"):
                raise forms.ValidationError(_("For a CSV file, name the amount or the credit column."))
        return data

    def mapping(self) -> dict | None:
        data = self.cleaned_data
        if data["format"] != BankStatement.Format.CSV:
            return None
        return {
            "date": data["date_column"].strip(),
            "amount": data["amount_column"].strip(),
            "credit": data["credit_column"].strip(),
            "reference": data["reference_column"].strip(),
            "counterparty": data["counterparty_column"].strip(),
        }


class LineDecisionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("confirm", _("Confirm")), ("split", _("Split")), ("ignore", _("Ignore"))]
    )
    invoice = forms.TypedChoiceField(label=_("Invoice"), coerce=int, required=False)

    def __init__(self, *args, invoice_choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *invoice_choices]
        self.fields["invoice"].choices = choices
        for row in range(SPLIT_ROWS):
            self.fields[f"split_invoice_{row}"] = forms.TypedChoiceField(
                label=_("Invoice"), coerce=int, required=False, choices=choices
            )
            self.fields[f"split_amount_{row}"] = amount_field(required=False)

    def split_rows(self):
        for row in range(SPLIT_ROWS):
            yield self[f"split_invoice_{row}"], self[f"split_amount_{row}"]

    def allocations(self) -> list[tuple[int, object]]:
        data = self.cleaned_data
        return [
            (data[f"split_invoice_{row}"], data[f"split_amount_{row}"])
            for row in range(SPLIT_ROWS)
            if data.get(f"split_invoice_{row}") and data.get(f"split_amount_{row}") is not None
        ]


class ReminderLevelForm(forms.Form):
    offset_days = forms.IntegerField(
        label=_("Days from the due date"),
        min_value=LEVEL_OFFSET_MIN,
        max_value=LEVEL_OFFSET_MAX,
        help_text=_("Negative: before the due date (−3 is three days before)."),
    )
    text_fr = forms.CharField(
        label=_("Text in French"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    text_en = forms.CharField(
        label=_("Text in English"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    enabled = forms.BooleanField(label=_("Send this reminder"), required=False)


class ReminderLevelAddForm(ReminderLevelForm):
    """A new level: its texts may be left empty to start from the nearest level's words."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("text_fr", "text_en"):
            self.fields[name].required = False
            self.fields[name].help_text = _("Leave empty to start from the text of the nearest reminder.")
        self.fields["enabled"].initial = True
