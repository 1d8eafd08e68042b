from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.html import strip_tags
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from cordee.core.ratelimit import client_ip, ratelimit_hit
from cordee.opportunities.services import opportunity_create_from_proposal
from cordee.public.forms import HONEYPOT_FIELD, ProposalForm
from cordee.public.queries import PublicPage, absolute_url, public_page_get

RATE_LIMIT_PERIOD_SECONDS = 3600


def _visible_page(request, slug: str) -> PublicPage:
    """A published page for everyone; an unpublished one only for its members, as a preview."""
    page = public_page_get(slug=slug)
    if not page.collective.is_published and not page.is_member(request.user):
        raise Http404
    return page


def _meta(page: PublicPage) -> dict:
    collective = page.collective
    description = collective.tagline or Truncator(
        " ".join(strip_tags(collective.description_html).split())
    ).chars(160)
    return {
        "url": settings.BASE_URL + collective.get_public_url(),
        "description": description,
        "image": absolute_url(collective.logo.url) if collective.logo else "",
    }


def _render_page(request, page: PublicPage, form, *, form_alert: str = "", status: int = 200):
    context = {
        "collective": page.collective,
        "members": page.members,
        "references": page.references,
        "is_member": page.is_member(request.user),
        "form": form,
        "form_alert": form_alert,
        "honeypot_field": HONEYPOT_FIELD,
        "meta": _meta(page),
    }
    return render(request, "public/collective.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def collective_page(request, slug):
    page = _visible_page(request, slug)
    collective = page.collective
    if request.method != "POST":
        return _render_page(request, page, ProposalForm(collective=collective))

    if not collective.is_published:  # a preview shows the form but does not take proposals
        raise Http404
    if request.POST.get(HONEYPOT_FIELD):
        # A robot filled the hidden field: it gets the usual thanks, and nothing is recorded.
        return redirect("public:thanks", slug=collective.slug)
    form = ProposalForm(request.POST, collective=collective)
    if not form.is_valid():
        alert = _("Please correct the fields marked below.")
        return _render_page(request, page, form, form_alert=alert)
    # Only proposals that would be recorded count: a visitor fixing typos is not held back.
    if not ratelimit_hit(
        "proposal", client_ip(request), settings.PROPOSAL_RATE_LIMIT, RATE_LIMIT_PERIOD_SECONDS
    ):
        alert = _(
            "You have sent several proposals in a short time. Please try again in an hour, "
            "or write to the collective directly."
        )
        return _render_page(request, page, form, form_alert=alert, status=429)
    opportunity_create_from_proposal(
        collective=collective, data=form.cleaned_data, language=translation.get_language()
    )
    return redirect("public:thanks", slug=collective.slug)


def thanks(request, slug):
    page = _visible_page(request, slug)
    context = {
        "collective": page.collective,
        "page_url": reverse("public:collective", args=[page.collective.slug]),
    }
    return render(request, "public/thanks.html", context)
