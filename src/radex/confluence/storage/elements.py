"""Confluence-only elements that are not links or macros: tasks, layouts, emoticons, ADF."""

from __future__ import annotations

from typing import TYPE_CHECKING

from radex.confluence.storage.common import list_item
from radex.confluence.storage.inline import InlineBuf
from radex.confluence.storage.parse import AC
from radex.confluence.storage.text import collapse, escape, indent
from radex.confluence.storage.vocab import ADF_PANEL_TYPES, EMOTICONS

if TYPE_CHECKING:
    from lxml import etree

    from radex.confluence.storage.render import Renderer

    Element = etree._Element


def task_list(r: Renderer, el: Element) -> list[str]:
    """``ac:task-list`` as ``- [ ]`` / ``- [x]`` items, nesting kept."""
    items: list[str] = []
    for child in el:
        tag = child.tag
        if tag == AC + "task":
            items.append(_task(r, child))
        elif tag == AC + "task-list":
            nested = task_list(r, child)
            if nested and items:
                items[-1] = list_item_append(items[-1], nested[0])
            elif nested:
                items.append(list_item("-", nested, cell=r.in_cell))
    return ["\n".join(items)] if items else []


def list_item_append(item: str, nested: str) -> str:
    """Append a nested list to a rendered ``- `` item, indented under it."""
    return item + "\n" + indent(nested, "  ")


def _task(r: Renderer, el: Element) -> str:
    done = False
    blocks: list[str] = []
    for child in el:
        tag = child.tag
        if tag == AC + "task-status":
            done = (child.text or "").strip().lower() == "complete"
        elif tag == AC + "task-body":
            blocks.extend(r.flow(child))
        elif tag == AC + "task-list":
            blocks.extend(task_list(r, child))
    r.col.count("task-done" if done else "task-open")
    return list_item("- [x]" if done else "- [ ]", blocks, width=2, cell=r.in_cell)


def task_list_of_one(r: Renderer, el: Element) -> list[str]:
    """A stray ``ac:task`` outside a task list."""
    return [_task(r, el)]


def layout(r: Renderer, el: Element) -> list[str]:
    """``ac:layout`` / sections / cells, stacked in reading order."""
    blocks: list[str] = []
    for child in el:
        tag = child.tag
        if tag == AC + "layout-section":
            blocks.extend(layout(r, child))
        elif tag == AC + "layout-cell" or isinstance(tag, str):
            blocks.extend(r.flow(child))
    return blocks


def adf_extension(r: Renderer, el: Element) -> list[str]:
    """``ac:adf-extension``: panels and decision lists natively, anything else from its fallback."""
    node = el.find(AC + "adf-node")
    if node is not None:
        kind = _adf_type(node)
        if kind == "panel":
            return _adf_panel(r, node)
        if kind == "decision-list":
            return _adf_decisions(r, node)
    fallback = el.find(AC + "adf-fallback")
    r.col.fallback("adf:" + (_adf_type(node) if node is not None else "unknown"))
    if fallback is not None:
        return r.flow(fallback)
    return r.flow(node) if node is not None else []


def _adf_type(node: Element) -> str:
    return (node.get("type") or node.get(AC + "type") or "").strip().lower()


def _adf_attr(node: Element, key: str) -> str:
    for child in node:
        if child.tag == AC + "adf-attribute" and (child.get("key") or child.get(AC + "key")) == key:
            return (child.text or "").strip()
    return ""


def _adf_panel(r: Renderer, node: Element) -> list[str]:
    from radex.confluence.storage.macros import callout

    panel = _adf_attr(node, "panel-type").lower() or "info"
    kind = ADF_PANEL_TYPES.get(panel, "PANEL")
    content = node.find(AC + "adf-content")
    blocks = r.flow(content) if content is not None else []
    return callout(r, kind, "", blocks)


def _adf_decisions(r: Renderer, node: Element) -> list[str]:
    items = []
    for item in node:
        if item.tag != AC + "adf-node" or _adf_type(item) != "decision-item":
            continue
        state = _adf_attr(item, "state").upper()
        content = item.find(AC + "adf-content")
        blocks = r.flow(content) if content is not None else []
        mark = "[decided]" if state == "DECIDED" else "[undecided]"
        items.append(list_item(f"- {mark}", blocks, width=2, cell=r.in_cell))
    return ["\n".join(items)] if items else []


def emoticon(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """An emoticon or emoji as Unicode (legacy names mapped, ``:name:`` when unknown)."""
    char = _emoji(el)
    if char:
        buf.literal(char)


def _emoji(el: Element) -> str:
    emoji_id = el.get(AC + "emoji-id") or ""
    if emoji_id:
        try:
            codes = [int(part, 16) for part in emoji_id.split("-")]
        except ValueError:
            codes = []
        if codes and all(0x20 < c <= 0x10FFFF and not 0xD800 <= c <= 0xDFFF for c in codes):
            return "".join(chr(c) for c in codes)
    fallback = el.get(AC + "emoji-fallback") or ""
    if fallback and not fallback.startswith(":"):
        return fallback
    name = (el.get(AC + "name") or "").strip()
    if name in EMOTICONS:
        return EMOTICONS[name]
    shortname = el.get(AC + "emoji-shortname") or fallback
    if shortname:
        return escape(collapse(shortname).strip())
    return escape(f":{name}:") if name else ""


def time(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """A ``time`` lozenge as its ISO date."""
    value = (el.get("datetime") or "").strip()
    if value:
        buf.apart(escape(value))
    else:
        r.inline(el, buf)


def inline_comment(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """An inline-comment marker: its text kept, its reference recorded."""
    ref = el.get(AC + "ref")
    if ref:
        r.col.comment_refs[ref] = None
    r.inline(el, buf)


def skip(r: Renderer, el: Element, buf: InlineBuf) -> None:
    """An element that is not content (``ac:placeholder``)."""
