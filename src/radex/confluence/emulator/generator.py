"""Generated sites of any size from a seed, and the bundled sample handbook."""

from __future__ import annotations

import dataclasses
import importlib.resources
import random
from datetime import date
from typing import Any, Final

import yaml

from radex.confluence.emulator.bodies import Composer
from radex.confluence.emulator.pages import END, SPAN, START, PageFactory, iso
from radex.confluence.emulator.prose import PageFacts
from radex.confluence.emulator.vocabulary import (
    CODENAMES,
    GOALS,
    HR_TOPICS,
    MEETINGS,
    MONTHS,
    PROCESSES,
    PROJECT_DOCS,
    PURPOSES,
    SCENARIOS,
    SERVICE_DOCS,
    SERVICES,
    SYMPTOMS,
    TASKS,
    TEAMS,
    TECH,
)
from radex.errors import FixtureError, InputError

_FIRST: Final[tuple[str, ...]] = (
    "amara", "bruno", "chen", "dalia", "emeka", "farah", "gustav", "hana", "ines", "jonas",
    "kavya", "liam", "mei", "nikolai", "olga", "pedro", "quinn", "rosa", "sami", "tariq",
    "uma", "viktor", "wen", "ximena", "yusuf", "zofia", "arjun", "beatriz", "callum", "divya",
    "elif", "felix", "greta", "hugo", "ivana", "jamal", "keiko", "lucas", "maren", "noor",
)  # fmt: skip
_LAST: Final[tuple[str, ...]] = (
    "Okafor", "Silva", "Wang", "Haddad", "Eze", "Rahman", "Berg", "Sato", "Moreau", "Keller",
    "Iyer", "Walsh", "Lin", "Petrov", "Novak", "Alves", "Reid", "Ortiz", "Nieminen", "Aziz",
    "Kapoor", "Horvat", "Zhou", "Ramos", "Demir", "Kowalska", "Mehta", "Costa", "Fraser", "Nair",
    "Yilmaz", "Wagner", "Lund", "Fontaine", "Jovanovic", "Bakr", "Mori", "Martin", "Holm", "Saleh",
)  # fmt: skip
_HUBS: Final[tuple[tuple[str, str], ...]] = (
    ("Engineering Home", "home"),
    ("Services", "services"),
    ("Runbooks", "runbooks"),
    ("Architecture Decisions", "adr"),
    ("Meeting Notes", "meetings"),
    ("Projects", "projects"),
    ("Teams", "teams"),
    ("Incident Reviews", "incidents"),
    ("How-to Guides", "howto"),
    ("Processes", "process"),
)
_CATEGORIES: Final[tuple[str, ...]] = tuple(c for _, c in _HUBS[1:])
MAX_DEPTH: Final[int] = 5  # roots are depth 0, so up to six levels


