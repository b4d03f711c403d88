"""Page Acls from Confluence, and the permission refresh that rewrites them without re-embedding.

Confluence does not bump a page's version when its restrictions or its space's permissions
change, so an import's version check cannot see such a change. :class:`PermissionRefresh` lists
each space's pages with their restrictions (metadata only, no bodies), recomputes every stored
document's Acl, and rewrites those that changed, in the store and in the index, together with
the Acls of the page's attachments and comments. Nothing is fetched, converted or embedded.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from radex.confluence.acl import UNKNOWN, fails_closed, page_acl, space_clause
from radex.confluence.client import ConfluenceClient
from radex.errors import InputError, NotFoundError, RadexError
from radex.index import SearchIndex
from radex.ingest.plan import MANIFEST_EXPAND
from radex.store import Store
from radex.store.records import SourceRecord
from radex.types import Acl, Document, Page, Principal, Restriction, SpacePermission


class AclResolver:
    """Computes page Acls for one source; each space's permissions and each content's
    restrictions are read once. Unreadable permission data fails closed and is reported in
    :attr:`warnings`."""

    def __init__(self, client: ConfluenceClient, source: SourceRecord) -> None:
        self.client, self.source = client, source
        self.warnings: list[str] = []
        self._spaces: dict[str, tuple[str, frozenset[Principal]]] = {}
        self._restrictions: dict[str, Restriction | None] = {}
        self._acls: dict[tuple[str, tuple[Restriction | None, ...]], Acl] = {}
        account = source.account_id
        self._seen = (Principal.of_source("user", source.id, account),) if account else ()

    async def space(self, key: str) -> tuple[str, frozenset[Principal]]:
        """The space's name and VIEW clause (an unknown key raises NotFoundError)."""
        if key not in self._spaces:
            space = await self.client.space(key)
            permissions: list[SpacePermission] | None
            try:
                permissions = await self.client.space_permissions(key)
            except RadexError as exc:
                permissions = None
                self.warnings.append(
                    f"space {key}: its permissions could not be read ({exc}); its content is "
                    "visible to RADEX admins only until a permission refresh succeeds"
                )
            self._spaces[key] = (space.name, space_clause(permissions, self.source.id))
        return self._spaces[key]

    def know(self, pages: Iterable[Page]) -> None:
        """Remember the direct read restrictions a listing already gave."""
        for page in pages:
            if page.read_restriction is not None:
                self._restrictions.setdefault(page.id, page.read_restriction)

    def known(self) -> set[str]:
        """The content ids whose direct read restriction is already known."""
        return set(self._restrictions)

    async def restriction(self, content_id: str) -> Restriction | None:
        """The direct read restriction of content (None: it could not be read)."""
        if content_id not in self._restrictions:
            try:
                found = (await self.client.restrictions(content_id))["read"]
            except RadexError as exc:
                found = None
                self.warnings.append(
                    f"content {content_id}: its read restrictions could not be read ({exc}); "
                    "it and its descendants are visible to RADEX admins only"
                )
            self._restrictions[content_id] = found
        return self._restrictions[content_id]

    async def acl(self, page: Page) -> Acl:
        """The page's Acl: space clause ∧ each ancestor's restriction ∧ its own (pages with
        the same space and restrictions share one Acl object)."""
        _, clause = await self.space(page.space_key or "")
        chain = [await self.restriction(a.id) for a in page.ancestors or ()]
        chain.append(await self.restriction(page.id))
        key = (page.space_key or "", tuple(chain))
        found = self._acls.get(key)
        if found is None:
            found = self._acls[key] = page_acl(
                clause, chain, self.source.id, observed_readers=self._seen
            )
        return found


@dataclass
class RefreshReport:
    """What a permission refresh did."""

    spaces: list[str] = field(default_factory=list)
    checked: int = 0  # pages and blog posts whose Acl was recomputed
    changed: int = 0  # documents (any type) whose Acl was rewritten
    closed: int = 0  # pages no longer listed: only admins may read them until sync removes them
    fail_closed: int = 0  # pages whose permission data could not be read
    warnings: list[str] = field(default_factory=list)


