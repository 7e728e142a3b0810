//! A three-column list (full name, section, district), the form party copies
//! of the voter list took after 2016: no cell may change, so canary rows are
//! the fingerprint. Issues a 50,000-row list to three parties, leaks 5,000
//! rows of one copy, and names the party.
//!
//! ```text
//! cargo run --release --example name_list
//! ```

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use watermark_core::{Detector, Embedder, MasterKey, Policy, Recipient};
use watermark_formats::{issue_csv, make_canaries, verify_csv};
use watermark_synth::Kind;

const POLICY: &str = r#"
version = 1
# No identifier column: a row is its full name within its section.
identity = ["NOMBRE_COMPLETO", "SECCION"]

[canaries]
# About 2 rows in 100 of each copy are synthetic people.
rate = 0.02
full_name = "NOMBRE_COMPLETO"
"#;

#[allow(clippy::print_stdout)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut list = Vec::new();
    watermark_synth::write_csv(Kind::NameList, 2016, 50_000, &mut list)?;
    let key = MasterKey::generate()?;
    let policy = Policy::from_toml(POLICY)?;
    let parties: Vec<Recipient> = ["PAN", "PRI", "MORENA"]
        .iter()
        .enumerate()
        .map(|(slot, id)| Recipient::new(*id, slot as u32))
        .collect::<Result<_, _>>()?;

    // The canaries are made once per extract, from its own names and
    // sections, and kept secret beside the key.
    let digest = blake3::hash(&list).to_hex().to_string();
    let canaries = make_canaries(&key, &policy, &digest, || Ok(&list[..]), &mut |_, _| {})?;
    println!(
        "{} canary rows made for a list of 50,000 names (sort order: {})",
        canaries.len(),
        if canaries.sort_columns().is_empty() {
            "none, each canary follows a real neighbour".to_string()
        } else {
            canaries.sort_columns().join(", ")
        }
    );

    let embedder = Embedder::builder()
        .key(&key)
        .policy(&policy)
        .recipients(parties.clone())
        .canaries(canaries.clone())
        .build()?;
    let copies = issue_csv(&embedder, &list[..], vec![Vec::new(); 3], &mut |_| {})?;
    for (party, n) in parties.iter().zip(&copies.canaries) {
        println!("  {:<7} copy holds {n} canary rows", party.id);
    }

    // 5,000 rows of PRI's copy turn up, shuffled.
    let text = std::str::from_utf8(&copies.outputs[1])?;
    let mut lines: Vec<&str> = text.lines().skip(1).collect();
    lines.shuffle(&mut ChaCha8Rng::seed_from_u64(1));
    let leak = format!(
        "NOMBRE_COMPLETO,SECCION,DISTRITO\n{}\n",
        lines[..5_000].join("\n")
    );

    let detector = Detector::builder()
        .key(&key)
        .policy(&policy)
        .recipients(parties)
        .canaries([&canaries])
        .build()?;
    let found = verify_csv(&detector, leak.as_bytes(), &mut |_| {})?;
    println!(
        "Leak of {} rows: {} canary rows found",
        found.rows_read, found.canaries_found
    );
    for r in &found.recipients {
        println!(
            "  {:<7} bound {}{}",
            r.recipient,
            r.bound_short(),
            if r.accused { "  ACCUSED" } else { "" }
        );
    }
    assert_eq!(found.accused.len(), 1);
    assert_eq!(found.accused[0].recipient, "PRI");
    Ok(())
}
