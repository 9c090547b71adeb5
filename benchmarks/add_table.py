"""Benchmark: add one table to a 500-table project, and scaffold 10/100/500 tables.

    python benchmarks/add_table.py [--runs 3] [--tables 500] [--scaling 100,500,2000]
                                   [--skip-peers] [--skip-copier]

Times, as medians of ``--runs`` wall-clock runs (each a fresh process, as a
user would run it), on a 500-table project in 60 changelog entries spread over
the three workspaces:

- ``supa-schema update --data-file`` with warm caches: each run appends one
  table to the same data file and updates the repo the run before updated
  (a first, untimed update warms the caches), as a user evolving a schema does;
- ``supa-schema update --data-file`` with no cache: a fresh copy of the
  project, an empty cache directory and no fragment store;
- plain ``copier update --data-file`` (Copier renders both versions in full);
- the peers on the same 500 tables: drizzle-kit's incremental ``generate``
  (diffing its last snapshot against schema.ts) and alembic's
  ``revision --autogenerate`` (against a database with the 500 tables);
- ``copier copy`` of 10, 100 and 500 tables;
- plain ``copier update`` and drizzle-kit's incremental ``generate`` at 100
  tables too (the plain update's second target is set there);
- Copier's own costs, which no template can remove: ``copier copy`` and
  ``copier update`` of a trivial template that writes as many one-line files
  as the 100- and 500-table projects have, with the same changelog in the
  data file and answers file, and this template's extension loaded (its
  compile-once and no-sandbox settings) but no schema rendered;
- the CLI's two update rows again at each ``--scaling`` size (100, 500 and
  2000 tables), to show how they grow with the project.

Needs what the tests need (Python packages of ``.[test]``, npm, git).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "src"))
# The CLI and its engine from this checkout, also in the processes it starts.
PYTHONPATH = [str(ROOT / "src"), str(ROOT / "extensions"), os.environ.get("PYTHONPATH", "")]

import project  # noqa: E402

from supa_schema_cli import database  # noqa: E402

NODE_CACHE = (
    Path(os.environ.get("SUPA_SCHEMA_CACHE") or Path.home() / ".cache" / "supa-schema") / "node"
)


def run(cmd: list[str], cwd: Path | None = None, env: dict | None = None) -> float:
    """Wall-clock seconds of one command; fails loudly."""
    start = time.perf_counter()
    result = subprocess.run(
        cmd, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(
            f"{' '.join(cmd)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return elapsed


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def template_copy(work: Path) -> Path:
    """This checkout's files committed into a scratch repo (Copier records its commit)."""
    dst = work / "template"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    for rel in filter(None, listed):
        if (ROOT / rel).is_file():
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, dst / rel)
    git(dst, "init", "-q")
    git(dst, "add", "-A")
    git(dst, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "b")
    return dst


def copier(command: str, *args: str, cwd: Path | None = None) -> float:
    """One plain ``copier <command>`` of this checkout's HEAD, as the tests run it."""
    cmd = [sys.executable, "-m", "copier", command, "--trust", "--defaults", "--quiet"]
    return run([*cmd, "--vcs-ref", "HEAD", *args], cwd=cwd)


def copier_copy(template: Path, answers: Path, dst: Path) -> float:
    return copier("copy", "--data-file", str(answers), str(template), str(dst))


def write(path: Path, answers: dict) -> Path:
    path.write_text(yaml.safe_dump(answers, sort_keys=False))
    return path


def node_modules(ws: Path) -> Path:
    package = (ws / "package.json").read_bytes()
    home = NODE_CACHE / hashlib.sha256(package).hexdigest()[:16]
    if not (home / "node_modules" / ".bin" / "drizzle-kit").exists():
        home.mkdir(parents=True, exist_ok=True)
        (home / "package.json").write_bytes(package)
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=home,
            check=True,
            capture_output=True,
        )
    return home / "node_modules"


