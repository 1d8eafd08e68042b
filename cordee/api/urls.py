from django.urls import path

from cordee.api import (
    endpoints,  # noqa: F401 - registers the resources on the API
    endpoints_billing,  # noqa: F401 - registers billing's resources on the API
    views,
)
from cordee.api.api import api

app_name = "api_tokens"

urlpatterns = [
    path("c/<slug:slug>/api/", views.tokens, name="tokens"),
    path("c/<slug:slug>/api/<int:token_pk>/revoke/", views.token_revoke, name="revoke"),
    path("c/<slug:slug>/api/webhooks/", views.webhooks, name="webhooks"),
    path("c/<slug:slug>/api/webhooks/<int:endpoint_pk>/", views.webhook, name="webhook"),
    path("c/<slug:slug>/api/webhooks/<int:endpoint_pk>/toggle/", views.webhook_toggle, name="webhook_toggle"),
    path(
        "c/<slug:slug>/api/webhooks/<int:endpoint_pk>/deliveries/<int:delivery_pk>/resend/",
        views.webhook_resend,
        name="webhook_resend",
    ),
]

api_urls = api.urls
