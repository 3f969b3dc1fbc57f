"""Ponder's one settings file. Everything that differs between machines comes from the environment.

PONDER_DATA_DIR   where the SQLite database, uploads, collected static files and the generated
                  secret key live (default: ./data)
SECRET_KEY        the signing key; generated once into PONDER_DATA_DIR when unset
DATABASE_URL      e.g. postgres://user@host:5432/db; unset means SQLite in PONDER_DATA_DIR
PONDER_DB_POOL_SIZE  PostgreSQL connections one server process keeps (default: 25)
PONDER_DB_TIMEOUT    seconds a request waits on PostgreSQL (for a connection or a query)
                     before it is answered 503 (default: 3)
PONDER_DB_PREPARE    "0" turns off prepared statements on PostgreSQL (default: on)
PONDER_THREADS    requests one server process works on at once, each whole on one thread of a
                  pool (default: 32; ponder/asgi.py)
REDIS_URL         e.g. redis://127.0.0.1:6379/0; unset means one process works alone
DEBUG             "1" for development error pages; off by default
ALLOWED_HOSTS     comma-separated host names (default: localhost,127.0.0.1,[::1])
PONDER_HTTPS      "1" when served over HTTPS (secure cookies, HSTS, redirect)
PONDER_TIME_ZONE  default time zone offered for deadlines (default: UTC)
PONDER_HSTS_PRELOAD  "1" to ask browsers to preload HSTS for the domain (with PONDER_HTTPS)
PONDER_MAX_STREAMS   live-update connections one process holds before answering 503
                     (default: 10000)
PONDER_PAGE_LAG   seconds a question page, loaded whole, may lag behind the newest change
                  (default: 0.5; its live updates then catch up at once); 0 for never
PONDER_LONG_RENDERS  question pages with more than their leading ideas that one process renders
                     at once (default: 2); more wait, and after 10 s get 503
PONDER_EMBED_ORIGINS  comma-separated origins that may show questions in an iframe (the embed
                      pages only), e.g. https://intranet.example.org; default: any ("*")
PONDER_RATE_LIMITS  changes to the rate limits (ponder/ratelimit.py): "vote=200/h,join=500/h";
                    "like=off" lifts one; "off" lifts them all. Defaults admit a room of 1000
                    behind one address: per address write=20000/10m, read=300000/5m,
                    stream=5000/5m, question=100/h, join=2000/h; per question and address
                    join_question=1000/h; per person idea, argument, comment, vote, like 100/h
PONDER_MAX_BODY   bytes a request body may have (default: 262144, 256 KiB)
PONDER_BODY_TIMEOUT   seconds a request body may take to arrive (default: 30)
PONDER_HEADER_TIMEOUT seconds a request's head (its line and headers) may take (default: 10)
PONDER_IMAGE_MAX_BYTES   bytes a picture on an idea may have as uploaded (default: 10485760, 10 MiB)
PONDER_IMAGE_MAX_PIXELS  pixels (width x height) a picture may have (default: 50000000)
PONDER_S3_BUCKET  keep pictures in this S3 bucket (django-storages) instead of PONDER_DATA_DIR;
                  with PONDER_S3_ENDPOINT_URL (any S3-compatible server), PONDER_S3_REGION,
                  PONDER_S3_ACCESS_KEY_ID, PONDER_S3_SECRET_ACCESS_KEY (else boto3's own
                  AWS_* variables and files), PONDER_S3_PREFIX (default: images)
PONDER_TRUSTED_PROXIES  comma-separated addresses or networks of the proxies in front; only from
                        them are X-Forwarded-For, X-Forwarded-Proto and Forwarded believed
                        (default: none; ponder/proxies.py)
EMAIL_URL         where mail goes: smtp://user:pass@host:587/?tls=1, smtps://user:pass@host,
                  console:// (the default: mails are written to the worker's output)
EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS, EMAIL_USE_SSL
                  the same, one variable each (EMAIL_HOST set means SMTP)
DEFAULT_FROM_EMAIL  the sender of Ponder's mails (default: ponder@localhost)
PONDER_MAIL_RETRY_SECONDS  the first wait before a mail is tried again when the SMTP server
                  fails; each wait doubles, up to an hour (default: 30)
PONDER_BASE_URL   the address notification mails link to, e.g. https://ponder.example.org
                  (default: the address each subscriber used when they subscribed)
PONDER_OIDC_PROVIDERS  a JSON list of OpenID Connect providers to log in with, each
                  {"id", "name", "server_url", "client_id", "secret"} (README "Accounts and e-mail")
"""

