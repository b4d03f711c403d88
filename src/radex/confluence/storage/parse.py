"""Parse a storage-format body safely: namespaces declared, entities mapped, DTDs refused.

Storage bodies are XML fragments with undeclared ``ac:``/``ri:`` prefixes and HTML named
entities. The body is wrapped in a root element declaring both namespaces, HTML entities are
replaced by their characters (XML's five are left alone, CDATA is left untouched), and lxml
parses with entity resolution, DTD loading and network access off. A body that is not
well-formed XML is recovered with lxml's HTML parser (which knows ``<br>`` and unclosed
``<p>``); a body that cannot be read at all raises :class:`ConversionError`.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Callable
from dataclasses import dataclass

from lxml import etree

from radex.errors import ConversionError

AC_NS = "http://atlassian.com/content"
RI_NS = "http://atlassian.com/resource/identifier"
AC = "{" + AC_NS + "}"
RI = "{" + RI_NS + "}"
ROOT_TAG = "radex-body"
MAX_DEPTH = 255
"""libxml2's element nesting limit without XML_PARSE_HUGE; deeper bodies are refused."""

_XHTML_NS = "{http://www.w3.org/1999/xhtml}"
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_DTD = re.compile(r"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_CDATA = re.compile(r"<!\[CDATA\[.*?(?:\]\]>|$)", re.DOTALL)
_INVALID_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ENTITY = re.compile(r"&(?:(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[A-Za-z][A-Za-z0-9]{0,31});)?")
_PREFIX = re.compile(r"</?([A-Za-z_][\w.-]*):[A-Za-z_]")
_ATTR_PREFIX = re.compile(r"\s([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*\s*=")
_XML_FIVE = frozenset({"amp", "lt", "gt", "quot", "apos"})
_HTML5 = html.entities.html5


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed body: the wrapping root element and what had to be repaired."""

    root: etree._Element
    recovered: bool
    warnings: tuple[str, ...]


def decode_body(body: str | bytes) -> str:
    """The body as text; bytes must be UTF-8 (a BOM is allowed)."""
    if isinstance(body, str):
        return body
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConversionError(
            f"body is not valid UTF-8 (bad byte at offset {exc.start})",
            hint="storage format is UTF-8; re-export the page or fix its encoding",
        ) from None


def parse_storage(body: str | bytes, *, max_chars: int) -> Parsed:
    """Parse a storage-format body into an element tree rooted at a wrapper element."""
    text = decode_body(body)
    if len(text) > max_chars:
        raise ConversionError(
            f"body has {len(text):,} characters, more than the limit of {max_chars:,}",
            hint="split the page, or raise ConvertContext.max_body_chars if it is trusted",
        )
    warnings: list[str] = []
    text = text.lstrip("\ufeff")
    if text.lstrip().startswith("<?"):
        text = _XML_DECL.sub("", text, count=1)
    _refuse_dtd(text)
    if _INVALID_CHARS.search(text) is not None:
        text, removed = _INVALID_CHARS.subn("", text)
        warnings.append(f"removed {removed} control character(s) that XML does not allow")
    if "&" in text:
        text = _outside_cdata(text, _map_entities)
    data = _encode(text)
    recovered = False
    try:
        root = _parse_xml(data, ())
    except etree.XMLSyntaxError as exc:
        message = str(exc)
        if "Excessive depth" in message:
            raise _too_deep() from None
        try:
            if "Namespace prefix" not in message:
                raise
            root = _parse_xml(data, _prefixes(text))
        except etree.XMLSyntaxError as exc2:
            if "Excessive depth" in str(exc2):
                raise _too_deep() from None
            root = _recover(text, str(exc2))
            recovered = True
            warnings.append(f"malformed XML recovered with the HTML parser: {_short(exc2)}")
    if "xmlns=" in text:
        _strip_default_namespace(root)
    return Parsed(root, recovered, tuple(warnings))


def _short(exc: Exception) -> str:
    return str(exc).split(" (<string>")[0]


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ConversionError(
            f"body contains an unpaired surrogate at character {exc.start} (undecodable bytes)",
            hint="decode the source as UTF-8 without 'surrogateescape' and fix its encoding",
        ) from None


def _refuse_dtd(text: str) -> None:
    match = _DTD.search(text)
    while match is not None:
        start = match.start()
        opened = text.rfind("<![CDATA[", 0, start)
        if opened < 0 or text.rfind("]]>", opened, start) >= 0:
            raise ConversionError(
                "body contains a DTD or entity declaration (<!DOCTYPE / <!ENTITY)",
                hint="storage format never declares entities; remove the declaration",
            )
        match = _DTD.search(text, start + 2)


def _outside_cdata(text: str, fix: Callable[[str], str]) -> str:
    if "<![CDATA[" not in text:
        return fix(text)
    out: list[str] = []
    pos = 0
    for match in _CDATA.finditer(text):
        out.append(fix(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(fix(text[pos:]))
    return "".join(out)


def _map_entities(text: str) -> str:
    if "&" not in text:
        return text
    return _ENTITY.sub(_entity, text)


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name is None:
        return "&amp;"
    if name[0] == "#":
        code = int(name[2:], 16) if name[1] in "xX" else int(name[1:])
        if _xml_char(code):
            return match.group(0)
        return "\ufffd"
    if name in _XML_FIVE:
        return match.group(0)
    chars = _HTML5.get(name + ";")
    if chars is None:
        return "&amp;" + name + ";"
    return chars.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_char(code: int) -> bool:
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


def _too_deep() -> ConversionError:
    return ConversionError(
        f"body nests elements deeper than {MAX_DEPTH} levels",
        hint="this is not an editor-made page; flatten the markup before converting",
    )


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
        strip_cdata=True,
    )


def _parse_xml(data: bytes, extra_prefixes: tuple[str, ...]) -> etree._Element:
    decls = "".join(f' xmlns:{p}="urn:radex:prefix:{p}"' for p in extra_prefixes)
    head = f'<{ROOT_TAG} xmlns:ac="{AC_NS}" xmlns:ri="{RI_NS}"{decls}>'.encode()
    return etree.fromstring(head + data + f"</{ROOT_TAG}>".encode(), _xml_parser())


def _prefixes(text: str) -> tuple[str, ...]:
    found = set(_PREFIX.findall(text)) | set(_ATTR_PREFIX.findall(text))
    return tuple(sorted(found - {"ac", "ri", "xml", "xmlns"}))


def _recover(text: str, error: str) -> etree._Element:
    """Recover a malformed body with the HTML parser, then restore ac:/ri: namespaces."""
    htmlish = _CDATA.sub(_cdata_to_text, text)
    parser = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        doc = etree.fromstring(f"<div>{htmlish}</div>".encode(), parser)
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise ConversionError(
            f"body is not well-formed XML and could not be recovered: {error}",
            hint="check the markup near the position named; storage format must be XML",
        ) from exc
    if doc is None:
        raise ConversionError(
            f"body is not well-formed XML and could not be recovered: {error}",
            hint="check the markup near the position named; storage format must be XML",
        )
    for entry in parser.error_log:
        if "Excessive depth" in entry.message:
            raise _too_deep()
    body = doc.find("body")
    start = body[0] if body is not None and len(body) else doc
    root = etree.Element(ROOT_TAG, nsmap={"ac": AC_NS, "ri": RI_NS})
    root.text = start.text
    for child in list(start):
        root.append(child)
    _restore_namespaces(root)
    return root


def _cdata_to_text(match: re.Match[str]) -> str:
    inner = match.group(0)[9:]
    if inner.endswith("]]>"):
        inner = inner[:-3]
    return inner.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_NAMESPACES = {"ac": AC, "ri": RI}
_NAME_TAIL = re.compile(r"[^\w.\-].*$", re.DOTALL)


def _restore_namespaces(root: etree._Element) -> None:
    for el in root.iter():
        tag = el.tag
        if not isinstance(tag, str):
            continue
        if ":" in tag:
            prefix, _, local = tag.partition(":")
            ns = _NAMESPACES.get(prefix)
            local = _NAME_TAIL.sub("", local) or "span"  # a tag cut off mid-name: 'page<'
            el.tag = (ns + local) if ns else local
        attrib = el.attrib
        renamed = [
            (str(k), str(v)) for k, v in attrib.items() if ":" in str(k) and str(k)[:1] != "{"
        ]
        for key, value in renamed:
            del attrib[key]
            prefix, _, local = key.partition(":")
            ns = _NAMESPACES.get(prefix)
            attrib[(ns + local) if ns else local] = value


def _strip_default_namespace(root: etree._Element) -> None:
    for el in root.iter():
        tag = el.tag
        if isinstance(tag, str) and tag.startswith(_XHTML_NS):
            el.tag = tag[len(_XHTML_NS) :]


def local_name(tag: str) -> str:
    """``ac:link`` for the ac namespace, ``ri:page`` for ri, the bare name otherwise."""
    if tag.startswith(AC):
        return "ac:" + tag[len(AC) :]
    if tag.startswith(RI):
        return "ri:" + tag[len(RI) :]
    if tag.startswith("{"):
        return tag.rsplit("}", 1)[1]
    return tag
