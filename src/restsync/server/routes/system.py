"""Health (no auth) and server settings."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from restsync.server.models import Envelope, Health, SettingsOut, SettingsUpdate
from restsync.server.routes.common import AUTHED, authed_service, errors, ok
from restsync.service import Service
from restsync.service.service import version

router = APIRouter(tags=["system"])


@router.get("/healthz", response_model=Health)
def healthz() -> dict:
    return {"status": "ok", "version": version()}


@router.get("/api/v1/settings", response_model=Envelope[SettingsOut], responses=AUTHED)
def get_settings(service: Service = Depends(authed_service)) -> dict:
    return ok(service.settings_view())


@router.put("/api/v1/settings", response_model=Envelope[SettingsOut], responses=errors(400, 401, 403, 422))
def update_settings(body: SettingsUpdate, service: Service = Depends(authed_service)) -> dict:
    return ok(service.update_settings(body.model_dump(exclude_unset=True)))
