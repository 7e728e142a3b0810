//! `watermark verify`: the settings of the verify workflow
//! ([`watermark_app::verify`]) from the command line.

use watermark_app::verify::Settings;

use crate::cli::VerifyArgs;

impl From<VerifyArgs> for Settings {
    fn from(a: VerifyArgs) -> Self {
        let investigator = a
            .investigator
            .or_else(|| std::env::var("USER").ok())
            .or_else(|| std::env::var("LOGNAME").ok())
            .filter(|s| !s.trim().is_empty())
            .or_else(account_name)
            .unwrap_or_default();
        Settings {
            state: a.state.state,
            leaked: a.leaked,
            threshold: a.threshold,
            investigator,
            master: a.master,
            encoding: a
                .encoding
                .as_deref()
                .and_then(watermark_formats::TextEncoding::from_label),
        }
    }
}

/// The account running this process, when the environment does not name
/// it: its name in `/etc/passwd`, or `uid N`. Linux only (read from
/// `/proc/self/status`).
fn account_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid: u32 = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    let named = std::fs::read_to_string("/etc/passwd").ok().and_then(|p| {
        p.lines().find_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let id: u32 = f.nth(1)?.parse().ok()?;
            (id == uid && !name.is_empty()).then(|| name.to_owned())
        })
    });
    Some(named.unwrap_or_else(|| format!("uid {uid}")))
}
