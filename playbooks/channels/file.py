"""A notification outbox: each message appended as one JSON line to a local file.

For networks where nothing may call out (the extranet's isolated segments hand files to the
OA system or a 通报 terminal that picks them up) and for demo mode, where messages must be
visible without reaching anyone. One ``os.write`` of a whole line to a file opened with
``O_APPEND``: concurrent sends never interleave, and a reader never sees half a message.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from playbooks.channels.base import ChannelBase, ChannelConfig, Delivery, Message

__all__ = ["FileChannel", "FileConfig"]

# A full disk or a failing device may recover; a wrong path or permission will not.
_RETRYABLE = frozenset({errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EAGAIN, errno.EINTR})


class FileConfig(ChannelConfig):
    """``path`` (absolute) receives one JSON object per message and line."""

    kind: Literal["file"] = "file"
    path: Path = Field(description="absolute path of the outbox file (NDJSON); its directory is created")

    @field_validator("path")
    @classmethod
    def _absolute(cls, path: Path) -> Path:
        if not path.is_absolute():
            raise ValueError(f"must be an absolute path, got {str(path)!r}")
        return path


class FileChannel(ChannelBase[FileConfig]):
    """Appends every message to ``path`` as ``{"@timestamp", "channel", "title", "text", …}``."""

    config_model = FileConfig

    def send(self, message: Message) -> Delivery:
        record = {
            "@timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "channel": self.id,
            "title": message.title,
            "text": message.text,
            "link": message.link,
            "severity": message.severity,
            "recipients": list(message.recipients),
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        path = self.config.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                written = os.write(fd, line)
                while written < len(line):  # a regular file takes it whole; be safe anyway
                    written += os.write(fd, line[written:])
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise self.error(
                f"cannot append to {path}: {exc.strerror or exc}", retryable=exc.errno in _RETRYABLE
            ) from None
        detail = {"path": str(path), "bytes": len(line)}
        return Delivery(channel=self.id, kind=self.kind, ok=True, detail=detail)
