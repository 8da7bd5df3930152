//! The JSON scenario front end, in two stages (as ripgrep turns raw arguments into a
//! high-level form):
//!
//! 1. [`parse_str`]: JSON text → [`Scenario`], mirroring the file exactly. Unknown keys,
//!    wrong types and missing fields are reported with their JSON path.
//! 2. [`build`](build::build): [`Scenario`] → [`Network`](crate::network::Network): names
//!    resolved, ranges checked, random values drawn.
//!
//! [`load`] does both for a file.

pub mod build;
pub mod schema;

pub use schema::*;

use crate::error::ScenarioError;
use crate::network::Network;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::path::Path;

/// Reads, parses and builds a scenario file with default limits.
pub fn load(path: &Path) -> Result<(Scenario, Network), ScenarioError> {
    load_with(path, &build::BuildOptions::default())
}

/// Reads, parses and builds a scenario file within `limits`.
pub fn load_with(
    path: &Path,
    limits: &build::BuildOptions,
) -> Result<(Scenario, Network), ScenarioError> {
    let sc = read(path)?;
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("scenario");
    let net = build::build_with(&sc, stem, limits)?;
    Ok((sc, net))
}

/// Reads and parses (stage 1 only) a scenario file.
pub fn read(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse_named(&text, &path.display().to_string())
}

/// Parses scenario JSON text (stage 1).
pub fn parse_str(text: &str) -> Result<Scenario, ScenarioError> {
    parse_named(text, "<scenario>")
}

fn parse_named(text: &str, file: &str) -> Result<Scenario, ScenarioError> {
    if text.trim().is_empty() {
        return Err(ScenarioError::Syntax {
            location: file.to_string(),
            message: "the file is empty; a scenario is a JSON object".into(),
        });
    }
    let mut doc: Value = serde_json::from_str(text).map_err(|e| ScenarioError::Syntax {
        location: format!("{file}:{}:{}", e.line(), e.column()),
        message: strip_position(&e.to_string()),
    })?;
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
        let hint = build::did_you_mean(k, KEYS.into_iter());
        return Err(ScenarioError::invalid(
            format!("{path}.{k}"),
            format!("unknown key \"{k}\" (allowed: {}){hint}", quoted(&KEYS)),
        ));
    }
    let name: String = typed(take(&mut m, "name", path, "")?, &format!("{path}.name"))?;
    let size: usize = typed(take(&mut m, "size", path, "")?, &format!("{path}.size"))?;
    const MODELS: [&str; 2] = ["lif", "qif"];
    let model: String = typed(take(&mut m, "model", path, "")?, &format!("{path}.model"))?;
    let params = take(&mut m, "params", path, "")?;
    let pp = format!("{path}.params");
    let model = match model.as_str() {
        "lif" => Model::Lif(typed(params, &pp)?),
        "qif" => Model::Qif(typed(params, &pp)?),
        other => {
            let hint = build::did_you_mean(other, MODELS.into_iter());
            return Err(ScenarioError::invalid(
                format!("{path}.model"),
                format!(
                    "unknown model \"{other}\", expected one of {}{hint}",
                    quoted(&MODELS)
                ),
            ));
        }
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
    const KINDS: [&str; 4] = ["spike_times", "poisson", "periodic", "phase_locked"];
    let one_of = format!(" (one of {})", quoted(&KINDS));
    let kind: String = typed(
        take(&mut m, "kind", path, &one_of)?,
        &format!("{path}.kind"),
    )?;
    let body = Value::Object(m);
    let kind = match kind.as_str() {
        "spike_times" => InputKind::SpikeTimes(typed(body, path)?),
        "poisson" => InputKind::Poisson(typed(body, path)?),
        "periodic" => InputKind::Periodic(typed(body, path)?),
        "phase_locked" => InputKind::PhaseLocked(typed(body, path)?),
        other => {
            let hint = build::did_you_mean(other, KINDS.into_iter());
            return Err(ScenarioError::invalid(
                format!("{path}.kind"),
                format!(
                    "unknown input kind \"{other}\", expected one of {}{hint}",
                    quoted(&KINDS)
                ),
            ));
        }
    };
    Ok(Input { name, kind })
}

/// Deserializes `v` into `T`, turning serde's message into a path-named error.
fn typed<T: DeserializeOwned>(v: Value, prefix: &str) -> Result<T, ScenarioError> {
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
                let hint = build::did_you_mean(field, valid.iter().copied());
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
        ScenarioError::invalid(path, message)
    })
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
