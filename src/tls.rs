//! The TLS client policy every outgoing connection shares (IMAP, webhooks,
//! the OAuth2 token endpoint): TLS 1.2 or later, trusting the system's
//! roots and, when the profile names one, the certificates of a `ca-file`.

use std::path::{Path, PathBuf};

/// Why a TLS client could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read ca-file {}: {source}", path.display())]
    CaFileUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("ca-file {}: {source}", path.display())]
    CaFileEmpty {
        path: PathBuf,
        source: native_tls::Error,
    },
    #[error("TLS setup failed: {0}")]
    Setup(native_tls::Error),
}

/// A builder with the shared policy, for a caller that adds nothing else.
pub(crate) fn builder() -> native_tls::TlsConnectorBuilder {
    let mut builder = native_tls::TlsConnector::builder();
    builder.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    builder
}

/// A connector with the shared policy that also trusts `ca_file`'s
/// certificates.
pub(crate) fn connector(ca_file: Option<&Path>) -> Result<native_tls::TlsConnector, TlsSetupError> {
    let mut builder = builder();
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|source| TlsSetupError::CaFileUnreadable {
            path: path.to_path_buf(),
            source,
        })?;
        let certs = native_tls::Certificate::stack_from_pem(&pem).map_err(|source| {
            TlsSetupError::CaFileEmpty {
                path: path.to_path_buf(),
                source,
            }
        })?;
        for cert in certs {
            builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(TlsSetupError::Setup)
}
