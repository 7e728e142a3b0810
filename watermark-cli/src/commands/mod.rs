//! One module per subcommand. Each resolves its arguments into settings and
//! returns a serialisable result; printing goes through [`Printer`].

pub mod demo;
pub mod formats;
pub mod init;
pub mod issue;
pub mod log;
pub mod policy;
pub mod synth;
pub mod verify;

use crate::cli::{Cli, Command, PolicyCommand};
use crate::output::Printer;

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let quiet = cli.quiet;
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
            let report = issue::run(&issue::Settings::from(a), printer)?;
            printer.text(&report.to_text())?;
            printer.json(&report)?;
            Ok(())
        }
        Command::Verify(a) => {
            let printer = Printer {
                json: a.json,
                quiet,
            };
            let report = verify::run(&verify::Settings::from(a), printer)?;
            printer.text(&report.to_text())?;
            printer.json(&report)?;
            Ok(())
        }
        Command::Log(cmd) => log::run(cmd, quiet),
        Command::Policy(PolicyCommand::Suggest(a)) => {
            policy::suggest(a, Printer { json: false, quiet })
        }
        Command::Demo(a) => demo::run(a, quiet),
        Command::Synth(a) => synth::run(a),
    }
}
