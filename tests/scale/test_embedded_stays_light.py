"""The embedded default imports none of the scale-out packages: a knowledge base, the service and
`restsync serve`'s CLI module load without pymilvus, procrastinate or psycopg."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import sys, tempfile
from pathlib import Path
from restsync.kb import HashingEmbedder, KnowledgeBase
from restsync.service import Service, ServiceSettings
import restsync.cli.main
directory = Path(tempfile.mkdtemp())
with KnowledgeBase.open(directory / "kb", embedder=HashingEmbedder(16)) as kb:
    kb.search("anything", k=1)
service = Service(ServiceSettings(data_dir=directory / "data", scheduler=False, env={"RESTSYNC_SECRET_KEY": ""}))
service.close()
loaded = sorted(name for name in ("pymilvus", "milvus_lite", "procrastinate", "psycopg") if name in sys.modules)
print(",".join(loaded))
"""


def test_the_embedded_default_imports_no_scale_package():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""
