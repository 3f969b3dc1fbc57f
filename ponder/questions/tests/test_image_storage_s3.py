"""Pictures in S3-compatible storage (django-storages), against a real S3 server on 127.0.0.1:
moto in server mode, started by this file. The objects are private; Ponder reads and serves
them itself, and removes them with the picture."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import pytest
from django.core.files.storage import storages

from conftest import Person
from ponder.questions.models import Idea, Question
from ponder.questions.tests.test_images import jpeg, upload

CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Until it listens (a start-up wait, not a bound on what the tests take).
        for _attempt in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail("the moto server did not start")
                time.sleep(0.1)
        else:
            pytest.fail("the moto server did not listen")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait()


@pytest.fixture
def bucket(s3_endpoint: str, settings, request) -> str:
    name = "ponder-" + request.node.name.replace("_", "-")[:40].lower().strip("-")
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    settings.STORAGES = {
        **settings.STORAGES,
        "images": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "endpoint_url": s3_endpoint,
                "location": "images",
                "default_acl": "private",
                "file_overwrite": False,
                **CREDENTIALS,
            },
        },
    }
    return name


def _objects(bucket: str) -> dict[str, bytes]:
    storage = storages["images"]
    listing = storage.bucket.objects.filter(Prefix="images/")
    return {item.key: item.get()["Body"].read() for item in listing}


@pytest.mark.django_db(transaction=True)  # the files go once the removal commits
def test_a_picture_is_kept_in_the_bucket_served_by_ponder_and_removed_with_it(
    question: Question, bob: Person, alice: Person, bucket: str
) -> None:
    response = bob.post(
        f"/q/{question.pk}/ideas/",
        {"title": "The lake house", "image": upload(jpeg()), "image_alt": "A lake"},
    )
    assert response.status_code == 302
    idea = Idea.objects.get(question=question)
    stored = _objects(bucket)
    assert set(stored) == {f"images/{idea.image_file}", f"images/{idea.thumb_file}"}
    # Private in the bucket: Ponder serves it, with its own headers.
    acl = storages["images"].bucket.Object(f"images/{idea.image_file}").Acl()
    assert all(
        grant["Permission"] != "READ" or "URI" not in grant["Grantee"] for grant in acl.grants
    )
    served = bob.get(f"/q/{question.pk}/ideas/{idea.pk}/images/{idea.image_file}")
    assert served.status_code == 200 and served["Content-Type"] == "image/webp"
    assert served.content == stored[f"images/{idea.image_file}"]
    # Removed by the organiser: gone from the bucket, and 404.
    assert alice.post(f"/q/{question.pk}/ideas/{idea.pk}/image/remove/").status_code == 302
    assert _objects(bucket) == {}
    assert bob.get(f"/q/{question.pk}/ideas/{idea.pk}/images/{idea.image_file}").status_code == 404


def test_the_environment_chooses_the_bucket() -> None:
    """PONDER_S3_* as the README documents them make the "images" storage django-storages' S3."""
    env = {
        **os.environ,
        "PONDER_S3_BUCKET": "pictures",
        "PONDER_S3_ENDPOINT_URL": "http://127.0.0.1:9000",
        "PONDER_S3_REGION": "eu-central-1",
        "PONDER_S3_ACCESS_KEY_ID": "key",
        "PONDER_S3_SECRET_ACCESS_KEY": "secret",
        "PONDER_S3_PREFIX": "ponder/images",
    }
    code = (
        "import django; django.setup(); from django.core.files.storage import storages; "
        "s = storages['images']; print(type(s).__name__, s.bucket_name, s.endpoint_url, "
        "s.region_name, s.location, s.default_acl, s.file_overwrite)"
    )
    out = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "ponder.settings"},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [
        "S3Storage",
        "pictures",
        "http://127.0.0.1:9000",
        "eu-central-1",
        "ponder/images",
        "private",
        "False",
    ]
