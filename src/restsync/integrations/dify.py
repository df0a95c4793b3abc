"""Dify's External Knowledge API: `POST {endpoint}/retrieval`, mounted at `/api/v1/dify`.

In Dify: Knowledge -> External Knowledge API -> endpoint `http://HOST:PORT/api/v1/dify`, API key
a restsync token; then connect an external knowledge base with a restsync knowledge base id.

The contract, as Dify calls it:
- `Authorization: Bearer KEY`. A missing or malformed header answers 403 with error 1001, a
  wrong key 403 with error 1002. Both 403: Dify's registration check only rejects 403, 404 and
  502, so any other status would let a wrong key register.
- Dify's registration probe is a POST with the key and no body: it answers 400 (never 404).
- Body: `knowledge_id`, `query`, `retrieval_setting {top_k, score_threshold}`, optional
  `metadata_condition` (null or `{logical_operator, conditions[]}`; see `conditions.py`).
- `{"records": [{"content", "score", "title", "metadata"}]}`, best first, `metadata` always an
  object holding `document_id`, `chunk_id`, `link`, `knowledge_id`, `source` and the item's own
  metadata fields. An unknown knowledge base is 404 with error 2001.

Scores are restsync's fused scores, already in 0..1:
`(1 - w) * keyword + w * max(cosine, 0)`, where keyword is the chunk's BM25 relative to the best
candidate times the share of query terms it contains, cosine the embedding similarity and `w`
the knowledge base's vector weight. `score_threshold` keeps records scoring at least that.
"""

from __future__ import annotations

import json
from typing import Any, Callable

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from restsync.errors import ConfigError, RestSyncError
from restsync.integrations.backend import SearchBackend, UnknownKnowledgeBaseError
from restsync.integrations.conditions import plan_conditions

__all__ = ["dify_router", "DEFAULT_TOP_K", "MAX_TOP_K"]

DEFAULT_TOP_K = 5
MAX_TOP_K = 100

BAD_HEADER = 1001
BAD_KEY = 1002
UNKNOWN_KNOWLEDGE = 2001


class DifyErrorOut(BaseModel):
    """Dify's error body."""

    error_code: int
    error_msg: str


# The statuses Dify's contract names, as the schema declares them.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": DifyErrorOut, "description": "a field is missing or invalid (named in error_msg)"},
    403: {"model": DifyErrorOut, "description": "a missing or malformed Authorization header (1001), "
                                                "a wrong key (1002)"},
    404: {"model": DifyErrorOut, "description": "no such knowledge base (2001)"},
    500: {"model": DifyErrorOut, "description": "the search failed"},
}


class DifyError(Exception):
    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> JSONResponse:
        return JSONResponse({"error_code": self.code, "error_msg": self.message}, status_code=self.status)


def dify_router(backend: SearchBackend, verify_token: Callable[[str], bool]) -> APIRouter:
    """The router to include with prefix `/api/v1/dify`."""
    router = APIRouter(tags=["dify"])

    @router.post("/retrieval", summary="Dify External Knowledge API retrieval", responses=ERROR_RESPONSES)
    async def retrieval(request: Request) -> JSONResponse:
        try:
            await _authorize(request, verify_token)
            body = _parse(await request.body())
            records = await run_in_threadpool(_retrieve, backend, body)
        except DifyError as exc:
            return exc.response()
        return JSONResponse({"records": records})

    return router


async def _authorize(request: Request, verify_token: Callable[[str], bool]) -> None:
    scheme, _, key = (request.headers.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise DifyError(403, BAD_HEADER, "Invalid Authorization header format. Expected 'Bearer <api-key>' format.")
    if not await run_in_threadpool(verify_token, key.strip()):
        raise DifyError(403, BAD_KEY, "Authorization failed")


def _parse(raw: bytes) -> dict[str, Any]:
    """The request fields, validated; every error names the field (HTTP 400)."""
    if not raw.strip():
        raise DifyError(400, 400, "request body: a JSON object with knowledge_id, query and retrieval_setting "
                                  "is required")
    try:
        body = json.loads(raw)
    except ValueError:
        raise DifyError(400, 400, "request body: not valid JSON") from None
    if not isinstance(body, dict):
        raise DifyError(400, 400, "request body: must be a JSON object")
    knowledge_id = body.get("knowledge_id")
    if not isinstance(knowledge_id, str) or not knowledge_id.strip():
        raise DifyError(400, 400, "knowledge_id: a knowledge base id (string) is required")
    query = body.get("query")
    if not isinstance(query, str):
        raise DifyError(400, 400, "query: a string is required")
    setting = body.get("retrieval_setting")
    if setting is None:
        setting = {}
    if not isinstance(setting, dict):
        raise DifyError(400, 400, "retrieval_setting: must be an object with top_k and score_threshold")
    top_k = setting.get("top_k")
    if top_k is None:
        top_k = DEFAULT_TOP_K
    if isinstance(top_k, bool) or not isinstance(top_k, (int, float)) or top_k != int(top_k) or top_k < 1:
        raise DifyError(400, 400, "retrieval_setting.top_k: must be a positive integer")
    threshold = setting.get("score_threshold")
    if threshold is None:
        threshold = 0.0
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0.0 <= threshold <= 1.0:
        raise DifyError(400, 400, "retrieval_setting.score_threshold: must be a number between 0 and 1")
    try:
        plan = plan_conditions(body.get("metadata_condition"))
    except ConfigError as exc:
        raise DifyError(400, 400, str(exc)) from None
    return {"knowledge_id": knowledge_id.strip(), "query": query, "top_k": min(int(top_k), MAX_TOP_K),
            "threshold": float(threshold), "plan": plan}


def _retrieve(backend: SearchBackend, body: dict[str, Any]) -> list[dict[str, Any]]:
    plan = body["plan"]
    top_k = body["top_k"]
    knowledge_id = body["knowledge_id"]
    try:
        hits = backend.search(body["query"], kb_ids=[knowledge_id], filters=list(plan.filters),
                              k=plan.candidates(top_k))
    except UnknownKnowledgeBaseError:
        raise DifyError(404, UNKNOWN_KNOWLEDGE, "The knowledge does not exist") from None
    except ConfigError as exc:
        raise DifyError(400, 400, f"metadata_condition: {' '.join(str(exc).split())}") from None
    except RestSyncError as exc:
        raise DifyError(500, 500, " ".join(str(exc).split())) from None
    records = []
    for hit in hits:
        score = min(max(float(hit.get("score") or 0.0), 0.0), 1.0)
        metadata = dict(hit.get("metadata") or {})
        if score < body["threshold"] or not plan.keeps(metadata):
            continue
        metadata.update({
            "document_id": hit.get("document_id"),
            "chunk_id": hit.get("chunk_id"),
            "link": hit.get("link"),
            "knowledge_id": hit.get("kb_id") or knowledge_id,
            "source": hit.get("source"),
        })
        records.append({"content": hit.get("text") or "", "score": score, "title": hit.get("title") or "",
                        "metadata": metadata})
        if len(records) == top_k:
            break
    return records
