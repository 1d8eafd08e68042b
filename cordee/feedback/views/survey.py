"""The client's survey page and opt-out: public, by the personal token of the email (no login)."""

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache

from cordee.feedback.forms import SurveyForm
from cordee.feedback.models import FeedbackOptOut, SurveyResponse
from cordee.feedback.services import surveys as services


def _invitation_or_404(request, token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404
    # The page speaks the contact's language, whatever the browser says.
    translation.activate(invitation.contact.language)
    request.LANGUAGE_CODE = translation.get_language()
    return invitation


def _page(request, template: str, invitation, status: int = 200, **context):
    survey = invitation.survey
    response = render(
        request,
        template,
        {
            "invitation": invitation,
            "survey": survey,
            "mission": survey.mission,
            "collective": survey.collective,
            "contact": invitation.contact,
            "token": request.resolver_match.kwargs["token"],
            **context,
        },
        status=status,
    )
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    # Never tell other sites the personal link; "no-referrer" would also make browsers post the form with
    # "Origin: null", which Django's CSRF check rightly refuses.
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@never_cache
def survey(request, token: str):
    invitation = _invitation_or_404(request, token)
    survey = invitation.survey
    now = timezone.now()
    if not services.survey_is_open(survey, now):
        return _page(request, "feedback/survey/closed.html", invitation)
    existing = SurveyResponse.objects.filter(survey=survey, contact=invitation.contact).first()
    if request.method == "POST":
        form = SurveyForm(request.POST)
        if form.is_valid():
            try:
                services.survey_answer(invitation=invitation, data=form.answers(), now=now)
            except ValidationError as error:
                if error.code == "closed":
                    return _page(request, "feedback/survey/closed.html", invitation)
                form.add_error(None, error)
            else:
                return redirect("feedback:survey_thanks", token=token)
    else:
        form = SurveyForm(initial=SurveyForm.initial_from(existing))
    return _page(
        request,
        "feedback/survey/page.html",
        invitation,
        form=form,
        existing=existing,
        initiatives=services.survey_initiatives(survey),
        closes_at=survey.closes_at,
    )


@never_cache
def thanks(request, token: str):
    invitation = _invitation_or_404(request, token)
    response = SurveyResponse.objects.filter(survey=invitation.survey, contact=invitation.contact).first()
    if response is None:
        return redirect("feedback:survey", token=token)
    return _page(
        request,
        "feedback/survey/thanks.html",
        invitation,
        response=response,
        is_open=services.survey_is_open(invitation.survey),
    )


@never_cache
def opt_out(request, token: str):
    """One click from the email: the page asks to confirm (a GET changes nothing), the POST records it."""
    invitation = _invitation_or_404(request, token)
    contact = invitation.contact
    if request.method == "POST":
        services.feedback_opt_out(contact=contact)
        return _page(request, "feedback/survey/opted_out.html", invitation)
    already = FeedbackOptOut.objects.filter(contact=contact).exists()
    if already:
        return _page(request, "feedback/survey/opted_out.html", invitation)
    return _page(request, "feedback/survey/opt_out.html", invitation)
