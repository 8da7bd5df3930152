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
    /// An [`Invalid`](Self::Invalid) error. Control characters (from keys or values the
    /// user wrote) are shown escaped, so that the message stays one line.
    pub fn invalid(path: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError::Invalid {
            path: one_line(path.into()),
            message: one_line(message.into()),
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

/// `s` with its control characters escaped (`\n` as the two characters `\` `n`).
fn one_line(s: String) -> String {
    if !s.chars().any(char::is_control) {
        return s;
    }
    s.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
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
    /// Another run is writing into the same directory.
    #[error("{} is in use by another run ({holder}); wait for it or choose another --out", path.display())]
    Locked {
        /// The directory.
        path: PathBuf,
        /// What the lock file says about its holder (e.g. `pid 1234`).
        holder: String,
    },
    /// Writing would overwrite or follow something it must not.
    #[error("{}: {why}", path.display())]
    Unsafe {
        /// The file.
        path: PathBuf,
        /// Why, and what to do.
        why: String,
    },
}

/// Why a run failed. Each variant maps to one exit status of the command line
/// ([`RunError::exit_code`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// The scenario is invalid (or could not be read).
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// A command-line or API option is invalid.
    #[error("{0}")]
    Option(String),
    /// The results could not be written.
    #[error(transparent)]
    Output(#[from] OutputError),
    /// Results read back (by `plot`, `sweep`, the read-out) are missing or malformed.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// A command that has no partial result (`gradient`) was stopped: by a signal, or its
    /// forward run by a limit (`--max-memory`).
    #[error("{0}: stopped ({1}) before its result; nothing written")]
    Stopped(&'static str, crate::records::Stop),
}

impl RunError {
    /// The command line's exit status for this error: 3 for a command stopped early, 2 for
    /// every other kind (bad input, unwritable output); 0 is for complete runs.
    pub fn exit_code(&self) -> u8 {
        match self {
            RunError::Stopped(..) => 3,
            _ => 2,
        }
    }
}

/// Why results could not be read back from an output directory.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct ResultsError {
    /// The file (or directory).
    pub path: PathBuf,
    /// What is wrong.
    pub message: String,
}

impl ResultsError {
    /// An error about `path`.
    pub fn new(path: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        ResultsError {
            path: path.into(),
            message: message.into(),
        }
    }
}
