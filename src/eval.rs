//! The robustness evaluation: every attack, over many random trials and
//! leak sizes, on a synthetic roll issued to many recipients.
//!
//! `cargo run --release --example eval` runs the full size and writes
//! `docs/robustness.md`; the test suite runs a reduced size.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use rand::seq::index;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use watermark_core::{Attribution, CarrierKind, Policy, VariantGroup, DEFAULT_CANARY_RATE};
use watermark_synth::Kind;

use crate::attack::{self, Merge};
use crate::{Scenario, Table};

/// What to run.
#[derive(Clone, Debug)]
pub struct Config {
    /// Rows in the synthetic roll.
    pub rows: usize,
    /// Recipients issued a copy.
    pub recipients: usize,
    /// Random trials per attack and leak size.
    pub trials: usize,
    /// Leak sizes (rows) for single-leaker attacks.
    pub sizes: Vec<usize>,
    /// Coalition sizes.
    pub coalitions: Vec<usize>,
    /// Leak sizes for coalitions.
    pub coalition_sizes: Vec<usize>,
    /// Bias cutoffs compared in the trade-off table (the policy's own first).
    pub cutoffs: Vec<f64>,
    /// Seed for the roll, the key and every trial.
    pub seed: u64,
    /// Canary rate of the policy (`Some(DEFAULT_CANARY_RATE)`: what
    /// `watermark policy suggest` proposes; `None`: no canaries).
    pub canary_rate: Option<f64>,
    /// Rows of the pensioner roll (identity NSS) the amount attacks run on;
    /// 0 leaves them out.
    pub pensioner_rows: usize,
    /// The job-portal tables, each issued to its own recipients under the
    /// policy `watermark policy suggest` proposes; empty leaves them out.
    pub job_tables: Vec<JobTableConfig>,
}

/// One table of the job-portal kind: how big, to whom, how many trials.
#[derive(Clone, Debug)]
pub struct JobTableConfig {
    /// Job seekers' registrations or a staff roster.
    pub kind: Kind,
    /// Rows in the synthetic extract.
    pub rows: usize,
    /// Recipients issued a copy.
    pub recipients: usize,
    /// Random trials per attack and leak size.
    pub trials: usize,
}

impl Config {
    /// The documented full size.
    pub fn full() -> Config {
        Config {
            rows: 100_000,
            recipients: 10,
            trials: 20,
            sizes: vec![10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000],
            coalitions: vec![2, 3, 5],
            coalition_sizes: vec![100, 200, 500, 1000, 2000, 5000, 10_000, 20_000],
            cutoffs: vec![0.15, 0.05, 0.1, 0.2, 0.25],
            seed: 2026,
            canary_rate: Some(DEFAULT_CANARY_RATE),
            pensioner_rows: 100_000,
            job_tables: vec![
                JobTableConfig {
                    kind: Kind::JobSeekers,
                    rows: 100_000,
                    recipients: 20,
                    trials: 20,
                },
                JobTableConfig {
                    kind: Kind::StaffRoster,
                    rows: 50_000,
                    recipients: 8,
                    trials: 20,
                },
            ],
        }
    }

    /// A reduced size for continuous integration.
    pub fn quick() -> Config {
        Config {
            rows: 20_000,
            recipients: 10,
            trials: 4,
            sizes: vec![20, 50, 200, 1000],
            coalitions: vec![2, 3],
            coalition_sizes: vec![200, 1000],
            cutoffs: vec![0.15, 0.05],
            seed: 2026,
            canary_rate: Some(DEFAULT_CANARY_RATE),
            pensioner_rows: 10_000,
            job_tables: vec![
                JobTableConfig {
                    kind: Kind::JobSeekers,
                    rows: 10_000,
                    recipients: 20,
                    trials: 4,
                },
                JobTableConfig {
                    kind: Kind::StaffRoster,
                    rows: 10_000,
                    recipients: 8,
                    trials: 4,
                },
            ],
        }
    }
}

/// A single-leaker attack, applied after subsetting and shuffling.
#[derive(Clone, Debug, PartialEq)]
pub enum Attack {
    /// Random rows, shuffled.
    Subset,
    /// Every row three times.
    Duplicated,
    /// Only the identity and one carrier column.
    OnlyColumn(String),
    /// The identity and every carrier column.
    IdentityAndCarriers,
    /// Spreadsheet re-save: quoted, CRLF, lower-case, trimmed, BOM.
    Resave,
    /// A share of carrier cells replaced with other rows' values.
    Alter(f64),
    /// Every abbreviation expanded.
    Expand,
    /// Every abbreviation contracted.
    Contract,
    /// Accents and invisible characters stripped, NFKC.
    StripAccents,
    /// The identity written with a leading apostrophe, spaces or dashes
    /// (see [`attack::format_identity`]).
    FormatIdentity,
    /// Every dictionary token re-spelled at random
    /// (see [`attack::respell_randomly`]).
    RespellRandomly,
    /// A run of consecutive rows of the copy, as issued, without the rows
    /// whose address equals the previous row's (canaries sit after the
    /// row they copy their address from), every abbreviation expanded.
    DropAdjacentAndExpand,
    /// The given share of the leak's rows from the copy, the rest from
    /// the unmarked extract.
    Pad(f64),
    /// Identity and amount columns only, one unit of the last decimal
    /// added to every amount (see [`attack::shift_amounts`]).
    ShiftAmounts,
}

