"""Real storage bodies written outside this project convert without error and keep their words.

Sources (read in place, never copied; see each folder's SOURCE.md and licence):
- ../shared/evalsets/migrate-confluence-macro-fixtures: the 75 `*-input.xml` storage fragments (per
  macro/element), each wrapped in a root element that declares placeholder namespaces;
- ../shared/evalsets/xwiki-confluence-exports: Confluence space exports (entities.xml, plain and
  inside zips) whose BodyContent objects with bodyType 2 hold storage bodies in CDATA, plus the
  storage-format inputs of XWiki's syntax tests (``.test`` input sections and ``.in.xml``).

"Visible words" are the words of a body's text outside markup, leaving out what Confluence never
shows (macro parameters, placeholders, task ids/status) and reading the html macro's body with
its tags stripped. Words run together across inline elements, as a browser shows them.
"""

from __future__ import annotations

import html.entities
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree

from radex.confluence.markdown import markdown_to_storage
from radex.confluence.storage import storage_to_markdown

EVALSETS = Path(__file__).resolve().parents[2] / ".." / "shared" / "evalsets"
MACRO_FIXTURES = EVALSETS / "migrate-confluence-macro-fixtures"
XWIKI = EVALSETS / "xwiki-confluence-exports"
MIN_RECALL = 0.99

AC = "{http://atlassian.com/content}"
INVISIBLE = {
    AC + name
    for name in (
        "parameter",
        "default-parameter",
        "placeholder",
        "task-id",
        "task-status",
        "task-uuid",
        "adf-attribute",
    )
}
SEPARATE = {
    "p", "div", "li", "td", "th", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
    "table", "blockquote", "pre", "hr", "time", "dt", "dd", "rich-text-body", "plain-text-body",
    "task", "task-body", "layout-cell", "layout-section", "structured-macro", "macro",
    "emoticon", "link", "image", "adf-node", "adf-content", "adf-fallback", "caption",
}  # fmt: skip
_BODY_OBJECT = re.compile(r'<object class="BodyContent".*?</object>', re.DOTALL)
_BODY_PROPERTY = re.compile(r'<property name="body"><!\[CDATA\[(.*?)\]\]></property>', re.DOTALL)
_WRAPPER = re.compile(r"\s*(?:<\?xml[^>]*\?>\s*)?<(\w+)[^>]*>")
_TEST_INPUT = re.compile(r"^\.input\|confluence\+xhtml/1\.0\n(.*?)^\.expect", re.DOTALL | re.M)
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")
_WORD = re.compile(r"[^\W_]+")


def _require(folder: Path) -> Path:
    if not folder.is_dir():
        pytest.fail(f"evalset folder {folder} is missing: the recall tests need it", pytrace=False)
    return folder


def macro_fixture_bodies() -> Iterator[tuple[str, str]]:
    """Each ``*-input.xml`` fragment with its placeholder-namespace wrapper removed."""
    data = _require(MACRO_FIXTURES) / "tests" / "phpunit" / "data"
    for path in sorted(data.glob("*-input.xml")):
        text = path.read_text(encoding="utf-8")
        opened = _WRAPPER.match(text)
        assert opened, path.name
        end = text.rindex(f"</{opened.group(1)}")
        yield path.name, text[opened.end() : end]


def _export_bodies(name: str, text: str) -> Iterator[tuple[str, str]]:
    for i, obj in enumerate(_BODY_OBJECT.findall(text)):
        if '<property name="bodyType">2</property>' not in obj:
            continue
        found = _BODY_PROPERTY.search(obj)
        if found:
            # exports write a nested CDATA end as "]] >"; restore the original body
            yield f"{name}#{i}", found.group(1).replace("]] >", "]]>")


def xwiki_bodies() -> Iterator[tuple[str, str]]:
    """Storage bodies from the XWiki importer's exports and syntax tests."""
    root = _require(XWIKI)
    for path in sorted(root.rglob("entities.xml")):
        text = path.read_text(encoding="utf-8", errors="replace")
        yield from _export_bodies(str(path.relative_to(root)), text)
    for archive in sorted(root.rglob("*.zip")):
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                if member.endswith("entities.xml"):
                    text = zf.read(member).decode("utf-8", errors="replace")
                    yield from _export_bodies(f"{archive.name}!{member}", text)
    for path in sorted(root.rglob("*.test")):
        found = _TEST_INPUT.search(path.read_text(encoding="utf-8"))
        if found:
            lines = [ln for ln in found.group(1).split("\n") if not ln.startswith(".#")]
            yield str(path.relative_to(root)), "\n".join(lines)
    for path in sorted(root.rglob("*.in.xml")):
        yield str(path.relative_to(root)), path.read_text(encoding="utf-8")


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name in ("amp", "lt", "gt", "quot", "apos"):
        return match.group(0)
    chars = html.entities.html5.get(name + ";")
    return chars.replace("&", "&amp;").replace("<", "&lt;") if chars else match.group(0)


