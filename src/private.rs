//! Files no other local user can subvert: the state directory, the lock,
//! the database, the OAuth2 tokens, the list of running hooks.
//!
//! A private directory must be ours and writable by nobody else (as ssh
//! asks of `~/.ssh`), or another user could plant a file or a link in it;
//! it is created 0700 when missing. Files in it are opened without
//! following a link, and rewritten through a fresh file of a random name,
//! created exclusively, then renamed over the old one.

use std::fs::{File, OpenOptions};
use std::io::Write as _;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Why a private directory or file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PrivateError {
    #[error("cannot create {}: {source}", path.display())]
    Create {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{} is owned by another user (uid {owner}), who could replace what mailreactor keeps \
         there; use a directory of your own (--state-dir), or: chown {me} {}",
        path.display(),
        path.display()
    )]
    NotOwned { path: PathBuf, owner: u32, me: u32 },
    #[error(
        "{} is writable by other users (mode {mode:03o}), who could plant files there; fix it \
         with: chmod go-w {}",
        path.display(),
        path.display()
    )]
    Writable { path: PathBuf, mode: u32 },
    #[error("{} is not a directory", path.display())]
    NotDir { path: PathBuf },
    #[error(
        "{} is a symbolic link or not a regular file; mailreactor does not write state \
         through it (remove it)",
        path.display()
    )]
    NotAFile { path: PathBuf },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn my_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

/// Creates `dir` (0700, with its parents) when missing, and checks that it
/// is ours and that nobody else may write to it.
pub fn dir(dir: &Path) -> Result<(), PrivateError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|source| PrivateError::Create {
            path: dir.to_path_buf(),
            source,
        })?;
    let meta = std::fs::metadata(dir).map_err(|source| PrivateError::Create {
        path: dir.to_path_buf(),
        source,
    })?;
    let path = dir.to_path_buf();
    if !meta.is_dir() {
        return Err(PrivateError::NotDir { path });
    }
    let me = my_uid();
    if meta.uid() != me {
        return Err(PrivateError::NotOwned {
            path,
            owner: meta.uid(),
            me,
        });
    }
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(PrivateError::Writable { path, mode });
    }
    Ok(())
}

/// [`dir`] for the directory `path` is in.
pub fn parent(path: &Path) -> Result<(), PrivateError> {
    match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(d) => dir(d),
        None => Ok(()),
    }
}

/// Refuses `path` when it is a link or anything but a regular file (a
/// missing file is fine: it will be created).
pub fn no_link(path: &Path) -> Result<(), PrivateError> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if !m.file_type().is_file() => Err(PrivateError::NotAFile {
            path: path.to_path_buf(),
        }),
        _ => Ok(()),
    }
}

/// Opens (creating, 0600) `path` for reading and writing without following
/// a link and without truncating it.
pub fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

/// Replaces `path` with `bytes`: written to a fresh file of a random name
/// beside it (created exclusively, never through a link, 0600), synced,
/// then renamed over `path`.
pub fn replace(path: &Path, bytes: &[u8]) -> Result<(), PrivateError> {
    let fail = |source| PrivateError::Write {
        path: path.to_path_buf(),
        source,
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.{:016x}.tmp", fastrand::u64(..)));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)
        .map_err(fail)?;
    let written = file
        .set_permissions(std::fs::Permissions::from_mode(0o600))
        .and_then(|()| file.write_all(bytes))
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&tmp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(e));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_others_may_write_is_refused() {
        let top = tempfile::tempdir().unwrap();
        let d = top.path().join("state");
        dir(&d).unwrap();
        let mode = std::fs::metadata(&d).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700);
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = dir(&d).unwrap_err().to_string();
        assert!(
            e.contains("writable by other users (mode 777)") && e.contains("chmod go-w"),
            "{e}"
        );
    }

    #[test]
    fn links_are_neither_followed_nor_replaced_through() {
        let top = tempfile::tempdir().unwrap();
        let victim = top.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let link = top.path().join("x.lock");
        std::os::unix::fs::symlink(&victim, &link).unwrap();
        assert!(open(&link).is_err());
        assert!(no_link(&link).is_err());
        replace(&top.path().join("t.json"), b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        let mode = std::fs::metadata(top.path().join("t.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        // Nothing is left beside it.
        let left: Vec<_> = std::fs::read_dir(top.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(left.is_empty());
    }
}
