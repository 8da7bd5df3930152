//! The description layer: the JSON scenario format as Rust types ([`schema`]), parsed
//! with path-named errors, and a builder for scenarios written in code ([`builder`]).
//!
//! [`parse_str`] turns JSON text into a [`Scenario`] that mirrors the file exactly: unknown
//! keys, wrong types, duplicate keys and missing fields are reported with their JSON path.
//! Ranges, names and random draws are checked by the build layer ([`crate::build`]), which
//! turns a `Scenario` into a runnable network. Nothing here depends on the runtime.

pub mod builder;
mod param;
pub mod schema;
mod strict;

pub use builder::ScenarioBuilder;
pub use schema::*;

use crate::error::ScenarioError;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::Path;

/// Reads and parses a scenario file (read once; see [`read_bytes`] to keep the bytes).
pub fn read(path: &Path) -> Result<Scenario, ScenarioError> {
    let bytes = read_bytes(path)?;
    parse_bytes(&bytes, &path.display().to_string())
}

/// Reads a scenario file's bytes (a pipe such as `/dev/stdin` works: it is read once).
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, ScenarioError> {
    std::fs::read(path).map_err(|source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Parses scenario bytes read from `file` (named in errors): UTF-8, an optional byte-order
/// mark, then JSON.
pub fn parse_bytes(bytes: &[u8], file: &str) -> Result<Scenario, ScenarioError> {
    parse_value(read_document(bytes, file, "a scenario")?)
}

/// The JSON document in `bytes` read from `file` (named in errors): an optional byte-order
/// mark, UTF-8, not empty (`what` it should be names it in the message), duplicate keys
/// refused.
pub(crate) fn read_document(bytes: &[u8], file: &str, what: &str) -> Result<Value, ScenarioError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| ScenarioError::Syntax {
        location: file.to_string(),
        message: format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.valid_up_to()
        ),
    })?;
    document(text, file, what)
}

/// A typed document other than a scenario (a loss, a training configuration): read as
/// [`read_document`] does, errors named by JSON path under `prefix`.
pub(crate) fn parse_document<T: DeserializeOwned>(
    bytes: &[u8],
    file: &str,
    what: &str,
    prefix: &str,
) -> Result<T, ScenarioError> {
    typed(read_document(bytes, file, what)?, prefix)
}

/// The default scenario name for a file: its stem (`scenario` when it has none).
pub fn file_stem(path: &Path) -> String {
    path.file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| !s.is_empty())
        .unwrap_or("scenario")
        .to_string()
}

/// Parses scenario JSON text.
pub fn parse_str(text: &str) -> Result<Scenario, ScenarioError> {
    parse_named(text, "<scenario>")
}

fn parse_named(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    parse_value(document(text, file, "a scenario")?)
}

/// JSON text to a value with the strict parser (duplicate keys refused).
fn document(text: &str, file: &str, what: &str) -> Result<Value, ScenarioError> {
    if text.trim().is_empty() {
        return Err(ScenarioError::Syntax {
            location: file.to_string(),
            message: format!("the file is empty; {what} is a JSON object"),
        });
    }
    strict::parse(text).map_err(|e| ScenarioError::Syntax {
        location: format!("{file}:{}:{}", e.line(), e.column()),
        message: strip_position(&e.to_string()),
    })
}

/// Parses a scenario already in the form of a JSON value (front ends that assemble one,
/// such as the Python package, skip the text).
pub fn parse_value(mut doc: Value) -> Result<Scenario, ScenarioError> {
    let Some(obj) = doc.as_object_mut() else {
        return Err(ScenarioError::invalid(
            ".",
            format!("expected a JSON object (a scenario), got {}", kind_of(&doc)),
        ));
    };
    // Inputs are dispatched on "kind" here rather than by serde's internally tagged enums,
    // which buffer their content and would lose the path of errors inside an input.
    let inputs = obj.remove("inputs");
    let populations = obj.remove("populations");
    if populations.is_none() {
        return Err(ScenarioError::invalid(".", "missing field `populations`"));
    }
    obj.insert("populations".into(), Value::Array(vec![]));
    let mut sc: Scenario = typed(doc, "")?;
    if let Some(pops) = populations {
        sc.populations = parse_list(pops, "populations", parse_population)?;
    }
    if let Some(inputs) = inputs {
        sc.inputs = parse_list(inputs, "inputs", parse_input)?;
    }
    Ok(sc)
}

/// Parses the JSON list at `key` element by element, naming each `key[k]` in errors.
fn parse_list<T>(
    v: Value,
    key: &str,
    parse: impl Fn(Value, &str) -> Result<T, ScenarioError>,
) -> Result<Vec<T>, ScenarioError> {
    let Value::Array(items) = v else {
        return Err(ScenarioError::invalid(
            key,
            format!("expected a list of {key}, got {}", kind_of(&v)),
        ));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(k, item)| parse(item, &format!("{key}[{k}]")))
        .collect()
}

/// Removes `key` from an object at `path`, or reports it missing (`more` is appended to
/// the message).
fn take(
    m: &mut serde_json::Map<String, Value>,
    key: &str,
    path: &str,
    more: &str,
) -> Result<Value, ScenarioError> {
    m.remove(key)
        .ok_or_else(|| ScenarioError::invalid(path, format!("missing field `{key}`{more}")))
}

