"""The knowledge-base commands through the real CLI: connect, import, documents, search, ask."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ingest_kit import TOKEN, make_emulator, sample_with_extras, served
from typer.testing import CliRunner

from radex.cli import app
from radex.confluence.emulator.serve import admin_of


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[str, str]]:
    emu = make_emulator(sample_with_extras(), "cloud")
    with served(emu) as url:
        yield url, admin_of(emu).email


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("RADEX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("RADEX_EMBEDDER", "hashing")
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return invoke


def test_connect_import_and_query(cli: Any, site: tuple[str, str]) -> None:
    url, email = site
    done = cli("connect", "acme", "--url", url, "--email", email, "--token", TOKEN)
    assert done.exit_code == 0, done.output
    assert "connected 'acme'" in done.output
    sources = json.loads(cli("sources", "--json").output)
    assert [s["name"] for s in sources] == ["acme"]
    assert TOKEN not in cli("sources", "--json").output

    imported = cli("import", "space", "ENG")
    assert imported.exit_code == 0, imported.output
    assert "0 failed" in imported.output

    docs = json.loads(cli("documents", "--space", "ENG", "--json").output)
    assert {"id", "external_id", "type", "title", "space", "url", "version"} <= set(docs[0])
    assert any(d["title"] == "Incident severity levels" for d in docs)

    hits = json.loads(cli("search", "severity acknowledge SEV1", "-k", "3", "--json").output)
    assert len(hits) <= 3
    assert {"document_id", "external_id", "title", "url", "heading", "score", "snippet"} <= set(
        hits[0]
    )

    answer = json.loads(cli("ask", "How fast must a SEV1 be acknowledged?", "--json").output)
    assert answer["answer"]
    assert answer["citations"]
    assert {"external_id", "title", "url"} <= set(answer["citations"][0])
    text = cli("ask", "How fast must a SEV1 be acknowledged?").output
    assert "[1]" in text
    assert "Sources:" in text

    folders = cli("folders").output.splitlines()
    assert "/ENG" in folders

    again = cli("import", "space", "ENG")
    pages = [d for d in docs if d["type"] in ("page", "blogpost")]
    assert f"{len(pages)} unchanged" in again.output
    assert "attachments: " in again.output
    assert "comments: " in again.output


def test_failures_exit_non_zero_with_one_line(cli: Any, site: tuple[str, str]) -> None:
    url, email = site
    wrong = cli("connect", "acme", "--url", url, "--email", email, "--token", "nope")
    assert wrong.exit_code != 0
    assert "error:" in wrong.output
    assert "Traceback" not in wrong.output
    none = cli("import", "space", "ENG")
    assert none.exit_code == 2
    assert "radex connect" in none.output
    assert cli("connect", "acme", "--url", url, "--email", email, "--token", TOKEN).exit_code == 0
    missing = cli("import", "space", "NOPE")
    assert missing.exit_code == 2
    assert "NOPE" in missing.output
    bad = cli("import", "space", "ODD")
    assert bad.exit_code == 1
    assert "Huge page" in bad.output
    empty = cli("import", "space", "EMPTY")
    assert empty.exit_code == 0
    assert "nothing imported" in empty.output
    nothing = cli("ask", "zzzz qqqq")
    assert "found nothing" in nothing.output or "[1]" in nothing.output
    both = cli("connect", "b", "--url", url, "--pat", "x", "--email", email, "--token", "t")
    assert both.exit_code == 2
    assert "exactly one credential" in both.output
