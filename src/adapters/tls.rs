//! TLS client settings shared by SMTP and IMAP: rustls on the ring provider, trusting the
//! operating system's store first (an IT officer can add a CA there), Mozilla's roots as a
//! fallback, and an optional extra CA file per server. Invalid certificates are never
//! accepted.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Makes ring the process-wide rustls provider; harmless when called more than once.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The roots a client trusts: system store, webpki roots, and `extra_ca_file` if given.
pub fn root_store(extra_ca_file: Option<&Path>) -> anyhow::Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        // A broken certificate in the system store must not stop us; the others still count.
        let _ = roots.add(cert);
    }
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = extra_ca_file {
        for cert in extra_certificates(path)? {
            roots
                .add(cert)
                .with_context(|| format!("adding CA certificate from {}", path.display()))?;
        }
    }
    Ok(roots)
}

/// Reads every PEM certificate of a file.
pub fn extra_certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .with_context(|| format!("reading CA file {}", path.display()))?
        .collect::<Result<_, _>>()
        .with_context(|| format!("parsing CA file {}", path.display()))?;
    anyhow::ensure!(!certs.is_empty(), "no certificate in CA file {}", path.display());
    Ok(certs)
}

/// A rustls client configuration for one server.
pub fn client_config(extra_ca_file: Option<&Path>) -> anyhow::Result<Arc<rustls::ClientConfig>> {
    install_crypto_provider();
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(root_store(extra_ca_file)?)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
