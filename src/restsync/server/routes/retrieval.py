"""`POST /api/v1/retrieval`: RAGFlow's body and response over one or several datasets."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from restsync.server.models import Envelope, RetrievalOut, RetrievalRequest
from restsync.server.routes.common import AUTHED, authed_service, errors, ok
from restsync.service import Service

router = APIRouter(prefix="/api/v1", tags=["retrieval"], responses=AUTHED)


@router.post("/retrieval", response_model=Envelope[RetrievalOut], responses=errors(400, 404, 422))
def retrieval(body: RetrievalRequest, service: Service = Depends(authed_service)) -> dict:
    """Search `dataset_ids` (all when empty) with RAGFlow's parameters and metadata_condition."""
    return ok(service.search.retrieval(body.model_dump()))
