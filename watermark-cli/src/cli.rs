//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use watermark_app::formats::FileFormat;

const EXIT_CODES: &str = "\
Exit status:
  0  the command did its work (for verify: the analysis ran, whether or not anyone is accused;
     for report verify: the report's signature and everything it carries check out)
  1  could not do it: a file missing or unreadable, bad input, an I/O failure (the message names
     the file, row and column)
  2  the command line is wrong
  3  report verify: the report does not verify with the key given (a byte of it was changed, it
     is not signed or signed by another key, a receipt in it fails, or --leaked is another file)
  4  the state is behind its witnesses or forked from what they saw: a witness cosigned a larger
     checkpoint of this log, or another root at the same size (issue refuses; log witness says so)
  5  too few witness cosignatures: log verify, verify-receipt or report verify with --require K
     found fewer than K valid ones from the --witness-key keys; issue or log witness got fewer
     than the witness list requires
  6  tampering: the issuance log does not verify (an entry, a checkpoint, a signature or a key
     file was changed, cut or removed), or a policy or canary list it binds was changed after
     issuance; every command that reads the log refuses to go on";

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

    /// Language of the human output: es (Spanish, es-MX) or en (English). Default: the
    /// locale (LC_ALL, then LC_MESSAGES, then LANG: Spanish when it starts with "es"), else
    /// English. --json documents are the same in both languages.
    #[arg(long, global = true, env = "WATERMARK_LANG", value_name = "es|en", value_parser = parse_lang)]
    pub lang: Option<watermark_app::Lang>,

    #[command(subcommand)]
    pub command: Command,
}

