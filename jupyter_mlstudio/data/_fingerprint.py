"""Content fingerprints of datasets: the same files and definition give the same hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from jupyter_mlstudio.data.datapath import ResolvedFile

_CHUNK = 8 * 1024 * 1024


def file_digest(file: ResolvedFile) -> str:
    """sha256 of a local file at disk speed; object stores' own checksums where they have one
    (reading every byte of a remote file to hash it would cost a download)."""
    fs = file.fs
    if getattr(fs, "protocol", None) in ("file", ("file", "local")) or type(fs).__name__ == (
        "LocalFileSystem"
    ):
        with open(file.path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    info = fs.info(file.path)
    tag = info.get("ETag") or info.get("etag") or info.get("md5") or info.get("checksum")
    if tag:
        return f"{info.get('size')}:{str(tag).strip(chr(34))}"
    digest = hashlib.sha256()
    with fs.open(file.path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint(definition: dict[str, Any], files: Sequence[ResolvedFile]) -> str:
    """One hash over the definition and every file's path, size and content."""
    digest = hashlib.sha256(json.dumps(definition, sort_keys=True, default=str).encode())
    for file in files:
        digest.update(f"\0{file.relative}\0{file_digest(file)}".encode())
    return digest.hexdigest()
