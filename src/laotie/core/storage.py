"""Where uploaded files live. Local disk by default; an object store can implement the same protocol."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Protocol


class FileStorage(Protocol):
    def put(self, folder: str, suffix: str, data: bytes) -> str:
        """Store ``data`` and return its key."""

    def read(self, key: str) -> bytes: ...

    def path(self, key: str) -> Path | None:
        """A local path when the storage has one (for efficient serving)."""

    def delete(self, key: str) -> None: ...


class LocalDiskStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _resolve(self, key: str) -> Path:
        target = (self.root / key).resolve()
        if self.root not in target.parents:
            raise ValueError("storage key escapes the storage root")
        return target

    def put(self, folder: str, suffix: str, data: bytes) -> str:
        key = f"{folder}/{secrets.token_hex(16)}{suffix}"
        target = self._resolve(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return key

    def read(self, key: str) -> bytes:
        return self._resolve(key).read_bytes()

    def path(self, key: str) -> Path | None:
        target = self._resolve(key)
        return target if target.exists() else None

    def delete(self, key: str) -> None:
        self._resolve(key).unlink(missing_ok=True)
