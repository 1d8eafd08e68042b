"""Forms of the payouts and exports pages: the choices come from the services (what the member may use)."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cordee.billing.models import ExportJob
from cordee.core.fields import DateField


class PayoutBatchForm(forms.Form):
    """A new payout batch from one of the member's paying sellers, for one mission (id, title) or all."""

    seller = forms.TypedChoiceField(label=_("Pay from the account of"), coerce=int, choices=())
    mission = forms.TypedChoiceField(
        label=_("Mission"), coerce=int, required=False, empty_value=None, choices=()
    )
    execution_date = DateField(label=_("Transfer date"))

    def __init__(self, *args, sellers=(), missions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seller"].choices = [(seller.pk, seller.display_name) for seller in sellers]
        self.fields["mission"].choices = [("", _("Every mission")), *missions]
        if not self.is_bound:
            self.initial.setdefault("execution_date", timezone.localdate())


class ExportForm(forms.Form):
    seller = forms.TypedChoiceField(label=_("Business"), coerce=int, choices=())
    kind = forms.ChoiceField(label=_("Export"), choices=ExportJob.Kind.choices)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())

    def __init__(self, *args, sellers=(), **kwargs):
        super().__init__(*args, **kwargs)
        this_year = timezone.localdate().year
        self.fields["seller"].choices = [(seller.pk, seller.display_name) for seller in sellers]
        self.fields["year"].choices = [(year, str(year)) for year in range(this_year, this_year - 6, -1)]
        if not self.is_bound:
            self.initial.setdefault("year", this_year)
