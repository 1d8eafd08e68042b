"""The revenue split form: a method, each member's share or weight, the common fund and the referrer."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cordee.billing.models import RevenueSplit
from cordee.billing.services.splits import SplitChoice

PERCENT_LIMITS = {"min_value": Decimal(0), "max_value": Decimal(100), "max_digits": 7, "decimal_places": 4}


class SplitForm(forms.Form):
    """`basis` is the list of `MemberBasis` the split starts from (one share and one weight field each);
    `methods` the methods the source allows."""

    method = forms.ChoiceField(
        label=pgettext_lazy("revenue split", "Method"),
        choices=RevenueSplit.Method.choices,
        widget=forms.RadioSelect,
    )
    common_fund_percent = forms.DecimalField(label=_("Common fund (%)"), required=False, **PERCENT_LIMITS)
    referrer_percent = forms.DecimalField(label=_("Business referrer (%)"), required=False, **PERCENT_LIMITS)
    referrer_label = forms.CharField(label=_("Business referrer's name"), required=False, max_length=150)
    note = forms.CharField(label=_("Note for the members"), required=False, max_length=300)

    def __init__(self, *args, basis=(), methods=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.basis = list(basis)
        if methods:
            self.fields["method"].choices = methods
        for member in self.basis:
            self.fields[f"percent_{member.user_id}"] = forms.DecimalField(
                label=_("Share of %(name)s (%%)") % {"name": member.name}, required=False, **PERCENT_LIMITS
            )
            self.fields[f"weight_{member.user_id}"] = forms.DecimalField(
                label=_("Weight of %(name)s") % {"name": member.name},
                required=False,
                min_value=Decimal(0),
                max_digits=10,
                decimal_places=4,
            )

    def member_rows(self):
        """(member, share field, weight field) per member, for the template."""
        return [
            (member, self[f"percent_{member.user_id}"], self[f"weight_{member.user_id}"])
            for member in self.basis
        ]

    def choice(self) -> SplitChoice:
        data = self.cleaned_data
        return SplitChoice(
            method=data["method"],
            percents={member.user_id: data.get(f"percent_{member.user_id}") for member in self.basis},
            weights={member.user_id: data.get(f"weight_{member.user_id}") for member in self.basis},
            common_fund_percent=data.get("common_fund_percent") or Decimal(0),
            referrer_percent=data.get("referrer_percent") or Decimal(0),
            referrer_label=data.get("referrer_label") or "",
            note=data.get("note") or "",
        )


class SplitDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            ("approve", pgettext_lazy("revenue split", "Approve")),
            ("reject", pgettext_lazy("revenue split", "Reject")),
        ]
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)
