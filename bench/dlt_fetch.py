"""dlt's REST API source over bench/apiserver.py, extracted the way a dlt user iterates a source
(no pipeline, no destination), one JSON line per item. A baseline for bench/bench_process.py; run
it with the interpreter of `bench/setup_baselines.sh` (bench/.baselines/dlt). dlt maps nothing:
items are written as they come, with no HTML stripped and no document built.

    python bench/dlt_fetch.py BASE_URL STYLE OUT.jsonl     # STYLE: page, offset or cursor
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")

from dlt.common import json  # noqa: E402  (dlt's own serializer: orjson when installed)
from dlt.sources.rest_api import rest_api_source  # noqa: E402

# No total anywhere (apiserver --no-totals): each walk ends at the first empty page, or a null cursor.
PAGINATORS = {
    "page": ("page", {"per_page": 100},
             {"type": "page_number", "base_page": 1, "page_param": "page", "total_path": None}),
    "offset": ("offset", {},
               {"type": "offset", "limit": 100, "offset_param": "offset", "limit_param": "limit", "total_path": None}),
    "cursor": ("cursor", {"limit": 100},
               {"type": "cursor", "cursor_path": "next_cursor", "cursor_param": "cursor"}),
}


def main(base_url: str, style: str, out_path: str) -> int:
    path, params, paginator = PAGINATORS[style]
    source = rest_api_source({
        "client": {"base_url": base_url + "/"},
        "resources": [{"name": "items", "endpoint": {
            "path": path, "params": params, "data_selector": "items", "paginator": paginator}}],
    })
    count = 0
    with open(out_path, "w") as out:
        for item in source:
            out.write(json.dumps(item) + "\n")
            count += 1
    return count


if __name__ == "__main__":
    print(main(*sys.argv[1:4]))
