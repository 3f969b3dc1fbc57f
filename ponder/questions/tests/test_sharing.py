"""Sharing a question: the share panel (copy link, QR code, e-mail, social networks), link
previews (Open Graph), and the embed page: the only page other sites may frame, where taking part
works, with cookies that work in a third-party frame under HTTPS."""

import re
from http.cookies import SimpleCookie
from urllib.parse import quote

import pytest
import segno
from django.test import Client, override_settings

from conftest import Person
from ponder.questions import services
from ponder.questions.models import Idea, Participant, Question
from ponder.questions.sharing import qr_svg

HX = {"HTTP_HX_REQUEST": "true"}
FROM_FRAME = {"HTTP_SEC_FETCH_DEST": "iframe"}  # what a browser sends for a form post in a frame


def _share_url(question: Question) -> str:
    return f"http://testserver/q/{question.pk}/"


def _meta(html: str, key: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)">', html)
    assert match, f"no {key} meta tag"
    return match.group(1)


@pytest.fixture
def question(question: Question) -> Question:
    """The shared question, with embedding turned on (off by default: test_embedding.py)."""
    Question.objects.filter(pk=question.pk).update(allow_embed=True)
    question.allow_embed = True
    return question


@pytest.fixture
def idea(question: Question, alice: Person) -> Idea:
    author = Participant.objects.get(question=question, name="Alice")
    return services.idea_add(question=question, author=author, title="Lisbon")


# The share panel ----------------------------------------------------------------------------


def test_participants_get_the_link_to_copy_and_share(question, bob):
    html = bob.get(f"/q/{question.pk}/").content.decode()
    url = _share_url(question)
    assert f'<input id="share-url" class="copy" readonly value="{url}">' in html
    # The copy button needs JavaScript, so it is hidden until share.js shows it.
    button = r'<button type="button" class="copy-button" data-copy="share-url"[^>]* hidden>'
    assert re.search(button, html)
    assert '<script src="/static/share.js" defer></script>' in html


def test_the_share_links_carry_the_link_and_load_nothing_from_elsewhere(question, bob):
    html = bob.get(f"/q/{question.pk}/").content.decode()
    links = dict(
        (name, href.replace("&amp;", "&"))
        for href, name in re.findall(
            r'<li><a href="([^"]+)" target="_blank" rel="noopener noreferrer">([^<]+)<', html
        )
    )
    assert set(links) == {"E-mail", "WhatsApp", "Telegram", "Bluesky", "X", "LinkedIn", "Facebook"}
    encoded = quote(_share_url(question), safe="")
    title = quote(question.title, safe="")
    assert links["E-mail"].startswith(f"mailto:?subject={title}&body=")
    assert encoded in links["E-mail"]
    assert links["Facebook"] == f"https://www.facebook.com/sharer/sharer.php?u={encoded}"
    assert links["LinkedIn"] == f"https://www.linkedin.com/sharing/share-offsite/?url={encoded}"
    assert links["X"] == f"https://x.com/intent/tweet?text={title}&url={encoded}"
    assert all(encoded in link for link in links.values())
    # No third-party script, no CDN: every script is this site's own.
    assert all(src.startswith("/static/") for src in re.findall(r'<script src="([^"]+)"', html))


def test_the_organiser_copies_the_link_from_the_organiser_panel(question, alice):
    html = alice.get(f"/q/{question.pk}/").content.decode()
    assert 'id="share-url"' not in html  # shown once, in the organiser's panel
    assert 'data-copy="share-link"' in html
    # The share panel is folded: the organiser's own panel has the link, and the rest waits.
    assert '<details id="share" class="panel share">' in html


