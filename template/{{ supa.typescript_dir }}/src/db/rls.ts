import { sql, type TablesRelationalConfig } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from "drizzle-orm/pg-core";

/** The verified JWT claims of the signed-in user a request acts for (`sub` is the user id). */
export type JwtClaims = { sub: string; [claim: string]: unknown };

/**
 * Runs `fn` as the signed-in user, the way the Supabase Data API runs a request:
 * in one transaction whose role is `authenticated`, with the request's JWT claims,
 * so every row level security policy applies (`auth.uid()` is `claims.sub`).
 * Both settings are transaction-local: they end with the transaction.
 *
 * `db` itself connects as the DATABASE_URL role, which bypasses row level
 * security: keep it for trusted jobs (migrations, admin tasks, webhooks).
 *
 * @example
 *   const mine = await withUser(db, claims, (tx) => tx.select().from(schema.products));
 */
export async function withUser<
  TQueryResult extends PgQueryResultHKT,
  TFullSchema extends Record<string, unknown>,
  TSchema extends TablesRelationalConfig,
  T,
>(
  db: PgDatabase<TQueryResult, TFullSchema, TSchema>,
  claims: JwtClaims,
  fn: (tx: PgTransaction<TQueryResult, TFullSchema, TSchema>) => Promise<T>,
): Promise<T> {
  if (typeof claims.sub !== "string" || claims.sub === "") {
    throw new Error("withUser: the JWT claims have no `sub` (the user id)");
  }
  const json = JSON.stringify({ ...claims, role: "authenticated" });
  return db.transaction(async (tx) => {
    await tx.execute(
      sql`select set_config('request.jwt.claims', ${json}, true), set_config('request.jwt.claim.sub', ${claims.sub}, true), set_config('role', 'authenticated', true)`,
    );
    return fn(tx);
  });
}
