"""The TypeScript layout helpers: where a construct breaks, as Prettier (printWidth
100) breaks it. The last test hands a few layouts to the pinned Prettier."""

from __future__ import annotations

import subprocess

from supa_schema.tslayout import (
    array,
    arrow,
    assign,
    call,
    chain,
    import_from,
    layout,
    obj,
    quote,
    union,
)

LONG = "a_rather_long_table_name_with_many_words"


def test_quote_prefers_double_quotes_unless_the_text_has_more():
    assert quote("it's") == '"it\'s"'
    assert quote('say "hi"') == "'say \"hi\"'"
    assert quote("back\\slash") == '"back\\\\slash"'


def test_a_call_that_fits_stays_on_one_line():
    value = call("using", '"btree"', "table.userId")
    assert layout('index("idx_members_user_id").', value, 4) == (
        'index("idx_members_user_id").using("btree", table.userId)'
    )


def test_a_call_that_does_not_fit_puts_each_argument_on_a_line():
    value = call("using", '"gin"', "table.settingsLedgerEntriesQuarterly")
    assert layout(f'index("idx_{LONG}_settings").', value, 4) == (
        f'index("idx_{LONG}_settings").using(\n'
        '      "gin",\n'
        "      table.settingsLedgerEntriesQuarterly,\n"
        "    )"
    )


def test_a_call_hugs_its_last_array_when_the_opening_line_fits():
    values = [quote(f"value_number_{i}") for i in range(9)]
    assert layout(
        "export const statusEnum = ", call("pgEnum", '"status"', array(values)), 0, ";"
    ) == (
        'export const statusEnum = pgEnum("status", [\n'
        + "".join(f'  "value_number_{i}",\n' for i in range(9))
        + "]);"
    )


def test_a_call_whose_opening_line_is_too_long_breaks_every_argument():
    name = quote(LONG + "_enum")
    short = layout(f"export const {'x' * 40}Enum = ", call("pgEnum", name, array(['"a"'])), 0, ";")
    assert short == f'export const {"x" * 40}Enum = pgEnum(\n  {name},\n  ["a"],\n);'
    values = [quote(f"{LONG}_{i}") for i in range(3)]
    long = layout(f"export const {'x' * 40}Enum = ", call("pgEnum", name, array(values)), 0, ";")
    assert long == (
        f"export const {'x' * 40}Enum = pgEnum(\n  {name},\n  [\n"
        + "".join(f"    {v},\n" for v in values)
        + "  ],\n);"
    )


def test_an_object_argument_is_hugged_and_its_array_property_breaks():
    cols = [f"table.{c}" for c in ("firstPartOfTheKey", "secondPartOfTheKey", "thirdPartOfIt")]
    value = call("primaryKey", obj({"name": quote(f"{LONG}_pkey"), "columns": array(cols)}))
    assert layout("", value, 4, ",") == (
        "primaryKey({\n"
        f'      name: "{LONG}_pkey",\n'
        "      columns: [table.firstPartOfTheKey, table.secondPartOfTheKey, table.thirdPartOfIt],\n"
        "    }),"
    )


def test_an_arrow_returning_an_expanded_object():
    ends = obj([("posts", call("many", "posts", obj({"relationName": '"posts_author_id"'})))], True)
    relations = call("relations", "authors", arrow("({ one, many })", ends))
    assert layout("export const authorsRelations = ", relations, 0, ";") == (
        "export const authorsRelations = relations(authors, ({ one, many }) => ({\n"
        '  posts: many(posts, { relationName: "posts_author_id" }),\n'
        "}));"
    )
    named = f"export const {'y' * 45}Relations = "
    assert layout(named, call("relations", "y" * 45, arrow("({ one, many })", ends)), 0, ";") == (
        f"{named}relations(\n"
        f"  {'y' * 45},\n"
        "  ({ one, many }) => ({\n"
        '    posts: many(posts, { relationName: "posts_author_id" }),\n'
        "  }),\n"
        ");"
    )


def test_a_chain_that_fits_stays_on_one_line():
    methods = [("notNull", ""), ("default", "0")]
    assert chain("count: ", 'integer("count")', methods, 4, ",") == (
        'count: integer("count").notNull().default(0),'
    )


def test_a_chain_of_three_calls_with_a_tagged_template_puts_each_method_on_a_line():
    methods = [("notNull", ""), ("default", "sql`-7`")]
    assert chain("tiny: ", 'smallint("tiny")', methods, 4, ",") == (
        'tiny: smallint("tiny")\n      .notNull()\n      .default(sql`-7`),'
    )


def test_a_chain_whose_builder_hugs_its_options_keeps_the_method_after_the_bracket():
    column = "abcdefghij_abcdefghij_abcdefghij_abcd00"
    value = quote("d" * 76)
    out = chain(
        "abcdefghijAbcdefghijAbcdefghijAbcd00: ",
        f'varchar("{column}", {{ length: 200 }})',
        [("default", value)],
        4,
        ",",
    )
    assert out == (
        f'abcdefghijAbcdefghijAbcdefghijAbcd00: varchar("{column}", {{\n'
        "      length: 200,\n"
        f"    }}).default({value}),"
    )


