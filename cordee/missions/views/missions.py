"""A mission's core pages: list, creation (from scratch or a won opportunity), overview, settings,
status actions, lead change, team and history."""

from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.dates import WEEKDAYS
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cordee.clients.models import Client
from cordee.collectives.permissions import collective_view
from cordee.collectives.time import collective_today
from cordee.core.forms import add_service_error
from cordee.missions.forms.missions import (
    LeadChangeForm,
    MissionCreateForm,
    MissionEditForm,
    TeamMemberAddForm,
    TeamMemberEditForm,
    collective_users,
    team_formset,
)
from cordee.missions.models import Mission, MissionEvent, MissionMember
from cordee.missions.permissions import mission_view
from cordee.missions.queries import missions as queries
from cordee.missions.services import missions as services
from cordee.opportunities.models import Opportunity

PAGE_SIZE = 25


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages) if error.messages else _("This action is not possible.")


def _today(collective) -> date:

    return collective_today(collective)


def _mission(request) -> Mission:
    """The current mission, with its collective already known (saves a query)."""
    request.mission.collective = request.collective
    return request.mission


def _detail_redirect(request):
    return redirect("missions:detail", slug=request.collective.slug, mission_pk=request.mission.pk)


# --- List ------------------------------------------------------------------------------------------


def _int_param(params, name) -> int | None:
    value = params.get(name, "")
    return int(value) if value.isdigit() else None


