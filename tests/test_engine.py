"""The engine alone, no Copier and no database: every kind of bad answers is refused
with a message naming the entry; each action folds into the operations and schema
state its templates render; tenant isolation is planned for every kind of reference.
Fast: these call ``build()`` directly."""

from __future__ import annotations

import copy

import pytest

from supa_schema import SchemaError, build
from supa_schema.plan import AddColumn, CreateEnum, CreateExtension, CreateIndex, CreateTable

BASE = {"project_name": "Bad", "languages": ["typescript", "python"], "multi_tenant": False}


def entry(name, workspace, *actions):
    return {"name": name, "workspace": workspace, "actions": list(actions)}


PRODUCTS = {"table": "products", "columns": [{"name": "title", "type": "text"}]}

BAD_ANSWERS = {
    "uppercase identifier": (
        [entry("first", "python", {"table": "Products"})],
        "migrations[0] 'first'",
        "lower-case",
    ),
    "identifier starting with a digit": (
        [entry("first", "python", {"table": "2fast"})],
        "migrations[0] 'first'",
        "2fast",
    ),
    "sql reserved word as table": (
        [entry("first", "python", {"table": "select"})],
        "'select'",
        "reserved word",
    ),
    "sql reserved word as column": (
        [entry("first", "python", {"table": "t", "columns": [{"name": "order", "type": "text"}]})],
        "migrations[0] 'first'",
        "reserved word",
    ),
    "name longer than 63 bytes": (
        [entry("first", "python", {"table": "t" * 64})],
        "migrations[0] 'first'",
        "63 bytes",
    ),
    "duplicate table": (
        [entry("first", "python", PRODUCTS), entry("second", "python", PRODUCTS)],
        "migrations[1] 'second'",
        "already exists",
    ),
    "duplicate column": (
        [
            entry(
                "first",
                "python",
                {
                    "table": "t",
                    "columns": [{"name": "a", "type": "text"}, {"name": "a", "type": "integer"}],
                },
            )
        ],
        "migrations[0] 'first'",
        "already has a column 'a'",
    ),
    "unknown column type": (
        [entry("first", "python", {"table": "t", "columns": [{"name": "a", "type": "money"}]})],
        "migrations[0] 'first'",
        "unknown column type 'money'",
    ),
    "unknown enum": (
        [
            entry(
                "first",
                "python",
                {"table": "t", "columns": [{"name": "s", "type": "order_status"}]},
            )
        ],
        "migrations[0] 'first'",
        "declare the enum first",
    ),
    "column on unknown table": (
        [entry("first", "python", {"column": "sku", "table": "nope", "type": "text"})],
        "migrations[0] 'first'",
        "unknown table 'nope'",
    ),
    "index on unknown column": (
        [entry("first", "python", PRODUCTS, {"index": {"table": "products", "columns": ["nope"]}})],
        "migrations[0] 'first'",
        "'nope' is not a column",
    ),
    "relation to unknown table": (
        [
            entry(
                "first",
                "python",
                PRODUCTS,
                {"relation": "many-to-one", "from": "products", "to": "ghosts"},
            )
        ],
        "migrations[0] 'first'",
        "unknown `to` table 'ghosts'",
    ),
    "entry runs before the table it needs": (
        [
            entry("make_products", "python", PRODUCTS),
            entry("add_sku", "typescript", {"column": "sku", "table": "products", "type": "text"}),
        ],
        "migrations[1] 'add_sku' (00101_node_add_sku)",
        "runs after 00101_node_add_sku",
    ),
    "unknown workspace": (
        [entry("first", "rust", PRODUCTS)],
        "migrations[0] 'first'",
        "unknown workspace 'rust'",
    ),
    "full service range": (
        [entry(f"m{i}", "python", {"table": f"t{i}"}) for i in range(100)],
        "migrations[99] 'm99'",
        "range 00200-00299 is full",
    ),
    "numeric scale above precision": (
        [
            entry(
                "first",
                "python",
                {
                    "table": "t",
                    "columns": [{"name": "p", "type": "numeric", "precision": 4, "scale": 6}],
                },
            )
        ],
        "migrations[0] 'first'",
        "scale 6",
    ),
    "vector without dimensions": (
        [entry("first", "python", {"table": "t", "columns": [{"name": "v", "type": "vector"}]})],
        "migrations[0] 'first'",
        "needs `dimensions`",
    ),
    "default of the wrong type": (
        [
            entry(
                "first",
                "python",
                {"table": "t", "columns": [{"name": "n", "type": "integer", "default": "many"}]},
            )
        ],
        "migrations[0] 'first'",
        "whole number",
    ),
    "tenant table in a single-tenant project": (
        [entry("first", "python", {"table": "t", "tenant": True})],
        "migrations[0] 'first'",
        "multi-tenant",
    ),
    "typescript export name collision": (
        [entry("first", "typescript", {"enum": "mood", "values": ["x"]}, {"table": "mood_enum"})],
        "migrations[0] 'first'",
        "exported from schema.ts as 'moodEnum'",
    ),
    "relations export collision": (
        [entry("first", "typescript", {"table": "products"}, {"table": "products_relations"})],
        "migrations[0] 'first'",
        "as 'productsRelations'",
    ),
    "enum value listed twice": (
        [entry("first", "python", {"enum": "mood", "values": ["a", "a"]})],
        "migrations[0] 'first'",
        "listed twice",
    ),
    "self relation without a name": (
        [
            entry(
                "first",
                "python",
                {"table": "people"},
                {"relation": "many-to-one", "from": "people", "to": "people"},
            )
        ],
        "migrations[0] 'first'",
        "needs a `name`",
    ),
    "required column added without default": (
        [
            entry(
                "first",
                "python",
                PRODUCTS,
                {"column": "sku", "table": "products", "type": "text", "required": True},
            )
        ],
        "migrations[0] 'first'",
        "give it a `default`",
    ),
    "duplicate migration name": (
        [entry("same", "python", PRODUCTS), entry("same", "typescript", {"table": "u"})],
        "migrations[1] 'same'",
        "already used",
    ),
}


