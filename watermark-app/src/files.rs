//! The file operations the state, the log and the witness share: new files
//! written once and synced, synced directories, private directories, lock
//! files.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::Path;

use watermark_core::{Error, Result};
use watermark_text::{said, Msg};

/// Writes a file that must not exist yet, and syncs it: mode 0600 if
/// `private`, else 0644.
pub(crate) fn write_new(path: &Path, data: &[u8], private: bool) -> Result<()> {
    let mut opts = OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut f = opts
        .open(path)
        .map_err(|e| Error::io(said!(Msg::CtxCreating, path.display()), e))?;
    f.write_all(data)
        .and_then(|_| f.sync_all())
        .map_err(|e| Error::io(said!(Msg::CtxWriting, path.display()), e))
}

/// Syncs a directory, so that files created or renamed in it survive a
/// crash. A no-op where directories cannot be opened as files.
pub(crate) fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io(said!(Msg::CtxSyncing, dir.display()), e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

fn private_dir_builder(recursive: bool) -> fs::DirBuilder {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(recursive);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
}

/// Opens (creating it if need be) and locks a lock file, waiting for
/// whoever holds it; released when the file is dropped.
pub(crate) fn lock_file(path: &Path) -> Result<File> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|e| Error::io(said!(Msg::CtxOpening, path.display()), e))?;
    file.lock()
        .map_err(|e| Error::io(said!(Msg::CtxLocking, path.display()), e))?;
    Ok(file)
}

/// Creates `dir` (mode 0700) and any missing parents.
pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    private_dir_builder(true)
        .create(dir)
        .map_err(|e| Error::io(said!(Msg::CtxCreating, dir.display()), e))
}

/// Creates `dir` (mode 0700) in a parent that must exist: inside a
/// directory that may be removed from under the caller (a new state's
/// temporary directory), a missing parent is an error, never made again.
pub(crate) fn create_private_subdir(dir: &Path) -> Result<()> {
    private_dir_builder(false)
        .create(dir)
        .map_err(|e| Error::io(said!(Msg::CtxCreating, dir.display()), e))
}
