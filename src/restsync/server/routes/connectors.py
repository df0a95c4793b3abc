"""Connectors (data sources): CRUD, test, preview, sync now, cancel, progress, run history,
RAGFlow config import, and `suggest` (a config from one response)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query

from restsync.server.models import (
    CheckReportOut, ConnectorCreate, ConnectorList, ConnectorOut, ConnectorStatus, ConnectorUpdate, Envelope,
    ImportResult, PreviewOptions, PreviewOut, PreviewRequest, Progress, RunList, RunOut, SuggestOut, SuggestRequest,
    SyncRequest, TestRequest,
)
from restsync.server.routes.common import AUTHED, Paging, authed_service, errors, ok
from restsync.service import Service

router = APIRouter(prefix="/api/v1", tags=["connectors"], responses=AUTHED)


# Unsaved configs first: `/connectors/rest_api/...` must not be read as a connector id.
@router.post("/connectors/rest_api/test", response_model=Envelope[CheckReportOut], responses=errors(400, 404, 422))
def test_unsaved(body: TestRequest, service: Service = Depends(authed_service)) -> dict:
    """`restsync check` on a config from a form ("***" values come from `connector_id`, if given)."""
    return ok(service.test_unsaved(body.config, body.connector_id))


@router.post("/connectors/rest_api/preview", response_model=Envelope[PreviewOut], responses=errors(400, 404, 422))
def preview_unsaved(body: PreviewRequest, service: Service = Depends(authed_service)) -> dict:
    return ok(service.preview_unsaved(body.config, connector_id=body.connector_id, limit=body.limit, pages=body.pages))


@router.post("/connectors/rest_api/import", response_model=Envelope[ImportResult], responses=errors(400, 422))
def import_ragflow(body: dict[str, Any] = Body(...), service: Service = Depends(authed_service)) -> dict:
    """A RAGFlow connector record (or its bare config) as this API's create body."""
    return ok(service.import_ragflow(body))


@router.post("/connectors", response_model=Envelope[ConnectorOut], responses=errors(400, 404, 422))
def create_connector(body: ConnectorCreate, service: Service = Depends(authed_service)) -> dict:
    return ok(service.create_connector(body.model_dump()))


@router.get("/connectors", response_model=Envelope[ConnectorList], responses=errors(404, 422))
def list_connectors(paging: Paging = Depends(), dataset_id: str | None = Query(None, max_length=64),
                    service: Service = Depends(authed_service)) -> dict:
    return ok(service.connectors_of_dataset(dataset_id, paging.offset, paging.limit))


@router.get("/connectors/{connector_id}", response_model=Envelope[ConnectorOut], responses=errors(404))
def get_connector(connector_id: str, service: Service = Depends(authed_service)) -> dict:
    return ok(service.connector_view(service.connectors.get(connector_id)))


@router.put("/connectors/{connector_id}", response_model=Envelope[ConnectorOut], responses=errors(400, 404, 409, 422))
def update_connector(connector_id: str, body: ConnectorUpdate, service: Service = Depends(authed_service)) -> dict:
    """Change any field; a config value sent back as "***" keeps the stored secret."""
    return ok(service.update_connector(connector_id, body.model_dump(exclude_unset=True)))


@router.patch("/connectors/{connector_id}", response_model=Envelope[ConnectorOut], responses=errors(400, 404, 422))
def set_status(connector_id: str, body: ConnectorStatus, service: Service = Depends(authed_service)) -> dict:
    """`SCHEDULE` resumes scheduled syncs; `CANCEL` pauses them and cancels a running sync."""
    return ok(service.set_connector_status(connector_id, body.status))


@router.delete("/connectors/{connector_id}", response_model=Envelope[bool], responses=errors(404, 409))
def delete_connector(connector_id: str, service: Service = Depends(authed_service)) -> dict:
    service.delete_connector(connector_id)
    return ok(True)


@router.post("/connectors/{connector_id}/sync", response_model=Envelope[RunOut], responses=errors(400, 404, 409, 422))
def sync_now(connector_id: str, body: SyncRequest | None = None, service: Service = Depends(authed_service)) -> dict:
    """Start a sync (`full: true` for a full re-listing). 409 while one is queued or running."""
    return ok(service.syncs.start(connector_id, full=bool(body and body.full), trigger="manual"))


@router.post("/connectors/{connector_id}/cancel", response_model=Envelope[RunOut], responses=errors(404, 409))
def cancel_sync(connector_id: str, service: Service = Depends(authed_service)) -> dict:
    service.connectors.get(connector_id)
    return ok(service.syncs.cancel(connector_id))


@router.get("/connectors/{connector_id}/progress", response_model=Envelope[Progress], responses=errors(404))
def progress(connector_id: str, service: Service = Depends(authed_service)) -> dict:
    """The running run's live counts (poll it), else the last run."""
    service.connectors.get(connector_id)
    return ok(service.syncs.progress(connector_id))


@router.get("/connectors/{connector_id}/logs", response_model=Envelope[RunList], responses=errors(404, 422))
def logs(connector_id: str, paging: Paging = Depends(), service: Service = Depends(authed_service)) -> dict:
    service.connectors.get(connector_id)
    runs, total = service.syncs.logs(connector_id, paging.offset, paging.limit)
    return ok({"logs": runs, "total": total})


@router.post("/connectors/{connector_id}/test", response_model=Envelope[CheckReportOut], responses=errors(400, 404))
def test_saved(connector_id: str, service: Service = Depends(authed_service)) -> dict:
    return ok(service.test_saved(connector_id))


@router.post("/connectors/{connector_id}/preview", response_model=Envelope[PreviewOut],
             responses=errors(400, 404, 422))
def preview_saved(connector_id: str, body: PreviewOptions | None = None,
                  service: Service = Depends(authed_service)) -> dict:
    options = body or PreviewOptions()
    return ok(service.preview_saved(connector_id, limit=options.limit, pages=options.pages))


@router.post("/suggest", response_model=Envelope[SuggestOut], tags=["connectors"], responses=errors(400, 422))
def suggest(body: SuggestRequest, service: Service = Depends(authed_service)) -> dict:
    """`restsync suggest`: fetch one response and propose a config (secrets become `${ENV}` names)."""
    from restsync.suggest import suggest_config

    suggestion = suggest_config(body.url, method=body.method, headers=body.headers, body=body.body,
                                allow_private=service.allow_private_for(None))
    return ok({"config": suggestion.config, "notes": suggestion.notes, "warnings": suggestion.warnings,
               "yaml": suggestion.to_yaml()})