# A schema the modification cases change: a tenant table referenced by
# another, a link table, an enum, an explicit index.
SHOP = entry(
    "shop",
    "typescript",
    {"enum": "status", "values": ["todo", "done"]},
    {
        "table": "projects",
        "tenant": True,
        "columns": [
            {"name": "title", "type": "text"},
            {"name": "notes", "type": "text"},
            {"name": "budget", "type": "numeric(12, 2)", "default": 0},
            {"name": "state", "type": "status", "default": "todo"},
        ],
        "indexes": [{"columns": ["title"], "name": "projects_by_title"}],
    },
    {"table": "tasks", "tenant": True, "columns": [{"name": "title", "type": "text"}]},
    {"relation": "many-to-one", "from": "tasks", "to": "projects"},
    {"table": "labels", "tenant": True, "columns": [{"name": "name", "type": "text"}]},
    {"relation": "many-to-many", "from": "tasks", "to": "labels"},
)


def change(*actions, workspace="python"):
    return [SHOP, entry("change", workspace, *actions)]


MODIFY_BAD = {
    "rename a table that does not exist": (
        change({"rename_table": "projcts", "to": "work"}),
        "unknown table 'projcts'",
    ),
    "rename a table onto an existing name": (
        change({"rename_table": "projects", "to": "tasks"}),
        "'tasks' is already a table",
    ),
    "rename the tenancy tables": (
        change({"rename_table": "organizations", "to": "teams"}),
        "tenancy tables are managed",
    ),
    "rename a column that does not exist": (
        change({"rename_column": "name", "table": "projects", "to": "label"}),
        "has no column 'name'",
    ),
    "rename a column onto an existing one": (
        change({"rename_column": "title", "table": "projects", "to": "notes"}),
        "already has a column 'notes'",
    ),
    "rename the tenant column": (
        change({"rename_column": "org_id", "table": "projects", "to": "team_id"}),
        "tenant or managed column",
    ),
    "rename the primary key": (
        change({"rename_column": "id", "table": "tasks", "to": "task_id"}),
        "primary key",
    ),
    "alter a column with nothing to change": (
        change({"alter_column": "title", "table": "projects"}),
        "nothing to change",
    ),
    "alter a column to what it already is": (
        change({"alter_column": "title", "table": "projects", "type": "text"}),
        "nothing to change",
    ),
    "a type change that loses values": (
        change({"alter_column": "budget", "table": "projects", "type": "integer"}),
        "round every value",
    ),
    "a type change PostgreSQL cannot cast": (
        change({"alter_column": "title", "table": "projects", "type": "integer"}),
        "no implicit or assignment cast",
    ),
    "a type change whose default does not fit": (
        change({"alter_column": "state", "table": "projects", "type": "varchar(2)"}),
        "is not a varchar(2) value",
    ),
    "a type change that would turn an expression default into a constant": (
        [
            SHOP,
            entry("add", "python", {"column": "seen", "table": "tasks", "type": "timestamptz"}),
            entry(
                "stamp",
                "python",
                {"alter_column": "seen", "table": "tasks", "default": "now()"},
            ),
            entry("change", "python", {"alter_column": "seen", "table": "tasks", "type": "text"}),
        ],
        "the default of 'seen' (now()) is not a text value",
    ),
    "required without a default to backfill": (
        change({"alter_column": "notes", "table": "projects", "required": True}),
        "give a `default`",
    ),
    "required on a unique column backfills one value into every null": (
        change(
            {
                "alter_column": "notes",
                "table": "projects",
                "required": True,
                "default": "n/a",
                "unique": True,
            }
        ),
        "two rows with nulls would then clash",
    ),
    "drop a column that does not exist": (
        change({"drop_column": "colour", "table": "projects"}),
        "has no column 'colour'",
    ),
    "drop a column an index uses": (
        change({"drop_column": "title", "table": "projects"}),
        "used by index 'projects_by_title'",
    ),
    "drop a relation's column as a column": (
        change({"drop_column": "project_id", "table": "tasks"}),
        "drop_relation: tasks.project_id",
    ),
    "drop the tenant column": (
        change({"drop_column": "org_id", "table": "tasks"}),
        "tenant or managed column",
    ),
    "drop a table another references": (
        change({"drop_table": "projects"}),
        "still referenced by tasks.project_id",
    ),
    "drop a table a link table joins": (
        change({"drop_table": "labels"}),
        "link table tasks_labels",
    ),
    "drop a table that does not exist": (
        change({"drop_table": "projcts"}),
        "unknown table 'projcts'",
    ),
    "drop an index that does not exist": (
        change({"drop_index": "projects_by_name"}),
        "no index named 'projects_by_name'",
    ),
    "drop the index of a foreign key": (
        change({"drop_index": "idx_tasks_org_id_project_id"}),
        "backs the foreign key",
    ),
    "drop a relation that is not one": (
        change({"drop_relation": "tasks.title"}),
        "not the foreign key of a relation",
    ),
    "remove an enum value": (
        change({"drop_enum_value": "done", "enum": "status"}),
        "cannot remove a value",
    ),
    "add an enum value twice": (
        change({"enum_value": "done", "enum": "status"}),
        "already has the value 'done'",
    ),
    "add an enum value after one that does not exist": (
        change({"enum_value": "doing", "enum": "status", "after": "started"}),
        "'started' is not a value",
    ),
    "use an enum value in the entry that adds it": (
        change(
            {"enum_value": "doing", "enum": "status"},
            {"alter_column": "state", "table": "projects", "default": "doing"},
        ),
        "which this entry adds to enum 'status'",
    ),
    "a new column defaulting to an enum value the entry adds": (
        change(
            {"enum_value": "doing", "enum": "status"},
            {"column": "phase", "table": "tasks", "type": "status", "default": "doing"},
        ),
        "which this entry adds to enum 'status'",
    ),
    "rename an enum value that does not exist": (
        change({"rename_enum_value": "started", "enum": "status", "to": "begun"}),
        "'started' is not a value",
    ),
    "rename an enum value onto another": (
        change({"rename_enum_value": "todo", "enum": "status", "to": "done"}),
        "already has the value 'done'",
    ),
    "a change whose file runs before an earlier change of the table": (
        [
            *change({"rename_column": "notes", "table": "projects", "to": "remarks"}),
            entry("later", "typescript", {"drop_column": "remarks", "table": "projects"}),
        ],
        "out of order",
    ),
}