/// `--lang`: `es` or `en` (a locale name such as `es_MX` reads as its language).
fn parse_lang(text: &str) -> Result<watermark_app::Lang, String> {
    watermark_app::Lang::parse(text)
        .ok_or_else(|| format!("{text:?} is not a language: give es or en"))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a state directory: a new master key and an empty signed issuance log.
    Init(InitArgs),
    /// Write a fingerprinted copy of an extract for each recipient.
    Issue(IssueArgs),
    /// Name the recipient(s) whose copy a leaked file came from.
    Verify(VerifyArgs),
    /// Audit the signed issuance log: show, verify, prove entries, compare checkpoints.
    #[command(subcommand)]
    Log(LogCommand),
    /// Check a signed evidence report (`watermark verify --report`) with the log's public key.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Work with marking policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Run the whole story on a synthetic roll: issue, leak, verify.
    Demo(DemoArgs),
    /// Write a synthetic extract, to try the tool or test a pipeline.
    Synth(SynthArgs),
    /// Run a witness: cosign other logs' checkpoints only if they extend the last ones it saw.
    #[command(subcommand)]
    Witness(WitnessCommand),
    /// Print a shell completion script: `watermark completions bash > /etc/bash_completion.d/watermark`.
    Completions(CompletionsArgs),
    /// Print the man page (roff), or write one page per command into a directory.
    Man(ManArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  watermark completions bash | sudo tee /usr/share/bash-completion/completions/watermark
  watermark completions zsh > ~/.zfunc/_watermark
  watermark completions fish > ~/.config/fish/completions/watermark.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Examples:
  watermark man | man -l -
  sudo watermark man --dir /usr/local/share/man/man1   # watermark.1, watermark-verify.1, ...")]
pub struct ManArgs {
    /// Write watermark.1 and one page per subcommand (watermark-verify.1, watermark-log-show.1,
    /// ...) into DIR instead of printing watermark.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct StateArg {
    /// The state directory (master key, policies, issuance log).
    #[arg(long, env = "WATERMARK_STATE", value_name = "DIR")]
    pub state: PathBuf,
}

/// The state's witness list.
#[derive(Debug, Args)]
pub struct WitnessesArg {
    /// The witness list (TOML: `required` and one [[witness]] with name, url and key each).
    /// Default: STATE/witnesses.toml, if there is one; better kept outside the state, where
    /// restoring or editing the state cannot change it.
    #[arg(long, env = "WATERMARK_WITNESSES", value_name = "FILE")]
    pub witnesses: Option<PathBuf>,
}

/// Witness keys a checkpoint must carry cosignatures of.
#[derive(Debug, Args)]
pub struct WitnessKeysArg {
    /// A witness's verifier key (as `watermark witness init` prints it, or a file holding it);
    /// repeat for several. The checkpoint must carry valid cosignatures of --require of them.
    #[arg(long = "witness-key", value_name = "KEY")]
    pub witness_keys: Vec<String>,
    /// How many distinct witnesses of those given must have cosigned (default: all of them).
    #[arg(long, value_name = "K", requires = "witness_keys")]
    pub require: Option<usize>,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// Name of the issuance log and of its signing key, e.g. registry.example/extracts
    /// (no spaces, no '+'). Default: watermark/issuance/ and 16 random hex digits.
    #[arg(long, value_name = "NAME")]
    pub log_origin: Option<String>,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Formats: the input is CSV (UTF-8, UTF-16 or Windows-1252; copies keep its encoding, delimiter
and line ends), Parquet or Arrow IPC (file or stream), told by its first bytes. The
copies are in the input's format unless --format names another: OUT/ID.csv, OUT/ID.parquet,
OUT/ID.arrow (Arrow IPC file) or OUT/ID.arrows (Arrow IPC stream). A Parquet or Arrow copy has
the input's schema (names, types, nullability, metadata), row groups or batches, and codecs.
Across formats the input is converted once: CSV to Parquet or Arrow gives one nullable string
(Utf8) column per CSV column, each value as written; Parquet or Arrow to CSV writes each cell in
its text form (a null as an empty cell); Parquet and Arrow into each other keep the schema
(the issuance is refused if a type cannot be kept).

Each copy is logged (entry and signed checkpoint) before it gets its final name, OUT/ID.csv (or
.parquet, .arrow, .arrows); its receipt, OUT/ID.receipt, proves the entry offline
(`watermark log verify-receipt`). A run that was killed is completed or undone by the next one.

With witnesses (STATE/witnesses.toml, or --witnesses FILE), the log's checkpoint is submitted to
them before any slot is assigned: if one of them has cosigned a larger checkpoint of this log, or
another root at the same size, the state is an old backup or its log was cut back or forked, and
nothing is issued (exit status 4). After the copies are logged the new checkpoint is submitted and
the receipts carry the cosignatures; a witness that cannot be reached then is warned of, the copies
stand, and `watermark log witness` catches up.

An extract split into Parquet files (a directory of them, read in the order of their names) is
issued file by file: OUT/ID/ holds the recipient's files under the input's names, and
OUT/ID.manifest lists each file's BLAKE3, size and rows; the log records the manifests' digests.
With --cluster df://HOST:PORT the files are marked by a Ballista cluster's executors
(watermark-executor, each holding the master key in its own file); the copies are the same bytes.

Examples:
  watermark issue --state st --policy roll.toml roll.csv --to PAN --to PRI --out-dir copies/
  watermark issue --state st --policy roll.toml roll.parquet --to PAN --out-dir copies/
      # copies/PAN.parquet, with roll.parquet's schema
  watermark issue --state st --policy roll.toml roll.csv --format parquet --to PAN --out-dir copies/
  watermark issue --state st --policy roll.toml lake/roll/ --cluster df://10.0.0.5:50050 \\
      --to PAN --to PRI --out-dir copies/      # copies/PAN/*.parquet, copies/PAN.manifest")]
pub struct IssueArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// The marking policy (see `watermark policy suggest`).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,
    /// The extract to copy: CSV (the encoding, delimiter and line ends are detected and kept),
    /// Parquet, or Arrow IPC file or stream, told by its first bytes; or a directory of Parquet
    /// files, one extract split into files.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Issue on a Ballista cluster of watermark-executor processes, whose scheduler is at
    /// df://HOST:PORT; INPUT is then a directory of Parquet files the executors can read.
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
    /// A recipient id; repeat for several. Letters, digits, '.', '_' and '-'; ids that differ
    /// only in case (PAN, pan) are refused, as they name one file on macOS and Windows.
    #[arg(long = "to", value_name = "ID", required = true)]
    pub to: Vec<String>,
    /// Directory for the copies, written as OUT/ID.csv (or .parquet, .arrow, .arrows).
    #[arg(long, value_name = "OUT")]
    pub out_dir: PathBuf,
    /// The copies' format (default: the input's).
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FormatArg>,
    /// The text encoding of a CSV or JSON file, instead of telling it from its bytes (a
    /// byte-order mark, else UTF-8 if it is valid, else Windows-1252). Latin-1 is read as
    /// Windows-1252.
    #[arg(long, value_name = "ENCODING", value_parser = ["utf-8", "utf-16le", "utf-16be", "windows-1252", "latin-1"])]
    pub encoding: Option<String>,
    /// Replace copies that already exist in OUT.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub witnesses: WitnessesArg,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A copy format as `--format` names it: the
/// [`FileFormat`]s of `watermark-app`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// Delimited text: copies are named ID.csv
    Csv,
    /// Apache Parquet: copies are named ID.parquet
    Parquet,
    /// Arrow IPC file format (Feather v2): copies are named ID.arrow
    Arrow,
    /// Arrow IPC stream format: copies are named ID.arrows
    ArrowStream,
}

impl From<FormatArg> for FileFormat {
    fn from(f: FormatArg) -> FileFormat {
        match f {
            FormatArg::Csv => FileFormat::Csv,
            FormatArg::Parquet => FileFormat::Parquet,
            FormatArg::Arrow => FileFormat::Arrow,
            FormatArg::ArrowStream => FileFormat::ArrowStream,
        }
    }
}

#[derive(Debug, Args)]
#[command(
    after_help = "The report ranks every recipient who was issued a copy. A recipient is accused only\n\
when the chance that someone who did not leak would score as high is at most the threshold\n\
(the policy's, 1e-9 unless it says otherwise), counting every recipient compared.\n\n\
Each verification is recorded in the issuance log (who, when, the file's BLAKE3, the result;\n\
nothing from the file). The report lists the log entries of the accused's copies with their\n\
inclusion proofs against the latest signed checkpoint.\n\n\
The leaked file is read as it was received, told by its bytes: CSV or TSV in UTF-8, UTF-16\n\
(with a byte-order mark) or Windows-1252; an Excel (xlsx, xlsb, xls) or OpenDocument (ods)\n\
workbook, every sheet that has the policy's columns; JSON (an array of objects) or NDJSON;\n\
Parquet or Arrow IPC; a zip archive of them; any of them gzip- or zstd-compressed; `-` for\n\
standard input. A table without a header row is read with the extract's header when its\n\
content agrees. Cells are compared in their text form, whatever the format the copies were\n\
issued in. The log and the report keep the BLAKE3 of the bytes given and name what they were\n\
read as.\n\n\
Examples:\n  \
watermark verify --state st leaked.csv\n  \
watermark verify --state st padron.xlsx --lang es\n  \
curl -s https://example.invalid/dump.csv.gz | watermark verify --state st -\n  \
watermark verify --state st leaked.parquet --json > report.json\n  \
watermark verify --state st --master roll.parquet names-only.arrow"
)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// The leaked file as received, or - for standard input (any format above; any column
    /// order, any subset that keeps the identity, or with --master one that lacks it).
    #[arg(value_name = "LEAKED")]
    pub leaked: PathBuf,
    /// Verify on a Ballista cluster of watermark-executor processes, whose scheduler is at
    /// df://HOST:PORT; LEAKED is then a directory of Parquet files the executors can read.
    #[arg(long, value_name = "df://HOST:PORT")]
    pub cluster: Option<String>,
    /// Accuse only below this bound instead of the policy's threshold.
    #[arg(long, value_name = "P")]
    pub threshold: Option<f64>,
    /// Who is verifying, as recorded in the issuance log and the report: a person or an office
    /// answerable for the verification (1 to 64 characters). Required: give it here or configure
    /// it once in WATERMARK_INVESTIGATOR; the account name is not taken in its place.
    #[arg(long, env = "WATERMARK_INVESTIGATOR", value_name = "NAME")]
    pub investigator: Option<String>,
    /// The master extract the copies were made from (CSV, Parquet or Arrow IPC): match leak rows
    /// that lack identity columns to it on the columns that survived.
    #[arg(long, value_name = "FILE")]
    pub master: Option<PathBuf>,
    /// The text encoding of a CSV or JSON file, instead of telling it from its bytes (a
    /// byte-order mark, else UTF-8 if it is valid, else Windows-1252). Latin-1 is read as
    /// Windows-1252.
    #[arg(long, value_name = "ENCODING", value_parser = ["utf-8", "utf-16le", "utf-16be", "windows-1252", "latin-1"])]
    pub encoding: Option<String>,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write a signed HTML evidence report to FILE (never over an existing file), for
    /// anyone to check with `watermark report verify FILE --pubkey KEY`.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// With witnesses, the checkpoint after this verification is submitted to them, and the
    /// report carries their cosignatures.
    #[command(flatten)]
    pub witnesses: WitnessesArg,
}

