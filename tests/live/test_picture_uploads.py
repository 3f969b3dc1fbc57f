"""A picture's upload through a real `ponder serve`: its route takes a body larger than
PONDER_MAX_BODY (256 KiB), up to the picture's limit; a picture over its limit but within the body
gets the message next to its field; beyond the body, 413, as every other route has at 256 KiB."""

import io
import json
import os
import urllib.error
import urllib.request
import uuid

from PIL import Image

from .conftest import Servers

LIMIT = 400_000  # PONDER_IMAGE_MAX_BYTES for this server


def noise(side: int) -> bytes:
    """A JPEG that hardly compresses: random pixels."""
    out = io.BytesIO()
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(out, "JPEG", quality=90)
    return out.getvalue()


def call(url: str, body: bytes, content_type: str, token: str = "") -> tuple[int, dict]:
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, body, headers, method="POST")  # noqa: S310 - our server
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        text = error.read()
        return error.code, json.loads(text) if text.startswith(b"{") else {}


def multipart(picture: bytes, alt: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="alt"\r\n\r\n{alt}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="image"; '
            f'filename="photo.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
        ).encode()
        + picture
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_a_picture_route_takes_a_picture_sized_body_and_no_more(servers: Servers) -> None:
    (server,) = servers.start(PONDER_IMAGE_MAX_BYTES=str(LIMIT))
    api = server.url + "/api/v1"
    as_json = "application/json"
    _status, asked = call(f"{api}/questions", json.dumps({"title": "Offsite?"}).encode(), as_json)
    question, admin = asked["id"], asked["admin_token"]
    call(f"{api}/questions/{question}/participants", b'{"name": "Alice"}', as_json, admin)
    status, idea = call(f"{api}/questions/{question}/ideas", b'{"title": "Lisbon"}', as_json, admin)
    assert status == 201

    within, over, beyond = noise(600), noise(800), noise(1100)
    assert 256 * 1024 < len(within) < LIMIT < len(over) < LIMIT + 256 * 1024 < len(beyond)

    # Larger than any other route takes, within the picture's limit: taken.
    status, answer = call(f"{api}/ideas/{idea['id']}/image", *multipart(within, "Noise"), admin)
    assert status == 200, answer
    assert answer["image"]["alt"] == "Noise"
    # Over the picture's limit, within the route's body: the message, naming the field.
    status, answer = call(f"{api}/ideas/{idea['id']}/image", *multipart(over, "Noise"), admin)
    assert status == 400, answer
    assert answer["errors"][0]["field"] == "image"
    assert "This picture is too large" in answer["errors"][0]["message"]
    # Beyond the route's body: 413, unread.
    status, _answer = call(f"{api}/ideas/{idea['id']}/image", *multipart(beyond, "Noise"), admin)
    assert status == 413
    # The same body as the picture taken, to a route that takes none: 413.
    comment = json.dumps({"text": "x" * len(within)}).encode()
    status, _answer = call(f"{api}/questions/{question}/comments", comment, as_json, admin)
    assert status == 413
