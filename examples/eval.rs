//! The robustness evaluation at full size: every attack, many trials, many
//! leak sizes; prints a table and writes `docs/robustness.md`.
//!
//! ```text
//! cargo run --release --example eval                # full size, writes docs/robustness.md
//! cargo run --release --example eval -- --quick     # the reduced size CI runs
//! cargo run --release --example eval -- --out FILE  # write elsewhere
//! ```

use watermark_suite::eval::{self, Config};

#[allow(clippy::print_stdout, clippy::print_stderr)]
fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| {
            if quick {
                String::new()
            } else {
                "docs/robustness.md".into()
            }
        });
    let cfg = if quick {
        Config::quick()
    } else {
        Config::full()
    };
    eprintln!(
        "evaluating: {} rows, {} recipients, {} trials per cell",
        cfg.rows, cfg.recipients, cfg.trials
    );
    let report = eval::run(&cfg, &mut |done| eprintln!("  done: {done}"));
    print!("{}", report.to_text());
    if !out.is_empty() {
        std::fs::write(&out, report.to_markdown())?;
        eprintln!("wrote {out}");
    }
    Ok(())
}