@pytest.mark.parametrize("case", sorted(MODIFY_BAD))
def test_bad_modifications_are_refused_naming_the_entry(case):
    migrations, problem = MODIFY_BAD[case]
    answers = {**copy.deepcopy(BASE), "multi_tenant": True, "migrations": migrations}
    with pytest.raises(SchemaError) as err:
        build(answers)
    message = str(err.value)
    assert "migrations[" in message and problem in message, message


@pytest.mark.parametrize("case", sorted(BAD_ANSWERS))
def test_bad_answers_are_refused_with_a_message_naming_the_entry(case):
    migrations, where, problem = BAD_ANSWERS[case]
    with pytest.raises(SchemaError) as err:
        build({**copy.deepcopy(BASE), "migrations": migrations})
    assert where in str(err.value) and problem in str(err.value), str(err.value)


def tenant(*actions, workspace="python"):
    return build(
        {
            **BASE,
            "multi_tenant": True,
            "languages": ["python"],
            "migrations": [entry("first", workspace, *actions)],
        }
    )


def kinds(project, entry_index=0):
    return [type(op) for op in project.migrations[entry_index].operations]


# ------------------------------------------------------------------ each action's plan


def test_enum_action_creates_the_type():
    p = build(
        {
            **BASE,
            "migrations": [entry("first", "python", {"enum": "mood", "values": ["ok", "meh"]})],
        }
    )
    assert kinds(p) == [CreateEnum]
    assert p.enums["mood"].values == ["ok", "meh"]


