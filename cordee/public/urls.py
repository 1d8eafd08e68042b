from django.urls import path

from cordee.public import views

app_name = "public"

urlpatterns = [
    path("c/<slug:slug>/", views.collective_page, name="collective"),
    path("c/<slug:slug>/merci/", views.thanks, name="thanks"),
]
