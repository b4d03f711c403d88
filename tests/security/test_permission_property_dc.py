"""The permission property on Data Center: every surface shows each user exactly what Confluence
would (see permission_kit for what is generated and checked)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from permission_kit import SETTINGS, Generated, check_site, radex, sites

from radex.app import Services


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    s = radex(tmp_path_factory.mktemp("perm"))
    yield s
    s.close()


@SETTINGS
@given(generated=sites("dc"))
def test_every_surface_shows_exactly_what_confluence_allows(
    svc: Services, generated: Generated
) -> None:
    check_site(svc, generated)
