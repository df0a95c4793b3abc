"""Request and response bodies of the JSON API (pydantic), RAGFlow's field names first.

Requests ignore unknown fields (RAGFlow clients send UI extras such as `avatar`); every value is
typed and bounded so a bad request is a 422 naming its field before any work is done.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Loose(BaseModel):
    """A response object whose full shape is documented in docs/http-api.md."""

    model_config = ConfigDict(extra="allow")


class Envelope(BaseModel, Generic[T]):
    code: int = 0
    message: str = ""
    data: T


class ErrorOut(BaseModel):
    """Every error's body: RAGFlow's envelope with the HTTP status as `code`."""

    code: int = Field(description="the HTTP status")
    message: str = Field(description="one line naming the field or the request at fault")
    data: None = None


# -- auth and tokens -------------------------------------------------------------------------------


class LoginRequest(Request):
    token: str = Field(min_length=1, max_length=200)


class Me(BaseModel):
    token_id: str
    name: str
    via: Literal["bearer", "session"]
    csrf_token: str | None = None


class TokenCreate(Request):
    name: str = Field(min_length=1, max_length=200)


class TokenOut(BaseModel):
    id: str
    name: str
    prefix: str
    create_time: float
    last_used_time: float | None = None
    revoked_at: float | None = None
    token: str | None = Field(default=None, description="the token itself: only in the response that creates it")


# -- datasets ----------------------------------------------------------------------------------------


class ParserConfig(Request):
    chunk_token_num: int | None = Field(default=None, ge=8, le=8192)
    chunk_overlap: int | None = Field(default=None, ge=0, le=4096)


class DatasetCreate(Request):
    name: str = Field(min_length=1, max_length=128)
    description: str = Field(default="", max_length=65535)
    embedding_model: str | None = Field(default=None, max_length=200)
    embedding_url: str | None = Field(default=None, max_length=2000)
    parser_config: ParserConfig | None = None
    vector_similarity_weight: float | None = Field(default=None, ge=0, le=1)


class ConnectorLink(Request):
    id: str = Field(min_length=1, max_length=64)


class DatasetUpdate(Request):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    description: str | None = Field(default=None, max_length=65535)
    embedding_model: str | None = Field(default=None, max_length=200)
    embedding_url: str | None = Field(default=None, max_length=2000)
    parser_config: ParserConfig | None = None
    vector_similarity_weight: float | None = Field(default=None, ge=0, le=1)
    connectors: list[ConnectorLink] | None = None


class DatasetDelete(Request):
    ids: list[str] = Field(min_length=1, max_length=1000)


class ConnectorRef(BaseModel):
    id: str
    name: str


class DatasetOut(BaseModel):
    id: str
    name: str
    description: str
    embedding_model: str
    embedding_url: str | None = None
    chunk_method: str
    parser_config: dict[str, Any]
    vector_similarity_weight: float
    document_count: int
    chunk_count: int
    connectors: list[ConnectorRef]
    create_time: float
    update_time: float


class DocumentOut(BaseModel):
    id: str
    name: str
    dataset_id: str
    connector_id: str
    link: str | None = None
    meta_fields: dict[str, Any]
    update_time: str | None = None
    chunk_count: int
    run: str
    content: str | None = None


class DocumentList(BaseModel):
    docs: list[DocumentOut]
    total: int


class ChunkOut(BaseModel):
    id: str
    content: str
    document_id: str
    dataset_id: str
    position: int


class ChunkList(BaseModel):
    chunks: list[ChunkOut]
    doc: DocumentOut
    total: int


# -- connectors and runs -------------------------------------------------------------------------


class ConnectorCreate(Request):
    name: str = Field(min_length=1, max_length=128)
    source: Literal["rest_api"] = "rest_api"
    config: dict[str, Any]
    refresh_freq: int | None = Field(default=None, ge=0, le=525600, description="minutes; 0 or null: no schedule")
    prune_freq: int | None = Field(default=None, ge=0, le=525600, description="minutes; 0 or null: never")
    timeout_secs: int | None = Field(default=None, ge=1, le=7 * 86400)
    dataset_id: str | None = Field(default=None, max_length=64)


class ConnectorUpdate(Request):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    source: Literal["rest_api"] | None = None
    config: dict[str, Any] | None = None
    refresh_freq: int | None = Field(default=None, ge=0, le=525600)
    prune_freq: int | None = Field(default=None, ge=0, le=525600)
    timeout_secs: int | None = Field(default=None, ge=1, le=7 * 86400)
    dataset_id: str | None = Field(default=None, max_length=64)


class ConnectorStatus(Request):
    status: Literal["SCHEDULE", "CANCEL"]


class SyncRequest(Request):
    full: bool = False


class RunOut(Loose):
    id: int
    connector_id: str
    dataset_id: str
    mode: str
    trigger: str
    status: str


class ConnectorOut(BaseModel):
    id: str
    name: str
    source: str
    config: dict[str, Any]
    refresh_freq: int
    prune_freq: int
    timeout_secs: int
    status: str
    dataset_id: str | None
    last_sync: RunOut | None
    running_run_id: int | None
    next_refresh_time: float | None
    next_prune_time: float | None
    create_time: float
    update_time: float


class ConnectorList(BaseModel):
    connectors: list[ConnectorOut]
    total: int


class Progress(BaseModel):
    running: bool
    run: RunOut | None


class RunList(BaseModel):
    logs: list[RunOut]
    total: int


class TestRequest(Request):
    source: Literal["rest_api"] = "rest_api"
    config: dict[str, Any]
    connector_id: str | None = Field(default=None, max_length=64,
                                     description="fill '***' values from this saved connector")


class PreviewOptions(Request):
    limit: int = Field(default=5, ge=0, le=50)
    pages: int = Field(default=1, ge=1, le=5)


class PreviewRequest(TestRequest):
    limit: int = Field(default=5, ge=0, le=50)
    pages: int = Field(default=1, ge=1, le=5)


class CheckReportOut(Loose):
    ok: bool
    problems: list[str]
    warnings: list[str]


class PreviewOut(CheckReportOut):
    documents: list[dict[str, Any]]
    pages: list[dict[str, Any]]


class ImportResult(BaseModel):
    connector: dict[str, Any]
    warnings: list[str]


class SuggestRequest(Request):
    url: str = Field(min_length=1, max_length=4000)
    method: Literal["GET", "POST"] = "GET"
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None


class SuggestOut(BaseModel):
    config: dict[str, Any]
    notes: dict[str, str]
    warnings: list[str]
    yaml: str


# -- retrieval ---------------------------------------------------------------------------------------


class Condition(Request):
    name: str = Field(min_length=1, max_length=500)
    comparison_operator: str = Field(default="is", max_length=20)
    value: Any = None


class MetadataCondition(Request):
    logic: str = "and"
    conditions: list[Condition] = Field(default_factory=list, max_length=50)


class RetrievalRequest(Request):
    question: str = Field(min_length=1, max_length=10000)
    dataset_ids: list[str] | None = Field(default=None, max_length=1000)
    document_ids: list[str] | None = Field(default=None, max_length=10000)
    page: int = Field(default=1, ge=1, le=10000)
    page_size: int = Field(default=30, ge=1, le=1000)
    similarity_threshold: float = Field(default=0.0, ge=0, le=1)
    vector_similarity_weight: float | None = Field(default=None, ge=0, le=1)
    top_k: int = Field(default=1024, ge=1, le=10000)
    keyword: bool = False
    highlight: bool = False
    metadata_condition: MetadataCondition | None = None


class RetrievedChunk(BaseModel):
    id: str
    content: str
    document_id: str
    document_keyword: str
    dataset_id: str
    highlight: str | None
    similarity: float
    term_similarity: float | None
    vector_similarity: float | None
    title: str
    link: str | None
    metadata: dict[str, Any]
    connector_id: str


class DocAggregate(BaseModel):
    doc_id: str
    doc_name: str
    count: int


class RetrievalOut(BaseModel):
    chunks: list[RetrievedChunk]
    doc_aggs: list[DocAggregate]
    total: int


# -- settings and health -------------------------------------------------------------------------------


class SettingsOut(BaseModel):
    allow_private: bool
    max_concurrent_syncs: int
    version: str


class SettingsUpdate(Request):
    allow_private: bool | None = None
    max_concurrent_syncs: int | None = Field(default=None, ge=1, le=64)


class Health(BaseModel):
    status: str
    version: str
