"""`radex users`, `radex groups` and `radex grants` through the real CLI (Typer's CliRunner),
against an emulated Confluence on loopback HTTP for linking and group sync."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from people_kit import TOKEN, account_id, make_site
from typer.testing import CliRunner

from radex.cli import app
from radex.confluence.emulator.app import Emulator
from radex.confluence.emulator.serve import running
from radex.store import Store


@pytest.fixture(scope="module")
def site() -> Iterator[tuple[Emulator, str]]:
    emu = make_site("cloud")
    with running(emu) as url:
        yield emu, url


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("RADEX_HOME", str(path))
    monkeypatch.setenv("RADEX_EMBEDDER", "hashing")
    return path


@pytest.fixture
def cli(home: Path) -> Any:
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None) -> Any:
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke


def _store(home: Path) -> Store:
    return Store.open(f"sqlite:///{home / 'radex.db'}")


def _one_line_error(result: Any, code: int, *fragments: str) -> None:
    assert result.exit_code == code, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error:"), result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], result.output


def test_users_add_list_role_remove(cli: Any) -> None:
    added = cli(
        "users", "add", "alice", "--email", "alice@example.com", "--role", "editor",
        "--password-stdin", input="correct horse battery\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert added.output.strip() == "added user 'alice' (editor)"
    assert cli("users", "add", "bob").exit_code == 0
    listed = cli("users", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert json.loads(listed.output) == [
        {
            "name": "alice",
            "email": "alice@example.com",
            "role": "editor",
            "active": True,
            "groups": [],
            "links": [],
        },
        {"name": "bob", "email": None, "role": "viewer", "active": True, "groups": [], "links": []},
    ]
    assert "argon2" not in listed.output
    assert "argon2" not in cli("users", "list").output
    assert cli("users", "role", "bob", "admin").output.strip() == "'bob' is now admin"
    assert cli("users", "disable", "bob").exit_code == 0
    text = cli("users", "list").output.splitlines()
    assert text[0].startswith("alice\teditor\talice@example.com")
    assert text[1].startswith("bob\tadmin")
    assert text[1].endswith("disabled")
    assert cli("users", "remove", "bob").output.strip() == "removed user 'bob'"
    assert [u["name"] for u in json.loads(cli("users", "list", "--json").output)] == ["alice"]


def test_user_errors_are_one_line(cli: Any) -> None:
    assert cli("users", "add", "alice").exit_code == 0
    _one_line_error(cli("users", "add", "alice"), 2, "already exists")
    _one_line_error(cli("users", "add", "Bad Name"), 2, "not a usable user name")
    _one_line_error(cli("users", "add", "carol", "--role", "boss"), 2, "not a role")
    _one_line_error(cli("users", "remove", "zed"), 2, "no RADEX user named 'zed'", "users list")
    _one_line_error(cli("users", "role", "alice", "root"), 2, "not a role")
    _one_line_error(cli("users", "add", "dan", "--password-stdin", input="\n"), 2, "no password")
    _one_line_error(cli("users", "add", "dan", "--source", "acme"), 2, "--confluence-id")
    _one_line_error(cli("users", "link", "alice", "--by-email", "--confluence-id", "x"), 2)
    _one_line_error(cli("users", "link", "alice", "--by-email"), 2, "no Confluence")
    assert [u["name"] for u in json.loads(cli("users", "list", "--json").output)] == ["alice"]


def test_groups_add_members_list(cli: Any) -> None:
    for name in ("alice", "bob"):
        assert cli("users", "add", name).exit_code == 0
    assert cli("groups", "add", "eng").output.strip() == "added group 'eng'"
    shown = cli("groups", "members", "eng", "--add", "alice", "--add", "bob")
    assert shown.output.splitlines() == ["alice", "bob"]
    assert cli("groups", "members", "eng", "--remove", "bob").output.splitlines() == ["alice"]
    assert json.loads(cli("groups", "list", "--json").output) == [
        {"name": "eng", "members": ["alice"]}
    ]
    assert json.loads(cli("users", "list", "--json").output)[0]["groups"] == ["eng"]
    _one_line_error(cli("groups", "add", "eng"), 2, "already exists")
    _one_line_error(cli("groups", "members", "ops"), 2, "no RADEX group named 'ops'")
    # one unknown name and nothing changes
    _one_line_error(cli("groups", "members", "eng", "--add", "bob", "--add", "zed"), 2, "zed")
    assert cli("groups", "members", "eng").output.splitlines() == ["alice"]
    assert cli("groups", "remove", "eng").exit_code == 0
    assert "no groups yet" in cli("groups", "list").output


def test_grants_add_list_remove(cli: Any, home: Path) -> None:
    assert cli("users", "add", "alice").exit_code == 0
    assert cli("groups", "add", "eng").exit_code == 0
    with _store(home) as store:
        store.ensure_folder(["ENG", "Ops"])
    assert cli("grants", "add", "/ENG", "--group", "eng", "--level", "editor").exit_code == 0
    done = cli("grants", "add", "/ENG/Ops", "--user", "alice")
    assert done.output.strip() == "granted /ENG/Ops to user:alice as viewer"
    assert cli("grants", "add", "/ENG/Ops", "--everyone").exit_code == 0
    rows = json.loads(cli("grants", "list", "--json").output)
    assert [(r["folder"], r["subject"], r["level"]) for r in rows] == [
        ("/ENG", "group:eng", "editor"),
        ("/ENG/Ops", "anyone", "viewer"),
        ("/ENG/Ops", "user:alice", "viewer"),
    ]
    assert cli("grants", "list", "/ENG").output.splitlines() == ["/ENG\tgroup:eng\teditor"]
    assert cli("grants", "remove", "/ENG/Ops", "--everyone").exit_code == 0
    assert len(json.loads(cli("grants", "list", "/ENG/Ops", "--json").output)) == 1
    _one_line_error(cli("grants", "add", "/HR", "--user", "alice"), 2, "no folder '/HR'", "folders")
    _one_line_error(cli("grants", "add", "/ENG"), 2, "exactly one of")
    _one_line_error(cli("grants", "add", "/ENG", "--user", "alice", "--everyone"), 2)
    _one_line_error(cli("grants", "add", "/ENG", "--user", "alice", "--level", "god"), 2, "level")
    _one_line_error(cli("grants", "remove", "/ENG", "--user", "alice"), 2, "no grant")


def test_link_sync_and_unlink_against_confluence(cli: Any, site: tuple[Emulator, str]) -> None:
    emu, url = site
    connected = cli(
        "connect", "acme", "--url", url, "--email", "admin@example.com", "--token", TOKEN
    )
    assert connected.exit_code == 0, connected.output
    alice = account_id(emu, "alice")

    added = cli("users", "add", "al", "--confluence-id", alice, "--source", "acme")
    assert added.exit_code == 0, added.output
    assert f"linked 'al' to Confluence user {alice} on acme (explicit)" in added.output
    missing = cli("users", "add", "ghost", "--confluence-id", "nobody-here")
    _one_line_error(missing, 2, "no Confluence user nobody-here on acme")
    assert "ghost" not in cli("users", "list").output  # not left half set up

    assert cli("users", "add", "bee", "--email", "bob@example.com").exit_code == 0
    synced = cli("groups", "sync")
    assert synced.exit_code == 0, synced.output
    assert synced.output.strip() == "acme: 4 groups, 6 memberships, 1 linked by email (bee)"
    users = {u["name"]: u for u in json.loads(cli("users", "list", "--json").output)}
    assert users["al"]["links"] == [{"source": "acme", "confluence_id": alice}]
    assert users["bee"]["links"] == [{"source": "acme", "confluence_id": account_id(emu, "bob")}]
    assert TOKEN not in cli("users", "list", "--json").output

    assert cli("users", "unlink", "bee", "--source", "acme").output.strip() == (
        "unlinked 'bee' on acme"
    )
    _one_line_error(cli("users", "unlink", "bee"), 2, "no Confluence identity")
    relinked = cli("users", "link", "bee", "--by-email")
    assert relinked.exit_code == 0, relinked.output
    assert "(email)" in relinked.output
    assert cli("users", "link", "al", "--confluence-id", alice).exit_code == 0  # the same again
    carol = account_id(emu, "carol")
    _one_line_error(cli("users", "link", "al", "--confluence-id", carol), 2, "already linked")
    _one_line_error(cli("groups", "sync", "--source", "nope"), 2, "no source named 'nope'")
