"""The per-item ledger that lets a run resume: one record per finished item, so a rerun redoes nothing done.

An item (a study's step; a subject of a long run) has a key and a *digest*: a fingerprint of what decides its
result. Finishing it writes ``FOLDER/KEY.json`` atomically (its digest, what the caller records, the time it
took); a rerun skips an item whose record has the same digest, and can list the items whose record differs
(their options changed) before doing anything. A record is written only once the item's outputs are complete,
so a kill midway leaves the item unfinished, never half-recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def digest_of(value: Any) -> str:
    """sha256 of a JSON-able value (keys sorted): the fingerprint of what decides an item's result."""
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


class Ledger:
    """The records of finished items in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def record_path(self, key: str) -> Path:
        """The record file of item ``key`` (``/`` in a key becomes ``__``)."""
        return self.folder / (key.replace("/", "__") + ".json")

    def record(self, key: str) -> dict[str, Any] | None:
        """The record of a finished item, or None (also for a damaged record: the item runs again)."""
        try:
            record = json.loads(self.record_path(key).read_text())
        except (OSError, ValueError):
            return None
        return record if isinstance(record, dict) else None

    def is_done(self, key: str, digest: str) -> bool:
        """Whether ``key`` finished with this digest."""
        record = self.record(key)
        return record is not None and record.get("digest") == digest

    def conflicts(self, items: Iterable[tuple[str, str]]) -> list[str]:
        """Keys of the ``(key, digest)`` items that finished with another digest."""
        return [key for key, digest in items if (r := self.record(key)) is not None and r.get("digest") != digest]

    def finish(self, key: str, digest: str, *, seconds: float, details: Mapping[str, Any] | None = None) -> None:
        """Record a finished item (written atomically)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        record = {"key": key, "digest": digest, **(details or {}), "seconds": round(seconds, 3)}
        record["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        temporary = self.record_path(key).with_suffix(f".tmp{os.getpid()}")
        temporary.write_text(json.dumps(record, indent=1, default=str) + "\n")
        os.replace(temporary, self.record_path(key))

    def forget(self, key: str) -> None:
        """Drop an item's record (it runs again)."""
        self.record_path(key).unlink(missing_ok=True)

    def seconds(self, key: str) -> float | None:
        """Wall time of a finished item."""
        record = self.record(key)
        return None if record is None else float(record.get("seconds", 0.0))
