"""The local model's two runtimes side by side: install size, cold start, sentences per second.

    python bench/bench_embedders.py [--texts 256] [--runs 5] [--venv PATH ...]

- cold start: a fresh interpreter that builds the default embedder for the backend and embeds
  one sentence, timed from process start to the vector (median of `--runs`, backends alternating);
- sentences/s: both backends loaded in this process, embedding the same `--texts` help-article
  passages (30..250 tokens), runs alternating, median;
- cosine: the lowest cosine between the two backends' vectors of those texts;
- install size: the size of each `--venv` given (site-packages, MB), with whether it holds torch.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from restsync.kb.embedding import build_embedder

BACKENDS = ("onnx", "torch")
WORDS = ("refund policy shipping invoice account password billing export import webhook token limit "
         "integration report dashboard team member role permission plan upgrade trial cancel workspace").split()

COLD = """
import sys
from restsync.kb.embedding import build_embedder
build_embedder("all-MiniLM-L6-v2", backend=sys.argv[1]).embed(["How do I reset my password?"])
print("ready", flush=True)
"""


def passages(count: int) -> list[str]:
    texts = []
    for n in range(count):
        words = [WORDS[(n * 7 + i * 3 + i // 4) % len(WORDS)] for i in range(25 + (n * 53) % 180)]
        texts.append(f"How to handle {WORDS[n % len(WORDS)]} case {n}\n" + " ".join(words) + ".")
    return texts


def cold_start(backend: str) -> float:
    started = time.perf_counter()
    output = subprocess.run([sys.executable, "-c", COLD, backend], capture_output=True, text=True, check=True,
                            env={**os.environ, "TQDM_DISABLE": "1"})
    assert "ready" in output.stdout
    return time.perf_counter() - started


def venv_size(path: Path) -> dict[str, object]:
    total = 0
    torch = False
    for site in path.glob("lib/python*/site-packages"):
        torch = torch or (site / "torch").is_dir()
        for file in site.rglob("*"):
            if file.is_file() and not file.is_symlink():
                total += file.stat().st_size
    return {"venv": str(path), "site_packages_mb": round(total / 2**20), "has_torch": torch}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--venv", type=Path, action="append", default=[], help="a virtual environment to size")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    cold: dict[str, list[float]] = {backend: [] for backend in BACKENDS}
    for _ in range(args.runs):
        for backend in BACKENDS:
            cold[backend].append(cold_start(backend))

    texts = passages(args.texts)
    embedders = {backend: build_embedder("all-MiniLM-L6-v2", backend=backend) for backend in BACKENDS}
    vectors = {backend: embedder.embed(texts[:4]) for backend, embedder in embedders.items()}  # load both
    speed: dict[str, list[float]] = {backend: [] for backend in BACKENDS}
    for _ in range(args.runs):
        for backend, embedder in embedders.items():
            started = time.perf_counter()
            vectors[backend] = embedder.embed(texts)
            speed[backend].append(len(texts) / (time.perf_counter() - started))
    cosine = float(np.min(np.sum(vectors["onnx"] * vectors["torch"], axis=1)))

    report = {
        "texts": len(texts), "runs": args.runs, "min_cosine_onnx_vs_torch": round(cosine, 6),
        "backends": {
            backend: {"cold_start_s": round(statistics.median(cold[backend]), 2),
                      "sentences_per_s": round(statistics.median(speed[backend]), 1)}
            for backend in BACKENDS
        },
        "install": [venv_size(path) for path in args.venv],
    }
    onnx, torch = report["backends"]["onnx"], report["backends"]["torch"]
    report["onnx_speedup"] = round(onnx["sentences_per_s"] / torch["sentences_per_s"], 2)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{len(texts)} texts, medians of {args.runs}; lowest cosine onnx vs torch {cosine:.6f}")
    for backend in BACKENDS:
        figures = report["backends"][backend]
        print(f"  {backend:5}  cold start {figures['cold_start_s']:6.2f} s   {figures['sentences_per_s']:7.1f} sentences/s")
    print(f"  onnx / torch sentences/s: {report['onnx_speedup']:.2f}x")
    for item in report["install"]:
        print(f"  {item['venv']}: {item['site_packages_mb']} MB site-packages, torch: {item['has_torch']}")


if __name__ == "__main__":
    main()
