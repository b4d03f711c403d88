"""Golden tests: one per macro handler, plus the generic fallback and the fidelity report."""

from __future__ import annotations

import pytest

from radex.confluence.storage import Conversion, storage_to_markdown


def conv(body: str) -> Conversion:
    return storage_to_markdown(body)


def md(body: str) -> str:
    return conv(body).markdown


def macro(name: str, params: dict[str, str] | None = None, body: str = "", plain: str = "") -> str:
    parts = [f'<ac:structured-macro ac:name="{name}" ac:schema-version="1" ac:macro-id="m-1">']
    for key, value in (params or {}).items():
        parts.append(f'<ac:parameter ac:name="{key}">{value}</ac:parameter>')
    if body:
        parts.append(f"<ac:rich-text-body>{body}</ac:rich-text-body>")
    if plain:
        parts.append(f"<ac:plain-text-body><![CDATA[{plain}]]></ac:plain-text-body>")
    parts.append("</ac:structured-macro>")
    return "".join(parts)


def test_code_macro_has_language_and_title_caption() -> None:
    body = macro(
        "code", {"language": "py", "title": "Example", "linenumbers": "true"}, plain="x = 1"
    )
    assert md(body) == "*Example*\n\n```python\nx = 1\n```\n"


@pytest.mark.parametrize(
    ("language", "fence"),
    [("c#", "csharp"), ("js", "javascript"), ("yml", "yaml"), ("none", ""), ("Java", "java")],
)
def test_code_languages_map_to_common_ids(language: str, fence: str) -> None:
    assert md(macro("code", {"language": language}, plain="x")) == f"```{fence}\nx\n```\n"


def test_code_keeps_cdata_verbatim_including_cdata_end() -> None:
    body = (
        '<ac:structured-macro ac:name="code"><ac:plain-text-body>'
        "<![CDATA[if a < b && c]]]]><![CDATA[> d:\n    pass]]></ac:plain-text-body>"
        "</ac:structured-macro>"
    )
    assert md(body) == "```\nif a < b && c]]> d:\n    pass\n```\n"


def test_noformat_is_a_plain_fence() -> None:
    assert md(macro("noformat", plain="raw *text*")) == "```\nraw *text*\n```\n"


def test_legacy_ac_macro_and_default_parameter() -> None:
    body = (
        '<ac:macro ac:name="code"><ac:default-parameter>sql</ac:default-parameter>'
        "<ac:plain-text-body><![CDATA[select 1]]></ac:plain-text-body></ac:macro>"
    )
    assert md(body) == "```sql\nselect 1\n```\n"


@pytest.mark.parametrize("name", ["info", "note", "warning", "tip", "panel"])
def test_panels_are_lossless_callouts(name: str) -> None:
    body = macro(name, {"title": "Heads up", "bgColor": "#fff"}, body="<p>Body text</p>")
    assert md(body) == f"> [!{name.upper()}] Heads up\n>\n> Body text\n"


def test_callout_without_title_or_body() -> None:
    assert md(macro("note")) == "> [!NOTE]\n"


def test_callout_nests() -> None:
    body = macro("info", body="<p>outer</p>" + macro("warning", body="<p>inner</p>"))
    assert md(body) == "> [!INFO]\n>\n> outer\n>\n> > [!WARNING]\n> >\n> > inner\n"


def test_expand_is_details_with_body() -> None:
    body = macro("expand", {"title": "More &lt;info&gt;"}, body="<ul><li>x</li></ul>")
    assert md(body) == "<details>\n<summary>More &lt;info&gt;</summary>\n\n- x\n\n</details>\n"


def test_status_is_a_bold_lozenge_and_colour_goes_to_structure() -> None:
    result = conv("<p>State: " + macro("status", {"colour": "Green", "title": "Done"}) + "</p>")
    assert result.markdown == "State: **[Done]**\n"
    assert result.structure.statuses[0].colour == "Green"


def test_status_inside_list_item_stays_in_the_line() -> None:
    assert md("<ul><li>a " + macro("status", {"title": "WIP"}) + " b</li></ul>") == (
        "- a **[WIP]** b\n"
    )


def test_toc_is_a_marker_and_sets_has_toc() -> None:
    result = conv("<p>" + macro("toc", {"maxLevel": "2"}) + "</p><h1>A</h1>")
    assert result.markdown == '<!-- dynamic: toc maxLevel="2" -->\n\n# A\n'
    assert result.structure.has_toc


@pytest.mark.parametrize(
    "name", ["children", "pagetree", "contentbylabel", "recently-updated", "attachments"]
)
def test_dynamic_macros_without_resolver_are_placeholders(name: str) -> None:
    result = conv(macro(name, {"labels": "ops"}))
    assert result.markdown == f'<!-- dynamic: {name} labels="ops" -->\n'
    assert result.report.fallbacks == {f"dynamic:{name}": 1}
    assert name in result.structure.dynamic_macros


