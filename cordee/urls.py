from django.contrib import admin
from django.urls import include, path

from cordee.api.urls import api_urls
from cordee.collectives import urls as collectives_urls
from cordee.communication import urls as communication_urls
from cordee.core import views as core_views
from cordee.missions import urls as missions_urls
from cordee.portal import client_feed_views
from cordee.workspace import urls as workspace_urls

urlpatterns = [
    path("", core_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/setlang/", core_views.set_language, name="set_language"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("cordee.accounts.urls")),
    # Pages that a higher app adds to a lower app's namespace keep their names (see README, Layers):
    # the dashboards and My work combine several areas and live at the top (cordee.workspace).
    path("", include((collectives_urls.urlpatterns + workspace_urls.collective_pages, "collectives"))),
    path("", include("cordee.invitations.urls")),
    path("", include("cordee.opportunities.urls")),
    path("", include("cordee.public.urls")),
    path("", include("cordee.clients.urls")),
    path("", include((missions_urls.urlpatterns + workspace_urls.missions_pages, "missions"))),
    path("", include("cordee.timesheets.urls")),
    # The client's calendar address is the portal's, managed from the weekly call page (communication).
    path(
        "",
        include((communication_urls.urlpatterns + client_feed_views.communication_pages, "communication")),
    ),
    path("portal/", include("cordee.portal.urls")),
    path("portal/", include("cordee.billing.portal_urls")),
    path("", include("cordee.feedback.urls")),
    path("", include("cordee.api.urls")),
    path("api/v1/", api_urls),
    path("", include("cordee.billing.urls")),
    # Uploaded logos and photos; production serves them from object storage or the proxy.
    path("media/<path:path>", core_views.media, name="media"),
]
