"""Storage-format XML snippets: escaping, CDATA, macros and parameters."""

from __future__ import annotations

import re
from collections.abc import Iterable

_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPECIAL = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def text(value: str) -> str:
    """Escape text content (and drop characters XML cannot hold)."""
    if _SPECIAL.search(value) is None:
        return value
    value = _INVALID.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(value: str) -> str:
    """Escape an attribute value for double quotes."""
    return text(value).replace('"', "&quot;").replace("\n", "&#10;")


def cdata(value: str) -> str:
    """A CDATA section; ``]]>`` inside is split across two sections."""
    value = _INVALID.sub("", value)
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def param(name: str, value_xml: str) -> str:
    """An ``ac:parameter`` whose value is already XML."""
    return f'<ac:parameter ac:name="{attr(name)}">{value_xml}</ac:parameter>'


def macro(
    name: str,
    params: Iterable[tuple[str, str]] = (),
    *,
    rich: str | None = None,
    plain: str | None = None,
) -> str:
    """A ``ac:structured-macro`` with text parameters and an optional rich or plain body."""
    parts = [f'<ac:structured-macro ac:name="{attr(name)}" ac:schema-version="1">']
    parts.extend(param(k, text(v)) for k, v in params)
    if plain is not None:
        parts.append(f"<ac:plain-text-body>{cdata(plain)}</ac:plain-text-body>")
    elif rich is not None:
        parts.append(f"<ac:rich-text-body>{rich}</ac:rich-text-body>")
    parts.append("</ac:structured-macro>")
    return "".join(parts)
