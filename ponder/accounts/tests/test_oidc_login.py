"""Logging in through an OpenID Connect provider, against a stub provider served here on
127.0.0.1: its discovery document, its keys, the authorize redirect, the token endpoint and an
ID token signed with a key made for the test."""

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.test import Client
from jwt.algorithms import RSAAlgorithm

pytestmark = pytest.mark.django_db

CLIENT_ID = "ponder-test"
SECRET = "stub-secret"


class Provider:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self.handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.audience = CLIENT_ID  # whom the ID token is for
        self.nonce = ""
        self.token_requests: list[dict[str, list[str]]] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def reply(self, status: int, body: dict | None = None, **headers: str) -> None:
                data = json.dumps(body or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                path = urlsplit(self.path)
                if path.path == "/.well-known/openid-configuration":
                    self.reply(200, provider.discovery())
                elif path.path == "/jwks":
                    jwk = json.loads(RSAAlgorithm.to_jwk(provider.key.public_key()))
                    self.reply(200, {"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "RS256"}]})
                elif path.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(path.query).items()}
                    provider.nonce = query.get("nonce", "")
                    target = (
                        query["redirect_uri"]
                        + "?"
                        + urlencode({"code": "the-code", "state": query["state"]})
                    )
                    self.reply(302, Location=target)
                elif path.path == "/userinfo":
                    self.reply(200, provider.claims())
                else:
                    self.reply(404)

            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                form = parse_qs(self.rfile.read(length).decode())
                provider.token_requests.append(form)
                if form.get("code") != ["the-code"] or form.get("client_secret") != [SECRET]:
                    self.reply(400, {"error": "invalid_grant"})
                    return
                id_token = jwt.encode(
                    {**provider.claims(), "nonce": provider.nonce},
                    provider.key,
                    algorithm="RS256",
                    headers={"kid": "k1"},
                )
                self.reply(
                    200,
                    {
                        "access_token": "an-access-token",
                        "token_type": "Bearer",
                        "expires_in": 300,
                        "id_token": id_token,
                    },
                )

        return Handler

    def discovery(self) -> dict:
        return {
            "issuer": self.url,
            "authorization_endpoint": f"{self.url}/authorize",
            "token_endpoint": f"{self.url}/token",
            "userinfo_endpoint": f"{self.url}/userinfo",
            "jwks_uri": f"{self.url}/jwks",
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def claims(self) -> dict:
        now = int(time.time())
        return {
            "iss": self.url,
            "aud": self.audience,
            "sub": "carol-1",
            "email": "carol@example.org",
            "email_verified": True,
            "name": "Carol",
            "iat": now,
            "exp": now + 300,
        }


@pytest.fixture
def provider(settings: object) -> Iterator[Provider]:
    stub = Provider()
    thread = threading.Thread(target=stub.server.serve_forever, daemon=True)
    thread.start()
    settings.SOCIALACCOUNT_PROVIDERS = {  # type: ignore[attr-defined]
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "stub",
                    "name": "Stub ID",
                    "client_id": CLIENT_ID,
                    "secret": SECRET,
                    "settings": {"server_url": stub.url},
                }
            ],
            "OAUTH_PKCE_ENABLED": True,
        }
    }
    yield stub
    stub.server.shutdown()


def test_it_logs_in_through_the_configured_provider(provider: Provider) -> None:
    client = Client()
    login_page = client.get("/accounts/login/").content.decode()
    assert "Continue with Stub ID" in login_page
    start = client.post("/accounts/oidc/stub/login/?process=login")
    assert start.status_code == 302
    assert start.url.startswith(f"{provider.url}/authorize?")
    # The browser's trip to the provider, which sends it back with a code.
    back = requests.get(start.url, allow_redirects=False, timeout=10)
    assert back.status_code == 302
    callback = urlsplit(back.headers["Location"])
    done = client.get(f"{callback.path}?{callback.query}")
    assert done.status_code == 302, done.content.decode()
    assert provider.token_requests[0]["code_verifier"]  # PKCE
    user = get_user_model().objects.get(email="carol@example.org")
    assert user.socialaccount_set.get().uid == "carol-1"
    assert "Log out" in client.get("/").content.decode()


def test_an_id_token_made_for_another_client_is_refused(provider: Provider) -> None:
    # allauth checks the token's issuer and audience; its signature it may skip, as the spec
    # allows, since it came straight from the token endpoint (over TLS in production).
    provider.audience = "some-other-site"
    client = Client()
    start = client.post("/accounts/oidc/stub/login/?process=login")
    back = requests.get(start.url, allow_redirects=False, timeout=10)
    callback = urlsplit(back.headers["Location"])
    page = client.get(f"{callback.path}?{callback.query}")
    assert page.status_code == 401
    assert not get_user_model().objects.filter(email="carol@example.org").exists()
    assert "Log out" not in client.get("/").content.decode()


def test_without_providers_the_login_page_offers_none(settings: object) -> None:
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}  # type: ignore[attr-defined]
    page = Client().get("/accounts/login/").content.decode()
    assert "Continue with" not in page
    assert "Forgot password?" in page
    assert "First visit? Sign up now!" in page
