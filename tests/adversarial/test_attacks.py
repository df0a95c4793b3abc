"""Attack catalogue: the SSRF guard, credentials across origins, and hostile file inputs.

Every URL trick below must be refused (BlockedAddressError, a config error) before any byte is
sent; a loopback "victim" server proves it by receiving nothing. Credentials of every auth type
must never reach another origin, whether by a redirect, a next URL or a Link header. Files handed
to the CLI that are not what they should be fail with a message that quotes none of their content.
"""

from __future__ import annotations

import json

import httpx
import pytest

from restsync.cli.main import main as cli
from restsync.clock import FakeClock
from restsync.connector import RestApiConnector
from restsync.errors import BlockedAddressError, ConfigError, RestSyncError
from restsync.http import HttpClient
from servers.base import ApiServer, RecordedRequest, Reply


class Victim(ApiServer):
    """What an attacker wants reached: any request it records is a failed guard."""

    def handle(self, request: RecordedRequest) -> Reply:
        return Reply(json={"items": [{"id": 1, "title": "internal secret"}]})


@pytest.fixture
def victim(serve) -> Victim:
    return serve(Victim())


def literal_tricks(port: int) -> list[str]:
    """127.0.0.1 (and friends) spelled every way a URL parser or resolver may accept."""
    return [
        f"http://127.0.0.1:{port}/", f"http://2130706433:{port}/", f"http://0x7f000001:{port}/",
        f"http://0177.0.0.1:{port}/", f"http://0x7f.0.0.1:{port}/", f"http://127.1:{port}/",
        f"http://017700000001:{port}/", f"http://[::ffff:127.0.0.1]:{port}/", f"http://[::ffff:7f00:1]:{port}/",
        f"http://[::1]:{port}/", f"http://0.0.0.0:{port}/", f"http://localhost:{port}/",
        f"http://localhost.:{port}/", f"http://LOCALHOST:{port}/", f"http://api.localhost:{port}/",
        f"http://①②⑦.0.0.1:{port}/", f"http://127.0.0.1.:{port}/", f"http://user@127.0.0.1:{port}/",
        f"http://[64:ff9b::7f00:1]:{port}/",  # NAT64 of loopback
        f"http://[2002:7f00:1::]:{port}/",  # 6to4 of loopback
        f"http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:{port}/",  # Teredo
        f"http://[fe80::1]:{port}/", f"http://169.254.169.254:{port}/latest/meta-data/",
        f"http://100.64.0.1:{port}/",  # CGNAT
        f"http://10.0.0.1:{port}/", f"http://192.168.1.1:{port}/", f"http://172.16.0.1:{port}/",
        f"http://[fc00::1]:{port}/", f"http://[::ffff:169.254.169.254]:{port}/", f"http://224.0.0.1:{port}/",
        "file:///etc/passwd", f"gopher://127.0.0.1:{port}/", f"ftp://127.0.0.1:{port}/",
    ]


NAMES = {  # a public-looking name whose DNS answers point inside
    "loopback.attacker.test": ["127.0.0.1"],
    "metadata.attacker.test": ["169.254.169.254"],
    "mixed.attacker.test": ["93.184.216.34", "127.0.0.1"],
    "mapped.attacker.test": ["::ffff:127.0.0.1"],
    "nat64.attacker.test": ["64:ff9b::a9fe:a9fe"],
    "cgnat.attacker.test": ["100.100.100.100"],
    "linklocal6.attacker.test": ["fe80::abcd"],
    "ula.attacker.test": ["fd12:3456::1"],
}


def resolver(host: str) -> list[str]:
    if host in NAMES:
        return NAMES[host]
    if host == "public.example":
        return ["93.184.216.34"]
    raise OSError(f"unknown host {host}")


def walk(config: dict, **kwargs) -> None:
    connector = RestApiConnector(config, clock=FakeClock(), resolver=resolver, **kwargs)
    try:
        for _ in connector.load_from_state():
            pass
    finally:
        connector.close()


def test_every_literal_address_trick_is_refused_before_a_byte_is_sent(victim, figures):
    tricks = literal_tricks(int(victim.base_url.rsplit(":", 1)[1]))
    refused = 0
    for url in tricks:
        with pytest.raises(ConfigError):  # BlockedAddressError, or a URL the client refuses to parse
            walk({"url": url, "items_path": "$.items"})
        refused += 1
    figures.add("ssrf: tricks refused / tried", tried=len(tricks), refused=refused)
    assert victim.requests == []