def test_jira_single_key_is_a_link_when_the_jira_site_is_known() -> None:
    from radex.confluence.storage import ConvertContext

    body = macro("jira", {"server": "JIRA", "serverId": "abc", "key": "PROJ-12"})
    assert md(body) == "PROJ-12\n"
    ctx = ConvertContext(jira_base_url="https://jira.example.com")
    result = storage_to_markdown(body, context=ctx)
    assert result.markdown == "[PROJ-12](https://jira.example.com/browse/PROJ-12)\n"
    assert result.structure.links[0].kind == "jira"


def test_jira_jql_is_a_placeholder_naming_the_query_without_server_noise() -> None:
    body = macro(
        "jira", {"server": "My JIRA", "serverId": "1a", "jqlQuery": 'project = "A" &amp; x'}
    )
    assert md(body) == '<!-- dynamic: jira jqlQuery="project = &quot;A&quot; &amp; x" -->\n'


def test_anchor_is_dropped_and_recorded() -> None:
    result = conv("<h2>" + macro("anchor", {"": "intro"}) + "Intro</h2>")
    assert result.markdown == "## Intro\n"
    assert result.structure.anchors == ("intro",)


def test_excerpt_body_is_kept_and_recorded() -> None:
    result = conv(macro("excerpt", {"hidden": "true"}, body="<p>Short summary.</p>"))
    assert "Short summary." in result.markdown
    assert result.structure.excerpt == "Short summary."
    assert result.structure.excerpt_hidden


def test_details_keeps_table_and_fills_page_properties() -> None:
    table = (
        "<table><tbody><tr><th>Owner</th><td>Alice</td></tr>"
        "<tr><th><strong>Status</strong></th><td>Draft</td></tr></tbody></table>"
    )
    result = conv(macro("details", {"id": "meta"}, body=table))
    assert "| Owner | Alice |" in result.markdown
    assert dict(result.structure.page_properties) == {"Owner": "Alice", "Status": "Draft"}


def test_horizontal_page_properties() -> None:
    table = (
        "<table><tbody><tr><th>Owner</th><th>Due</th></tr>"
        "<tr><td>Bob</td><td>May</td></tr></tbody></table>"
    )
    result = conv(macro("details", body=table))
    assert dict(result.structure.page_properties) == {"Owner": "Bob", "Due": "May"}


def test_section_and_column_are_flattened_in_reading_order() -> None:
    body = macro(
        "section",
        body=macro("column", {"width": "30%"}, body="<p>left</p>")
        + macro("column", body="<p>right</p>"),
    )
    assert md(body) == "left\n\nright\n"


def test_layout_is_flattened_in_reading_order() -> None:
    body = (
        '<ac:layout><ac:layout-section ac:type="two_equal">'
        "<ac:layout-cell><p>one</p></ac:layout-cell><ac:layout-cell><p>two</p></ac:layout-cell>"
        '</ac:layout-section><ac:layout-section ac:type="single"><ac:layout-cell><p>three</p>'
        "</ac:layout-cell></ac:layout-section></ac:layout>"
    )
    assert md(body) == "one\n\ntwo\n\nthree\n"


@pytest.mark.parametrize("name", ["view-file", "viewpdf", "viewdoc", "viewxls", "viewppt"])
def test_view_file_family_links_to_the_attachment(name: str) -> None:
    body = macro(name, {"name": '<ri:attachment ri:filename="Plan v2.pdf"/>', "height": "250"})
    result = conv(body)
    assert result.markdown == "[Plan v2.pdf](Plan%20v2.pdf)\n"
    assert result.structure.attachments[0].filename == "Plan v2.pdf"


def test_gallery_lists_included_images() -> None:
    assert (
        md(macro("gallery", {"include": "a.png, b.png"})) == "- [a.png](a.png)\n- [b.png](b.png)\n"
    )


def test_multimedia_and_widget_link_their_source() -> None:
    assert md(macro("multimedia", {"name": '<ri:attachment ri:filename="v.mp4"/>'})) == (
        "[v.mp4](v.mp4)\n"
    )
    widget = macro("widget", {"url": '<ri:url ri:value="https://youtu.be/x"/>'})
    assert md(widget) == "[https://youtu.be/x](https://youtu.be/x)\n"


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("drawio", {"diagramName": "arch", "diagramDisplayName": "Architecture", "pageId": "7"}),
        ("gliffy", {"name": "Architecture", "pageid": "7"}),
    ],
)
def test_diagrams_link_the_attachment_with_its_name(name: str, params: dict[str, str]) -> None:
    result = conv(macro(name, params))
    assert result.markdown.startswith("Diagram: [Architecture](")
    assert "/download/attachments/7/" in result.markdown
    assert result.report.fallbacks == {name: 1}


