"""The server under attack: every route refuses requests without a token or with a revoked one;
schemathesis fuzzes the OpenAPI schema (no 5xx, responses match their schemas); and a server
killed with SIGKILL in the middle of a sync resumes, after a restart, to the very knowledge base an
uninterrupted sync builds."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

import httpx  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from restsync.server import create_app  # noqa: E402
from restsync.service import Service, ServiceSettings  # noqa: E402

from server.api import HelpApi, ragflow_config  # noqa: E402
from .conftest import runs  # noqa: E402
from .test_crash_resume import snapshot  # noqa: E402

OPEN_PATHS = {"/healthz", "/api/v1/auth/login"}
WAIT_S = 60  # real time: bounds a broken test, never waited out by a passing one


@pytest.fixture
def settings(tmp_path: Path) -> ServiceSettings:
    # No loopback for connectors: a fuzzed URL must not reach anything on this machine.
    return ServiceSettings(data_dir=tmp_path / "data", allow_private=False, scheduler=False,
                           env={"RESTSYNC_SECRET_KEY": ""})


def concrete(path: str) -> str:
    """A path template with every `{param}` filled by a plausible unknown id."""
    parts = []
    for part in path.split("/"):
        parts.append("0123456789abcdef" if part.startswith("{") else part)
    return "/".join(parts)


def test_every_route_refuses_requests_without_or_with_a_revoked_token(settings, figures):
    app = create_app(settings)
    _, admin = app.state.service.tokens.create("admin")
    with TestClient(app) as client:
        created = client.post("/api/v1/tokens", json={"name": "soon revoked"},
                              headers={"Authorization": f"Bearer {admin}"}).json()["data"]
        revoked = created["token"]
        assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {revoked}"}).status_code == 200
        assert client.delete(f"/api/v1/tokens/{created['id']}",
                             headers={"Authorization": f"Bearer {admin}"}).status_code == 200
        schema = client.get("/openapi.json").json()
        attempts, wrong, undeclared = 0, [], set()
        credentials = {"none": {}, "revoked": {"Authorization": f"Bearer {revoked}"},
                       "made up": {"Authorization": "Bearer rs-" + "A" * 43},
                       "malformed": {"Authorization": "Bearer"}, "basic": {"Authorization": "Basic YTpi"}}
        for path, operations in schema["paths"].items():
            if path in OPEN_PATHS:
                continue
            for method in operations:
                for kind, headers in credentials.items():
                    response = client.request(method.upper(), concrete(path), headers=headers, json={})
                    attempts += 1
                    # Dify's contract answers a missing header with 403 too.
                    expected = {401} if kind == "none" and not path.startswith("/api/v1/dify") else {401, 403}
                    if response.status_code not in expected or "Traceback" in response.text:
                        wrong.append((method.upper(), path, kind, response.status_code))
                    if str(response.status_code) not in operations[method]["responses"]:
                        undeclared.add(f"{method.upper()} {path} {response.status_code}")
        # Mounted apps, outside the schema, answer in their own protocols' terms (Dify: 403 for a
        # missing header too): refused is what counts.
        for path in ("/mcp", "/mcp/", "/api/v1/dify/retrieval"):
            for kind in ("none", "revoked"):
                response = client.post(path, headers=credentials[kind], json={})
                attempts += 1
                if response.status_code not in (401, 403):
                    wrong.append(("POST", path, kind, response.status_code))
    figures.add("server: unauthenticated requests answered / refused", tried=attempts, not_refused=len(wrong))
    assert attempts > 50
    assert not wrong, wrong
    assert not undeclared, sorted(undeclared)  # the schema lists the refusals each operation answers with


def test_the_openapi_schema_holds_under_fuzzing(settings, figures):
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given
    from hypothesis import settings as hypothesis_settings

    app = create_app(settings)
    _, token = app.state.service.tokens.create("admin")
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    # Operations that reach out to the network (URLs from the fuzzer) or start syncs are left out:
    # the guard refuses private targets, and a public one is not reachable from a test.
    schema = schema.exclude(path_regex=r"(/test|/preview|/suggest|/sync)$")
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

    checks = [not_a_server_error, response_schema_conformance, content_type_conformance]
    documented = app.openapi()["paths"]
    failures: set[str] = set()
    undocumented: set[str] = set()  # statuses answered that the schema does not list for the operation
    calls = [0]
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=runs(6, 60), deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(HealthCheck))
        def fuzz(case):
            calls[0] += 1
            try:
                # A dataset the fuzzer created with the default model loads it on the first search (seconds).
                response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=checks,
                                                  timeout=120)
            except BaseException as error:  # noqa: BLE001 - schemathesis raises exception groups
                failures.add(f"{case.method} {case.path}: {' '.join(str(error).split())[:400]}")
                return
            listed = documented.get(case.path, {}).get(case.method.lower(), {}).get("responses", {})
            if str(response.status_code) not in listed and "default" not in listed:
                undocumented.add(f"{case.method} {case.path} {response.status_code}")

        fuzz()
    figures.add("server: schemathesis operations / calls / failing operations", operations=len(operations),
                calls=calls[0], failing=len(failures), undocumented_statuses=len(undocumented))
    assert calls[0] > 0
    assert not failures, sorted(failures)[:20]
    assert not undocumented, sorted(undocumented)


# -- kill -9 the server mid-sync ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerProcess:
    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> "ServerProcess":
        self.process = subprocess.Popen(
            [sys.executable, "-m", "restsync", "serve", "--data-dir", str(self.data_dir), "--port", str(self.port),
             "--allow-private", "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "RESTSYNC_SECRET_KEY": ""})
        deadline = time.monotonic() + WAIT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.stderr.read().decode()[-2000:]
            try:
                if httpx.get(self.url("/healthz"), timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)  # polling a real process's start, not simulating time
        raise AssertionError("the server did not start")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(WAIT_S)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()


def make_token(data_dir: Path) -> str:
    service = Service.open(ServiceSettings(data_dir=data_dir, allow_private=True, scheduler=False,
                                           env={"RESTSYNC_SECRET_KEY": ""}))
    try:
        return service.tokens.create("adversarial")[1]
    finally:
        service.close()


def wait_until_idle(server: ServerProcess, headers: dict, connector_id: str) -> dict:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        progress = httpx.get(server.url(f"/api/v1/connectors/{connector_id}/progress"), headers=headers).json()["data"]
        if not progress["running"]:
            return progress["run"]
        time.sleep(0.1)  # polling a real server
    raise AssertionError("the sync did not finish")


def synced_kb(tmp_path: Path, api: HelpApi, name: str, *, kill_on_page: int | None) -> tuple[dict, list[str]]:
    data_dir = tmp_path / name
    headers = {"Authorization": f"Bearer {make_token(data_dir)}"}
    server = ServerProcess(data_dir).start()
    try:
        dataset = httpx.post(server.url("/api/v1/datasets"), headers=headers,
                             json={"name": "kb", "embedding_model": "hashing",
                                   "parser_config": {"chunk_token_num": 64}}).json()["data"]
        config = {**ragflow_config(api.base_url), "source_id": "help"}
        if kill_on_page is not None:
            api.hold_page, api.release, api.held = kill_on_page, type(api.release)(), type(api.held)()
        connector = httpx.post(server.url("/api/v1/connectors"), headers=headers,
                               json={"name": "help", "config": config, "dataset_id": dataset["id"]}).json()["data"]
        if kill_on_page is not None:
            assert api.held.wait(WAIT_S), "the sync never reached the page to be killed on"
            server.kill()  # mid-sync: pages before it stored, this one in flight
            api.hold_page = None
            api.release.set()
            server.start()
        wait_until_idle(server, headers, connector["id"])
        logs = httpx.get(server.url(f"/api/v1/connectors/{connector['id']}/logs"), headers=headers).json()["data"]
        statuses = [f"{run['trigger']}:{run['status']}" for run in logs["logs"]]
        kb_dir = data_dir / "datasets" / dataset["id"]
    finally:
        server.stop()
    state = snapshot(kb_dir)
    state["documents"] = [row[1:] for row in state["documents"]]  # the source is named by the connector's id
    state.pop("state")
    return state, statuses


def test_a_server_killed_mid_sync_resumes_to_the_same_knowledge_base(tmp_path, serve, figures):
    api = serve(HelpApi())
    expected, statuses = synced_kb(tmp_path, api, "reference", kill_on_page=None)
    assert statuses == ["link:success"] and len(expected["documents"]) == 60
    differing = 0
    for page in range(2, 2 + runs(1, 4)):
        state, statuses = synced_kb(tmp_path, api, f"killed-{page}", kill_on_page=page)
        diffs = [key for key in expected if expected[key] != state[key]]
        differing += bool(diffs)
        figures.add("server: kill -9 mid-sync, differing KBs / runs", runs=1, differing=int(bool(diffs)))
        assert statuses[0] == "resume:success" and "interrupted" in statuses[-1], statuses
        assert not diffs, f"killed on page {page}: differs in {diffs}"


# -- path traversal into the server's files ------------------------------------------------------

TRAVERSALS = [
    "../app.py", "..%2fapp.py", "%2e%2e/app.py", "%2e%2e%2fapp.py", "..%5capp.py", "....//app.py",
    "../../../../../../etc/passwd", "%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "..%252fapp.py", "/etc/passwd", "%2fetc%2fpasswd", "app.css/../../router.py", "vendor/../../router.py",
    "app.css%00.js", "..", ".", "",
]


def test_no_path_reaches_a_file_outside_the_ui_static_folder(settings, figures):
    app = create_app(settings)
    _, token = app.state.service.tokens.create("admin")
    leaked = []
    with TestClient(app) as client:
        assert client.get("/ui/static/app.css").status_code == 200  # the route serves: the test can fail
        for trick in TRAVERSALS:
            for prefix in ("/ui/static/", "/ui/static//", "/api/v1/datasets/"):
                response = client.get(prefix + trick, headers={"Authorization": f"Bearer {token}"})
                text = response.text
                if response.status_code >= 500 or "def create_app" in text or "def _static_file" in text \
                        or "root:" in text:
                    leaked.append((prefix + trick, response.status_code))
    figures.add("server: traversal paths tried / leaked", tried=len(TRAVERSALS) * 3, leaked=len(leaked))
    assert not leaked, leaked


def test_a_data_dir_that_is_a_file_is_a_named_error(tmp_path, capsys):
    from restsync.cli.main import main as cli

    not_a_dir = tmp_path / "passwd"
    not_a_dir.write_text("root:x:0:0:TOPSECRET-LINE:/root:/bin/bash\n")
    for argv in (["token", "create", "--data-dir", str(not_a_dir)], ["token", "list", "--data-dir", str(not_a_dir)]):
        status = cli(argv)
        out, err = capsys.readouterr()
        assert status != 0 and "Traceback" not in err and "internal error" not in err, (argv, err)
        assert "TOPSECRET" not in out + err
    assert not_a_dir.read_text().startswith("root:x")