@pytest.mark.parametrize("name", sorted(NAMES))
def test_names_resolving_inside_are_refused(name, figures):
    with pytest.raises(BlockedAddressError):
        HttpClient(resolver=resolver).check_url(f"https://{name}/api")
    figures.add("ssrf: tricks refused / tried", tried=1, refused=1)


def test_rebinding_cannot_move_a_checked_host_inside():
    answers = {"rebind.attacker.test": ["93.184.216.34"]}
    hosts: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        answers["rebind.attacker.test"] = ["127.0.0.1"]  # the next lookup would answer loopback
        page = int(request.url.params.get("page", "1"))
        return httpx.Response(200, json={"items": [{"id": page}] if page < 4 else []})

    connector = RestApiConnector(
        {"url": "https://rebind.attacker.test/items", "pagination_type": "page", "items_path": "$.items",
         "pagination_config": {"page_param": "page"}, "concurrency": 1, "content_fields": ["id"]},
        clock=FakeClock(), resolver=lambda host: answers[host], transport=httpx.MockTransport(answer))
    for _ in connector.load_from_state():
        pass
    assert hosts and set(hosts) == {"93.184.216.34"}  # pinned: every request went to the checked address


@pytest.mark.parametrize("where", ["token_url", "detail_url", "next_url", "link_header", "redirect"])
def test_second_hand_urls_are_guarded_too(victim, where):
    """URLs the API or the config hands over later (token endpoint, detail pages, next links,
    redirects) pass the same guard as the configured one."""
    inside = victim.url("/steal")

    def answer(request: httpx.Request) -> httpx.Response:
        if where == "redirect":
            return httpx.Response(302, headers={"Location": inside})
        if request.url.path == "/token":
            return httpx.Response(200, json={"access_token": "t0k3n-value", "expires_in": 3600})
        headers = {"Link": f'<{inside}>; rel="next"'} if where == "link_header" else {}
        return httpx.Response(200, json={"items": [{"id": 1, "title": "x"}], "next": inside}, headers=headers)

    config = {"url": "https://public.example/items", "items_path": "$.items", "id_field": "id",
              "content_fields": ["title"]}
    if where == "token_url":
        config |= {"auth_type": "oauth2_client_credentials",
                   "auth_config": {"token_url": inside, "client_id": "abc"},
                   "credentials": {"client_secret": "s3cret-value"}}
    elif where == "detail_url":
        config |= {"detail_url": victim.url("/items/{id}")}
    elif where == "next_url":
        config |= {"pagination_type": "next_url", "pagination_config": {"next_url_path": "$.next"}}
    elif where == "link_header":
        config |= {"pagination_type": "link_header"}
    # The mock answers public.example; a request to the victim would need the real network.
    transport = _SplitTransport(httpx.MockTransport(answer))
    with pytest.raises(BlockedAddressError):
        walk(config, transport=transport)
    assert victim.requests == [] and transport.inside == []


class _SplitTransport(httpx.BaseTransport):
    """Answers public hosts from a mock; records (and refuses) anything else that got through."""

    def __init__(self, public: httpx.BaseTransport):
        self.public = public
        self.inside: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "93.184.216.34":
            return self.public.handle_request(request)
        self.inside.append(str(request.url))
        return httpx.Response(599)


# -- credentials never cross origins ---------------------------------------------------------------

SECRET = "S3cr3t-Value-42"
AUTHS = {
    "bearer": {"auth_type": "bearer", "credentials": {"token": SECRET}},
    "basic": {"auth_type": "basic", "credentials": {"username": "user", "password": SECRET}},
    "api_key_header": {"auth_type": "api_key_header", "auth_config": {"header_name": "X-Api-Key"},
                       "credentials": {"api_key": SECRET}},
    "api_key_query": {"auth_type": "api_key_query", "auth_config": {"param_name": "key"},
                      "credentials": {"api_key": SECRET}},
    "header_in_headers": {"headers": {"Authorization": f"Token {SECRET}"}},
}


class Origin(ApiServer):
    """Origin A: lists one page, then hands the walk to origin B by a next URL, Link header or redirect."""

    def __init__(self, how: str):
        super().__init__()
        self.how = how
        self.other = ""

    def handle(self, request: RecordedRequest) -> Reply:
        if self.how == "redirect" and request.path == "/items":
            return Reply(302, headers={"Location": self.other + "/items"})
        following = self.other + "/more"
        headers = {"Link": f'<{following}>; rel="next"'} if self.how == "link_header" else {}
        return Reply(json={"items": [{"id": 1, "title": "one"}], "next": following}, headers=headers)


