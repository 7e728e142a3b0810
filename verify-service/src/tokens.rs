//! The investigators' bearer tokens.
//!
//! The tokens file holds one investigator a line: the token, then optionally a
//! space and the name the verifications are logged under. Blank lines and
//! lines starting with `#` are ignored. Like a key file, it must not be
//! readable or writable by the group or others.
//!
//! Tokens are kept only as SHA-256 digests and compared in constant time.
//! No error message or log line ever includes a token.

use std::fmt;
use std::path::Path;

use anyhow::Context as _;
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use watermark_text::Msg;
use watermark_text::{said, SaidContext as _};

/// Shortest token accepted: 16 characters (use e.g. `openssl rand -hex 32`).
pub const MIN_TOKEN_LEN: usize = 16;

/// One investigator allowed to verify.
#[derive(Clone)]
pub struct Investigator {
    digest: [u8; 32],
    /// The name recorded in the issuance log, as the tokens file gives it.
    pub name: String,
}

impl fmt::Debug for Investigator {
    // Never print the digest: it identifies the token.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Investigator")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The tokens the service accepts.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    investigators: Vec<Investigator>,
}

fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl Tokens {
    /// Reads a tokens file, refusing one the group or others can access.
    pub fn load(path: &Path) -> anyhow::Result<Tokens> {
        check_private(path)?;
        let text = std::fs::read_to_string(path).said(|| said!(Msg::CtxReading, path.display()))?;
        Tokens::parse(&text).with_context(|| path.display().to_string())
    }

    /// Parses the text of a tokens file. Errors name the line, never the token.
    pub fn parse(text: &str) -> anyhow::Result<Tokens> {
        let mut investigators: Vec<Investigator> = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (token, name) = match line.split_once(char::is_whitespace) {
                Some((t, rest)) => (t, Some(rest.trim())),
                None => (line, None),
            };
            if token.len() < MIN_TOKEN_LEN {
                return Err(said!(Msg::SvTokenShort, n, MIN_TOKEN_LEN).into());
            }
            if !token.bytes().all(|b| b.is_ascii_graphic()) {
                return Err(said!(Msg::SvTokenAscii, n).into());
            }
            // Each verification is logged under this name: it is who is
            // answerable for it, so a token without one is refused.
            let Some(name) = name.filter(|n| !n.is_empty()) else {
                return Err(said!(Msg::SvTokenNoName, n).into());
            };
            if name.chars().count() > 64 || name.chars().any(char::is_control) {
                return Err(said!(Msg::SvTokenName, n).into());
            }
            let name = name.to_owned();
            let digest = sha256(token);
            if investigators.iter().any(|i| i.digest == digest) {
                return Err(said!(Msg::SvTokenTwice, n).into());
            }
            investigators.push(Investigator { digest, name });
        }
        if investigators.is_empty() {
            return Err(said!(Msg::SvNoTokens).into());
        }
        Ok(Tokens { investigators })
    }

    /// How many tokens there are.
    pub fn len(&self) -> usize {
        self.investigators.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.investigators.is_empty()
    }

    /// The investigator a presented token belongs to, and its index. Every
    /// stored digest is compared, in constant time, whatever matches.
    pub fn find(&self, presented: &str) -> Option<(usize, &Investigator)> {
        let digest = sha256(presented);
        let mut found = None;
        for (i, inv) in self.investigators.iter().enumerate() {
            let equal: bool = digest.ct_eq(&inv.digest).into();
            if equal {
                found = Some((i, inv));
            }
        }
        found
    }
}

/// Refuses a secret file that its group or others can read or write (the
/// check `watermark` makes of key files).
pub fn check_private(path: &Path) -> anyhow::Result<()> {
    let meta = std::fs::metadata(path).said(|| said!(Msg::CtxReading, path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(said!(
                Msg::SvTokensExposed,
                path.display(),
                format!("{mode:04o}"),
                path.display()
            )
            .into());
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_comments_and_refuses_bad_lines() {
        let t = Tokens::parse(
            "# investigators\n\n0123456789abcdef0123 fiscalia 7\nfedcba9876543210fedc  ana\n",
        )
        .unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.find("0123456789abcdef0123").unwrap().1.name, "fiscalia 7");
        assert_eq!(t.find("fedcba9876543210fedc").unwrap().1.name, "ana");
        assert!(t.find("fedcba9876543210fedd").is_none());
        assert!(t.find("").is_none());
        // A token with no investigator's name is refused, never logged
        // under a stand-in.
        for nameless in ["fedcba9876543210fedc\n", "fedcba9876543210fedc   \n"] {
            let e = Tokens::parse(nameless).unwrap_err().to_string();
            assert!(
                e.contains("line 1") && e.contains("name the investigator"),
                "{e}"
            );
            assert!(!e.contains("fedcba"), "{e}");
        }

        let short = Tokens::parse("abc alice\n").unwrap_err().to_string();
        assert!(short.contains("line 1") && !short.contains("abc"));
        let dup = Tokens::parse("0123456789abcdef0123 a\n0123456789abcdef0123 b\n")
            .unwrap_err()
            .to_string();
        assert!(dup.contains("line 2") && !dup.contains("0123456789"));
        assert!(Tokens::parse("# nothing\n").is_err());
    }
}
