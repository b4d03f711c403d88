"""Classic REST v1 endpoints (Cloud ``/wiki/rest/api``, Data Center ``[/ctx]/rest/api``).

The endpoints live in ``routes_v1_*`` modules (one resource each) and the JSON shapes in
``render_v1``; this module gathers them into the two lists the app mounts.
"""

from __future__ import annotations

from radex.confluence.emulator import (
    routes_v1_attachments,
    routes_v1_content,
    routes_v1_labels,
    routes_v1_people,
    routes_v1_restrictions,
    routes_v1_spaces,
    routes_v1_tree,
)
from radex.confluence.emulator.http import Endpoint
from radex.confluence.emulator.render_v1 import space_v1
from radex.confluence.emulator.routes_v1_spaces import list_spaces

__all__ = ["ENDPOINTS", "SITE_ENDPOINTS", "list_spaces", "space_v1"]

ENDPOINTS: list[Endpoint] = [
    *routes_v1_spaces.ENDPOINTS,
    *routes_v1_content.ENDPOINTS,
    *routes_v1_tree.ENDPOINTS,
    *routes_v1_labels.ENDPOINTS,
    *routes_v1_attachments.ENDPOINTS,
    *routes_v1_restrictions.ENDPOINTS,
    *routes_v1_people.ENDPOINTS,
]
SITE_ENDPOINTS: list[Endpoint] = [*routes_v1_attachments.SITE_ENDPOINTS]