def visible_words(body: str) -> list[str]:
    """Words of the text a reader sees, from an independent, forgiving parse."""
    body = re.sub(r"^\s*<\?xml[^>]*\?>", "", body)
    body = re.sub("[\x00-\x08\x0b\x0c\x0e-\x1f]", "", body)
    body = _ENTITY.sub(_entity, body)
    wrapped = (
        '<r xmlns:ac="http://atlassian.com/content" '
        f'xmlns:ri="http://atlassian.com/resource/identifier">{body}</r>'
    )
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(wrapped.encode("utf-8"), parser)
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        if el.text and el.tag not in INVISIBLE:
            text = el.text
            parent = el.getparent()
            in_html_macro = parent is not None and (parent.get(AC + "name") or "") == "html"
            if el.tag == AC + "plain-text-body" and in_html_macro:
                text = re.sub(r"<[^>]*>", " ", text)
            parts.append(text)
        for child in el:
            if isinstance(child.tag, str) and child.tag not in INVISIBLE:
                separate = child.tag.rsplit("}", 1)[-1] in SEPARATE
                if separate:
                    parts.append(" ")
                walk(child)
                if separate:
                    parts.append(" ")
            if child.tail:
                parts.append(child.tail)

    if root is not None:
        walk(root)
    return _WORD.findall("".join(parts).lower())


def markdown_words(markdown: str) -> set[str]:
    """Words of Markdown as rendered: link targets and emphasis/escape characters removed."""
    text = re.sub(r"\]\((?:<[^>]*>|[^)\s]*)\)", "", markdown)
    text = re.sub(r"</?su[bp]>", "", text).replace("<br>", " ")
    text = re.sub(r"[\[\]!*~`\\]", "", text)
    return set(_WORD.findall(text.lower()))


def recall(body: str, markdown: str) -> tuple[float, list[str]]:
    expected = visible_words(body)
    if not expected:
        return 1.0, []
    seen = markdown_words(markdown)
    missing = [w for w in expected if w not in seen]
    return 1 - len(missing) / len(expected), missing


def _check_all(bodies: list[tuple[str, str]], minimum: int) -> None:
    assert len(bodies) >= minimum, f"only {len(bodies)} bodies found"
    worst: list[tuple[float, str, list[str]]] = []
    for name, body in bodies:
        result = storage_to_markdown(body)
        score, missing = recall(body, result.markdown)
        if score < MIN_RECALL:
            worst.append((score, name, missing[:10]))
    assert not worst, f"word recall below {MIN_RECALL}: {sorted(worst)[:5]}"


def test_every_macro_fixture_converts_and_keeps_its_words() -> None:
    _check_all(list(macro_fixture_bodies()), minimum=75)


def test_every_xwiki_storage_body_converts_and_keeps_its_words() -> None:
    _check_all(list(xwiki_bodies()), minimum=250)


def test_recall_measure_detects_lost_words() -> None:
    body = "<p>alpha <strong>beta</strong></p><table><tr><td>gamma</td></tr></table>"
    assert recall(body, "alpha **beta**\n")[0] == pytest.approx(2 / 3)
    assert recall(body, storage_to_markdown(body).markdown)[0] == 1.0


def test_recall_ignores_parameters_but_counts_bodies() -> None:
    body = (
        '<ac:structured-macro ac:name="x"><ac:parameter ac:name="p">hidden</ac:parameter>'
        "<ac:rich-text-body><p>shown</p></ac:rich-text-body></ac:structured-macro>"
    )
    assert visible_words(body) == ["shown"]


def test_evalset_markdown_round_trips_stably() -> None:
    unstable = []
    for name, body in [*macro_fixture_bodies(), *xwiki_bodies()]:
        first = storage_to_markdown(body).markdown
        second = storage_to_markdown(markdown_to_storage(first)).markdown
        if first != second:
            unstable.append(name)
    assert not unstable, unstable[:5]