def test_the_qr_code_is_an_svg_of_the_share_link(question, bob, monkeypatch):
    made_from = []
    make = segno.make

    def spy(content: str, **kwargs: object) -> segno.QRCode:
        made_from.append(content)
        return make(content, **kwargs)

    monkeypatch.setattr(segno, "make", spy)
    response = bob.get(f"/q/{question.pk}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert made_from == [_share_url(question)]
    assert response.content == qr_svg(_share_url(question), title=_share_url(question))
    svg = response.content.decode()
    assert svg.startswith("<?xml") and "<svg" in svg and 'viewBox="0 0 ' in svg
    assert "<script" not in svg


def test_the_page_shows_the_qr_code_with_a_text_alternative(question, bob):
    html = bob.get(f"/q/{question.pk}/").content.decode()
    assert (
        f'<img src="/q/{question.pk}/qr.svg" width="176" height="176" '
        f'alt="QR code of the link {_share_url(question)}">'
    ) in html
    assert f'download="ponder-qr-{question.pk}.svg"' in html


def test_the_qr_code_of_an_unknown_question_is_404(db):
    assert Client().get("/q/AAAAAAAAAAAA/qr.svg").status_code == 404


# Link previews ------------------------------------------------------------------------------


def test_links_preview_with_the_title_and_description(question, mallory):
    Question.objects.filter(pk=question.pk).update(
        description="**Two days** in [spring](https://example.org).\n\nBudget: 300 € each."
    )
    html = mallory.get(f"/q/{question.pk}/").content.decode()
    assert _meta(html, "og:title") == question.title
    assert _meta(html, "twitter:title") == question.title
    assert _meta(html, "og:description") == "Two days in spring. Budget: 300 € each."
    assert _meta(html, "twitter:description") == _meta(html, "og:description")
    assert _meta(html, "description") == _meta(html, "og:description")
    assert _meta(html, "og:url") == _share_url(question)
    assert _meta(html, "og:type") == "website"
    assert _meta(html, "twitter:card") == "summary"


def test_link_previews_escape_what_people_typed(question, mallory):
    Question.objects.filter(pk=question.pk).update(
        title='"><script>alert(1)</script>',
        description='Say "hi" & <b onmouseover="x">bold</b>',
    )
    html = mallory.get(f"/q/{question.pk}/").content.decode()
    assert "<script>alert(1)" not in html
    assert _meta(html, "og:title") == "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
    assert _meta(html, "og:description") == (
        "Say &quot;hi&quot; &amp; &lt;b onmouseover=&quot;x&quot;&gt;bold&lt;/b&gt;"
    )


def test_a_long_description_is_cut_for_the_preview(question, mallory):
    Question.objects.filter(pk=question.pk).update(description="word " * 100)
    description = _meta(mallory.get(f"/q/{question.pk}/").content.decode(), "og:description")
    assert len(description) <= 201 and description.endswith("…")


def test_without_a_description_the_preview_says_what_ponder_is(question, mallory):
    html = mallory.get(f"/q/{question.pk}/").content.decode()
    assert _meta(html, "og:description") == "Add ideas, weigh pros and cons, vote."


# Framing: only the embed page may be framed --------------------------------------------------


def _frame_headers(response) -> tuple[str | None, str]:
    policy = response["Content-Security-Policy"]
    ancestors = re.search(r"frame-ancestors ([^;]+)", policy).group(1)
    return response.get("X-Frame-Options"), ancestors


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/q/{q}/",
        "/q/{q}/ideas/{i}/",
        "/q/{q}/settings/",
        "/q/{q}/report/",
        "/q/{q}/idea/{i}/edit/",
        "/q/{q}/idea/{i}/delete/",
        "/q/AAAAAAAAAAAA/",  # 404
        "/embed/AAAAAAAAAAAA/",  # 404: an unknown question has nothing to frame
    ],
)
def test_every_other_page_refuses_to_be_framed(question, idea, alice, path):
    response = alice.get(path.format(q=question.pk, i=idea.pk))
    assert response.status_code in {200, 404}
    assert _frame_headers(response) == ("DENY", "'none'")


def test_the_htmx_fragments_refuse_to_be_framed_too(question, idea, alice):
    response = alice.get(f"/q/{question.pk}/", **HX)
    assert _frame_headers(response) == ("DENY", "'none'")


