"""RAGFlow's retrieval response: `similarity` and the keyword and vector parts it was fused from."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from restsync.server import create_app

from .api import HelpApi, ragflow_config
from .conftest import wait_for_idle


def test_retrieval_reports_the_keyword_and_vector_parts_of_each_score(service, serve):
    api = serve(HelpApi(count=12))
    dataset = service.create_dataset(name="help", embedding_model="hashing")
    connector = service.create_connector({"name": "help", "config": ragflow_config(api.base_url),
                                          "dataset_id": dataset["id"]})
    assert wait_for_idle(service, connector["id"])["status"] == "success"
    _, token = service.tokens.create("admin")
    with TestClient(create_app(service=service, close_service=False)) as client:
        client.headers["Authorization"] = f"Bearer {token}"

        def chunks(weight: float) -> list[dict]:
            body = {"question": "refund policy", "dataset_ids": [dataset["id"]], "vector_similarity_weight": weight}
            response = client.post("/api/v1/retrieval", json=body)
            assert response.status_code == 200, response.text
            return response.json()["data"]["chunks"]

        hybrid = chunks(0.3)
        assert hybrid
        for chunk in hybrid:
            term, vector = chunk["term_similarity"], chunk["vector_similarity"]
            assert 0 <= term <= 1 and 0 <= vector <= 1
            assert chunk["similarity"] == pytest.approx(0.7 * term + 0.3 * vector, abs=1e-5)
        assert any(chunk["term_similarity"] > 0 for chunk in hybrid)
        assert any(chunk["vector_similarity"] > 0 for chunk in hybrid)
        # One side left out by the weight: that side is null, the other is the whole score.
        for chunk in chunks(0.0):
            assert chunk["vector_similarity"] is None
            assert chunk["term_similarity"] == pytest.approx(chunk["similarity"], abs=1e-5)
        for chunk in chunks(1.0):
            assert chunk["term_similarity"] is None
            assert chunk["vector_similarity"] == pytest.approx(chunk["similarity"], abs=1e-5)