impl Attack {
    fn name(&self) -> String {
        match self {
            Attack::Subset => "random rows, shuffled".into(),
            Attack::Duplicated => "rows repeated 3 times".into(),
            Attack::OnlyColumn(c) => format!("identity + {c} only"),
            Attack::IdentityAndCarriers => "identity + address columns".into(),
            Attack::Resave => "spreadsheet re-save".into(),
            Attack::Alter(f) => format!("{:.0}% of carrier cells altered", f * 100.0),
            Attack::Expand => "every abbreviation expanded".into(),
            Attack::Contract => "every abbreviation contracted".into(),
            Attack::StripAccents => "accents/invisibles stripped, NFKC".into(),
            Attack::FormatIdentity => "identity with apostrophe/spaces/dashes".into(),
            Attack::RespellRandomly => "every dictionary token re-spelled at random".into(),
            Attack::DropAdjacentAndExpand => {
                "consecutive rows, repeated addresses dropped, expanded".into()
            }
            Attack::Pad(f) => format!("{:.0}% of rows from the copy, rest unmarked", f * 100.0),
            Attack::ShiftAmounts => "identity + amounts, one centavo added".into(),
        }
    }
}

/// The columns a fraudster keeps of a job-portal table (names, a phone or
/// a contract number, the job): no identity column among them, so the
/// rows are matched to the unmarked extract as `verify --master` does.
pub fn fraudster_columns(kind: Kind) -> (&'static str, &'static [&'static str]) {
    match kind {
        Kind::StaffRoster => (
            "name + contract number + position",
            &[
                "NOMBRE",
                "APELLIDO_PATERNO",
                "APELLIDO_MATERNO",
                "NUM_CONTRATO",
                "PUESTO",
            ],
        ),
        _ => (
            "name + phone + job title",
            &[
                "NOMBRE",
                "APELLIDO_PATERNO",
                "APELLIDO_MATERNO",
                "TELEFONO",
                "PUESTO_SOLICITADO",
            ],
        ),
    }
}

/// What the dictionary carriers of a job-portal table hold.
fn titles_word(kind: Kind) -> &'static str {
    match kind {
        Kind::StaffRoster => "position",
        _ => "title/degree",
    }
}

/// An attack on a job-portal table (job seekers' registrations, a staff
/// roster) by a leaker who knows the scheme but not the key, applied after
/// subsetting and shuffling. Titles, degrees and positions are rewritten
/// with their carrier's own dictionary (`mx-jobs`, `mx-degrees`).
#[derive(Clone, Debug, PartialEq)]
pub enum JobAttack {
    /// Random rows, shuffled.
    Subset,
    /// Only the columns of [`fraudster_columns`], verified with the master.
    FraudsterColumns,
    /// [`JobAttack::FraudsterColumns`], with every title token and every
    /// phone's separators re-spelled at random.
    FraudsterColumnsRespelled,
    /// Every title and degree abbreviation expanded (`true`) or contracted.
    Abbreviations(bool),
    /// Every title and degree token re-spelled at random
    /// (see [`attack::respell_randomly_in`]).
    RespellTitles,
    /// Every phone written with its digits together
    /// (see [`attack::phones_digits_only`]).
    PhonesDigitsOnly,
    /// Every phone's separators drawn at random
    /// (see [`attack::respell_phones_randomly`]).
    RespellPhones,
    /// Every abbreviation expanded and every phone written as digits only:
    /// no title or phone mark is left.
    NormaliseAll,
    /// Every title, degree and phone re-spelled at random.
    RespellAll,
    /// The given share of the leak's rows from the copy, the rest from
    /// the unmarked extract.
    Pad(f64),
}

impl JobAttack {
    /// Every single-leaker attack of the job tables, in the order they run.
    pub const ALL: [JobAttack; 11] = [
        JobAttack::Subset,
        JobAttack::FraudsterColumns,
        JobAttack::FraudsterColumnsRespelled,
        JobAttack::Abbreviations(true),
        JobAttack::Abbreviations(false),
        JobAttack::RespellTitles,
        JobAttack::PhonesDigitsOnly,
        JobAttack::RespellPhones,
        JobAttack::NormaliseAll,
        JobAttack::RespellAll,
        JobAttack::Pad(0.1),
    ];

    fn name(&self, kind: Kind) -> String {
        let (columns, _) = fraudster_columns(kind);
        let titles = titles_word(kind);
        match self {
            JobAttack::Subset => "random rows, shuffled".into(),
            JobAttack::FraudsterColumns => format!("{columns} only, matched with the master"),
            JobAttack::FraudsterColumnsRespelled => {
                format!("{columns} only, re-spelled at random, matched with the master")
            }
            JobAttack::Abbreviations(true) => format!("every {titles} abbreviation expanded"),
            JobAttack::Abbreviations(false) => format!("every {titles} abbreviation contracted"),
            JobAttack::RespellTitles => format!("every {titles} token re-spelled at random"),
            JobAttack::PhonesDigitsOnly => "phones written as digits only".into(),
            JobAttack::RespellPhones => "phone separators re-spelled at random".into(),
            JobAttack::NormaliseAll => "abbreviations expanded and phones digits only".into(),
            JobAttack::RespellAll => format!("every {titles} token and phone re-spelled at random"),
            JobAttack::Pad(f) => format!("{:.0}% of rows from the copy, rest unmarked", f * 100.0),
        }
    }

    /// Whether the leak has no identity column and is verified with the
    /// unmarked extract.
    fn with_master(&self) -> bool {
        matches!(
            self,
            JobAttack::FraudsterColumns | JobAttack::FraudsterColumnsRespelled
        )
    }
}

/// The policy's dictionary carriers that `t` has, each with its dictionary.
fn dictionary_columns(policy: &Policy, t: &Table) -> Vec<(String, Vec<VariantGroup>)> {
    policy
        .carriers
        .iter()
        .filter(|c| c.kind == CarrierKind::Variants && t.column(&c.column).is_some())
        .map(|c| {
            let groups = match c.dictionary.as_deref() {
                Some("mx-jobs") => watermark_core::mx_jobs(),
                Some("mx-degrees") => watermark_core::mx_degrees(),
                _ => watermark_core::mx_address(),
            };
            (c.column.clone(), groups)
        })
        .collect()
}

/// The policy's phone carriers that `t` has.
fn phone_columns<'a>(policy: &'a Policy, t: &Table) -> Vec<&'a str> {
    policy
        .carriers
        .iter()
        .filter(|c| c.kind == CarrierKind::Phone && t.column(&c.column).is_some())
        .map(|c| c.column.as_str())
        .collect()
}

