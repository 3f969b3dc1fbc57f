"""Pictures on ideas: what is taken and what is refused (with the message a person sees), that
nothing is served as uploaded (upright, metadata gone, WebP from our own encoder), who may fetch a
picture and who may change it, and that exports and the live stream carry them."""

import csv
import io
import json
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, PngImagePlugin

from conftest import Person
from ponder.connections import max_body
from ponder.live.models import Event
from ponder.questions import images, services
from ponder.questions.models import Idea, Participant, Question

# What a script in a picture's metadata looks like; none of it may reach a served byte.
SCRIPT = b"<script>alert('pwned')</script>"
MARKERS = (b"<script", b"alert(", b"pwned", b"Exif", b"EXIF", b"XMP ", b"ICCP", b"tEXt")


@pytest.fixture(autouse=True)
def picture_storage(settings, tmp_path: Path) -> Path:
    """Pictures go to a directory of the test's own (the "images" storage, as configured)."""
    location = tmp_path / "images"
    settings.STORAGES = {
        **settings.STORAGES,
        "images": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": None},
        },
    }
    return location


def jpeg(width: int = 40, height: int = 20, *, orientation: int = 1, script: bool = False) -> bytes:
    """A photo: left half red, right half blue; with an EXIF orientation, and if asked a script in
    its EXIF description, maker and XMP packet."""
    image = Image.new("RGB", (width, height), "red")
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    exif = Image.Exif()
    exif[0x0112] = orientation
    extra = {}
    if script:
        exif[0x010E] = SCRIPT.decode()  # ImageDescription
        exif[0x010F] = SCRIPT.decode()  # Make
        extra["xmp"] = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + SCRIPT + b"</x:xmpmeta>"
        extra["comment"] = SCRIPT
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=90, **extra)
    return out.getvalue()


def png(width: int = 30, height: int = 30, *, alpha: bool = False, script: bool = False) -> bytes:
    colour = (0, 128, 0, 128 if alpha else 255)
    image = Image.new("RGBA" if alpha else "RGB", (width, height), colour)
    info = PngImagePlugin.PngInfo()
    if script:
        info.add_text("Comment", SCRIPT.decode())
        info.add_itxt("XML:com.adobe.xmp", SCRIPT.decode())
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A decompression bomb: a few hundred bytes whose header claims `width` x `height`."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    rows = zlib.compress(b"\0" * 1000)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert('pwned')</script><rect width='10' height='10'/></svg>"
)


def upload(data: bytes, name: str = "photo.jpg", content_type: str = "image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def _idea(question: Question, title: str = "The lake house") -> Idea:
    return Idea.objects.get(question=question, title=title)


def _add_with_picture(person: Person, question: Question, data: bytes, **extra: object):
    fields = {"title": "The lake house", "image": upload(data), "image_alt": "A lake at dusk"}
    return person.post(f"/q/{question.pk}/ideas/", {**fields, **extra})


def _errors(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def _file_url(idea: Idea, *, thumb: bool = False) -> str:
    name = idea.thumb_file if thumb else idea.image_file
    return f"/q/{idea.question_id}/ideas/{idea.pk}/images/{name}"


def _served(person: Person, url: str) -> bytes:
    response = person.get(url)
    assert response.status_code == 200, url
    return response.content


# Refused, with the message a person sees -----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"just some text, renamed", "notes.png", "This file is not a picture we can read."),
        (SVG, "drawing.svg", "This file is not a picture we can read."),
        (SVG, "drawing.png", "This file is not a picture we can read."),
        (png_claiming(100_000, 100_000), "bomb.png", "This picture has too many pixels."),
        (png_claiming(8000, 8000), "big.png", "This picture has too many pixels."),
    ],
    ids=["text-renamed-png", "svg", "svg-renamed-png", "bomb", "over-the-pixel-limit"],
)
def test_a_file_that_is_no_picture_we_take_is_refused_next_to_the_field(
    question: Question, bob: Person, picture_storage: Path, data: bytes, name: str, message: str
) -> None:
    response = bob.post(
        f"/q/{question.pk}/ideas/",
        {"title": "The lake house", "image": upload(data, name, "image/png"), "image_alt": "x"},
    )
    assert response.status_code == 422
    assert message in _errors(response)
    assert not Idea.objects.filter(question=question).exists()  # nothing stored
    assert not picture_storage.exists() or not any(picture_storage.iterdir())


