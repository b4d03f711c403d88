"""Validate emulator responses against Atlassian's own OpenAPI documents (test data in shared/)."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

SHARED = Path(__file__).resolve().parents[3] / "shared" / "confluence"
SPECS = {
    "v2": "confluence-cloud-v2.openapi-v2.v3.json",
    "v1": "confluence-cloud-v1.swagger.v3.json",
    "v1-legacy": "confluence-cloud-v1-legacy-2021-11.swagger.v3.json",
}


def _nullable(node: Any) -> Any:
    """OpenAPI 3.0 `nullable: true` → JSON Schema's type union with null."""
    if isinstance(node, dict):
        out = {k: _nullable(v) for k, v in node.items()}
        if out.pop("nullable", False) is True:
            if "type" in out:
                t = out["type"]
                out["type"] = [*t, "null"] if isinstance(t, list) else [t, "null"]
            elif "$ref" in out or "allOf" in out or "oneOf" in out or "anyOf" in out:
                out = {"anyOf": [out, {"type": "null"}]}
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out
    if isinstance(node, list):
        return [_nullable(v) for v in node]
    return node


@cache
def spec(name: str) -> dict[str, Any]:
    """One OpenAPI document, with nullable rewritten; skips the test when shared/ is absent."""
    path = SHARED / SPECS[name]
    if not path.exists():
        pytest.skip(f"{path} not present (shared/ test data)")
    return _nullable(json.loads(path.read_text()))  # type: ignore[no-any-return]


def templates(name: str, method: str, path: str) -> list[str]:
    """Spec path templates with this operation matching a concrete path, most specific first."""
    found = [
        template
        for template, ops in spec(name)["paths"].items()
        if method.lower() in ops
        and re.match("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$", path)
    ]
    return sorted(found, key=lambda t: t.count("{"))


def validate(name: str, method: str, path: str, status: int, body: Any) -> None:
    """Assert that ``body`` matches the spec's schema for this operation and status."""
    doc = spec(name)
    found = templates(name, method, path)
    assert found, f"{method} {path} is not in the {name} OpenAPI document"
    op = doc["paths"][found[0]][method.lower()]
    responses = op["responses"]
    resp = responses.get(str(status)) or responses.get("default")
    assert resp is not None, f"{method} {found[0]} documents no {status} response"
    if "$ref" in resp:
        resp = doc["components"]["responses"][resp["$ref"].rsplit("/", 1)[1]]
    schema = resp.get("content", {}).get("application/json", {}).get("schema")
    assert schema is not None, f"{method} {found[0]} {status} has no JSON schema"
    root = {**schema, "components": doc["components"]}
    errors = sorted(Draft202012Validator(root).iter_errors(body), key=lambda e: list(e.path))
    assert not errors, f"{method} {path} {status} ({name}): " + "; ".join(
        f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]
    )