fn abbreviations(policy: &Policy, t: &Table, expand: bool) -> Table {
    let mut t = t.clone();
    for (column, groups) in dictionary_columns(policy, &t) {
        t = attack::normalise_abbreviations_in(&t, &[column.as_str()], groups, expand);
    }
    t
}

fn respell_titles(policy: &Policy, t: &Table, rng: &mut impl Rng) -> Table {
    let mut t = t.clone();
    for (column, groups) in dictionary_columns(policy, &t) {
        t = attack::respell_randomly_in(&t, &[column.as_str()], groups, rng);
    }
    t
}

/// Applies a job-table attack to `n` rows of recipient `r`'s copy of `s`,
/// an extract of `kind`.
pub fn job_leak(
    s: &Scenario,
    kind: Kind,
    r: usize,
    n: usize,
    attack: &JobAttack,
    rng: &mut impl Rng,
) -> Table {
    let p = &s.policy;
    let leak = match attack {
        JobAttack::Pad(f) => s.leak(r, ((n as f64 * f).round() as usize).max(1), rng),
        _ => s.leak(r, n, rng),
    };
    match attack {
        JobAttack::Subset => leak,
        JobAttack::FraudsterColumns => attack::project(&leak, fraudster_columns(kind).1),
        JobAttack::FraudsterColumnsRespelled => {
            let t = respell_titles(p, &attack::project(&leak, fraudster_columns(kind).1), rng);
            attack::respell_phones_randomly(&t, &phone_columns(p, &t), rng)
        }
        JobAttack::Abbreviations(expand) => abbreviations(p, &leak, *expand),
        JobAttack::RespellTitles => respell_titles(p, &leak, rng),
        JobAttack::PhonesDigitsOnly => attack::phones_digits_only(&leak, &phone_columns(p, &leak)),
        JobAttack::RespellPhones => {
            attack::respell_phones_randomly(&leak, &phone_columns(p, &leak), rng)
        }
        JobAttack::NormaliseAll => {
            let t = abbreviations(p, &leak, true);
            attack::phones_digits_only(&t, &phone_columns(p, &t))
        }
        JobAttack::RespellAll => {
            let t = respell_titles(p, &leak, rng);
            attack::respell_phones_randomly(&t, &phone_columns(p, &t), rng)
        }
        JobAttack::Pad(_) => {
            let filler = n.saturating_sub(leak.rows.len());
            attack::pad(&leak, s.master(), filler, rng)
        }
    }
}

/// The evaluation of one job-portal table.
#[derive(Clone, Debug)]
pub struct JobReport {
    /// What was run.
    pub config: JobTableConfig,
    /// The policy's identity columns.
    pub identity: Vec<String>,
    /// The policy's carriers, described (`PUESTO (mx-jobs)`, `TELEFONO (phone)`).
    pub carriers: Vec<String>,
    /// The columns canaries build by the table's rules (e-mail, phone, codes).
    pub canary_roles: Vec<String>,
    /// Canary rows in the first recipient's copy.
    pub canaries_per_copy: usize,
    /// Marked slots per row, on average.
    pub slots_per_row: f64,
    /// Per attack and size.
    pub outcomes: Vec<Outcome>,
    /// Wall time of this table.
    pub elapsed: Duration,
}

impl JobReport {
    /// A title for the table.
    pub fn title(&self) -> &'static str {
        match self.config.kind {
            Kind::StaffRoster => "Staff roster shared with contractors",
            _ => "Job seekers of a job portal",
        }
    }

    /// The table, in a sentence.
    fn phrase(&self) -> &'static str {
        match self.config.kind {
            Kind::StaffRoster => "a staff roster shared with contractors",
            _ => "a job portal's registered job seekers",
        }
    }

    /// The smallest leak size at which at least 95% of trials named a leaker.
    pub fn rows_for_95(&self, attack: &str, leakers: usize) -> Option<usize> {
        rows_for_95(&self.outcomes, attack, leakers)
    }

    /// Trials in which anyone innocent was accused.
    pub fn innocent_accusations(&self) -> usize {
        self.outcomes.iter().map(|o| o.innocent_accused).sum()
    }

    /// Trials run.
    pub fn trials(&self) -> usize {
        self.outcomes.iter().map(|o| o.trials).sum()
    }
}

fn rows_for_95(outcomes: &[Outcome], attack: &str, leakers: usize) -> Option<usize> {
    outcomes
        .iter()
        .filter(|o| o.attack == attack && o.leakers == leakers)
        .find(|o| o.named as f64 >= 0.95 * o.trials as f64)
        .map(|o| o.rows)
}

fn attacks_in(outcomes: &[Outcome]) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = Vec::new();
    for o in outcomes {
        if !v.iter().any(|(a, l)| *a == o.attack && *l == o.leakers) {
            v.push((o.attack.clone(), o.leakers));
        }
    }
    v
}

/// The coalitions the job tables are attacked by: of each size of
/// `cfg.coalitions` up to 3, the merge of a coalition that has read the
/// code (the minority spelling where its copies differ).
fn job_coalitions(cfg: &Config) -> Vec<usize> {
    cfg.coalitions.iter().copied().filter(|&c| c <= 3).collect()
}

