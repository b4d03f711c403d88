"""The async Confluence client: one per site, polite, resilient, typed, lazy.

``ConfluenceClient.connect(site, credential)`` gives a :class:`CloudClient` (REST v2, v1 only
where v2 has no call) or a :class:`DataCenterClient` (REST v1). See ``docs/client.md``.
"""

from radex.confluence.client.base import ConfluenceClient, PageKind, SearchItem
from radex.confluence.client.cloud import CloudClient
from radex.confluence.client.dc import DataCenterClient
from radex.confluence.client.limiter import LimitConfig, SiteLimiter, limiter_for
from radex.confluence.client.observe import ClientEvent, Observer
from radex.confluence.client.pagination import ItemFailure, Listing
from radex.confluence.client.transport import RetryPolicy
from radex.confluence.client.validate import CredentialCheck

__all__ = [
    "ClientEvent",
    "CloudClient",
    "ConfluenceClient",
    "CredentialCheck",
    "DataCenterClient",
    "ItemFailure",
    "LimitConfig",
    "Listing",
    "Observer",
    "PageKind",
    "RetryPolicy",
    "SearchItem",
    "SiteLimiter",
    "limiter_for",
]
