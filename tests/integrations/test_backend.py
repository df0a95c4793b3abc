"""LocalBackend: the seam every integration searches through, over one knowledge-base directory."""

from __future__ import annotations

import subprocess
import sys

import pytest

from restsync.errors import ConfigError
from restsync.integrations import LocalBackend, SearchBackend, UnknownKnowledgeBaseError

from .knowledge import LONG_BODY


def test_lists_the_knowledge_base_with_counts_and_last_sync(small_kb):
    backend = LocalBackend(small_kb)
    assert isinstance(backend, SearchBackend)
    [kb] = backend.list_knowledge_bases()
    assert kb["id"] == backend.id and kb["name"] == "small-kb"
    assert kb["sources"] == ["help"] and kb["documents"] == 4 and kb["chunks"] >= 5
    assert kb["last_sync"].endswith("Z") and kb["last_sync_status"] == "ok"


def test_search_returns_hits_with_citations_and_scores_in_0_1(small_kb):
    backend = LocalBackend(small_kb)
    hits = backend.search("reset two-factor authentication", kb_ids=None, filters=[], k=3)
    top = hits[0]
    assert top["document_id"] == "2fa" and top["title"] == "Reset two-factor authentication"
    assert top["link"] == "https://help.example.com/2fa" and top["kb_id"] == backend.id
    assert top["metadata"]["category"] == "Security" and top["chunk_id"].endswith(":help:2fa#0")
    assert all(0.0 <= hit["score"] <= 1.0 for hit in hits)
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)


def test_search_applies_filters_and_knows_its_ids(small_kb):
    backend = LocalBackend(small_kb)
    hits = backend.search("settings", kb_ids=["small-kb"], filters=["author=Jane Doe"], k=5)
    assert hits[0]["document_id"] == "export"
    assert {hit["metadata"]["author"] for hit in hits} == {"Jane Doe"}
    with pytest.raises(UnknownKnowledgeBaseError, match="nope"):
        backend.search("settings", kb_ids=["nope"], filters=[], k=5)
    with pytest.raises(ConfigError):
        backend.search("settings", kb_ids=None, filters=["no operator here"], k=5)


def test_get_document_rebuilds_the_full_text_from_overlapping_chunks(small_kb):
    backend = LocalBackend(small_kb)
    assert backend.list_knowledge_bases()[0]["chunks"] > 4  # the long one spans several chunks
    document = backend.get_document("long")
    assert document["text"] == LONG_BODY
    assert document["title"] == "A long article" and document["metadata"] == {"category": "Misc"}
    by_chunk_id = backend.get_document(backend.search("Paragraph 42", kb_ids=None, filters=[], k=1)[0]["chunk_id"])
    assert by_chunk_id["id"] == "long"
    assert backend.get_document("missing") is None
    with pytest.raises(UnknownKnowledgeBaseError):
        backend.get_document("long", kb_id="other")


def test_a_missing_directory_is_not_mistaken_for_an_empty_knowledge_base(tmp_path):
    with pytest.raises(UnknownKnowledgeBaseError):
        LocalBackend(tmp_path / "typo")
    assert not (tmp_path / "typo").exists()


def test_demo_knowledge_base_end_to_end(demo_kb):
    backend = LocalBackend(demo_kb)
    [kb] = backend.list_knowledge_bases()
    assert kb["documents"] == 150
    hits = backend.search("reset audit logs", kb_ids=[kb["id"]], filters=[], k=5)
    assert hits and hits[0]["link"].startswith("http://127.0.0.1")
    document = backend.get_document(hits[0]["document_id"])
    assert hits[0]["text"] in document["text"]


def test_remote_backend_errors_are_typed_and_carry_no_token(serve):
    from restsync.integrations import BackendError, RemoteBackend
    from servers.base import ApiServer, Reply

    class NotRestsync(ApiServer):
        def handle(self, request):
            if request.path == "/api/v1/retrieval":
                return Reply(status=403, json={"code": 403, "message": "unknown or revoked token", "data": None})
            return Reply(status=404, json={"detail": "Not Found"})

    server = serve(NotRestsync())
    backend = RemoteBackend(server.base_url, "rs-secret-token")
    with pytest.raises(BackendError, match="is it a restsync server") as missing:
        backend.list_knowledge_bases()
    with pytest.raises(BackendError, match="unknown or revoked token") as refused:
        backend.search("x", kb_ids=None, filters=["category=Billing"], k=3)
    assert refused.value.status == 403
    assert server.requests[-1].json["metadata_condition"] == {
        "logic": "and", "conditions": [{"name": "category", "comparison_operator": "is", "value": "Billing"}]}
    assert all("rs-secret-token" not in str(error.value) for error in (missing, refused))
    unreachable = RemoteBackend("http://127.0.0.1:9", "rs-secret-token")
    with pytest.raises(BackendError):
        unreachable.search("x", kb_ids=None, filters=[], k=1)


def test_the_backend_seam_imports_without_the_knowledge_base_packages():
    """RemoteBackend needs only the core: the seam must not pull in numpy (or anything the kb
    extra brings) at import time; LocalBackend imports the knowledge base when it is built."""
    script = ("import sys\n"
              "import restsync.integrations.backend\n"
              "print(sorted(name for name in ('numpy', 'restsync.kb', 'restsync.sync') if name in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