def test_table_action_creates_the_table_and_the_vector_extension_once():
    vec = {"name": "v", "type": "vector", "dimensions": 3}
    p = build(
        {
            **BASE,
            "migrations": [
                entry(
                    "first",
                    "python",
                    {"table": "a", "columns": [vec]},
                    {"table": "b", "columns": [vec]},
                )
            ],
        }
    )
    assert kinds(p) == [CreateExtension, CreateTable, CreateTable]
    assert [c.name for c in p.tables["a"].columns] == ["id", "v"]


def test_column_action_adds_the_column_and_its_foreign_key_index():
    p = build(
        {
            **BASE,
            "migrations": [
                entry(
                    "first",
                    "python",
                    PRODUCTS,
                    {"table": "tags"},
                    {"column": "tag_id", "table": "products", "type": "uuid", "references": "tags"},
                )
            ],
        }
    )
    op = p.migrations[0].operations[-1]
    assert isinstance(op, AddColumn) and op.fk.target == "tags"
    assert op.index.columns == ("tag_id",)


def test_index_action_names_the_index_after_its_columns():
    p = build(
        {
            **BASE,
            "migrations": [
                entry(
                    "first",
                    "python",
                    PRODUCTS,
                    {"index": {"table": "products", "columns": ["title"]}},
                )
            ],
        }
    )
    op = p.migrations[0].operations[-1]
    assert isinstance(op, CreateIndex) and op.index.name == "idx_products_title"


def test_relation_actions_add_a_key_or_a_junction_table():
    p = build(
        {
            **BASE,
            "migrations": [
                entry(
                    "first",
                    "python",
                    PRODUCTS,
                    {"table": "tags"},
                    {"relation": "many-to-one", "from": "products", "to": "tags"},
                    {
                        "relation": "many-to-many",
                        "from": "products",
                        "to": "tags",
                        "name": "labels",
                        "inverse": "labelled",
                    },
                )
            ],
        }
    )
    assert kinds(p)[-2:] == [AddColumn, CreateTable]
    assert p.tables["products_labels"].junction_of == ("products", "tags")
    assert {r.name for r in p.tables["products"].relations} == {"tag", "labels"}


def test_an_action_naming_two_kinds_is_refused():
    with pytest.raises(SchemaError, match="exactly one of enum:, table:, column:, index:"):
        build({**BASE, "migrations": [entry("first", "python", {"enum": "x", "index": "y"})]})


# ------------------------------------------------------------------ tenant isolation

PROJECTS = {"table": "projects", "tenant": True}
TASKS = {
    "table": "tasks",
    "tenant": True,
    "columns": [{"name": "project_id", "type": "uuid", "references": "projects"}],
}


def test_tenant_tables_start_with_org_id_and_carry_an_org_key():
    p = tenant(PROJECTS)
    table = p.tables["projects"]
    assert [c.name for c in table.columns][:2] == ["org_id", "id"]
    assert table.org_key == "projects_org_id_id_key"


