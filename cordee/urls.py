from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.static import serve

from cordee.core import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("cordee.accounts.urls")),
    path("", include("cordee.collectives.urls")),
    path("", include("cordee.invitations.urls")),
    path("", include("cordee.opportunities.urls")),
    path("", include("cordee.public.urls")),
    path("", include("cordee.clients.urls")),
    path("", include("cordee.missions.urls")),
    path("", include("cordee.timesheets.urls")),
    path("", include("cordee.communication.urls")),
    path("portal/", include("cordee.portal.urls")),
    path("portal/", include("cordee.billing.portal_urls")),
    path("", include("cordee.feedback.urls")),
    path("", include("cordee.billing.urls")),
    # Uploaded logos and photos; production serves them from object storage or the proxy.
    path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}),
]