def test_an_oversized_file_is_refused_with_the_limit_named(
    question: Question, bob: Person, settings, picture_storage: Path
) -> None:
    settings.PONDER_IMAGE_MAX_BYTES = 2000
    data = jpeg(400, 400)
    assert len(data) > 2000
    response = _add_with_picture(bob, question, data)
    assert response.status_code == 422
    assert "This picture is too large. Please upload one of at most 2.0" in _errors(response)
    assert not Idea.objects.filter(question=question).exists()


def test_pillows_own_decompression_bomb_guard_is_set_from_the_setting(settings) -> None:
    assert Image.MAX_IMAGE_PIXELS == settings.PONDER_IMAGE_MAX_PIXELS
    with pytest.raises(images.ImageRefused) as refused:
        images.prepare(png_claiming(100_000, 100_000))
    assert refused.value.code == "image_too_many_pixels"


def test_a_picture_needs_words_for_what_it_shows(question: Question, bob: Person) -> None:
    response = _add_with_picture(bob, question, jpeg(), image_alt="  ")
    assert response.status_code == 422
    assert "Please say what the picture shows, for those who cannot see it." in _errors(response)
    assert not Idea.objects.filter(question=question).exists()


def test_the_form_asks_for_the_kinds_of_picture_it_takes(question: Question, bob: Person) -> None:
    page = bob.get(f"/q/{question.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    assert 'accept="image/jpeg,image/png,image/webp' in page
    assert "What the picture shows" in page
    assert "up to 10.0" in page  # the limit, next to the field


# Taken: drawn afresh, upright, without metadata ---------------------------------------------


def test_a_photo_goes_through_the_page_upright_and_without_its_metadata(
    question: Question, bob: Person
) -> None:
    # Orientation 6: the camera was turned; 40 x 20 as stored is 20 x 40 as seen.
    response = _add_with_picture(bob, question, jpeg(40, 20, orientation=6, script=True))
    assert response.status_code == 302
    idea = _idea(question)
    assert (idea.image_width, idea.image_height) == (20, 40)
    assert idea.image_alt == "A lake at dusk"
    for url in (_file_url(idea), _file_url(idea, thumb=True)):
        body = _served(bob, url)
        served = Image.open(io.BytesIO(body))
        assert served.format == "WEBP"
        assert served.size == (20, 40)
        assert not served.info.get("exif") and not served.info.get("xmp")
        assert not served.info.get("icc_profile")
        for marker in MARKERS:
            assert marker not in body, marker
        # Upright: red (the photo's left) is now on top.
        red, _green, blue = served.convert("RGB").getpixel((10, 5))
        assert red > 200 and blue < 60


def test_text_chunks_of_a_png_are_dropped_and_transparency_kept(
    question: Question, bob: Person
) -> None:
    data = png(alpha=True, script=True)
    assert SCRIPT in data
    idea = services.idea_add(
        question=question,
        author=Participant.objects.get(name="Bob"),
        title="A logo",
        image=images.prepare(data),
        image_alt="A green square",
    )
    body = _served(bob, _file_url(idea))
    for marker in MARKERS:
        assert marker not in body, marker
    served = Image.open(io.BytesIO(body))
    assert served.mode == "RGBA"
    assert served.getpixel((5, 5))[3] == 128


def test_a_heic_photo_is_taken_where_pillow_heif_reads_it(question: Question, bob: Person) -> None:
    if not images.HEIF:
        pytest.skip("pillow-heif is not installed")
    out = io.BytesIO()
    try:
        Image.new("RGB", (64, 48), "orange").save(out, "HEIF")
    except (OSError, KeyError, ValueError) as error:  # a libheif without an encoder
        pytest.skip(f"this libheif cannot write HEIC: {error}")
    prepared = images.prepare(out.getvalue())
    assert (prepared.width, prepared.height) == (64, 48)
    assert Image.open(io.BytesIO(prepared.full)).format == "WEBP"


def test_a_large_photo_is_bounded_and_its_thumbnail_small(question: Question) -> None:
    prepared = images.prepare(jpeg(4000, 1000))
    assert (prepared.width, prepared.height) == (images.FULL_SIDE, 400)
    assert (prepared.thumb_width, prepared.thumb_height) == (images.THUMB_SIDE, 32)


# Shown and served ----------------------------------------------------------------------------


def test_the_row_shows_a_thumbnail_of_fixed_size_and_the_idea_page_the_picture(
    question: Question, bob: Person, carol: Person
) -> None:
    _add_with_picture(bob, question, jpeg(400, 200))
    idea = _idea(question)
    page = carol.get(f"/q/{question.pk}/").content.decode()
    thumb = re.search(r'<a class="idea-thumb"[^>]*><img ([^>]*)>', page)
    assert thumb is not None
    assert f'src="{_file_url(idea, thumb=True)}"' in thumb.group(1)
    assert 'alt="A lake at dusk"' in thumb.group(1)
    assert 'width="64" height="32"' in thumb.group(1)  # its place held before it loads
    full = carol.get(f"/q/{question.pk}/ideas/{idea.pk}/").content.decode()
    assert f'src="{_file_url(idea)}" alt="A lake at dusk" width="400" height="200"' in full


def test_a_picture_is_served_with_our_type_nosniff_no_scripts_and_a_long_cache(
    question: Question, bob: Person, mallory: Person
) -> None:
    _add_with_picture(bob, question, jpeg())
    response = mallory.get(_file_url(_idea(question)))  # anyone with the question's link
    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["X-Content-Type-Options"] == "nosniff"
    policy = response["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'none'" in policy
    assert "sandbox" in policy
    assert response["Cache-Control"] == "private, max-age=31536000, immutable"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"


def test_picture_names_are_unguessable_and_say_what_they_hold(question: Question) -> None:
    prepared = images.prepare(jpeg())
    key = images.store(prepared)
    secret, digest = key.split("-")
    assert len(secret) == 22  # 62**22 ~ 2**131
    assert prepared.digest.startswith(digest)
    assert key != images.store(prepared)  # the same picture twice: two names


# The files go once the change commits: these tests commit (a test transaction never does).
@pytest.mark.django_db(transaction=True)
def test_a_picture_is_not_served_elsewhere_nor_after_it_is_gone(
    make_question, question: Question, bob: Person, alice: Person, picture_storage: Path
) -> None:
    _add_with_picture(bob, question, jpeg())
    idea = _idea(question)
    other, _key = make_question("Another question")
    name = idea.image_file
    # Under another question's link, an unknown name, the other file's name: nothing.
    assert bob.get(f"/q/{other.pk}/ideas/{idea.pk}/images/{name}").status_code == 404
    assert bob.get(f"/q/{question.pk}/ideas/{idea.pk}/images/x{name}").status_code == 404
    assert bob.get(f"/q/{question.pk}/ideas/{idea.pk}/images/..%2F{name}").status_code == 404
    # Replaced: the old files are gone and their links with them.
    old = (_file_url(idea), _file_url(idea, thumb=True))
    response = bob.post(
        f"/q/{question.pk}/ideas/{idea.pk}/image/",
        {"image": upload(png()), "alt": "A green square"},
    )
    assert response.status_code == 302
    idea.refresh_from_db()
    for url in old:
        assert bob.get(url).status_code == 404
    assert sorted(p.name for p in picture_storage.iterdir()) == sorted(
        [idea.image_file, idea.thumb_file]
    )
    # Removed by the organiser: 404, and no file is left.
    url = _file_url(idea)
    assert alice.post(f"/q/{question.pk}/ideas/{idea.pk}/image/remove/").status_code == 302
    assert bob.get(url).status_code == 404
    assert list(picture_storage.iterdir()) == []
    # A deleted idea's picture goes with it.
    _add_with_picture(bob, question, jpeg(), title="Another")
    other_idea = _idea(question, "Another")
    url = _file_url(other_idea)
    services.idea_delete(idea=other_idea)
    assert bob.get(url).status_code == 404
    assert list(picture_storage.iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_deleting_the_question_removes_its_pictures(
    question: Question, bob: Person, picture_storage: Path
) -> None:
    _add_with_picture(bob, question, jpeg())
    assert len(list(picture_storage.iterdir())) == 2
    services.question_delete(question=question)
    assert list(picture_storage.iterdir()) == []


@pytest.mark.django_db(transaction=True)
def test_removing_a_participant_or_merging_their_idea_away_removes_its_picture(
    question: Question, bob: Person, carol: Person, picture_storage: Path
) -> None:
    _add_with_picture(bob, question, jpeg())
    _add_with_picture(carol, question, jpeg(), title="The lake hut")
    assert len(list(picture_storage.iterdir())) == 4
    kept, merged = _idea(question), _idea(question, "The lake hut")
    services.idea_merge(keep=kept, merged=merged)
    assert sorted(p.name for p in picture_storage.iterdir()) == sorted(
        [kept.image_file, kept.thumb_file]
    )
    services.participant_remove(question=question, participant_id=kept.author_id)
    assert list(picture_storage.iterdir()) == []


# Who may change a picture ----------------------------------------------------------------------


def test_the_author_and_the_organiser_may_change_a_picture_and_nobody_else(
    question: Question, alice: Person, bob: Person, carol: Person, mallory: Person
) -> None:
    bob.post(f"/q/{question.pk}/ideas/", {"title": "The lake house"})
    idea = _idea(question)
    page = f"/q/{question.pk}/ideas/{idea.pk}/image/"
    for outsider in (carol, mallory):
        assert outsider.get(page).status_code == 404
        response = outsider.post(page, {"image": upload(jpeg()), "alt": "Mine now"})
        assert response.status_code == 404
        assert outsider.post(page + "remove/").status_code == 404
    idea.refresh_from_db()
    assert not idea.has_image
    # "Add picture" later, by the author; its page asks for the words too.
    assert "What the picture shows" in bob.get(page).content.decode()
    assert bob.post(page, {"image": upload(jpeg()), "alt": "A lake"}).status_code == 302
    idea.refresh_from_db()
    assert idea.has_image and not idea.edited_by_organiser
    assert carol.post(page + "remove/").status_code == 404
    # The organiser changes the words only, then removes it.
    assert alice.post(page, {"alt": "A lake at noon"}).status_code == 302
    idea.refresh_from_db()
    assert idea.image_alt == "A lake at noon" and idea.edited_by_organiser
    assert alice.post(page + "remove/").status_code == 302
    idea.refresh_from_db()
    assert not idea.has_image and idea.image_alt == ""


def test_a_new_picture_is_announced_to_open_pages(question: Question, bob: Person) -> None:
    bob.post(f"/q/{question.pk}/ideas/", {"title": "The lake house"})
    idea = _idea(question)
    before = Question.objects.get(pk=question.pk).version
    row_before = idea.version
    bob.post(f"/q/{question.pk}/ideas/{idea.pk}/image/", {"image": upload(jpeg()), "alt": "A"})
    event = Event.objects.get(question=question, version=before + 1)
    assert (event.type, event.ids) == ("idea.changed", {"idea": idea.pk})
    idea.refresh_from_db()
    assert idea.version == row_before + 1  # the kept row is drawn afresh
    # and the row a live update fetches shows it
    row = bob.get(f"/q/{question.pk}/ideas/{idea.pk}/?part=row", HTTP_HX_REQUEST="true")
    assert _file_url(idea, thumb=True) in row.content.decode()


# Exports ---------------------------------------------------------------------------------------


def test_exports_link_the_pictures_and_the_report_shows_thumbnails(
    question: Question, alice: Person, bob: Person
) -> None:
    _add_with_picture(bob, question, jpeg())
    idea = _idea(question)
    host = "http://testserver"
    data = json.loads(alice.get(f"/q/{question.pk}/export/results.json").content)
    image = data["ideas"][0]["image"]
    assert image["url"] == host + _file_url(idea)
    assert image["thumbnail_url"] == host + _file_url(idea, thumb=True)
    assert image["alt"] == "A lake at dusk"
    rows = list(csv.reader(io.StringIO(alice.get(f"/q/{question.pk}/export/ideas.csv").text)))
    column = rows[0].index("Picture")
    assert rows[1][column] == host + _file_url(idea)
    report = alice.get(f"/q/{question.pk}/report/").content.decode()
    assert f'src="{host}{_file_url(idea, thumb=True)}" alt="A lake at dusk"' in report


# Limits of the request body ---------------------------------------------------------------------


def test_only_the_routes_that_take_a_picture_take_a_larger_body(settings) -> None:
    small, large = (
        settings.PONDER_MAX_BODY,
        settings.PONDER_MAX_BODY + (settings.PONDER_IMAGE_MAX_BYTES),
    )
    q, i = "a" * 22, "b" * 12

    def limit(method: str, path: str) -> int:
        return max_body({"method": method, "path": path, "headers": []})

    assert limit("POST", f"/q/{q}/ideas/") == large
    assert limit("POST", f"/q/{q}/ideas/{i}/image/") == large
    assert limit("POST", f"/api/v1/ideas/{i}/image") == large
    assert limit("POST", f"/q/{q}/comments/") == small
    assert limit("POST", f"/q/{q}/ideas/{i}/arguments/") == small
    assert limit("POST", f"/api/v1/questions/{q}/ideas") == small
    assert limit("GET", f"/q/{q}/ideas/") == small


def test_the_stored_files_are_the_storages(picture_storage: Path) -> None:
    key = images.store(images.prepare(jpeg()))
    assert storages["images"].exists(f"{key}.webp")
    assert (picture_storage / f"{key}-t.webp").exists()


def test_a_picture_whose_file_went_missing_is_a_404_not_a_500(
    question: Question, bob: Person, picture_storage: Path
) -> None:
    _add_with_picture(bob, question, jpeg())
    idea = _idea(question)
    (picture_storage / idea.image_file).unlink()  # removed a moment before it was read
    assert bob.get(_file_url(idea)).status_code == 404