import json
import os
import secrets
import warnings
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent


def _flag(name: str, default: bool = False) -> bool:
    return os.environ.get(name, "1" if default else "0").strip().lower() in {
        "1",
        "true",
        "yes",
        "on",
    }


DATA_DIR = Path(os.environ.get("PONDER_DATA_DIR", Path.cwd() / "data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    # A fresh clone must run with no configuration, and the key must survive restarts:
    # generate it once and keep it beside the data, readable by its owner only.
    path = DATA_DIR / "secret_key"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(50))
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _flag("DEBUG")
ALLOWED_HOSTS = [
    h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
]
HTTPS = _flag("PONDER_HTTPS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "django_tasks_db",
    # Before allauth: its templates (login, sign-up, ...) are overridden by Ponder's.
    "ponder.accounts",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "ponder.questions",
    "ponder.live",
    "ponder.notifications",
]

MIDDLEWARE = [
    "ponder.proxies.ForwardedHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "ponder.questions.middleware.NoIndexMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages, fragments, JSON and the event stream, gzipped for clients that accept it (static
    # files come compressed from WhiteNoise, above). Each message of a stream is flushed on its
    # own. BREACH: the CSRF token in pages is masked afresh in every response, and the gzip
    # header carries random bytes.
    "django.middleware.gzip.GZipMiddleware",
    "ponder.questions.middleware.EmbedCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # A deleted question's links: 410 in the reader's language (after LocaleMiddleware).
    "ponder.questions.middleware.GoneMiddleware",
    "ponder.connections.BodyRefusedMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ponder.ratelimit.RateLimitMiddleware",
    "ponder.questions.middleware.BusyMiddleware",
    "ponder.questions.middleware.GateMiddleware",
    "ponder.database.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "ponder.urls"
ASGI_APPLICATION = "ponder.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csrf",
            ],
        },
    }
]

# A whole question page may be served from a render up to this old when changes come quicker
# than it can be rendered again (rendering.py); the page's live updates replay what it missed.
PONDER_PAGE_LAG = float(os.environ.get("PONDER_PAGE_LAG", "0.5"))

# Renders of a question page with more than its leading ideas ("Show more ideas") that one
# process runs at once; more wait, and after 10 s are answered 503 (rendering.py).
PONDER_LONG_RENDERS = max(1, int(os.environ.get("PONDER_LONG_RENDERS", "2")))

