"""Fixed vocabularies shared by both directions: emoticons, code languages, callout types."""

from __future__ import annotations

import re
from types import MappingProxyType

EMOTICONS = MappingProxyType(
    {
        "smile": "🙂",
        "sad": "🙁",
        "cheeky": "😛",
        "laugh": "😃",
        "wink": "😉",
        "thumbs-up": "👍",
        "thumbs-down": "👎",
        "information": "ℹ️",
        "tick": "✅",
        "cross": "❌",
        "warning": "⚠️",
        "plus": "➕",
        "minus": "➖",
        "question": "❓",
        "light-on": "💡",
        "light-off": "💡",
        "yellow-star": "⭐",
        "red-star": "⭐",
        "green-star": "⭐",
        "blue-star": "⭐",
        "star": "⭐",
        "heart": "❤️",
        "broken-heart": "💔",
    }
)
"""Legacy Confluence emoticon names and the Unicode they stand for."""

# Confluence code-macro language ids -> the ids Markdown highlighters use.
LANGUAGE_TO_MARKDOWN = MappingProxyType(
    {
        "actionscript3": "actionscript",
        "c#": "csharp",
        "c++": "cpp",
        "erl": "erlang",
        "html/xml": "xml",
        "jfx": "javafx",
        "js": "javascript",
        "py": "python",
        "sh": "bash",
        "shell": "bash",
        "vb": "vbnet",
        "yml": "yaml",
        "none": "",
        "text": "",
        "plain": "",
        "plaintext": "",
    }
)
"""Confluence's code-macro language ids mapped to the common Markdown ids."""

LANGUAGE_TO_CONFLUENCE = MappingProxyType(
    {
        "actionscript": "actionscript3",
        "csharp": "c#",
        "cs": "c#",
        "c++": "cpp",
        "erlang": "erl",
        "javafx": "jfx",
        "javascript": "js",
        "python": "py",
        "vbnet": "vb",
        "yaml": "yml",
        "sh": "bash",
        "shell": "bash",
    }
)
"""Markdown fence languages mapped back to the code-macro ids Confluence stores."""

_LANGUAGE_OK = re.compile(r"[^a-z0-9+#._-]")


def markdown_language(confluence: str | None) -> str:
    """The fence language for a code macro's ``language`` parameter ("" when none)."""
    if not confluence:
        return ""
    lang = confluence.strip().lower()
    lang = LANGUAGE_TO_MARKDOWN.get(lang, lang)
    return _LANGUAGE_OK.sub("", lang)


def confluence_language(markdown: str | None) -> str:
    """The code-macro ``language`` for a fence language ("" when none)."""
    if not markdown:
        return ""
    lang = markdown.strip().split()[0].lower() if markdown.strip() else ""
    lang = _LANGUAGE_OK.sub("", lang)
    return LANGUAGE_TO_CONFLUENCE.get(lang, lang)


CALLOUT_MACROS = frozenset({"info", "note", "warning", "tip", "panel"})
"""Macros written as ``> [!TYPE] Title`` callouts (type = macro name, upper-cased)."""

CALLOUT_TO_MACRO = MappingProxyType(
    {
        "INFO": "info",
        "NOTE": "note",
        "WARNING": "warning",
        "TIP": "tip",
        "PANEL": "panel",
        "IMPORTANT": "info",
        "CAUTION": "warning",
        "SUCCESS": "tip",
        "ERROR": "warning",
    }
)
"""Callout types accepted on write-back and the macro each becomes."""

ADF_PANEL_TYPES = MappingProxyType(
    {
        "info": "INFO",
        "note": "NOTE",
        "warning": "WARNING",
        "success": "SUCCESS",
        "error": "ERROR",
        "tip": "TIP",
        "custom": "PANEL",
    }
)
"""Cloud ADF panel types and the callout type they render as."""

MARKED_MACROS = frozenset({"excerpt", "details"})
"""Known macros whose rich body sits between ``<!-- macro: … -->`` markers for write-back."""

DYNAMIC_MACROS = frozenset(
    {
        "attachments",
        "children",
        "pagetree",
        "content-tree",
        "contentbylabel",
        "recently-updated",
        "detailssummary",
        "tasks-report-macro",
        "blog-posts",
        "content-report-table",
        "popular-labels",
        "related-labels",
        "listlabels",
        "space-details",
        "spaces",
        "pagetreesearch",
        "livesearch",
        "search",
        "create-from-template",
        "create-space-button",
        "contributors",
        "contributors-summary",
        "change-history",
        "page-index",
        "index",
        "favpages",
        "recently-updated-dashboard",
        "network",
        "task-report",
        "jiraissues",
        "jira-chart",
    }
)
"""Macros whose output Confluence computes at view time: rendered as placeholders."""
