"""Datasets (knowledge bases), their documents and chunks: RAGFlow's paths and bodies."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query

from restsync.server.models import (
    ChunkList, DatasetCreate, DatasetDelete, DatasetOut, DatasetUpdate, DocumentList, DocumentOut, Envelope,
)
from restsync.server.routes.common import AUTHED, Paging, authed_service, errors, ok
from restsync.service import Service

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"], responses=AUTHED)


@router.post("", response_model=Envelope[DatasetOut], responses=errors(400, 409, 422))
def create_dataset(body: DatasetCreate, service: Service = Depends(authed_service)) -> dict:
    parser = body.parser_config
    return ok(service.create_dataset(
        name=body.name, description=body.description, embedding_model=body.embedding_model,
        embedding_url=body.embedding_url, chunk_token_num=parser.chunk_token_num if parser else None,
        chunk_overlap=parser.chunk_overlap if parser else None,
        vector_similarity_weight=body.vector_similarity_weight,
    ))


@router.get("", response_model=Envelope[list[DatasetOut]], responses=errors(400, 422))
def list_datasets(paging: Paging = Depends(), orderby: Literal["create_time", "update_time", "name"] = "create_time",
                  desc: bool = True, name: str | None = Query(None, max_length=128),
                  id: str | None = Query(None, max_length=64),  # noqa: A002 - RAGFlow's parameter name
                  service: Service = Depends(authed_service)) -> dict:
    rows, _ = service.datasets.list(name=name, ident=id, orderby=orderby, desc=desc,
                                    offset=paging.offset, limit=paging.limit)
    return ok([service.dataset_view(row) for row in rows])


@router.get("/{dataset_id}", response_model=Envelope[DatasetOut], responses=errors(404))
def get_dataset(dataset_id: str, service: Service = Depends(authed_service)) -> dict:
    return ok(service.dataset_view(service.datasets.get(dataset_id)))


@router.put("/{dataset_id}", response_model=Envelope[DatasetOut], responses=errors(400, 404, 409, 422))
def update_dataset(dataset_id: str, body: DatasetUpdate, service: Service = Depends(authed_service)) -> dict:
    """Rename, change settings, or link connectors (`connectors: [{"id": ...}]`, which starts their first sync)."""
    changes = body.model_dump(exclude_unset=True)
    return ok(service.update_dataset(dataset_id, changes))


@router.delete("", response_model=Envelope[dict], responses=errors(404, 409, 422))
def delete_datasets(body: DatasetDelete, service: Service = Depends(authed_service)) -> dict:
    return ok({"deleted": service.delete_datasets(body.ids)})


@router.get("/{dataset_id}/documents", response_model=Envelope[DocumentList], responses=errors(404, 422))
def list_documents(dataset_id: str, paging: Paging = Depends(), keywords: str | None = Query(None, max_length=500),
                   id: str | None = Query(None, max_length=500),  # noqa: A002 - RAGFlow's parameter name
                   connector_id: str | None = Query(None, max_length=64),
                   service: Service = Depends(authed_service)) -> dict:
    return ok(service.documents(dataset_id, offset=paging.offset, limit=paging.limit, keywords=keywords,
                                document_id=id, connector_id=connector_id))


@router.get("/{dataset_id}/documents/{document_id}", response_model=Envelope[DocumentOut], responses=errors(404))
def get_document(dataset_id: str, document_id: str, service: Service = Depends(authed_service)) -> dict:
    view, stored = service.document(dataset_id, document_id)
    return ok({**view, "content": stored.text})


@router.get("/{dataset_id}/documents/{document_id}/chunks", response_model=Envelope[ChunkList],
            responses=errors(404, 422))
def list_chunks(dataset_id: str, document_id: str, paging: Paging = Depends(),
                service: Service = Depends(authed_service)) -> dict:
    view, stored = service.document(dataset_id, document_id)
    kb_id = service.datasets.open(dataset_id).id
    window = list(enumerate(stored.chunks))[paging.offset: paging.offset + paging.limit]
    chunks = [{"id": f"{kb_id}:{stored.source}:{stored.doc_id}#{ordinal}", "content": text,
               "document_id": stored.doc_id, "dataset_id": dataset_id, "position": ordinal}
              for ordinal, text in window]
    return ok({"chunks": chunks, "doc": view, "total": len(stored.chunks)})
