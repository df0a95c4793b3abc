"""The service layer `restsync serve` runs and the HTTP API calls: state, tokens, sealed
credentials, datasets, connectors, sync runs, the scheduler and multi-dataset search.

Needs the `server` extra (SQLAlchemy, cryptography) and the `kb` extra.
"""

from restsync.service.jobs import CancelToken, JobRunner, ThreadJobRunner
from restsync.service.search import DatasetSearch, ServiceBackend
from restsync.service.service import Service, ServiceSettings

__all__ = ["CancelToken", "DatasetSearch", "JobRunner", "Service", "ServiceBackend", "ServiceSettings",
           "ThreadJobRunner"]
