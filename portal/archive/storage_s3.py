"""S3 backend (boto3): SeaweedFS in tests, MinIO or Ceph RGW in production.

Whole-object reads (``read``, what clips, playlists' objects and snapshots use) and single-part writes
(``put``, every ingested segment) take a lean path when the endpoint and static keys are known: a SigV4-signed
request (botocore's signer) over a shared urllib3 pool. boto3's per-call machinery (events, validation,
response parsing) costs ~2 ms of CPU per call, which under the GIL is most of a clip's time (one hour = 600
reads) and a large share of a segment's ingest; signing plus the request costs well under half that. A PUT
whose SHA-256 the caller already knows (ingest checked it) signs that digest instead of hashing the body again.
Everything else, and calls without static keys (instance/env credentials), go through boto3.
"""

import asyncio
from collections.abc import Iterable, Iterator
from urllib.parse import quote

import boto3
import urllib3
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from portal.archive.s3_async import AsyncS3Reader, ReadSession, Unframed
from portal.archive.storage import CHUNK, AsyncReads, ObjectNotFound, as_chunks, check_key, check_range_read

PART = 8 * 1024 * 1024  # multipart part size; objects below it go in one PUT
POOL = 32  # connections per store (boto3's and the read path's): clip read-ahead runs up to 16 reads at once


class S3Storage:
    whole_reads = True  # SeaweedFS spent ~30 % more CPU serving mid-object ranges than plain GETs of the same bytes
    reads_in_flight = 16  # an hour from SeaweedFS: ~1.14 s at 8, ~1.05 s at 12-16 (docs/downloads.md)

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint: str | None = None,
        region: str = "us-east-1",
        access_key: str | None = None,
        secret_key: str | None = None,
        url: str = "",
    ) -> None:
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.url = url or f"s3://{bucket}"
        self.client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": "path"},
                max_pool_connections=POOL,
                retries={"max_attempts": 3, "mode": "standard"},
                # Video bytes are checksummed by the portal itself (SHA-256 at ingest).
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

        self._reader = _SignedReader(endpoint, region, access_key, secret_key) if endpoint and access_key else None
        self.async_reads: AsyncReads | None = _AsyncReads(self, self._reader) if self._reader is not None else None

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes | Iterable[bytes], sha256: str | None = None) -> int:
        """One PUT when the object fits a part; a multipart upload otherwise, aborted on any failure."""
        full = self._key(key)
        if isinstance(data, bytes) and len(data) < PART:
            body = data
        else:
            buffer = bytearray()
            chunks = as_chunks(data)
            for chunk in chunks:
                buffer += chunk
                if len(buffer) >= PART:
                    return self._multipart(full, buffer, chunks)
            body, sha256 = bytes(buffer), None  # the digest named the bytes given, not necessarily these
        if self._reader is not None:
            self._reader.put(self.bucket, full, body, sha256)
        else:
            self.client.put_object(Bucket=self.bucket, Key=full, Body=body)
        return len(body)

    def _multipart(self, full: str, buffer: bytearray, rest: Iterator[bytes]) -> int:
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=full)
        upload_id, size = upload["UploadId"], 0
        parts: list[dict[str, object]] = []
        try:
            for chunk in [b"", *rest]:  # the leading b"" flushes the first full buffer
                buffer += chunk
                while len(buffer) >= PART:
                    size += self._part(full, upload_id, parts, bytes(buffer[:PART]))
                    del buffer[:PART]
            if buffer:
                size += self._part(full, upload_id, parts, bytes(buffer))
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=full, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)
            raise
        return size

    def _part(self, full: str, upload_id: str, parts: list[dict], body: bytes) -> int:
        number = len(parts) + 1
        answer = self.client.upload_part(Bucket=self.bucket, Key=full, UploadId=upload_id, PartNumber=number, Body=body)
        parts.append({"ETag": answer["ETag"], "PartNumber": number})
        return len(body)

    def _get_object(self, key: str) -> dict:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise ObjectNotFound(key) from None
            raise

    def get(self, key: str) -> Iterator[bytes]:
        body = self._get_object(key)["Body"]
        return _stream(body)

    def read(self, key: str) -> bytes:
        if self._reader is not None:
            return self._reader.get(self.bucket, self._key(key), key)
        body = self._get_object(key)["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def read_range(self, key: str, offset: int, length: int) -> bytes:
        if length <= 0:
            return b""
        byte_range = f"bytes={offset}-{offset + length - 1}"
        if self._reader is not None:
            data = self._reader.get(self.bucket, self._key(key), key, byte_range)
        else:
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key), Range=byte_range)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    raise ObjectNotFound(key) from None
                raise
            with answer["Body"] as body:
                data = body.read()
        check_range_read(key, len(data), offset, length)
        return data

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self._key(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def delete(self, keys: Iterable[str]) -> int:
        batch: list[dict] = []
        count = 0
        for key in keys:
            batch.append({"Key": self._key(key)})
            if len(batch) == 1000:  # the S3 limit per DeleteObjects call
                count += self._delete_batch(batch)
                batch = []
        if batch:
            count += self._delete_batch(batch)
        return count

    def _delete_batch(self, batch: list[dict]) -> int:
        answer = self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True})
        errors = [e for e in answer.get("Errors", []) if e.get("Code") != "NoSuchKey"]
        if errors:
            raise OSError(f"S3 delete failed for {len(errors)} object(s): {errors[0]}")
        return len(batch)

    def list(self, prefix: str) -> Iterator[str]:
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :]


