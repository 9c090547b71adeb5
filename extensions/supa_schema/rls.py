"""Row level security policies for every table the engine creates.

Expressions are built only from names that passed ``names.identifier_problem``
and from fixed helper calls, so they can be written into SQL as-is.
Policies call ``(select auth.uid())`` so PostgreSQL evaluates it once per
statement, and each (role, command) pair gets exactly one permissive policy.
"""

from __future__ import annotations

from .model import Policy, Table

COMMANDS = ("select", "insert", "update", "delete")
MEMBER_ORGS = "(select private.user_org_ids())"
UID = "(select auth.uid())"


def _per_command(table: str, what: str, expr: str, commands=COMMANDS,
                 roles=("authenticated",)) -> list[Policy]:
    out = []
    for cmd in commands:
        using = None if cmd == "insert" else expr
        check = expr if cmd in ("insert", "update") else None
        out.append(Policy(f"{table}_{cmd}_{what}", cmd, roles, using, check))
    return out


def policies_for(table: Table, tables: dict[str, Table]) -> list[Policy]:
    """The policies a new table ships with, chosen from its tenancy and access answers."""
    name = table.name
    if table.junction_of is not None:
        # A link row is visible and writable when both linked rows are visible
        # to the caller: their own policies decide.
        (left, lcol), (right, rcol) = _junction_sides(table)
        expr = (f"exists (select 1 from public.{left} l where l.id = {name}.{lcol}) and "
                f"exists (select 1 from public.{right} r where r.id = {name}.{rcol})")
        return _per_command(name, "linked", expr, ("select", "insert", "delete"))
    if table.tenant:
        expr = f"org_id in {MEMBER_ORGS}"
        if table.owner:
            expr = f"{expr} and user_id = {UID}"
        return _per_command(name, "org_member", expr)
    if table.owner:
        policies = _per_command(name, "owner", f"user_id = {UID}")
        if table.public_read:
            policies[0] = Policy(f"{name}_select_public", "select", ("anon", "authenticated"),
                                 "true", None)
        return policies
    roles = ("anon", "authenticated") if table.public_read else ("authenticated",)
    # Readable by signed-in users (or everyone); written only by the service role,
    # which bypasses RLS: no write policy is ever `true`.
    return [Policy(f"{name}_select_{'public' if table.public_read else 'authenticated'}",
                   "select", roles, "true", None)]


def _junction_sides(table: Table) -> tuple[tuple[str, str], tuple[str, str]]:
    fks = table.foreign_keys
    return (fks[0].target, fks[0].column), (fks[1].target, fks[1].column)


def core_policies(table: Table) -> list[Policy]:
    """Policies of the tenancy tables: members read, admins manage, owners delete orgs."""
    member = "(select private.user_org_ids())"
    admin = "(select private.user_org_ids('admin'))"
    owner = "(select private.user_org_ids('owner'))"
    if table.name == "organizations":
        return [
            Policy("organizations_select_member", "select", ("authenticated",),
                   f"id in {member}", None),
            Policy("organizations_update_admin", "update", ("authenticated",),
                   f"id in {admin}", f"id in {admin}"),
            Policy("organizations_delete_owner", "delete", ("authenticated",),
                   f"id in {owner}", None),
        ]
    return [
        Policy("organization_members_select_member", "select", ("authenticated",),
               f"org_id in {member}", None),
        Policy("organization_members_insert_admin", "insert", ("authenticated",),
               None, f"org_id in {admin}"),
        Policy("organization_members_update_admin", "update", ("authenticated",),
               f"org_id in {admin}", f"org_id in {admin}"),
        Policy("organization_members_delete_admin", "delete", ("authenticated",),
               f"org_id in {admin}", None),
    ]
