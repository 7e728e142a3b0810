//! The command line's help in Spanish (es-MX, formal register).
//!
//! The definitions in [`crate::cli`] are in English and stay the source of
//! truth: `--help` in English, the completion scripts and the English man
//! pages come from them unchanged. [`command`] gives, for Spanish, the same
//! command with every text replaced by its Spanish one: each command's
//! `about`, `long_about` and `after_help`, each argument's help, the words
//! clap writes itself ("Usage:", "Options:", "[OPTIONS]", "Print help",
//! `[env: ...]`, `[default: ...]`, `[possible values: ...]`), and
//! [`Spanish`] writes clap's parse errors. The language is chosen before
//! clap parses ([`lang_of`]), as the rest of the output chooses it:
//! `--lang` wherever it is on the line, else `WATERMARK_LANG`, else the
//! locale.
//!
//! Texts are looked up by their English wording ([`TEXTS`]), so that an
//! argument added or reworded in English without its Spanish text is
//! found by the tests (`every_text_has_a_spanish_one`); the `after_help`
//! texts, long and command-specific, by command path ([`after_help`]).

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt::Write as _;

use clap::builder::{StyledStr, Styles};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command, CommandFactory as _, FromArgMatches as _};
use watermark_app::Lang;

use crate::cli::Cli;

/// The language of this run's help and parse errors, from the command line
/// (`args`, program name first) and the environment, decided before clap
/// parses: the last `--lang X` or `--lang=X` before a `--`, else
/// `WATERMARK_LANG` (`watermark_lang`), else `locale`. A value that names
/// no language is passed over (clap then refuses it, in the language of
/// what follows).
pub fn lang_of<I>(args: I, watermark_lang: Option<&str>, locale: Lang) -> Lang
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let mut given = None;
    let mut args = args.into_iter().map(Into::into).skip(1);
    while let Some(arg) = args.next() {
        let Some(arg) = arg.to_str().map(str::to_owned) else {
            continue;
        };
        if arg == "--" {
            break;
        }
        let value = if arg == "--lang" {
            args.next().and_then(|v| v.to_str().map(str::to_owned))
        } else {
            arg.strip_prefix("--lang=").map(str::to_owned)
        };
        if let Some(lang) = value.as_deref().and_then(Lang::parse) {
            given = Some(lang);
        }
    }
    given
        .or_else(|| watermark_lang.and_then(Lang::parse))
        .unwrap_or(locale)
}

/// [`lang_of`] with this process's arguments and environment.
pub fn lang_from_env() -> Lang {
    lang_of(
        std::env::args_os(),
        std::env::var("WATERMARK_LANG").ok().as_deref(),
        Lang::from_env(),
    )
}

/// Parses this process's arguments with the command in `lang`: as
/// [`clap::Parser::parse`] does in English, and in Spanish with the
/// Spanish help and errors. Help, version and errors end the process as
/// clap ends it (status 0, or 2 for a wrong command line).
pub fn parse(lang: Lang) -> Cli {
    if lang == Lang::En {
        return <Cli as clap::Parser>::parse();
    }
    let mut cmd = command(Lang::Es);
    let parsed = cmd
        .try_get_matches_from_mut(std::env::args_os())
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m).map_err(|e| e.format(&mut cmd)));
    match parsed {
        Ok(cli) => cli,
        Err(e) => e.apply::<Spanish>().exit(),
    }
}

/// The command line in a language: [`Cli::command`] itself in English.
pub fn command(lang: Lang) -> Command {
    let english = Cli::command();
    if lang == Lang::En {
        return english;
    }
    let mut translated = translate(english, "");
    // The usage lines as clap writes them for the Spanish command, with
    // its word for options.
    let mut built = translated.clone();
    built.build();
    let mut usages = HashMap::new();
    usage_lines(&mut built, "", &mut usages);
    translated = with_usage(translated, "", &usages);
    // clap adds the `help` subcommands when it builds the command.
    translated.build();
    help_subcommands(translated)
}

/// The Spanish text of an English one (an `about`, an argument's help, a
/// possible value's help), if there is one.
pub fn spanish(english: &str) -> Option<&'static str> {
    TEXTS
        .iter()
        .find(|(en, _)| *en == english)
        .map(|(_, es)| *es)
}

/// A command's `after_help` in Spanish, by its path (`""` for
/// `watermark`, `"log verify"`), if it has one.
pub fn after_help(path: &str) -> Option<&'static str> {
    AFTER_HELP
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, es)| *es)
}

const HELP_HEADING: &str = "Opciones";
const POSITIONAL_HEADING: &str = "Argumentos";

/// What clap writes itself, in Spanish.
const PRINT_HELP: &str = "Muestra la ayuda";
const PRINT_HELP_MORE: &str = "Muestra la ayuda (vea más con '--help')";
const PRINT_HELP_SUMMARY: &str = "Muestra la ayuda (vea un resumen con '-h')";
const PRINT_VERSION: &str = "Muestra la versión";
const HELP_SUBCOMMAND: &str = "Muestra este mensaje o la ayuda de los subcomandos indicados";

/// Whether clap shows a command's `--help` apart from its `-h` (as
/// `Command::long_help_exists` decides it).
fn has_long_help(cmd: &Command) -> bool {
    cmd.get_long_about().is_some()
        || cmd.get_after_long_help().is_some()
        || cmd.get_arguments().any(|a| {
            !a.is_hide_set()
                && (a.get_long_help().is_some()
                    || (!a.is_hide_possible_values_set()
                        && a.get_possible_values()
                            .iter()
                            .any(|v| v.get_help().is_some())))
        })
}

/// `cmd` (at `path`) and its subcommands in Spanish, but for their usage
/// lines and `help` subcommands.
fn translate(mut cmd: Command, path: &str) -> Command {
    let long = has_long_help(&cmd);
    if let Some(about) = cmd.get_about().map(ToString::to_string) {
        cmd = cmd.about(spanish(&about).unwrap_or_default());
    }
    if let Some(about) = cmd.get_long_about().map(ToString::to_string) {
        cmd = cmd.long_about(spanish(&about).unwrap_or_default());
    }
    if cmd.get_after_help().is_some() {
        cmd = cmd.after_help(after_help(path).unwrap_or_default());
    }
    let styles = Styles::styled();
    let usage = styles.get_usage();
    cmd = cmd
        .help_template(format!(
            "{{before-help}}{{about-with-newline}}\n{usage}Uso:{usage:#} {{usage}}\n\n{{all-args}}{{after-help}}"
        ))
        .subcommand_help_heading("Comandos")
        .subcommand_value_name("COMANDO")
        .disable_help_flag(true);

    // Positionals first: of two headings, the first an argument has is
    // shown first.
    let ids = |positional: bool| -> Vec<String> {
        cmd.get_arguments()
            .filter(|a| a.is_positional() == positional)
            .map(|a| a.get_id().to_string())
            .collect()
    };
    let (positionals, options) = (ids(true), ids(false));
    for (i, id) in positionals.iter().enumerate() {
        cmd = cmd.mut_arg(id, |a| {
            arg_in_spanish(a, long)
                .help_heading(POSITIONAL_HEADING)
                .display_order(i)
        });
    }
    for id in &options {
        cmd = cmd.mut_arg(id, |a| arg_in_spanish(a, long).help_heading(HELP_HEADING));
    }
    if path.is_empty() {
        cmd = cmd
            .mut_arg("lang", |a| a.value_parser(parse_lang))
            .disable_version_flag(true)
            .arg(
                Arg::new("version")
                    .short('V')
                    .long("version")
                    .action(ArgAction::Version)
                    .help(PRINT_VERSION)
                    .help_heading(HELP_HEADING)
                    .display_order(999),
            );
    }
    let help = Arg::new("help")
        .short('h')
        .long("help")
        .action(ArgAction::Help)
        .help_heading(HELP_HEADING)
        .display_order(999);
    cmd = cmd.arg(if long {
        help.help(PRINT_HELP_MORE).long_help(PRINT_HELP_SUMMARY)
    } else {
        help.help(PRINT_HELP)
    });

    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(&name, |s| translate(s, &sub_path));
    }
    cmd
}

