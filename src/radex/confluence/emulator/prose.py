"""Readable sentences, lists and short texts about a page's subject, from one random stream."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from radex.confluence.emulator.vocabulary import (
    BULLETS,
    DURATIONS,
    EMOTICONS,
    ENVS,
    HR_TOPICS,
    METRICS,
    MONTHS,
    NUMS,
    PROCESSES,
    PURPOSES,
    SCENARIOS,
    SENTENCES,
    SERVICES,
    SHARES,
    SLOS,
    TEAMS,
    TECH,
)


def slug(text: str) -> str:
    """Lower-case, hyphen-separated form of a name (for labels and file names)."""
    out = []
    for ch in text.lower():
        out.append(ch if ch.isalnum() else "-")
    return "-".join(p for p in "".join(out).split("-") if p)


def esc(text: str) -> str:
    """Escape text or an attribute value for storage format."""
    if "&" in text or "<" in text or ">" in text or '"' in text:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = text.replace('"', "&quot;")
    return text


def mention(username: str) -> str:
    """A user mention in fixture form (the loader rewrites it per flavour)."""
    return f'<ac:link><ri:user ri:username="{esc(username)}"/></ac:link>'


def page_link(title: str, text: str | None = None, space_key: str | None = None) -> str:
    """A link to a page by title (same space unless ``space_key``)."""
    space = f' ri:space-key="{esc(space_key)}"' if space_key else ""
    body = text or title
    return (
        f'<ac:link><ri:page ri:content-title="{esc(title)}"{space}/>'
        f"<ac:plain-text-link-body><![CDATA[{body}]]></ac:plain-text-link-body></ac:link>"
    )


def time_tag(day: date) -> str:
    """A date lozenge."""
    return f'<time datetime="{day.isoformat()}" />'


@dataclass(frozen=True)
class PageFacts:
    """What a page body may mention: its subject, people, linkable titles and attachments."""

    kind: str
    title: str
    service: int
    team: int
    tech: int
    day: date
    people: Sequence[str]
    links: Sequence[str]
    attachments: Sequence[tuple[str, str]] = ()  # (filename, kind)
    cross_links: Sequence[tuple[str, str]] = ()  # (space key, title)
    children: int = 0
    extra: dict[str, str] = field(default_factory=dict)


class Slots(dict[str, str]):
    """Format slots: fixed per page, random ones drawn on every use."""

    def __init__(self, composer: Prose, facts: PageFacts, plain: bool = False) -> None:
        svc, resp = SERVICES[facts.service]
        super().__init__(
            svc=svc,
            resp=resp,
            team=TEAMS[facts.team],
            team_slug=TEAMS[facts.team].lower(),
            tech=TECH[facts.tech],
            ns=svc.split("-")[0],
            table=svc.replace("-", "_") + "_jobs",
            mod=svc.replace("-", "_"),
        )
        self.c = composer
        self.facts = facts
        self.plain = plain
        self.used: set[str] = set()

    def __missing__(self, key: str) -> str:
        if self.plain and key in _PLAIN:
            return _PLAIN[key]
        if key in ("purpose", "choice", "alt") and key not in self.facts.extra:
            purpose, options = PURPOSES[self.c.rng.randrange(len(PURPOSES))]
            self.update(purpose=purpose, choice=options[0], alt=options[1])
            return self[key]
        return self.c.slot(key, self.facts)


_PLAIN: Final[dict[str, str]] = {
    "who": "the service owner",
    "when": "the next review date",
    "page": "the service overview",
    "cmd": "the status script",
}


class Prose:
    """Sentences, lists and comments for one page at a time."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.task_id = 0
        self._plain_slots: dict[int, Slots] = {}

    def macro_id(self) -> str:
        """A random UUID for ac:macro-id."""
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def slot(self, key: str, facts: PageFacts) -> str:
        """A random value for a sentence slot."""
        r = self.rng
        if key == "svc2":
            return SERVICES[r.randrange(len(SERVICES))][0]
        if key == "tech2":
            return TECH[r.randrange(len(TECH))]
        if key == "metric":
            return METRICS[r.randrange(len(METRICS))]
        if key == "env":
            return ENVS[r.randrange(len(ENVS))]
        if key == "proc":
            return PROCESSES[r.randrange(len(PROCESSES))]
        if key == "scenario":
            return facts.extra.get("scenario") or SCENARIOS[r.randrange(len(SCENARIOS))]
        if key == "few":
            return str(r.randint(2, 6))
        if key in ("purpose", "choice", "alt"):
            return facts.extra.get(key) or ""
        if key == "hr":
            return facts.extra.get("hr") or HR_TOPICS[r.randrange(len(HR_TOPICS))]
        if key == "n":
            return NUMS[r.randrange(len(NUMS))]
        if key == "slo":
            return SLOS[r.randrange(len(SLOS))]
        if key == "share":
            return SHARES[r.randrange(len(SHARES))]
        if key == "dur":
            return DURATIONS[r.randrange(len(DURATIONS))]
        if key == "month":
            return MONTHS[r.randrange(12)]
        if key == "who":
            return mention(facts.people[r.randrange(len(facts.people))])
        if key == "when":
            return time_tag(date.fromordinal(facts.day.toordinal() + r.randrange(5, 90)))
        if key == "page":
            if facts.links:
                return page_link(facts.links[r.randrange(len(facts.links))])
            return "this page"
        if key == "cmd":
            svc = SERVICES[facts.service][0]
            return r.choice(
                (
                    f"<code>make status SERVICE={svc}</code>",
                    f"<code>kubectl get pods -l app={svc}</code>",
                    f"<code>./scripts/check.sh {svc}</code>",
                )
            )
        raise KeyError(key)

    def sentences(self, slots: Slots, topic: str, k: int) -> str:
        """``k`` sentences from a topic (mixed with general ones)."""
        pool = SENTENCES[topic]
        general = SENTENCES["general"]
        r = self.rng
        used = slots.used
        out = []
        for _ in range(k):
            src = pool if r.random() < 0.7 else general
            text = src[r.randrange(len(src))]
            for _retry in range(6):
                if text not in used:
                    break
                text = src[r.randrange(len(src))]
            used.add(text)
            out.append(text.format_map(slots))
        return " ".join(out)

    def para(self, slots: Slots, topic: str) -> str:
        """A paragraph of two to four sentences, sometimes with an emoticon."""
        text = self.sentences(slots, topic, self.rng.randint(2, 4))
        if self.rng.random() < 0.04:
            text += f' <ac:emoticon ac:name="{self.rng.choice(EMOTICONS)}" />'
        return f"<p>{text}</p>"

    def bullets(self, slots: Slots, ordered: bool = False) -> str:
        """A list of short items."""
        r = self.rng
        items = r.sample(BULLETS, r.randint(3, 5))
        tag = "ol" if ordered else "ul"
        inner = "".join(f"<li>{it.format_map(slots)}</li>" for it in items)
        return f"<{tag}>{inner}</{tag}>"

    def steps(self, slots: Slots, topic: str) -> str:
        """Numbered steps, each one sentence."""
        n = self.rng.randint(3, 6)
        inner = "".join(f"<li>{self.sentences(slots, topic, 1)}</li>" for _ in range(n))
        return f"<ol>{inner}</ol>"

    def short_text(self, facts: PageFacts, topic: str, k: int = 3) -> str:
        """Plain sentences (no markup), e.g. for attachment text."""
        slots = self._plain_slots.get(id(facts))
        if slots is None or slots.facts is not facts:
            slots = Slots(self, facts, plain=True)
            self._plain_slots = {id(facts): slots}
        return self.sentences(slots, topic, k)

    def comment(self, facts: PageFacts, reply: bool) -> str:
        """A footer comment body."""
        slots = Slots(self, facts)
        r = self.rng
        if reply:
            text = r.choice(
                (
                    "Good point, I have updated the page.",
                    f"Agreed. {slots['who']} can you take this one?",
                    f"Done in the latest version, see the {slots['metric']} section.",
                    "Thanks, that was the missing piece.",
                    f"Not yet, it is planned for {slots['month']}.",
                )
            )
        else:
            text = r.choice(
                (
                    f"Is this still accurate after the move to {slots['tech2']}?",
                    f"Should we also mention the alert on {slots['metric']} here?",
                    f"Step 3 failed for me on {slots['env']}; I had to run it twice.",
                    f"{slots['who']} this might affect the {slots['svc2']} migration.",
                    "Very helpful, thanks for writing this up.",
                    f"Can we add a rollback section for {slots['svc']}?",
                )
            )
        return f"<p>{text}</p>"
