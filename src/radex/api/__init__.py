"""The HTTP API (FastAPI, ``/api/v1/...``)."""

from radex.api.app import create_api

__all__ = ["create_api"]
