"""`restsync import-ragflow FILE --data-dir DIR [--dataset ID] [--sync]`: RAGFlow's REST API
connectors, as RAGFlow stores them, become connectors of a restsync server's data directory.

FILE is JSON: one connector record (`{"name", "source": "rest_api", "config": {..., "credentials":
{...}}, "refresh_freq", "prune_freq", "timeout_secs"}`), a list of them (an export), RAGFlow's API
envelope around either (`{"code": 0, "data": ...}`), or a bare connector config. Records of other
sources are skipped. The configs go through the same service layer as the server's connector API
(validated, secrets encrypted at rest); the server need not run. A connector whose name already
exists is skipped, so importing twice adds nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Mapping

from restsync.cli.common import DEFAULT_DATA_DIR, add_global_flags, allow_private
from restsync.cli.exit_codes import EXIT_OK
from restsync.cli.output import write_json
from restsync.errors import ConfigError

SYNC_LIMIT_S = 24 * 3600


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "import-ragflow", help="import RAGFlow REST API connectors into a server's data directory",
        description="Reads RAGFlow connector records (one, a list, or RAGFlow's API envelope; or a bare "
                    "config) and creates them as connectors through the server's service layer. --dataset "
                    "links them to a dataset (id or name); --sync also runs their first sync now. "
                    "Needs the server extra.")
    parser.add_argument("file", help="JSON file as RAGFlow stores or exports connectors")
    parser.add_argument("--data-dir", default=DEFAULT_DATA_DIR, metavar="DIR",
                        help="the server's data directory (default ./%(default)s)")
    parser.add_argument("--dataset", metavar="ID", help="link the connectors to this dataset (id or name)")
    parser.add_argument("--sync", action="store_true", help="run each connector's first sync now (needs --dataset)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    add_global_flags(parser, suppress_defaults=True)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.sync and not args.dataset:
        raise ConfigError("--sync needs --dataset: a connector syncs into a dataset", key="--sync")
    records = read_records(Path(args.file))
    try:
        from restsync.service import Service, ServiceSettings
    except ImportError as exc:
        raise ConfigError(f"importing needs the server extra (pip install 'restsync[server]'): {exc}") from None

    # No scheduler and no resuming: this process only adds connectors (and runs --sync ones).
    service = Service(ServiceSettings(data_dir=Path(args.data_dir), allow_private=allow_private(args),
                                      scheduler=False, resume=False))
    try:
        dataset_id = _dataset_id(service, args.dataset) if args.dataset else None
        results = [import_record(service, record, dataset_id) for record in records]
        if args.sync:
            for result in results:
                if result["status"] == "imported":
                    service.syncs.start(result["id"], full=False, trigger="manual")
                    service.syncs.wait_idle(result["id"], timeout=SYNC_LIMIT_S)
                    result["sync"] = service.syncs.last_run(result["id"])
    finally:
        service.close()
    _report(results, args)
    return EXIT_OK


def read_records(path: Path) -> list[dict[str, Any]]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}", key="file") from None
    except ValueError as exc:
        raise ConfigError(f"{path} is not JSON: {exc}", key="file") from None
    if isinstance(raw, Mapping) and "data" in raw and "code" in raw:  # RAGFlow's API envelope
        raw = raw["data"]
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(item, Mapping) for item in items):
        raise ConfigError(f"{path}: expected a connector record, a list of them, or a config object", key="file")
    return [dict(item) for item in items]


def import_record(service: Any, record: dict[str, Any], dataset_id: str | None) -> dict[str, Any]:
    is_record = isinstance(record.get("config"), Mapping)
    source = str(record.get("source") or "rest_api") if is_record else "rest_api"
    name = record.get("name") if is_record else None
    if source != "rest_api":
        return {"name": name, "status": "skipped", "reason": f"source {source!r} is not a REST API connector"}
    preview = service.import_ragflow(record)  # validates; names the config key that is wrong
    body = preview["connector"]
    if service.connectors.find_by_name(body["name"]) is not None:
        return {"name": body["name"], "status": "skipped", "reason": "a connector with this name exists",
                "warnings": preview["warnings"]}
    config = dict(record["config"]) if is_record else dict(record)  # the real secrets, not the masked copy
    row = service.connectors.create(
        name=body["name"], source="rest_api", config=config, refresh_freq=body.get("refresh_freq"),
        prune_freq=body.get("prune_freq"), timeout_secs=body.get("timeout_secs"), dataset_id=dataset_id,
    )
    return {"name": row.name, "status": "imported", "id": row.id, "dataset_id": row.dataset_id,
            "warnings": preview["warnings"]}


def _dataset_id(service: Any, wanted: str) -> str:
    from restsync.service.errors import NotFoundError

    try:
        return service.datasets.get(wanted).id
    except NotFoundError:
        row = service.datasets.find_by_name(wanted)
        if row is not None:
            return row.id
    names = [row.name for row in service.datasets.list(limit=100)[0]]
    raise ConfigError(f"no dataset with id or name {wanted!r}"
                      + (f" (datasets: {', '.join(names)})" if names else " (this data directory has none)"),
                      key="--dataset")


def _report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    if args.json:
        write_json(sys.stdout, results)
        return
    for result in results:
        if result["status"] == "imported":
            where = f" into dataset {result['dataset_id']}" if result["dataset_id"] else " (not linked to a dataset)"
            print(f"imported {result['name']!r} as connector {result['id']}{where}")
            run = result.get("sync")
            if run:
                print(f"  first sync: {run['status']}, {run['documents_new']} new documents"
                      + (f" ({run['error']})" if run.get("error") else ""))
        else:
            print(f"skipped {result['name']!r}: {result['reason']}", file=sys.stderr)
        for warning in result.get("warnings") or ():
            print(f"  warning: {warning}", file=sys.stderr)
