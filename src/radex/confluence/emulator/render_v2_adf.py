"""Storage format → Atlassian Document Format (the ``atlas_doc_format`` body representation)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from radex.confluence.emulator.model import Site
from radex.confluence.emulator.render_v2_body import (
    attr,
    child,
    find_page,
    local,
    macro_params,
    parse_storage,
)

Node = dict[str, Any]
Mark = dict[str, Any]

_MARKS: dict[str, Mark] = {
    "strong": {"type": "strong"},
    "b": {"type": "strong"},
    "em": {"type": "em"},
    "i": {"type": "em"},
    "u": {"type": "underline"},
    "s": {"type": "strike"},
    "del": {"type": "strike"},
    "strike": {"type": "strike"},
    "code": {"type": "code"},
    "sub": {"type": "subsup", "attrs": {"type": "sub"}},
    "sup": {"type": "subsup", "attrs": {"type": "sup"}},
}
_PANEL_TYPES = {"info": "info", "note": "note", "warning": "warning", "tip": "success"}


def storage_to_adf(storage: str, site: Site, space_key: str = "") -> Node:
    """An ADF ``doc`` with the same structure and text as the storage body.

    ``space_key`` is the space links without an ``ri:space-key`` point into.
    """
    root = parse_storage(storage)
    return {"type": "doc", "version": 1, "content": _Converter(site, space_key).blocks(root)}


def _local_id(*parts: object) -> str:
    h = hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


class _Converter:
    """Turns a parsed storage tree into ADF block and inline nodes."""

    def __init__(self, site: Site, space_key: str) -> None:
        self.site = site
        self.space_key = space_key
        self.counter = 0

    def _next_id(self) -> str:
        self.counter += 1
        return _local_id("adf", self.counter)

    # ---- blocks -----------------------------------------------------------------------------

    def blocks(self, el: Any) -> list[Node]:
        """Block nodes for an element's children; loose inline runs become paragraphs."""
        out: list[Node] = []
        run: list[Node] = []

        def flush() -> None:
            if any(n["type"] != "text" or n["text"].strip() for n in run):
                out.append({"type": "paragraph", "content": _trim(run)})
            run.clear()

        run.extend(_text(el.text or "", []))
        for kid in el:
            if not isinstance(kid.tag, str):
                run.extend(_text(kid.tail or "", []))
                continue
            block = self.block(kid)
            if block is None:
                run.extend(self.inline(kid, []))
            else:
                flush()
                out.extend(block)
            run.extend(_text(kid.tail or "", []))
        flush()
        return out

    def block(self, el: Any) -> list[Node] | None:
        """Block nodes for one element, or None when it is inline."""
        tag = local(el)
        if tag == "p":
            content = _trim(self.inlines(el, []))
            return [{"type": "paragraph", "content": content}] if content else []
        if re.fullmatch(r"h[1-6]", tag):
            level = int(tag[1])
            return [{"type": "heading", "attrs": {"level": level}, "content": self.inlines(el, [])}]
        if tag in ("ul", "ol"):
            items = [
                {"type": "listItem", "content": self.blocks(li) or [_para([])]}
                for li in el
                if local(li) == "li"
            ]
            kind = "bulletList" if tag == "ul" else "orderedList"
            node: Node = {"type": kind, "content": items}
            if tag == "ol":
                node["attrs"] = {"order": 1}
            return [node]
        if tag == "pre":
            return [_code("".join(el.itertext()), None)]
        if tag == "blockquote":
            return [{"type": "blockquote", "content": self.blocks(el)}]
        if tag == "hr":
            return [{"type": "rule"}]
        if tag == "table":
            return [self.table(el)]
        if tag in ("div", "section", "ac:rich-text-body", "ac:layout-cell", "ac:adf-fallback"):
            return self.blocks(el)
        if tag == "ac:structured-macro":
            return self.macro(el)
        if tag == "ac:task-list":
            return [self.tasks(el)]
        if tag == "ac:layout":
            return self.layout(el)
        if tag == "ac:image":
            return [self.image(el)]
        if tag == "ac:adf-extension":
            fallback = child(el, "ac:adf-fallback")
            return self.blocks(fallback) if fallback is not None else []
        return None

    def table(self, el: Any) -> Node:
        rows: list[Node] = []
        for part in el.iter():
            if local(part) != "tr":
                continue
            cells = []
            for cell in part:
                tag = local(cell)
                if tag not in ("td", "th"):
                    continue
                cell_attrs: dict[str, Any] = {}
                for name in ("colspan", "rowspan"):
                    if cell.get(name, "").isdigit():
                        cell_attrs[name] = int(cell.get(name))
                cells.append(
                    {
                        "type": "tableHeader" if tag == "th" else "tableCell",
                        "attrs": cell_attrs,
                        "content": self.blocks(cell) or [_para([])],
                    }
                )
            rows.append({"type": "tableRow", "content": cells})
        return {
            "type": "table",
            "attrs": {"isNumberColumnEnabled": False, "layout": "default"},
            "content": rows,
        }

    def macro(self, el: Any) -> list[Node]:
        name = attr(el, "ac:name")
        params = macro_params(el)
        rich = child(el, "ac:rich-text-body")
        plain = child(el, "ac:plain-text-body")
        if name in _PANEL_TYPES:
            content = self.blocks(rich) if rich is not None else []
            return [
                {
                    "type": "panel",
                    "attrs": {"panelType": _PANEL_TYPES[name]},
                    "content": content or [_para([])],
                }
            ]
        if name in ("code", "noformat"):
            text = "".join(plain.itertext()) if plain is not None else ""
            return [_code(text, params.get("language"))]
        if name == "expand":
            content = self.blocks(rich) if rich is not None else []
            return [
                {
                    "type": "expand",
                    "attrs": {"title": params.get("title", "")},
                    "content": content or [_para([])],
                }
            ]
        if name == "status":
            return [_para([self.status(params)])]
        node: Node = {
            "type": "bodiedExtension" if rich is not None else "extension",
            "attrs": {
                "extensionType": "com.atlassian.confluence.macro.core",
                "extensionKey": name,
                "parameters": {
                    "macroParams": {k: {"value": v} for k, v in params.items()},
                    "macroMetadata": {"schemaVersion": {"value": "1"}, "title": name},
                },
                "layout": "default",
                "localId": self._next_id(),
            },
        }
        if rich is not None:
            node["content"] = self.blocks(rich) or [_para([])]
        return [node]

    def status(self, params: dict[str, str]) -> Node:
        colour = params.get("colour", "Grey").lower()
        return {
            "type": "status",
            "attrs": {
                "text": params.get("title", colour).upper(),
                "color": {"grey": "neutral"}.get(colour, colour),
                "localId": self._next_id(),
                "style": "",
            },
        }

    def tasks(self, el: Any) -> Node:
        items = []
        for task in el:
            if local(task) != "ac:task":
                continue
            status_el = child(task, "ac:task-status")
            body = child(task, "ac:task-body")
            done = status_el is not None and "".join(status_el.itertext()).strip() == "complete"
            items.append(
                {
                    "type": "taskItem",
                    "attrs": {"localId": self._next_id(), "state": "DONE" if done else "TODO"},
                    "content": _trim(self.inlines(body, [])) if body is not None else [],
                }
            )
        return {"type": "taskList", "attrs": {"localId": self._next_id()}, "content": items}

    def layout(self, el: Any) -> list[Node]:
        sections = []
        for section in el:
            if local(section) != "ac:layout-section":
                continue
            cells = [c for c in section if local(c) == "ac:layout-cell"]
            width = round(100 / max(len(cells), 1), 2)
            columns = [
                {
                    "type": "layoutColumn",
                    "attrs": {"width": width},
                    "content": self.blocks(c) or [_para([])],
                }
                for c in cells
            ]
            sections.append({"type": "layoutSection", "content": columns})
        return sections

    def image(self, el: Any) -> Node:
        url = child(el, "ri:url")
        attachment = child(el, "ri:attachment")
        if url is not None:
            media: Node = {
                "type": "media",
                "attrs": {"type": "external", "url": attr(url, "ri:value")},
            }
        else:
            filename = attr(attachment, "ri:filename") if attachment is not None else ""
            media = {
                "type": "media",
                "attrs": {"type": "file", "id": _local_id("media", filename), "collection": ""},
            }
        alt = attr(el, "ac:alt")
        if alt:
            media["attrs"]["alt"] = alt
        return {"type": "mediaSingle", "attrs": {"layout": "center"}, "content": [media]}

    # ---- inlines ----------------------------------------------------------------------------

    def inlines(self, el: Any, marks: list[Mark]) -> list[Node]:
        """Inline nodes for an element's content under the given marks."""
        out = _text(el.text or "", marks)
        for kid in el:
            if isinstance(kid.tag, str):
                out.extend(self.inline(kid, marks))
            out.extend(_text(kid.tail or "", marks))
        return out

    def inline(self, el: Any, marks: list[Mark]) -> list[Node]:
        """Inline nodes for one element."""
        tag = local(el)
        if tag in _MARKS:
            return self.inlines(el, [*marks, _MARKS[tag]])
        if tag == "a":
            link = {"type": "link", "attrs": {"href": el.get("href", "")}}
            return self.inlines(el, [*marks, link])
        if tag == "br":
            return [{"type": "hardBreak"}]
        if tag == "ac:link":
            return self.link(el, marks)
        if tag == "ac:emoticon":
            name = attr(el, "ac:emoji-shortname") or f":{attr(el, 'ac:name') or 'smile'}:"
            text = attr(el, "ac:emoji-fallback") or name
            return [{"type": "emoji", "attrs": {"shortName": name, "text": text}}]
        if tag == "time":
            return [{"type": "date", "attrs": {"timestamp": _timestamp(el.get("datetime", ""))}}]
        if tag == "ac:placeholder":
            return [{"type": "placeholder", "attrs": {"text": "".join(el.itertext())}}]
        if tag == "ac:inline-comment-marker":
            mark = {
                "type": "annotation",
                "attrs": {"id": attr(el, "ac:ref"), "annotationType": "inlineComment"},
            }
            return self.inlines(el, [*marks, mark])
        if tag == "ac:structured-macro" and attr(el, "ac:name") == "status":
            return [self.status(macro_params(el))]
        if tag in ("ac:parameter", "ac:task-id"):
            return []
        return self.inlines(el, marks)

    def link(self, el: Any, marks: list[Mark]) -> list[Node]:
        user_ref = child(el, "ri:user")
        if user_ref is not None:
            ident = attr(user_ref, "ri:account-id") or attr(user_ref, "ri:userkey")
            user = self.site.find_user(ident or attr(user_ref, "ri:username"))
            account = user.account_id if user else ident
            name = user.display_name if user else "Unknown User"
            return [{"type": "mention", "attrs": {"id": account, "text": f"@{name}"}}]
        body = child(el, "ac:link-body")
        plain = child(el, "ac:plain-text-link-body")
        page_ref = child(el, "ri:page")
        title = attr(page_ref, "ri:content-title") if page_ref is not None else ""
        href = _ref_href(self.site, el, self.space_key)
        mark = {"type": "link", "attrs": {"href": href}}
        if body is not None:
            return self.inlines(body, [*marks, mark])
        text = "".join(plain.itertext()) if plain is not None else title or href
        return _text(text, [*marks, mark])


