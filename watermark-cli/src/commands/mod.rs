//! One module per subcommand. Each resolves its arguments into settings and
//! returns a serialisable result; printing goes through [`Printer`]. The
//! workflows `issue` and `verify` run in `watermark-app`: their modules
//! here only turn arguments into the workflows' settings, and [`run`]
//! prints what they return (for `verify`, with the witness round trips
//! around it and the signed report after it). [`keys`] reads the keys the
//! auditing commands are given.

pub mod demo;
pub mod init;
pub mod install;
pub mod issue;
pub mod keys;
pub mod log;
pub mod policy;
pub mod report;
pub mod synth;
pub mod verify;
pub mod witness;

use crate::cli::{Cli, Command, PolicyCommand};
use crate::output::Printer;

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let quiet = cli.quiet;
    crate::output::set_lang(cli.lang.unwrap_or_else(watermark_app::Lang::from_env));
    let lang = crate::output::lang();
    match cli.command {
        Command::Init(a) => init::run(
            &a.state.state,
            a.log_origin.as_deref(),
            Printer {
                json: a.json,
                quiet,
            },
        ),
        Command::Issue(a) => {
            let printer = Printer {
                json: a.json,
                quiet,
            };
            let report = if issue::split(&a)? {
                let runner = a
                    .cluster
                    .as_deref()
                    .map(watermark_cluster::ClusterRunner::new)
                    .transpose()?;
                watermark_app::split::issue(
                    &watermark_app::split::Settings::from(a),
                    runner
                        .as_ref()
                        .map(|r| r as &dyn watermark_app::split::SplitRunner),
                    printer,
                )?
            } else {
                watermark_app::issue::run(&watermark_app::issue::Settings::from(a), printer)?
            };
            printer.text(&report.to_text_in(lang))?;
            printer.json(&report)?;
            Ok(())
        }
        Command::Verify(a) => {
            let printer = Printer {
                json: a.json,
                quiet,
            };
            let signed = a.report.clone();
            // Before verifying, so that a verification is not logged for a
            // report that cannot be written or signed.
            let signer = match &signed {
                Some(path) => {
                    watermark_app::report::check_destination(path)?;
                    Some(watermark_app::State::open(&a.state.state)?.log_signer()?)
                }
                None => None,
            };
            let (state_dir, witnesses) = (a.state.state.clone(), a.witnesses.witnesses.clone());
            // A state behind its witnesses (an older backup) has forgotten
            // copies: a leak of one of them would be read against a log
            // without it, and this verification's entry would fork the log
            // the witnesses saw. Checked as before issuing.
            let state = watermark_app::State::open(&state_dir)?;
            let split = a.cluster.is_some() || a.leaked.is_dir();
            let runner = a
                .cluster
                .as_deref()
                .map(watermark_cluster::ClusterRunner::new)
                .transpose()?;
            let settings = watermark_app::verify::Settings::from(a);
            let report = if split {
                watermark_app::witnessing::verify_with(
                    &state,
                    witnesses.as_deref(),
                    printer,
                    |reporter| {
                        let local;
                        let runner: &dyn watermark_app::split::SplitRunner = match &runner {
                            Some(r) => r,
                            None => {
                                let key = state.master_key().map_err(|e| {
                                    watermark_app::Error::new(watermark_app::Fault::Server, e)
                                })?;
                                local = watermark_app::split::Local::new(std::sync::Arc::new(key));
                                &local
                            }
                        };
                        watermark_app::verify::run_split_in(&state, &settings, runner, reporter)
                    },
                )?
            } else {
                watermark_app::witnessing::verify(&state, &settings, witnesses.as_deref(), printer)?
            };
            printer.text(&report.to_text_in(lang))?;
            printer.json(&report)?;
            if let (Some(path), Some(signer)) = (signed, signer) {
                let html = watermark_app::report::sign_in(&report, &signer, lang)?;
                watermark_app::report::write_new(&path, html.as_bytes())?;
                printer.text(&format!(
                    "\n{}\n",
                    watermark_app::messages::tr(
                        lang,
                        watermark_app::messages::Msg::ReportWritten,
                        &[&path.display()]
                    )
                ))?;
            }
            Ok(())
        }
        Command::Log(cmd) => log::run(cmd, quiet),
        Command::Report(cmd) => report::run(cmd, quiet),
        Command::Policy(PolicyCommand::Suggest(a)) => {
            policy::suggest(a, Printer { json: false, quiet })
        }
        Command::Demo(a) => demo::run(a, quiet),
        Command::Synth(a) => synth::run(a),
        Command::Witness(cmd) => witness::run(cmd, quiet),
        Command::Completions(a) => install::completions(&a),
        Command::Man(a) => install::man(&a),
    }
}