/// Issues the job table `jc` and runs every job attack on it.
pub fn run_job_table(
    cfg: &Config,
    jc: &JobTableConfig,
    progress: &mut dyn FnMut(&str),
) -> JobReport {
    let start = Instant::now();
    let kind = jc.kind;
    let s = Scenario::suggested(
        kind,
        jc.rows,
        jc.recipients,
        cfg.seed,
        None,
        cfg.canary_rate,
    );
    let tag = kind as u64;
    let slots_per_row = {
        let mut rng = trial_rng(cfg.seed, &[5, tag]);
        let a = s.verify_table(&s.leak(0, 2000.min(jc.rows), &mut rng));
        a.positions_read as f64 / a.rows_read.max(1) as f64
    };
    let mut outcomes = Vec::new();
    for (ai, attack) in JobAttack::ALL.iter().enumerate() {
        for &n in &cfg.sizes {
            let (mut named, mut innocent, mut positions) = (0, 0, Vec::new());
            for t in 0..jc.trials {
                let mut rng = trial_rng(cfg.seed, &[6, tag, ai as u64, n as u64, t as u64]);
                let r = t % jc.recipients;
                let leak = job_leak(&s, kind, r, n, attack, &mut rng).to_csv();
                let a = if attack.with_master() {
                    s.verify_with_master(&leak).0
                } else {
                    s.verify(&leak)
                };
                let (nm, inn) = judge(&a, &[r]);
                named += usize::from(nm);
                innocent += usize::from(inn);
                positions.push(a.positions_read);
            }
            outcomes.push(Outcome {
                attack: attack.name(kind),
                leakers: 1,
                rows: n,
                trials: jc.trials,
                named,
                innocent_accused: innocent,
                median_positions: median(positions),
            });
        }
        progress(&format!("{kind}: {}", attack.name(kind)));
    }
    for c in job_coalitions(cfg) {
        let how = Merge::Minority;
        for &n in &cfg.coalition_sizes {
            outcomes.push(coalition_outcome(
                &s,
                (jc.recipients, jc.trials, cfg.seed),
                c,
                n,
                how,
                &[7, tag, c as u64, n as u64],
            ));
        }
        progress(&format!("{kind}: coalition of {c}: {}", how.name()));
    }
    let carriers = s
        .policy
        .carriers
        .iter()
        .map(|c| {
            let how = match c.kind {
                CarrierKind::Variants => {
                    c.dictionary.clone().unwrap_or_else(|| "mx-address".into())
                }
                CarrierKind::Numeric => "amount".into(),
                CarrierKind::Phone => "phone".into(),
                _ => "other".into(),
            };
            format!("{} ({how})", c.column)
        })
        .collect();
    let canary_roles = s
        .policy
        .canaries
        .iter()
        .flat_map(|c| {
            c.email
                .iter()
                .map(|e| format!("{e} (e-mail)"))
                .chain(c.phone.iter().map(|p| format!("{p} (phone)")))
                .chain(c.codes.iter().map(|k| format!("{k} (code)")))
                .collect::<Vec<_>>()
        })
        .collect();
    JobReport {
        config: jc.clone(),
        identity: s.policy.identity.clone(),
        carriers,
        canary_roles,
        canaries_per_copy: s.copy_len(0) - s.rows(),
        slots_per_row,
        outcomes,
        elapsed: start.elapsed(),
    }
}

impl JobReport {
    /// The table's section of the report.
    fn write_markdown(&self, s: &mut String, c: &Config) {
        let j = &self.config;
        let (columns, kept) = fraudster_columns(j.kind);
        let what = match j.kind {
            Kind::StaffRoster => "A synthetic staff roster (an institute's employees, as shared with the contractors that run its systems)",
            _ => "A synthetic job portal's registrations (CVs: contact, schooling, job sought, work history, salaries)",
        };
        let _ = writeln!(s, "\n## {}\n", self.title());
        let _ = writeln!(
            s,
            "{what} of **{} rows** (identity {}; carriers {}, {:.2} marked slots per row on average; canaries \
             build {} by the table's rules, {} canary rows per copy) is issued to **N = {} recipients** under the \
             policy `watermark policy suggest` proposes{}. Each cell is **{} random trials** (the copy's recipient \
             goes round), verified against all {} recipients with the default threshold. Leak sizes: {:?} rows \
             (single leaker), {:?} rows (coalitions). Generating, issuing and attacking this table took {:.0} s.\n",
            j.rows,
            self.identity.join(" + "),
            self.carriers.join(", "),
            self.slots_per_row,
            if self.canary_roles.is_empty() {
                "nothing".to_string()
            } else {
                self.canary_roles.join(", ")
            },
            self.canaries_per_copy,
            j.recipients,
            match c.canary_rate {
                Some(r) => format!(" (canary rate {r})"),
                None => " (without canaries)".to_string(),
            },
            j.trials,
            j.recipients,
            c.sizes,
            c.coalition_sizes,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "Attacks: the columns a fraudster keeps ({columns}: {}, no identity column), matched to the \
             unmarked extract and the canary list as `watermark verify --master` does, as they are and with \
             every {titles} token and phone re-spelled at random; every {titles} abbreviation expanded, \
             or contracted, or each token re-spelled at random with its own dictionary; phones written as \
             digits only, or with separators drawn at random; both rewritings at once; the copy's rows hidden \
             among unmarked rows; and coalitions that take the minority spelling where their copies differ.\n",
            kept.join(", "),
            titles = titles_word(j.kind)
        );
        let _ = writeln!(
            s,
            "**Innocent recipients accused: {} in {} trials** of this table.\n",
            self.innocent_accusations(),
            self.trials()
        );
        write_rows_needed(s, &self.outcomes);
        let _ = writeln!(s, "\n### Every attack and size\n");
        write_every_outcome(s, &self.outcomes);
    }
}

/// The table of the smallest leak size that named a leaker in 95% of
/// trials, per attack.
fn write_rows_needed(s: &mut String, outcomes: &[Outcome]) {
    let _ = writeln!(s, "| attack | leakers | rows for 95% named |");
    let _ = writeln!(s, "|---|---|---|");
    for (a, l) in attacks_in(outcomes) {
        let rows = rows_for_95(outcomes, &a, l).map_or("-".to_string(), |r| r.to_string());
        let _ = writeln!(s, "| {a} | {l} | {rows} |");
    }
}

/// One plain-text line per outcome, for a terminal.
fn text_lines(s: &mut String, outcomes: &[Outcome]) {
    for o in outcomes {
        let _ = writeln!(
            s,
            "{:<56} {:>7} {:>6} {:>5}/{:<2} {:>9} {:>9}",
            o.attack, o.leakers, o.rows, o.named, o.trials, o.innocent_accused, o.median_positions
        );
    }
}

