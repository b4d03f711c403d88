"""Fixture dicts for generated pages: versions, labels, comments, attachments and blog posts."""

from __future__ import annotations

import random
from datetime import date
from typing import Any, Final

from radex.confluence.emulator.bodies import Body, Composer
from radex.confluence.emulator.prose import PageFacts, slug
from radex.confluence.emulator.vocabulary import (
    MONTHS,
    PURPOSES,
    SERVICES,
    SYMPTOMS,
    TEAMS,
    TECH,
)

START: Final[int] = date(2025, 1, 6).toordinal()
SPAN: Final[int] = 520  # days: early January 2025 to mid-June 2026
END: Final[int] = START + SPAN + 14
LABELS: Final[dict[str, tuple[str, ...]]] = {
    "home": ("home", "start-here"),
    "hub": ("index", "overview"),
    "series": ("meeting-notes", "index"),
    "service": ("service", "architecture", "tier-1", "tier-2", "owner-docs"),
    "servicedoc": ("service", "reference", "slo", "api"),
    "runbook": ("runbook", "on-call", "ops", "troubleshooting"),
    "howto": ("how-to", "guide", "tutorial"),
    "process": ("process", "policy", "checklist"),
    "meeting": ("meeting-notes", "sync", "retro"),
    "adr": ("adr", "architecture", "decision"),
    "incident": ("postmortem", "incident", "sev2", "lessons-learned"),
    "project": ("project", "planning", "roadmap"),
    "projectdoc": ("project", "planning", "status"),
    "team": ("team", "people"),
    "hr": ("policy", "hr", "benefits"),
    "blog": ("announcement", "release-notes", "news"),
}
_COMMON_LABELS: Final[tuple[str, ...]] = (
    "draft", "needs-review", "deprecated", "kubernetes", "postgres", "kafka", "security",
    "performance", "cost", "q3-2025", "q1-2026",
)  # fmt: skip
_MESSAGES: Final[tuple[str, ...]] = (
    "", "Fix typos", "Add troubleshooting steps", "Update owners", "Clarify rollback",
    "Add diagram", "Address review comments", "Update after incident review",
    "Link related pages", "Refresh numbers for this quarter", "Add configuration example",
)  # fmt: skip
_ATTACHMENT_KINDS: Final[tuple[str, ...]] = (
    "pdf",
    "docx",
    "xlsx",
    "pptx",
    "png",
    "txt",
    "csv",
    "md",
)


def iso(day: int, secs: int) -> str:
    """A fixture timestamp for a day ordinal (capped at the site's end) and seconds into it."""
    d = date.fromordinal(min(day, END)).isoformat()
    return f"{d}T{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}Z"


