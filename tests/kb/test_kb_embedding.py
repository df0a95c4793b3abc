"""The OpenAI-compatible embedder against a loopback server speaking the embeddings format,
and the embedding cache (chunk content hash) seen from the server's side."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from restsync.clock import FakeClock
from restsync.document import Document
from restsync.errors import AuthError, BlockedAddressError, ConfigError, InvalidResponseError, RateLimitExhaustedError
from restsync.kb import KBSettings, KnowledgeBase, OpenAIEmbedder, build_embedder
from restsync.kb.embedding import HashingEmbedder


class EmbeddingsServer:
    """Answers POST /v1/embeddings like OpenAI, in reverse order (clients must use `index`).
    `script` is a list of (status, body-or-None, headers) answered before normal service."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.script: list[tuple[int, object, dict]] = []
        reference = HashingEmbedder(8)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
                if outer.script:
                    status, payload, headers = outer.script.pop(0)
                else:
                    vectors = reference.embed(body["input"]) * 3.0  # unnormalised on purpose
                    data = [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)]
                    status, payload, headers = 200, {"object": "list", "data": data[::-1], "model": body["model"]}, {}
                raw = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.reference = reference

    def texts_embedded(self) -> int:
        return sum(len(request["body"]["input"]) for request in self.requests)


@pytest.fixture
def server():
    running = EmbeddingsServer()
    running.thread.start()
    yield running
    running.server.shutdown()
    running.server.server_close()


def test_batches_keep_order_normalise_and_send_the_key(server):
    clock = FakeClock()
    embedder = OpenAIEmbedder(server.url, "text-embedding-3-small", "sk-test", batch_size=2, clock=clock, allow_private=True)
    texts = ["one fish", "two fish", "red fish", "blue fish", "old fish"]
    vectors = embedder.embed(texts)
    assert vectors.shape == (5, 8) and vectors.dtype == np.float32
    np.testing.assert_allclose(vectors, server.reference.embed(texts), atol=1e-6)  # order by index, unit length
    assert [len(r["body"]["input"]) for r in server.requests] == [2, 2, 1]
    assert {r["path"] for r in server.requests} == {"/v1/embeddings"}
    assert {r["auth"] for r in server.requests} == {"Bearer sk-test"}
    assert server.requests[0]["body"]["model"] == "text-embedding-3-small"
    assert embedder.name == "openai:text-embedding-3-small"
    embedder.close()


def test_rate_limits_and_server_errors_are_retried_on_the_clock(server):
    clock = FakeClock()
    server.script = [(429, {"error": "slow down"}, {"Retry-After": "3"}), (503, {"error": "busy"}, {})]
    embedder = OpenAIEmbedder(server.url + "/embeddings", "m", clock=clock, allow_private=True)
    assert embedder.embed(["hello"]).shape == (1, 8)
    assert clock.sleeps == [3.0, 1.0]  # Retry-After honoured, then exponential backoff
    embedder.close()


def test_persistent_rate_limiting_becomes_a_named_error(server):
    server.script = [(429, {}, {})] * 3
    embedder = OpenAIEmbedder(server.url, "m", max_retries=2, clock=FakeClock(), allow_private=True)
    with pytest.raises(RateLimitExhaustedError, match=r"POST http://127\.0\.0\.1:\d+/v1/embeddings"):
        embedder.embed(["x"])


def test_refused_key_and_malformed_answers_are_restsync_errors(server):
    server.script = [(401, {"error": "bad key"}, {}), (200, {"data": [{"index": 0}]}, {}), (200, "not json", {})]
    embedder = OpenAIEmbedder(server.url, "m", "sk-wrong", clock=FakeClock(), allow_private=True)
    with pytest.raises(AuthError) as refused:
        embedder.embed(["x"])
    assert "sk-wrong" not in str(refused.value)
    with pytest.raises(InvalidResponseError, match="malformed embedding"):
        embedder.embed(["x"])
    with pytest.raises(InvalidResponseError, match="not valid JSON"):
        embedder.embed(["x"])