/// `--lang` as [`crate::cli`] reads it, refusing in Spanish.
fn parse_lang(text: &str) -> Result<Lang, String> {
    Lang::parse(text).ok_or_else(|| format!("{text:?} no es un idioma: indique es o en"))
}

/// An argument's help in Spanish, with the notes clap would add in English
/// (environment variable, default, possible values) written in Spanish.
/// `long`: whether its command has a `--help` apart from `-h`.
fn arg_in_spanish(arg: Arg, long: bool) -> Arg {
    let Some(help_en) = arg.get_help().map(ToString::to_string) else {
        return arg;
    };
    let help = spanish(&help_en).unwrap_or_default().to_owned();
    let long_text = arg
        .get_long_help()
        .map(|l| spanish(&l.to_string()).unwrap_or_default().to_owned());
    let mut notes = Vec::new();
    let mut arg = arg;
    if let Some(env) = arg.get_env().map(|e| e.to_string_lossy().into_owned()) {
        if !arg.is_hide_env_set() {
            notes.push(format!("[variable de entorno: {env}]"));
            arg = arg.hide_env(true);
        }
    }
    // A flag's own values (true, false) are not shown.
    let takes_values = arg.get_action().takes_values();
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if takes_values && !defaults.is_empty() && !arg.is_hide_default_value_set() {
        notes.push(format!("[predeterminado: {}]", defaults.join(" ")));
        arg = arg.hide_default_value(true);
    }
    let values = arg.get_possible_values();
    let mut value_list = String::new();
    let mut value_note = None;
    if takes_values && !values.is_empty() && !arg.is_hide_possible_values_set() {
        let names: Vec<&str> = values.iter().map(|v| v.get_name()).collect();
        value_note = Some(format!("[valores posibles: {}]", names.join(", ")));
        if values.iter().any(|v| v.get_help().is_some()) {
            let width = names.iter().map(|n| n.len()).max().unwrap_or(0);
            value_list.push_str("\n\nValores posibles:");
            for v in &values {
                let text = v
                    .get_help()
                    .and_then(|h| spanish(&h.to_string()))
                    .unwrap_or_default();
                let name = format!("{}:", v.get_name());
                let _ = write!(value_list, "\n- {name:<w$} {text}", w = width + 1);
            }
        }
        arg = arg.hide_possible_values(true);
    }
    // In `-h`, the notes follow the help on its line; in `--help`, in a
    // paragraph of their own, and the values with their help as a list.
    let mut short_notes = notes.clone();
    short_notes.extend(value_note.clone());
    let short = join_notes(&help, &short_notes);
    // A global argument is copied into every subcommand with its help:
    // a long help of its own would make every `-h` a summary.
    if long && !arg.is_global_set() {
        let mut long_notes = notes;
        if value_list.is_empty() {
            long_notes.extend(value_note);
        }
        let body = format!("{}{value_list}", long_text.unwrap_or(help));
        let long_help = if long_notes.is_empty() {
            body
        } else {
            format!("{body}\n\n{}", long_notes.join("\n"))
        };
        arg.help(short).long_help(long_help)
    } else {
        arg.help(short)
    }
}

fn join_notes(help: &str, notes: &[String]) -> String {
    let mut text = help.to_owned();
    if !notes.is_empty() {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&notes.join(" "));
    }
    text
}

/// The usage line of each command of the built `cmd` (at `path`), without
/// its heading.
fn usage_lines(cmd: &mut Command, path: &str, out: &mut HashMap<String, String>) {
    let usage = cmd.render_usage().to_string();
    let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage);
    out.insert(path.to_owned(), usage.replace("[OPTIONS]", "[OPCIONES]"));
    for sub in cmd.get_subcommands_mut() {
        if sub.get_name() == "help" {
            continue;
        }
        let sub_path = if path.is_empty() {
            sub.get_name().to_owned()
        } else {
            format!("{path} {}", sub.get_name())
        };
        usage_lines(sub, &sub_path, out);
    }
}

fn with_usage(mut cmd: Command, path: &str, usages: &HashMap<String, String>) -> Command {
    if let Some(usage) = usages.get(path) {
        cmd = cmd.override_usage(usage.clone());
    }
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        let sub_path = if path.is_empty() {
            name.clone()
        } else {
            format!("{path} {name}")
        };
        cmd = cmd.mut_subcommand(&name, |s| with_usage(s, &sub_path, usages));
    }
    cmd
}

/// The `help` subcommands clap added in building `cmd`, described in
/// Spanish.
fn help_subcommands(mut cmd: Command) -> Command {
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    for name in names {
        cmd = if name == "help" {
            cmd.mut_subcommand(&name, |s| s.about(HELP_SUBCOMMAND))
        } else {
            cmd.mut_subcommand(&name, help_subcommands)
        };
    }
    cmd
}

/// clap's parse errors in Spanish: what is wrong, the usage line, and
/// where to read more, as clap's own formatter lays them out.
#[derive(Debug)]
pub struct Spanish;