/// A population object: `name`, `size`, `model` and the model's `params`.
fn parse_population(v: Value, path: &str) -> Result<Population, ScenarioError> {
    let Value::Object(mut m) = v else {
        return Err(ScenarioError::invalid(
            path,
            format!("expected a population object, got {}", kind_of(&v)),
        ));
    };
    const KEYS: [&str; 4] = ["name", "size", "model", "params"];
    if let Some(k) = m.keys().find(|k| !KEYS.contains(&k.as_str())) {
        let hint = did_you_mean(k, KEYS.into_iter());
        return Err(ScenarioError::invalid(
            format!("{path}.{k}"),
            format!("unknown key \"{k}\" (allowed: {}){hint}", quoted(&KEYS)),
        ));
    }
    let name: String = typed(take(&mut m, "name", path, "")?, &format!("{path}.name"))?;
    let size: usize = typed(take(&mut m, "size", path, "")?, &format!("{path}.size"))?;
    let model: String = typed(take(&mut m, "model", path, "")?, &format!("{path}.model"))?;
    let params = take(&mut m, "params", path, "")?;
    let pp = format!("{path}.params");
    let Some(model) = Model::parse(&model, params, &pp)? else {
        let hint = did_you_mean(&model, Model::NAMES.iter().copied());
        return Err(ScenarioError::invalid(
            format!("{path}.model"),
            format!(
                "unknown model \"{model}\", expected one of {}{hint}",
                quoted(Model::NAMES)
            ),
        ));
    };
    Ok(Population { name, size, model })
}

fn parse_input(v: Value, path: &str) -> Result<Input, ScenarioError> {
    let Value::Object(mut m) = v else {
        return Err(ScenarioError::invalid(
            path,
            format!("expected an input object, got {}", kind_of(&v)),
        ));
    };
    let name: String = typed(take(&mut m, "name", path, "")?, &format!("{path}.name"))?;
    let one_of = format!(" (one of {})", quoted(InputKind::NAMES));
    let kind: String = typed(
        take(&mut m, "kind", path, &one_of)?,
        &format!("{path}.kind"),
    )?;
    let Some(kind) = InputKind::parse(&kind, Value::Object(m), path)? else {
        let hint = did_you_mean(&kind, InputKind::NAMES.iter().copied());
        return Err(ScenarioError::invalid(
            format!("{path}.kind"),
            format!(
                "unknown input kind \"{kind}\", expected one of {}{hint}",
                quoted(InputKind::NAMES)
            ),
        ));
    };
    Ok(Input { name, kind })
}

/// Deserializes `v` into `T`, turning serde's message into a path-named error.
pub(crate) fn typed<T: DeserializeOwned>(v: Value, prefix: &str) -> Result<T, ScenarioError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let inner = e.path().to_string();
        let mut path = match (prefix.is_empty(), inner.as_str()) {
            (true, ".") => ".".to_string(),
            (true, _) => inner,
            (false, ".") => prefix.to_string(),
            (false, _) => format!("{prefix}.{inner}"),
        };
        let mut message = e.into_inner().to_string();
        // serde: "unknown field `tau_mm`, expected one of `a`, `b`" → name the key in the
        // path and suggest the closest valid one.
        if let Some(rest) = message.strip_prefix("unknown field `") {
            if let Some((field, expected)) = rest.split_once('`') {
                let valid: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
                let hint = did_you_mean(field, valid.iter().copied());
                // serde_path_to_error already ends the path with the unknown key.
                if !(path == field || path.ends_with(&format!(".{field}"))) {
                    path = if path == "." {
                        field.to_string()
                    } else {
                        format!("{path}.{field}")
                    };
                }
                message = format!(
                    "unknown key \"{field}\" (allowed: {}){hint}",
                    quoted(&valid)
                );
            }
        }
        ScenarioError::invalid(path, whole_number_message(message))
    })
}

/// serde's "invalid type: floating point `2.5`, expected usize" in the user's terms: a
/// whole number written as one, and for the seed its range (a JSON integer past 2⁶⁴
/// arrives as a float; other fields' ranges are checked, and named, when the network is
/// built).
fn whole_number_message(message: String) -> String {
    for ty in ["usize", "u64", "u32", "u16", "u8"] {
        let Some(head) = message.strip_suffix(&format!(", expected {ty}")) else {
            continue;
        };
        let got = head
            .strip_prefix("invalid type: ")
            .or_else(|| head.strip_prefix("invalid value: "))
            .unwrap_or(head);
        let got = got.replace("floating point ", "").replace('`', "");
        let range = if ty == "u64" {
            format!(" from 0 to {}", u64::MAX)
        } else {
            " ≥ 0".to_string()
        };
        return format!(
            "must be a whole number{range}, written without a decimal point or exponent; \
             got {got}"
        );
    }
    message
}

/// `; did you mean "x"?` for the closest candidate, or nothing when none is close.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    closest(name, candidates)
        .map(|c| format!("; did you mean \"{c}\"?"))
        .unwrap_or_default()
}

/// The closest candidate by edit distance, if it is close enough to be a likely typo.
fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min()
        .map(|(_, c)| c)
}

fn quoted(items: &[&str]) -> String {
    items
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// The JSON Schema of the scenario format, generated from the same types the parser uses.
pub fn json_schema() -> Value {
    serde_json::to_value(schemars::schema_for!(Scenario)).expect("schema serializes")
}
