from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from cordee.collectives.permissions import collective_view
from cordee.collectives.templatetags.collectives_tags import initials
from cordee.collectives.time import collective_today
from cordee.opportunities.forms import (
    OpportunityCreateForm,
    OpportunityEditForm,
    StageMoveForm,
)
from cordee.opportunities.models import Opportunity
from cordee.opportunities.queries import (
    OWNER_FILTERS,
    opportunity_history,
    opportunity_list,
    pipeline_board,
)
from cordee.opportunities.services import (
    opportunity_change_stage,
    opportunity_create,
    opportunity_update,
)

PAGE_SIZE = 25


def _owner_filter(params) -> str:
    value = params.get("owner", "")
    return value if value in OWNER_FILTERS else ""


# An id no real opportunity has: reversed once per page, then replaced by each card's id.
PLACEHOLDER = 2147483647


def _url_template(request, name: str) -> str:
    url = reverse(f"opportunities:{name}", args=[request.collective.slug, PLACEHOLDER])
    return url.replace(str(PLACEHOLDER), "{id}")


def _budget_short() -> dict[str, str]:
    """The budget in a few characters, for a card's one line of facts (the full label is its tooltip)."""
    return {
        Opportunity.Budget.UNKNOWN: _("Budget?"),
        Opportunity.Budget.UNDER_5K: _("< €5k"),
        Opportunity.Budget.FROM_5K_TO_15K: _("€5k–15k"),
        Opportunity.Budget.FROM_15K_TO_50K: _("€15k–50k"),
        Opportunity.Budget.OVER_50K: _("> €50k"),
    }


def _board_context(request, owner_filter: str) -> dict:
    budget_short = _budget_short()
    columns = pipeline_board(collective=request.collective, user=request.user, owner_filter=owner_filter)
    detail_url = _url_template(request, "detail")
    today = collective_today(request.collective)
    for column in columns:
        for opportunity in column.cards:
            # Prepared here, once per card, so that the template stays a plain loop.
            opportunity.detail_url = detail_url.replace("{id}", str(opportunity.pk))
            opportunity.budget_short = budget_short.get(opportunity.budget, "")
            if opportunity.owner_id:
                opportunity.owner_name = opportunity.owner.display_name
                opportunity.initials = initials(opportunity.owner)
            if opportunity.next_action_date:
                day = opportunity.next_action_date
                opportunity.next_label = date_format(
                    day, "MONTH_DAY_FORMAT" if day.year == today.year else "DATE_FORMAT"
                )
    return {
        "columns": columns,
        "move_url": _url_template(request, "move"),
        "detail_url": detail_url,
        "owner_filter": owner_filter,
        "stages": Opportunity.Stage.choices,
        "today": today,
        "pipeline_url": reverse("opportunities:pipeline", args=[request.collective.slug]),
        "list_url": reverse("opportunities:list", args=[request.collective.slug]),
    }


def _pipeline_url(collective, owner_filter: str) -> str:
    url = reverse("opportunities:pipeline", args=[collective.slug])
    return f"{url}?{urlencode({'owner': owner_filter})}" if owner_filter else url


@collective_view
def pipeline(request):
    context = _board_context(request, _owner_filter(request.GET))
    return render(request, "opportunities/pipeline.html", {**context, "with_menu": True})


@collective_view
def move(request, pk):
    """Move one card of the board to another stage; htmx gets the board back, a plain post a redirect."""
    # Looked up first: another collective's opportunity is a 404 whatever the method.
    opportunity = get_object_or_404(Opportunity, collective=request.collective, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    owner_filter = _owner_filter(request.POST)
    form = StageMoveForm(request.POST)
    label = opportunity.company or opportunity.contact_name
    if form.is_valid():
        changed = opportunity_change_stage(
            opportunity=opportunity, stage=form.cleaned_data["stage"], by=request.user
        )
        stage_label = opportunity.get_stage_display()
        if changed:
            level, text = (
                messages.SUCCESS,
                _("“%(name)s” moved to %(stage)s.") % {"name": label, "stage": stage_label},
            )
        else:
            level, text = (
                messages.INFO,
                _("“%(name)s” is already in %(stage)s.") % {"name": label, "stage": stage_label},
            )
    else:
        level, text = messages.ERROR, _("Choose a valid stage.")
    if request.htmx:
        context = _board_context(request, owner_filter)
        context.update(status_message=text, status_level=messages.DEFAULT_TAGS[level])
        return render(request, "opportunities/pipeline.html#board", context)
    messages.add_message(request, level, text)
    return redirect(_pipeline_url(request.collective, owner_filter))


@collective_view
def opportunity_list_view(request):
    stage = request.GET.get("stage", "")
    stage = stage if stage in Opportunity.Stage.values else ""
    owner_filter = _owner_filter(request.GET)
    search = request.GET.get("q", "").strip()[:100]
    opportunities = opportunity_list(
        collective=request.collective,
        user=request.user,
        owner_filter=owner_filter,
        stage=stage,
        search=search,
    )
    page = Paginator(opportunities, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {
        key: value for key, value in (("stage", stage), ("owner", owner_filter), ("q", search)) if value
    }
    context = {
        "page_obj": page,
        "stage": stage,
        "stage_label": Opportunity.Stage(stage).label if stage else "",
        "owner_filter": owner_filter,
        "search": search,
        "stages": Opportunity.Stage.choices,
        "filter_query": urlencode(filters),
        "is_filtered": bool(filters),
        "today": collective_today(request.collective),
    }
    return render(request, "opportunities/list.html", context)


@collective_view
def create(request):
    if request.method == "POST":
        form = OpportunityCreateForm(request.POST, collective=request.collective)
        if form.is_valid():
            opportunity = opportunity_create(
                collective=request.collective, by=request.user, data=form.cleaned_data
            )
            messages.success(request, _("The opportunity was added to the pipeline."))
            return redirect("opportunities:detail", slug=request.collective.slug, pk=opportunity.pk)
    else:
        form = OpportunityCreateForm(collective=request.collective, initial={"owner": request.user.pk})
    return render(request, "opportunities/create.html", {"form": form})


@collective_view
def detail(request, pk):
    """Everything about one opportunity, and the form to follow it up (stage, owner, next action)."""
    opportunity = get_object_or_404(
        Opportunity.objects.select_related("owner"), collective=request.collective, pk=pk
    )
    if request.method == "POST":
        form = OpportunityEditForm(request.POST, collective=request.collective)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    opportunity_change_stage(opportunity=opportunity, stage=data["stage"], by=request.user)
                    opportunity_update(
                        opportunity=opportunity,
                        by=request.user,
                        owner=data["owner"],
                        notes=data["notes"],
                        next_action=data["next_action"],
                        next_action_date=data["next_action_date"],
                    )
            except ValidationError as error:
                opportunity.refresh_from_db()
                form.add_error(None, error)
            else:
                messages.success(request, _("The opportunity was updated."))
                return redirect("opportunities:detail", slug=request.collective.slug, pk=opportunity.pk)
    else:
        form = OpportunityEditForm(
            collective=request.collective,
            initial={
                "stage": opportunity.stage,
                "owner": opportunity.owner_id,
                "notes": opportunity.notes,
                "next_action": opportunity.next_action,
                "next_action_date": opportunity.next_action_date,
            },
        )
    context = {
        "opportunity": opportunity,
        "form": form,
        "history": opportunity_history(opportunity=opportunity),
        "today": collective_today(request.collective),
    }
    return render(request, "opportunities/detail.html", context)