# Seconds a request may wait on the database (for a connection, or for one query) before it is
# answered 503 with Retry-After instead (ponder.database.DatabaseUnavailableMiddleware).
PONDER_DB_TIMEOUT = float(os.environ.get("PONDER_DB_TIMEOUT", "3"))
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Under ASGI every request runs on a thread of its own: persistent per-thread connections
        # would pile up until PostgreSQL refuses more. A pool per process shares a few instead.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        options = DATABASES["default"].setdefault("OPTIONS", {})
        options["pool"] = {
            "min_size": 1,
            "max_size": int(os.environ.get("PONDER_DB_POOL_SIZE", "25")),
            # A request waits this long for a connection, then gets 503 + Retry-After: a hung or
            # restarting server must not hold requests (and their threads) for longer. A third
            # of the budget: after a query cut at PONDER_DB_TIMEOUT a request may wait once more,
            # and must still be answered within 5 s (docs/reliability.md #8). The price: a pool kept
            # empty by overload also answers 503 after 1 s (bench/soak.py on PostgreSQL).
            "timeout": PONDER_DB_TIMEOUT / 3,
        }
        # A server that does not answer fails a connection attempt in 2 s (not the OS's
        # minutes); a query stuck on locks ends after PONDER_DB_TIMEOUT (docs/reliability.md
        # #7, #8).
        options.setdefault("connect_timeout", 2)
        statement_timeout = f"-c statement_timeout={int(PONDER_DB_TIMEOUT * 1000)}"
        options["options"] = f"{options.get('options', '')} {statement_timeout}".strip()
        # Parameters sent apart from the statement, and a statement run five times on one
        # connection is prepared there: PostgreSQL plans it once, not on every request (the page's
        # one read took 302 us, 162 us prepared). Off with PONDER_DB_PREPARE=0, for a connection
        # pooler in front that cannot keep prepared statements (PgBouncer before 1.21).
        if os.environ.get("PONDER_DB_PREPARE", "1") != "0":
            options.setdefault("server_side_binding", True)
            options.setdefault("prepare_threshold", 5)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "ponder.sqlite3",
            "OPTIONS": {
                # WAL lets readers run while one writer writes; IMMEDIATE takes the write lock at
                # the start of a transaction, so two writers queue instead of failing mid-way.
                # A writer waits up to 20 s in that queue (docs/reliability.md #12): with 20 writers
                # on a loaded 2-core machine, 5 s let some of them fail with "database is locked".
                # synchronous=NORMAL: in WAL mode a COMMIT is not synced to disk, only each
                # checkpoint is. A crash of Ponder (or kill -9) loses nothing acknowledged; a power
                # loss or OS crash may lose the last commits before it, but never corrupts the
                # database. FULL syncs every COMMIT, one fsync per write in the writers' queue.
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
                ),
                "transaction_mode": "IMMEDIATE",
            },
            # Kept from one request to the next by each thread of the request pool
            # (ponder/asgi.py): a new connection per request ran the PRAGMAs, read the
            # schema again and started with an empty page cache (a vote 8.6 -> 5 ms in-process).
            "CONN_MAX_AGE": None,
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis carries live updates, the cache and rate limits between processes; without it, one
# process works alone (and several processes still see every change, by polling the database).
REDIS_URL = os.environ.get("REDIS_URL") or None
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ponder",
            "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
        }
    }
else:
    # Room for the rate limits' counts of a room of people (one per person and bucket): the
    # default of 300 keys would drop counts at random once a class has joined.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
# Open live streams one server process holds; beyond it, new ones get 503 and retry.
PONDER_MAX_STREAMS = int(os.environ.get("PONDER_MAX_STREAMS", "10000"))
# What the live stream (ponder.live, which knows only ids and versions) asks the questions app to
# put into events before sending them: a vote's tally, when every reader sees it alike.
PONDER_LIVE_DESCRIBE = "ponder.questions.stream.describe"
# Rate limits per client address, counted in the cache above (shared through Redis). The client
# is REMOTE_ADDR, or X-Forwarded-For when REMOTE_ADDR is one of the trusted proxies
# (ponder/proxies.py). Kept as text here; parsed there, and a wrong one stops the server as it
# starts.
PONDER_RATE_LIMITS = os.environ.get("PONDER_RATE_LIMITS", "")
PONDER_TRUSTED_PROXIES = os.environ.get("PONDER_TRUSTED_PROXIES", "")

