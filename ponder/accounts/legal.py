"""The terms and the privacy policy. Ponder ships a default text for each; the operator replaces
it with a Markdown file in PONDER_DATA_DIR: terms.md, privacy.md, or one per language
(terms.de.md is shown to German readers, terms.md to everyone else)."""

from pathlib import Path

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from ponder.lib.text import render_document


def operator_text(name: str) -> str | None:
    """The operator's Markdown for this page in the reader's language, if there is a file."""
    language = (get_language() or "").split("-")[0]
    for candidate in (f"{name}.{language}.md", f"{name}.md"):
        path = Path(settings.DATA_DIR) / candidate
        if path.is_file():
            return path.read_text(encoding="utf-8")
    return None


def _page(request: HttpRequest, name: str) -> HttpResponse:
    text = operator_text(name)
    context = {"document": render_document(text) if text is not None else None}
    return render(request, f"accounts/{name}.html", context)


def terms(request: HttpRequest) -> HttpResponse:
    return _page(request, "terms")


def privacy(request: HttpRequest) -> HttpResponse:
    return _page(request, "privacy")
