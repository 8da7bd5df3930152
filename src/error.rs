//! Error types.

use std::path::PathBuf;

/// Why a scenario could not be loaded or built. Every variant names where the problem is:
/// a file, a line and column, or the JSON path of the offending value.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not JSON.
    #[error("{location}: invalid JSON: {message}")]
    Syntax {
        /// `file:line:column`.
        location: String,
        /// What the parser expected.
        message: String,
    },
    /// A value is wrong; `path` is its JSON path, e.g. `connections[1].delay`.
    #[error("{path}: {message}")]
    Invalid {
        /// JSON path of the offending value (`.` for the document itself).
        path: String,
        /// What is wrong and what is allowed.
        message: String,
    },
}

impl ScenarioError {
    /// An [`Invalid`](Self::Invalid) error.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError::Invalid {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The JSON path, for [`Invalid`](Self::Invalid) errors.
    pub fn path(&self) -> Option<&str> {
        match self {
            ScenarioError::Invalid { path, .. } => Some(path),
            _ => None,
        }
    }
}

/// Why writing results failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OutputError {
    /// A file or directory could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
