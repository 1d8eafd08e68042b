"""The weekly ritual of a mission, asynchronous form: the lead posts the week's video and its summary."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cordee.communication.forms.videos import RitualVideoForm
from cordee.communication.models import RitualVideo
from cordee.communication.services.ritual_videos import (
    postable_weeks,
    ritual_video_post,
    ritual_videos_of,
    week_status,
)
from cordee.core.forms import add_service_error
from cordee.missions.models import Mission
from cordee.missions.permissions import mission_view

PAGE_SIZE = 25


def _videos_url(request) -> str:
    return reverse("communication:ritual_videos", args=[request.collective.slug, request.mission.pk])


def _forbidden(request, back_url: str):
    return render(
        request,
        "missions/board/forbidden.html",
        {
            "message": _("Only the lead of the mission and the collective's admins post the weekly video."),
            "back_url": back_url,
        },
        status=403,
    )


def _post(request, form: RitualVideoForm, week_start=None):
    """Validate and post; returns the video, or None with the errors added to the form."""
    if not form.is_valid():
        return None
    data = form.cleaned_data
    try:
        return ritual_video_post(
            mission=request.mission,
            week_start=week_start or data["week_start"],
            video_link=data["video_link"],
            summary=data["summary"],
            by=request.user,
        )
    except ValidationError as error:
        add_service_error(form, error)
    return None


def _confirm(request, video: RitualVideo) -> None:
    if not video.created:
        messages.success(request, _("The video was updated. The client was not notified again."))
    elif video.notified:
        messages.success(
            request,
            ngettext(
                "The video is posted: %(count)d client contact was notified by email, and it is in the portal.",
                "The video is posted: %(count)d client contacts were notified by email, and it is in the portal.",
                video.notified,
            )
            % {"count": video.notified},
        )
    else:
        messages.warning(
            request,
            _(
                "The video is posted and in the portal, but the client has no contact to notify: "
                "add one on the client's page."
            ),
        )


@mission_view
def ritual_videos(request):
    """This week's video (posted or to post) and the videos of past weeks."""
    mission = request.mission
    status = week_status(mission=mission)
    is_async = mission.ritual_kind == Mission.RitualKind.ASYNC_VIDEO
    can_post = request.can_manage_mission and is_async and mission.status == Mission.Status.ACTIVE
    if request.method == "POST" and not request.can_manage_mission:
        return _forbidden(request, _videos_url(request))
    form = None
    if can_post or request.method == "POST":
        weeks = postable_weeks(mission=mission, today=status.week_start)
        initial = {"week_start": status.week_start.isoformat()}
        if status.video:
            initial.update(video_link=status.video.video_link, summary=status.video.summary)
        form = RitualVideoForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            weeks=weeks,
            this_week=status.week_start,
        )
    if request.method == "POST":
        video = _post(request, form)
        if video is not None:
            _confirm(request, video)
            return redirect(_videos_url(request) + f"#video-{video.pk}")
    page = Paginator(ritual_videos_of(mission=mission), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "mission": mission,
        "status": status,
        "is_async": is_async,
        "can_manage": request.can_manage_mission,
        "can_post": can_post,
        "form": form,
        "page_obj": page,
    }
    return render(request, "communication/videos/list.html", context)


@mission_view
def ritual_video_edit(request, video_pk):
    """Correct a posted video (its link or summary): the client is not notified again."""
    mission = request.mission
    video = get_object_or_404(RitualVideo, collective=request.collective, mission=mission, pk=video_pk)
    back_url = _videos_url(request) + f"#video-{video.pk}"
    if not request.can_manage_mission:
        return _forbidden(request, back_url)
    this_week = week_status(mission=mission).week_start
    form = RitualVideoForm(
        request.POST if request.method == "POST" else None,
        initial={"video_link": video.video_link, "summary": video.summary},
        weeks=None,
        this_week=this_week,
    )
    if request.method == "POST":
        try:
            posted = _post(request, form, week_start=video.week_start)
        except PermissionDenied:
            return _forbidden(request, back_url)
        if posted is not None:
            _confirm(request, posted)
            return redirect(back_url)
    context = {"mission": mission, "video": video, "form": form, "back_url": back_url}
    return render(request, "communication/videos/edit.html", context)
