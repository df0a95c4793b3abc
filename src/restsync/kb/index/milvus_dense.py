"""The Milvus dense-vector index chosen by the index URL's query options.

    milvus://host:19530?index=hnsw&M=16&ef_construction=200&ef=64
    milvus://host:19530?index=ivf_flat&nlist=1024&nprobe=16
    milvus+lite:///path/index.db                      (index=flat: exact, the default)

`flat` searches every vector (exact, the same results as the embedded store); `hnsw` and
`ivf_flat` are approximate: faster at millions of chunks, at a recall below 1 that their search
options trade against speed (`ef`, `nprobe`). Build options (`M`, `ef_construction`, `nlist`)
shape the index itself, so changing them rebuilds it; search options apply to the next query.
Every option is checked here, before Milvus sees it: a wrong one is a `ConfigError` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping
from urllib.parse import parse_qsl

from restsync.errors import ConfigError

KEY = "index_url"


@dataclass(frozen=True)
class _Option:
    milvus_name: str
    default: int
    low: int
    high: int
    build: bool  # True: shapes the index (a change rebuilds it); False: a search parameter


# Ranges are Milvus's own (knowhere's checks), so a value Milvus would refuse is refused here first.
_OPTIONS: dict[str, dict[str, _Option]] = {
    "flat": {},
    "hnsw": {
        "M": _Option("M", 16, 2, 2048, build=True),
        "ef_construction": _Option("efConstruction", 200, 1, 2**31 - 1, build=True),
        "ef": _Option("ef", 64, 1, 32768, build=False),
    },
    "ivf_flat": {
        "nlist": _Option("nlist", 1024, 1, 65536, build=True),
        "nprobe": _Option("nprobe", 16, 1, 65536, build=False),
    },
}
INDEX_TYPES = tuple(_OPTIONS)


@dataclass(frozen=True)
class DenseIndex:
    kind: str = "flat"
    values: Mapping[str, int] = field(default_factory=dict)

    @property
    def milvus_type(self) -> str:
        return self.kind.upper()

    @property
    def approximate(self) -> bool:
        return self.kind != "flat"

    def build_params(self) -> dict[str, int]:
        options = _OPTIONS[self.kind]
        return {options[name].milvus_name: value for name, value in self.values.items() if options[name].build}

    def search_params(self, limit: int) -> dict[str, int]:
        """What a search sends; HNSW explores at least `limit` candidates (Milvus refuses ef < k)."""
        options = _OPTIONS[self.kind]
        params = {options[name].milvus_name: value for name, value in self.values.items() if not options[name].build}
        if self.kind == "hnsw":
            params["ef"] = max(params["ef"], limit)
        return params

    def describe(self) -> str:
        return self.kind + "".join(f" {name}={value}" for name, value in self.values.items())


def parse_dense_index(query: str) -> DenseIndex:
    """The dense index an index URL's query string asks for (empty: exact `flat`)."""
    pairs = parse_qsl(query, keep_blank_values=True, strict_parsing=False)
    seen: dict[str, str] = {}
    for name, value in pairs:
        if name in seen:
            raise ConfigError(f"the index option {name!r} is given twice", key=KEY)
        seen[name] = value
    kind = seen.pop("index", "flat").strip().lower()
    if kind not in _OPTIONS:
        raise ConfigError(f"unknown dense index {kind!r} (index=...); use one of {', '.join(INDEX_TYPES)}", key=KEY)
    options = _OPTIONS[kind]
    unknown = sorted(set(seen) - set(options))
    if unknown:
        allowed = ", ".join(options) or "none"
        raise ConfigError(f"unknown option {unknown[0]!r} for index={kind} (its options: {allowed})", key=KEY)
    values = {name: _integer(name, seen[name], option) if name in seen else option.default for name, option in options.items()}
    if kind == "ivf_flat" and values["nprobe"] > values["nlist"]:
        raise ConfigError(f"nprobe={values['nprobe']} exceeds nlist={values['nlist']}: a search cannot probe more "
                          "clusters than the index has", key=KEY)
    return DenseIndex(kind, values)


def _integer(name: str, text: str, option: _Option) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ConfigError(f"the index option {name}={text!r} is not a whole number", key=KEY) from None
    if not option.low <= value <= option.high:
        raise ConfigError(f"the index option {name}={value} is out of range ({option.low}..{option.high})", key=KEY)
    return value


def index_matches(described: Mapping[str, Any], wanted: DenseIndex) -> bool:
    """Whether a collection's dense index (`describe_index`) was built as `wanted` asks."""
    if str(described.get("index_type", "")).upper() != wanted.milvus_type:
        return False
    return all(str(described.get(name)) == str(value) for name, value in wanted.build_params().items())
