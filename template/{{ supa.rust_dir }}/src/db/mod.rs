//! Models and queries, one module per table.

pub mod models;
