//! Run queries as a signed-in user, so row level security applies.
//!
//! A service connects with a role that bypasses RLS (`postgres`, or the service
//! role): what it runs on the pool is a trusted job that sees every row. Work done
//! on behalf of a request's user goes through [`begin_as_user`] instead, and the
//! generated functions (which take any executor) run on its transaction:
//!
//! ```ignore
//! let claims = serde_json::json!({ "sub": user_id, "role": "authenticated" });
//! let mut tx = begin_as_user(&pool, &claims).await?;
//! let rows = Product::list(&mut *tx, 100).await?; // only rows the user may see
//! tx.commit().await?;
//! ```

/// Begins a transaction that runs as the user whose JWT claims are `claims`
/// (the verified token's payload; `sub` is the user's id): `auth.uid()` and
/// `auth.jwt()` read them, and `set local role authenticated` puts the
/// policies in force. Both last until the transaction commits or rolls back
/// (dropping it rolls back), so the pooled connection is returned clean.
pub async fn begin_as_user(
    pool: &sqlx::PgPool,
    claims: &serde_json::Value,
) -> sqlx::Result<sqlx::PgTransaction<'static>> {
    let mut tx = pool.begin().await?;
    sqlx::query("select set_config('request.jwt.claims', $1, true)")
        .bind(claims.to_string())
        .execute(&mut *tx)
        .await?;
    sqlx::query("set local role authenticated")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}
