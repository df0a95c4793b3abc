"""The configuration layer: RAGFlow-compatible source configs, loaded, coerced and validated.

    from restsync.config import load_config
    config = load_config("github.yaml")          # or a dict; ${ENV} secrets substituted
    config.warnings                              # unknown keys, with did-you-mean hints
"""

from restsync.config.loader import load_config
from restsync.config.pagination import PaginationConfig
from restsync.config.schema import SourceConfig

__all__ = ["PaginationConfig", "SourceConfig", "load_config"]