/// The table of every attack and leak size.
fn write_every_outcome(s: &mut String, outcomes: &[Outcome]) {
    let _ = writeln!(
        s,
        "| attack | leakers | rows | named | innocent | positions |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for o in outcomes {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {}/{} | {} | {} |",
            o.attack, o.leakers, o.rows, o.named, o.trials, o.innocent_accused, o.median_positions
        );
    }
}

/// One row of the results.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The attack.
    pub attack: String,
    /// Leakers (1 for single-leaker attacks).
    pub leakers: usize,
    /// Rows taken from the copies.
    pub rows: usize,
    /// Trials run.
    pub trials: usize,
    /// Trials in which at least one leaker was accused.
    pub named: usize,
    /// Trials in which anyone innocent was accused.
    pub innocent_accused: usize,
    /// Median distinct positions read.
    pub median_positions: u64,
}

/// Cutoff trade-off: power against a lone leaker and against coalitions.
#[derive(Clone, Debug)]
pub struct Tradeoff {
    /// The bias cutoff `t`.
    pub cutoff: f64,
    /// Per setting of [`TRADEOFF`]: the share of trials naming a leaker.
    pub named: Vec<f64>,
    /// Innocent accusations over all its trials.
    pub innocent_accused: usize,
}

/// The settings the cutoff is judged on: (leakers, rows). A lone leaker's
/// copy has 30% of its carrier cells altered; coalitions replace every cell
/// that differs between their copies by a normalised form, the merge that
/// leaves them least exposed.
pub const TRADEOFF: [(usize, usize); 6] =
    [(1, 20), (1, 50), (3, 500), (3, 1000), (5, 2000), (5, 5000)];

/// Everything the evaluation measured.
#[derive(Clone, Debug)]
pub struct Report {
    /// What was run.
    pub config: Config,
    /// Marked slots per row, on average.
    pub slots_per_row: f64,
    /// Per attack and size.
    pub outcomes: Vec<Outcome>,
    /// Per cutoff.
    pub tradeoff: Vec<Tradeoff>,
    /// Per job-portal table of `config.job_tables`.
    pub job_tables: Vec<JobReport>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Whether the printed bound holds for innocent recipients: over many
/// (leak, innocent recipient) pairs, the share whose bound is at most β
/// must stay at most β (up to sampling error), for each β.
///
/// Two readings of each innocent's bound are counted: the reported
/// `false_accusation_bound` itself, which includes the union factor over
/// recipients (what an investigator reads), and that bound divided by the
/// number of recipients compared, a per-recipient p-value (still a valid
/// one, whatever the number of scores per recipient), which has teeth on
/// small leaks where the reported bound is rarely below 1.
#[derive(Clone, Debug)]
pub struct Calibration {
    /// The levels β.
    pub betas: Vec<f64>,
    /// (leak, innocent recipient) pairs seen.
    pub pairs: usize,
    /// Per β: innocents whose reported bound was at most β.
    pub reported: Vec<usize>,
    /// Per β: innocents whose bound, divided by the recipients compared,
    /// was at most β (bounds capped at 1 are not counted).
    pub per_recipient: Vec<usize>,
    /// Innocents accused at the attribution's threshold: what, and who.
    pub accused: Vec<String>,
}

impl Calibration {
    /// Nothing seen yet.
    pub fn new(betas: &[f64]) -> Calibration {
        Calibration {
            betas: betas.to_vec(),
            pairs: 0,
            reported: vec![0; betas.len()],
            per_recipient: vec![0; betas.len()],
            accused: Vec::new(),
        }
    }

    /// Counts every recipient of `a` whose slot is not in `leakers`.
    pub fn add(&mut self, a: &Attribution, leakers: &[usize], what: &str) {
        let comparisons = a.comparisons.max(1) as f64;
        for r in a
            .recipients
            .iter()
            .filter(|r| !leakers.contains(&(r.slot as usize)))
        {
            self.pairs += 1;
            let bound = r.false_accusation_bound;
            for (k, &beta) in self.betas.iter().enumerate() {
                self.reported[k] += usize::from(bound <= beta);
                self.per_recipient[k] += usize::from(bound < 1.0 && bound / comparisons <= beta);
            }
            if r.accused {
                self.accused.push(format!("{what}: {}", r.recipient));
            }
        }
    }

    /// The largest share allowed at `beta`: β + 3·sqrt(β(1−β)/pairs).
    pub fn allowed(&self, beta: f64) -> f64 {
        beta + 3.0 * (beta * (1.0 - beta) / self.pairs.max(1) as f64).sqrt()
    }

