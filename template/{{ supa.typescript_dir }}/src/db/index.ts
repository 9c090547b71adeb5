import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import * as schema from "./schema.js";

/** A Drizzle client with relational queries over every table. */
export function createDb(url: string = process.env.DATABASE_URL ?? "") {
  const client = postgres(url);
  return { db: drizzle(client, { schema }), client };
}

export { schema };