def drizzle_incremental(base: Path, updated: Path, work: Path, runs: int) -> list[float]:
    """drizzle-kit generate after one table is added (its snapshot holds the 500 tables)."""
    ws = work / "drizzle-ws"
    shutil.copytree(base / "apps" / "typescript", ws, symlinks=True)
    (ws / "node_modules").symlink_to(node_modules(ws), target_is_directory=True)
    config = ws / "bench.config.ts"
    config.write_text(
        'import { defineConfig } from "drizzle-kit";\n'
        'export default defineConfig({ dialect: "postgresql", '
        'schema: "./src/db/schema.ts", out: "./bench-out" });\n'
    )
    kit = [str(ws / "node_modules" / ".bin" / "drizzle-kit"), "generate", "--config", str(config)]
    run([*kit, "--name", "baseline"], cwd=ws)  # the snapshot of the 500 tables
    shutil.copytree(ws / "bench-out", work / "drizzle-baseline")
    shutil.copy(updated / "apps/typescript/src/db/schema.ts", ws / "src/db/schema.ts")
    samples = []
    for _ in range(runs):
        shutil.rmtree(ws / "bench-out")
        shutil.copytree(work / "drizzle-baseline", ws / "bench-out")
        samples.append(run([*kit, "--name", "add_extra_table"], cwd=ws))
    new = [p.name for p in (ws / "bench-out").glob("*.sql") if "add_extra_table" in p.name]
    sql = (ws / "bench-out" / new[0]).read_text()
    assert "extra_items" in sql and "t000_items" not in sql, "not an incremental migration"
    return samples


def alembic_autogenerate(base: Path, updated: Path, work: Path, runs: int) -> list[float]:
    """alembic revision --autogenerate with one new model, against the 500-table database."""
    server = database.start(work / "pg")
    uri = server.create_database("bench")
    database.apply_migrations(uri, base)
    ws = work / "alembic-ws"
    shutil.copytree(updated / "apps" / "python", ws)
    env = {"DATABASE_URL": uri, "PYTHONPATH": str(ws / "src")}
    run([sys.executable, "-m", "alembic", "stamp", "head"], cwd=ws, env=env)
    versions = ws / "alembic" / "versions"
    before = set(versions.iterdir())
    samples = []
    try:
        for _ in range(runs):
            samples.append(
                run(
                    [
                        sys.executable,
                        "-m",
                        "alembic",
                        "revision",
                        "--autogenerate",
                        "-m",
                        "add_extra_table",
                    ],
                    cwd=ws,
                    env=env,
                )
            )
            created = [p for p in versions.iterdir() if p not in before and p.suffix == ".py"]
            text = created[0].read_text()
            assert "extra_items" in text and "t000_items" not in text
            for path in created:
                path.unlink()
    finally:
        server.handle.cleanup()
    return samples


def copier_update(repo: Path, data: Path) -> float:
    """One plain ``copier update --data-file`` in ``repo``."""
    return copier("update", "--data-file", str(data), cwd=repo)


def copier_update_rows(base: Path, work: Path, runs: int) -> tuple[float, Path]:
    """Median of plain ``copier update`` adding one table to copies of ``base``, and the
    repo of the first run."""
    b = write(work / f"{base.name}-copier-b.yml", project.one_more_table(project_answers(base)))
    samples = []
    for i in range(runs):
        repo = work / f"{base.name}-copier-update-{i}"
        shutil.copytree(base, repo, symlinks=True)
        samples.append(copier_update(repo, b))
    return median(samples), work / f"{base.name}-copier-update-0"


def trivial_template(work: Path) -> Path:
    """A template of one-line files, as many as its ``files`` answer asks (Copier's own costs).

    It loads this template's extension module (engine included) for the
    compile-once and no-sandbox settings, so that what it measures is what
    remains for Copier: its start, reading the data file and writing the
    answers file (the same changelog), and per file the path rendering, the
    context, the write and the git call.
    """
    dst = work / "trivial"
    (dst / "template").mkdir(parents=True)
    shutil.copytree(ROOT / "extensions", dst / "extensions")
    (dst / "copier.yml").write_text(
        "_subdirectory: template\n"
        "_answers_file: .copier-answers.yml\n"
        "_jinja_extensions:\n"
        "  - copier_template_extensions.TemplateExtensionLoader\n"
        "  - extensions/supa_schema_jinja.py:SupaSchemaFilters\n"
        "_envops:\n  keep_trailing_newline: true\n"
        "files:\n  type: int\n  default: 1\n"
        "migrations:\n  type: yaml\n  default: []\n"
    )
    (dst / "template" / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml -}}"
    )
    name = "{% yield n from range(files) %}f{{ n }}.txt{% endyield %}.jinja"
    (dst / "template" / name).write_text("{{ n }}\n")
    git(dst, "init", "-q")
    commit(dst)
    return dst