@pytest.mark.parametrize(
    "reference",
    [
        TASKS,
        {"column": "project_id", "table": "tasks", "type": "uuid", "references": "projects"},
        {"relation": "many-to-one", "from": "tasks", "to": "projects"},
        {"relation": "one-to-many", "from": "projects", "to": "tasks"},
    ],
    ids=["column of a new table", "column action", "many-to-one", "one-to-many"],
)
def test_every_reference_between_tenant_tables_is_scoped_to_the_organization(reference):
    actions = [PROJECTS] + ([] if reference is TASKS else [{"table": "tasks", "tenant": True}])
    p = tenant(*actions, reference)
    fk = p.tables["tasks"].column("project_id").references
    assert fk.org_scoped
    assert (fk.columns, fk.target_columns) == (("org_id", "project_id"), ("org_id", "id"))
    assert ("org_id", "project_id") in [i.columns for i in p.tables["tasks"].indexes]


def test_set_null_clears_only_the_reference_column():
    p = tenant(
        PROJECTS,
        {"table": "tasks", "tenant": True},
        {"relation": "many-to-one", "from": "tasks", "to": "projects", "on_delete": "set null"},
    )
    assert (
        p.tables["tasks"].column("project_id").references.on_delete_sql == "set null (project_id)"
    )


def test_references_to_shared_tables_and_users_stay_single_column():
    p = tenant(
        {"table": "countries"},
        {
            "table": "shops",
            "tenant": True,
            "owner": True,
            "columns": [{"name": "country_id", "type": "uuid", "references": "countries"}],
        },
    )
    shops = p.tables["shops"]
    assert not shops.column("country_id").references.org_scoped
    assert not shops.column("user_id").references.org_scoped
    assert not shops.column("org_id").references.org_scoped


def test_links_between_tenant_tables_carry_the_organization():
    p = tenant(
        PROJECTS,
        {"table": "tags", "tenant": True},
        {"relation": "many-to-many", "from": "projects", "to": "tags"},
    )
    link = p.tables["projects_tags"]
    assert link.tenant and link.column("org_id").managed
    assert all(fk.org_scoped for fk in link.foreign_keys)
    assert p.tenant_junctions == [link] and link not in p.tenant_tables


def test_links_to_a_shared_table_are_not_scoped():
    p = tenant(
        PROJECTS, {"table": "tags"}, {"relation": "many-to-many", "from": "projects", "to": "tags"}
    )
    link = p.tables["projects_tags"]
    assert not link.tenant and link.column("org_id") is None


def test_soft_deleted_rows_are_out_of_every_policy_that_reads():
    p = tenant({"table": "notes", "tenant": True, "soft_delete": True})
    by_command = {pol.command: pol for pol in p.tables["notes"].policies}
    for command in ("select", "update", "delete"):
        assert "deleted_at is null" in by_command[command].using
    assert "deleted_at" not in by_command["insert"].check
    assert "deleted_at" not in by_command["update"].check


def test_membership_policies_form_a_ladder():
    p = tenant(PROJECTS)
    policies = {pol.command: pol for pol in p.tables["organization_members"].policies}
    manage = (
        "org_id in (select private.user_org_ids('owner')) or (role <> 'owner' and "
        "org_id in (select private.user_org_ids('admin')))"
    )
    assert policies["insert"].check == manage
    assert policies["update"].using == policies["update"].check == manage
    assert policies["delete"].using == f"user_id = (select auth.uid()) or {manage}"
    assert "insert" not in {pol.command for pol in p.tables["organizations"].policies}


def test_names_derived_from_a_long_table_name_must_fit_postgresql():
    long = "t" * 52  # fine alone; its policies' and keys' names would not be
    with pytest.raises(
        SchemaError, match=f"table '{long}' would get the name '{long}_.*', longer than 63 bytes"
    ):
        tenant({"table": long, "tenant": True})


# ------------------------------------------------------------------ modifications


def shop(*actions, workspace="python"):
    answers = {**copy.deepcopy(BASE), "multi_tenant": True, "migrations": change(*actions)}
    answers["migrations"][1]["workspace"] = workspace
    return build(answers)


def test_a_table_rename_renames_every_derived_name_and_references_follow():
    p = shop({"rename_table": "projects", "to": "boards"})
    (op,) = p.migrations[-1].operations
    renames = {(r.what, r.old, r.new) for r in op.renames}
    assert ("constraint", "projects_pkey", "boards_pkey") in renames
    assert ("constraint", "projects_org_id_id_key", "boards_org_id_id_key") in renames
    assert ("index", "idx_projects_org_id", "idx_boards_org_id") in renames
    assert ("policy", "projects_select_org_member", "boards_select_org_member") in renames
    # the explicitly named index keeps its name
    assert not any(r.old == "projects_by_title" for r in op.renames)
    assert "projects" not in p.tables and p.tables["boards"].model == "Board"
    fk = p.tables["tasks"].column("project_id").references
    assert (fk.target, fk.org_scoped) == ("boards", True)
    assert {r.target for r in p.tables["tasks"].relations} >= {"boards"}