def test_html_macro_is_stripped_to_text_never_passed_through() -> None:
    plain = "<div><script>alert(1)</script><b>Bold</b> text<p>para</p><style>x{}</style></div>"
    result = conv(macro("html", plain=plain))
    assert result.markdown == "Bold text\n\npara\n"
    assert "<" not in result.markdown


def test_profile_macro_is_a_mention_not_parameters() -> None:
    body = macro(
        "profile",
        {"user": '<ri:user ri:account-id="abc"/>', "showAvatar": "false", "showTitle": "false"},
    )
    out = md(body)
    assert out == "@user:abc\n"
    assert "false" not in out


def test_markdown_macro_is_passed_through() -> None:
    assert md(macro("markdown", plain="# Hi\n\n*there*")) == "# Hi\n\n*there*\n"


def test_plantuml_is_fenced() -> None:
    assert md(macro("plantuml", plain="@startuml\nA -> B\n@enduml")) == (
        "```plantuml\n@startuml\nA -> B\n@enduml\n```\n"
    )


def test_tab_macros_keep_their_visible_title() -> None:
    body = macro("localtabgroup", body=macro("localtab", {"title": "Linux"}, body="<p>apt</p>"))
    assert md(body) == "**Linux**\n\napt\n"


def test_unknown_macro_keeps_body_and_never_leaks_parameters() -> None:
    body = macro("fancy-box", {"showBorder": "false", "collapse": "false"}, body="<p>Inside</p>")
    result = conv(body)
    assert result.markdown == "<!-- macro: fancy-box -->\n\nInside\n\n<!-- /macro -->\n"
    assert "false" not in result.markdown
    assert result.report.fallbacks == {"fancy-box": 1}
    assert not result.report.lossless


def test_unknown_macro_with_inline_body_joins_the_text() -> None:
    body = "<p>x " + macro("align", {"align": "center"}, body="centred words") + " y</p>"
    assert md(body) == "x centred words y\n"


def test_unknown_macro_plain_body_is_fenced() -> None:
    assert md(macro("sql-query", {"dsn": "prod"}, plain="select 1")) == (
        "<!-- macro: sql-query -->\n\n```\nselect 1\n```\n\n<!-- /macro -->\n"
    )


def test_unknown_macro_without_body_is_a_marker_only() -> None:
    assert md(macro("loremipsum", {"": "3"})) == "<!-- macro: loremipsum -->\n"


def test_hostile_macro_name_cannot_close_the_marker_comment() -> None:
    out = md('<ac:structured-macro ac:name="x--&gt;&lt;script&gt;"/>')
    assert out.count("-->") == 1
    assert "<script" not in out


def test_adf_panel_and_decision_list() -> None:
    panel = (
        '<ac:adf-extension><ac:adf-node type="panel">'
        '<ac:adf-attribute key="panel-type">success</ac:adf-attribute>'
        "<ac:adf-content><p>Done well</p></ac:adf-content></ac:adf-node>"
        "<ac:adf-fallback><div><p>Done well</p></div></ac:adf-fallback></ac:adf-extension>"
    )
    assert md(panel) == "> [!SUCCESS]\n>\n> Done well\n"
    decisions = (
        '<ac:adf-extension><ac:adf-node type="decision-list">'
        '<ac:adf-node type="decision-item"><ac:adf-attribute key="state">DECIDED</ac:adf-attribute>'
        "<ac:adf-content>Ship it</ac:adf-content></ac:adf-node>"
        '<ac:adf-node type="decision-item">'
        '<ac:adf-attribute key="state">UNDECIDED</ac:adf-attribute>'
        "<ac:adf-content>Name it</ac:adf-content></ac:adf-node></ac:adf-node>"
        "<ac:adf-fallback><ul><li>Ship it</li><li>Name it</li></ul></ac:adf-fallback>"
        "</ac:adf-extension>"
    )
    assert md(decisions) == "- [decided] Ship it\n- [undecided] Name it\n"


def test_unknown_adf_node_renders_its_fallback() -> None:
    body = (
        '<ac:adf-extension><ac:adf-node type="forge-thing"><ac:adf-attribute key="k">v'
        "</ac:adf-attribute></ac:adf-node><ac:adf-fallback><p>Fallback text</p>"
        "</ac:adf-fallback></ac:adf-extension>"
    )
    result = conv(body)
    assert result.markdown == "Fallback text\n"
    assert result.report.fallbacks == {"adf:forge-thing": 1}


def test_report_counts_elements_and_is_json_ready() -> None:
    result = conv("<p>a <strong>b</strong></p>" + macro("info", body="<p>c</p>"))
    report = result.report.to_dict()
    assert report["elements"] == {"macro:info": 1, "p": 2, "strong": 1}
    assert report["lossless"] is True
