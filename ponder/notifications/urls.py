"""Mounted at /n/: a subscription's pages, reached by its id from its mails."""

from django.urls import path

from . import views

urlpatterns = [
    path("<key:subscription_id>/", views.subscription_settings, name="subscription"),
    path(
        "<key:subscription_id>/confirm/",
        views.subscription_confirm,
        name="subscription_confirm",
    ),
    path(
        "<key:subscription_id>/unsubscribe/",
        views.subscription_unsubscribe,
        name="subscription_unsubscribe",
    ),
]