class PermissionRefresh:
    """Re-reads one source's space permissions and restrictions and rewrites changed Acls."""

    def __init__(
        self, *, store: Store, index: SearchIndex, source: SourceRecord, client: ConfluenceClient
    ) -> None:
        self.store, self.index, self.source, self.client = store, index, source, client

    async def run(self, space_keys: Sequence[str] | None = None) -> RefreshReport:
        """Refresh the given spaces (default: every space this source has documents in)."""
        stored = await asyncio.to_thread(self._stored)
        keys = sorted(stored) if not space_keys else list(dict.fromkeys(space_keys))
        unknown = [k for k in keys if k not in stored]
        if unknown:
            raise InputError(
                f"no documents from space {', '.join(unknown)} in source '{self.source.name}'",
                hint="`radex documents` lists what was imported",
            )
        report = RefreshReport(spaces=keys)
        resolver = AclResolver(self.client, self.source)
        for key in keys:
            await self._space(key, stored[key], resolver, report)
        report.warnings = resolver.warnings
        return report

    def _stored(self) -> dict[str, dict[str, list[Document]]]:
        """Per space, per page id: the page's document first, then its attachments/comments."""
        out: dict[str, dict[str, list[Document]]] = defaultdict(lambda: defaultdict(list))
        for doc in self.store.documents(source_id=self.source.id):
            if doc.space_key is None:
                continue
            if doc.type in ("page", "blogpost"):
                out[doc.space_key][doc.external_id].insert(0, doc)
            elif doc.ancestors:
                out[doc.space_key][doc.ancestors[-1].id].append(doc)
        return out

    async def _space(
        self,
        key: str,
        docs: dict[str, list[Document]],
        resolver: AclResolver,
        report: RefreshReport,
    ) -> None:
        try:
            await resolver.space(key)
        except NotFoundError:
            listed: dict[str, Page] | None = {}  # the space is gone or hidden: close it all
        else:
            listed = await self._listing(key, resolver)
        if listed is None:
            return
        resolver.know(listed.values())
        for page_id, group in docs.items():
            head = group[0]
            if head.type not in ("page", "blogpost"):
                continue  # comments/attachments of a page RADEX does not hold: left as they are
            page = listed.get(page_id)
            if page is None:
                acl = Acl((UNKNOWN,))
                report.closed += 1
            else:
                acl = await resolver.acl(page)
                report.checked += 1
                report.fail_closed += fails_closed(acl)
            for doc in group:
                if doc.acl != acl:
                    await asyncio.to_thread(self._rewrite, doc, acl)
                    report.changed += 1

    async def _listing(self, key: str, resolver: AclResolver) -> dict[str, Page] | None:
        """The space's current pages and blog posts with their restrictions and ancestors; None
        (and a warning) when the listing was incomplete: nothing in the space is changed then."""
        listing = self.client.search(
            f'space = "{key}" and type in (page, blogpost)', expand=MANIFEST_EXPAND
        )
        pages: dict[str, Page] = {}
        try:
            async for item in listing:
                if isinstance(item, Page) and item.status == "current":
                    pages[item.id] = item
        except RadexError as exc:
            resolver.warnings.append(f"space {key}: listing failed ({exc}); left unchanged")
            return None
        if listing.failures:
            resolver.warnings.append(
                f"space {key}: {len(listing.failures)} item(s) could not be listed; left unchanged"
            )
            return None
        return pages

    def _rewrite(self, doc: Document, acl: Acl) -> None:
        # The index first: should the store write not happen, the next refresh sees the old
        # Acl in the store and writes both again.
        self.index.update_acl(doc.id, acl)
        self.store.update_document_meta(replace(doc, acl=acl))
