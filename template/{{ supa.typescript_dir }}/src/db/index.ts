import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import * as schema from "./schema.js";

/**
 * A Drizzle client with relational queries over every table. It connects as the
 * DATABASE_URL role, which bypasses row level security: run a user's work through
 * `withUser(db, claims, (tx) => ...)` so their policies apply.
 */
export function createDb(url: string = process.env.DATABASE_URL ?? "") {
  const client = postgres(url);
  return { db: drizzle(client, { schema }), client };
}

export { withUser, type JwtClaims } from "./rls.js";
export { schema };