impl clap::error::ErrorFormatter for Spanish {
    fn format_error(error: &clap::error::Error<Self>) -> StyledStr {
        let styles = Styles::styled();
        let (err, valid, invalid, literal) = (
            styles.get_error(),
            styles.get_valid(),
            styles.get_invalid(),
            styles.get_literal(),
        );
        let text = |kind| match error.get(kind) {
            Some(ContextValue::String(s)) => Some(s.clone()),
            _ => None,
        };
        let texts = |kind| match error.get(kind) {
            Some(ContextValue::Strings(s)) => s.clone(),
            Some(ContextValue::String(s)) => vec![s.clone()],
            _ => Vec::new(),
        };
        let number = |kind| match error.get(kind) {
            Some(ContextValue::Number(n)) => Some(*n),
            _ => None,
        };
        let arg = text(ContextKind::InvalidArg);
        let value = text(ContextKind::InvalidValue);
        let mut s = StyledStr::new();
        let _ = write!(s, "{err}error:{err:#} ");
        match error.kind() {
            ErrorKind::ArgumentConflict => {
                let arg = arg.unwrap_or_default();
                let prior = error.get(ContextKind::PriorArg);
                if prior == Some(&ContextValue::String(arg.clone())) {
                    let _ = write!(
                        s,
                        "el argumento '{invalid}{arg}{invalid:#}' no puede usarse más de una vez"
                    );
                } else {
                    let _ = write!(
                        s,
                        "el argumento '{invalid}{arg}{invalid:#}' no puede usarse junto con"
                    );
                    match prior {
                        Some(ContextValue::Strings(others)) => {
                            s.push_str(":");
                            for o in others {
                                let _ = write!(s, "\n  {invalid}{o}{invalid:#}");
                            }
                        }
                        Some(ContextValue::String(other)) => {
                            let _ = write!(s, " '{invalid}{other}{invalid:#}'");
                        }
                        _ => s.push_str(" otro de los argumentos indicados"),
                    }
                }
            }
            ErrorKind::NoEquals => {
                let _ = write!(
                    s,
                    "se requiere un signo igual para dar valores a '{invalid}{}{invalid:#}'",
                    arg.unwrap_or_default()
                );
            }
            ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
                let (arg, value) = (arg.unwrap_or_default(), value.unwrap_or_default());
                if value.is_empty() && error.kind() == ErrorKind::InvalidValue {
                    let _ = write!(
                        s,
                        "'{invalid}{arg}{invalid:#}' requiere un valor, pero no se indicó ninguno"
                    );
                } else {
                    let _ = write!(
                        s,
                        "valor no válido '{invalid}{value}{invalid:#}' para '{literal}{arg}{literal:#}'"
                    );
                }
                if let Some(source) = std::error::Error::source(error) {
                    let _ = write!(s, ": {}", source_in_spanish(&source.to_string()));
                }
                let values = texts(ContextKind::ValidValue);
                if !values.is_empty() {
                    let values: Vec<String> = values
                        .iter()
                        .map(|v| format!("{valid}{v}{valid:#}"))
                        .collect();
                    let _ = write!(s, "\n  [valores posibles: {}]", values.join(", "));
                }
            }
            ErrorKind::InvalidSubcommand => {
                let _ = write!(
                    s,
                    "subcomando no reconocido '{invalid}{}{invalid:#}'",
                    text(ContextKind::InvalidSubcommand).unwrap_or_default()
                );
            }
            ErrorKind::MissingRequiredArgument => {
                s.push_str("faltan los siguientes argumentos obligatorios:");
                for a in texts(ContextKind::InvalidArg) {
                    let _ = write!(s, "\n  {valid}{a}{valid:#}");
                }
            }
            ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = write!(
                    s,
                    "'{invalid}{}{invalid:#}' requiere un subcomando, pero no se indicó ninguno",
                    text(ContextKind::InvalidSubcommand).unwrap_or_default()
                );
                let subs: Vec<String> = texts(ContextKind::ValidSubcommand)
                    .iter()
                    .map(|v| format!("{valid}{v}{valid:#}"))
                    .collect();
                if !subs.is_empty() {
                    let _ = write!(s, "\n  [subcomandos: {}]", subs.join(", "));
                }
            }
            ErrorKind::TooManyValues => {
                let _ = write!(
                    s,
                    "valor inesperado '{invalid}{}{invalid:#}' para '{literal}{}{literal:#}'; no se esperaban más",
                    value.unwrap_or_default(),
                    arg.unwrap_or_default()
                );
            }
            ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
                let wanted = number(ContextKind::MinValues)
                    .or_else(|| number(ContextKind::ExpectedNumValues))
                    .unwrap_or_default();
                let _ = write!(
                    s,
                    "'{literal}{}{literal:#}' requiere {valid}{wanted}{valid:#} valores, pero se indicaron {invalid}{}{invalid:#}",
                    arg.unwrap_or_default(),
                    number(ContextKind::ActualNumValues).unwrap_or_default()
                );
            }
            ErrorKind::UnknownArgument => {
                let _ = write!(
                    s,
                    "argumento inesperado '{invalid}{}{invalid:#}'",
                    arg.unwrap_or_default()
                );
            }
            ErrorKind::InvalidUtf8 => s.push_str("un argumento no es UTF-8 válido"),
            _ => match std::error::Error::source(error) {
                Some(source) => {
                    let _ = write!(s, "{source}");
                }
                None => s.push_str("la línea de comandos no es válida"),
            },
        }
        let mut first = true;
        for (kind, what, whats) in [
            (
                ContextKind::SuggestedSubcommand,
                "un subcomando parecido",
                "subcomandos parecidos",
            ),
            (
                ContextKind::SuggestedArg,
                "un argumento parecido",
                "argumentos parecidos",
            ),
            (
                ContextKind::SuggestedValue,
                "un valor parecido",
                "valores parecidos",
            ),
        ] {
            let found = texts(kind);
            if found.is_empty() {
                continue;
            }
            s.push_str(if first { "\n\n" } else { "\n" });
            first = false;
            let quoted: Vec<String> = found
                .iter()
                .map(|f| format!("'{valid}{f}{valid:#}'"))
                .collect();
            let what = if found.len() == 1 { what } else { whats };
            let _ = write!(
                s,
                "  {valid}sugerencia:{valid:#} existe {what}: {}",
                quoted.join(", ")
            );
        }
        if let Some(ContextValue::StyledStrs(tips)) = error.get(ContextKind::Suggested) {
            if first {
                s.push_str("\n");
            }
            for tip in tips {
                let _ = write!(
                    s,
                    "\n  {valid}sugerencia:{valid:#} {}",
                    tip_in_spanish(&tip.to_string())
                );
            }
        }
        if let Some(ContextValue::StyledStr(usage)) = error.get(ContextKind::Usage) {
            let usage = usage.to_string();
            let usage = usage.strip_prefix("Usage: ").unwrap_or(&usage);
            let _ = write!(s, "\n\n{literal}Uso:{literal:#} {usage}");
        }
        let _ = write!(
            s,
            "\n\nPara más información, pruebe '{literal}--help{literal:#}'.\n"
        );
        s
    }
}

/// The reason a value parser gave, in Spanish when it is one of the
/// standard library's number parse errors.
fn source_in_spanish(reason: &str) -> String {
    match reason {
        "invalid digit found in string" => "no es un número entero".to_owned(),
        "invalid float literal" => "no es un número".to_owned(),
        "cannot parse integer from empty string" | "cannot parse float from empty string" => {
            "está vacío".to_owned()
        }
        "number too large to fit in target type" => "el número es demasiado grande".to_owned(),
        "number too small to fit in target type" => "el número es demasiado pequeño".to_owned(),
        other => other.to_owned(),
    }
}

/// clap's tip for a value that looks like a flag, in Spanish.
fn tip_in_spanish(tip: &str) -> String {
    // "to pass '-x' as a value, use '-- -x'"
    if let Some(rest) = tip.strip_prefix("to pass '") {
        if let Some((value, use_)) = rest.split_once("' as a value, use '") {
            return format!("para pasar '{value}' como valor, use '{use_}");
        }
    }
    tip.to_owned()
}

