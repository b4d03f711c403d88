"""The ``sources`` table: connected Confluence sites and their encrypted credentials."""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from radex.errors import InputError, NotFoundError
from radex.store.convert import to_source
from radex.store.models import SourceRow, utcnow
from radex.store.records import SourceRecord
from radex.store.session import Repository, new_id
from radex.types import Deployment


class SourceRepository(Repository):
    """Sources: add, replace, look up, re-key."""

    def add_source(
        self,
        name: str,
        deployment: Deployment,
        base_url: str,
        credential_kind: str,
        ciphertext: bytes,
        key_id: str,
        principals: Sequence[str],
        account_id: str | None = None,
        display_name: str | None = None,
        *,
        replace: bool = False,
        kind: str = "confluence",
    ) -> SourceRecord:
        """Add a source; with ``replace`` an existing one of that name is updated (id kept)."""
        name = name.strip()
        if not name:
            raise InputError("a source needs a name", hint="e.g. --name acme")
        if deployment not in get_args(Deployment):
            raise InputError(f"deployment '{deployment}' is not 'cloud' or 'dc'")
        now = utcnow()
        values = {
            "kind": kind,
            "deployment": deployment,
            "base_url": base_url,
            "credential_kind": credential_kind,
            "credential_ciphertext": bytes(ciphertext),
            "credential_key_id": key_id,
            "principals": list(principals),
            "account_id": account_id,
            "display_name": display_name,
            "updated_at": now,
        }
        try:
            with self._write() as s:
                row = s.scalars(select(SourceRow).where(SourceRow.name == name)).one_or_none()
                if row is not None and not replace:
                    raise _duplicate(name)
                if row is None:
                    row = SourceRow(id=new_id(), name=name, created_at=now, **values)
                    s.add(row)
                else:
                    for key, value in values.items():
                        setattr(row, key, value)
                s.flush()
                return to_source(row)
        except IntegrityError as exc:  # a concurrent add of the same name won the race
            raise _duplicate(name) from exc

    def source(self, name: str) -> SourceRecord:
        """The source called ``name``; NotFoundError lists the known names."""
        with self._read() as s:
            row = s.scalars(select(SourceRow).where(SourceRow.name == name)).one_or_none()
            if row is not None:
                return to_source(row)
            known = list(s.scalars(select(SourceRow.name).order_by(SourceRow.name)))
        hint = (
            f"known sources: {', '.join(known)}"
            if known
            else "none yet: add one with `radex connect`"
        )
        raise NotFoundError(f"no source named '{name}'", hint=hint)

    def source_by_id(self, source_id: str) -> SourceRecord:
        """The source with this id (NotFoundError when there is none)."""
        with self._read() as s:
            row = s.get(SourceRow, source_id)
            if row is None:
                raise NotFoundError(f"no source with id '{source_id}'")
            return to_source(row)

    def sources(self) -> list[SourceRecord]:
        """Every source, by name."""
        with self._read() as s:
            return [to_source(r) for r in s.scalars(select(SourceRow).order_by(SourceRow.name))]

    def remove_source(self, source_id: str) -> bool:
        """Delete a source row (its identity links and memberships cascade); False if absent.
        Its documents are deleted by the caller first (they live in the index too)."""
        with self._write() as s:
            row = s.get(SourceRow, source_id)
            if row is None:
                return False
            s.delete(row)
            return True

    def update_source_credential(
        self, source_id: str, ciphertext: bytes, key_id: str
    ) -> SourceRecord:
        """Store a re-encrypted (rotated or refreshed) credential for a source."""
        with self._write() as s:
            row = s.get(SourceRow, source_id)
            if row is None:
                raise NotFoundError(f"no source with id '{source_id}'")
            row.credential_ciphertext = bytes(ciphertext)
            row.credential_key_id = key_id
            row.updated_at = utcnow()
            s.flush()
            return to_source(row)


def _duplicate(name: str) -> InputError:
    return InputError(
        f"a source named '{name}' already exists",
        hint="pick another name, or overwrite it with `radex connect --replace`",
    )
