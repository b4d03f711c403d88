"""Storage-format page bodies: macros, tables, links and a section plan per kind of page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from radex.confluence.emulator.prose import (
    PageFacts,
    Prose,
    Slots,
    esc,
    mention,
    page_link,
    time_tag,
)
from radex.confluence.emulator.vocabulary import (
    CODE_SNIPPETS,
    JIRA_KEYS,
    SENTENCES,
    SERVICES,
    STATUSES,
    TEAMS,
    VENDOR_MACROS,
)


@dataclass(frozen=True)
class Body:
    """A body as ordered sections (so older versions can drop some), maybe inside a layout."""

    sections: list[str]
    layout: bool = False

    def render(self, upto: int | None = None) -> str:
        """The storage-format body, optionally only the first ``upto`` sections."""
        parts = self.sections if upto is None else self.sections[: max(1, upto)]
        if not self.layout or len(parts) < 3:
            return "".join(parts)
        return (
            '<ac:layout><ac:layout-section ac:type="single"><ac:layout-cell>'
            + parts[0]
            + '</ac:layout-cell></ac:layout-section><ac:layout-section ac:type="two_equal">'
            "<ac:layout-cell>"
            + parts[1]
            + "</ac:layout-cell><ac:layout-cell>"
            + parts[2]
            + '</ac:layout-cell></ac:layout-section><ac:layout-section ac:type="single">'
            "<ac:layout-cell>"
            + "".join(parts[3:] or ["<p />"])
            + "</ac:layout-cell></ac:layout-section></ac:layout>"
        )


class Composer(Prose):
    """Builds storage-format bodies (and, through Prose, short texts) from one random stream."""

    def code(self, slots: Slots) -> str:
        """A code macro."""
        lang, src = CODE_SNIPPETS[self.rng.randrange(len(CODE_SNIPPETS))]
        title = ""
        if self.rng.random() < 0.3:
            title = (
                f'<ac:parameter ac:name="title">{esc(slots["svc"])} {lang} snippet</ac:parameter>'
            )
        return (
            f'<ac:structured-macro ac:name="code" ac:schema-version="1" '
            f'ac:macro-id="{self.macro_id()}"><ac:parameter ac:name="language">{lang}'
            f"</ac:parameter>{title}<ac:plain-text-body><![CDATA[{src.format_map(slots)}]]>"
            "</ac:plain-text-body></ac:structured-macro>"
        )

    def panel(self, slots: Slots, topic: str, name: str | None = None) -> str:
        """An info, note, warning or tip panel."""
        name = name or self.rng.choice(("info", "note", "warning", "tip"))
        title = ""
        if self.rng.random() < 0.4:
            label = {"info": "Good to know", "note": "Note", "warning": "Careful", "tip": "Tip"}
            title = f'<ac:parameter ac:name="title">{label[name]}</ac:parameter>'
        return (
            f'<ac:structured-macro ac:name="{name}" ac:schema-version="1" '
            f'ac:macro-id="{self.macro_id()}">{title}<ac:rich-text-body>'
            f"<p>{self.sentences(slots, topic, self.rng.randint(1, 2))}</p>"
            "</ac:rich-text-body></ac:structured-macro>"
        )

    def expand(self, slots: Slots, topic: str) -> str:
        """An expand macro with a title and a rich body."""
        title = self.rng.choice(
            ("Show details", "Background", "Full command output", "Why we do this", "Edge cases")
        )
        inner = self.para(slots, topic) + (
            self.code(slots) if self.rng.random() < 0.5 else self.bullets(slots)
        )
        return (
            f'<ac:structured-macro ac:name="expand" ac:schema-version="1" '
            f'ac:macro-id="{self.macro_id()}"><ac:parameter ac:name="title">{title}'
            f"</ac:parameter><ac:rich-text-body>{inner}</ac:rich-text-body>"
            "</ac:structured-macro>"
        )

    def status(self, pick: tuple[str, str] | None = None) -> str:
        """A status lozenge."""
        colour, title = pick or STATUSES[self.rng.randrange(len(STATUSES))]
        return (
            f'<ac:structured-macro ac:name="status" ac:schema-version="1" '
            f'ac:macro-id="{self.macro_id()}"><ac:parameter ac:name="colour">{colour}'
            f'</ac:parameter><ac:parameter ac:name="title">{title}</ac:parameter>'
            "</ac:structured-macro>"
        )

    def tasks(self, slots: Slots, facts: PageFacts) -> str:
        """A task list with owners and due dates."""
        r = self.rng
        out = ["<ac:task-list>"]
        for _ in range(r.randint(2, 4)):
            self.task_id += 1
            state = "complete" if r.random() < 0.4 else "incomplete"
            who = mention(facts.people[r.randrange(len(facts.people))])
            what = r.choice(
                (
                    f"update the {slots['svc']} runbook",
                    f"add an alert on {slots['metric']}",
                    f"book the {slots['proc']} session",
                    f"review access for {slots['svc2']}",
                    f"write the migration plan for {slots['tech']}",
                    "share the notes with the team",
                )
            )
            out.append(
                f"<ac:task><ac:task-id>{self.task_id}</ac:task-id>"
                f"<ac:task-status>{state}</ac:task-status>"
                f"<ac:task-body>{who} to {what} by {slots['when']}</ac:task-body></ac:task>"
            )
        out.append("</ac:task-list>")
        return "".join(out)

    def jira(self, facts: PageFacts) -> str:
        """A Jira issue macro (single key, or sometimes a JQL table)."""
        r = self.rng
        project = JIRA_KEYS[facts.team % len(JIRA_KEYS)]
        if r.random() < 0.25:
            param = (
                f'<ac:parameter ac:name="jqlQuery">project = {project} AND status != Done '
                'ORDER BY priority DESC</ac:parameter><ac:parameter ac:name="columns">'
                "key,summary,assignee,status</ac:parameter>"
                '<ac:parameter ac:name="maximumIssues">20</ac:parameter>'
            )
        else:
            param = f'<ac:parameter ac:name="key">{project}-{r.randint(10, 4999)}</ac:parameter>'
        return (
            f'<ac:structured-macro ac:name="jira" ac:schema-version="1" '
            f'ac:macro-id="{self.macro_id()}"><ac:parameter ac:name="server">System JIRA'
            '</ac:parameter><ac:parameter ac:name="serverId">'
            "a3b1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d</ac:parameter>"
            f"{param}</ac:structured-macro>"
        )

    def vendor(self, slots: Slots, topic: str) -> str:
        """A third-party macro the emulator does not know (kept byte for byte)."""
        name, params = VENDOR_MACROS[self.rng.randrange(len(VENDOR_MACROS))]
        ps = "".join(
            f'<ac:parameter ac:name="{k}">{v.format_map(slots)}</ac:parameter>' for k, v in params
        )
        return (
            f'<ac:structured-macro ac:name="{name}" ac:schema-version="1" '
            f'ac:macro-id="{self.macro_id()}">{ps}<ac:rich-text-body>'
            f"<p>{self.sentences(slots, topic, 1)}</p></ac:rich-text-body></ac:structured-macro>"
        )

    def toc(self) -> str:
        """A table-of-contents macro."""
        return (
            f'<ac:structured-macro ac:name="toc" ac:schema-version="1" '
            f'ac:macro-id="{self.macro_id()}"><ac:parameter ac:name="maxLevel">3'
            "</ac:parameter></ac:structured-macro>"
        )

    def children_macro(self) -> str:
        """A children-display macro."""
        return (
            f'<ac:structured-macro ac:name="children" ac:schema-version="2" '
            f'ac:macro-id="{self.macro_id()}"><ac:parameter ac:name="all">true</ac:parameter>'
            '<ac:parameter ac:name="sort">title</ac:parameter></ac:structured-macro>'
        )

    # ---- tables -----------------------------------------------------------------------------

    def dependency_table(self, slots: Slots) -> str:
        """Dependencies of a service: a plain table."""
        r = self.rng
        rows = ["<tr><th>Dependency</th><th>Protocol</th><th>Owner</th><th>If it fails</th></tr>"]
        for _ in range(r.randint(2, 4)):
            dep = SERVICES[r.randrange(len(SERVICES))][0]
            proto = r.choice(("gRPC", "HTTP/JSON", "Kafka topic", "SQL", "Redis"))
            effect = r.choice(
                ("requests queue and retry", "degraded: cached data is served", "hard failure")
            )
            rows.append(
                f"<tr><td>{dep}</td><td>{proto}</td><td>Team {TEAMS[r.randrange(len(TEAMS))]}"
                f"</td><td>{effect}</td></tr>"
            )
        return "<table><tbody>" + "".join(rows) + "</tbody></table>"

    def merged_table(self, slots: Slots) -> str:
        """Latency budgets per environment and region, with rowspan and colspan cells."""
        r = self.rng
        rows = [
            '<tr><th rowspan="2">Environment</th><th rowspan="2">Region</th>'
            '<th colspan="2">Latency budget</th><th rowspan="2">Owner</th></tr>'
            "<tr><th>p50</th><th>p99</th></tr>"
        ]
        for env in ("production", "staging"):
            owner = f"Team {TEAMS[r.randrange(len(TEAMS))]}"
            for i, region in enumerate(("eu-west-1", "us-east-1")):
                p50 = r.choice((20, 30, 40, 60, 80))
                p99 = p50 * r.choice((4, 5, 8))
                lead = f'<td rowspan="2">{env}</td>' if i == 0 else ""
                tail = f'<td rowspan="2">{owner}</td>' if i == 0 else ""
                rows.append(
                    f"<tr>{lead}<td>{region}</td><td>{p50} ms</td><td>{p99} ms</td>{tail}</tr>"
                )
        return "<table><tbody>" + "".join(rows) + "</tbody></table>"

    def decision_table(self, slots: Slots) -> str:
        """Options considered, with pros and cons."""
        r = self.rng
        rows = ["<tr><th>Option</th><th>Pros</th><th>Cons</th></tr>"]
        options = [slots["choice"], slots["alt"], slots.facts.extra.get("alt2", "doing nothing")]
        for option in options:
            pro = r.choice(("mature tooling", "the team already knows it", "cheap to run", "fast"))
            con = r.choice(
                ("licence cost", "operational burden", "weak client libraries", "unproven")
            )
            rows.append(f"<tr><td>{esc(option)}</td><td>{pro}</td><td>{con}</td></tr>")
        rows.append(f'<tr><td colspan="3"><strong>Chosen: {esc(options[0])}</strong></td></tr>')
        return "<table><tbody>" + "".join(rows) + "</tbody></table>"

    def timeline_table(self, slots: Slots) -> str:
        """An incident timeline."""
        r = self.rng
        minute = r.randint(0, 20)
        rows = ["<tr><th>Phase</th><th>Time (UTC)</th><th>Event</th></tr>"]
        for i, event in enumerate(
            (
                f"Deploy of {slots['svc']} starts",
                f"Alert on {slots['metric']} fires",
                "Incident declared, commander assigned",
                "Rollback started",
                "Metrics back to normal",
            )
        ):
            minute += r.randint(2, 9)
            phase = (
                '<td rowspan="2">Detection</td>'
                if i == 0
                else '<td rowspan="3">Response</td>'
                if i == 2
                else ""
            )
            rows.append(f"<tr>{phase}<td>14:{minute:02d}</td><td>{event}</td></tr>")
        return "<table><tbody>" + "".join(rows) + "</tbody></table>"

    def properties(self, slots: Slots, facts: PageFacts) -> str:
        """A page-properties (details) macro holding a key/value table."""
        owner = mention(facts.people[self.rng.randrange(len(facts.people))])
        return (
            f'<ac:structured-macro ac:name="details" ac:schema-version="1" '
            f'ac:macro-id="{self.macro_id()}"><ac:rich-text-body><table><tbody>'
            f"<tr><th>Owner</th><td>{owner}</td></tr>"
            f"<tr><th>Team</th><td>Team {slots['team']}</td></tr>"
            f"<tr><th>Status</th><td>{self.status()}</td></tr>"
            f"<tr><th>Last reviewed</th><td>{time_tag(facts.day)}</td></tr>"
            "</tbody></table></ac:rich-text-body></ac:structured-macro>"
        )

    # ---- attachments and links --------------------------------------------------------------

    def attachment_refs(self, facts: PageFacts) -> list[str]:
        """Images for PNG attachments, links or file previews for the others."""
        out = []
        for filename, kind in facts.attachments:
            name = esc(filename)
            if kind == "png":
                out.append(
                    f'<p><ac:image ac:height="250" ac:alt="{name}"><ri:attachment '
                    f'ri:filename="{name}"/></ac:image></p>'
                )
            elif kind in ("pptx", "docx") and self.rng.random() < 0.4:
                out.append(
                    f'<ac:structured-macro ac:name="view-file" ac:schema-version="1" '
                    f'ac:macro-id="{self.macro_id()}"><ac:parameter ac:name="name">'
                    f'<ri:attachment ri:filename="{name}"/></ac:parameter>'
                    '<ac:parameter ac:name="height">250</ac:parameter></ac:structured-macro>'
                )
            else:
                out.append(
                    f'<p>Download <ac:link><ri:attachment ri:filename="{name}"/>'
                    f"<ac:plain-text-link-body><![CDATA[{filename}]]></ac:plain-text-link-body>"
                    "</ac:link> for the full details.</p>"
                )
        return out

    def related(self, facts: PageFacts) -> str:
        """A "Related pages" list of page links (some to other spaces)."""
        r = self.rng
        picks = r.sample(list(facts.links), min(len(facts.links), r.randint(1, 3)))
        items = [f"<li>{page_link(t)}</li>" for t in picks]
        if facts.cross_links and r.random() < 0.3:
            key, title = facts.cross_links[r.randrange(len(facts.cross_links))]
            items.append(f"<li>{page_link(title, f'{title} ({key})', key)}</li>")
        return "<h2>Related pages</h2><ul>" + "".join(items) + "</ul>"

    # ---- whole bodies -----------------------------------------------------------------------

    def compose(self, facts: PageFacts) -> Body:
        """A body for a page of the given kind."""
        slots = Slots(self, facts)
        plan = _PLANS.get(facts.kind, _PLANS["general"])
        sections = plan(self, slots, facts)
        r = self.rng
        extras: list[str] = []
        if r.random() < 0.07:
            extras.append(self.vendor(slots, _topic(facts.kind)))
        if r.random() < 0.06:
            extras.append(f"<p>Tracking ticket: {self.jira(facts)}</p>")
        if r.random() < 0.08:
            extras.append(self.expand(slots, _topic(facts.kind)))
        if r.random() < 0.04:
            extras.append("<h2>Latency budgets</h2>" + self.merged_table(slots))
        for extra in extras:
            sections.insert(r.randint(1, len(sections)), extra)
        sections.extend(self.attachment_refs(facts))
        if facts.children and (facts.kind == "hub" or r.random() < 0.35):
            sections.append("<h2>In this section</h2>" + self.children_macro())
        if facts.links and r.random() < 0.6:
            sections.append(self.related(facts))
        if len(sections) >= 5 and r.random() < 0.15:
            sections.insert(0, self.toc())
        return Body(sections, layout=len(sections) >= 4 and r.random() < 0.07)


def _topic(kind: str) -> str:
    return kind if kind in SENTENCES else "general"


PlanFn = Callable[[Composer, Slots, PageFacts], list[str]]


def _plan_general(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    return [
        c.para(s, "general"),
        "<h2>Details</h2>" + c.para(s, "general") + c.bullets(s),
        c.panel(s, "general"),
        "<h2>Notes</h2>" + c.para(s, "general"),
    ]


def _plan_hub(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    return [
        c.para(s, "general") + c.panel(s, "general", "info"),
        "<h2>How this section is organised</h2>" + c.para(s, "general"),
        "<h2>Owners</h2><p>Maintained by "
        + ", ".join(mention(u) for u in f.people[:2])
        + f" and Team {s['team']}.</p>",
    ]


def _plan_service(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    r = c.rng
    out = [
        c.properties(s, f) if r.random() < 0.3 else c.para(s, "service"),
        "<h2>Overview</h2>" + c.para(s, "service") + c.para(s, "service"),
        "<h2>Dependencies</h2>" + c.dependency_table(s),
        "<h2>Operations</h2>" + c.bullets(s) + c.panel(s, "service"),
    ]
    if r.random() < 0.35:
        out.append("<h2>Latency budgets</h2>" + c.merged_table(s))
    if r.random() < 0.5:
        out.append("<h2>Configuration</h2>" + c.code(s))
    out.append(
        "<h2>Contacts</h2><p>Owners: "
        + ", ".join(mention(u) for u in r.sample(list(f.people), min(2, len(f.people))))
        + f" (Team {s['team']}).</p>"
    )
    return out


def _plan_runbook(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    r = c.rng
    out = [
        f"<p>Status: {c.status()}</p>" + c.para(s, "runbook"),
        c.panel(s, "runbook", "warning"),
        "<h2>Symptoms</h2>" + c.para(s, "runbook"),
        "<h2>Diagnosis</h2>" + c.steps(s, "runbook") + c.code(s),
        "<h2>Mitigation</h2>" + c.steps(s, "runbook"),
    ]
    if r.random() < 0.5:
        out.append(c.expand(s, "runbook"))
    out.append("<h2>After the incident</h2>" + c.tasks(s, f))
    return out


def _plan_howto(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    r = c.rng
    out = [
        c.para(s, "process"),
        "<h2>Before you start</h2>" + c.bullets(s) + c.panel(s, "process", "note"),
        "<h2>Steps</h2>" + c.steps(s, "process") + c.code(s),
        "<h2>Check the result</h2>" + c.para(s, "general"),
    ]
    if r.random() < 0.4:
        out.append(c.panel(s, "process", "tip"))
    return out


def _plan_process(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    r = c.rng
    out = [
        c.para(s, "process") + c.panel(s, "process", "info"),
        "<h2>When it applies</h2>" + c.para(s, "process"),
        "<h2>Steps</h2>" + c.steps(s, "process"),
        "<h2>Checklist</h2>" + c.tasks(s, f),
    ]
    if r.random() < 0.4:
        out.append("<h2>Targets</h2>" + c.merged_table(s))
    return out


def _plan_meeting(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    r = c.rng
    people = r.sample(list(f.people), min(len(f.people), r.randint(2, 5)))
    return [
        f"<h2>Date</h2><p>{time_tag(f.day)}</p><h2>Attendees</h2><ul>"
        + "".join(f"<li>{mention(u)}</li>" for u in people)
        + "</ul>",
        "<h2>Agenda</h2>" + c.bullets(s, ordered=True),
        "<h2>Discussion</h2>" + c.para(s, "meeting") + c.para(s, "meeting"),
        "<h2>Action items</h2>" + c.tasks(s, f),
    ]


def _plan_adr(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    status = c.rng.choice(STATUSES[5:])
    return [
        f"<p>Status: {c.status(status)} Decided on {time_tag(f.day)}.</p>",
        "<h2>Context</h2>" + c.para(s, "adr"),
        "<h2>Options considered</h2>" + c.decision_table(s),
        "<h2>Decision</h2>" + c.para(s, "adr"),
        "<h2>Consequences</h2>" + c.bullets(s) + c.panel(s, "adr", "note"),
    ]


def _plan_incident(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    sev = c.rng.choice((("Red", "SEV1"), ("Yellow", "SEV2"), ("Blue", "SEV3")))
    return [
        f"<p>Severity: {c.status(sev)} Date: {time_tag(f.day)}</p>" + c.para(s, "incident"),
        "<h2>Timeline</h2>" + c.timeline_table(s),
        "<h2>Root cause</h2>" + c.para(s, "incident"),
        "<h2>What went well</h2>" + c.bullets(s),
        "<h2>Follow-up actions</h2>" + c.tasks(s, f) + f"<p>Epic: {c.jira(f)}</p>",
    ]


def _plan_project(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    r = c.rng
    out = [
        c.properties(s, f),
        "<h2>Goal</h2>" + c.para(s, "project"),
        "<h2>Scope</h2>" + c.bullets(s) + c.para(s, "project"),
        "<h2>Milestones</h2>" + c.tasks(s, f),
    ]
    if r.random() < 0.4:
        out.append("<h2>Open issues</h2><p>" + c.jira(f) + "</p>")
    if r.random() < 0.25:
        out.append("<h2>Roadmap</h2>" + c.vendor(s, "project"))
    return out


def _plan_team(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    r = c.rng
    members = r.sample(list(f.people), min(len(f.people), r.randint(3, 6)))
    return [
        c.para(s, "team"),
        "<h2>Members</h2><ul>" + "".join(f"<li>{mention(u)}</li>" for u in members) + "</ul>",
        "<h2>What we own</h2>" + c.para(s, "team"),
        "<h2>How we work</h2>" + c.bullets(s) + c.panel(s, "team", "tip"),
    ]


def _plan_hr(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    return [
        c.para(s, "hr"),
        "<h2>Who it applies to</h2>" + c.para(s, "hr"),
        "<h2>How to request it</h2>" + c.steps(s, "hr"),
        c.panel(s, "hr", "note"),
    ]


def _plan_blog(c: Composer, s: Slots, f: PageFacts) -> list[str]:
    r = c.rng
    topic = f.extra.get("topic", "general")
    out = [
        c.para(s, topic),
        "<h2>What changed</h2>" + c.bullets(s) + c.para(s, topic),
        "<h2>Thanks</h2><p>Thanks to "
        + " and ".join(mention(u) for u in r.sample(list(f.people), min(2, len(f.people))))
        + f" for the work. {c.sentences(s, 'general', 1)}</p>",
    ]
    if r.random() < 0.5:
        out.insert(2, f"<p>Tracked in {c.jira(f)}</p>")
    return out


_PLANS: Final[dict[str, PlanFn]] = {
    "general": _plan_general,
    "hub": _plan_hub,
    "home": _plan_hub,
    "service": _plan_service,
    "servicedoc": _plan_service,
    "runbook": _plan_runbook,
    "howto": _plan_howto,
    "process": _plan_process,
    "meeting": _plan_meeting,
    "series": _plan_hub,
    "adr": _plan_adr,
    "incident": _plan_incident,
    "project": _plan_project,
    "projectdoc": _plan_project,
    "team": _plan_team,
    "hr": _plan_hr,
    "blog": _plan_blog,
}