def test_a_renamed_table_keeps_its_place_before_the_tables_that_reference_it():
    """Generated code that inserts parents before children (the Rust round trip)
    walks the tables in order: a renamed parent must not move after its children."""
    p = shop({"rename_table": "projects", "to": "boards"})
    order = list(p.tables)
    assert order.index("boards") < order.index("tasks")
    assert order.index("boards") == order.index("organization_members") + 1


def test_renaming_a_link_tables_left_side_recreates_its_org_id_trigger():
    p = shop({"rename_table": "tasks", "to": "todos"})
    (op,) = p.migrations[-1].operations
    assert op.triggers == (("tasks_labels", "task_id"),)
    assert p.tables["tasks_labels"].junction_of == ("todos", "labels")


def test_a_new_unique_key_builds_its_index_concurrently_in_a_file_of_its_own():
    p = shop(
        {"alter_column": "title", "table": "projects", "unique": True},
        {"rename_column": "notes", "table": "projects", "to": "remarks"},
    )
    files = [m for m in p.migrations if m.position == 1]
    assert [m.stem for m in files] == ["00201_python_change", "00202_python_change_2"]
    assert files[0].concurrent and [op.kind for op in files[0].operations] == ["create_index"]
    assert [op.kind for op in files[1].operations] == ["add_unique_key", "rename_column"]
    assert p.tables["projects"].column("title").unique


def test_entries_after_a_split_entry_take_the_next_numbers():
    answers = {
        **copy.deepcopy(BASE),
        "multi_tenant": True,
        "migrations": [
            *change(
                {"drop_index": "projects_by_title"}, {"drop_column": "title", "table": "projects"}
            ),
            entry("next", "python", {"rename_column": "notes", "table": "projects", "to": "memo"}),
        ],
    }
    stems = [m.stem for m in build(answers).migrations if m.workspace == "python"]
    assert stems == ["00201_python_change", "00202_python_change_2", "00203_python_next"]


def test_enum_value_changes_reach_every_column_and_default():
    p = shop(
        {"enum_value": "doing", "enum": "status", "after": "todo"},
        {"rename_enum_value": "todo", "enum": "status", "to": "open"},
    )
    assert p.enums["status"].values == ["open", "doing", "done"]
    state = p.tables["projects"].column("state")
    assert state.type.enum.values == ["open", "doing", "done"]
    assert state.default.value == "open" and state.default.sql == "'open'"
    # the entry that created the enum still renders its original values
    assert p.migrations[0].operations[0].enum.values == ["todo", "done"]


def test_alter_column_plans_a_backfilled_validated_not_null_and_keeps_the_default_type():
    p = shop(
        {"alter_column": "notes", "table": "projects", "required": True, "default": ""},
        {"alter_column": "budget", "table": "projects", "type": "numeric(14, 2)"},
    )
    files = [m for m in p.migrations if m.position == 1]
    # validating the check gets a transaction of its own: the next file
    assert [[op.kind for op in m.operations] for m in files] == [
        ["set_default", "add_not_null_check"],
        ["set_not_null", "alter_column_type"],
    ]
    check, type_change = files[0].operations[1], files[1].operations[1]
    assert check.backfill.sql == "''" and check.check == "projects_notes_not_null"
    assert type_change.default.sql == "0" and type_change.type.precision == 14
    notes = p.tables["projects"].column("notes")
    assert not notes.nullable and notes.default.sql == "''"


def test_down_migrations_undo_renames_and_refuse_drops():
    renamed = shop({"rename_column": "notes", "table": "projects", "to": "memo"})
    (undo,) = renamed.migrations[-1].undo
    assert (undo.kind, undo.old, undo.new) == ("rename_column", "memo", "notes")
    assert renamed.migrations[-1].lost == []
    dropped = shop({"drop_relation": "tasks_labels"})
    assert dropped.migrations[-1].lost == ["table 'tasks_labels' was dropped with its rows"]
    assert "tasks_labels" not in dropped.tables
    assert not any(r.through for r in dropped.tables["tasks"].relations)


