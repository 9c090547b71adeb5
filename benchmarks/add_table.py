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


def copier_copy(template: Path, answers: Path, dst: Path) -> float:
    return run(
        [
            sys.executable,
            "-m",
            "copier",
            "copy",
            "--trust",
            "--defaults",
            "--quiet",
            "--vcs-ref",
            "HEAD",
            "--data-file",
            str(answers),
            str(template),
            str(dst),
        ]
    )


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
        b = write(work / "b.yml", project.one_more_table(project_answers(base)))

        warm, cold, fast = cli_rows(base, project_answers(base), work, args.runs)
        scaling[args.tables] = (warm, cold)
        figures["supa-schema update --data-file (warm caches)"] = warm
        figures["supa-schema update --data-file (no cache)"] = cold

        samples = []
        for i in range(0 if args.skip_copier else args.runs):
            repo = work / f"copier-update-{i}"
            shutil.copytree(base, repo, symlinks=True)
            samples.append(
                run(
                    [
                        sys.executable,
                        "-m",
                        "copier",
                        "update",
                        "--trust",
                        "--defaults",
                        "--quiet",
                        "--vcs-ref",
                        "HEAD",
                        "--data-file",
                        str(b),
                    ],
                    cwd=repo,
                )
            )
        if samples:
            figures["copier update --data-file"] = median(samples)
            plain = work / "copier-update-0"
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
            figures["alembic revision --autogenerate"] = median(
                alembic_autogenerate(base, fast, work, args.runs)
            )
        for size in sorted({int(n) for n in args.scaling.split(",") if n} - {args.tables}):
            sized = scaffold(template, work, size)
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
    peer = figures.get("drizzle-kit generate (incremental)")
    if peer:
        for label, target in (
            ("supa-schema update --data-file (warm caches)", 0.5),
            ("supa-schema update --data-file (no cache)", 1.0),
            ("copier update --data-file", 3.0),
        ):
            if label not in figures:
                continue
            print(
                f"  ratio {label} / drizzle-kit: {figures[label] / peer:.2f} (target <= {target})"
            )
    print("  supa-schema update --data-file by project size (warm caches / no cache):")
    for size, (warm, cold) in sorted(scaling.items()):
        print(f"    {size:5d} tables  {warm:7.2f} s  {cold:7.2f} s")
    print(json.dumps({**figures, "scaling": scaling}))


if __name__ == "__main__":
    main()