def test_the_embed_page_may_be_framed_by_any_site_by_default(question, mallory):
    response = mallory.get(f"/embed/{question.pk}/")
    assert response.status_code == 200
    assert _frame_headers(response) == (None, "*")
    # The rest of the policy stays as strict as everywhere else.
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "object-src 'none'" in response["Content-Security-Policy"]


@override_settings(PONDER_EMBED_ORIGINS=["https://school.example", "https://lms.example.org"])
def test_the_operator_can_name_the_sites_that_may_embed(question, mallory):
    response = mallory.get(f"/embed/{question.pk}/")
    assert _frame_headers(response) == (None, "https://school.example https://lms.example.org")
    assert _frame_headers(mallory.get(f"/q/{question.pk}/")) == ("DENY", "'none'")


# The embed page -----------------------------------------------------------------------------


def test_the_embed_page_shows_the_question_to_take_part_in_without_the_site_around_it(
    question, idea, mallory
):
    html = mallory.get(f"/embed/{question.pk}/").content.decode()
    assert f'<h1 id="question-title" dir="auto">{question.title}</h1>' in html
    assert 'id="join"' in html and 'id="idea-form"' in html and 'id="comments"' in html
    assert "Lisbon" in html
    assert '<header class="site">' not in html
    assert 'id="share"' not in html and "You organise this question" not in html
    assert f'<a href="{_share_url(question)}" target="_blank" rel="noopener">' in html
    assert f'data-stream="/q/{question.pk}/events"' in html  # live, like the page


def test_the_organiser_gets_the_embed_code(question, alice, bob):
    Question.objects.filter(pk=question.pk).update(title='A "quoted" </textarea> title')
    html = alice.get(f"/q/{question.pk}/").content.decode()
    snippet = re.search(r'<textarea id="embed-code" class="copy" readonly rows="3">([^<]*)<', html)
    assert snippet, "no embed code"
    assert snippet.group(1) == (
        f"&lt;iframe src=&quot;http://testserver/embed/{question.pk}/&quot; "
        "title=&quot;Ponder: A &amp;quot;quoted&amp;quot; &amp;lt;/textarea&amp;gt; title&quot; "
        "width=&quot;100%&quot; height=&quot;720&quot; style=&quot;border: 0;&quot; "
        "loading=&quot;lazy&quot;&gt;&lt;/iframe&gt;"
    )
    assert 'id="embed-code"' not in bob.get(f"/q/{question.pk}/").content.decode()


def test_taking_part_in_the_embed_without_javascript_comes_back_to_the_embed(question, idea):
    dana = Client()
    response = dana.post(f"/q/{question.pk}/join/", {"name": "Dana"}, **FROM_FRAME)
    assert response.status_code == 302
    assert response["Location"] == f"/embed/{question.pk}/#ideas"
    response = dana.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", **FROM_FRAME)
    assert response["Location"] == f"/embed/{question.pk}/#idea-{idea.pk}"
    assert idea.votes.count() == 1
    response = dana.post(f"/q/{question.pk}/ideas/", {"title": "Porto"}, **FROM_FRAME)
    assert response["Location"].startswith(f"/embed/{question.pk}/#idea-")
    # A refusal comes back there too, with its message.
    services.question_close(question=question)
    response = dana.post(f"/q/{question.pk}/ideas/{idea.pk}/unvote/", **FROM_FRAME)
    assert response["Location"] == f"/embed/{question.pk}/#status"
    assert "This question is closed." in dana.get(response["Location"]).content.decode()


def test_the_same_posts_from_the_question_page_go_back_to_it(question, idea):
    erin = Client()
    response = erin.post(f"/q/{question.pk}/join/", {"name": "Erin"})
    assert response["Location"] == f"/q/{question.pk}/#ideas"


