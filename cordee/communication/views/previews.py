"""Email previews: every email the client receives about a mission, in a contact's language.

The page shows the subject and the text part beside the HTML part. The HTML is a whole document
with inline styles, which the app's Content Security Policy would strip from any page of ours: it is
served on its own (`preview_html`, the same checks) with a policy of its own — no script, no form,
no request to anywhere but images, a sandbox, and framing allowed by our own pages only — and shown
in a sandboxed frame.
"""

from urllib.parse import urlencode

from csp.constants import NONE, SELF
from csp.decorators import csp_replace
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from cordee.communication.services import kickoff as kickoff_services
from cordee.communication.services import previews as services
from cordee.core.outbox import render_email
from cordee.missions.permissions import mission_view

LANGUAGES = dict(settings.LANGUAGES)
EMAIL_HTML_POLICY = {
    "default-src": [NONE],
    "style-src": ["'unsafe-inline'"],
    "img-src": [SELF, "data:", "https:"],
    "script-src": [NONE],
    "form-action": [NONE],
    "frame-ancestors": [SELF],
    "base-uri": [NONE],
    "sandbox": True,
}


def _choice(request):
    """The email kind, the contact and the language asked for (the first of each by default)."""
    mission = request.mission
    mission.collective = request.collective
    kinds = services.preview_kinds()
    kind = next((item for item in kinds if item.key == request.GET.get("email")), kinds[0])
    contacts = kickoff_services.kickoff_recipients(mission)
    contact_id = request.GET.get("contact", "")
    contact = next(
        (item for item in contacts if str(item.pk) == contact_id), contacts[0] if contacts else None
    )
    language = request.GET.get("language", "")
    if language not in LANGUAGES:
        # A contact's own language; without contact, the language of the page.
        language = (contact.language if contact else translation.get_language()) or settings.LANGUAGE_CODE
        language = language if language in LANGUAGES else settings.LANGUAGE_CODE
    if contact is None:
        contact = services.sample_contact(mission, language)
    return mission, kinds, kind, contacts, contact, language


def _render(mission, kind, contact, language, params):
    """(subject, text, html) or the reason why this email cannot be shown yet."""
    try:
        template, context = kind.build(mission, contact, params)
    except services.PreviewUnavailable as reason:
        return None, str(reason)
    return render_email(template, context, language), ""


def _page(request, kind_key=None):
    mission, kinds, kind, contacts, contact, language = _choice(request)
    if kind_key:
        kind = next(item for item in kinds if item.key == kind_key)
    rendered, unavailable = _render(mission, kind, contact, language, request.GET)
    params = {"email": kind.key, "language": language}
    if contact.pk:
        params["contact"] = contact.pk
    if request.GET.get("recap", "").isdigit():
        params["recap"] = request.GET["recap"]
    return render(
        request,
        "communication/previews/page.html",
        {
            "mission": mission,
            "kinds": kinds,
            "kind": kind,
            "contacts": contacts,
            "contact": contact,
            "language": language,
            "languages": settings.LANGUAGES,
            "subject": rendered[0] if rendered else "",
            "text": rendered[1] if rendered else "",
            "unavailable": unavailable,
            "params": params,
            "html_query": urlencode(params),
        },
    )


@mission_view(manage=True)
def email_previews(request):
    """Every client-facing email of the mission, one shown at a time."""
    return _page(request)


@mission_view(manage=True)
def kickoff_preview(request):
    """The kickoff as each contact will read it, before the mission is activated."""
    return _page(request, kind_key="kickoff")


@mission_view(manage=True)
@xframe_options_sameorigin
@csp_replace(EMAIL_HTML_POLICY)
def email_preview_html(request):
    """The HTML part alone, for the sandboxed frame of the preview page."""
    mission, _kinds, kind, _contacts, contact, language = _choice(request)
    rendered, unavailable = _render(mission, kind, contact, language, request.GET)
    html = rendered[2] if rendered else format_html("<p>{} {}</p>", _("Nothing to show yet."), unavailable)
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    return response