@collective_view
def mission_list(request):
    collective = request.collective
    status = request.GET.get("status", "")
    status = status if status in Mission.Status.values else ""
    lead_id = _int_param(request.GET, "lead")
    client_id = _int_param(request.GET, "client")
    missions = queries.mission_list(
        collective=collective, status=status, lead_id=lead_id, client_id=client_id
    )
    page = Paginator(missions, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = queries.attach_deadlines(list(page.object_list), collective)
    filters = {
        key: value
        for key, value in (("status", status), ("lead", lead_id or ""), ("client", client_id or ""))
        if value
    }
    context = {
        "page_obj": page,
        "status": status,
        "lead_id": lead_id,
        "client_id": client_id,
        "statuses": Mission.Status.choices,
        "leads": list(collective_users(collective)),
        "clients": list(Client.objects.filter(collective=collective).order_by("name").only("pk", "name")),
        "filter_query": urlencode(filters),
        "is_filtered": bool(filters),
        "today": _today(collective),
    }
    return render(request, "missions/missions/list.html", context)


# --- Creation --------------------------------------------------------------------------------------


def _convertible_opportunity(request):
    """The won opportunity of `?opportunity=<pk>`, or a redirect saying why it cannot be converted."""
    value = request.GET.get("opportunity", "")
    if not value:
        return None, None
    if not value.isdigit():
        return None, redirect("opportunities:pipeline", request.collective.slug)
    opportunity = get_object_or_404(Opportunity, collective=request.collective, pk=int(value))
    existing = Mission.objects.filter(opportunity=opportunity).first()
    if existing is not None:
        messages.info(
            request, _("This opportunity is already the mission “%(title)s”.") % {"title": existing.title}
        )
        return None, redirect("missions:detail", slug=request.collective.slug, mission_pk=existing.pk)
    if opportunity.stage != Opportunity.Stage.WON:
        messages.error(request, _("Only a won opportunity becomes a mission: move it to Won first."))
        return None, redirect("opportunities:detail", slug=request.collective.slug, pk=opportunity.pk)
    return opportunity, None


def _create_initial(request, opportunity) -> dict:
    collective = request.collective
    initial = {
        **services.mission_defaults(collective),
        "lead": request.user.pk,
        "start_date": _today(collective),
    }
    client_id = _int_param(request.GET, "client")
    if client_id and Client.objects.current().filter(collective=collective, pk=client_id).exists():
        initial["client"] = client_id
    if opportunity is not None:
        company = opportunity.company or opportunity.contact_name
        first_line = opportunity.need.strip().splitlines()[0] if opportunity.need.strip() else ""
        initial["title"] = (f"{company} — {first_line}" if first_line else company)[:120]
        initial["description"] = opportunity.need
        if opportunity.desired_start and opportunity.desired_start > initial["start_date"]:
            initial["start_date"] = opportunity.desired_start
        existing = (
            Client.objects.current()
            .filter(collective=collective, name__iexact=" ".join(company.split()))
            .order_by("pk")
            .first()
        )
        if existing is not None:
            initial["client"] = existing.pk
        else:
            initial["new_client_name"] = company
    return initial


@collective_view
def mission_create(request):
    collective = request.collective
    opportunity, refusal = _convertible_opportunity(request)
    if refusal is not None:
        return refusal
    if request.method == "POST":
        form = MissionCreateForm(request.POST, collective=collective, opportunity=opportunity)
        team = team_formset(collective=collective, data=request.POST)
        if form.is_valid() and team.is_valid():
            try:
                mission = services.mission_create(
                    collective=collective,
                    by=request.user,
                    data=form.cleaned_data,
                    team=team.team(),
                    opportunity=opportunity,
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request,
                    _(
                        "The mission “%(title)s” was created as a draft. Add its deliverables, then activate it "
                        "when the client is ready for the kickoff."
                    )
                    % {"title": mission.title},
                )
                return redirect("missions:detail", slug=collective.slug, mission_pk=mission.pk)
    else:
        initial = _create_initial(request, opportunity)
        form = MissionCreateForm(initial=initial, collective=collective, opportunity=opportunity)
        team = team_formset(collective=collective, lead_id=request.user.pk)
    return render(
        request,
        "missions/missions/create.html",
        {"form": form, "team": team, "opportunity": opportunity},
    )


# --- Overview, settings, history -------------------------------------------------------------------


@mission_view
def mission_detail(request):
    mission = _mission(request)
    overview = queries.mission_overview(mission)
    return render(
        request,
        "missions/missions/detail.html",
        {
            "mission": mission,
            "overview": overview,
            "today": _today(request.collective),
            "actions": _status_actions(mission) if request.can_manage_mission else [],
            "recap_days": [str(WEEKDAYS[day]) for day in sorted(mission.recap_weekdays) if day in WEEKDAYS],
        },
    )


def _status_actions(mission: Mission) -> list[dict]:
    """The status buttons the lead sees, as (url name, label, style)."""
    labels = {
        "activate": (_("Activate the mission"), "", ""),
        "pause": (_("Pause"), "button--secondary", ""),
        "resume": (_("Resume the mission"), "", ""),
        "deliver": (
            _("Mark as delivered"),
            "button--secondary",
            _("Mark the whole mission as delivered? The team's work on it ends."),
        ),
        "close": (
            _("Close the mission"),
            "button--secondary",
            _("Close the mission? It cannot be reopened."),
        ),
    }
    return [
        {
            "name": f"missions:{action}",
            "label": labels[action][0],
            "style": labels[action][1],
            "confirm": labels[action][2],
        }
        for action, (allowed_from, _to, _kind) in services.TRANSITIONS.items()
        if mission.status in allowed_from
    ]


@mission_view(manage=True)
def mission_edit(request):
    mission = _mission(request)
    initial = {
        "title": mission.title,
        "client": mission.client_id,
        "description": mission.description,
        "start_date": mission.start_date,
        **{name: getattr(mission, name) for name in services.SETTINGS_FIELDS},
    }
    form = MissionEditForm(request.POST or None, initial=initial, collective=request.collective)
    if request.method == "POST" and form.is_valid():
        try:
            services.mission_update(mission=mission, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            mission.refresh_from_db()
            add_service_error(form, error)
        else:
            messages.success(request, _("The mission's settings were saved."))
            return _detail_redirect(request)
    return render(request, "missions/missions/edit.html", {"mission": mission, "form": form})


@mission_view
def history(request):
    mission = _mission(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in MissionEvent.Kind.values else ""
    page = Paginator(queries.mission_events(mission, kind=kind), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "missions/missions/history.html",
        {
            "mission": mission,
            "page_obj": page,
            "kind": kind,
            "kinds": MissionEvent.Kind.choices,
            "filter_query": urlencode({"kind": kind}) if kind else "",
        },
    )


# --- Status ----------------------------------------------------------------------------------------


def _status_view(action: str, service, done_message: str):
    @mission_view
    def view(request):
        # The mission is looked up first: another collective's is a 404 whatever the method.
        mission = _mission(request)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.can_manage_mission:
            raise PermissionDenied
        try:
            service(mission=mission, by=request.user)
        except ValidationError as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, str(done_message) % {"title": mission.title})
        return _detail_redirect(request)

    view.__name__ = f"mission_{action}"
    return view


mission_activate = _status_view(
    "activate",
    services.mission_activate,
    gettext_lazy("“%(title)s” is active: the team can start."),
)
mission_pause = _status_view("pause", services.mission_pause, gettext_lazy("“%(title)s” is paused."))
mission_resume = _status_view("resume", services.mission_resume, gettext_lazy("“%(title)s” is active again."))
mission_deliver = _status_view("deliver", services.mission_deliver, gettext_lazy("“%(title)s” is delivered."))
mission_close = _status_view("close", services.mission_close, gettext_lazy("“%(title)s” is closed."))


# --- Lead ------------------------------------------------------------------------------------------


@mission_view(manage=True)
def mission_change_lead(request):
    mission = _mission(request)
    form = LeadChangeForm(request.POST or None, mission=mission)
    if request.method == "POST" and form.is_valid():
        new_lead = form.cleaned_data["lead"]
        try:
            services.mission_change_lead(
                mission=mission, by=request.user, new_lead=new_lead, message=form.cleaned_data["message"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if mission.status == Mission.Status.DRAFT:
                text = _("%(name)s is now the lead of the mission.") % {"name": new_lead.display_name}
            else:
                text = _(
                    "%(name)s is now the lead of the mission; the client's contacts were told by email."
                ) % {"name": new_lead.display_name}
            messages.success(request, text)
            return _detail_redirect(request)
    contacts = mission.client.contacts.current().order_by("full_name")
    return render(
        request,
        "missions/missions/change_lead.html",
        {"mission": mission, "form": form, "contacts": contacts},
    )


# --- Team ------------------------------------------------------------------------------------------


@mission_view
def team(request):
    """The team with what each member has on the mission; the lead and admins manage it here."""
    mission = _mission(request)
    members = list(queries.mission_team(mission))
    add_form = TeamMemberAddForm(mission=mission)
    edit_forms = {member.pk: TeamMemberEditForm(member=member) for member in members}
    if request.method == "POST":
        if not request.can_manage_mission:
            raise PermissionDenied
        action = request.POST.get("action", "")
        if action == "add":
            add_form = TeamMemberAddForm(request.POST, mission=mission)
            if add_form.is_valid():
                try:
                    member = services.mission_member_add(
                        mission=mission, by=request.user, **add_form.cleaned_data
                    )
                except ValidationError as error:
                    add_service_error(add_form, error)
                else:
                    messages.success(
                        request, _("%(name)s joined the team.") % {"name": member.user.display_name}
                    )
                    return redirect("missions:team", slug=request.collective.slug, mission_pk=mission.pk)
        elif action in ("edit", "remove"):
            member = _team_member(request, mission)
            if action == "edit":
                form = TeamMemberEditForm(request.POST, member=member)
                edit_forms[member.pk] = form
                if form.is_valid():
                    try:
                        services.mission_member_update(member=member, by=request.user, **form.cleaned_data)
                    except ValidationError as error:
                        add_service_error(form, error)
                    else:
                        messages.success(
                            request,
                            _("The details of %(name)s were saved.") % {"name": member.user.display_name},
                        )
                        return redirect("missions:team", slug=request.collective.slug, mission_pk=mission.pk)
            else:
                try:
                    services.mission_member_remove(member=member, by=request.user)
                except ValidationError as error:
                    messages.error(request, _error_text(error))
                else:
                    messages.success(
                        request, _("%(name)s left the team.") % {"name": member.user.display_name}
                    )
                return redirect("missions:team", slug=request.collective.slug, mission_pk=mission.pk)
        else:
            messages.error(request, _("This action is not possible."))
    for member in members:
        member.edit_form = edit_forms[member.pk]
    return render(
        request,
        "missions/missions/team.html",
        {"mission": mission, "members": members, "add_form": add_form},
    )


def _team_member(request, mission) -> MissionMember:
    """The team member named in the POST data: only this mission's (another's is a 404)."""
    value = request.POST.get("member", "")
    if not value.isdigit():
        raise Http404
    return get_object_or_404(
        MissionMember.objects.select_related("user"),
        collective=request.collective,
        mission=mission,
        pk=int(value),
    )
