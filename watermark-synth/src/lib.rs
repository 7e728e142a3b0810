//! Synthetic registry extracts (placeholder until the generator lands).
