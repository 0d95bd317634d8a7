"""The SeaweedFS fixture: a real S3 endpoint with credentials."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from botocore.exceptions import ClientError


def test_put_get_list_delete(s3):
    bucket = s3.new_bucket()
    client = s3.client()
    first, second = "cam1/2024-01-01/run/000001.m4s", "cam1/2024-01-01/run/000002.m4s"
    body = bytes(range(256)) * 1000
    client.put_object(Bucket=bucket, Key=first, Body=body)
    client.put_object(Bucket=bucket, Key=second, Body=b"two")
    assert client.get_object(Bucket=bucket, Key=first)["Body"].read() == body
    assert [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="cam1/")["Contents"]] == [first, second]
    client.delete_object(Bucket=bucket, Key=first)
    assert [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]] == [second]
    with pytest.raises(ClientError):
        client.get_object(Bucket=bucket, Key=first)


def test_buckets_are_unique_and_empty(s3):
    a, b = s3.new_bucket(), s3.new_bucket()
    assert a != b
    assert s3.client().list_objects_v2(Bucket=a).get("KeyCount", 0) == 0


def test_wrong_secret_is_refused(s3):
    bad = boto3.client(
        "s3",
        endpoint_url=s3.endpoint_url,
        region_name=s3.region,
        aws_access_key_id=s3.access_key,
        aws_secret_access_key="not-the-secret",
    )
    with pytest.raises(ClientError):
        bad.list_buckets()


def test_storage_url_format(s3):
    bucket = s3.new_bucket()
    url = urlsplit(s3.storage_url(bucket))
    assert (url.scheme, url.netloc) == ("s3", bucket)
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query == {
        "endpoint": s3.endpoint_url,
        "region": "us-east-1",
        "access_key": s3.access_key,
        "secret_key": s3.secret_key,
    }
