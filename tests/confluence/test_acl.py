"""The Acl algebra: Confluence space permissions and read restrictions -> CNF Acl."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from radex.confluence.acl import UNKNOWN, fails_closed, page_acl, restriction_clause, space_clause
from radex.types import ADMINS, Acl, Principal, Restriction, SpacePermission

SRC = "src1"


def user(name: str, source: str = SRC) -> Principal:
    return Principal.of_source("user", source, name)


def group(name: str, source: str = SRC) -> Principal:
    return Principal.of_source("group", source, name)


def reader(name: str, *groups: str, source: str = SRC) -> set[Principal]:
    """What a Confluence user holds: themselves and their groups (anyone is implied)."""
    return {user(name, source), *(group(g, source) for g in groups)}


def view(kind: str, ident: str | None) -> SpacePermission:
    return SpacePermission(kind, ident, "read")  # type: ignore[arg-type]


def r(users: tuple[str, ...] = (), groups: tuple[str, ...] = ()) -> Restriction:
    return Restriction("read", user_ids=users, group_names=groups)


SPACE = space_clause([view("group", "staff"), view("user", "carol")], SRC)


def test_space_clause_takes_view_grants_of_users_groups_and_anonymous() -> None:
    perms = [
        view("user", "alice"),
        view("group", "eng"),
        view("anyone", None),
        SpacePermission("group", "eng-admins", "administer"),  # not VIEW
        SpacePermission("user", "bob", "read", target="page"),  # not the space
        view("user", None),  # malformed: no id
    ]
    assert space_clause(perms, SRC) == {user("alice"), group("eng"), Principal("anyone")}


def test_no_view_grant_admits_no_one_and_unreadable_permissions_admit_only_admins() -> None:
    assert not page_acl(space_clause([], SRC), [None], SRC).admits(reader("alice"))
    closed = page_acl(space_clause(None, SRC), [r()], SRC)
    assert closed.clauses == (UNKNOWN,)
    assert not closed.admits(reader("alice", "staff"))
    assert closed.admits({ADMINS})
    assert fails_closed(closed)


def test_a_restriction_adds_to_space_access_it_does_not_replace_it() -> None:
    acl = page_acl(SPACE, [r(users=("dave",))], SRC)
    assert not acl.admits(reader("dave"))  # named on the page, but the space does not let him in
    assert acl.admits(reader("dave", "staff"))
    assert not acl.admits(reader("erin", "staff"))  # in the space, not on the restriction


def test_every_ancestor_restriction_applies_not_only_the_nearest() -> None:
    # grandparent: group hr; parent: unrestricted; page: user dave
    acl = page_acl(SPACE, [r(groups=("hr",)), r(), r(users=("dave",))], SRC)
    assert len(acl.clauses) == 3
    assert not acl.admits(reader("dave", "staff"))  # the page names him, the grandparent not
    assert not acl.admits(reader("erin", "staff", "hr"))  # the grandparent admits, the page not
    assert acl.admits(reader("dave", "staff", "hr"))


def test_group_and_user_grants_across_levels() -> None:
    # ancestor names a user, the page names a group the user is in: both met
    acl = page_acl(SPACE, [r(users=("dave",)), r(groups=("sre",))], SRC)
    assert acl.admits(reader("dave", "staff", "sre"))
    assert not acl.admits(reader("dave", "staff"))
    assert not acl.admits(reader("frank", "staff", "sre"))
    # a level naming both admits either
    both = page_acl(SPACE, [r(users=("dave",), groups=("sre",))], SRC)
    assert both.admits(reader("dave", "staff"))
    assert both.admits(reader("gil", "staff", "sre"))


def test_unreadable_restrictions_fail_closed_for_that_level_only_admins_and_the_importer() -> None:
    importer = user("svc-import")
    acl = page_acl(SPACE, [r(), None], SRC, observed_readers=[importer])
    assert fails_closed(acl)
    assert not acl.admits(reader("carol"))
    assert acl.admits({importer})
    assert acl.admits({ADMINS, group("staff")})
    assert not acl.admits({ADMINS})  # admins still need the space's VIEW


def test_anonymous_space_admits_everyone_but_restrictions_still_bind() -> None:
    space = space_clause([view("anyone", None)], SRC)
    assert page_acl(space, [r()], SRC).admits(set())
    acl = page_acl(space, [r(groups=("hr",))], SRC)
    assert not acl.admits(set())
    assert acl.admits({group("hr")})


def test_principals_are_scoped_by_source() -> None:
    acl = page_acl(SPACE, [r(groups=("hr",))], SRC)
    assert not acl.admits(reader("carol", "hr", source="other"))
    assert not acl.admits({user("carol", "other"), group("hr")})
    assert acl.admits({user("carol"), group("hr")})
    assert Principal.parse(str(user("carol"))) == user("carol")
    assert Principal("user", "carol").scoped(SRC) == user("carol")
    assert Principal("anyone").scoped(SRC) == Principal("anyone")


def test_an_empty_restriction_adds_no_clause() -> None:
    assert restriction_clause(r(), SRC) is None
    assert page_acl(SPACE, [r(), r()], SRC) == Acl((SPACE,))


# ---- property: the CNF equals the rule evaluated directly --------------------------------------

USERS = [f"u{i}" for i in range(4)]
GROUPS = [f"g{i}" for i in range(3)]
names = st.frozensets(st.sampled_from(USERS))
groups = st.frozensets(st.sampled_from(GROUPS))
levels = st.lists(st.one_of(st.none(), st.tuples(names, groups)), max_size=5)


@settings(max_examples=400, deadline=None)
@given(
    space_users=names,
    space_groups=groups,
    anonymous=st.booleans(),
    chain=levels,
    who=st.sampled_from(USERS),
    member_of=groups,
    admin=st.booleans(),
)
def test_the_acl_equals_confluence_rule(
    space_users: frozenset[str],
    space_groups: frozenset[str],
    anonymous: bool,
    chain: list[tuple[frozenset[str], frozenset[str]] | None],
    who: str,
    member_of: frozenset[str],
    admin: bool,
) -> None:
    perms = [view("user", u) for u in sorted(space_users)]
    perms += [view("group", g) for g in sorted(space_groups)]
    perms += [view("anyone", None)] if anonymous else []
    restrictions = [
        None if lv is None else r(tuple(sorted(lv[0])), tuple(sorted(lv[1]))) for lv in chain
    ]
    acl = page_acl(space_clause(perms, SRC), restrictions, SRC)

    def meets(users: frozenset[str], grps: frozenset[str]) -> bool:
        return who in users or bool(grps & member_of)

    expected = (anonymous or meets(space_users, space_groups)) and all(
        admin if lv is None else (not lv[0] and not lv[1]) or meets(*lv) for lv in chain
    )
    held = reader(who, *member_of) | ({ADMINS} if admin else set())
    assert acl.admits(held) == expected
