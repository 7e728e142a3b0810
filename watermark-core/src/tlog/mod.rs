//! Transparency-log primitives (placeholder until implemented).