class _AsyncReads:
    """Reads on the event loop (portal/archive/s3_async.py), one session per download."""

    def __init__(self, storage: S3Storage, signed: "_SignedReader") -> None:
        self._storage = storage
        bucket = storage.bucket
        self._reader = AsyncS3Reader(signed.endpoint, lambda full, ranged: signed.signed_get(bucket, full, ranged))

    def session(self) -> "_AsyncSession":
        return _AsyncSession(self._storage, self._reader.session())


class _AsyncSession:
    """``read``/``read_range`` of one download; an answer the loop reader cannot frame is read again on a thread."""

    def __init__(self, storage: S3Storage, session: ReadSession) -> None:
        self._storage = storage
        self._session = session

    async def read(self, key: str) -> bytes | memoryview:
        try:
            return await self._session.get(self._storage._key(key), key)
        except Unframed:
            return await asyncio.to_thread(self._storage.read, key)

    async def read_range(self, key: str, offset: int, length: int) -> bytes | memoryview:
        if length <= 0:
            return b""
        try:
            data = await self._session.get(self._storage._key(key), key, f"bytes={offset}-{offset + length - 1}")
        except Unframed:
            return await asyncio.to_thread(self._storage.read_range, key, offset, length)
        check_range_read(key, len(data), offset, length)
        return data

    def close(self) -> None:
        self._session.close()


class _KnownDigestSigner(S3SigV4Auth):
    """SigV4 that takes the payload's SHA-256 from the request's context when the caller knows it: the store
    still verifies the body against the signed digest, but the portal does not hash the same bytes twice."""

    def payload(self, request) -> str:
        known = request.context.get("sha256")
        return known if known else super().payload(request)


class _SignedReader:
    """GET of one whole object, PUT of one small one: SigV4 headers from botocore's signer, sent over a urllib3
    connection pool."""

    def __init__(self, endpoint: str, region: str, access_key: str, secret_key: str | None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.signer = _KnownDigestSigner(Credentials(access_key, secret_key or ""), "s3", region)
        # Same retry policy as the boto3 client ("standard", 3 attempts): connection errors and 5xx.
        retries = urllib3.Retry(total=2, backoff_factor=0.1, status_forcelist=(500, 502, 503, 504))
        self.http = urllib3.PoolManager(maxsize=POOL, retries=retries, timeout=urllib3.Timeout(connect=10, read=60))

    def signed_get(self, bucket: str, full_key: str, byte_range: str | None = None) -> tuple[str, dict[str, str]]:
        """URL and SigV4 headers of a GET of the object, or of ``byte_range`` ("bytes=a-b") of it; valid 15
        minutes, so retries may resend the same headers."""
        request = AWSRequest(method="GET", url=f"{self.endpoint}/{bucket}/{quote(full_key, safe='/-_.~')}")
        if byte_range:
            request.headers["Range"] = byte_range
        self.signer.add_auth(request)
        return request.url, dict(request.headers.items())

    def get(self, bucket: str, full_key: str, key: str, byte_range: str | None = None) -> bytes:
        """The object, or ``byte_range`` ("bytes=a-b") of it."""
        url, headers = self.signed_get(bucket, full_key, byte_range)
        answer = self.http.request("GET", url, headers=headers)
        if answer.status == 200 or (byte_range and answer.status == 206):
            return answer.data
        if answer.status == 404:
            raise ObjectNotFound(key)
        raise OSError(f"S3 GET {full_key}: HTTP {answer.status} {answer.data[:200]!r}")

    def put(self, bucket: str, full_key: str, body: bytes, sha256: str | None) -> None:
        """Store ``body`` under the key (S3 PUTs are atomic); OSError naming the status when refused."""
        request = AWSRequest(method="PUT", url=f"{self.endpoint}/{bucket}/{quote(full_key, safe='/-_.~')}", data=body)
        request.headers["Content-Length"] = str(len(body))
        request.headers["Content-Type"] = "binary/octet-stream"
        if sha256:
            request.context["sha256"] = sha256
        self.signer.add_auth(request)
        answer = self.http.request("PUT", request.url, body=body, headers=dict(request.headers.items()))
        if answer.status != 200:
            raise OSError(f"S3 PUT {full_key}: HTTP {answer.status} {answer.data[:200]!r}")


def _stream(body) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
