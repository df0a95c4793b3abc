"""`restsync suggest -u USER:PASSWORD`: basic auth as curl takes it; the config keeps placeholders only."""

from __future__ import annotations

import base64

import yaml

from restsync.cli.main import main
from restsync.config import load_config
from servers.base import ApiServer, RecordedRequest, Reply, json_error

USER, PASSWORD = "reporter@example.com", "pa55:word-never-written"


class BasicOnlyServer(ApiServer):
    def __init__(self, user: str, password: str):
        super().__init__()
        self.expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def handle(self, request: RecordedRequest) -> Reply:
        if request.headers.get("authorization") != self.expected:
            return json_error(401, {"error": "unauthorized"})
        return Reply(json={"tickets": [{"id": n, "subject": f"Ticket {n}", "updated_at": "2024-05-01T10:00:00Z",
                                        "description": "The printer on floor two jams on every job. " * 3}
                                       for n in range(1, 6)]})


def test_user_flag_authenticates_like_curl_and_writes_placeholders(serve, tmp_path, capsys):
    server = serve(BasicOnlyServer(USER, PASSWORD))
    target = tmp_path / "tickets.yaml"
    assert main(["suggest", server.url("/api/v2/tickets"), "-u", f"{USER}:{PASSWORD}", "-o", str(target),
                 "--allow-private"]) == 0
    text = target.read_text(encoding="utf-8")
    err = capsys.readouterr().err
    encoded = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    for secret in (PASSWORD, encoded):
        assert secret not in text and secret not in err
    config = yaml.safe_load(text)
    assert config["auth_type"] == "basic"
    username, password = config["credentials"]["username"], config["credentials"]["password"]
    assert username.startswith("${") and password.startswith("${")
    assert config["items_path"] == "$.tickets" and config["title_field"] == "subject"
    env = {username[2:-1]: USER, password[2:-1]: PASSWORD}
    loaded = load_config(target, env=env)
    assert loaded.credentials == {"username": USER, "password": PASSWORD}


def test_an_empty_password_is_allowed_and_a_missing_colon_is_a_usage_error(serve, capsys):
    server = serve(BasicOnlyServer("sk_test_123", ""))
    assert main(["suggest", server.url("/v1/tickets"), "-u", "sk_test_123:", "--allow-private"]) == 0
    assert "auth_type: basic" in capsys.readouterr().out
    assert main(["suggest", server.url("/v1/tickets"), "-u", "sk_test_123", "--allow-private"]) == 2
    assert "-u: expected USER:PASSWORD" in capsys.readouterr().err
    assert len(server.requests) == 1