def test_bad_embedder_settings_name_the_key():
    with pytest.raises(ConfigError) as error:
        OpenAIEmbedder("ftp://example.test", "m")
    assert error.value.key == "embedding_url"
    with pytest.raises(ConfigError) as error:
        build_embedder("openai:m")
    assert error.value.key == "embedding_url"
    with pytest.raises(ConfigError) as error:
        build_embedder("word2vec")
    assert error.value.key == "embedder"


def test_knowledge_base_embeds_only_chunks_it_has_no_vector_for(server, tmp_path):
    embedder = OpenAIEmbedder(server.url, "m", "sk-test", clock=FakeClock(), allow_private=True)
    kb = KnowledgeBase.open(tmp_path / "kb", embedder=embedder, settings=KBSettings(chunk_tokens=12, chunk_overlap=0))
    paragraphs = [f"Paragraph {n} talks about topic {n}." for n in range(6)]
    original = Document(id="a", semantic_identifier="Guide", content=" ".join(paragraphs))
    counts = kb.upsert_documents("src", [original], run_id=kb.start_run("src", "full"))
    first_total = server.texts_embedded()
    assert counts.chunks_embedded == first_total == kb.count_chunks() > 2
    assert len(server.requests) == 1  # one batched call for the whole document

    edited = Document(id="a", semantic_identifier="Guide", content=" ".join(paragraphs[:-1] + ["A brand new ending."]))
    counts = kb.upsert_documents("src", [edited], run_id=kb.start_run("src", "full"))
    assert counts.updated == 1
    assert counts.chunks_embedded == server.texts_embedded() - first_total == 1  # only the changed chunk
    copy = Document(id="b", semantic_identifier="Guide", content=edited.content)
    assert kb.upsert_documents("src", [copy], run_id=1).chunks_embedded == 0  # same text elsewhere: cached
    assert {hit.document_id for hit in kb.search("brand new ending", k=5)} == {"a", "b"}
    kb.close()


# -- the embedding endpoint goes through the guarded HTTP client --------------------------------


def test_a_loopback_endpoint_is_refused_unless_allowed(server):
    embedder = OpenAIEmbedder(server.url, "m", "sk-test", clock=FakeClock())
    with pytest.raises(BlockedAddressError, match="allow_private"):
        embedder.embed(["x"])
    assert server.requests == []  # the key never left


def test_proxy_settings_in_the_environment_are_not_used(server, monkeypatch):
    # A proxy that would receive the bearer key; the guarded client never reads these variables.
    proxy = EmbeddingsServer()
    proxy.thread.start()
    try:
        for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
            monkeypatch.setenv(name, proxy.url.removesuffix("/v1"))
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        embedder = OpenAIEmbedder(server.url, "m", "sk-test", clock=FakeClock(), allow_private=True)
        assert embedder.embed(["x"]).shape == (1, 8)
        assert proxy.requests == [] and len(server.requests) == 1
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()


def test_stored_knowledge_base_settings_do_not_reach_loopback_without_permission(server, tmp_path, monkeypatch):
    monkeypatch.setenv("RESTSYNC_EMBEDDING_API_KEY", "sk-stored")
    settings = KBSettings(embedder="openai:m", embedding_url=server.url)
    KnowledgeBase.open(tmp_path / "kb", settings=settings).close()
    kb = KnowledgeBase.open(tmp_path / "kb")  # settings come from the knowledge base itself
    with pytest.raises(BlockedAddressError):
        kb.embedder.embed(["x"])
    kb.close()
    assert server.requests == []
    allowed = KnowledgeBase.open(tmp_path / "kb", allow_private=True)
    assert allowed.embedder.embed(["x"]).shape == (1, 8)
    allowed.close()
    assert server.requests[0]["auth"] == "Bearer sk-stored"


def test_the_embedding_url_is_validated_like_a_source_url():
    with pytest.raises(ConfigError) as error:
        OpenAIEmbedder("http://0177.0.0.1/v1", "m")
    assert error.value.key == "embedding_url"
