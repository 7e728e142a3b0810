//! Issue fingerprinted copies of an extract and attribute a leak, with the
//! library alone (no files, no command line).
//!
//! ```text
//! cargo run --release --example issue_and_verify
//! ```

use rand::SeedableRng;
use watermark_core::{Detector, Embedder, MasterKey, Recipient};
use watermark_formats::{issue_csv, suggest_from_csv, verify_csv};
use watermark_suite::{attack, Table};
use watermark_synth::Kind;

#[allow(clippy::print_stdout)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A synthetic electoral roll of 20,000 rows.
    let mut roll = Vec::new();
    watermark_synth::write_csv(Kind::ElectoralRoll, 42, 20_000, &mut roll)?;

    // The policy `watermark policy suggest` would print: CURP is the identity,
    // the address columns carry marks.
    let policy = suggest_from_csv(&roll[..], 10_000, None, None)?.policy;

    // A real deployment keeps the key in a 0600 file (`MasterKey::generate`,
    // `write_new`, `load`); a fixed key keeps this example reproducible.
    let key = MasterKey::from_bytes([42; 32]);
    let parties: Vec<Recipient> = ["PAN", "PRI", "PRD", "PT", "PVEM"]
        .iter()
        .enumerate()
        .map(|(slot, id)| Recipient::new(*id, slot as u32))
        .collect::<Result<_, _>>()?;

    // One pass over the roll writes all five copies.
    let embedder = Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipients(parties.clone())
        .build()?;
    let outputs = vec![Vec::new(); parties.len()];
    let issued = issue_csv(&embedder, &roll[..], outputs, &mut |_| {})?;
    println!(
        "issued {} copies of {} rows, {} marked slots each",
        issued.outputs.len(),
        issued.rows,
        issued.slots_marked
    );

    // PT's copy leaks: 40 random rows, re-saved through a spreadsheet.
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let copy = Table::from_csv(&issued.outputs[3]);
    let leak = attack::spreadsheet_resave(&attack::sample(&copy, 40, &mut rng), false);

    let detector = Detector::builder()
        .key(&key)
        .policy(&policy)
        .recipients(parties)
        .build()?;
    let found = verify_csv(&detector, &leak[..], &mut |_| {})?;
    println!(
        "read {} rows, {} distinct marked positions",
        found.rows_read, found.positions_read
    );
    for r in &found.recipients {
        println!(
            "  {:<5} score {:>7.2}  false-accusation bound {}{}",
            r.recipient,
            r.score,
            r.bound_short(),
            if r.accused { "  ACCUSED" } else { "" }
        );
    }
    assert_eq!(found.accused.len(), 1);
    assert_eq!(found.accused[0].recipient, "PT");
    Ok(())
}
