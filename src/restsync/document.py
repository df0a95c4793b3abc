"""The document contract: what every walk yields and `fetch` writes as JSON lines."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

SOURCE_NAME = "rest_api"


@dataclass(slots=True)
class Document:
    id: str
    semantic_identifier: str
    content: str
    metadata: dict[str, Any] = field(default_factory=dict)
    doc_updated_at: datetime | None = None
    link: str | None = None
    source: str = SOURCE_NAME

    # RAGFlow's Document carries its text as a .txt blob; kept for configs and code ported from it.
    extension = ".txt"

    @property
    def blob(self) -> bytes:
        return self.content.encode("utf-8")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "semantic_identifier": self.semantic_identifier,
            "content": self.content,
            "metadata": self.metadata,
            "doc_updated_at": format_utc(self.doc_updated_at),
            "link": self.link,
            "source": self.source,
        }


def format_utc(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a Z suffix, the one timestamp format restsync writes."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