def test_taking_part_in_the_embed_with_htmx_works_in_place(question, idea):
    frame = {**HX, "HTTP_HX_CURRENT_URL": f"http://testserver/embed/{question.pk}/"}
    fay = Client()
    response = fay.post(f"/q/{question.pk}/join/", {"name": "Fay"}, **frame)
    assert response["HX-Refresh"] == "true"  # reloads the frame, which is the embed page
    response = fay.post(f"/q/{question.pk}/ideas/{idea.pk}/vote/", **frame)
    assert response.status_code == 200
    assert f'id="votes-{idea.pk}"' in response.content.decode()  # the vote box, in place
    assert idea.votes.count() == 1


def test_a_closed_question_shows_its_result_in_the_embed(question, idea, alice):
    services.vote_cast(idea=idea, participant=Participant.objects.get(name="Alice"))
    services.question_close(question=question)
    html = Client().get(f"/embed/{question.pk}/").content.decode()
    assert "The question was completed. Here is the result:" in html
    assert 'role="img"' in html
    assert 'id="join"' not in html and 'id="idea-form"' not in html


def test_a_blocked_cookie_in_the_embed_is_explained(question):
    frame = {**HX, "HTTP_HX_CURRENT_URL": f"http://testserver/embed/{question.pk}/"}
    response = Client(enforce_csrf_checks=True).post(
        f"/q/{question.pk}/join/", {"name": "Gil"}, **frame
    )
    assert response.status_code == 403
    assert "Taking part did not work inside this page." in response.content.decode()
    response = Client(enforce_csrf_checks=True).post(
        f"/q/{question.pk}/join/", {"name": "Gil"}, **HX
    )
    assert "Your page is out of date." in response.content.decode()


# Cookies in a frame on another site ---------------------------------------------------------


def _set_cookies(response) -> dict[str, str]:
    """Each cookie's Set-Cookie line, as the browser reads it."""
    return {name: morsel.OutputString() for name, morsel in response.cookies.items()}


@override_settings(HTTPS=True)
def test_under_https_embed_cookies_work_in_a_third_party_frame(question, idea):
    hana = Client()
    page = hana.get(f"/embed/{question.pk}/")
    assert "SameSite=None; Partitioned" in _set_cookies(page)["csrftoken"]
    assert "Secure" in _set_cookies(page)["csrftoken"]
    joined = hana.post(f"/q/{question.pk}/join/", {"name": "Hana"}, **FROM_FRAME)
    cookies = _set_cookies(joined)
    for name in ("ponder_participant", "ponder_name", "messages"):
        assert "SameSite=None; Partitioned" in cookies[name], name
        assert "Secure" in cookies[name] and "HttpOnly" in cookies[name], name
    # A browser parses them back as cookies with those attributes.
    parsed = SimpleCookie()
    parsed.load("; ".join(f"{k}={v.value}" for k, v in joined.cookies.items()))
    assert set(parsed) >= {"ponder_participant", "ponder_name"}


@override_settings(HTTPS=True)
def test_under_https_an_embed_page_opened_in_a_tab_of_its_own_keeps_lax_cookies(question):
    page = Client().get(f"/embed/{question.pk}/", HTTP_SEC_FETCH_DEST="document")
    assert "SameSite=Lax" in _set_cookies(page)["csrftoken"]


@override_settings(HTTPS=True)
def test_under_https_the_question_page_keeps_lax_cookies(question):
    joined = Client().post(f"/q/{question.pk}/join/", {"name": "Ivo"})
    cookies = _set_cookies(joined)
    assert "SameSite=Lax" in cookies["ponder_participant"]
    assert "Partitioned" not in cookies["ponder_participant"]


def test_over_plain_http_embed_cookies_stay_lax(question):
    # SameSite=None needs Secure, which needs HTTPS: see README.md for what this means.
    joined = Client().post(f"/q/{question.pk}/join/", {"name": "Jo"}, **FROM_FRAME)
    assert "SameSite=Lax" in _set_cookies(joined)["ponder_participant"]
    assert "Secure" not in _set_cookies(joined)["ponder_participant"]
