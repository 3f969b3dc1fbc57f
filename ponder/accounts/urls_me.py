"""The account's own pages, mounted at /me/ (the sign-in pages are at /accounts/)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.my_questions, name="my_questions"),
    path("settings/", views.account_settings, name="me_settings"),
    path("tokens/", views.token_create, name="me_token_create"),
    path("tokens/<int:token_id>/revoke/", views.token_revoke, name="me_token_revoke"),
    path("data.json", views.data_download, name="me_data"),
    path("delete/", views.account_delete, name="me_delete"),
]
