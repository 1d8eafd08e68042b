"""Access to opportunities: the pipeline is shared, so every active member of the collective sees and
changes them (each change is recorded with its author); nobody else."""

from django.utils.translation import gettext as _

from cordee.collectives.access import membership_for
from cordee.core.access import AccessDenied
from cordee.opportunities.models import Opportunity


def opportunity_for(user, opportunity_id: int) -> Opportunity:
    opportunity = Opportunity.objects.select_related("collective").filter(pk=opportunity_id).first()
    if opportunity is None:
        raise AccessDenied(_("Only members of the collective can do this."))
    membership_for(user, opportunity.collective_id)
    return opportunity
