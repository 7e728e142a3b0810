//! Mexican identifier rules (placeholder until implemented).