/// Spanish texts by their English wording: each command's `about` and
/// `long_about`, each argument's help, each possible value's help.
pub const TEXTS: &[(&str, &str)] = &[
    // ---- watermark ----
    (
        "Trace leaked registry extracts back to the recipient who leaked them",
        "Rastrea los extractos filtrados del registro hasta el destinatario que los filtró",
    ),
    (
        "Trace leaked registry extracts back to the recipient who leaked them.\n\n\
         Officials issue each recipient a copy with its own keyed fingerprint; investigators \
         attribute a leaked file with a rigorous bound on the chance of accusing an innocent \
         recipient.",
        "Rastrea los extractos filtrados del registro hasta el destinatario que los filtró.\n\n\
         Los funcionarios emiten para cada destinatario una copia con su propia huella, \
         derivada de una clave secreta; los investigadores atribuyen un archivo filtrado con una \
         cota rigurosa de la probabilidad de acusar a un destinatario inocente.",
    ),
    (
        "Print nothing but errors (and the --json document, if asked for)",
        "No imprime nada salvo los errores (y el documento --json, si lo pidió)",
    ),
    (
        "Language of the human output: es (Spanish, es-MX) or en (English). Default: the locale \
         (LC_ALL, then LC_MESSAGES, then LANG: Spanish when it starts with \"es\"), else English. \
         --json documents are the same in both languages",
        "Idioma de la salida para personas: es (español, es-MX) o en (inglés). Predeterminado: \
         el de la configuración regional (LC_ALL, luego LC_MESSAGES, luego LANG: español si \
         empieza con \"es\"); si no, inglés. Los documentos --json son iguales en ambos idiomas",
    ),
    // ---- Commands ----
    (
        "Create a state directory: a new master key and an empty signed issuance log",
        "Crea un directorio de estado: una clave maestra nueva y una bitácora de emisión \
         firmada, vacía",
    ),
    (
        "Write a fingerprinted copy of an extract for each recipient",
        "Escribe una copia con huella de un extracto para cada destinatario",
    ),
    (
        "Name the recipient(s) whose copy a leaked file came from",
        "Nombra al destinatario (o a los destinatarios) de cuya copia proviene un archivo filtrado",
    ),
    (
        "Audit the signed issuance log: show, verify, prove entries, compare checkpoints",
        "Audita la bitácora de emisión firmada: la muestra, la verifica, prueba entradas, \
         compara puntos de control",
    ),
    (
        "Check a signed evidence report (`watermark verify --report`) with the log's public key",
        "Comprueba un informe de evidencia firmado (`watermark verify --report`) con la clave \
         pública de la bitácora",
    ),
    (
        "Work with marking policies",
        "Trabaja con políticas de marcado",
    ),
    (
        "Run the whole story on a synthetic roll: issue, leak, verify",
        "Recorre el proceso completo con un padrón sintético: emisión, filtración, verificación",
    ),
    (
        "Write a synthetic extract, to try the tool or test a pipeline",
        "Escribe un extracto sintético, para probar la herramienta o un flujo de procesamiento",
    ),
    (
        "Run a witness: cosign other logs' checkpoints only if they extend the last ones it saw",
        "Opera un testigo: cofirma los puntos de control de otras bitácoras solo si extienden \
         los últimos que vio",
    ),
    (
        "Print a shell completion script: `watermark completions bash > \
         /etc/bash_completion.d/watermark`",
        "Imprime un script de autocompletado para el shell: `watermark completions bash > \
         /etc/bash_completion.d/watermark`",
    ),
    (
        "Print the man page (roff), or write one page per command into a directory",
        "Imprime la página de manual (roff), o escribe una página por comando en un directorio",
    ),
    // ---- Shared arguments ----
    (
        "The state directory (master key, policies, issuance log)",
        "El directorio de estado (clave maestra, políticas, bitácora de emisión)",
    ),
    (
        "Print a JSON document instead of text",
        "Imprime un documento JSON en lugar de texto",
    ),
    (
        "The witness list (TOML: `required` and one [[witness]] with name, url and key each). \
         Default: STATE/witnesses.toml, if there is one; better kept outside the state, where \
         restoring or editing the state cannot change it",
        "La lista de testigos (TOML: `required` y un [[witness]] con name, url y key para cada \
         uno). Predeterminado: STATE/witnesses.toml, si existe; conviene guardarla fuera del \
         estado, donde restaurar o editar el estado no pueda cambiarla",
    ),
    (
        "A witness's verifier key (as `watermark witness init` prints it, or a file holding it); \
         repeat for several. The checkpoint must carry valid cosignatures of --require of them",
        "La clave verificadora de un testigo (como la imprime `watermark witness init`, o un \
         archivo que la contenga); repítala para indicar varias. El punto de control debe llevar \
         cofirmas válidas de --require de ellas",
    ),
    (
        "How many distinct witnesses of those given must have cosigned (default: all of them)",
        "Cuántos testigos distintos, de los indicados, deben haber cofirmado (predeterminado: \
         todos)",
    ),
    (
        "The text encoding of a CSV or JSON file, instead of telling it from its bytes (a \
         byte-order mark, else UTF-8 if it is valid, else Windows-1252). Latin-1 is read as \
         Windows-1252",
        "La codificación de texto de un archivo CSV o JSON, en lugar de deducirla de sus bytes \
         (una marca de orden de bytes; si no, UTF-8 si es válido; si no, Windows-1252). Latin-1 \
         se lee como Windows-1252",
    ),
    (
        "Check against this public key (as `watermark log pubkey` prints it, or a file holding \
         it) rather than the state's own log/verifier.key",
        "Comprueba con esta clave pública (como la imprime `watermark log pubkey`, o un archivo \
         que la contenga) en lugar de la log/verifier.key del propio estado",
    ),
    (
        "The log's public key (as `watermark log pubkey` prints it, or a file holding it)",
        "La clave pública de la bitácora (como la imprime `watermark log pubkey`, o un archivo \
         que la contenga)",
    ),
    (
        "Take the public key from this state directory's log/verifier.key instead",
        "Toma en su lugar la clave pública de log/verifier.key de este directorio de estado",
    ),
    // ---- init ----
    (
        "Name of the issuance log and of its signing key, e.g. registry.example/extracts (no \
         spaces, no '+'). Default: watermark/issuance/ and 16 random hex digits",
        "Nombre de la bitácora de emisión y de su clave de firma, p. ej., \
         registry.example/extracts (sin espacios ni '+'). Predeterminado: watermark/issuance/ \
         seguido de 16 dígitos hexadecimales aleatorios",
    ),
    // ---- issue ----
    (
        "The marking policy (see `watermark policy suggest`)",
        "La política de marcado (vea `watermark policy suggest`)",
    ),
    (
        "The extract to copy: CSV (the encoding, delimiter and line ends are detected and kept), \
         Parquet, or Arrow IPC file or stream, told by its first bytes; or a directory of Parquet \
         files, one extract split into files",
        "El extracto que se copia: CSV (se detectan y conservan la codificación, el delimitador \
         y los finales de línea), Parquet, o archivo o flujo Arrow IPC, reconocido por sus \
         primeros bytes; o un directorio de archivos Parquet, un extracto dividido en archivos",
    ),
    (
        "A recipient id; repeat for several. Letters, digits, '.', '_' and '-'; ids that differ \
         only in case (PAN, pan) are refused, as they name one file on macOS and Windows",
        "El identificador de un destinatario; repítalo para indicar varios. Letras, dígitos, \
         '.', '_' y '-'; se rechazan los identificadores que solo difieren en mayúsculas y \
         minúsculas (PAN, pan), porque en macOS y Windows nombran un mismo archivo",
    ),
    (
        "Directory for the copies, written as OUT/ID.csv (or .parquet, .arrow, .arrows)",
        "Directorio para las copias, que se escriben como OUT/ID.csv (o .parquet, .arrow, \
         .arrows)",
    ),
    (
        "The copies' format (default: the input's)",
        "El formato de las copias (predeterminado: el de la entrada)",
    ),
    (
        "Delimited text: copies are named ID.csv",
        "Texto delimitado: las copias se llaman ID.csv",
    ),
    (
        "Apache Parquet: copies are named ID.parquet",
        "Apache Parquet: las copias se llaman ID.parquet",
    ),
    (
        "Arrow IPC file format (Feather v2): copies are named ID.arrow",
        "Formato de archivo Arrow IPC (Feather v2): las copias se llaman ID.arrow",
    ),
    (
        "Arrow IPC stream format: copies are named ID.arrows",
        "Formato de flujo Arrow IPC: las copias se llaman ID.arrows",
    ),
    (
        "Replace copies that already exist in OUT",
        "Reemplaza las copias que ya existan en OUT",
    ),
    (
        "Issue on a Ballista cluster of watermark-executor processes, whose scheduler is at df://HOST:PORT; INPUT is then a directory of Parquet files the executors can read",
        "Emite en un clúster Ballista de procesos watermark-executor, cuyo planificador está en df://HOST:PORT; INPUT es entonces un directorio de archivos Parquet que los nodos pueden leer",
    ),
    (
        "Verify on a Ballista cluster of watermark-executor processes, whose scheduler is at df://HOST:PORT; LEAKED is then a directory of Parquet files the executors can read",
        "Verifica en un clúster Ballista de procesos watermark-executor, cuyo planificador está en df://HOST:PORT; LEAKED es entonces un directorio de archivos Parquet que los nodos pueden leer",
    ),
    // ---- verify ----
    (
        "The leaked file as received, or - for standard input (any format above; any column \
         order, any subset that keeps the identity, or with --master one that lacks it)",
        "El archivo filtrado tal como se recibió, o - para la entrada estándar (cualquiera de \
         los formatos descritos abajo; columnas en cualquier orden, cualquier subconjunto que \
         conserve la identidad o, con --master, uno que carezca de ella)",
    ),
    (
        "Accuse only below this bound instead of the policy's threshold",
        "Acusa solo por debajo de esta cota, en lugar del umbral de la política",
    ),
    (
        "Who is verifying, as recorded in the issuance log and the report: a person or an office \
         answerable for the verification (1 to 64 characters). Required: give it here or \
         configure it once in WATERMARK_INVESTIGATOR; the account name is not taken in its place",
        "Quién verifica, tal como queda registrado en la bitácora de emisión y en el informe: \
         una persona o una oficina que responda por la verificación (de 1 a 64 caracteres). \
         Obligatorio: indíquelo aquí o configúrelo una sola vez en WATERMARK_INVESTIGATOR; el \
         nombre de la cuenta no se toma en su lugar",
    ),
    (
        "The master extract the copies were made from (CSV, Parquet or Arrow IPC): match leak \
         rows that lack identity columns to it on the columns that survived",
        "El extracto maestro del que se hicieron las copias (CSV, Parquet o Arrow IPC): las \
         filas filtradas que carecen de columnas de identidad se emparejan con él por las \
         columnas que se conservaron",
    ),
    (
        "Also write a signed HTML evidence report to FILE (never over an existing file), for \
         anyone to check with `watermark report verify FILE --pubkey KEY`",
        "Escribe además en FILE un informe de evidencia HTML firmado (nunca sobre un archivo \
         existente), que cualquiera puede comprobar con `watermark report verify FILE --pubkey \
         KEY`",
    ),
    // ---- log ----
    (
        "List the entries and the latest signed checkpoint",
        "Lista las entradas y el último punto de control firmado",
    ),
    (
        "Recompute the tree from the entries and check every checkpoint and key file",
        "Recalcula el árbol a partir de las entradas y comprueba cada punto de control y cada \
         archivo de clave",
    ),
    (
        "Print a receipt proving that one entry is in the log",
        "Imprime un recibo que prueba que una entrada está en la bitácora",
    ),
    (
        "Check that the log extends an older signed checkpoint of it",
        "Comprueba que la bitácora extiende un punto de control firmado anterior de ella misma",
    ),
    (
        "Print the log's public key (a signed-note verifier key)",
        "Imprime la clave pública de la bitácora (una clave verificadora de signed note)",
    ),
    (
        "Print the latest signed checkpoint, to keep and compare with later ones",
        "Imprime el último punto de control firmado, para guardarlo y compararlo con los \
         posteriores",
    ),
    (
        "Check a receipt offline against the log's public key",
        "Comprueba un recibo sin conexión, con la clave pública de la bitácora",
    ),
    (
        "Submit the latest checkpoint to the state's witnesses and keep their cosignatures",
        "Envía el último punto de control a los testigos del estado y guarda sus cofirmas",
    ),
    (
        "Put back the checkpoints of entries that lost theirs, from a receipt or a saved \
         checkpoint",
        "Restituye los puntos de control de las entradas que perdieron los suyos, a partir de \
         un recibo o de un punto de control guardado",
    ),
    (
        "The entry: its index, or the BLAKE3 of an issued copy or a verified file",
        "La entrada: su índice, o el BLAKE3 de una copia emitida o de un archivo verificado",
    ),
    (
        "Also write the receipt (JSON) to FILE",
        "Escribe además el recibo (JSON) en FILE",
    ),
    (
        "Print the receipt as JSON instead of text",
        "Imprime el recibo en JSON en lugar de texto",
    ),
    (
        "A signed checkpoint saved earlier (`watermark log checkpoint`, or one from a receipt)",
        "Un punto de control firmado que se guardó antes (`watermark log checkpoint`, o el de \
         un recibo)",
    ),
    (
        "The receipt (OUT/ID.receipt, or `watermark log prove --json` output)",
        "El recibo (OUT/ID.receipt, o la salida de `watermark log prove --json`)",
    ),
    (
        "Also check that this file is the copy the entry names (its BLAKE3)",
        "Comprueba además que este archivo es la copia que nombra la entrada (por su BLAKE3)",
    ),
    (
        "A receipt (JSON with a \\\"checkpoint\\\"), or a file holding a signed checkpoint",
        "Un recibo (JSON con un \"checkpoint\"), o un archivo que contenga un punto de control \
         firmado",
    ),
    // ---- report ----
    (
        "Check a report's signature with the log's public key, and the log receipts it carries",
        "Comprueba la firma de un informe con la clave pública de la bitácora, y los recibos de \
         la bitácora que contiene",
    ),
    (
        "The report (written by `watermark verify --report` or the verify service)",
        "El informe (escrito por `watermark verify --report` o por el servicio de verificación)",
    ),
    (
        "Also check that FILE is the leaked file the report is about (same BLAKE3)",
        "Comprueba además que FILE es el archivo filtrado del que trata el informe (el mismo \
         BLAKE3)",
    ),
    (
        "Once the report verifies, write the log receipts it carries to DIR/entry-N.receipt and \
         its checkpoint to DIR/checkpoint (for `watermark log verify-receipt` and `log \
         consistency`)",
        "Una vez verificado el informe, escribe los recibos de la bitácora que contiene en \
         DIR/entry-N.receipt y su punto de control en DIR/checkpoint (para `watermark log \
         verify-receipt` y `log consistency`)",
    ),
    (
        "Print a JSON document instead of text (also when the report does not verify)",
        "Imprime un documento JSON en lugar de texto (también cuando el informe no se verifica)",
    ),
    // ---- policy ----
    (
        "Infer a policy from an extract's content and print it as TOML",
        "Infiere una política a partir del contenido de un extracto y la imprime en TOML",
    ),
    (
        "The extract: CSV, Parquet, or Arrow IPC file or stream",
        "El extracto: CSV, Parquet, o archivo o flujo Arrow IPC",
    ),
    (
        "Use these identity columns instead of detecting one (repeat for a composite)",
        "Usa estas columnas de identidad en lugar de detectar una (repítala para una identidad \
         compuesta)",
    ),
    ("Rows to examine", "Filas que se examinan"),
    (
        "Share of canary rows (synthetic people) in each copy, when a name column is found; at \
         most 0.2",
        "Proporción de filas canario (personas sintéticas) en cada copia, cuando se encuentra \
         una columna de nombres; como máximo 0.2",
    ),
    ("Suggest no canary rows", "No sugiere filas canario"),
    (
        "Write the policy to FILE instead of standard output",
        "Escribe la política en FILE en lugar de la salida estándar",
    ),
    (
        "Print a JSON document (policy and per-column reasons) instead of TOML",
        "Imprime un documento JSON (la política y las razones de cada columna) en lugar de TOML",
    ),
    // ---- demo, synth ----
    ("Rows in the synthetic roll", "Filas del padrón sintético"),
    (
        "Parties that receive a copy",
        "Partidos que reciben una copia",
    ),
    ("Rows in the leaked sample", "Filas de la muestra filtrada"),
    (
        "Seed for the synthetic roll and the choice of leak",
        "Semilla del padrón sintético y de la elección de la filtración",
    ),
    (
        "Keep the demo's files in DIR instead of a temporary directory",
        "Guarda los archivos de la demostración en DIR en lugar de un directorio temporal",
    ),
    (
        "What to generate: electoral-roll, pensioners, name-list, job-seekers or staff-roster",
        "Qué se genera: electoral-roll, pensioners, name-list, job-seekers o staff-roster",
    ),
    ("Data rows", "Filas de datos"),
    (
        "Seed; the same seed gives the same bytes",
        "Semilla; la misma semilla da los mismos bytes",
    ),
    (
        "Write to FILE instead of standard output",
        "Escribe en FILE en lugar de la salida estándar",
    ),
    // ---- witness ----
    (
        "Create a witness: a new Ed25519 key (mode 0600) in DIR. Prints its verifier key",
        "Crea un testigo: una clave Ed25519 nueva (modo 0600) en DIR. Imprime su clave \
         verificadora",
    ),
    (
        "Witness a log, given its public key (`watermark log pubkey` prints it)",
        "Atestigua una bitácora, dada su clave pública (la imprime `watermark log pubkey`)",
    ),
    (
        "Answer POST /add-checkpoint over HTTP until stopped",
        "Responde a POST /add-checkpoint por HTTP hasta que se le detenga",
    ),
    (
        "The witness's directory (its key, the logs it witnesses, what it cosigned)",
        "El directorio del testigo (su clave, las bitácoras que atestigua, lo que cofirmó)",
    ),
    (
        "The witness's name, which its key and cosignatures carry, e.g. witness.example/w1 (no \
         spaces, no '+')",
        "El nombre del testigo, que llevan su clave y sus cofirmas, p. ej., witness.example/w1 \
         (sin espacios ni '+')",
    ),
    (
        "The log's public key, NAME+ID+BASE64 (its name is the log's origin), or a file holding \
         it",
        "La clave pública de la bitácora, NAME+ID+BASE64 (su nombre es el origen de la \
         bitácora), o un archivo que la contenga",
    ),
    (
        "Address to listen on, e.g. 127.0.0.1:8080 (port 0: any free port)",
        "Dirección en la que escucha, p. ej., 127.0.0.1:8080 (puerto 0: cualquier puerto libre)",
    ),
    // ---- completions, man ----
    (
        "The shell to complete for",
        "El shell para el que se genera el autocompletado",
    ),
    (
        "Write watermark.1 and one page per subcommand (watermark-verify.1, \
         watermark-log-show.1, ...) into DIR instead of printing watermark.1",
        "Escribe watermark.1 y una página por subcomando (watermark-verify.1, \
         watermark-log-show.1, ...) en DIR en lugar de imprimir watermark.1",
    ),
];