    /// Every observed share within [`Calibration::allowed`], or what is not.
    pub fn check(&self) -> Result<(), String> {
        let mut bad = Vec::new();
        for (k, &beta) in self.betas.iter().enumerate() {
            for (name, count) in [
                ("reported bound", self.reported[k]),
                ("bound per recipient", self.per_recipient[k]),
            ] {
                let share = count as f64 / self.pairs.max(1) as f64;
                if share > self.allowed(beta) {
                    bad.push(format!(
                        "β = {beta}: {name} ≤ β for {count} of {} innocents ({share:.4} > {:.4})",
                        self.pairs,
                        self.allowed(beta)
                    ));
                }
            }
        }
        if bad.is_empty() {
            Ok(())
        } else {
            Err(bad.join("; "))
        }
    }
}

fn trial_rng(seed: u64, parts: &[u64]) -> ChaCha8Rng {
    let mut s = seed;
    for p in parts {
        s = s.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(*p);
    }
    ChaCha8Rng::seed_from_u64(s)
}

fn judge(a: &Attribution, leakers: &[usize]) -> (bool, bool) {
    let named = a
        .accused
        .iter()
        .any(|r| leakers.contains(&(r.slot as usize)));
    let innocent = a
        .accused
        .iter()
        .any(|r| !leakers.contains(&(r.slot as usize)));
    (named, innocent)
}

/// `trials` leaks of `n` rows merged by a coalition of `c` of the
/// `recipients` with `how`; each trial's randomness is `tag` and its number.
fn coalition_outcome(
    s: &Scenario,
    (recipients, trials, seed): (usize, usize, u64),
    c: usize,
    n: usize,
    how: Merge,
    tag: &[u64],
) -> Outcome {
    let (mut named, mut innocent, mut positions) = (0, 0, Vec::new());
    for t in 0..trials {
        let mut parts = tag.to_vec();
        parts.push(t as u64);
        let mut rng = trial_rng(seed, &parts);
        let colluders: Vec<usize> = index::sample(&mut rng, recipients, c).into_vec();
        let a = s.verify_table(&coalition_leak(s, &colluders, n, how, &mut rng));
        let (nm, inn) = judge(&a, &colluders);
        named += usize::from(nm);
        innocent += usize::from(inn);
        positions.push(a.positions_read);
    }
    Outcome {
        attack: format!("coalition: {}", how.name()),
        leakers: c,
        rows: n,
        trials,
        named,
        innocent_accused: innocent,
        median_positions: median(positions),
    }
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

/// Applies a single-leaker attack to `n` rows of recipient `r`'s copy.
pub fn single_leak(
    s: &Scenario,
    r: usize,
    n: usize,
    attack: &Attack,
    rng: &mut impl Rng,
) -> Vec<u8> {
    let carriers = s.carrier_columns();
    let identity = s.policy.identity[0].as_str();
    let leak = match attack {
        Attack::DropAdjacentAndExpand => {
            let n = n.min(s.copy_len(r));
            let start = rng.gen_range(0..=s.copy_len(r) - n);
            s.copy_rows(r, &(start..start + n).collect::<Vec<_>>())
        }
        Attack::Pad(f) => s.leak(r, ((n as f64 * f).round() as usize).max(1), rng),
        _ => s.leak(r, n, rng),
    };
    let table = match attack {
        Attack::Subset => leak,
        Attack::Duplicated => attack::duplicate(&leak, 3, rng),
        Attack::OnlyColumn(c) => attack::project(&leak, &[identity, c.as_str()]),
        Attack::IdentityAndCarriers => {
            let mut cols = vec![identity];
            cols.extend(&carriers);
            attack::project(&leak, &cols)
        }
        Attack::Resave => return attack::spreadsheet_resave(&leak, true),
        Attack::Alter(f) => attack::alter_cells(&leak, &carriers, *f, rng),
        Attack::Expand => attack::normalise_abbreviations(&leak, &carriers, true),
        Attack::Contract => attack::normalise_abbreviations(&leak, &carriers, false),
        Attack::StripAccents => attack::strip_accents(&leak),
        Attack::FormatIdentity => attack::format_identity(&leak, identity, rng),
        Attack::RespellRandomly => attack::respell_randomly(&leak, &carriers, rng),
        Attack::DropAdjacentAndExpand => {
            let kept = attack::drop_adjacent_duplicate_addresses(&leak, &carriers);
            let expanded = attack::normalise_abbreviations(&kept, &carriers, true);
            attack::sample(&expanded, expanded.rows.len(), rng)
        }
        Attack::Pad(_) => {
            let filler = n.saturating_sub(leak.rows.len());
            attack::pad(&leak, s.master(), filler, rng)
        }
        Attack::ShiftAmounts => {
            let amounts: Vec<&str> = s
                .policy
                .carriers
                .iter()
                .filter(|c| c.kind == CarrierKind::Numeric)
                .map(|c| c.column.as_str())
                .collect();
            let mut cols = vec![identity];
            cols.extend(&amounts);
            attack::shift_amounts(&attack::project(&leak, &cols), &amounts)
        }
    };
    table.to_csv()
}

/// `cfg.trials` trials of `attack` on `n` rows of one copy of `s` (the
/// copy's recipient goes round), seeded by `seed` and the trial number.
fn single_outcome(cfg: &Config, s: &Scenario, attack: &Attack, n: usize, seed: &[u64]) -> Outcome {
    let (mut named, mut innocent, mut positions) = (0, 0, Vec::new());
    for t in 0..cfg.trials {
        let parts: Vec<u64> = seed.iter().copied().chain([t as u64]).collect();
        let mut rng = trial_rng(cfg.seed, &parts);
        let r = t % cfg.recipients;
        let a = s.verify(&single_leak(s, r, n, attack, &mut rng));
        let (nm, inn) = judge(&a, &[r]);
        named += usize::from(nm);
        innocent += usize::from(inn);
        positions.push(a.positions_read);
    }
    Outcome {
        attack: attack.name(),
        leakers: 1,
        rows: n,
        trials: cfg.trials,
        named,
        innocent_accused: innocent,
        median_positions: median(positions),
    }
}

/// `n` rows common to a coalition's copies, merged. Canary rows, which
/// only some of the copies hold, are never among them: comparing copies
/// shows them, and a coalition leaves them out.
pub fn coalition_leak(
    s: &Scenario,
    colluders: &[usize],
    n: usize,
    how: Merge,
    rng: &mut impl Rng,
) -> Table {
    let picked = index::sample(rng, s.rows(), n.min(s.rows())).into_vec();
    let copies: Vec<Table> = colluders
        .iter()
        .map(|&k| s.extract_rows(k, &picked))
        .collect();
    attack::merge(&copies, how, rng)
}

fn single_attacks(s: &Scenario) -> Vec<Attack> {
    let mut v = vec![Attack::Subset, Attack::Duplicated];
    v.extend(
        s.policy
            .carriers
            .iter()
            .map(|c| Attack::OnlyColumn(c.column.clone())),
    );
    v.extend([
        Attack::IdentityAndCarriers,
        Attack::Resave,
        Attack::Alter(0.1),
        Attack::Alter(0.3),
        Attack::Alter(0.5),
        Attack::Expand,
        Attack::Contract,
        Attack::StripAccents,
        Attack::FormatIdentity,
        Attack::RespellRandomly,
        Attack::DropAdjacentAndExpand,
        Attack::Pad(0.1),
    ]);
    v
}

fn scenario(cfg: &Config, master: &[u8], policy: &Policy) -> Scenario {
    Scenario::new(master.to_vec(), policy.clone(), cfg.recipients, cfg.seed)
}

/// Runs the evaluation; `progress` hears a line per finished attack.
pub fn run(cfg: &Config, progress: &mut dyn FnMut(&str)) -> Report {
    let start = Instant::now();
    let mut master = Vec::new();
    watermark_synth::write_csv(Kind::ElectoralRoll, cfg.seed, cfg.rows, &mut master)
        .expect("in-memory write");
    let base_policy =
        watermark_formats::suggest_from_csv(&master[..], 10_000, None, cfg.canary_rate)
            .expect("a policy can be inferred")
            .policy;
    let s = scenario(cfg, &master, &base_policy);
    let slots_per_row = {
        let mut rng = trial_rng(cfg.seed, &[0]);
        let a = s.verify_table(&s.leak(0, 2000.min(cfg.rows), &mut rng));
        a.positions_read as f64 / a.rows_read.max(1) as f64
    };

    let mut outcomes = Vec::new();
    for (ai, attack) in single_attacks(&s).iter().enumerate() {
        for &n in &cfg.sizes {
            let o = single_outcome(cfg, &s, attack, n, &[1, ai as u64, n as u64]);
            outcomes.push(Outcome {
                attack: attack.name(),
                ..o
            });
        }
        progress(&attack.name());
    }
    if cfg.pensioner_rows > 0 {
        let identity = vec!["NSS".to_string()];
        let p = Scenario::suggested(
            Kind::Pensioners,
            cfg.pensioner_rows,
            cfg.recipients,
            cfg.seed,
            Some(&identity),
            cfg.canary_rate,
        );
        let amounts: Vec<Attack> = p
            .policy
            .carriers
            .iter()
            .filter(|c| c.kind == CarrierKind::Numeric)
            .map(|c| Attack::OnlyColumn(c.column.clone()))
            .chain([Attack::ShiftAmounts])
            .collect();
        for (ai, attack) in amounts.iter().enumerate() {
            for &n in &cfg.sizes {
                let o = single_outcome(cfg, &p, attack, n, &[4, ai as u64, n as u64]);
                outcomes.push(Outcome {
                    attack: format!("pensioners: {}", attack.name()),
                    ..o
                });
            }
            progress(&format!("pensioners: {}", attack.name()));
        }
    }
    for &c in &cfg.coalitions {
        for (mi, how) in Merge::ALL.iter().chain(&Merge::KNOWLEDGEABLE).enumerate() {
            for &n in &cfg.coalition_sizes {
                outcomes.push(coalition_outcome(
                    &s,
                    (cfg.recipients, cfg.trials, cfg.seed),
                    c,
                    n,
                    *how,
                    &[2, c as u64, mi as u64, n as u64],
                ));
            }
            progress(&format!("coalition of {c}: {}", how.name()));
        }
    }

    let mut tradeoff = Vec::new();
    for &cutoff in &cfg.cutoffs {
        let mut policy = base_policy.clone();
        policy.code.cutoff = cutoff;
        let s = scenario(cfg, &master, &policy);
        let mut innocent = 0;
        let mut named_share = Vec::new();
        for (k, &(leakers, n)) in TRADEOFF.iter().enumerate() {
            let mut named = 0;
            for t in 0..cfg.trials {
                let mut rng = trial_rng(cfg.seed, &[3, cutoff.to_bits(), k as u64, t as u64]);
                let who: Vec<usize> =
                    index::sample(&mut rng, cfg.recipients, leakers.min(cfg.recipients)).into_vec();
                let a = if leakers == 1 {
                    s.verify(&single_leak(&s, who[0], n, &Attack::Alter(0.3), &mut rng))
                } else {
                    s.verify_table(&coalition_leak(
                        &s,
                        &who,
                        n,
                        Merge::NormaliseDiffering,
                        &mut rng,
                    ))
                };
                let (nm, inn) = judge(&a, &who);
                named += usize::from(nm);
                innocent += usize::from(inn);
            }
            named_share.push(named as f64 / cfg.trials as f64);
        }
        tradeoff.push(Tradeoff {
            cutoff,
            named: named_share,
            innocent_accused: innocent,
        });
        progress(&format!("cutoff {cutoff}"));
    }

    let job_tables = cfg
        .job_tables
        .iter()
        .map(|jc| run_job_table(cfg, jc, progress))
        .collect();

    Report {
        config: cfg.clone(),
        slots_per_row,
        outcomes,
        tradeoff,
        job_tables,
        elapsed: start.elapsed(),
    }
}

impl Report {
    /// The smallest leak size at which at least 95% of trials named a
    /// leaker, on the electoral roll (and the pensioner roll).
    pub fn rows_for_95(&self, attack: &str, leakers: usize) -> Option<usize> {
        rows_for_95(&self.outcomes, attack, leakers)
    }

    /// Trials, over every attack and every table, in which anyone innocent
    /// was accused.
    pub fn innocent_accusations(&self) -> usize {
        self.outcomes
            .iter()
            .map(|o| o.innocent_accused)
            .sum::<usize>()
            + self
                .tradeoff
                .iter()
                .map(|t| t.innocent_accused)
                .sum::<usize>()
            + self
                .job_tables
                .iter()
                .map(JobReport::innocent_accusations)
                .sum::<usize>()
    }

    /// Total trials run, over every table.
    pub fn trials(&self) -> usize {
        self.outcomes.iter().map(|o| o.trials).sum::<usize>()
            + self.tradeoff.len() * TRADEOFF.len() * self.config.trials
            + self.job_tables.iter().map(JobReport::trials).sum::<usize>()
    }

    /// The report as Markdown.
    pub fn to_markdown(&self) -> String {
        let c = &self.config;
        let mut s = String::new();
        let _ = writeln!(s, "# Robustness\n");
        let _ = writeln!(
            s,
            "Generated by `cargo run --release --example eval` (seed {}, {:.0} s). Do not edit by hand.\n",
            c.seed,
            self.elapsed.as_secs_f64()
        );
        let _ = writeln!(
            s,
            "A synthetic electoral roll of **{} rows** (CURP identity; carriers in the address columns, \
             {:.2} marked slots per row on average) is issued to **N = {} recipients** under the policy \
             `watermark policy suggest` infers{}. Each cell of the tables below is **{} random trials**: a leak of \
             the given number of rows is drawn from one copy (or merged from a coalition's copies), attacked, \
             shuffled, and verified against all {} recipients with the default threshold (accuse only when \
             the false-accusation bound is at most 1e-9). Leak sizes: {:?} rows (single leaker), {:?} rows \
             (coalitions).\n",
            c.rows,
            self.slots_per_row,
            c.recipients,
            match c.canary_rate {
                Some(r) => format!(" (canary rate {r})"),
                None => " (without canaries)".to_string(),
            },
            c.trials,
            c.recipients,
            c.sizes,
            c.coalition_sizes
        );
        if c.pensioner_rows > 0 {
            let _ = writeln!(
                s,
                "Rows marked `pensioners:` are leaks of a synthetic pensioner roll of {} rows issued the same way \
                 with `--identity NSS` (the amount column is the carrier), reduced to NSS and amount.\n",
                c.pensioner_rows
            );
        }
        let _ = writeln!(
            s,
            "Attacks of a leaker who knows the scheme but not the key: the identity written with a leading \
             apostrophe, spaces or dashes; every dictionary token re-spelled at random (not to one form); a run \
             of consecutive rows as issued, without rows whose address repeats the previous row's (where canaries \
             sit), every abbreviation expanded; the copy's rows hidden among unmarked rows (the share of rows from \
             the copy is given); one centavo added to every amount; and coalitions that take the minority spelling \
             where their copies differ, and also delete every dictionary token their copies agree on.\n"
        );
        if !self.job_tables.is_empty() {
            let names: Vec<String> = self
                .job_tables
                .iter()
                .map(|j| {
                    format!(
                        "{} ({} rows, {} recipients)",
                        j.phrase(),
                        j.config.rows,
                        j.config.recipients
                    )
                })
                .collect();
            let _ = writeln!(
                s,
                "Two tables of another kind close the document: {}, each issued under the policy \
                 `watermark policy suggest` proposes for it, attacked by a leaker who keeps only the columns a \
                 fraudster needs, rewrites every job title and phone, or hides the copy among unmarked rows.\n",
                names.join(" and ")
            );
        }
        let _ = writeln!(
            s,
            "**Innocent recipients accused: {} in {} trials**, over every attack and every setting below.\n",
            self.innocent_accusations(),
            self.trials()
        );
        let _ = writeln!(s, "## Rows needed\n");
        let _ = writeln!(s, "Smallest leak size at which at least 95% of trials named a leaker (a colluder, for coalitions); `-` when no size tried reached it.\n");
        write_rows_needed(&mut s, &self.outcomes);
        let _ = writeln!(s, "\n## Every attack and size\n");
        let _ = writeln!(s, "`named`: trials in which at least one leaker was accused; `innocent`: trials in which anyone else was; `positions`: median distinct marked positions read.\n");
        write_every_outcome(&mut s, &self.outcomes);
        let _ = writeln!(s, "\n## Bias cutoff: one leaker against coalitions\n");
        let _ = writeln!(
            s,
            "Each position's bias `p` is drawn from the arcsine density on `[t, 1-t]`. A larger cutoff `t` puts \
             biases nearer 1/2, where a single copy's bits carry the most information, so a lone leaker is \
             named from fewer rows; a smaller `t` keeps the rare biases near 0 and 1 that Tardos codes rely on to \
             catch larger coalitions. Share of trials naming a leaker, for a lone leaker whose copy has 30% of \
             its carrier cells altered, and for coalitions that replace every cell differing between their \
             copies by a normalised form (the merge that hides them best):\n"
        );
        let mut head = "| cutoff t |".to_string();
        let mut rule = "|---|".to_string();
        for (leakers, n) in TRADEOFF {
            let who = if leakers == 1 {
                "1 leaker".to_string()
            } else {
                format!("{leakers} colluders")
            };
            let _ = write!(head, " {who}, {n} rows |");
            rule.push_str("---|");
        }
        head.push_str(" innocent accused |");
        rule.push_str("---|");
        let _ = writeln!(s, "{head}\n{rule}");
        for t in &self.tradeoff {
            let mut line = format!("| {} |", t.cutoff);
            for f in &t.named {
                let _ = write!(line, " {:.0}% |", f * 100.0);
            }
            let _ = write!(line, " {} |", t.innocent_accused);
            let _ = writeln!(s, "{line}");
        }
        let _ = writeln!(
            s,
            "\nThe default cutoff is {}. Attacks that rewrite every carrier token the same way (all abbreviations \
             expanded or contracted) leave no per-copy difference in the cells, so no in-cell mark survives them: \
             the verdict is then \"no one accused\", never a wrong accusation. Canary rows are the defence there.",
            c.cutoffs[0]
        );
        for j in &self.job_tables {
            j.write_markdown(&mut s, c);
        }
        s
    }

    /// A compact plain-text table for a terminal.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{:<56} {:>7} {:>6} {:>8} {:>9} {:>9}",
            "attack", "leakers", "rows", "named", "innocent", "positions"
        );
        text_lines(&mut s, &self.outcomes);
        for j in &self.job_tables {
            let _ = writeln!(s, "{}", j.title());
            text_lines(&mut s, &j.outcomes);
        }
        let _ = writeln!(
            s,
            "innocent recipients accused: {} in {} trials",
            self.innocent_accusations(),
            self.trials()
        );
        s
    }
}