class Elsewhere(ApiServer):
    def handle(self, request: RecordedRequest) -> Reply:
        return Reply(json={"items": [{"id": 2, "title": "two"}], "next": None})


@pytest.mark.parametrize("auth", sorted(AUTHS))
@pytest.mark.parametrize("how", ["redirect", "next_url", "link_header"])
def test_credentials_never_reach_another_origin(serve, figures, auth, how):
    a, b = serve(Origin(how)), serve(Elsewhere())
    a.other = b.base_url  # same host, another port: another origin
    config = {"url": a.url("/items"), "items_path": "$.items", "id_field": "id", "content_fields": ["title"],
              **AUTHS[auth]}
    if how == "next_url":
        config |= {"pagination_type": "next_url", "pagination_config": {"next_url_path": "$.next"}}
    elif how == "link_header":
        config |= {"pagination_type": "link_header"}
    connector = RestApiConnector(config, allow_private=True, clock=FakeClock())
    try:
        for _ in connector.load_from_state():
            pass
    except RestSyncError:
        pass  # refusing to follow is as good as following without the credentials
    finally:
        connector.close()
    leaked = [r for r in b.requests if SECRET in json.dumps([r.target, r.headers, r.raw_body.decode("latin-1")])
              or "authorization" in r.headers or "x-api-key" in r.headers]
    figures.add("credentials: cross-origin hops / leaks", hops=len(b.requests), leaked=len(leaked))
    assert not leaked
    assert any(SECRET in json.dumps([r.target, r.headers]) or "authorization" in r.headers
               for r in a.requests)  # the origin itself did get them: the test can fail


# -- hostile file inputs ---------------------------------------------------------------------------

LINE = "root:x:0:0:TOPSECRET-LINE:/root:/bin/bash"


@pytest.fixture
def files(tmp_path):
    passwd = tmp_path / "passwd"
    passwd.write_text(LINE + "\n")
    junk = tmp_path / "junk.yaml"
    junk.write_bytes(b"\x00\xff\xfe TOPSECRET-LINE \x89PNG\r\n")
    directory = tmp_path / "a-directory"
    directory.mkdir()
    config = tmp_path / "source.yaml"
    config.write_text("url: https://public.example/items\ncontent_fields: [title]\n")
    return {"passwd": passwd, "junk": junk, "dir": directory, "config": config, "tmp": tmp_path}


def cases(f) -> list[list[str]]:
    traversal = str(f["tmp"] / "x" / ".." / ".." / f["tmp"].name / "passwd")
    return [
        ["check", str(f["passwd"])], ["check", str(f["junk"])], ["check", str(f["dir"])],
        ["check", traversal], ["check", str(f["tmp"] / "missing.yaml")],
        ["check", str(f["config"]), "--credentials", str(f["passwd"])],
        ["check", str(f["config"]), "--credentials", str(f["junk"])],
        ["check", str(f["config"]), "--credentials", str(f["dir"])],
        ["check", str(f["config"]), "--credentials", traversal],
        ["fetch", str(f["config"]), "--out", str(f["dir"])],
        ["fetch", str(f["config"]), "--out", str(f["passwd"] / "child.jsonl")],
        ["sync", str(f["config"]), "--kb", str(f["passwd"])],
        ["sync", str(f["config"]), "--kb", str(f["junk"])],
        ["search", "x", "--kb", str(f["passwd"])],
        ["search", "x", "--kb", str(f["dir"])],
        ["status", "--kb", str(f["passwd"])],
        ["status", "--kb", str(f["tmp"] / "missing-kb")],
    ]


def test_hostile_file_inputs_fail_clearly_quoting_nothing(files, capsys, figures):
    failures = []
    all_cases = cases(files)
    for argv in all_cases:
        status = cli(argv)
        out, err = capsys.readouterr()
        problems = []
        if status == 0:
            problems.append("exit 0")
        if "Traceback" in err or "internal error" in err:
            problems.append("traceback / internal error")
        if "TOPSECRET-LINE" in out + err:
            problems.append("file content echoed")
        if not (out + err).strip():
            problems.append("no message")
        if problems:
            failures.append((argv[0], argv[-1].replace(str(files["tmp"]), "TMP"), problems))
    figures.add("file inputs: hostile cases / failures", cases=len(all_cases), failures=len(failures))
    assert files["passwd"].read_text() == LINE + "\n"  # nothing was written over
    assert not failures, failures
