import { defineConfig } from "drizzle-kit";

// The database is built from supabase/migrations; drizzle-kit reads the same
// schema to generate or export SQL (`npx drizzle-kit export`).
export default defineConfig({
  dialect: "postgresql",
  schema: "./src/db/schema.ts",
  out: "./drizzle",
  dbCredentials: { url: process.env.DATABASE_URL ?? "" },
  schemaFilter: ["public"],
});
