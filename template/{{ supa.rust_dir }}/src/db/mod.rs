//! Models and queries, one module per table, and the helper that runs them as
//! a signed-in user.

pub mod as_user;
pub mod models;

pub use as_user::begin_as_user;