#[derive(Debug, Subcommand)]
#[command(after_help = "\
The log keeps one line per issued copy and per verification, and a checkpoint signed with the
log's Ed25519 key after every entry (C2SP tlog-checkpoint and signed-note formats, RFC 6962
hashing). An auditor needs the state's log/ directory and the public key, not the master key.")]
pub enum LogCommand {
    /// List the entries and the latest signed checkpoint.
    Show(LogShowArgs),
    /// Recompute the tree from the entries and check every checkpoint and key file.
    Verify(LogVerifyArgs),
    /// Print a receipt proving that one entry is in the log.
    Prove(LogProveArgs),
    /// Check that the log extends an older signed checkpoint of it.
    Consistency(LogConsistencyArgs),
    /// Print the log's public key (a signed-note verifier key).
    Pubkey(LogPlainArgs),
    /// Print the latest signed checkpoint, to keep and compare with later ones.
    Checkpoint(LogPlainArgs),
    /// Check a receipt offline against the log's public key.
    VerifyReceipt(VerifyReceiptArgs),
    /// Submit the latest checkpoint to the state's witnesses and keep their cosignatures.
    Witness(LogWitnessArgs),
    /// Put back the checkpoints of entries that lost theirs, from a receipt or a saved checkpoint.
    Restore(LogRestoreArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
A log whose last entries lost their checkpoints (deleted, cut short, or restored from an
inconsistent backup) is damaged: log verify names the first such entry, and nothing is issued,
verified or logged until their checkpoints are back. Any signed checkpoint of the log made since
brings them back: the one in a copy's receipt (OUT/ID.receipt), the witnesses' cosigned
checkpoint (log/cosigned, or a witness's record), or one saved from `watermark log checkpoint`.
It must verify with the log's key and sign exactly the signed entries and the first unsigned
ones; their checkpoints are then signed again, byte for byte the ones that were lost.
Unsigned lines that no checkpoint signs are not genuine entries: find out who wrote them.

  watermark log restore --state st --from copies/MORENA.receipt")]
pub struct LogRestoreArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// A receipt (JSON with a \"checkpoint\"), or a file holding a signed checkpoint.
    #[arg(long, value_name = "FILE")]
    pub from: PathBuf,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

/// A log's public key: `NAME+ID+BASE64` or a file holding one.
#[derive(Debug, Args)]
pub struct PubkeyArg {
    /// Check against this public key (as `watermark log pubkey` prints it, or a file holding
    /// it) rather than the state's own log/verifier.key.
    #[arg(long, value_name = "KEY")]
    pub pubkey: Option<String>,
}

#[derive(Debug, Args)]
pub struct LogPlainArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LogShowArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Exit status 0 when every byte of log/entries, log/checkpoints and the key files checks out;
1 with the file, entry, line and byte of the first problem otherwise. What a killed append
left after the last checkpoint (and only that: the log's signed append intent must name it) is
reported, not counted: the next issue or verify removes it. An entry after the last checkpoint
that no append intent names lost its signature: that is an error, and nothing more is logged or
issued until log/checkpoints is restored.

With --witness-key, the latest checkpoint must also be cosigned (log/cosigned, kept by
`watermark log witness` and `watermark issue`) by --require of the witnesses given: exit
status 5 if it is not, or if the latest cosigned checkpoint is an older one.

Example:
  watermark log verify --state st --pubkey log.pub --witness-key wa.pub --witness-key wb.pub")]
pub struct LogVerifyArgs {
    #[command(flatten)]
    pub state: StateArg,
    #[command(flatten)]
    pub pubkey: PubkeyArg,
    #[command(flatten)]
    pub witness_keys: WitnessKeysArg,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "Example:\n  watermark log prove --state st 3 -o entry-3.receipt")]
pub struct LogProveArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// The entry: its index, or the BLAKE3 of an issued copy or a verified file.
    #[arg(value_name = "ENTRY")]
    pub entry: String,
    /// Also write the receipt (JSON) to FILE.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Print the receipt as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  watermark log checkpoint --state st > 2026-05.checkpoint   # keep it\n  watermark log consistency --state st 2026-05.checkpoint     # a month later"
)]
pub struct LogConsistencyArgs {
    #[command(flatten)]
    pub state: StateArg,
    /// A signed checkpoint saved earlier (`watermark log checkpoint`, or one from a receipt).
    #[arg(value_name = "OLD_CHECKPOINT")]
    pub old: PathBuf,
    #[command(flatten)]
    pub pubkey: PubkeyArg,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VerifyReceiptArgs {
    /// The receipt (OUT/ID.receipt, or `watermark log prove --json` output).
    #[arg(value_name = "RECEIPT")]
    pub receipt: PathBuf,
    /// The log's public key (as `watermark log pubkey` prints it, or a file holding it).
    #[arg(long, value_name = "KEY", required_unless_present = "state")]
    pub pubkey: Option<String>,
    /// Take the public key from this state directory's log/verifier.key instead.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Also check that this file is the copy the entry names (its BLAKE3).
    #[arg(long, value_name = "FILE")]
    pub copy: Option<PathBuf>,
    #[command(flatten)]
    pub witness_keys: WitnessKeysArg,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Each witness in the list (STATE/witnesses.toml, or --witnesses FILE) is sent the log's latest
checkpoint by the C2SP tlog-witness protocol (POST URL/add-checkpoint): first with the size it
was last seen to hold, and, if it holds another, again with a consistency proof from its size.
The cosigned checkpoint is kept in STATE/log/cosigned.

Exit status: 0 when at least `required` witnesses cosigned; 4 when a witness holds a larger
checkpoint of this log or another root at a size it holds (the state is an old backup, or the
log was cut back or forked: restore the latest log); 5 when fewer than `required` cosigned
(unreachable, or refusing for another reason: each is reported); 1 for other errors.

Example:
  watermark log witness --state st --witnesses /etc/watermark/witnesses.toml")]
pub struct LogWitnessArgs {
    #[command(flatten)]
    pub state: StateArg,
    #[command(flatten)]
    pub witnesses: WitnessesArg,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
#[command(after_help = "\
A witness keeps, for each log it witnesses, the latest checkpoint it cosigned, and cosigns a new
one only if a consistency proof shows that it extends that one (C2SP tlog-witness). Run one where
the registry's operators cannot change it: an auditor, a party, a court.

  watermark witness init --dir /srv/witness --name witness.example/w1   # prints its key
  watermark witness trust --dir /srv/witness LOG_PUBLIC_KEY             # `watermark log pubkey`
  watermark witness serve --dir /srv/witness --listen 0.0.0.0:8443")]
pub enum WitnessCommand {
    /// Create a witness: a new Ed25519 key (mode 0600) in DIR. Prints its verifier key.
    Init(WitnessInitArgs),
    /// Witness a log, given its public key (`watermark log pubkey` prints it).
    Trust(WitnessTrustArgs),
    /// Answer POST /add-checkpoint over HTTP until stopped.
    Serve(WitnessServeArgs),
}

#[derive(Debug, Args)]
pub struct WitnessDirArg {
    /// The witness's directory (its key, the logs it witnesses, what it cosigned).
    #[arg(long, env = "WATERMARK_WITNESS_DIR", value_name = "DIR")]
    pub dir: PathBuf,
}

#[derive(Debug, Args)]
pub struct WitnessInitArgs {
    #[command(flatten)]
    pub dir: WitnessDirArg,
    /// The witness's name, which its key and cosignatures carry, e.g. witness.example/w1
    /// (no spaces, no '+').
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct WitnessTrustArgs {
    #[command(flatten)]
    pub dir: WitnessDirArg,
    /// The log's public key, NAME+ID+BASE64 (its name is the log's origin), or a file holding it.
    #[arg(value_name = "LOG_VERIFIER_KEY")]
    pub log_key: String,
    /// Print a JSON document instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(after_help = "\
The first line printed is `Witness NAME listening on http://ADDRESS` (with --listen ...:0, the
port the system chose). Each request is reported on standard error. Put TLS in front of it (a
reverse proxy) when it is reached over a network. Stops on SIGINT or SIGTERM.

Answers, as C2SP tlog-witness specifies: 200 with the cosignature lines; 400 for a malformed
request; 403 if the checkpoint is not signed by the log's key; 404 for a log it does not witness;
409 with the size it holds (text/x.tlog.size) when the old size is not that size, or when the
checkpoint has that size and another root (a fork); 422 when the consistency proof fails.")]
pub struct WitnessServeArgs {
    #[command(flatten)]
    pub dir: WitnessDirArg,
    /// Address to listen on, e.g. 127.0.0.1:8080 (port 0: any free port).
    #[arg(long, value_name = "ADDR")]
    pub listen: String,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Infer a policy from an extract's content and print it as TOML.
    Suggest(SuggestArgs),
}

#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// The extract: CSV, Parquet, or Arrow IPC file or stream.
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,
    /// Use these identity columns instead of detecting one (repeat for a composite).
    #[arg(long, value_name = "COLUMN")]
    pub identity: Vec<String>,
    /// Rows to examine.
    #[arg(long, default_value_t = 10_000, value_name = "N")]
    pub rows: usize,
    /// Share of canary rows (synthetic people) in each copy, when a name column is found;
    /// at most 0.2.
    #[arg(long, default_value_t = watermark_core::DEFAULT_CANARY_RATE, value_name = "RATE",
          conflicts_with = "no_canaries")]
    pub canary_rate: f64,
    /// Suggest no canary rows.
    #[arg(long)]
    pub no_canaries: bool,
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
    /// What to generate: electoral-roll, pensioners, name-list, job-seekers or staff-roster.
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

#[derive(Debug, Subcommand)]
#[command(after_help = "\
`watermark verify --report FILE.html` writes a report: the conclusion, what was read, the method,
every recipient's score and bound, the evidence rows, the log entries of the verification and of
the accused's copies with their inclusion proofs, and the same data as JSON, signed with the
issuance log's Ed25519 key.")]
pub enum ReportCommand {
    /// Check a report's signature with the log's public key, and the log receipts it carries.
    Verify(ReportVerifyArgs),
}

#[derive(Debug, Args)]
#[command(after_help = "\
The key must come from outside the report: the public key printed inside it proves nothing by
itself, since whoever changed the report could change that too. Get it from the registry
(`watermark log pubkey --state STATE` prints it) or through its state directory.

Checked: the Ed25519 signature over the context line \"watermark evidence report v1\" and every
byte of the file before its last line (the signature line, which must be exactly the one the
key and signature give); then the signed checkpoint the report carries, each log receipt in it
(this verification's entry, the accused's copies' entries) against the key, and that the logged
verification is of the same file with the same accused. Any changed byte fails the check.

With --witness-key, the report's checkpoint must also carry valid cosignatures of --require of
the witnesses given (a report made with witnesses configured carries them).

Exit status: 0 when everything checks out; 3 when it does not (the message and --json say
what failed); 5 when it does but too few witnesses cosigned its checkpoint; 1 when the report,
the key or --leaked cannot be read; 2 for a wrong command line.

Example:
  watermark log pubkey --state st > log.pub                # the registry publishes this
  watermark verify --state st leak.csv --report leak-report.html
  watermark report verify leak-report.html --pubkey log.pub --leaked leak.csv")]
pub struct ReportVerifyArgs {
    /// The report (written by `watermark verify --report` or the verify service).
    #[arg(value_name = "REPORT")]
    pub report: PathBuf,
    /// The log's public key (as `watermark log pubkey` prints it, or a file holding it).
    #[arg(
        long,
        visible_alias = "public-key",
        value_name = "KEY",
        required_unless_present = "state",
        conflicts_with = "state"
    )]
    pub pubkey: Option<String>,
    /// Take the public key from this state directory's log/verifier.key instead.
    #[arg(long, value_name = "DIR")]
    pub state: Option<PathBuf>,
    /// Also check that FILE is the leaked file the report is about (same BLAKE3).
    #[arg(long, value_name = "FILE")]
    pub leaked: Option<PathBuf>,
    /// Once the report verifies, write the log receipts it carries to DIR/entry-N.receipt and its
    /// checkpoint to DIR/checkpoint (for `watermark log verify-receipt` and `log consistency`).
    #[arg(long, value_name = "DIR")]
    pub save_receipts: Option<PathBuf>,
    #[command(flatten)]
    pub witness_keys: WitnessKeysArg,
    /// Print a JSON document instead of text (also when the report does not verify).
    #[arg(long)]
    pub json: bool,
}
