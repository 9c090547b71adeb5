// Run inside a generated TypeScript workspace after `tsc` (outDir dist):
//   node ts_roundtrip.mjs <socket dir> <database>
// Inserts a row of every table through drizzle-orm and reads it back,
// covering every column type; prints one line per table.
import { drizzle } from "drizzle-orm/postgres-js";
import { eq, getTableColumns, is, sql } from "drizzle-orm";
import { PgTable, getTableConfig } from "drizzle-orm/pg-core";
import postgres from "postgres";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [socketDir, database] = process.argv.slice(2);
const schema = await import(pathToFileURL(path.resolve("dist/src/db/schema.js")).href);
const client = postgres({ host: socketDir, database, user: "postgres", max: 1 });
const db = drizzle(client, { schema });
const USER = "00000000-0000-4000-8000-0000000000cc";
await client`insert into auth.users (id) values (${USER}) on conflict do nothing`;

const AWKWARD = `it's "quoted" \\ $$ :x 50% \${x} \`tick\``;

function sample(column, inserted, table) {
  const t = column.columnType;
  if (t === "PgArray") {
    const inner = sample(column.baseColumn, inserted, table);
    return inner === undefined ? undefined : [inner];
  }
  if (t === "PgEnumColumn") return column.enumValues[column.enumValues.length - 1];
  if (t === "PgUUID") return "11111111-2222-4333-8444-555555555555";
  if (t === "PgText") return AWKWARD;
  if (t === "PgVarchar") return AWKWARD.slice(0, column.length ?? 10);
  if (t === "PgSmallInt") return 7;
  if (t === "PgInteger") return 42;
  if (t === "PgBigInt53") return 2 ** 40;
  if (t === "PgNumeric") return column.scale ? (12.5).toFixed(column.scale) : "12";
  if (t === "PgReal") return 1.5;
  if (t === "PgDoublePrecision") return 2.25;
  if (t === "PgBoolean") return true;
  if (t === "PgTimestamp") return new Date("2024-02-29T12:30:15.123Z");
  if (t === "PgDateString") return "2024-02-29";
  if (t === "PgTime") return "23:59:58";
  if (t === "PgJsonb") return { k: [1, "two", null], quote: AWKWARD };
  if (t === "PgVector") return Array.from({ length: column.dimensions }, () => 0.5);
  if (t === "PgCustomColumn") return Buffer.from([0, 1, 255]);
  throw new Error(`no sample for ${table}.${column.name}: ${t}`);
}

function same(a, b) {
  const norm = (v) => (v instanceof Date ? v.toISOString() : Buffer.isBuffer(v) ? [...v] : v);
  return JSON.stringify(norm(a)) === JSON.stringify(norm(b));
}

const inserted = {};
// Namespace exports come in alphabetical order: insert parents before children.
const pending = Object.values(schema).filter((v) => is(v, PgTable) && getTableConfig(v).schema !== "auth");
// A key between tenant tables is (org_id, column) -> (org_id, id): its last column
// holds the reference (org_id comes from the row's own key to organizations).
const refColumn = (ref) => ref.columns[ref.columns.length - 1];
const ready = (table) => getTableConfig(table).foreignKeys.every((fk) => {
  const ref = fk.reference();
  const target = getTableConfig(ref.foreignTable);
  return target.schema === "auth" || target.name === getTableConfig(table).name
    || !refColumn(ref).notNull || inserted[target.name] !== undefined;
});
const order = [];
while (pending.length) {
  const i = pending.findIndex(ready);
  if (i < 0) throw new Error("foreign keys form a cycle of required columns");
  const [table] = pending.splice(i, 1);
  order.push(table);
  inserted[getTableConfig(table).name] = inserted[getTableConfig(table).name] ?? null;
}
for (const key of Object.keys(inserted)) delete inserted[key];
for (const table of order) {
  const config = getTableConfig(table);
  const fks = Object.fromEntries(config.foreignKeys.map((fk) => {
    const ref = fk.reference();
    return [refColumn(ref).name, getTableConfig(ref.foreignTable)];
  }));
  const values = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const target = fks[column.name];
    if (target) {
      const value = target.schema === "auth" ? USER : inserted[target.name];
      if (value === undefined && column.notNull) throw new Error(`${config.name}.${column.name}: parent missing`);
      if (value !== undefined) values[key] = value;
      continue;
    }
    // The database fills it in (a default, or a link table's org_id from its trigger).
    if (column.hasDefault && column.notNull) continue;
    values[key] = sample(column, inserted, config.name);
  }
  const [row] = await db.insert(table).values(values).returning();
  for (const [key, value] of Object.entries(values)) {
    if (!same(row[key], value)) throw new Error(`${config.name}.${key}: wrote ${JSON.stringify(value)}, read ${JSON.stringify(row[key])}`);
  }
  const columns = getTableColumns(table);
  // A single-column primary key is declared on its column, a composite one on the table.
  const pkName = config.primaryKeys[0]?.columns[0].name
    ?? Object.values(columns).find((c) => c.primary).name;
  const key = Object.keys(columns).find((k) => columns[k].name === pkName);
  const [again] = await db.select().from(table).where(eq(columns[key], row[key]));
  for (const [k, value] of Object.entries(values)) {
    if (!same(again[k], value)) throw new Error(`${config.name}.${k}: select read ${JSON.stringify(again[k])}`);
  }
  if (row.id !== undefined) inserted[config.name] = row.id;
  console.log(`roundtrip ${config.name}: ${Object.keys(values).length} values written and read back`);
}
await client.end();
