"""Taking content out of RADEX: the index first, then the store (whose row says it exists)."""

from __future__ import annotations

from collections.abc import Iterable

from radex.index import SearchIndex
from radex.store import Store


def remove_documents(store: Store, index: SearchIndex, doc_ids: Iterable[str]) -> None:
    """Delete documents from the index, then from the store."""
    for doc_id in list(doc_ids):
        index.delete_document(doc_id)
        store.delete_document(doc_id)


def remove_pages(
    store: Store, index: SearchIndex, source_id: str, page_ids: Iterable[str]
) -> list[str]:
    """Delete the pages RADEX holds of these Confluence ids, with their attachments and
    comments; returns the ids of the pages it held."""
    wanted = list(dict.fromkeys(page_ids))
    held = [d for d in (store.document(source_id, p) for p in wanted) if d is not None]
    extras = store.extras_of(source_id, [d.external_id for d in held])
    remove_documents(store, index, [*(d.id for d in extras), *(d.id for d in held)])
    return [d.external_id for d in held]
