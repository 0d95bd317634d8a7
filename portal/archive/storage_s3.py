"""S3 backend (boto3): SeaweedFS in tests, MinIO or Ceph RGW in production."""

from collections.abc import Iterable, Iterator

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from portal.archive.storage import CHUNK, ObjectNotFound, as_chunks, check_key

PART = 8 * 1024 * 1024  # multipart part size; objects below it go in one PUT


class S3Storage:
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
                max_pool_connections=32,
                retries={"max_attempts": 3, "mode": "standard"},
                # Video bytes are checksummed by the portal itself (SHA-256 at ingest).
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def _key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, data: bytes | Iterable[bytes]) -> int:
        """One PUT when the object fits a part; a multipart upload otherwise, aborted on any failure."""
        full = self._key(key)
        buffer = bytearray()
        chunks = as_chunks(data)
        for chunk in chunks:
            buffer += chunk
            if len(buffer) >= PART:
                return self._multipart(full, buffer, chunks)
        self.client.put_object(Bucket=self.bucket, Key=full, Body=bytes(buffer))
        return len(buffer)

    def _multipart(self, full: str, buffer: bytearray, rest: Iterator[bytes]) -> int:
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=full)
        upload_id, parts, size = upload["UploadId"], [], 0
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
        body = self._get_object(key)["Body"]
        try:
            return body.read()
        finally:
            body.close()

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


def _stream(body) -> Iterator[bytes]:  # noqa: ANN001 - botocore StreamingBody
    try:
        yield from body.iter_chunks(CHUNK)
    finally:
        body.close()