def test_a_chain_whose_builder_cannot_hug_breaks_its_argument():
    column = "warehouse_allocation_shipment_reconcil_id"
    assert chain(
        "warehouseAllocationShipmentReconcilId: ", f'uuid("{column}")', [("notNull", "")], 4, ","
    ) == (f'warehouseAllocationShipmentReconcilId: uuid(\n      "{column}",\n    ).notNull(),')


def test_assign_and_union_break_after_the_operator():
    assert assign("export type Post =", "typeof posts.$inferSelect", 0, ";") == (
        "export type Post = typeof posts.$inferSelect;"
    )
    left = f"export type New{'Z' * 40} ="
    assert assign(left, f"typeof {'z' * 40}.$inferInsert", 0, ";") == (
        f"{left}\n  typeof {'z' * 40}.$inferInsert;"
    )
    assert union("label:", ["string", "null"], 10, ";") == "label: string | null;"
    members = [quote(f"member_{i}_{'m' * 4}") for i in range(5)]
    assert union("status:", members, 6, ";") == f"status:\n        {' | '.join(members)};"
    members = [quote(f"member_{i}_{'m' * 20}") for i in range(5)]
    assert union("status:", members, 6, ";") == (
        "status:" + "".join(f"\n        | {m}" for m in members) + ";"
    )


def test_an_import_that_does_not_fit_lists_one_name_a_line():
    assert import_from(["relations", "sql"], "drizzle-orm") == (
        'import { relations, sql } from "drizzle-orm";'
    )
    names = ["bigint", "boolean", "integer", "pgEnum", "pgTable", "primaryKey", "text", "uuid"]
    assert import_from(names, "drizzle-orm/pg-core") == (
        "import {\n" + "".join(f"  {n},\n" for n in names) + '} from "drizzle-orm/pg-core";'
    )


def test_prettier_leaves_these_layouts_unchanged(prettier, tmp_path):
    """A small schema module made of layouts the tests above check, run through the
    pinned prettier: it finds nothing to change."""
    enum_values = [quote(f"value_number_{i}") for i in range(9)]
    long_values = [quote(f"{LONG}_{i}") for i in range(3)]
    cols = [f"table.{c}" for c in ("firstPartOfTheKey", "secondPartOfTheKey", "thirdPartOfIt")]
    columns = [
        chain("count: ", 'integer("count")', [("notNull", ""), ("default", "0")], 4, ","),
        chain("tiny: ", 'smallint("tiny")', [("notNull", ""), ("default", "sql`-7`")], 4, ","),
        chain(
            "abcdefghijAbcdefghijAbcdefghijAbcd00: ",
            'varchar("abcdefghij_abcdefghij_abcdefghij_abcd00", { length: 200 })',
            [("default", quote("d" * 76))],
            4,
            ",",
        ),
        chain(
            "warehouseAllocationShipmentReconcilId: ",
            'uuid("warehouse_allocation_shipment_reconcil_id")',
            [("notNull", "")],
            4,
            ",",
        ),
    ]
    constraints = [
        layout(
            "",
            call("primaryKey", obj({"name": quote(f"{LONG}_pkey"), "columns": array(cols)})),
            4,
            ",",
        ),
        layout(
            f'index("idx_{LONG}_settings").',
            call("using", '"gin"', "table.settingsLedgerEntriesQuarterly"),
            4,
            ",",
        ),
        layout('index("idx_members_user_id").', call("using", '"btree"', "table.userId"), 4, ","),
    ]
    # At 100 columns, with its comma, an index stays on one line; at 101 it breaks.
    for name in ("i" * 57, "i" * 58):
        line = layout(f'index("{name}").', call("using", '"btree"', "table.userId"), 4, ",")
        assert ("\n" in line) == (len(name) == 58)
        constraints.append(line)
    ends = obj([("posts", call("many", "posts", obj({"relationName": '"posts_author_id"'})))], True)
    text = "\n".join(
        [
            import_from(
                ["bigint", "boolean", "integer", "pgEnum", "pgTable", "primaryKey", "text", "uuid"],
                "drizzle-orm/pg-core",
            ),
            layout(
                "export const statusEnum = ", call("pgEnum", '"status"', array(enum_values)), 0, ";"
            ),
            layout(
                f"export const {'x' * 40}Enum = ",
                call("pgEnum", quote(LONG), array(long_values)),
                0,
                ";",
            ),
            "export const t = pgTable(",
            '  "t",',
            "  {",
            *(f"    {c}" for c in columns),
            "  },",
            "  (table) => [",
            *(f"    {c}" for c in constraints),
            "  ],",
            ");",
            assign(f"export type New{'Z' * 40} =", "typeof t.$inferInsert", 0, ";"),
            layout(
                "export const tRelations = ",
                call("relations", "t", arrow("({ one, many })", ends)),
                0,
                ";",
            ),
            "type Status = {",
            "  " + union("status:", [quote(f"member_{i}_{'m' * 5}") for i in range(5)], 2, ";"),
            "  " + union("other:", [quote(f"member_{i}_{'m' * 20}") for i in range(5)], 2, ";"),
            "};",
            "",
        ]
    )
    path = tmp_path / "schema.ts"
    path.write_text(text)
    result = subprocess.run(
        [str(prettier), "--print-width", "100", "--check", str(path)],
        capture_output=True,
        text=True,
    )
    formatted = subprocess.run(
        [str(prettier), "--print-width", "100", str(path)], capture_output=True, text=True
    ).stdout
    assert result.returncode == 0, f"{text}\n---- prettier ----\n{formatted}"
