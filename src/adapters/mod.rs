//! Adapters: the outside world as the product's values. Input first — the configuration
//! (`config`: TOML and the files it names) unit lists (`import`) and directives' files as text (`documents`) —, then the database
//! (`store`, the only module with SQL), the kept copies of incoming messages (`files`), mail (`smtp` sends, `imap` opens the report mailbox),
//! TLS (`tls`) and the wall clock (`clock`). No adapter decides anything the product means;
//! decisions are the pure core's (`crate::domain`), and what the product does with them is
//! `crate::services`.

pub mod clock;
pub mod config;
pub mod documents;
pub mod files;
pub mod imap;
pub mod import;
pub mod smtp;
pub mod store;
pub mod tls;
