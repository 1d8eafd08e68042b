"""Uploaded files on S3-compatible storage (django-storages), against moto's S3 server on 127.0.0.1."""

import socket
import urllib.request
from io import BytesIO

import boto3
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer
from PIL import Image

from cordee.core.tests.factories import CollectiveFactory

pytestmark = pytest.mark.django_db
BUCKET = "cordee-media"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def s3(settings):
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    credentials = {
        "aws_access_key_id": "test-key",
        "aws_secret_access_key": "test-secret",
        "region_name": "eu-west-3",
    }
    client = boto3.client("s3", endpoint_url=endpoint, **credentials)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "eu-west-3",
                "access_key": "test-key",
                "secret_key": "test-secret",
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    yield client, endpoint
    server.stop()


def png_bytes() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (8, 8), "#2b6cb0").save(buffer, format="PNG")
    return buffer.getvalue()


def test_uploaded_files_go_to_the_bucket_and_are_served_from_it(s3):
    client, endpoint = s3
    collective = CollectiveFactory()
    content = png_bytes()

    collective.logo.save("logo.png", ContentFile(content), save=True)

    assert type(default_storage._wrapped).__name__ == "S3Storage"
    keys = [item["Key"] for item in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [collective.logo.name]
    url = collective.logo.url
    assert url.startswith(f"{endpoint}/{BUCKET}/")
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - a local moto server
        assert response.read() == content

    collective.logo.save("logo.png", ContentFile(content), save=True)
    assert len(client.list_objects_v2(Bucket=BUCKET)["Contents"]) == 2  # never overwritten in place
