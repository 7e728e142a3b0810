//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

const EXIT_CODES: &str = "\
Exit status:
  0  the command did its work (for verify: the analysis ran, whether or not anyone is accused)
  1  an error: bad input, missing or unreadable state, I/O failure (the message names the file, row and column)
  2  the command line is wrong";

/// Trace leaked registry extracts back to the recipient who leaked them.
///
/// Officials issue each recipient a copy with its own keyed fingerprint;
/// investigators attribute a leaked file with a rigorous bound on the chance
/// of accusing an innocent recipient.
#[derive(Debug, Parser)]
#[command(name = "watermark", version, after_help = EXIT_CODES, max_term_width = 100)]
pub struct Cli {
    /// Print nothing but errors (and the --json document, if asked for).
    #[arg(long, short, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a state directory: a new master key and an empty issuance record.
    Init(InitArgs),
    /// Write a fingerprinted copy of an extract for each recipient.
    Issue(IssueArgs),
    /// Name the recipient(s) whose copy a leaked file came from.
    Verify(VerifyArgs),
    /// Work with marking policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run the whole story on a synthetic roll: issue, leak, verify.
    Demo(DemoArgs),
    /// Write a synthetic extract, to try the tool or test a pipeline.
    Synth(SynthArgs),
}

#[derive(Debug, Args)]
pub struct StateArg {
    /// The state directory (master key, policies, issuance record).
    #[arg(long, env = "WATERMARK_STATE", value_name = "DIR")]
    pub state: PathBuf,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  watermark issue --state st --policy roll.toml roll.csv --to PAN --to PRI --out-dir copies/"
)]
pub struct IssueArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// The marking policy (see `watermark policy suggest`).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The extract to copy (CSV; the delimiter and line ends are detected).
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// A recipient id; repeat for several. Letters, digits, '.', '_' and '-'.
    #[arg(long = "to", value_name = "ID", required = true)]
    pub to: Vec<String>,
    /// Directory for the copies, written as OUT/ID.csv.
    #[arg(long, value_name = "OUT")]
    pub out_dir: PathBuf,
    /// Replace copies that already exist in OUT.
    #[arg(long)]
    pub force: bool,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "The report ranks every recipient who was issued a copy. A recipient is accused only\n\
when the chance that someone who did not leak would score as high is at most the threshold\n\
(the policy's, 1e-9 unless it says otherwise), counting every recipient compared."
)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// The leaked file (CSV; any column order, any subset that keeps the identity).
    #[arg(value_name = "LEAKED")]
    pub leaked: PathBuf,
    /// Accuse only below this bound instead of the policy's threshold.
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Infer a policy from an extract's content and print it as TOML.
    Suggest(SuggestArgs),
}

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// The extract (CSV).
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Use these identity columns instead of detecting one (repeat for a composite).
    #[arg(long, value_name = "COLUMN")]
    pub identity: Vec<String>,
    /// Rows to examine.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub rows: usize,
    /// Write the policy to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print a JSON document (policy and per-column reasons) instead of TOML.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Rows in the synthetic roll.
    #[arg(long, default_value_t = 20_000)]
    pub rows: usize,
    /// Parties that receive a copy.
    #[arg(long, default_value_t = 5)]
    pub recipients: usize,
    /// Rows in the leaked sample.
    #[arg(long, default_value_t = 50)]
    pub leak_rows: usize,
    /// Seed for the synthetic roll and the choice of leak.
    #[arg(long, default_value_t = 2016)]
    pub seed: u64,
    /// Keep the demo's files in DIR instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SynthArgs {
    /// What to generate: electoral-roll, pensioners or name-list.
    #[arg(long, default_value = "electoral-roll")]
    pub kind: String,
    /// Data rows.
    #[arg(long, default_value_t = 1000)]
    pub rows: usize,
    /// Seed; the same seed gives the same bytes.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