def load_sample_fixture() -> dict[str, Any]:
    """The bundled sample engineering handbook (sample/handbook.yaml), parsed."""
    ref = importlib.resources.files("radex.confluence.emulator").joinpath("sample/handbook.yaml")
    data = yaml.safe_load(ref.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise FixtureError("the bundled sample handbook is not a mapping")
    return data


def generate_fixture(
    pages: int, *, seed: int = 0, space_key: str = "ENG", blogposts: int | None = None
) -> dict[str, Any]:
    """A realistic fixture with exactly ``pages`` pages in ``space_key``; same seed, same site."""
    if pages < 1:
        raise InputError(f"a generated site needs at least 1 page, not {pages}")
    if blogposts is not None and blogposts < 0:
        raise InputError(f"blogposts must be 0 or more, not {blogposts}")
    return _Generator(random.Random(seed), space_key).build(pages, blogposts)


@dataclasses.dataclass
class _Node:
    """One page of the generated tree before it becomes a fixture dict."""

    parent: int
    depth: int
    category: str
    kind: str
    service: int
    team: int
    tech: int
    day: int
    children: list[int] = dataclasses.field(default_factory=list)
    title: str = ""
    extra: dict[str, str] = dataclasses.field(default_factory=dict)


class _Generator:
    """Builds one generated site from a random stream."""

    def __init__(self, rng: random.Random, space_key: str) -> None:
        self.rng = rng
        self.key = space_key
        self.composer = Composer(rng)
        self.make = PageFactory(rng, self.composer)
        self.adr = 0
        self.users: list[dict[str, Any]] = []
        self.eng_people: tuple[str, ...] = ()
        self.cross: tuple[tuple[str, str], ...] = ()
        self.nodes: list[_Node] = []
        self.serial: dict[str, int] = {}
        self.total = 1

    # ---- people -----------------------------------------------------------------------------

    def make_users(self) -> None:
        r = self.rng
        count = r.randint(12, 22)
        firsts = r.sample(_FIRST, count)
        lasts = r.sample(_LAST, count)
        roles: list[list[str]] = [
            ["engineering"],  # engineering lead, ENG space admin
            ["hr"],  # HR lead
            ["hr"],
            ["security", "engineering"],
            ["sre", "security", "engineering"],  # reads the nested restricted subtrees
            ["sre", "engineering"],
            ["sre", "engineering"],
            ["product"],
        ]
        while len(roles) < count:
            extra = r.random()
            roles.append(
                ["engineering", "product"]
                if extra < 0.15
                else ["engineering", "sre"]
                if extra < 0.3
                else ["engineering"]
            )
        for first, last, groups in zip(firsts, lasts, roles, strict=True):
            self.users.append(
                {
                    "username": first,
                    "display_name": f"{first.capitalize()} {last}",
                    "email": f"{first}@example.com",
                    "groups": groups,
                }
            )
        self.eng_people = tuple(
            u["username"]
            for u in self.users
            if {"engineering", "sre", "security"} & set(u["groups"])
        )

    def user(self, role: int) -> str:
        return str(self.users[role]["username"])

    # ---- the ENG tree -----------------------------------------------------------------------

    def build(self, pages: int, blogposts: int | None) -> dict[str, Any]:
        self.make_users()
        others = ["PEOPLE" if self.key == "HR" else "HR", "SRE" if self.key == "OPS" else "OPS"]
        ops_titles = ("Operations Home", "On-call rotation", "Incident command")
        self.cross = tuple((others[1], t) for t in ops_titles)
        nodes = self.tree(pages)
        self.titles(nodes)
        eng = self.space_pages(nodes)
        n_blogs = min(3 + pages // 400, 25) if blogposts is None else blogposts
        lead = self.user(0)
        spaces = [
            {
                "key": self.key,
                "name": "Engineering",
                "description": "How we design, build, ship and run our services.",
                "author": lead,
                "created": iso(START - 3, 9 * 3600),
                "permissions": {
                    "view": {"groups": ["engineering", "sre", "security", "product"]},
                    "edit": {"groups": ["engineering", "sre"]},
                    "admin": {"users": [lead]},
                },
                "homepage": nodes[0].title,
                "pages": eng,
                "blogposts": [self.make.blog(i, n_blogs, self.eng_people) for i in range(n_blogs)],
            },
            self.hr_space(others[0]),
            self.ops_space(others[1], ops_titles),
            self.personal_space(),
        ]
        return {
            "version": 1,
            "title": "Generated Confluence",
            "users": self.users,
            "spaces": spaces,
        }

    def tree(self, pages: int) -> list[_Node]:
        r = self.rng
        n_roots = min(pages, len(_HUBS), 3 + len(str(pages)))
        self.total = pages
        nodes = self.nodes
        pool: list[int] = []
        for i in range(n_roots):
            category = _HUBS[i][1]
            nodes.append(self.node(-1, 0, category, "home" if i == 0 else "hub", i))
            pool.append(i)
        hubs = list(range(1, n_roots)) or [0]
        for i in range(n_roots, pages):
            x = r.random()
            if x < 0.12:
                parent = hubs[r.randrange(len(hubs))]
            elif x < 0.35:
                parent = i - 1 - r.randrange(min(i, 6))
                if nodes[parent].depth >= MAX_DEPTH:
                    parent = nodes[parent].parent
            else:
                parent = pool[r.randrange(len(pool))]
            p = nodes[parent]
            category = p.category
            if category == "home":
                category = _CATEGORIES[r.randrange(len(_CATEGORIES))]
            node = self.node(parent, p.depth + 1, category, self.kind(category, p), i)
            nodes.append(node)
            p.children.append(i)
            if node.depth < MAX_DEPTH:
                pool.append(i)
            if p.depth < MAX_DEPTH:
                pool.append(parent)
        return nodes

    def node(self, parent: int, depth: int, category: str, kind: str, index: int) -> _Node:
        r = self.rng
        p = self.nodes[parent] if parent >= 0 else None
        if p is not None and p.depth > 0 and r.random() < 0.7:
            service, team, tech = p.service, p.team, p.tech
        else:
            service, team = r.randrange(len(SERVICES)), r.randrange(len(TEAMS))
            tech = r.randrange(len(TECH))
        base = START + index * SPAN // self.total
        day = max(base + r.randrange(4), p.day if p is not None else 0)
        node = _Node(parent, depth, category, kind, service, team, tech, day)
        if p is not None and "codename" in p.extra:
            node.extra["codename"] = p.extra["codename"]
        return node

    def kind(self, category: str, parent: _Node) -> str:
        r = self.rng
        top = parent.depth == 0
        if category == "services":
            return "service" if top else r.choice(("servicedoc", "runbook", "howto", "servicedoc"))
        if category == "meetings":
            return "series" if top else "meeting"
        if category == "projects":
            return "project" if top else "projectdoc"
        if category == "teams":
            return "team" if top else r.choice(("meeting", "process", "howto"))
        return {
            "runbooks": "runbook",
            "adr": "adr",
            "incidents": "incident",
            "howto": "howto",
            "process": "process",
        }[category]

    # ---- titles -----------------------------------------------------------------------------

    def titles(self, nodes: list[_Node]) -> None:
        seen: set[str] = set()
        dupes: dict[str, int] = {}
        for i, node in enumerate(nodes):
            if node.parent < 0:
                node.title = _HUBS[i][0]
            else:
                title = self.title(node)
                for _ in range(4):
                    if title not in seen:
                        break
                    node.service = self.rng.randrange(len(SERVICES))
                    node.team = self.rng.randrange(len(TEAMS))
                    title = self.title(node)
                if title in seen:
                    title = self.serial_title(node)
                if title in seen:
                    base = title
                    while title in seen:
                        dupes[base] = dupes.get(base, 1) + 1
                        title = f"{base} ({dupes[base]})"
                node.title = title
            seen.add(node.title)

    def serial_title(self, node: _Node) -> str:
        """A numbered title for when the descriptive ones of a kind are used up."""
        r = self.rng
        svc = SERVICES[node.service][0]
        group = node.category
        if group in ("services", "runbooks", "howto"):
            group = svc
        elif group in ("meetings", "teams"):
            group = "sprint:" + TEAMS[node.team]
        n = self.serial.get(group, 0) + 1
        self.serial[group] = n
        if group == svc:
            node.kind = "blog"
            node.extra["topic"] = "service"
            return f"{svc} release {n // 25 + 1}.{n % 25}"
        if group.startswith("sprint:"):
            node.kind = "meeting"
            return f"Sprint {n} review: Team {TEAMS[node.team]}"
        if node.category == "projects":
            node.kind = "projectdoc"
            codename = node.extra.get("codename") or CODENAMES[r.randrange(len(CODENAMES))]
            return f"Project {codename} status report {n}"
        node.kind = "process"
        return f"Change request CR-{n}: {r.choice(PROCESSES)} for {svc}"

    def title(self, node: _Node) -> str:
        r = self.rng
        svc = SERVICES[node.service][0]
        team = TEAMS[node.team]
        kind = node.kind
        day = date.fromordinal(node.day)
        if kind == "service":
            return f"{svc} overview"
        if kind == "servicedoc":
            return f"{svc} {r.choice(SERVICE_DOCS)}"
        if kind == "runbook":
            scenario = SCENARIOS[r.randrange(len(SCENARIOS))]
            node.extra["scenario"] = scenario
            return f"Runbook: {scenario} in {svc}"
        if kind == "howto":
            return f"How to {r.choice(TASKS)} {svc}"
        if kind == "process":
            proc = PROCESSES[r.randrange(len(PROCESSES))]
            form = r.randrange(3)
            if form == 0:
                return f"{proc.capitalize()} process"
            if form == 1:
                return f"{proc.capitalize()} checklist for {svc}"
            return f"{proc.capitalize()} guidelines for Team {team}"
        if kind == "series":
            return f"Team {team} {r.choice(MEETINGS)} notes"
        if kind == "meeting":
            return f"{day.isoformat()} Team {team} {r.choice(MEETINGS)}"
        if kind == "adr":
            self.adr += 1
            purpose, options = PURPOSES[r.randrange(len(PURPOSES))]
            picked = r.sample(options, 3)
            node.extra.update(purpose=purpose, choice=picked[0], alt=picked[1], alt2=picked[2])
            return f"ADR-{self.adr:04d}: Use {picked[0]} for {purpose}"
        if kind == "incident":
            self.make.incident += 1
            return f"INC-{self.make.incident}: {r.choice(SYMPTOMS)} in {svc}"
        if kind == "project":
            codename = CODENAMES[r.randrange(len(CODENAMES))]
            node.extra["codename"] = codename
            goal = r.choice(GOALS).format(svc=svc, tech=TECH[node.tech])
            return f"Project {codename}: {goal}"
        if kind == "projectdoc":
            codename = node.extra.get("codename") or CODENAMES[r.randrange(len(CODENAMES))]
            return f"Project {codename} {r.choice(PROJECT_DOCS)}"
        if kind == "team":
            return f"Team {team}"
        return f"{svc} notes"

    # ---- page dicts -------------------------------------------------------------------------

    def space_pages(self, nodes: list[_Node]) -> list[dict[str, Any]]:
        outer, inner = self.restricted_pair(nodes)
        dicts: list[dict[str, Any]] = []
        roots: list[dict[str, Any]] = []
        for i, node in enumerate(nodes):
            page = self.page(node, nodes, self.eng_people)
            r = self.rng
            if i == outer:
                page["restrictions"] = {
                    "read": {"groups": ["sre"]},
                    "update": {"groups": ["sre"]},
                }
            elif i == inner:
                page["restrictions"] = {"read": {"groups": ["security"], "users": [self.user(4)]}}
            elif node.depth > 0 and r.random() < 0.04:
                page["restrictions"] = {"update": {"users": [page["author"]], "groups": ["sre"]}}
            dicts.append(page)
            if node.parent < 0:
                roots.append(page)
            else:
                dicts[node.parent].setdefault("children", []).append(page)
        return roots

    def restricted_pair(self, nodes: list[_Node]) -> tuple[int, int]:
        """A page with a small subtree (read-restricted) and a restricted page inside it."""
        sizes = [1] * len(nodes)
        for i in range(len(nodes) - 1, 0, -1):
            if nodes[i].parent >= 0:
                sizes[nodes[i].parent] += sizes[i]
        cap = max(4, len(nodes) // 20)
        candidates = [
            i for i, n in enumerate(nodes) if n.depth >= 1 and n.children and 3 <= sizes[i] <= cap
        ]
        if not candidates:
            candidates = [i for i, n in enumerate(nodes) if n.children and n.depth >= 1]
        if not candidates:
            return -1, -1
        outer = candidates[self.rng.randrange(len(candidates))]
        kids = nodes[outer].children
        inner = max(kids, key=lambda k: (sizes[k], -k))
        return outer, inner

    def facts(self, node: _Node, nodes: list[_Node], people: tuple[str, ...]) -> PageFacts:
        r = self.rng
        links: list[str] = []
        if node.parent >= 0:
            parent = nodes[node.parent]
            links.append(parent.title)
            for sib in parent.children[:3]:
                if nodes[sib] is not node:
                    links.append(nodes[sib].title)
        links.extend(nodes[k].title for k in node.children[:3])
        for _ in range(2):
            other = nodes[r.randrange(len(nodes))]
            if other is not node:
                links.append(other.title)
        return PageFacts(
            kind=node.kind,
            title=node.title,
            service=node.service,
            team=node.team,
            tech=node.tech,
            day=date.fromordinal(min(node.day, END)),
            people=people,
            links=links,
            cross_links=self.cross,
            children=len(node.children),
            extra=node.extra,
        )

    def page(self, node: _Node, nodes: list[_Node], people: tuple[str, ...]) -> dict[str, Any]:
        facts = self.facts(node, nodes, people)
        attachments = self.make.attachments(facts) if self.rng.random() < 0.13 else []
        if attachments:
            refs = [(str(a["filename"]), str(a["kind"])) for a in attachments]
            facts = dataclasses.replace(facts, attachments=refs)
        body = self.composer.compose(facts)
        out = self.make.content(node.title, facts, body, node.day, people)
        labels = self.make.labels(facts)
        if labels:
            out["labels"] = labels
        if attachments:
            out["attachments"] = attachments
        if self.rng.random() < 0.15:
            out["comments"] = self.make.comments(facts, node.day, people)
        return out

    # ---- blog posts and smaller spaces ------------------------------------------------------

    def hr_space(self, key: str) -> dict[str, Any]:
        people = tuple(u["username"] for u in self.users if "hr" in u["groups"])
        topics = ("annual leave", "expenses", "remote work", "performance reviews", "hiring")
        titles = ("Leave policy", "Expenses and travel", "Remote work", "Performance reviews")
        links = ("People and HR", *titles, "Hiring process")
        day = START + 5
        home = self.make.small_page("People and HR", "hub", people, day, links[1:])
        home["children"] = [
            self.make.small_page(t, "hr", people, day + 7 * (i + 1), links, {"hr": topics[i]})
            for i, t in enumerate((*titles, "Hiring process"))
        ]
        bands = self.make.small_page(
            "Compensation bands", "hr", people, day + 60, links, {"hr": "benefits"}
        )
        bands["restrictions"] = {"read": {"users": [self.user(1)]}}
        home["children"].append(bands)
        blog = self.make.small_page(
            f"Benefits enrolment opens in {MONTHS[self.rng.randrange(12)]}",
            "hr",
            people,
            day + 90,
            (),
            {"hr": HR_TOPICS[-1]},
        )
        return {
            "key": key,
            "name": "People and HR",
            "description": "Policies and processes for everyone at the company.",
            "author": self.user(1),
            "permissions": {
                "view": {"groups": ["hr"]},
                "edit": {"groups": ["hr"]},
                "admin": {"users": [self.user(1)]},
            },
            "pages": [home],
            "blogposts": [blog],
        }

    def ops_space(self, key: str, titles: tuple[str, str, str]) -> dict[str, Any]:
        people = tuple(u["username"] for u in self.users if {"sre", "security"} & set(u["groups"]))
        day = START + 20
        links = (*titles, "Security incident playbook")
        home = self.make.small_page(titles[0], "hub", people, day, links[1:])
        rotation = self.make.small_page(titles[1], "process", people, day + 3, links)
        command = self.make.small_page(titles[2], "process", people, day + 9, links)
        playbook = self.make.small_page(
            "Security incident playbook", "runbook", people, day + 30, links
        )
        playbook["restrictions"] = {"read": {"groups": ["security"]}}
        log = self.make.small_page("Credential rotation log", "process", people, day + 44, links)
        log["restrictions"] = {"read": {"groups": ["sre"]}, "update": {"users": [self.user(4)]}}
        playbook["children"] = [log]
        command["children"] = [playbook]
        dashboard = self.make.small_page("Capacity dashboard", "service", people, day + 50, links)
        home["children"] = [rotation, command, dashboard]
        return {
            "key": key,
            "name": "Operations",
            "description": "On-call, incident command and capacity for the SRE team.",
            "author": self.user(5),
            "permissions": {
                "view": {"groups": ["sre", "security"]},
                "edit": {"groups": ["sre"]},
                "admin": {"users": [self.user(5)]},
            },
            "pages": [home],
        }

    def personal_space(self) -> dict[str, Any]:
        owner = self.users[0]
        name = str(owner["display_name"])
        people = (str(owner["username"]),)
        day = START + 40
        home = self.make.small_page(f"{name} Home", "general", people, day, ("Reading list",))
        home["children"] = [self.make.small_page("Reading list", "general", people, day + 12, ())]
        return {
            "key": f"~{owner['username']}",
            "name": name,
            "type": "personal",
            "author": owner["username"],
            "permissions": {
                "view": {"users": [owner["username"]], "groups": ["engineering"]},
                "edit": {"users": [owner["username"]]},
                "admin": {"users": [owner["username"]]},
            },
            "pages": [home],
        }
