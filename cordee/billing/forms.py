from datetime import date, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from cordee.billing.models import BillingPlan, LegalSeller
from cordee.billing.services.plans import PLAN_FIELDS, PlanInput
from cordee.billing.services.sellers import ENTITY_FIELDS, PAYMENT_FIELDS

DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2099, 12, 31)


def _date_in_range(value):
    if value and not DATE_MIN <= value <= DATE_MAX:
        raise ValidationError(_("Enter a date between 2000 and 2099."))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def apply_errors(form: forms.Form, error: ValidationError) -> None:
    """Put a service's errors on the form's fields when it has them, on the form otherwise."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class PlanForm(forms.Form):
    model = forms.ChoiceField(
        label=_("Billing model"), choices=BillingPlan.Model.choices, widget=forms.RadioSelect
    )
    invoicing_mode = forms.ChoiceField(
        label=_("Invoicing mode"), choices=BillingPlan.InvoicingMode.choices, widget=forms.RadioSelect
    )
    consequences_confirmed = forms.BooleanField(
        label=_("I have read the consequences of this invoicing mode"), required=False
    )
    deposit_percent = forms.DecimalField(
        label=_("Deposit (%)"), required=False, max_digits=5, decimal_places=2
    )
    milestone_trigger = forms.ChoiceField(
        label=_("A deliverable is invoiceable"), choices=BillingPlan.MilestoneTrigger.choices
    )
    rate_mode = forms.ChoiceField(
        label=_("Day rate"), choices=BillingPlan.RateMode.choices, widget=forms.RadioSelect
    )
    mission_day_rate = forms.DecimalField(
        label=_("Day rate of the mission (€, excl. VAT)"), required=False, max_digits=12, decimal_places=2
    )
    cycle = forms.ChoiceField(label=_("Invoicing cycle"), choices=BillingPlan.Cycle.choices)
    cap_days = forms.DecimalField(label=_("Cap (days)"), required=False, max_digits=10, decimal_places=2)
    cap_alerts_client = forms.BooleanField(
        label=_("Also alert the client at 50, 80 and 100% of the cap"), required=False
    )
    derisk_scope = forms.CharField(label=_("De-risking phase: scope"), max_length=300, required=False)
    derisk_price = forms.DecimalField(
        label=_("De-risking phase: fixed price (€, excl. VAT)"),
        required=False,
        max_digits=12,
        decimal_places=2,
    )
    derisk_end_date = forms.DateField(
        label=_("De-risking phase: end date"), required=False, widget=DateInput(), validators=[_date_in_range]
    )
    bonus_kind = forms.ChoiceField(
        label=_("Performance bonus"),
        choices=[("", _("No bonus"))] + list(BillingPlan.BonusKind.choices),
        required=False,
    )
    bonus_kpi = forms.CharField(label=_("KPI, in words"), max_length=200, required=False)
    bonus_target = forms.CharField(label=_("Target"), max_length=120, required=False)
    bonus_value = forms.DecimalField(
        label=_("Bonus (€ or % of the fixed part)"), required=False, max_digits=12, decimal_places=2
    )
    note = forms.CharField(label=_("Note on this version"), max_length=300, required=False)

    def __init__(self, *args, deliverables=(), team=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.deliverables = list(deliverables)
        self.team = list(team)
        for deliverable in self.deliverables:
            self.fields[f"price_{deliverable.pk}"] = forms.DecimalField(
                label=_("Price of “%(title)s” (€, excl. VAT)") % {"title": deliverable.title},
                required=False,
                max_digits=12,
                decimal_places=2,
            )
            self.fields[f"estimate_{deliverable.pk}"] = forms.DecimalField(
                label=_("Estimate of “%(title)s” (days)") % {"title": deliverable.title},
                required=False,
                max_digits=10,
                decimal_places=2,
            )
        for user in self.team:
            self.fields[f"rate_{user.pk}"] = forms.DecimalField(
                label=_("Day rate of %(name)s (€, excl. VAT)") % {"name": user.display_name},
                required=False,
                max_digits=12,
                decimal_places=2,
            )

    def deliverable_fields(self):
        return [(self[f"price_{d.pk}"], self[f"estimate_{d.pk}"]) for d in self.deliverables]

    def rate_fields(self):
        return [self[f"rate_{user.pk}"] for user in self.team]

    def plan_input(self) -> PlanInput:
        data = self.cleaned_data
        values = {
            name: data.get(name)
            for name in (
                "model",
                "invoicing_mode",
                "deposit_percent",
                "milestone_trigger",
                "rate_mode",
                "mission_day_rate",
                "cycle",
                "cap_days",
                "derisk_price",
                "derisk_end_date",
                "bonus_value",
            )
        }
        values |= {
            name: data.get(name) or ""
            for name in ("derisk_scope", "bonus_kind", "bonus_kpi", "bonus_target", "note")
        }
        values["cap_alerts_client"] = bool(data.get("cap_alerts_client"))
        values["deliverable_prices"] = [
            (d.pk, data.get(f"price_{d.pk}"), data.get(f"estimate_{d.pk}"))
            for d in self.deliverables
            if data.get(f"price_{d.pk}") is not None
        ]
        values["member_rates"] = [
            (user.pk, data.get(f"rate_{user.pk}"))
            for user in self.team
            if data.get(f"rate_{user.pk}") is not None
        ]
        return PlanInput(**values)

    @staticmethod
    def initial_from(plan: BillingPlan | None) -> dict:
        if plan is None:
            return {
                "model": BillingPlan.Model.PAY_AS_YOU_GO,
                "invoicing_mode": BillingPlan.InvoicingMode.PER_MEMBER,
                "rate_mode": BillingPlan.RateMode.MISSION,
                "cycle": BillingPlan.Cycle.MONTHLY,
                "milestone_trigger": BillingPlan.MilestoneTrigger.DELIVERED,
            }
        initial = {name: getattr(plan, name) for name in PLAN_FIELDS}
        for item in plan.deliverable_prices.all():
            initial[f"price_{item.deliverable_id}"] = item.price
            initial[f"estimate_{item.deliverable_id}"] = item.estimate_days
        for item in plan.member_rates.all():
            initial[f"rate_{item.user_id}"] = item.day_rate
        if plan.invoicing_mode == BillingPlan.InvoicingMode.LEAD_REINVOICES:
            initial["consequences_confirmed"] = True
        return initial


class QuoteDraftForm(forms.Form):
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput(), validators=[_date_in_range])

    @staticmethod
    def default_initial(today: date) -> dict:
        return {"valid_until": today + timedelta(days=30)}


class QuoteAcceptForm(forms.Form):
    typed_name = forms.CharField(label=_("Your full name"), max_length=150)
    pdf_sha256 = forms.CharField(widget=forms.HiddenInput, max_length=64)


class QuoteDeclineForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you decline it?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class ReportDraftForm(forms.Form):
    period_start = forms.DateField(label=_("From"), widget=DateInput(), validators=[_date_in_range])
    period_end = forms.DateField(label=_("To"), widget=DateInput(), validators=[_date_in_range])


class ReportDisputeForm(forms.Form):
    comment = forms.CharField(
        label=_("What is wrong?"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class OverageForm(forms.Form):
    days = forms.DecimalField(label=_("Extra days"), max_digits=10, decimal_places=2)
    reason = forms.CharField(label=_("Why"), max_length=300)


class BonusMeasureForm(forms.Form):
    measured_value = forms.CharField(label=_("Measured KPI"), max_length=120)
    reached = forms.BooleanField(label=_("The target is reached"), required=False)


class EntitySellerForm(forms.ModelForm):
    class Meta:
        model = LegalSeller
        fields = ENTITY_FIELDS + PAYMENT_FIELDS


class PaymentDefaultsForm(forms.ModelForm):
    class Meta:
        model = LegalSeller
        fields = PAYMENT_FIELDS