# Pages for the logged-in only (/me/) send everyone else here, and back after it.

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# en-gb needs no catalogue of its own: its messages are the English ones, and it only brings
# British dates ("26 Nov 2026, 4:48 p.m.") to browsers that ask for it. Other English and German
# variants (en-us, de-at, de-ch) fall back to en and de.
LANGUAGES = [("en", _("English")), ("en-gb", _("British English")), ("de", _("German"))]
# A language chosen with the switcher in the footer lasts a year, not only the browser session.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
PONDER_TIME_ZONE = os.environ.get("PONDER_TIME_ZONE", "UTC")
# Where people report accessibility problems; shown on /accessibility/.
PONDER_CONTACT_EMAIL = os.environ.get("PONDER_CONTACT_EMAIL", "").strip()

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"
# `ponder serve` collects static files before it starts and sets PONDER_STATIC_MANIFEST: hashed,
# compressed names then let browsers cache them for a year. Tests and other commands serve the
# uncollected files.
_COLLECTED = _flag("PONDER_STATIC_MANIFEST")
# Pictures on ideas (ponder/questions/images.py): in PONDER_DATA_DIR/images, or in an S3 bucket.
# Private either way: Ponder serves each picture itself, to those who may see its idea.
PONDER_S3_BUCKET = os.environ.get("PONDER_S3_BUCKET", "").strip()
if PONDER_S3_BUCKET:
    _IMAGES: dict[str, object] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": PONDER_S3_BUCKET,
            "endpoint_url": os.environ.get("PONDER_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("PONDER_S3_REGION") or None,
            "access_key": os.environ.get("PONDER_S3_ACCESS_KEY_ID") or None,
            "secret_key": os.environ.get("PONDER_S3_SECRET_ACCESS_KEY") or None,
            "location": os.environ.get("PONDER_S3_PREFIX", "images"),
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
else:
    _IMAGES = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": DATA_DIR / "images", "base_url": None},
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "images": _IMAGES,
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if _COLLECTED
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not _COLLECTED
# WhiteNoise serves files through a synchronous iterator, which Django's ASGI handler adapts
# with a warning on every static file. The files are small and cached for a year by browsers;
# behind nginx they are not served by Ponder at all (see the deployment section of README.md).
warnings.filterwarnings("ignore", message="StreamingHttpResponse must consume synchronous")

# What one connection may take (ponder/connections.py): a request body of at most
# PONDER_MAX_BODY bytes (one announced larger is refused unread, one sent in chunks is cut at
# it), all there within PONDER_BODY_TIMEOUT seconds; each request's head within
# PONDER_HEADER_TIMEOUT seconds. Beyond them: 413, 408, or the connection closed.
PONDER_MAX_BODY = int(os.environ.get("PONDER_MAX_BODY", 256 * 1024))
PONDER_BODY_TIMEOUT = float(os.environ.get("PONDER_BODY_TIMEOUT", "30"))
PONDER_HEADER_TIMEOUT = float(os.environ.get("PONDER_HEADER_TIMEOUT", "10"))
DATA_UPLOAD_MAX_MEMORY_SIZE = PONDER_MAX_BODY
# Pictures on ideas: the routes that take one (connections.max_body) take bodies as large as a
# picture of PONDER_IMAGE_MAX_BYTES (base64 in the API's JSON) and PONDER_MAX_BODY more. A file
# over the limit but within the body gets a message next to the field; beyond the body, 413.
# Pillow refuses to open an image of more than PONDER_IMAGE_MAX_PIXELS (its decompression-bomb
# guard, set from this in images.py); images.py refuses one of more pixels before decoding it.
PONDER_IMAGE_MAX_BYTES = int(os.environ.get("PONDER_IMAGE_MAX_BYTES", 10 * 1024 * 1024))
PONDER_IMAGE_MAX_PIXELS = int(os.environ.get("PONDER_IMAGE_MAX_PIXELS", 50_000_000))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# Security headers (docs/product-rules.md, docs/reliability.md #25-#27).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
# Only the embed pages (/embed/<id>/) may be framed, and only by these origins.
PONDER_EMBED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("PONDER_EMBED_ORIGINS", "*").split(",")
    if origin.strip()
] or ["*"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "ponder.questions.views.csrf_failure"
# HSTS preload is the operator's promise for the whole domain and every subdomain, and hard to
# undo: opt in with PONDER_HSTS_PRELOAD=1. Without it, Django's reminder (W021) is not a finding.
SECURE_HSTS_PRELOAD = _flag("PONDER_HSTS_PRELOAD")
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# The scheme a trusted proxy was reached by (absolute links, secure cookies, the redirect): the
# header reaches Django only from PONDER_TRUSTED_PROXIES (ponder/proxies.py removes it otherwise).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if HTTPS:
    SECURE_SSL_REDIRECT = _flag("PONDER_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # Every handler redacts admin keys, whichever logger wrote the line (ponder/lib/logs.py).
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "filters": {
        "clients_mistake": {"()": "ponder.lib.logs.ClientsMistake"},
        "redact_secrets": {"()": "ponder.lib.logs.RedactSecrets"},
    },
    "loggers": {
        f"django.security.{name}": {"filters": ["clients_mistake"]}
        for name in ("RequestDataTooBig", "TooManyFieldsSent", "TooManyFilesSent")
    }
    # The mail queue's worker says so each time it starts and finds nothing to do (every second).
    | {"django_tasks_db": {"level": "WARNING"}, "django.tasks": {"level": "WARNING"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Ponder's own limits (docs/product-rules.md P10).
PONDER_TITLE_MAX = 200
PONDER_TEXT_MAX = 10_000
PONDER_NAME_MAX = 80
# Questions on one survey's page (README.md "Surveys").
PONDER_SURVEY_QUESTIONS_MAX = 15


# Accounts (django-allauth; README "Accounts and e-mail"). Most people never make one: a name
# is still all it takes to take part.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_ADAPTER = "ponder.accounts.adapter.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
# A code of six characters, not a link: it is typed where the sign-up happened, so it works when
# the mail is read on another device, survives mail clients that break or pre-open long links,
# and keeps the person in the page they were on.
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = True
# Sign-up and "Forgot password?" answer alike whether an address has an account or not.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Ponder] "
# allauth's rate limits (its defaults: login failures, sign-ups, mails sent per address) stay on;
# they count in the cache above, shared through Redis.
ACCOUNT_RATE_LIMITS_ENABLED = True
# A provider that vouches for the address (email_verified) needs no code on top; an address it
# does not vouch for gets one, as at sign-up. A provider's login never takes over an account
# that someone made with the same address (SOCIALACCOUNT_EMAIL_AUTHENTICATION stays off).
SOCIALACCOUNT_STORE_TOKENS = False


def _oidc_providers(text: str) -> list[dict]:
    """PONDER_OIDC_PROVIDERS, a JSON list, as allauth's openid_connect apps. A wrong list stops
    the server as it starts, with a message that names no secret."""
    if not text.strip():
        return []
    try:
        providers = json.loads(text)
        return [
            {
                "provider_id": str(p["id"]),
                "name": str(p.get("name") or p["id"]),
                "client_id": str(p["client_id"]),
                "secret": str(p.get("secret", "")),
                "settings": {
                    "server_url": str(p["server_url"]),
                    # "client_secret_basic" for a provider that wants the secret in a header.
                    "token_auth_method": str(p.get("token_auth_method", "client_secret_post")),
                },
            }
            for p in providers
        ]
    except (ValueError, TypeError, KeyError) as error:
        raise SystemExit(
            "PONDER_OIDC_PROVIDERS must be a JSON list of objects with id, server_url, client_id"
            f" and secret ({type(error).__name__})"
        ) from None


SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "APPS": _oidc_providers(os.environ.get("PONDER_OIDC_PROVIDERS", "")),
        "OAUTH_PKCE_ENABLED": True,
    }
}


def _smtp_mailer(url: str) -> dict:
    """EMAIL_URL as a mailer: smtp://user:pass@host:587/?tls=1 (STARTTLS), smtps://user:pass@host
    (TLS from the start, port 465), console:// (mails written to the worker's output)."""
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme not in {"smtp", "smtps"}:
        raise SystemExit("EMAIL_URL must start with smtp://, smtps:// or console://")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    yes = {"1", "true", "yes", "on"}
    ssl = parts.scheme == "smtps" or query.get("ssl", "0") in yes
    tls = not ssl and query.get("tls", "0") in yes
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {
            "host": parts.hostname or "localhost",
            "port": parts.port or (465 if ssl else 587 if tls else 25),
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_ssl": ssl,
            "use_tls": tls,
            "timeout": 10,
        },
    }


# E-mail: the console by default; SMTP from EMAIL_URL or the usual separate variables. Every
# mail is sent by `ponder worker` from the task queue (ponder/mail.py), never during a
# request: a slow or absent SMTP server delays mail, not pages.
if os.environ.get("EMAIL_URL"):
    MAILERS = {"default": _smtp_mailer(os.environ["EMAIL_URL"])}
elif os.environ.get("EMAIL_HOST"):
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["EMAIL_HOST"],
                "port": int(os.environ.get("EMAIL_PORT", "25")),
                "username": os.environ.get("EMAIL_HOST_USER", ""),
                "password": os.environ.get("EMAIL_HOST_PASSWORD", ""),
                "use_tls": _flag("EMAIL_USE_TLS"),
                "use_ssl": _flag("EMAIL_USE_SSL"),
                "timeout": 10,
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ponder@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
PONDER_MAIL_RETRY_SECONDS = float(os.environ.get("PONDER_MAIL_RETRY_SECONDS", "30"))
# Where the links in notification mails lead (ponder/notifications): without it, the address
# the subscriber used when subscribing.
PONDER_BASE_URL = os.environ.get("PONDER_BASE_URL", "").rstrip("/")
# Work done outside the request (mail): queued in the database, run by `ponder worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "mail"]}}
ACCOUNT_FORMS = {"login": "ponder.accounts.forms.LoginForm"}
