"""Pages, fragments and JSON go gzipped to a client that accepts it, and as they are to one that
does not. Compression must not leak the CSRF secret (BREACH): every gzipped page masks the token
afresh, so no two answers carry the same token bytes. (The event stream, gzipped by a real
server: tests/live/test_compression.py.)"""

import gzip
import re

from django.test import Client

from conftest import Person
from ponder.questions import services
from ponder.questions.models import Participant, Question

TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="(\w+)"')
GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def _ideas(question: Question, count: int) -> None:
    author = Participant.objects.get(question=question, name="Alice")
    for n in range(count):
        services.idea_add(question=question, author=author, title=f"Idea {n}")


def test_the_page_a_fragment_and_the_api_are_gzipped_when_accepted(
    question: Question, alice: Person
) -> None:
    _ideas(question, 20)
    for url, headers in (
        (f"/q/{question.pk}/", {}),
        (f"/q/{question.pk}/?part=ideas", {"HTTP_HX_REQUEST": "true"}),
        (f"/api/v1/questions/{question.pk}", {}),
    ):
        plain = alice.get(url, **headers)
        zipped = alice.get(url, **headers, **GZIP)
        assert plain.status_code == zipped.status_code == 200, url
        assert "Content-Encoding" not in plain, url
        assert zipped["Content-Encoding"] == "gzip", url
        assert "Accept-Encoding" in zipped["Vary"], url
        body = gzip.decompress(zipped.content)
        assert len(zipped.content) < len(body) / 3, url
        assert b"Idea 19" in body, url
        assert int(zipped["Content-Length"]) == len(zipped.content), url


def test_every_gzipped_page_masks_its_csrf_token_afresh(question: Question, alice: Person) -> None:
    _ideas(question, 3)
    seen: set[bytes] = set()
    for _ in range(3):
        page = gzip.decompress(alice.get(f"/q/{question.pk}/", **GZIP).content)
        found = set(TOKEN.findall(page))
        assert found, "the page has forms"
        assert not found & seen, "a token came again in another answer"
        seen |= found


def test_a_gzipped_pages_token_passes_the_check(question: Question) -> None:
    client = Client(enforce_csrf_checks=True)
    page = gzip.decompress(client.get(f"/q/{question.pk}/", **GZIP).content)
    token = TOKEN.search(page)[1].decode()
    joined = client.post(f"/q/{question.pk}/join/", {"name": "Ada", "csrfmiddlewaretoken": token})
    assert joined.status_code == 302