def test_every_file_of_a_split_python_entry_is_an_alembic_revision_in_the_chain():
    p = shop({"alter_column": "title", "table": "projects", "unique": True})
    chain = [(m.revision, m.down_revision) for m in p.migrations if m.workspace == "python"]
    assert chain == [("00201", None), ("00202", "00201")]


def test_messages_name_the_final_file_of_an_entry_after_a_split_one():
    answers = {
        **copy.deepcopy(BASE),
        "multi_tenant": True,
        "migrations": [
            *change({"alter_column": "title", "table": "projects", "unique": True}),
            entry("next", "python", {"drop_table": "nothing"}),
        ],
    }
    with pytest.raises(SchemaError, match=r"00203_python_next"):
        build(answers)


def test_entries_of_one_workspace_after_a_split_entry_may_change_the_same_table():
    split_in_four = [  # the check, its validation, a concurrent index, the key
        {"alter_column": "notes", "table": "projects", "required": True, "default": ""},
        {"alter_column": "title", "table": "projects", "unique": True},
    ]
    answers = {
        **copy.deepcopy(BASE),
        "multi_tenant": True,
        "migrations": [
            *change(*split_in_four),
            entry("then", "python", {"rename_column": "title", "table": "projects", "to": "t"}),
            entry("next", "python", {"rename_column": "notes", "table": "projects", "to": "memo"}),
        ],
    }
    stems = [m.stem for m in build(answers).migrations if m.workspace == "python"]
    assert stems[-2:] == ["00205_python_then", "00206_python_next"]


def test_a_return_too_long_for_one_line_is_wrapped_in_parentheses_as_ruff_does():
    from supa_schema import pylayout

    short = 'f"<Tag id={self.id!r}>"'
    assert pylayout.returning(short) == f"        return {short}"
    long = 'f"<Junction6 things_1_id={self.things_1_id!r} link_5_id={self.link_5_id!r}>"'
    assert pylayout.returning(long) == f"        return (\n            {long}\n        )"
    too_long = 'f"' + "x" * 90 + '"'
    assert pylayout.returning(too_long) == f"        return {too_long}"


# ------------------------------------------------------------------ template upgrades


def upgraded(after, *entries):
    return build(
        {
            **BASE,
            "multi_tenant": True,
            "languages": ["typescript", "python", "rust"],
            "migrations": list(entries),
            # A repo made before tenant isolation: both later formats start at `after`.
            "format_upgrades": [{"format": 2, "after": after}, {"format": 3, "after": after}],
        }
    )


ORDERS = {
    "table": "orders",
    "tenant": True,
    "soft_delete": True,
    "columns": [{"name": "note", "type": "text"}],
}
ITEMS = {
    "table": "items",
    "tenant": True,
    "columns": [{"name": "order_id", "type": "uuid", "references": "orders"}],
}


def test_an_upgrade_adds_a_file_per_range_after_the_entries_written_before_it():
    project = upgraded(
        2,
        entry("orders", "typescript", ORDERS),
        entry("items", "python", ITEMS),
        entry("later", "typescript", {"table": "notes", "tenant": True}),
    )
    stems = [m.stem for m in project.migrations]
    # The rust range had no entries: nothing to upgrade, no file.
    assert stems == [
        "00101_node_orders",
        "00102_node_upgrade_to_format_2",
        "00103_node_later",
        "00201_python_items",
        "00202_python_upgrade_to_format_2",
    ]
    node, python = project.migrations[1], project.migrations[4]
    assert [op.kind for op in node.operations] == [
        "add_org_key",
        "add_soft_delete_trigger",
        "replace_policies",
    ]
    # The key of items -> orders is upgraded in the range of the later table.
    assert [op.kind for op in python.operations] == [
        "add_org_key",
        "replace_policies",
        "scope_foreign_key",
    ]
    scoped = python.operations[-1]
    assert scoped.fk.columns == ("org_id", "order_id")
    assert scoped.old_index == "idx_items_order_id"
    assert scoped.index.columns == ("org_id", "order_id")
    assert node.lost and node.label == "the template upgrade (00102_node_upgrade_to_format_2)"


def test_a_key_added_by_a_later_range_is_upgraded_in_that_range():
    column = {"column": "order_id", "table": "notes", "type": "uuid", "references": "orders"}
    project = upgraded(
        3,
        entry("orders", "typescript", ORDERS, {"table": "notes", "tenant": True}),
        entry("items", "python", ITEMS),
        entry("link", "rust", column),
    )
    rust = next(m for m in project.migrations if m.stem == "00302_rust_upgrade_to_format_2")
    assert [(op.kind, op.table) for op in rust.operations] == [("scope_foreign_key", "notes")]


