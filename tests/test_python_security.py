"""The Python workspace under the security model, against the real database.

The saas example's generated package runs in a subprocess (its own ``src`` on
the path, SQLAlchemy warnings raised as errors). Users A and B each create an
organization with ``create_organization`` as themselves; products and
categories are then written into both. ``db.session.as_user`` must make the
generated models see and write only the user's organization, a plain session
(the trusted DATABASE_URL role) must still see everything, and soft-deleted
rows must leave ORM reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import psycopg
import pytest
from support import workspace_dir

PRELUDE = """
import json, os, uuid, warnings
import sqlalchemy as sa
from sqlalchemy.orm import Session
warnings.simplefilter("error", sa.exc.SAWarning)
from db.models import Category, Order, OrderItem, Product
from db.session import as_user

seed = json.loads(os.environ["SEED"])
orgs = {k: uuid.UUID(v) for k, v in seed["orgs"].items()}
users = {k: uuid.UUID(v) for k, v in seed["users"].items()}
url = sa.engine.make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql+psycopg")
engine = sa.create_engine(url)
out = {}


def claims(user):
    return {"sub": str(users[user]), "role": "authenticated", "email": f"{user}@example.com"}


def failure(err):
    return [type(err).__name__, type(getattr(err, "orig", None)).__name__,
            getattr(getattr(err, "orig", None), "sqlstate", None)]


def product(session, name, **options):
    stmt = sa.select(Product).where(Product.name == name).execution_options(**options)
    return session.scalars(stmt).one_or_none()
"""


def claims(user_id: str) -> str:
    return json.dumps({"sub": user_id, "role": "authenticated"})


@pytest.fixture(scope="module")
def saas(rendered, fresh_db):
    """The saas workspace and a database holding two users' organizations."""
    ws = workspace_dir(rendered("saas"), "python")
    uri = fresh_db("saas", "py_security")
    users = {"a": str(uuid.uuid4()), "b": str(uuid.uuid4())}
    orgs = {}
    with psycopg.connect(uri) as conn:
        for name, uid in users.items():
            conn.execute(
                "insert into auth.users (id, email) values (%s, %s)", (uid, f"{name}@example.com")
            )
        conn.commit()
        for name, uid in users.items():
            with conn.transaction():
                conn.execute("set local role authenticated")
                conn.execute("select set_config('request.jwt.claims', %s, true)", (claims(uid),))
                orgs[name] = str(
                    conn.execute(
                        "select id from public.create_organization(%s)", (f"Org {name.upper()}",)
                    ).fetchone()[0]
                )
        with conn.transaction():
            for name in users:
                for label in ("one", "two", "doomed", "trusted"):
                    conn.execute(
                        "insert into public.products (org_id, name, price) values (%s, %s, 9.99)",
                        (orgs[name], f"{name}-{label}"),
                    )
                conn.execute(
                    "insert into public.categories (org_id, title) values (%s, %s)",
                    (orgs[name], f"{name}-category"),
                )
    return ws, uri, {"users": users, "orgs": orgs}


