"""Pictures on ideas through the API: a photo's round trip (upright, WebP, linked from the idea's
read), refusals as 400 naming the field, and who may add or remove one."""

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from ponder.questions.tests.test_images import SVG, jpeg, png_claiming

from .conftest import Caller


@pytest.fixture(autouse=True)
def picture_storage(settings, tmp_path: Path) -> Path:
    location = tmp_path / "images"
    settings.STORAGES = {
        **settings.STORAGES,
        "images": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": location, "base_url": None},
        },
    }
    return location


def send_picture(caller: Caller, idea: str, data: bytes, alt: str | None = "A lake at dusk"):
    """POST /ideas/{idea}/image as multipart/form-data, as a program uploads a file."""
    fields: dict[str, object] = {"image": SimpleUploadedFile("photo.jpg", data, "image/jpeg")}
    if alt is not None:
        fields["alt"] = alt
    headers = {"Authorization": f"Bearer {caller.token}"} if caller.token else {}
    response = caller.client.post(f"/api/v1/ideas/{idea}/image", fields, headers=headers)
    assert response["Content-Type"].startswith("application/json")
    response.data = response.json()
    return response


def test_a_photo_goes_through_the_api_upright_and_is_linked_from_the_idea(
    qid: str, bob: Caller, anonymous: Caller
) -> None:
    idea = bob.post(f"/questions/{qid}/ideas", {"title": "The lake house"}).data["id"]
    response = send_picture(bob, idea, jpeg(40, 20, orientation=6, script=True))
    assert response.status_code == 200, response.data
    image = response.data["image"]
    assert (image["width"], image["height"]) == (20, 40)
    assert image["alt"] == "A lake at dusk" and image["content_type"] == "image/webp"
    served = anonymous.client.get(image["url"])
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    picture = Image.open(io.BytesIO(served.content))
    assert (picture.format, picture.size) == ("WEBP", (20, 40))
    assert b"<script" not in served.content
    thumb = anonymous.client.get(image["thumbnail_url"])
    assert Image.open(io.BytesIO(thumb.content)).size == (
        image["thumbnail_width"],
        image["thumbnail_height"],
    )
    # The question's read and the idea's own read carry it.
    read = anonymous.get(f"/questions/{qid}").data
    assert read["ideas"][0]["image"] == image
    assert anonymous.get(f"/questions/{qid}/ideas/{idea}").data["image"] == image


@pytest.mark.parametrize(
    ("data", "alt", "field", "message"),
    [
        (b"not a picture", "x", "image", "This file is not a picture we can read."),
        (SVG, "x", "image", "This file is not a picture we can read."),
        (png_claiming(100_000, 100_000), "x", "image", "This picture has too many pixels."),
        (jpeg(), "", "alt", "Please say what the picture shows"),
    ],
    ids=["text", "svg", "bomb", "no-alt"],
)
def test_a_refused_picture_is_a_400_naming_its_field(
    qid: str, bob: Caller, data: bytes, alt: str, field: str, message: str
) -> None:
    idea = bob.post(f"/questions/{qid}/ideas", {"title": "The lake house"}).data["id"]
    response = send_picture(bob, idea, data, alt)
    assert response.status_code == 400
    assert response.data["errors"][0]["field"] == field
    assert message in response.data["errors"][0]["message"]
    assert bob.get(f"/ideas/{idea}").data["image"] is None


def test_an_oversized_picture_is_a_400_with_the_limit(qid: str, bob: Caller, settings) -> None:
    settings.PONDER_IMAGE_MAX_BYTES = 1000
    idea = bob.post(f"/questions/{qid}/ideas", {"title": "The lake house"}).data["id"]
    response = send_picture(bob, idea, jpeg(300, 300))
    assert response.status_code == 400
    assert response.data["errors"][0]["field"] == "image"
    assert "This picture is too large" in response.data["errors"][0]["message"]


def test_only_the_author_and_the_organiser_change_a_picture(
    qid: str, alice: Caller, bob: Caller, carol: Caller, mallory: Caller, anonymous: Caller
) -> None:
    idea = bob.post(f"/questions/{qid}/ideas", {"title": "The lake house"}).data["id"]
    assert send_picture(carol, idea, jpeg()).status_code == 404
    assert send_picture(mallory, idea, jpeg()).status_code == 404
    assert send_picture(anonymous, idea, jpeg()).status_code == 401
    image = send_picture(bob, idea, jpeg()).data["image"]
    assert carol.delete(f"/ideas/{idea}/image").status_code == 404
    response = alice.delete(f"/ideas/{idea}/image")
    assert response.status_code == 200 and response.data["image"] is None
    assert anonymous.client.get(image["url"]).status_code == 404
