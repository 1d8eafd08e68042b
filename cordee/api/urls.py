from django.urls import path

from cordee.api import (
    endpoints,  # noqa: F401 - registers the resources on the API
    views,
)
from cordee.api.api import api

app_name = "api_tokens"

urlpatterns = [
    path("c/<slug:slug>/api/", views.tokens, name="tokens"),
    path("c/<slug:slug>/api/<int:token_pk>/revoke/", views.token_revoke, name="revoke"),
]

api_urls = api.urls
