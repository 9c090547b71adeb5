"""The Rust layout helpers: where a construct breaks, as rustfmt (default widths)
breaks it. The last test hands a file built from them to rustfmt --check."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from supa_schema.rslayout import assign, assign_call, call, struct_literal, use_list

LONG = "a_rather_long_table_name_with_many_words"


def test_a_struct_literal_whose_fields_fit_in_18_columns_stays_on_one_line():
    assert struct_literal("Self", ["id: r.id", "ab: r.ab"], 8) == "Self { id: r.id, ab: r.ab }"
    assert struct_literal("CreateTag", [], 4) == "CreateTag {}"


def test_a_wider_struct_literal_puts_each_field_on_a_line():
    fields = ["id: r.id", "title: r.title"]
    assert struct_literal("Self", fields, 8) == (
        "Self {\n            id: r.id,\n            title: r.title,\n        }"
    )


def test_a_call_whose_arguments_fit_in_60_columns_stays_on_one_line():
    assert call("assert_eq!", ["row.id", "new.id", '"posts.id"'], 4) == (
        'assert_eq!(row.id, new.id, "posts.id")'
    )


def test_assert_eq_breaks_after_its_two_compared_values():
    args = [f"row.{LONG}", f"new.{LONG}", f'"{LONG}.{LONG}"']
    assert call("assert_eq!", args, 4) == (
        f'assert_eq!(\n        row.{LONG}, new.{LONG},\n        "{LONG}.{LONG}"\n    )'
    )


def test_a_plain_call_breaks_one_argument_a_line_with_a_trailing_comma():
    assert call("insert", [f"first_{LONG}", f"second_{LONG}"], 0) == (
        f"insert(\n    first_{LONG},\n    second_{LONG},\n)"
    )


def test_a_use_list_that_fits_in_100_columns_stays_on_one_line():
    assert use_list("posts", ["CreatePost", "Post"]) == "pub use posts::{CreatePost, Post};"
    assert use_list("posts", ["Post"]) == "pub use posts::Post;"


def test_a_long_use_list_moves_its_names_to_the_next_line_then_one_a_line():
    model = "ARatherLongTableNameWithManyWords"
    assert use_list(LONG, [model, f"Create{model}"]) == (
        f"pub use {LONG}::{{\n    {model}, Create{model},\n}};"
    )
    model = model * 2
    assert use_list(LONG, [model, f"Create{model}"]) == (
        f"pub use {LONG}::{{\n    {model},\n    Create{model},\n}};"
    )


def test_a_long_use_list_puts_as_many_names_a_line_as_fit():
    model = "WarehouseInventoryAdjustmentRecord"
    names = [f"Create{model}", f"Update{model}", model]
    assert use_list(LONG, names) == (
        f"pub use {LONG}::{{\n    Create{model}, Update{model},\n    {model},\n}};"
    )


def test_an_assignment_moves_its_right_side_down_only_when_it_then_fits():
    assert assign("const DELETE: &str =", '"delete from x"') == (
        'const DELETE: &str = "delete from x";'
    )
    literal = f'"select count(*) from public.{LONG} where id = $1"'
    assert assign("const COUNT_DELETED: &str =", literal) == (
        f"const COUNT_DELETED: &str =\n    {literal};"
    )
    huge = '"' + "x" * 100 + '"'
    assert assign("const HUGE: &str =", huge) == f"const HUGE: &str = {huge};"


@pytest.mark.skipif(shutil.which("rustfmt") is None, reason="rustfmt not installed")
def test_an_assigned_call_moves_down_then_breaks_its_arguments():
    assert assign_call("let by =", "T::f", ["&mut *tx", "v"], 4) == "let by = T::f(&mut *tx, v);"
    func = f"Model::list_by_{LONG}"
    args = ["&mut *tx", "row.org_id", "i64::MAX"]
    assert (
        assign_call("let by =", func, args, 4)
        == f"let by =\n        {func}(&mut *tx, row.org_id, i64::MAX);"
    )
    args = ["&mut *tx", f"row.{LONG}", "i64::MAX"]
    assert assign_call("let by =", func, args, 4) == (
        f"let by = {func}(\n        &mut *tx,\n        row.{LONG},\n        i64::MAX,\n    );"
    )


def test_rustfmt_leaves_these_layouts_unchanged(tmp_path):
    """Every shape above, both ways, in one Rust file: rustfmt finds nothing to change."""
    model = "ARatherLongTableNameWithManyWords"
    longer = model * 2
    fields_short = ["id: r.id", "ab: r.ab"]
    fields_long = ["id: r.id", "title: r.title", "body: r.body"]
    short_eq = call("assert_eq!", ["a.id", "b.id", '"ids"'], 4)
    long_eq = call("assert_eq!", [f"a.{LONG}", f"b.{LONG}", f'"{LONG}.{LONG}"'], 4)
    text = "\n".join(
        [
            use_list(LONG, [model, f"Create{model}"]),
            use_list(LONG + "_more", [longer, f"Create{longer}"]),
            use_list(LONG + "_three", [longer, f"Create{longer[:34]}", f"Update{longer[:34]}"]),
            use_list("short", ["CreatePost", "Post"]),
            use_list("single", ["Post"]),
            "",
            assign("const DELETE: &str =", '"delete from x"'),
            assign(
                "const COUNT_DELETED: &str =",
                f'"select count(*) from public.{LONG} where id = $1"',
            ),
            assign("const HUGE: &str =", '"' + "x" * 100 + '"'),
            "",
            "fn build(r: R) -> S {",
            f"    let a = {struct_literal('S', fields_short, 4)};",
            f"    let b = {struct_literal('S', fields_long, 4)};",
            f"    let c = {struct_literal('Empty', [], 4)};",
            f"    {short_eq};",
            f"    {long_eq};",
            f"    {call('insert', [f'first_{LONG}', f'second_{LONG}'], 4)};",
            f"    {call('insert', ['a', 'b'], 4)};",
            f"    {assign_call('let by =', 'T::f', ['&mut *tx', 'v'], 4)}",
            f"    {assign_call('let by =', f'M::by_{LONG}', ['&mut *tx', 'r.org_id', 'i64::MAX'], 4)}",
            f"    {assign_call('let by =', f'M::by_{LONG}', ['&mut *tx', f'r.{LONG}', 'i64::MAX'], 4)}",
            f"    Ok({struct_literal('Self', fields_long, 4)})",
            "}",
            "",
        ]
    )
    path = tmp_path / "layout.rs"
    path.write_text(text)
    result = subprocess.run(
        ["rustfmt", "--edition", "2021", "--check", str(path)], capture_output=True, text=True
    )
    assert result.returncode == 0, f"{text}\n---- rustfmt ----\n{result.stdout}{result.stderr}"
