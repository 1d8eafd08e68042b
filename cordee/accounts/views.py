from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from cordee.accounts.forms import ProfileForm
from cordee.accounts.language import language_cookie_set
from cordee.accounts.queries import security_overview
from cordee.accounts.services import user_profile_update


@login_required
def profile(request):
    """The freelancer's profile and legal identity; everything can be completed later."""
    if request.method == "POST":
        form = ProfileForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            user = user_profile_update(user=request.user, data=form.cleaned_data)
            translation.activate(user.language)
            if user.missing_legal_identity():
                messages.success(request, _("Your profile is saved."))
            else:
                messages.success(
                    request, _("Your profile is saved. Your legal identity is complete for invoicing.")
                )
            return language_cookie_set(redirect("accounts:profile"), user.language)
    else:
        form = ProfileForm(user=request.user)
    checklist = request.user.legal_identity_checklist()
    return render(
        request,
        "accounts/profile.html",
        {
            "form": form,
            "checklist": checklist,
            "missing_count": sum(1 for _label, filled in checklist if not filled),
        },
    )


@login_required
def security(request):
    """Password, email addresses and two-factor authentication, in one place."""
    return render(request, "accounts/security.html", {"overview": security_overview(request.user)})
