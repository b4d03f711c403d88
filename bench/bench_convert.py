"""Storage format -> Markdown throughput: RADEX vs markdownify, same pages, same run.

markdownify (BeautifulSoup + html.parser) is what LangChain's and LlamaIndex's Confluence
loaders use to turn page bodies into Markdown. Pages are the emulator generator's realistic
pages (``generate_fixture(N, seed=7)``); when the evalsets folder is present the real bodies
of ``../shared/evalsets`` are measured as a second set. Without markdownify (the bench extra:
``make bench``) RADEX is measured alone.

Run: ``.venv/bin/python -m bench.bench_convert [--pages N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import re
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from radex.confluence.emulator.generator import generate_fixture
from radex.confluence.storage import storage_to_markdown

EVALSETS = Path(__file__).resolve().parents[1] / ".." / "shared" / "evalsets"
_OBJECT = re.compile(r'<object class="BodyContent".*?</object>', re.DOTALL)
_BODY = re.compile(r'<property name="body"><!\[CDATA\[(.*?)\]\]></property>', re.DOTALL)


@dataclass(frozen=True)
class Row:
    """Figures for one converter on one page set."""

    pages: str
    tool: str
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        """Pages converted per second (best repeat)."""
        return self.count / self.seconds


def generated_bodies(pages: int) -> list[str]:
    """Every page body of a generated site, children included."""

    def walk(items: list[dict[str, Any]]) -> Iterator[str]:
        """Bodies of pages and their descendants."""
        for page in items:
            yield str(page["body"])
            yield from walk(page.get("children", []))

    fixture = generate_fixture(pages, seed=7)
    return [body for space in fixture["spaces"] for body in walk(space["pages"])]


def evalset_bodies() -> list[str]:
    """Storage bodies from the XWiki exports (entities.xml, plain and zipped), if present."""
    root = EVALSETS / "xwiki-confluence-exports"
    if not root.is_dir():
        return []
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in root.rglob("entities.xml")]
    for archive in root.rglob("*.zip"):
        with zipfile.ZipFile(archive) as zf:
            texts += [
                zf.read(n).decode("utf-8", "replace") for n in zf.namelist() if n.endswith(".xml")
            ]
    bodies = []
    for text in texts:
        for obj in _OBJECT.findall(text):
            found = _BODY.search(obj)
            if found and '<property name="bodyType">2</property>' in obj:
                bodies.append(found.group(1).replace("]] >", "]]>"))
    return bodies


def _radex(body: str) -> str:
    return storage_to_markdown(body).markdown


def converters() -> dict[str, Callable[[str], str]]:
    """RADEX, and markdownify when it is installed."""
    tools: dict[str, Callable[[str], str]] = {"RADEX": _radex}
    try:
        import markdownify
    except ImportError:
        print("markdownify is not installed (`make bench` installs it): RADEX alone")
        return tools
    tools["markdownify"] = lambda body: str(markdownify.markdownify(body))
    return tools


def measure(
    name: str, bodies: list[str], repeats: int, tools: dict[str, Callable[[str], str]]
) -> list[Row]:
    """Best-of-``repeats`` time for each converter; runs alternate to share the noise."""
    best = dict.fromkeys(tools, float("inf"))
    for convert in tools.values():  # warm-up
        for body in bodies[:20]:
            convert(body)
    for _ in range(repeats):
        for tool, convert in tools.items():
            start = time.perf_counter()
            for body in bodies:
                convert(body)
            best[tool] = min(best[tool], time.perf_counter() - start)
    return [Row(name, tool, len(bodies), best[tool]) for tool in tools]


def main() -> None:
    """Measure and print a small table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=500, help="generated pages (default 500)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (best counts)")
    args = parser.parse_args()
    generated = generated_bodies(args.pages)
    sets = [(f"generated ({len(generated)} pages)", generated)]
    real = evalset_bodies()
    if real:
        sets.append((f"xwiki evalset ({len(real)} bodies)", real))
    tools = converters()
    print(f"{'pages':<32} {'tool':<12} {'pages/s':>10} {'avg KB':>7} {'RADEX ×':>8}")
    for name, bodies in sets:
        rows = measure(name, bodies, args.repeats, tools)
        radex = rows[0].per_second
        size = sum(map(len, bodies)) / len(bodies) / 1024
        for row in rows:
            ratio = radex / row.per_second
            print(f"{name:<32} {row.tool:<12} {row.per_second:>10.0f} {size:>7.1f} {ratio:>7.1f}×")


if __name__ == "__main__":
    main()
