"""Content hashes: what decides that a document changed or a chunk's embedding can be reused."""

from __future__ import annotations

import json

import xxhash

from restsync.document import Document
from restsync.timestamps import format_utc


def document_hash(document: Document) -> str:
    """Everything stored about a document: any difference means its chunks are rebuilt."""
    payload = json.dumps(
        [document.semantic_identifier, document.content, document.link, format_utc(document.doc_updated_at), document.metadata],
        sort_keys=True,
        default=str,
        ensure_ascii=False,
    )
    return xxhash.xxh3_128_hexdigest(payload.encode("utf-8"))


def text_hash(text: str) -> str:
    return xxhash.xxh3_128_hexdigest(text.encode("utf-8"))
