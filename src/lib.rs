//! Attack library (placeholder).
