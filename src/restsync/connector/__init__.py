"""The connector: walks an API described by a config and yields documents."""

from restsync.connector.connector import RestApiConnector
from restsync.connector.report import Probe, WalkReport
from restsync.connector.window import TimeWindow

__all__ = ["Probe", "RestApiConnector", "TimeWindow", "WalkReport"]