def test_a_link_between_tenant_tables_gets_org_id_from_its_left_row():
    link = {"relation": "many-to-many", "from": "orders", "to": "tags"}
    project = upgraded(1, entry("first", "python", ORDERS, {"table": "tags", "tenant": True}, link))
    ops = project.migrations[1].operations
    add = next(op for op in ops if op.kind == "add_link_org_id")
    assert (add.table, add.source, add.column) == ("orders_tags", "orders", "order_id")
    assert ops.index(add) < min(i for i, op in enumerate(ops) if op.kind == "scope_foreign_key")


@pytest.mark.parametrize(
    "value, problem",
    [
        ({"format": 2, "after": 1}, "must be a list"),
        ([{"format": 4, "after": 0}], "unknown or repeated format 4"),
        ([{"format": 2, "after": 0}, {"format": 2, "after": 0}], "unknown or repeated format 2"),
        ([{"format": 3, "after": 0}, {"format": 2, "after": 1}], "listed in order"),
        ([{"format": 2, "after": 5}], "`after` must be a number of changelog entries (0 to 1)"),
        ([{"format": 2, "after": True}], "`after` must be a number"),
        ([{"format": 2}], "must be a list of entries"),
    ],
)
def test_a_damaged_format_upgrades_record_is_refused(value, problem):
    with pytest.raises(SchemaError) as err:
        build(
            {**BASE, "migrations": [entry("first", "python", PRODUCTS)], "format_upgrades": value}
        )
    assert "format_upgrades" in str(err.value) and problem in str(err.value), str(err.value)


def test_the_template_names_the_migration_format_the_engine_writes():
    from pathlib import Path

    from supa_schema import upgrade

    root = Path(__file__).resolve().parent.parent
    assert (root / "migration-format").read_text() == f"{upgrade.FORMAT}\n"


# ------------------------------------------------------------------ live-safe additions

CUSTOMERS = {"table": "customers", "tenant": True, "columns": [{"name": "name", "type": "text"}]}
ADDITIONS = [
    {"column": "owner_id", "table": "orders", "type": "uuid", "references": "customers"},
    {"column": "code", "table": "orders", "type": "text", "unique": True},
    {"index": {"table": "orders", "columns": ["note"]}},
]


def two_weeks(formats=None):
    answers = {
        **BASE,
        "multi_tenant": True,
        "languages": ["python"],
        "migrations": [
            entry("first", "python", ORDERS, CUSTOMERS),
            entry("second", "python", *ADDITIONS),
        ],
    }
    if formats is not None:
        answers["format_upgrades"] = formats
    return build(answers)


def test_additions_to_a_table_with_rows_are_live_safe():
    files = [(m.stem, [op.kind for op in m.operations]) for m in two_weeks().migrations]
    assert files[1:] == [
        ("00202_python_second", ["add_column", "add_foreign_key"]),
        ("00203_python_second_2", ["create_index"]),
        ("00204_python_second_3", ["validate_foreign_key", "add_column"]),
        ("00205_python_second_4", ["create_index"]),
        ("00206_python_second_5", ["add_unique_key"]),
        ("00207_python_second_6", ["create_index"]),
    ]
    second = two_weeks().migrations[1]
    assert second.modifies and second.operations[0].live
    assert second.operations[1].fk.columns == ("org_id", "owner_id")


def test_additions_in_the_entry_that_creates_the_table_stay_plain():
    project = build(
        {
            **BASE,
            "multi_tenant": True,
            "languages": ["python"],
            "migrations": [entry("first", "python", ORDERS, CUSTOMERS, *ADDITIONS)],
        }
    )
    (only,) = project.migrations
    assert [op.kind for op in only.operations][-3:] == ["add_column", "add_column", "create_index"]
    assert not only.operations[-1].concurrently and not only.modifies


def test_entries_an_older_version_wrote_keep_their_plain_additions():
    project = two_weeks([{"format": 3, "after": 2}])
    assert [m.stem for m in project.migrations] == ["00201_python_first", "00202_python_second"]
    kinds = [op.kind for op in project.migrations[1].operations]
    assert kinds == ["add_column", "add_column", "create_index"]