/// Each command's `after_help` in Spanish, by command path.
pub const AFTER_HELP: &[(&str, &str)] = &[
    (
        "",
        "\
Estado de salida:
  0  el comando cumplió su tarea (en verify: el análisis se realizó, se acuse o no a alguien;
     en report verify: la firma del informe y todo lo que contiene son válidos)
  1  no pudo hacerlo: falta un archivo o no se puede leer, la entrada es incorrecta, falló una
     operación de E/S (el mensaje indica el archivo, la fila y la columna)
  2  la línea de comandos es incorrecta
  3  report verify: el informe no se verifica con la clave indicada (se modificó alguno de sus
     bytes, no está firmado o lo firmó otra clave, falla un recibo que contiene, o --leaked es
     otro archivo)
  4  el estado está atrasado respecto a sus testigos o se bifurcó de lo que vieron: un testigo
     cofirmó un punto de control mayor de esta bitácora, u otra raíz del mismo tamaño (issue se
     niega; log witness lo indica)
  5  muy pocas cofirmas de testigos: log verify, verify-receipt o report verify con --require K
     encontró menos de K válidas de las claves de --witness-key; issue o log witness obtuvo
     menos de las que exige la lista de testigos
  6  manipulación: la bitácora de emisión no se verifica (se modificó, recortó o eliminó una
     entrada, un punto de control, una firma o un archivo de clave), o cambió después de la
     emisión una política o una lista de canarios que la bitácora vincula; todo comando que lee
     la bitácora se niega a continuar",
    ),
    (
        "issue",
        "\
Formatos: la entrada es CSV (UTF-8, UTF-16 o Windows-1252; las copias conservan su
codificación, su delimitador y sus finales de línea), Parquet o Arrow IPC (archivo o flujo),
reconocida por sus primeros bytes. Las copias quedan en el formato de la entrada, salvo que
--format indique otro: OUT/ID.csv, OUT/ID.parquet, OUT/ID.arrow (archivo Arrow IPC) u
OUT/ID.arrows (flujo Arrow IPC). Una copia Parquet o Arrow tiene el esquema de la entrada
(nombres, tipos, nulabilidad, metadatos), sus grupos de filas o lotes y sus códecs. Entre
formatos, la entrada se convierte una sola vez: de CSV a Parquet o Arrow se obtiene una columna
de texto (Utf8) que admite nulos por cada columna del CSV, cada valor tal como está escrito; de
Parquet o Arrow a CSV se escribe cada celda en su forma de texto (un nulo, como celda vacía);
entre Parquet y Arrow se conserva el esquema (la emisión se rechaza si un tipo no puede
conservarse).

Cada copia se registra en la bitácora (entrada y punto de control firmado) antes de recibir su
nombre definitivo, OUT/ID.csv (o .parquet, .arrow, .arrows); su recibo, OUT/ID.receipt, prueba
la entrada sin conexión (`watermark log verify-receipt`). Una ejecución interrumpida se completa
o se deshace en la siguiente.

Con testigos (STATE/witnesses.toml, o --witnesses FILE), el punto de control de la bitácora se
les envía antes de asignar cualquier posición: si alguno de ellos cofirmó un punto de control
mayor de esta bitácora, u otra raíz del mismo tamaño, el estado es un respaldo antiguo o su
bitácora se recortó o se bifurcó, y no se emite nada (estado de salida 4). Una vez registradas
las copias, se envía el nuevo punto de control y los recibos llevan las cofirmas; si entonces no
se puede contactar a un testigo, se advierte, las copias se mantienen y `watermark log witness`
lo pone al día.

Un extracto dividido en archivos Parquet (un directorio de ellos, leídos en el orden de sus
nombres) se emite archivo por archivo: OUT/ID/ contiene los archivos del destinatario con los
nombres de la entrada, y OUT/ID.manifest lista el BLAKE3, el tamaño y las filas de cada archivo;
la bitácora registra los resúmenes de los manifiestos. Con --cluster df://HOST:PORT los archivos
los marcan los nodos de un clúster Ballista (watermark-executor, cada uno con la llave maestra en
su propio archivo); las copias son los mismos bytes.

Ejemplos:
  watermark issue --state st --policy roll.toml roll.csv --to PAN --to PRI --out-dir copies/
  watermark issue --state st --policy roll.toml roll.parquet --to PAN --out-dir copies/
      # copies/PAN.parquet, con el esquema de roll.parquet
  watermark issue --state st --policy roll.toml roll.csv --format parquet --to PAN --out-dir copies/
  watermark issue --state st --policy roll.toml lake/roll/ --cluster df://10.0.0.5:50050 \\
      --to PAN --to PRI --out-dir copies/      # copies/PAN/*.parquet, copies/PAN.manifest",
    ),
    (
        "verify",
        "\
El informe ordena a todos los destinatarios que recibieron una copia. Se acusa a un
destinatario solo cuando la probabilidad de que alguien que no filtró obtenga una puntuación
igual de alta es a lo sumo el umbral (el de la política, 1e-9 salvo que indique otro), tomando
en cuenta a todos los destinatarios comparados.

Cada verificación queda registrada en la bitácora de emisión (quién, cuándo, el BLAKE3 del
archivo, el resultado; nada del contenido del archivo). El informe enumera las entradas de la
bitácora de las copias de los acusados, con sus pruebas de inclusión respecto del último punto
de control firmado.

El archivo filtrado se lee tal como se recibió, reconocido por sus bytes: CSV o TSV en UTF-8,
UTF-16 (con marca de orden de bytes) o Windows-1252; un libro de Excel (xlsx, xlsb, xls) u
OpenDocument (ods), cada hoja que tenga las columnas de la política; JSON (un arreglo de
objetos) o NDJSON; Parquet o Arrow IPC; un archivo zip que los contenga; cualquiera de ellos
comprimido con gzip o zstd; `-` para la entrada estándar. Una tabla sin fila de encabezado se
lee con el encabezado del extracto cuando su contenido coincide. Las celdas se comparan en su
forma de texto, sea cual sea el formato en que se emitieron las copias. La bitácora y el
informe guardan el BLAKE3 de los bytes recibidos e indican como qué se leyeron.

Ejemplos:
  watermark verify --state st leaked.csv
  watermark verify --state st padron.xlsx --lang es
  curl -s https://example.invalid/dump.csv.gz | watermark verify --state st -
  watermark verify --state st leaked.parquet --json > report.json
  watermark verify --state st --master roll.parquet names-only.arrow",
    ),
    (
        "log",
        "\
La bitácora guarda una línea por cada copia emitida y por cada verificación, y después de cada
entrada un punto de control firmado con la clave Ed25519 de la bitácora (formatos C2SP
tlog-checkpoint y signed-note, hashes de RFC 6962). Un auditor necesita el directorio log/ del
estado y la clave pública, no la clave maestra.",
    ),
    (
        "log restore",
        "\
Una bitácora cuyas últimas entradas perdieron sus puntos de control (borrados, truncados o
restaurados de un respaldo incongruente) está dañada: log verify nombra la primera de esas
entradas, y no se emite, verifica ni registra nada hasta que sus puntos de control se
restituyan. Los restituye cualquier punto de control firmado de la bitácora hecho desde
entonces: el del recibo de una copia (OUT/ID.receipt), el punto de control cofirmado por los
testigos (log/cosigned, o el registro de un testigo), o uno guardado con
`watermark log checkpoint`. Debe verificarse con la clave de la bitácora y firmar exactamente
las entradas firmadas y las primeras sin firma; sus puntos de control se vuelven a firmar
entonces, byte por byte iguales a los que se perdieron. Las líneas sin firma que ningún punto de
control firma no son entradas auténticas: averigüe quién las escribió.

  watermark log restore --state st --from copies/MORENA.receipt",
    ),
    (
        "log verify",
        "\
Estado de salida 0 cuando cada byte de log/entries, de log/checkpoints y de los archivos de
clave es correcto; 1 en caso contrario, con el archivo, la entrada, la línea y el byte del
primer problema. Lo que una escritura interrumpida dejó después del último punto de control (y
solo eso: la intención de escritura firmada de la bitácora debe nombrarlo) se informa, pero no
se cuenta: la siguiente ejecución de issue o verify lo elimina. Una entrada posterior al último
punto de control que ninguna intención de escritura nombra perdió su firma: eso es un error, y
no se registra ni se emite nada más hasta que se restaure log/checkpoints.

Con --witness-key, el último punto de control debe estar además cofirmado (log/cosigned, que
mantienen `watermark log witness` y `watermark issue`) por --require de los testigos indicados:
estado de salida 5 si no lo está, o si el último punto de control cofirmado es uno anterior.

Ejemplo:
  watermark log verify --state st --pubkey log.pub --witness-key wa.pub --witness-key wb.pub",
    ),
    (
        "log prove",
        "Ejemplo:\n  watermark log prove --state st 3 -o entry-3.receipt",
    ),
    (
        "log consistency",
        "Ejemplo:\n  watermark log checkpoint --state st > 2026-05.checkpoint   # guárdelo\n  \
         watermark log consistency --state st 2026-05.checkpoint     # un mes después",
    ),
    (
        "log witness",
        "\
A cada testigo de la lista (STATE/witnesses.toml, o --witnesses FILE) se le envía el último
punto de control de la bitácora mediante el protocolo C2SP tlog-witness (POST
URL/add-checkpoint): primero con el tamaño que se le vio guardar la última vez y, si guarda
otro, de nuevo con una prueba de consistencia desde su tamaño. El punto de control cofirmado se
guarda en STATE/log/cosigned.

Estado de salida: 0 cuando cofirmaron al menos `required` testigos; 4 cuando un testigo guarda
un punto de control mayor de esta bitácora u otra raíz en un tamaño que guarda (el estado es un
respaldo antiguo, o la bitácora se recortó o se bifurcó: restaure la bitácora más reciente); 5
cuando cofirmaron menos de `required` (inalcanzables, o que se niegan por otra razón: se informa
de cada uno); 1 para otros errores.

Ejemplo:
  watermark log witness --state st --witnesses /etc/watermark/witnesses.toml",
    ),
    (
        "witness",
        "\
Un testigo guarda, de cada bitácora que atestigua, el último punto de control que cofirmó, y
cofirma uno nuevo solo si una prueba de consistencia muestra que extiende ese (C2SP
tlog-witness). Opérelo donde los operadores del registro no puedan cambiarlo: un auditor, un
partido, un tribunal.

  watermark witness init --dir /srv/witness --name witness.example/w1   # imprime su clave
  watermark witness trust --dir /srv/witness LOG_PUBLIC_KEY             # `watermark log pubkey`
  watermark witness serve --dir /srv/witness --listen 0.0.0.0:8443",
    ),
    (
        "witness serve",
        "\
La primera línea que imprime es `Witness NAME listening on http://ADDRESS` (con --listen ...:0,
el puerto que eligió el sistema). Cada solicitud se informa en la salida de error estándar.
Ponga TLS delante (un proxy inverso) cuando se acceda a él por una red. Se detiene con SIGINT o
SIGTERM.

