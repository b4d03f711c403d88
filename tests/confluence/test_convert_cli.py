"""`radex convert`: storage -> Markdown and back, from a file or stdin, with clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from radex.cli import app

RADEX = Path(sys.executable).with_name("radex")
BODY = (
    "<h1>Hello</h1><p>a&nbsp;b</p>"
    '<ac:structured-macro ac:name="info"><ac:parameter ac:name="title">T</ac:parameter>'
    "<ac:rich-text-body><p>inside</p></ac:rich-text-body></ac:structured-macro>"
    '<ac:structured-macro ac:name="fancy"/>'
)


def test_convert_file_to_markdown(tmp_path: Path) -> None:
    source = tmp_path / "page.xml"
    source.write_text(BODY, encoding="utf-8")
    result = CliRunner().invoke(app, ["convert", str(source)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "# Hello\n\na b\n\n> [!INFO] T\n>\n> inside\n\n<!-- macro: fancy -->\n"
    )


def test_convert_stdin_with_report_on_stderr() -> None:
    proc = subprocess.run(
        [str(RADEX), "convert", "--report", "-"],
        input=BODY.encode(),
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode().startswith("# Hello\n")
    report = json.loads(proc.stderr)
    assert report["fallbacks"] == {"fancy": 1}
    assert report["elements"]["macro:info"] == 1
    assert report["lossless"] is False


def test_convert_markdown_to_storage_with_flavor() -> None:
    result = CliRunner().invoke(
        app, ["convert", "--to", "storage", "--flavor", "dc"], input="- [x] ping @user:k1\n"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "<ac:task-list><ac:task><ac:task-id>1</ac:task-id><ac:task-status>complete"
        '</ac:task-status><ac:task-body>ping <ac:link><ri:user ri:userkey="k1" /></ac:link>'
        "</ac:task-body></ac:task></ac:task-list>\n"
    )


def test_round_trip_through_the_cli(tmp_path: Path) -> None:
    runner = CliRunner()
    first = runner.invoke(app, ["convert"], input=BODY).stdout
    storage = runner.invoke(app, ["convert", "--to", "storage"], input=first).stdout
    assert runner.invoke(app, ["convert"], input=storage).stdout == first


def test_links_use_base_url_and_space() -> None:
    body = '<p><ac:link><ri:page ri:content-title="Home"/></ac:link></p>'
    result = CliRunner().invoke(
        app, ["convert", "--base-url", "https://w.example", "--space", "ENG"], input=body
    )
    assert result.stdout == "[Home](https://w.example/display/ENG/Home)\n"


def test_conversion_error_is_a_message_and_exit_2() -> None:
    proc = subprocess.run(
        [str(RADEX), "convert"],
        input=b'<!DOCTYPE x [<!ENTITY a "b">]><p>&a;</p>',
        capture_output=True,
        check=False,
    )
    assert proc.returncode == 2
    assert b"DTD" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_invalid_utf8_is_exit_2() -> None:
    for args in (["convert"], ["convert", "--to", "storage"]):
        proc = subprocess.run(
            [str(RADEX), *args], input=b"<p>caf\xe9</p>", capture_output=True, check=False
        )
        assert proc.returncode == 2, args
        assert b"UTF-8" in proc.stderr


def test_bad_options_and_missing_file_are_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["convert", "--to", "html"], input="x").exit_code == 2
    assert runner.invoke(app, ["convert", "--flavor", "server"], input="x").exit_code == 2
    assert runner.invoke(app, ["convert", "--to", "storage", "--report"], input="x").exit_code == 2
    missing = runner.invoke(app, ["convert", str(tmp_path / "nope.xml")])
    assert missing.exit_code == 2
