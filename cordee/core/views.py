from pathlib import PurePosixPath

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.i18n import set_language as django_set_language
from django.views.static import serve as static_serve

from cordee.core.models import OutboundEmail


def home(request):
    if request.user.is_authenticated:
        return redirect("collectives:home")
    return render(request, "core/home.html")


def outbox_backlog() -> dict:
    """Emails waiting to go out and how long the oldest has waited, in seconds (one query)."""
    waiting = OutboundEmail.objects.filter(
        state__in=[OutboundEmail.State.PENDING, OutboundEmail.State.SENDING]
    ).aggregate(count=Count("pk"), oldest=Min("created_at"))
    oldest = waiting["oldest"]
    return {
        "status": "ok",
        "waiting": waiting["count"],
        "oldest_waiting_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }


@never_cache
def healthz(request):
    """Liveness and readiness: the database, the queue and the version, as JSON."""
    from huey.contrib.djhuey import HUEY

    checks = {"version": settings.VERSION}
    healthy = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 - reported, not raised
        checks["database"] = f"error: {type(error).__name__}"
        healthy = False
    try:
        checks["queue"] = {"status": "ok", "backend": type(HUEY).__name__, "pending": HUEY.pending_count()}
    except Exception as error:  # noqa: BLE001
        checks["queue"] = {"status": f"error: {type(error).__name__}", "backend": type(HUEY).__name__}
        healthy = False
    try:
        checks["outbox"] = outbox_backlog()
    except Exception as error:  # noqa: BLE001 - reported, not raised
        checks["outbox"] = {"status": f"error: {type(error).__name__}"}
        healthy = False
    checks["status"] = "ok" if healthy else "error"
    return JsonResponse(checks, status=200 if healthy else 503)


@require_POST
def set_language(request):
    """Django's language switch, which also remembers the choice on the account (for emails)."""
    response = django_set_language(request)
    language = request.POST.get("language")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        request.user.language = language
        request.user.save(update_fields=["language"])
    next_url = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}):
        response["Location"] = "/"
    return response


# What the browser may show inline: the images that uploads are re-encoded to (core/uploads.py).
INLINE_MEDIA_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp"}


def media(request, path):
    """An uploaded file, with a cache lifetime; anything but an image is a download, never shown inline."""
    response = static_serve(request, path, document_root=settings.MEDIA_ROOT)
    patch_cache_control(response, public=True, max_age=settings.MEDIA_CACHE_SECONDS)
    name = PurePosixPath(path)
    if name.suffix.lower() not in INLINE_MEDIA_EXTENSIONS:
        response["Content-Disposition"] = content_disposition_header(True, name.name)
    return response
