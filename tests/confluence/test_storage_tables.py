"""Tables: GFM pipe tables, header rules, merged cells, block content and nested tables."""

from __future__ import annotations

from radex.confluence.storage import storage_to_markdown


def md(body: str) -> str:
    return storage_to_markdown(body).markdown


def test_th_first_row_is_the_header() -> None:
    body = (
        "<table><tbody><tr><th>Name</th><th>Role</th></tr>"
        "<tr><td>Ann</td><td>Lead</td></tr></tbody></table>"
    )
    assert md(body) == "| Name | Role |\n| --- | --- |\n| Ann | Lead |\n"


def test_thead_row_is_the_header_even_with_td() -> None:
    body = "<table><thead><tr><td>H</td></tr></thead><tbody><tr><td>v</td></tr></tbody></table>"
    assert md(body) == "| H |\n| --- |\n| v |\n"


def test_without_th_header_row_is_empty() -> None:
    body = "<table><tbody><tr><th>k</th><td>v</td></tr></tbody></table>"
    assert md(body) == "|  |  |\n| --- | --- |\n| k | v |\n"


def test_colspan_and_rowspan_fill_every_covered_cell() -> None:
    body = (
        "<table><tbody><tr><th>A</th><th>B</th><th>C</th></tr>"
        '<tr><td rowspan="2">r</td><td colspan="2">wide</td></tr>'
        "<tr><td>x</td><td>y</td></tr></tbody></table>"
    )
    result = storage_to_markdown(body)
    assert result.markdown == (
        "| A | B | C |\n| --- | --- | --- |\n| r | wide | wide |\n| r | x | y |\n"
    )
    info = result.structure.tables[0]
    assert (info.rows, info.cols, info.header, info.merged) == (3, 3, True, True)


def test_ragged_rows_are_padded() -> None:
    body = "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"
    assert md(body) == "|  |  |\n| --- | --- |\n| a | b |\n| c |  |\n"


def test_pipes_are_escaped_and_blocks_joined_with_br() -> None:
    body = (
        "<table><tr><td><p>one | two</p><p>three</p><ul><li>a</li><li>b</li></ul></td></tr></table>"
    )
    assert md(body) == "|  |\n| --- |\n| one \\| two<br>three<br>- a<br>- b |\n"


def test_code_in_a_cell_becomes_inline_code() -> None:
    body = (
        '<table><tr><td><ac:structured-macro ac:name="code"><ac:plain-text-body>'
        "<![CDATA[a | b\n\nc]]></ac:plain-text-body></ac:structured-macro></td></tr></table>"
    )
    assert md(body) == "|  |\n| --- |\n| `a \\| b`<br>`c` |\n"


def test_headings_and_callouts_in_cells_stay_on_one_line() -> None:
    body = (
        '<table><tr><td><h2>Title</h2><ac:structured-macro ac:name="info">'
        '<ac:parameter ac:name="title">Note</ac:parameter><ac:rich-text-body><p>body</p>'
        "</ac:rich-text-body></ac:structured-macro></td></tr></table>"
    )
    assert md(body) == "|  |\n| --- |\n| **Title**<br>**INFO:** Note<br>body |\n"


def test_nested_table_is_flattened_to_key_value_text() -> None:
    inner_with_header = (
        "<table><tr><th>Env</th><th>URL</th></tr><tr><td>prod</td><td>p.example</td></tr>"
        "<tr><td>dev</td><td>d.example</td></tr></table>"
    )
    inner_pairs = "<table><tr><td>owner</td><td>ann</td></tr></table>"
    body = f"<table><tr><td>{inner_with_header}</td><td>{inner_pairs}</td></tr></table>"
    assert md(body) == (
        "|  |  |\n| --- | --- |\n"
        "| Env: prod; URL: p.example<br>Env: dev; URL: d.example | owner: ann |\n"
    )


def test_caption_precedes_the_table() -> None:
    body = "<table><caption>Budget</caption><tr><td>1</td></tr></table>"
    assert md(body) == "*Budget*\n\n|  |\n| --- |\n| 1 |\n"


def test_every_cells_text_survives() -> None:
    cells = "".join(f"<td><p>word{i}</p><p>more{i}</p></td>" for i in range(6))
    out = md(f"<table><tr>{cells}</tr></table>")
    for i in range(6):
        assert f"word{i}" in out
        assert f"more{i}" in out


def test_hostile_spans_are_clamped() -> None:
    body = (
        '<table><tr><td colspan="1000000" rowspan="999999">x</td></tr><tr><td>y</td></tr></table>'
    )
    out = md(body)
    first_row = out.split("\n")[2]
    assert first_row.count("x") == 100
    assert "y" in out


def test_table_too_large_for_a_grid_is_written_row_by_row() -> None:
    rows = "".join('<tr><td colspan="100">c</td></tr>' for _ in range(2500))
    result = storage_to_markdown(f"<table>{rows}</table>")
    assert result.report.fallbacks.get("table-too-large") == 1
    assert len(result.markdown) < 2_000_000
