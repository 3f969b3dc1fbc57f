"""EMAIL_URL and PONDER_OIDC_PROVIDERS read as the README says."""

import pytest

from ponder.settings import _oidc_providers, _smtp_mailer


def test_email_url_gives_the_smtp_mailer() -> None:
    mailer = _smtp_mailer("smtp://me%40example.org:p%3Ass@mail.example.org:587/?tls=1")
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] | {"timeout": None} == {
        "host": "mail.example.org",
        "port": 587,
        "username": "me@example.org",
        "password": "p:ss",
        "use_tls": True,
        "use_ssl": False,
        "timeout": None,
    }
    smtps = _smtp_mailer("smtps://u:p@mail.example.org")["OPTIONS"]
    assert (smtps["port"], smtps["use_ssl"], smtps["use_tls"]) == (465, True, False)
    assert _smtp_mailer("console://")["BACKEND"].endswith("console.EmailBackend")


def test_a_wrong_email_url_stops_the_server() -> None:
    with pytest.raises(SystemExit):
        _smtp_mailer("http://mail.example.org")


def test_oidc_providers_from_json() -> None:
    [google] = _oidc_providers(
        '[{"id": "google", "name": "Google", "server_url": "https://accounts.google.com",'
        ' "client_id": "c", "secret": "s"}]'
    )
    assert google["provider_id"] == "google"
    assert google["settings"]["server_url"] == "https://accounts.google.com"
    assert _oidc_providers("") == []


def test_a_wrong_provider_list_stops_the_server_without_showing_the_secret() -> None:
    with pytest.raises(SystemExit) as stopped:
        _oidc_providers('[{"id": "x", "secret": "hunter2"}]')
    assert "hunter2" not in str(stopped.value)
