import { defineConfig } from "drizzle-kit";

// The database is built from supabase/migrations; drizzle-kit reads the same
// schema to generate or export SQL (`npx drizzle-kit export`), and `drizzle-kit
// push` finds nothing to change in a database those migrations built.
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  // drizzle-kit's own migrations (`npm run db:generate -- --name add_barcode`
  // writes drizzle/kit/0001_add_barcode.sql) are a scratch: `supa-schema sync`
  // copies them into supabase/migrations. drizzle/ itself holds the migrations
  // the answers file renders.
  out: "./drizzle/kit",
  migrations: { prefix: "index" },
  dbCredentials: { url: process.env.DATABASE_URL ?? "" },
  schemaFilter: ["public"],
  // Policies name Supabase's roles (anon, authenticated, ...): they exist, so
  // drizzle-kit must neither create nor drop them.
  entities: { roles: { provider: "supabase" } },
});