class PageFactory:
    """Turns composed bodies into fixture dicts for pages and blog posts."""

    def __init__(self, rng: random.Random, composer: Composer) -> None:
        self.rng = rng
        self.composer = composer
        self.incident = 1000 + rng.randrange(500)
        self.kind_cycle = 0
        self.kind_order = list(_ATTACHMENT_KINDS)
        rng.shuffle(self.kind_order)
        self.blog_titles: set[str] = set()

    def content(
        self, title: str, facts: PageFacts, body: Body, day: int, people: tuple[str, ...]
    ) -> dict[str, Any]:
        """Title, author, dates, current body and (on many pages) older versions."""
        r = self.rng
        author = people[r.randrange(len(people))]
        secs = 8 * 3600 + r.randrange(9 * 3600)
        out: dict[str, Any] = {"title": title, "author": author, "created": iso(day, secs)}
        x = r.random()
        count = 1 if x < 0.55 else 2 if x < 0.8 else 3 if x < 0.93 else r.randint(4, 6)
        if count > 1:
            n = len(body.sections)
            versions = []
            when = day
            editor = author
            for j in range(1, count):
                upto = max(1, min(n - 1, n * j // count))
                versions.append(
                    {
                        "body": body.render(upto),
                        "author": editor,
                        "when": iso(when, secs),
                        "message": "Initial draft" if j == 1 else r.choice(_MESSAGES),
                    }
                )
                when += r.randrange(1, 40)
                editor = people[r.randrange(len(people))]
            out["versions"] = versions
            out["updated"] = iso(when, 8 * 3600 + r.randrange(9 * 3600))
            out["last_editor"] = editor
            out["message"] = r.choice(_MESSAGES)
        out["body"] = body.render()
        return out

    def labels(self, facts: PageFacts) -> list[str]:
        """A few labels from the page kind's vocabulary, its service and team."""
        r = self.rng
        if r.random() < 0.2:
            return []
        pool = LABELS.get(facts.kind, LABELS["hub"])
        out = [pool[r.randrange(len(pool))]]
        if r.random() < 0.5:
            out.append(slug(SERVICES[facts.service][0]))
        if r.random() < 0.3:
            out.append("team-" + TEAMS[facts.team].lower())
        if r.random() < 0.2:
            out.append(_COMMON_LABELS[r.randrange(len(_COMMON_LABELS))])
        return list(dict.fromkeys(out))

    def comments(self, facts: PageFacts, day: int, people: tuple[str, ...]) -> list[dict[str, Any]]:
        """Footer comments, some with replies."""
        r = self.rng
        out = []
        for k in range(r.randint(1, 3)):
            when = day + 1 + k * r.randrange(1, 10)
            comment: dict[str, Any] = {
                "author": people[r.randrange(len(people))],
                "created": iso(when, 9 * 3600 + r.randrange(8 * 3600)),
                "body": self.composer.comment(facts, reply=False),
            }
            if r.random() < 0.35:
                comment["replies"] = [
                    {
                        "author": people[r.randrange(len(people))],
                        "created": iso(when + j + 1, 9 * 3600 + r.randrange(8 * 3600)),
                        "body": self.composer.comment(facts, reply=True),
                    }
                    for j in range(r.randint(1, 2))
                ]
            out.append(comment)
        return out

    # ---- attachments ------------------------------------------------------------------------

    def attachments(self, facts: PageFacts) -> list[dict[str, Any]]:
        """One to three attachments; kinds rotate so every kind appears early."""
        r = self.rng
        out: list[dict[str, Any]] = []
        names: set[str] = set()
        for _ in range(1 if r.random() < 0.7 else r.randint(2, 3)):
            kind = self.kind_order[self.kind_cycle % len(self.kind_order)]
            self.kind_cycle += 1
            att = self.attachment(kind, facts)
            if att["filename"] in names:
                att["filename"] = f"{len(names) + 1}-{att['filename']}"
            names.add(att["filename"])
            if r.random() < 0.15:
                att["versions"] = 2
                att["comment"] = "Updated figures"
            out.append(att)
        return out

    def attachment(self, kind: str, facts: PageFacts) -> dict[str, Any]:
        """One attachment of ``kind`` whose text is about the page's service or team."""
        r = self.rng
        c = self.composer
        svc = SERVICES[facts.service][0]
        team = TEAMS[facts.team]
        if kind in ("xlsx", "csv"):
            if kind == "xlsx":
                title = f"{svc} capacity plan"
                rows = ["Month,Peak requests per second,Replicas,Monthly cost EUR"]
                rps = r.randrange(200, 2000)
                for m in range(r.randint(6, 12)):
                    rps = rps * r.randrange(100, 125) // 100
                    rows.append(f"{MONTHS[m]} 2025,{rps},{2 + rps // 400},{900 + rps * 3}")
            else:
                title = f"{svc} SLO report"
                rows = ["Week,Availability percent,p99 latency ms,Incidents"]
                for w in range(1, r.randint(6, 12)):
                    avail = 99.5 + r.randrange(50) / 100
                    rows.append(
                        f"2025-W{w:02d},{avail:.2f},{r.randrange(120, 900)},{r.randrange(3)}"
                    )
            filename = f"{slug(title)}.{kind}"
            text = "\n".join(rows)
        elif kind == "png":
            title = f"{svc} architecture"
            filename = f"{svc}-architecture.png"
            deps = r.sample([s for s, _ in SERVICES if s != svc], 2)
            text = "\n\n".join(
                (
                    f"client -> auth-gateway -> {svc}",
                    f"{svc} -> {deps[0]} (gRPC)",
                    f"{svc} -> {deps[1]} (events)",
                    f"{svc} -> {TECH[facts.tech]} (state)",
                )
            )
        elif kind == "txt":
            title = f"{svc} error sample"
            filename = f"{svc}-error-sample.txt"
            day = date.fromordinal(min(facts.day.toordinal() + 3, END)).isoformat()
            text = "\n\n".join(
                f"{day}T14:{10 + i:02d}:{r.randrange(60):02d}Z "
                f"{r.choice(('WARN', 'ERROR', 'INFO'))} {svc}: "
                f"{r.choice(('upstream timeout', 'retrying request', 'pool exhausted'))} "
                f"request_id={r.getrandbits(40):010x}"
                for i in range(r.randint(4, 8))
            )
        else:
            topic, what, name = {
                "pdf": ("runbook", "runbook export", f"{svc}-runbook.pdf"),
                "docx": ("adr", "design proposal", f"{svc}-design-proposal.docx"),
                "pptx": ("team", "quarterly review", f"team-{team.lower()}-quarterly-review.pptx"),
                "md": ("service", "operator notes", f"{svc}-notes.md"),
            }[kind]
            title = f"{svc} {what}" if kind != "pptx" else f"Team {team} {what}"
            filename = name
            text = "\n\n".join(c.short_text(facts, topic, r.randint(2, 4)) for _ in range(3))
        return {"filename": filename, "kind": kind, "title": title, "text": text}

    def blog(self, i: int, total: int, people: tuple[str, ...]) -> dict[str, Any]:
        """The i-th of ``total`` blog posts, spread over the site's time span."""
        r = self.rng
        svc = r.randrange(len(SERVICES))
        day = START + 10 + i * SPAN // max(1, total)
        month = date.fromordinal(day)
        extra = {"topic": ("project", "incident", "adr", "meeting")[i % 4]}
        if i % 4 == 0:
            title = f"Release {month.year}.{i // 4 + 1} is out"
        elif i % 4 == 1:
            self.incident += 1
            title = f"Postmortem summary: INC-{self.incident} {r.choice(SYMPTOMS).lower()}"
        elif i % 4 == 2:
            purpose, options = PURPOSES[r.randrange(len(PURPOSES))]
            extra |= {"purpose": purpose, "choice": options[0], "alt": options[1]}
            title = f"Introducing {options[0]} for {purpose}"
        else:
            title = f"Engineering all-hands recap: {MONTHS[month.month - 1]} {month.year}"
        base, k = title, 1
        while title in self.blog_titles:
            k += 1
            title = f"{base}, part {k}"
        self.blog_titles.add(title)
        facts = PageFacts(
            kind="blog",
            title=title,
            service=svc,
            team=r.randrange(len(TEAMS)),
            tech=r.randrange(len(TECH)),
            day=month,
            people=people,
            links=(),
            extra=extra,
        )
        out = self.content(title, facts, self.composer.compose(facts), day, people)
        out["labels"] = [r.choice(LABELS["blog"])]
        if r.random() < 0.5:
            out["comments"] = self.comments(facts, day, people)
        return out

    def small_page(
        self,
        title: str,
        kind: str,
        people: tuple[str, ...],
        day: int,
        links: tuple[str, ...],
        extra: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """A page of a smaller space, with random subject."""
        r = self.rng
        facts = PageFacts(
            kind=kind,
            title=title,
            service=r.randrange(len(SERVICES)),
            team=r.randrange(len(TEAMS)),
            tech=r.randrange(len(TECH)),
            day=date.fromordinal(day),
            people=people,
            links=links,
            extra=extra or {},
        )
        out = self.content(title, facts, self.composer.compose(facts), day, people)
        out["labels"] = [r.choice(LABELS.get(kind, LABELS["hub"]))]
        return out