def floor_rows(trivial: Path, base: Path, work: Path, runs: int) -> tuple[int, float, float]:
    """Files of ``base``, and medians of ``copier copy`` and ``copier update`` of the
    trivial template with that many files and ``base``'s changelog."""
    files = sum(1 for p in base.rglob("*") if p.is_file() and ".git" not in p.parts)
    answers = project_answers(base)
    a = write(work / f"{base.name}-trivial-a.yml", {"files": files, **answers})
    b = write(
        work / f"{base.name}-trivial-b.yml", {"files": files, **project.one_more_table(answers)}
    )
    copies, updates = [], []
    for i in range(runs):
        dst = work / f"{base.name}-trivial-{i}"
        copies.append(copier_copy(trivial, a, dst))
        git(dst, "init", "-q")
        commit(dst)
        updates.append(copier_update(dst, b))
        shutil.rmtree(dst)
    return files, median(copies), median(updates)


def cli_update(repo: Path, data: Path, cache: Path, fragments: bool = True) -> float:
    """One ``supa-schema update --data-file`` in ``repo`` with the cache directory ``cache``."""
    env = {"SUPA_SCHEMA_CACHE": str(cache), "PYTHONPATH": os.pathsep.join(PYTHONPATH)}
    if not fragments:
        env["SUPA_SCHEMA_FRAGMENT_CACHE"] = "0"
    return run(
        [sys.executable, "-m", "supa_schema_cli", "update", "--data-file", str(data)],
        cwd=repo,
        env=env,
    )


def commit(repo: Path) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=b", "-c", "user.email=b@example.com", "commit", "-qm", "u")


def cli_rows(base: Path, answers: dict, work: Path, runs: int) -> tuple[float, float, Path]:
    """Medians of the CLI's update with warm caches and with none, and the repo of the
    first no-cache run (the one table of ``project.one_more_table`` added)."""
    tag = base.name
    # Warm: successive updates of one repo, each appending a table to one data
    # file; an untimed first update warms the caches as the previous one would.
    repo = work / f"{tag}-warm"
    shutil.copytree(base, repo, symlinks=True)
    cache, data = work / f"{tag}-cache", work / f"{tag}-data.yml"
    warm = []
    for i in range(runs + 1):
        answers = project.one_more_table(answers, "python", f"_{i}")
        write(data, answers)
        elapsed = cli_update(repo, data, cache)
        commit(repo)
        if i:
            warm.append(elapsed)
    cold = []
    b = write(work / f"{tag}-b.yml", project.one_more_table(project_answers(base)))
    for i in range(runs):
        repo = work / f"{tag}-cold-{i}"
        shutil.copytree(base, repo, symlinks=True)
        cold.append(cli_update(repo, b, work / f"{tag}-cold-cache-{i}", fragments=False))
    return median(warm), median(cold), work / f"{tag}-cold-0"


def project_answers(base: Path) -> dict:
    """The answers ``base`` was scaffolded from (kept beside it)."""
    answers: dict = yaml.safe_load((base.parent / f"{base.name}.answers.yml").read_text())
    return answers