def _ref_href(site: Site, link: Any, space_key: str) -> str:
    for ref in link:
        tag = local(ref)
        if tag == "ri:url":
            return attr(ref, "ri:value")
        if tag == "ri:page":
            title = attr(ref, "ri:content-title")
            key = attr(ref, "ri:space-key") or space_key
            page = find_page(site, key, title)
            if page is not None:
                return f"/wiki/spaces/{page.space_key}/pages/{page.id}"
        if tag == "ri:space":
            return f"/wiki/spaces/{attr(ref, 'ri:space-key')}"
        if tag == "ri:attachment":
            return f"#{attr(ref, 'ri:filename')}"
    anchor = attr(link, "ac:anchor")
    return f"#{anchor}" if anchor else ""


def _text(text: str, marks: list[Mark]) -> list[Node]:
    text = re.sub(r"\s+", " ", text)
    if not text:
        return []
    node: Node = {"type": "text", "text": text}
    if marks:
        node["marks"] = [dict(m) for m in marks]
    return [node]


def _trim(nodes: list[Node]) -> list[Node]:
    """Drop leading/trailing whitespace-only text around inline content."""
    out = list(nodes)
    while out and out[0]["type"] == "text" and not out[0]["text"].strip():
        out.pop(0)
    while out and out[-1]["type"] == "text" and not out[-1]["text"].strip():
        out.pop()
    if out and out[0]["type"] == "text":
        out[0] = {**out[0], "text": out[0]["text"].lstrip()}
    if out and out[-1]["type"] == "text":
        out[-1] = {**out[-1], "text": out[-1]["text"].rstrip()}
    return out


def _para(content: list[Node]) -> Node:
    return {"type": "paragraph", "content": content}


def _code(text: str, language: str | None) -> Node:
    node: Node = {"type": "codeBlock", "content": [{"type": "text", "text": text}] if text else []}
    if language:
        node["attrs"] = {"language": language}
    return node


def _timestamp(value: str) -> str:
    try:
        when = datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return "0"
    return str(int(when.timestamp() * 1000))
