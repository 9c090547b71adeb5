"""Run a unit of work as a signed-in Supabase user, under row level security.

The DATABASE_URL role (``postgres`` on Supabase) bypasses row level security:
a plain ``Session`` is for trusted jobs (admin tasks, background work that must
see every organization). Work done for a user goes through ``as_user``, which
does what Supabase's Data API does for a request::

    from db.session import as_user

    claims = {"sub": user_id, "role": "authenticated"}  # the verified JWT's claims
    with Session(engine) as session, as_user(session, claims):
        products = session.scalars(select(Product)).all()  # the user's rows only
        session.add(Product(...))  # checked by the policies too
    # committed here; an exception rolls the whole block back

The block is one transaction that starts with
``set_config('request.jwt.claims', <claims>, true)`` and
``set local role <claims["role"]>``: ``auth.uid()`` and the policies see the
user, and both settings end with the transaction, so a pooled connection never
keeps them. The block commits when it ends (SQLAlchemy refuses statements
after a ``commit()`` inside it); the session must not be in a transaction when
it starts. A ``Connection`` works the same way, for Core statements.

Objects loaded in the block expire when it commits: reading them afterwards
loads them again as the trusted role. Verify the JWT before trusting its
claims (``supabase.auth.get_user(token)``, or a JWT library with the project's
secret); this module only applies them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

#: Roles a request may act as: the ones Supabase gives API callers.
USER_ROLES = ("authenticated", "anon")

Bind = TypeVar("Bind", Session, sa.Connection)

_SET_CLAIMS = sa.text("select set_config('request.jwt.claims', :claims, true)")
_SET_ROLE = {role: sa.text(f"set local role {role}") for role in USER_ROLES}


@contextmanager
def as_user(bind: Bind, claims: Mapping[str, Any]) -> Iterator[Bind]:
    """Run the block in one transaction as the user the JWT ``claims`` describe.

    ``claims`` is the JWT's payload: ``sub`` (the user's id) and ``role``
    (``authenticated``, the default, or ``anon``). Commits when the block
    ends, rolls back when it raises.
    """
    role = claims.get("role", "authenticated")
    if role not in USER_ROLES:
        raise ValueError(
            f"as_user acts as {' or '.join(USER_ROLES)}, not {role!r}: "
            "trusted work uses a plain session"
        )
    if role == "authenticated" and not claims.get("sub"):
        raise ValueError("an authenticated user's claims need 'sub' (the user id)")
    if bind.in_transaction():
        raise RuntimeError(
            "as_user starts its own transaction: commit or roll back first"
        )
    with bind.begin():
        payload = json.dumps({**claims, "role": role}, default=str)
        bind.execute(_SET_CLAIMS, {"claims": payload})
        bind.execute(_SET_ROLE[role])
        yield bind