def scaffold(template: Path, work: Path, tables: int) -> Path:
    """A committed ``tables``-table project (its answers beside it)."""
    answers = write(work / f"base{tables}.answers.yml", project.answers(tables, min(60, tables)))
    base = work / f"base{tables}"
    copier_copy(template, answers, base)
    git(base, "init", "-q")
    commit(base)
    return base


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tables", type=int, default=500)
    parser.add_argument("--scaling", default="100,500,2000", help="sizes for the CLI rows")
    parser.add_argument("--skip-peers", action="store_true")
    parser.add_argument(
        "--skip-copier", action="store_true", help="no copier copy / copier update rows (quicker)"
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="supa-bench-"))
    figures: dict[str, float] = {}
    scaling: dict[int, tuple[float, float]] = {}
    try:
        template = template_copy(work)
        for size in () if args.skip_copier else (10, 100, args.tables):
            answers = write(work / f"s{size}.yml", project.answers(size, min(60, size)))
            samples = []
            for i in range(args.runs):
                samples.append(copier_copy(template, answers, work / f"copy{size}-{i}"))
                shutil.rmtree(work / f"copy{size}-{i}")
            figures[f"copier copy, {size} tables"] = median(samples)
        base = scaffold(template, work, args.tables)
        warm, cold, fast = cli_rows(base, project_answers(base), work, args.runs)
        scaling[args.tables] = (warm, cold)
        figures["supa-schema update --data-file (warm caches)"] = warm
        figures["supa-schema update --data-file (no cache)"] = cold

        small = scaffold(template, work, 100) if args.tables != 100 else base
        if not args.skip_copier:
            figures["copier update --data-file"], plain = copier_update_rows(base, work, args.runs)
            figures["copier update --data-file, 100 tables"], _ = copier_update_rows(
                small, work, args.runs
            )
            trivial = trivial_template(work)
            for tables, sized in sorted({100: small, args.tables: base}.items()):
                files, copy, update = floor_rows(trivial, sized, work, args.runs)
                figures[f"Copier alone: copy, {files} files ({tables} tables)"] = copy
                figures[f"Copier alone: update, {files} files ({tables} tables)"] = update
            same = subprocess.run(
                ["diff", "-r", "-q", "-x", ".git", str(fast), str(plain)],
                capture_output=True,
                text=True,
            )
            if same.returncode != 0:
                raise SystemExit(f"the two updates differ:\n{same.stdout}")
        if not args.skip_peers:
            figures["drizzle-kit generate (incremental)"] = median(
                drizzle_incremental(base, fast, work, args.runs)
            )
            small_fast = work / "small-fast"
            shutil.copytree(small, small_fast, symlinks=True)
            b100 = write(work / "small-b.yml", project.one_more_table(project_answers(small)))
            cli_update(small_fast, b100, work / "small-cache", fragments=False)
            figures["drizzle-kit generate (incremental), 100 tables"] = median(
                drizzle_incremental(small, small_fast, work / "small", args.runs)
            )
            figures["alembic revision --autogenerate"] = median(
                alembic_autogenerate(base, fast, work, args.runs)
            )
        for size in sorted({int(n) for n in args.scaling.split(",") if n} - {args.tables}):
            sized = small if size == 100 else scaffold(template, work, size)
            warm, cold, _ = cli_rows(sized, project_answers(sized), work, args.runs)
            scaling[size] = (warm, cold)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    cpu = os.cpu_count()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    print(
        f"machine: {platform.machine()}, {cpu} cores, {mem:.0f} GiB, Python "
        f"{platform.python_version()}; load average {load:.1f} at the end; "
        f"medians of {args.runs} runs; {args.tables} tables in {min(60, args.tables)} entries"
    )
    width = max(map(len, figures))
    for label, seconds in figures.items():
        print(f"  {label:<{width}}  {seconds:7.2f} s")
    for label, peer_label, target in (
        ("supa-schema update --data-file (warm caches)", "", 0.5),
        ("supa-schema update --data-file (no cache)", "", 1.0),
        ("copier update --data-file", "", 10.0),
        ("copier update --data-file, 100 tables", ", 100 tables", 3.0),
    ):
        peer = figures.get(f"drizzle-kit generate (incremental){peer_label}")
        if peer and label in figures:
            print(
                f"  ratio {label} / drizzle-kit{peer_label}: {figures[label] / peer:.2f}"
                f" (target <= {target:g})"
            )
    copy = figures.get(f"copier copy, {args.tables} tables")
    if copy is not None:
        print(f"  copier copy, {args.tables} tables: {copy:.2f} s (target <= 5 s)")
    print("  supa-schema update --data-file by project size (warm caches / no cache):")
    for size, (warm, cold) in sorted(scaling.items()):
        print(f"    {size:5d} tables  {warm:7.2f} s  {cold:7.2f} s")
    print(json.dumps({**figures, "scaling": scaling}))


if __name__ == "__main__":
    main()
