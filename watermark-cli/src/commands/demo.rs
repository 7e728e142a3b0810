//! `watermark demo`: the whole story on a synthetic roll.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::Path;

use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde::Serialize;
use watermark_app::messages::{count, tr, trn, Msg};
use watermark_app::text::int;
use watermark_app::State;
use watermark_formats::suggest_from_csv;
use watermark_synth::Kind;

use crate::cli::DemoArgs;
use watermark_app::{issue, verify};

use crate::output::Printer;
use watermark_text::{said, SaidContext as _};

const PARTIES: [&str; 10] = [
    "partido-azul",
    "partido-rojo",
    "partido-verde",
    "partido-amarillo",
    "partido-morado",
    "partido-naranja",
    "partido-blanco",
    "partido-gris",
    "partido-rosa",
    "partido-cafe",
];

#[derive(Debug, Serialize)]
struct DemoReport {
    rows: usize,
    recipients: Vec<String>,
    leaker: String,
    leak_rows: usize,
    verdict_correct: bool,
    verify: verify::Report,
}

pub fn run(args: DemoArgs, quiet: bool) -> anyhow::Result<()> {
    let printer = Printer {
        json: args.json,
        quiet,
    };
    // The steps' own progress bars and notices: silent under --quiet or --json.
    let step = Printer {
        json: false,
        quiet: quiet || args.json,
    };
    let temp;
    let dir: &Path = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d).said(|| said!(Msg::CtxCreating, d.display()))?;
            d
        }
        None => {
            temp = tempfile::tempdir().said(|| said!(Msg::CtxTempDir))?;
            temp.path()
        }
    };
    if args.recipients < 1 {
        return Err(said!(Msg::RecipientsAtLeastOne).into());
    }
    anyhow::ensure!(
        args.leak_rows >= 1 && args.leak_rows <= args.rows,
        "--leak-rows must be between 1 and --rows"
    );

    let roll = dir.join("roll.csv");
    let mut out =
        BufWriter::new(File::create(&roll).said(|| said!(Msg::CtxCreating, roll.display()))?);
    watermark_synth::write_csv(Kind::ElectoralRoll, args.seed, args.rows, &mut out)?;
    out.flush()?;
    drop(out);
    let lang = crate::output::lang();
    printer.text(&format!(
        "{}\n\n",
        tr(
            lang,
            Msg::DemoRoll,
            &[&count(lang, Msg::Rows, args.rows as u64), &roll.display()]
        )
    ))?;

    let state_dir = dir.join("state");
    let state = State::init(&state_dir)?;
    let key_id = state.master_key()?.id();
    printer.text(&format!(
        "1. watermark init --state {}\n   {}\n\n",
        state_dir.display(),
        tr(lang, Msg::DemoInit, &[&key_id])
    ))?;

    let suggestion = suggest_from_csv(
        File::open(&roll)?,
        10_000,
        None,
        Some(watermark_core::DEFAULT_CANARY_RATE),
    )?;
    let policy_path = dir.join("policy.toml");
    std::fs::write(&policy_path, suggestion.to_commented_toml())?;
    let carriers: Vec<&str> = suggestion
        .policy
        .carriers
        .iter()
        .map(|c| c.column.as_str())
        .collect();
    printer.text(&format!(
        "2. watermark policy suggest {} > {}\n   {}\n\n",
        roll.display(),
        policy_path.display(),
        tr(
            lang,
            Msg::DemoPolicy,
            &[
                &suggestion.policy.identity.join(" + "),
                &carriers.join(", ")
            ]
        )
    ))?;

    let recipients: Vec<String> = (0..args.recipients)
        .map(|i| {
            PARTIES
                .get(i)
                .map(|p| p.to_string())
                .unwrap_or_else(|| format!("party-{:03}", i + 1))
        })
        .collect();
    let copies_dir = dir.join("copies");
    let issued = issue::run(
        &issue::Settings {
            state: state_dir.clone(),
            policy: policy_path,
            input: roll.clone(),
            recipients: recipients.clone(),
            out_dir: copies_dir.clone(),
            force: false,
            format: None,
            witnesses: None,
            encoding: None,
        },
        step,
    )?;
    printer.text(&format!(
        "3. watermark issue ... {} --out-dir {}\n   {}\n\n",
        recipients
            .iter()
            .map(|r| format!("--to {r}"))
            .collect::<Vec<_>>()
            .join(" "),
        copies_dir.display(),
        tr(
            lang,
            Msg::DemoIssued,
            &[
                &count(lang, Msg::Copies, issued.copies.len() as u64),
                &count(lang, Msg::MarkedSlots, issued.slots_marked_per_copy),
            ]
        )
    ))?;

    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(args.seed);
    let leaker = recipients
        .choose(&mut rng)
        .expect("at least one recipient")
        .clone();
    let leak = dir.join("leak.csv");
    let leaked_rows = sample_rows(
        &copies_dir.join(format!("{leaker}.csv")),
        &leak,
        args.leak_rows,
        &mut rng,
    )?;
    printer.text(&format!(
        "4. {}\n\n",
        trn(
            lang,
            Msg::DemoLeaks,
            leaked_rows as u64,
            &[&leaker, &int(leaked_rows as u64), &leak.display()]
        )
    ))?;

    let report = verify::run(
        &verify::Settings {
            state: state_dir.clone(),
            leaked: leak.clone(),
            threshold: None,
            investigator: "demo".to_string(),
            master: None,
            encoding: None,
        },
        step,
    )?;
    printer.text(&format!(
        "5. watermark verify --state {} {}\n\n",
        state_dir.display(),
        leak.display()
    ))?;
    printer.text(&indent(&report.to_text_in(lang)))?;
    let correct = report.accused.len() == 1 && report.accused[0].recipient == leaker;
    printer.text(&format!(
        "\n{}\n{}\n",
        tr(
            lang,
            if correct {
                Msg::DemoCorrect
            } else {
                Msg::DemoWrong
            },
            &[&leaker]
        ),
        if args.dir.is_some() {
            tr(lang, Msg::DemoFilesIn, &[&dir.display()])
        } else {
            tr(lang, Msg::DemoFilesRemoved, &[])
        }
    ))?;
    printer.json(&DemoReport {
        rows: args.rows,
        recipients,
        leaker,
        leak_rows: leaked_rows,
        verdict_correct: correct,
        verify: report,
    })?;
    anyhow::ensure!(correct, "the demo's verdict was wrong");
    Ok(())
}

/// Writes `n` random rows of `copy`, shuffled, with its header, to `leak`.
fn sample_rows(
    copy: &Path,
    leak: &Path,
    n: usize,
    rng: &mut impl rand::Rng,
) -> anyhow::Result<usize> {
    let mut rdr = csv::Reader::from_path(copy).said(|| said!(Msg::CtxReading, copy.display()))?;
    let header = rdr.byte_headers()?.clone();
    let rows: Vec<csv::ByteRecord> = rdr.byte_records().collect::<Result<_, _>>()?;
    let picked: Vec<&csv::ByteRecord> = rows.choose_multiple(rng, n.min(rows.len())).collect();
    let mut w = csv::Writer::from_path(leak).said(|| said!(Msg::CtxWriting, leak.display()))?;
    w.write_byte_record(&header)?;
    for r in &picked {
        w.write_byte_record(r)?;
    }
    w.flush()?;
    Ok(picked.len())
}

fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                "\n".to_string()
            } else {
                format!("   {l}\n")
            }
        })
        .collect()
}
