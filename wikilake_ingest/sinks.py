"""Where ingested files go: a raw/ partition in S3 or in a local lake folder.

Both make a file visible under its final name only once it is complete and verified:
S3 through a multipart upload that is completed on success and aborted otherwise (the object
does not exist until CompleteMultipartUpload), a folder through a hidden temporary file renamed
into place. Neither ever holds a whole file in memory: S3 buffers one part.
"""

from __future__ import annotations

import os
from pathlib import Path

import botocore.exceptions

from wikilake_core.errors import WikilakeError
from wikilake_ingest.sources import file_md5

MD5_METADATA_KEY = "md5"  # x-amz-meta-md5: the verified MD5 of the whole object
DEFAULT_PART_BYTES = 8 * 1024 * 1024  # S3 minimum is 5 MiB (except the last part)
MAX_PARTS = 10_000


def _content_type(name: str) -> str:
    return "application/gzip" if name.endswith(".gz") else "application/octet-stream"


class S3Upload:
    """Streams one object: parts of ``part_bytes`` as data arrives; one PutObject if it is small."""

    def __init__(self, s3, bucket: str, key: str, md5: str | None, part_bytes: int):
        self.s3, self.bucket, self.key = s3, bucket, key
        self.part_bytes = part_bytes
        self.extra = {"ContentType": _content_type(key), "Metadata": {MD5_METADATA_KEY: md5} if md5 else {}}
        self.buffer = bytearray()
        self.upload_id: str | None = None
        self.parts: list[dict] = []

    def write(self, data: bytes) -> None:
        self.buffer.extend(data)
        while len(self.buffer) >= self.part_bytes:
            self._send_part(bytes(self.buffer[: self.part_bytes]))
            del self.buffer[: self.part_bytes]

    def _send_part(self, body: bytes) -> None:
        if self.upload_id is None:
            self.upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=self.key, **self.extra)["UploadId"]
        number = len(self.parts) + 1
        if number > MAX_PARTS:
            raise WikilakeError(f"{self.key}: more than {MAX_PARTS} parts; raise --part-size")
        response = self.s3.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, PartNumber=number, Body=body
        )
        checksums = {k: v for k, v in response.items() if k.startswith("Checksum")}
        self.parts.append({"PartNumber": number, "ETag": response["ETag"], **checksums})

    def restart(self) -> None:
        self.abort()

    def commit(self, md5: str) -> None:
        if self.upload_id is None:
            # Small enough for one request, which can carry the MD5 even if it was not known upfront.
            self.extra["Metadata"] = {MD5_METADATA_KEY: md5}
            self.s3.put_object(Bucket=self.bucket, Key=self.key, Body=bytes(self.buffer), **self.extra)
        else:
            if self.buffer:
                self._send_part(bytes(self.buffer))
            self.s3.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self.upload_id, MultipartUpload={"Parts": self.parts}
            )
        self.upload_id = None
        self.buffer.clear()

    def abort(self) -> None:
        if self.upload_id is not None:
            self.s3.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self.upload_id)
        self.upload_id = None
        self.parts.clear()
        self.buffer.clear()


class S3Sink:
    def __init__(self, s3, bucket: str, key_prefix: str, part_bytes: int = DEFAULT_PART_BYTES):
        self.s3, self.bucket = s3, bucket
        self.key_prefix = key_prefix.strip("/")
        self.part_bytes = part_bytes
        self.location = f"s3://{bucket}/{self.key_prefix}/"

    def _key(self, name: str) -> str:
        return f"{self.key_prefix}/{name}"

    def verified_md5(self, name: str) -> str | None:
        """The MD5 recorded when the object was uploaded and verified; None if absent."""
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=self._key(name))
        except botocore.exceptions.ClientError as err:
            if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return head.get("Metadata", {}).get(MD5_METADATA_KEY)

    def open(self, name: str, md5: str | None) -> S3Upload:
        return S3Upload(self.s3, self.bucket, self._key(name), md5, self.part_bytes)


class LocalUpload:
    """Writes ``.<name>.part`` beside the target (hidden, so Spark never reads it) then renames."""

    def __init__(self, path: Path):
        self.path = path
        self.temp = path.with_name(f".{path.name}.part")
        self.handle = open(self.temp, "wb")  # noqa: SIM115 - held across write() calls, closed in finish/abort

    def write(self, data: bytes) -> None:
        self.handle.write(data)

    def restart(self) -> None:
        self.handle.seek(0)
        self.handle.truncate()

    def commit(self, md5: str) -> None:
        self.handle.flush()
        os.fsync(self.handle.fileno())
        self.handle.close()
        os.replace(self.temp, self.path)

    def abort(self) -> None:
        self.handle.close()
        self.temp.unlink(missing_ok=True)


class LocalSink:
    def __init__(self, directory: Path | str):
        self.directory = Path(directory)
        self.location = f"{self.directory}/"

    def verified_md5(self, name: str) -> str | None:
        path = self.directory / name
        return file_md5(path) if path.is_file() else None

    def open(self, name: str, md5: str | None) -> LocalUpload:
        self.directory.mkdir(parents=True, exist_ok=True)
        return LocalUpload(self.directory / name)
