from django.urls import include, path

# allauth's pages (login, sign-up, logout, password reset, e-mail codes, OpenID Connect) under
# /accounts/; Ponder's look comes from the templates in ponder/accounts/templates/.
urlpatterns = [
    path("", include("allauth.urls")),
]
