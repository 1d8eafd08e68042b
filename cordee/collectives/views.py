"""Pages of a collective: personal dashboard, creation, overview, public page editing, members, settings."""

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cordee.collectives import queries, services
from cordee.collectives.forms import (
    CollectiveCreateForm,
    CollectivePageForm,
    CollectiveSettingsForm,
    MembershipForm,
    ReferenceForm,
)
from cordee.collectives.models import Membership, Reference
from cordee.collectives.permissions import collective_view
from cordee.core import outbox

MEMBERS_PER_PAGE = 25


def _first_message(error: ValidationError) -> str:
    return error.messages[0] if error.messages else _("This action is not possible.")


# --- Creation ---------------------------------------------------------------------------------------


def _onboarding_context(request, step: str) -> dict:
    """The set-up thread on its pages: for an admin, until the page is published."""
    collective = request.collective
    if collective.is_published or not request.membership.is_admin:
        return {}
    return {"onboarding": queries.onboarding_state(collective), "step": step, "collective": collective}


@login_required
def create(request):
    form = CollectiveCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            collective = services.collective_create(
                user=request.user,
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
                tagline=form.cleaned_data["tagline"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("%(name)s is ready. Next step: invite your members, so that they can join you.")
                % {"name": collective.name},
            )
            return redirect("invitations:list", collective.slug)
    # The public address without its slug, for the live preview under the address field.
    public_prefix = request.build_absolute_uri(reverse("public:collective", args=["-"]))[:-2]
    first = not Membership.objects.filter(user=request.user).exists()
    context = {"form": form, "public_prefix": public_prefix, "first_collective": first}
    if first:
        context.update(
            onboarding=queries.onboarding_checklist(
                None, member_count=0, pending_invitation_count=0, page_complete=False
            ),
            step="create",
        )
    return render(request, "collectives/create.html", context)


# --- Public page ---------------------------------------------------------------------------------


@collective_view
def page_edit(request):
    collective = request.collective
    if request.method == "POST" and not request.membership.is_admin:
        raise PermissionDenied
    form = None
    if request.membership.is_admin:
        # The form works on a copy so that a refused change never leaks into the rest of the page.
        form = CollectivePageForm(request.POST or None, request.FILES or None, instance=copy.copy(collective))
        if request.method == "POST" and form.is_valid():
            try:
                services.collective_page_update(
                    collective=collective,
                    by=request.user,
                    tagline=form.cleaned_data["tagline"],
                    description=form.cleaned_data["description"],
                    expertises=form.cleaned_data["expertises"],
                    website=form.cleaned_data["website"],
                    contact_email=form.cleaned_data["contact_email"],
                    logo=form.cleaned_data.get("logo"),
                    remove_logo=form.cleaned_data.get("remove_logo", False),
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Your page has been saved."))
                return redirect("collectives:page_edit", collective.slug)
    references, completeness = queries.collective_page_state(collective)
    context = {"form": form, "references": references, "completeness": completeness}
    return render(request, "collectives/page_edit.html", {**context, **_onboarding_context(request, "page")})


@collective_view(admin_only=True)
@require_POST
def page_publish(request):
    collective = services.collective_publish(collective=request.collective, by=request.user)
    _references, completeness = queries.collective_page_state(collective)
    messages.success(request, _("Your page is online. Share its address with your clients."))
    if not completeness.is_complete:
        messages.warning(
            request,
            _("To make it stronger, add: %(missing)s.")
            % {"missing": ", ".join(str(item.label).lower() for item in completeness.missing)},
        )
    return redirect("collectives:page_edit", collective.slug)


@collective_view(admin_only=True)
@require_POST
def page_unpublish(request):
    services.collective_unpublish(collective=request.collective, by=request.user)
    messages.success(request, _("Your page is offline. Visitors no longer see it; you can publish it again."))
    return redirect("collectives:page_edit", request.collective.slug)


@collective_view(admin_only=True)
def reference_create(request):
    form = ReferenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.reference_create(collective=request.collective, by=request.user, **form.cleaned_data)
        messages.success(request, _("The reference has been added to your page."))
        return redirect("collectives:page_edit", request.collective.slug)
    return render(
        request,
        "collectives/reference_form.html",
        {"form": form, "reference": None, **_onboarding_context(request, "page")},
    )


@collective_view(admin_only=True)
def reference_edit(request, pk):
    reference = get_object_or_404(Reference, collective=request.collective, pk=pk)
    form = ReferenceForm(request.POST or None, instance=copy.copy(reference))
    if request.method == "POST" and form.is_valid():
        services.reference_update(reference=reference, by=request.user, **form.cleaned_data)
        messages.success(request, _("The reference has been saved."))
        return redirect("collectives:page_edit", request.collective.slug)
    return render(request, "collectives/reference_form.html", {"form": form, "reference": reference})


@collective_view(admin_only=True)
def reference_delete(request, pk):
    reference = get_object_or_404(Reference, collective=request.collective, pk=pk)
    if request.method != "POST":  # after the lookup: another collective's object is a 404
        return HttpResponseNotAllowed(["POST"])
    title = reference.title
    services.reference_delete(reference=reference, by=request.user)
    messages.success(request, _("The reference “%(title)s” has been deleted.") % {"title": title})
    return redirect("collectives:page_edit", request.collective.slug)


@collective_view(admin_only=True)
def reference_move(request, pk):
    reference = get_object_or_404(Reference, collective=request.collective, pk=pk)
    if request.method != "POST":  # after the lookup: another collective's object is a 404
        return HttpResponseNotAllowed(["POST"])
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        messages.error(request, _("Choose whether to move the reference up or down."))
    else:
        services.reference_move(reference=reference, by=request.user, direction=direction)
        messages.success(request, _("The order of your references has been saved."))
    return redirect(reverse("collectives:page_edit", args=[request.collective.slug]) + "#references")


# --- Members -------------------------------------------------------------------------------------


@collective_view
def members(request):
    paginator = Paginator(queries.collective_members(request.collective), MEMBERS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "collectives/members.html", {"page": page, "members": page.object_list})


@collective_view
def member_edit(request, pk):
    membership = get_object_or_404(
        Membership.objects.select_related("user"), collective=request.collective, pk=pk
    )
    is_self = membership.pk == request.membership.pk
    if not request.membership.is_admin and not is_self:
        raise PermissionDenied
    form = MembershipForm(
        request.POST or None, instance=copy.copy(membership), can_edit_role=request.membership.is_admin
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_update(
                membership=membership,
                by=request.membership,
                title=form.cleaned_data["title"],
                skills=form.cleaned_data["skills"],
                day_rate=form.cleaned_data["day_rate"],
                role=form.cleaned_data.get("role"),
            )
        except ValidationError as error:
            form.add_error("role" if "role" in form.fields else None, error)
        else:
            if is_self:
                messages.success(request, _("Your profile in the collective has been saved."))
            else:
                messages.success(
                    request, _("%(name)s’s profile has been saved.") % {"name": membership.user.display_name}
                )
            return redirect("collectives:members", request.collective.slug)
    return render(
        request, "collectives/member_edit.html", {"form": form, "member": membership, "is_self": is_self}
    )


@collective_view(admin_only=True)
def member_remove(request, pk):
    membership = get_object_or_404(
        Membership.objects.select_related("user"), collective=request.collective, pk=pk
    )
    if request.method != "POST":  # after the lookup: another collective's object is a 404
        return HttpResponseNotAllowed(["POST"])
    try:
        services.membership_remove(membership=membership, by=request.membership)
    except ValidationError as error:
        messages.error(request, _first_message(error))
    else:
        messages.success(
            request,
            _("%(name)s is no longer a member of %(collective)s.")
            % {"name": membership.user.display_name, "collective": request.collective.name},
        )
    return redirect("collectives:members", request.collective.slug)


@collective_view
@require_POST
def leave(request):
    try:
        services.membership_leave(membership=request.membership)
    except ValidationError as error:
        messages.error(request, _first_message(error))
        return redirect("collectives:members", request.collective.slug)
    messages.success(request, _("You have left %(collective)s.") % {"collective": request.collective.name})
    return redirect("collectives:home")


# --- Settings ------------------------------------------------------------------------------------


@collective_view(admin_only=True)
def settings_edit(request):
    collective = request.collective
    form = CollectiveSettingsForm(request.POST or None, instance=copy.copy(collective))
    if request.method == "POST" and form.is_valid():
        try:
            services.collective_settings_update(collective=collective, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The settings have been saved."))
            return redirect("collectives:settings", collective.slug)
    return render(request, "collectives/settings.html", {"form": form})


# --- Emails that could not be delivered ------------------------------------------------------------

FAILED_EMAILS_PER_PAGE = 25


@collective_view(admin_only=True)
def failed_emails(request):
    page = Paginator(outbox.failed_emails(request.collective.pk), FAILED_EMAILS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "collectives/failed_emails.html", {"page_obj": page})


@collective_view(admin_only=True)
def failed_email_retry(request, email_pk):
    email = get_object_or_404(outbox.failed_emails(request.collective.pk), pk=email_pk)
    if request.method != "POST":  # after the lookup: another collective's object is a 404
        return HttpResponseNotAllowed(["POST"])
    try:
        services.failed_email_retry(email=email, by=request.membership)
    except ValidationError as error:
        messages.error(request, _first_message(error))
    else:
        messages.success(
            request, _("The email to %(recipient)s is queued again.") % {"recipient": email.to_email}
        )
    return redirect("collectives:failed_emails", request.collective.slug)
