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


def _per_command(
    table: str,
    what: str,
    expr: str,
    commands=COMMANDS,
    roles=("authenticated",),
    live: str | None = None,
) -> list[Policy]:
    """One policy per command. ``live`` narrows the rows a command can see (soft
    delete hides deleted rows); new rows are checked against ``expr`` alone."""
    seen = f"{expr} and {live}" if live else expr
    out = []
    for cmd in commands:
        using = None if cmd == "insert" else seen
        check = expr if cmd in ("insert", "update") else None
        out.append(Policy(f"{table}_{cmd}_{what}", cmd, roles, using, check))
    return out


def policies_for(table: Table, tables: dict[str, Table]) -> list[Policy]:
    """The policies a new table ships with, chosen from its tenancy and access answers.

    Soft-deleted rows are out of every read, update and delete a signed-in user
    makes; deleting such a row marks it deleted (the ``private.soft_delete``
    trigger), and only the service role reads, restores or purges them.
    """
    name = table.name
    live = "deleted_at is null" if table.soft_delete else None
    if table.junction_of is not None:
        # A link row is visible and writable when both linked rows are visible
        # to the caller: their own policies decide.
        (left, lcol), (right, rcol) = _junction_sides(table)
        expr = (
            f"exists (select 1 from public.{left} l where l.id = {name}.{lcol}) and "
            f"exists (select 1 from public.{right} r where r.id = {name}.{rcol})"
        )
        return _per_command(name, "linked", expr, ("select", "insert", "delete"))
    if table.tenant:
        expr = f"org_id in {MEMBER_ORGS}"
        if table.owner:
            expr = f"{expr} and user_id = {UID}"
        return _per_command(name, "org_member", expr, live=live)
    if table.owner:
        policies = _per_command(name, "owner", f"user_id = {UID}", live=live)
        if table.public_read:
            policies[0] = Policy(
                f"{name}_select_public", "select", ("anon", "authenticated"), live or "true", None
            )
        return policies
    roles = ("anon", "authenticated") if table.public_read else ("authenticated",)
    # Readable by signed-in users (or everyone); written only by the service role,
    # which bypasses RLS: no write policy is ever `true`.
    return [
        Policy(
            f"{name}_select_{'public' if table.public_read else 'authenticated'}",
            "select",
            roles,
            live or "true",
            None,
        )
    ]


def _junction_sides(table: Table) -> tuple[tuple[str, str], tuple[str, str]]:
    fks = table.foreign_keys
    return (fks[0].target, fks[0].column), (fks[1].target, fks[1].column)


def core_policies(table: Table) -> list[Policy]:
    """Policies of the tenancy tables: a ladder of roles, member < admin < owner.

    Members read their organizations and fellow members. Admins rename the
    organization and manage members and admins; only owners manage owners or
    delete the organization. Nobody grants a role above their own (the new row
    is checked like the old one), anybody may leave, and the
    ``keep_an_owner`` trigger stops the last owner from leaving or stepping
    down. Organizations are created through ``public.create_organization``.
    """
    member = MEMBER_ORGS
    admin = "(select private.user_org_ids('admin'))"
    owner = "(select private.user_org_ids('owner'))"
    if table.name == "organizations":
        return [
            Policy(
                "organizations_select_member", "select", ("authenticated",), f"id in {member}", None
            ),
            Policy(
                "organizations_update_admin",
                "update",
                ("authenticated",),
                f"id in {admin}",
                f"id in {admin}",
            ),
            Policy(
                "organizations_delete_owner", "delete", ("authenticated",), f"id in {owner}", None
            ),
        ]
    # A role up to the caller's own: owners manage anyone, admins non-owners.
    manage = f"org_id in {owner} or (role <> 'owner' and org_id in {admin})"
    return [
        Policy(
            "organization_members_select_member",
            "select",
            ("authenticated",),
            f"org_id in {member}",
            None,
        ),
        Policy("organization_members_insert_manager", "insert", ("authenticated",), None, manage),
        Policy("organization_members_update_manager", "update", ("authenticated",), manage, manage),
        Policy(
            "organization_members_delete_manager_or_self",
            "delete",
            ("authenticated",),
            f"user_id = {UID} or {manage}",
            None,
        ),
    ]
