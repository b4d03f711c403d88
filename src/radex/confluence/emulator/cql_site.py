"""CQL over the emulated site: model content and spaces as CQL records, and the caller's context."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from radex.confluence.emulator.cql_eval import CqlContext, TextIndex
from radex.confluence.emulator.model import Content, Site, Space, User, plain_text

SEARCHABLE_TYPES = frozenset({"page", "blogpost", "comment", "attachment", "folder"})
_PAGE_LIKE = frozenset({"page", "blogpost", "folder"})


def user_ids(site: Site, user: User | None) -> frozenset[str]:
    """The identifiers CQL accepts for a user: accountId on Cloud, username and userKey on DC."""
    if user is None:
        return frozenset()
    if site.flavor == "cloud":
        return frozenset({user.account_id})
    return frozenset({user.username, user.user_key})


def _ids_of(site: Site, username: str) -> frozenset[str]:
    user = site.users.get(username)
    return user_ids(site, user) if user is not None else frozenset({username})


@dataclass(frozen=True)
class _Analysed:
    number: int
    title: str
    body: str
    plain: str  # plain text of the body alone (excerpts)
    index: TextIndex  # title + body (``text ~``)


_CACHE: WeakKeyDictionary[Site, dict[str, _Analysed]] = WeakKeyDictionary()


def analysed(site: Site, content: Content) -> _Analysed:
    """Plain text and word index of the current version, cached per (content id, version)."""
    per_site = _CACHE.setdefault(site, {})
    ver = content.current
    hit = per_site.get(content.id)
    if (  # comparing the body is cheap: it is usually the very same string object
        hit is not None
        and hit.number == ver.number
        and hit.title == ver.title
        and hit.body == ver.body
    ):
        return hit
    if content.type == "attachment":
        plain = ver.blob.text if ver.blob is not None else ""
    else:
        plain = plain_text(ver.body)
    entry = _Analysed(ver.number, ver.title, ver.body, plain, TextIndex.of(f"{ver.title} {plain}"))
    per_site[content.id] = entry
    return entry


class ContentRecord:
    """A CqlRecord over one piece of model content (fields computed on first use)."""

    def __init__(self, site: Site, content: Content) -> None:
        self.site = site
        self.content = content
        self.id = content.id
        self.type = content.type
        self.space_key = content.space_key

    @property
    def title(self) -> str:
        """Current title."""
        return self.content.title

    @property
    def text(self) -> TextIndex:
        """Title and body text, analysed (cached across searches)."""
        return analysed(self.site, self.content).index

    @cached_property
    def labels(self) -> frozenset[str]:
        """Label names, lower-cased."""
        return frozenset(label.name.casefold() for label in self.content.labels)

    @cached_property
    def creators(self) -> frozenset[str]:
        """The creator's identifiers in this flavour."""
        author = self.content.author or self.content.versions[0].author
        return _ids_of(self.site, author)

    @cached_property
    def contributors(self) -> frozenset[str]:
        """Identifiers of every version's author."""
        names = {v.author for v in self.content.versions if v.author}
        return frozenset(i for name in names for i in _ids_of(self.site, name))

    @property
    def created(self) -> datetime:
        """Creation time."""
        return self.content.created_at

    @property
    def lastmodified(self) -> datetime:
        """Time of the current version."""
        return self.content.updated_at

    @cached_property
    def ancestor_ids(self) -> frozenset[str]:
        """Pages and folders above a page, blog post or folder (comments and files: none)."""
        if self.type not in _PAGE_LIKE:
            return frozenset()
        return frozenset(a.id for a in self.site.ancestors(self.content))

    @property
    def parent_id(self) -> str | None:
        """The direct parent page or folder."""
        return self.content.parent_id if self.type in _PAGE_LIKE else None

    @property
    def container_id(self) -> str | None:
        """The page or blog post a comment or attachment belongs to."""
        return None if self.type in _PAGE_LIKE else self.content.parent_id


class SpaceRecord:
    """A CqlRecord over a space, for ``type = space`` searches."""

    def __init__(self, site: Site, space: Space) -> None:
        self.space = space
        self.id = space.id
        self.type = "space"
        self.space_key = space.key
        self.title = space.name
        self.text = TextIndex.of(f"{space.name} {space.key} {space.description}")
        self.labels: frozenset[str] = frozenset()
        self.creators = _ids_of(site, space.author) if space.author else frozenset()
        self.contributors = self.creators
        self.created = space.created_at
        self.lastmodified = space.created_at
        self.ancestor_ids: frozenset[str] = frozenset()
        self.parent_id: str | None = None
        self.container_id: str | None = None


def cql_context(
    site: Site,
    user: User | None,
    *,
    space_key: str | None = None,
    content_id: str | None = None,
) -> CqlContext:
    """The context functions resolve against: the site clock, the caller, the cqlcontext."""
    return CqlContext(
        now=site.clock(),
        user_ids=user_ids(site, user),
        tz=ZoneInfo(user.time_zone) if user is not None else UTC,
        space_key=space_key,
        content_id=content_id,
    )
