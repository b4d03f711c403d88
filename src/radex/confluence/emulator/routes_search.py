"""CQL search endpoints: ``/rest/api/content/search`` and ``/rest/api/search``."""

from __future__ import annotations

from radex.confluence.emulator.http import Endpoint

ENDPOINTS: list[Endpoint] = []