Respuestas, como lo especifica C2SP tlog-witness: 200 con las líneas de cofirma; 400 para una
solicitud mal formada; 403 si el punto de control no está firmado con la clave de la bitácora;
404 para una bitácora que no atestigua; 409 con el tamaño que guarda (text/x.tlog.size) cuando
el tamaño anterior no es ese, o cuando el punto de control tiene ese tamaño y otra raíz (una
bifurcación); 422 cuando falla la prueba de consistencia.",
    ),
    (
        "report",
        "\
`watermark verify --report FILE.html` escribe un informe: la conclusión, lo que se leyó, el
método, la puntuación y la cota de cada destinatario, las filas de evidencia, las entradas de la
bitácora de la verificación y de las copias de los acusados con sus pruebas de inclusión, y los
mismos datos en JSON, todo firmado con la clave Ed25519 de la bitácora de emisión.",
    ),
    (
        "report verify",
        "\
La clave debe venir de fuera del informe: la clave pública impresa dentro de él no prueba nada
por sí misma, pues quien modificó el informe podría haberla cambiado también. Obténgala del
registro (`watermark log pubkey --state STATE` la imprime) o de su directorio de estado.

Se comprueba: la firma Ed25519 sobre la línea de contexto \"watermark evidence report v1\" y
cada byte del archivo antes de su última línea (la línea de firma, que debe ser exactamente la
que dan la clave y la firma); luego el punto de control firmado que lleva el informe, cada
recibo de la bitácora que contiene (la entrada de esta verificación, las entradas de las copias
de los acusados) con la clave, y que la verificación registrada sea del mismo archivo con los
mismos acusados. Cualquier byte modificado hace fallar la comprobación.

Con --witness-key, el punto de control del informe debe llevar además cofirmas válidas de
--require de los testigos indicados (un informe hecho con testigos configurados las lleva).

Estado de salida: 0 cuando todo es correcto; 3 cuando no lo es (el mensaje y --json indican qué
falló); 5 cuando lo es, pero muy pocos testigos cofirmaron su punto de control; 1 cuando no se
puede leer el informe, la clave o --leaked; 2 para una línea de comandos incorrecta.

Ejemplo:
  watermark log pubkey --state st > log.pub                # el registro publica esta clave
  watermark verify --state st leak.csv --report leak-report.html
  watermark report verify leak-report.html --pubkey log.pub --leaked leak.csv",
    ),
    (
        "completions",
        "\
Ejemplos:
  watermark completions bash | sudo tee /usr/share/bash-completion/completions/watermark
  watermark completions zsh > ~/.zfunc/_watermark
  watermark completions fish > ~/.config/fish/completions/watermark.fish",
    ),
    (
        "man",
        "\
Ejemplos:
  watermark man | man -l -
  sudo watermark man --dir /usr/local/share/man/man1   # watermark.1, watermark-verify.1, ...",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every English text of `cmd` (at `path`): (where, English, Spanish).
    fn pairs(cmd: &Command, path: &str, out: &mut Vec<(String, String, Option<String>)>) {
        let mut text = |what: String, en: Option<String>| {
            if let Some(en) = en {
                let es = spanish(&en).map(str::to_owned);
                out.push((what, en, es));
            }
        };
        text(
            format!("{path:?} about"),
            cmd.get_about().map(|s| s.to_string()),
        );
        text(
            format!("{path:?} long_about"),
            cmd.get_long_about().map(|s| s.to_string()),
        );
        for arg in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            let id = arg.get_id();
            text(
                format!("{path:?} {id}"),
                arg.get_help().map(|s| s.to_string()),
            );
            text(
                format!("{path:?} {id} (long)"),
                arg.get_long_help().map(|s| s.to_string()),
            );
            for v in arg.get_possible_values() {
                text(
                    format!("{path:?} {id}={}", v.get_name()),
                    v.get_help().map(|s| s.to_string()),
                );
            }
        }
        if let Some(en) = cmd.get_after_help() {
            out.push((
                format!("{path:?} after_help"),
                en.to_string(),
                after_help(path).map(str::to_owned),
            ));
        }
        for sub in cmd.get_subcommands() {
            let sub_path = if path.is_empty() {
                sub.get_name().to_owned()
            } else {
                format!("{path} {}", sub.get_name())
            };
            pairs(sub, &sub_path, out);
        }
    }

    fn all_pairs() -> Vec<(String, String, Option<String>)> {
        let mut out = Vec::new();
        pairs(&Cli::command(), "", &mut out);
        out
    }

    /// A command, argument or value added or reworded in English without
    /// its Spanish text fails here.
    #[test]
    fn every_text_has_a_spanish_one() {
        let missing: Vec<String> = all_pairs()
            .into_iter()
            .filter(|(_, _, es)| es.is_none())
            .map(|(what, en, _)| format!("{what}: {en:?}"))
            .collect();
        assert!(
            missing.is_empty(),
            "no Spanish text (add it to help_es::TEXTS or AFTER_HELP):\n{}",
            missing.join("\n")
        );
    }

    /// No Spanish text is left over from an English one that changed.
    #[test]
    fn every_spanish_text_is_used() {
        let pairs = all_pairs();
        for (en, _) in TEXTS {
            assert!(
                pairs.iter().any(|(_, e, _)| e == en),
                "TEXTS has an English text no command has: {en:?}"
            );
        }
        for (path, _) in AFTER_HELP {
            assert!(
                pairs
                    .iter()
                    .any(|(w, _, _)| *w == format!("{path:?} after_help")),
                "AFTER_HELP has a command with no after_help: {path:?}"
            );
        }
    }

    /// Flags, exit statuses and example command lines are the same in
    /// both languages: a translation that drops or misspells one, or an
    /// English text that gained one, fails here.
    #[test]
    fn the_spanish_texts_name_the_same_flags_statuses_and_examples() {
        fn flags(text: &str) -> std::collections::BTreeSet<String> {
            text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|w| w.starts_with("--") && w.len() > 2)
                .map(str::to_owned)
                .collect()
        }
        fn statuses(text: &str) -> Vec<String> {
            text.lines()
                .filter(|l| l.len() > 4 && l.starts_with("  ") && l[2..3].parse::<u8>().is_ok())
                .map(|l| l[..5].to_owned())
                .collect()
        }
        fn examples(text: &str) -> Vec<String> {
            text.lines()
                .map(|l| l.split("  #").next().unwrap_or("").trim_end())
                .filter(|l| l.trim_start().starts_with("watermark ") || l.contains("| watermark"))
                .map(str::to_owned)
                .collect()
        }
        for (what, en, es) in all_pairs() {
            let es = es.unwrap_or_default();
            assert_eq!(flags(&en), flags(&es), "{what}");
            assert_eq!(statuses(&en), statuses(&es), "{what}");
            assert_eq!(examples(&en), examples(&es), "{what}");
        }
    }

    #[test]
    fn the_language_is_decided_before_parsing() {
        let es = |args: &[&str], env: Option<&str>, locale: Lang| {
            let args = std::iter::once("watermark").chain(args.iter().copied());
            lang_of(args, env, locale)
        };
        assert_eq!(es(&["verify", "--help"], None, Lang::En), Lang::En);
        assert_eq!(es(&["verify", "--help"], None, Lang::Es), Lang::Es);
        assert_eq!(
            es(&["verify", "--help", "--lang", "es"], None, Lang::En),
            Lang::Es
        );
        assert_eq!(es(&["--lang=es_MX", "verify"], None, Lang::En), Lang::Es);
        assert_eq!(es(&["--lang", "en", "-h"], Some("es"), Lang::Es), Lang::En);
        assert_eq!(es(&["-h"], Some("es"), Lang::En), Lang::Es);
        assert_eq!(es(&["-h"], Some("en"), Lang::Es), Lang::En);
        // Not a language, or after `--`: the environment decides.
        assert_eq!(es(&["--lang", "fr", "-h"], None, Lang::Es), Lang::Es);
        assert_eq!(es(&["-h"], Some(""), Lang::Es), Lang::Es);
        assert_eq!(
            es(&["verify", "--", "--lang", "es"], None, Lang::En),
            Lang::En
        );
    }

    /// The Spanish command passes clap's own checks and parses what the
    /// English one parses, into the same arguments.
    #[test]
    fn the_spanish_command_parses_as_the_english_one() {
        let es = command(Lang::Es);
        es.clone().debug_assert();
        let line = [
            "watermark",
            "verify",
            "--state",
            "st",
            "leak.csv",
            "--threshold",
            "1e-6",
            "--lang",
            "es",
        ];
        let m = es.clone().try_get_matches_from(line).unwrap();
        let cli = Cli::from_arg_matches(&m).unwrap();
        let english = <Cli as clap::Parser>::try_parse_from(line).unwrap();
        assert_eq!(format!("{cli:?}"), format!("{english:?}"));
        let err = es
            .try_get_matches_from(["watermark", "verify"])
            .unwrap_err();
        assert_eq!(err.exit_code(), 2);
        let text = err.apply::<Spanish>().render().to_string();
        assert!(
            text.contains("faltan los siguientes argumentos obligatorios"),
            "{text}"
        );
        assert!(text.contains("Uso: watermark verify"), "{text}");
    }
}