def run(saas, code: str) -> dict:
    """Run ``code`` after PRELUDE in the workspace; returns the ``out`` dict it fills."""
    ws, uri, seed = saas
    script = PRELUDE + textwrap.dedent(code) + "\nprint(json.dumps(out, default=str))\n"
    env = {
        **os.environ,
        "DATABASE_URL": uri,
        "PYTHONPATH": str(ws / "src"),
        "SEED": json.dumps(seed),
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ws, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_a_member_reads_only_their_organizations_rows(saas):
    out = run(
        saas,
        """
        with Session(engine) as s, as_user(s, claims("a")):
            rows = s.scalars(sa.select(Product)).all()
            out["a_orgs"] = sorted({str(p.org_id) for p in rows})
            out["a_names"] = sorted(p.name for p in rows)
            out["a_categories"] = sorted(c.title for c in s.scalars(sa.select(Category)))
            out["who"] = list(s.execute(sa.text("select auth.uid()::text, current_user")).one())
        with Session(engine) as s:
            b_one = product(s, "b-one").id
            out["trusted_orgs"] = sorted({str(p.org_id) for p in s.scalars(sa.select(Product))})
            out["trusted_who"] = s.execute(sa.text("select current_user")).scalar_one()
        with Session(engine) as s, as_user(s, claims("a")):
            out["b_one_as_a"] = s.get(Product, b_one) is None
        with Session(engine) as s, as_user(s, {"role": "anon"}):
            out["anon"] = len(s.scalars(sa.select(Product)).all())
    """,
    )
    a, b = saas[2]["orgs"]["a"], saas[2]["orgs"]["b"]
    assert out["a_orgs"] == [a]
    assert {"a-one", "a-two"} <= set(out["a_names"])
    assert not any(name.startswith("b-") for name in out["a_names"])
    assert out["a_categories"] == ["a-category"]
    assert out["who"] == [saas[2]["users"]["a"], "authenticated"]
    assert out["b_one_as_a"] is True
    assert out["anon"] == 0
    # Without the helper the same code is a trusted job and sees both
    # organizations: the isolation above comes from as_user.
    assert out["trusted_orgs"] == sorted([a, b])
    assert out["trusted_who"] == "postgres"


def test_a_member_cannot_write_into_another_organization(saas):
    out = run(
        saas,
        """
        try:
            with Session(engine) as s, as_user(s, claims("a")):
                s.add(Product(org_id=orgs["b"], name="a-into-b", price=1))
        except sa.exc.DBAPIError as err:
            out["into_b"] = failure(err)
        with Session(engine) as s, as_user(s, claims("a")):
            s.add(Product(org_id=orgs["a"], name="a-new", price=1))
        with Session(engine) as s:
            out["written"] = sorted(str(p.org_id) for p in s.scalars(
                sa.select(Product).where(Product.name.in_(["a-into-b", "a-new"]))))
    """,
    )
    assert out["into_b"] == ["ProgrammingError", "InsufficientPrivilege", "42501"]
    assert out["written"] == [saas[2]["orgs"]["a"]]


def test_references_stay_inside_one_organization(saas):
    """Even a trusted job cannot point a row of org A at a row of org B."""
    out = run(
        saas,
        """
        with Session(engine) as s, as_user(s, claims("a")):
            mine = product(s, "a-one")
            mine.categories.append(s.scalars(sa.select(Category)).one())  # no org_id given
            s.flush()
            out["link_org"] = str(s.execute(sa.text(
                "select org_id from products_categories where product_id = :p"),
                {"p": mine.id}).scalar_one())
        with Session(engine) as s:
            b_product = product(s, "b-one").id
            b_category = s.scalars(sa.select(Category).where(Category.org_id == orgs["b"])).one()
        try:
            with Session(engine) as s, as_user(s, claims("a")):
                order = Order(org_id=orgs["a"], user_id=users["a"])
                s.add(order)
                s.flush()
                s.add(OrderItem(org_id=orgs["a"], order_id=order.id, product_id=b_product,
                                unit_price=1))
        except sa.exc.DBAPIError as err:
            out["item_to_b"] = failure(err)
        try:
            with Session(engine) as s, s.begin():
                a_two = product(s, "a-two")
                a_two.categories.append(s.merge(b_category))
        except sa.exc.DBAPIError as err:
            out["link_to_b"] = failure(err)
    """,
    )
    assert out["link_org"] == saas[2]["orgs"]["a"]
    assert out["item_to_b"] == ["IntegrityError", "ForeignKeyViolation", "23503"]
    assert out["link_to_b"] == ["IntegrityError", "ForeignKeyViolation", "23503"]


def test_a_users_delete_marks_the_row_deleted_and_reads_leave_it_out(saas):
    out = run(
        saas,
        """
        with Session(engine) as s, as_user(s, claims("a")):
            doomed = product(s, "a-doomed")
            doomed.categories.append(s.scalars(sa.select(Category)).one())
            order = Order(org_id=orgs["a"], user_id=users["a"])
            s.add(order)
            s.flush()
            s.add(OrderItem(org_id=orgs["a"], order_id=order.id, product_id=doomed.id,
                            unit_price=1))
            s.flush()
            doomed_id = doomed.id
            s.delete(doomed)  # SAWarning ("expected to delete 1 row") would raise
        out["state"] = [sa.inspect(doomed).was_deleted, sa.inspect(doomed).detached]
        with Session(engine) as s:  # trusted
            out["by_default"] = [product(s, "a-doomed"), s.get(Product, doomed_id)]
            out["in_collection"] = [p.name for c in s.scalars(sa.select(Category))
                                    for p in c.products if p.id == doomed_id]
            kept = product(s, "a-doomed", include_deleted=True)
            out["kept"] = kept is not None and kept.deleted_at is not None
            out["links"] = s.execute(sa.text(
                "select count(*) from products_categories where product_id = :p"),
                {"p": doomed_id}).scalar_one()
            out["items"] = s.execute(sa.text(
                "select count(*) from order_items where product_id = :p"),
                {"p": doomed_id}).scalar_one()
        with Session(engine) as s, as_user(s, claims("a")):
            out["as_a"] = product(s, "a-doomed", include_deleted=True)
    """,
    )
    assert out["state"] == [True, True]
    assert out["by_default"] == [None, None]
    assert out["in_collection"] == []
    assert out["kept"] is True
    assert out["links"] == 1 and out["items"] == 1  # children and links kept
    assert out["as_a"] is None  # the policies hide it from the user whatever the ORM asks


def test_a_trusted_job_marks_restores_and_deletes_for_real(saas):
    out = run(
        saas,
        """
        with Session(engine) as s, s.begin():
            product(s, "b-trusted").soft_delete()
        with Session(engine) as s, s.begin():
            out["hidden"] = product(s, "b-trusted") is None
            product(s, "b-trusted", include_deleted=True).deleted_at = None
        with Session(engine) as s, s.begin():
            restored = product(s, "b-trusted")
            out["restored"] = restored is not None
            restored.categories.append(
                s.scalars(sa.select(Category).where(Category.org_id == orgs["b"])).one())
            s.flush()
            s.delete(restored)
        with Session(engine) as s:
            out["rows"] = s.execute(sa.text(
                "select count(*) from products where name = 'b-trusted'")).scalar_one()
        try:
            with Session(engine) as s, as_user(s, claims("a")):
                product(s, "a-trusted").soft_delete()
        except sa.exc.DBAPIError as err:
            out["user_update"] = failure(err)
    """,
    )
    assert out["hidden"] is True
    assert out["restored"] is True
    assert out["rows"] == 0
    # A signed-in user cannot UPDATE a row out of sight: they delete instead.
    assert out["user_update"] == ["ProgrammingError", "InsufficientPrivilege", "42501"]


def test_as_user_refuses_what_it_cannot_honour_and_leaves_no_trace(saas):
    out = run(
        saas,
        """
        for bad in ({"sub": str(users["a"]), "role": "service_role"}, {"role": "authenticated"}):
            try:
                with Session(engine) as s, as_user(s, bad):
                    pass
            except ValueError as err:
                out.setdefault("refused", []).append(str(err).split(":")[0])
        with Session(engine) as s:
            s.execute(sa.text("select 1"))
            try:
                with as_user(s, claims("a")):
                    pass
            except RuntimeError:
                out["busy"] = True
        engine = sa.create_engine(url, pool_size=1, max_overflow=0)
        with engine.connect() as conn:
            with as_user(conn, claims("a")):
                out["core"] = list(conn.execute(sa.text("select auth.uid()::text, current_user")).one())
            out["after"] = list(conn.execute(sa.text(
                "select coalesce(auth.uid()::text, '-'), current_user")).one())
            conn.rollback()
        try:
            with Session(engine) as s, as_user(s, claims("a")):
                s.add(Product(org_id=orgs["b"], name="rolled-back", price=1))
        except sa.exc.DBAPIError:
            pass
        with Session(engine) as s:  # the same pooled connection, trusted again
            out["pooled"] = list(s.execute(sa.text(
                "select coalesce(auth.uid()::text, '-'), current_user")).one())
    """,
    )
    assert out["refused"] == [
        "as_user acts as authenticated or anon, not 'service_role'",
        "an authenticated user's claims need 'sub' (the user id)",
    ]
    assert out["busy"] is True
    assert out["core"] == [saas[2]["users"]["a"], "authenticated"]
    assert out["after"] == ["-", "postgres"]
    assert out["pooled"] == ["-", "postgres"]
