"""Files of :class:`FakeTelegramAPI`: uploads, file ids, getFile paths and downloads."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Any

from tests.fakes.base import Args
from tests.fakes.telegram_wire import Upload, media_json

FOLDERS = {"photo": ("photos", "jpg"), "document": ("documents", "bin"),
           "voice": ("voice", "oga"), "video": ("videos", "mp4"), "audio": ("music", "mp3"),
           "animation": ("animations", "mp4"), "sticker": ("stickers", "webp"),
           "video_note": ("video_notes", "mp4")}


class MediaError(Exception):
    """The request names a file the Bot API would not accept (text after "Bad Request: ")."""


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    content: bytes
    file_path: str
    declared_size: int | None = None

    @property
    def size(self) -> int:
        return self.declared_size if self.declared_size is not None else len(self.content)

    def to_json(self) -> Args:
        return {"file_id": self.file_id, "file_unique_id": self.unique_id,
                "file_size": self.size, "file_path": self.file_path}


class FileStore:
    """Every file the fake knows, by id and by download path."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.uploads: list[Args] = []
        self._counter = 0

    def add(self, file_id: str, content: bytes, file_path: str, *,
            declared_size: int | None = None, unique_id: str | None = None) -> Args:
        stored = StoredFile(file_id, unique_id or f"U{file_id}", content, file_path,
                            declared_size)
        self.by_id[file_id] = stored
        return stored.to_json()

    def get(self, file_id: str) -> StoredFile | None:
        return self.by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        return next((f for f in self.by_id.values() if f.file_path == path), None)

    def learn(self, message: Args) -> None:
        """Know the file ids of an inbound message, so re-sending them by id works."""
        for kind, (folder, ext) in FOLDERS.items():
            found = message.get(kind)
            for item in found if isinstance(found, list) else [found]:
                if isinstance(item, dict) and item.get("file_id") not in self.by_id:
                    self._counter += 1
                    self.add(item["file_id"], b"", f"{folder}/file_{self._counter}.{ext}",
                             declared_size=item.get("file_size"),
                             unique_id=item.get("file_unique_id"))

    def media(self, kind: str, value: Any, files: dict[str, Upload], args: Args) -> Any:
        """Resolve the ``kind`` argument (attach://, file_id or URL) into its API object."""
        upload: Upload | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://"):])
        elif value is None:
            upload = files.get(kind)
        elif str(value).startswith(("http://", "https://")):
            # The fake never fetches: no traffic may leave the machine.
            raise MediaError("failed to get HTTP URL content")
        if upload is None and (value is None or str(value).startswith("attach://")):
            raise MediaError(f"there is no {kind} in the request")
        if upload is not None:
            stored = self._store_upload(kind, upload)
            filename, mime = upload.filename, _mime(upload)
        else:
            known = self.get(str(value))
            if known is None:
                raise MediaError("wrong file identifier/HTTP URL specified")
            stored, filename, mime = known, None, None
        return media_json(kind, file_id=stored.file_id, unique_id=stored.unique_id,
                          size=stored.size, filename=filename, mime=mime, args=args)

    def _store_upload(self, kind: str, upload: Upload) -> StoredFile:
        self._counter += 1
        folder, ext = FOLDERS.get(kind, ("documents", "bin"))
        file_id = f"BQAC{kind[:2].upper()}{self._counter:06d}"
        if "." in upload.filename:
            ext = upload.filename.rpartition(".")[2]
        path = f"{folder}/file_{self._counter}.{ext}"
        self.add(file_id, upload.content, path, unique_id=f"AgAD{self._counter:06d}")
        self.uploads.append({**upload.describe(), "kind": kind, "file_id": file_id,
                             "content": upload.content})
        return self.by_id[file_id]


def _mime(upload: Upload) -> str:
    guessed = mimetypes.guess_type(upload.filename)[0]
    return guessed or upload.content_type or "application/octet-stream"
