//! Master key files: written once with mode 0600, refused when others can
//! read them.

use std::io::Write as _;
use std::path::Path;

use watermark_core::{Error, ErrorKind, MasterKey, Result};
use watermark_text::{said, Msg};
use zeroize::Zeroizing;

/// Writes `key` to a new key file, refusing to overwrite one, with mode 0600.
pub fn write_new(key: &MasterKey, path: &Path) -> Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .map_err(|e| Error::io(said!(Msg::CtxCreatingKey, path.display()), e))?;
    f.write_all(key.to_text().as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(said!(Msg::CtxWritingKey, path.display()), e))?;
    Ok(())
}

/// Loads a key file, refusing one that others can read.
pub fn load(path: &Path) -> Result<MasterKey> {
    check_private(path)?;
    let text = Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| Error::io(said!(Msg::CtxReadingKey, path.display()), e))?,
    );
    MasterKey::from_text(&text).map_err(|e| match e.kind() {
        ErrorKind::Key(_) => {
            Error::key(said!(Msg::WhatWhy, path.display()).sentence(crate::text::said_of(&e)))
        }

        _ => e,
    })
}

/// Refuses a secret file that its group or others can read or write.
pub fn check_private(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let meta = std::fs::metadata(path)
            .map_err(|e| Error::io(said!(Msg::CtxReading, path.display()), e))?;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::new(ErrorKind::KeyPermissions {
                path: path.display().to_string(),
                mode,
            }));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn key_file_is_private_and_exclusive() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        let k = MasterKey::from_bytes([1u8; 32]);
        write_new(&k, &path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(write_new(&k, &path).is_err(), "must not overwrite");
        assert_eq!(load(&path).unwrap().id(), k.id());
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = load(&path).unwrap_err();
        assert!(matches!(err.kind(), ErrorKind::KeyPermissions { .. }));
    }
}
