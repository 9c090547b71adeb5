// Run inside the saas example's TypeScript workspace after `tsc` (outDir dist):
//   node ts_as_user.mjs <socket dir> <database>
// Drives withUser() (src/db/rls.ts) through drizzle-orm against a database built
// from supabase/migrations: two users, an organization each, categories in each.
// Prints one "ok ..." line per property; exits non-zero at the first failure.
import { drizzle } from "drizzle-orm/postgres-js";
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [socketDir, database] = process.argv.slice(2);
const load = (file) => import(pathToFileURL(path.resolve("dist/src/db", file)).href);
const schema = await load("schema.js");
const { withUser } = await load("rls.js");
// One connection: what a transaction sets must not outlive it on a pooled connection.
const client = postgres({ host: socketDir, database, user: "postgres", max: 1, onnotice: () => {} });
const db = drizzle(client, { schema });

function check(ok, what, detail) {
  if (!ok) {
    console.error(`FAILED ${what}: ${JSON.stringify(detail)}`);
    process.exit(1);
  }
  console.log(`ok ${what}`);
}

async function sqlState(work) {
  try {
    await work();
  } catch (err) {
    return err.cause?.code ?? err.code ?? String(err); // drizzle wraps the driver's error
  }
  return "no error";
}

const A = "00000000-0000-4000-8000-00000000000a";
const B = "00000000-0000-4000-8000-00000000000b";
await client`insert into auth.users (id, email) values (${A}, 'a@example.com'), (${B}, 'b@example.com')`;
const claims = (sub) => ({ sub, role: "authenticated", aud: "authenticated" });
const asA = (fn) => withUser(db, claims(A), fn);
const { categories, products, productsCategories } = schema;

const org = {};
for (const [user, name] of [[A, "A"], [B, "B"]]) {
  const rows = await withUser(db, claims(user), (tx) =>
    tx.execute(sql`select * from public.create_organization(${name})`),
  );
  org[name] = rows[0].id;
}
check(org.A && org.B && org.A !== org.B, "A and B each created an organization with create_organization()", org);

for (const [user, name, titles] of [[A, "A", ["a1", "a2"]], [B, "B", ["b1"]]]) {
  await withUser(db, claims(user), (tx) =>
    tx.insert(categories).values(titles.map((title) => ({ orgId: org[name], title }))),
  );
}

const seen = await asA((tx) => tx.select().from(categories));
check(
  seen.map((r) => r.title).sort().join() === "a1,a2" && seen.every((r) => r.orgId === org.A),
  "as A: only A's categories",
  seen,
);

const refused = await sqlState(() =>
  asA((tx) => tx.insert(categories).values({ orgId: org.B, title: "intruder" })),
);
check(refused === "42501", "as A: a category for B's organization is refused with 42501", refused);

const changed = await asA((tx) =>
  tx.update(categories).set({ title: "taken" }).where(eq(categories.orgId, org.B)).returning(),
);
check(changed.length === 0, "as A: B's categories cannot be updated", changed);

const [product] = await asA((tx) =>
  tx.insert(products).values({ orgId: org.A, name: "p", price: "1.00" }).returning(),
);
const [link] = await asA((tx) =>
  tx.insert(productsCategories).values({ productId: product.id, categoryId: seen[0].id }).returning(),
);
check(link.orgId === org.A, "as A: a link row takes its org_id from the database", link);

const [theirs] = await db.select().from(categories).where(eq(categories.orgId, org.B));
const crossed = await sqlState(() =>
  asA((tx) => tx.insert(productsCategories).values({ productId: product.id, categoryId: theirs.id })),
);
check(crossed === "42501", "as A: a link to B's category is refused with 42501", crossed);

const all = await db.select().from(categories);
check(
  new Set(all.map((r) => r.orgId)).size === 2 && all.length === 3 &&
    all.every((r) => r.title !== "intruder" && r.title !== "taken"),
  "plain db: both organizations' categories",
  all,
);

const [session] = await db.execute(sql`select current_user as role, auth.uid() as uid`);
check(session.role === "postgres" && session.uid === null,
  "plain db: the session is the DATABASE_URL role again", session);
await client.end();
