"""The HTTP layer: guarded, retrying, paced JSON requests (see docs/architecture.md)."""

from restsync.http.client import MAX_REDIRECTS, HttpClient
from restsync.http.pacing import RatePacer
from restsync.http.request import ApiResponse, RequestSpec
from restsync.http.retry import RetryPolicy
from restsync.http.ssrf import AddressGuard, GuardedTransport, default_resolver, is_disallowed_address

__all__ = [
    "MAX_REDIRECTS",
    "AddressGuard",
    "ApiResponse",
    "GuardedTransport",
    "HttpClient",
    "RatePacer",
    "RequestSpec",
    "RetryPolicy",
    "default_resolver",
    "is_disallowed_address",
]
