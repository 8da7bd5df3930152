//! The namespace shared by populations and inputs: names checked, then looked up with a
//! "did you mean" hint.

use super::values::{err, Res};
use crate::error::ScenarioError;
use crate::scenario::{did_you_mean, Scenario};
use std::collections::HashMap;

/// What a name refers to.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Node {
    /// Neuron population `k`.
    Population(usize),
    /// Input `k`.
    Input(usize),
}

/// True for a character allowed in names: they appear unquoted in CSV files and file paths.
pub fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

/// The names of a scenario's populations and inputs.
pub(crate) struct Names<'a> {
    map: HashMap<&'a str, Node>,
    /// Every name, populations first, for messages.
    all: Vec<&'a str>,
}

pub(crate) fn check_name(name: &str, path: String) -> Res<()> {
    if name.is_empty() {
        return err(path, "must not be empty");
    }
    if let Some(c) = name.chars().find(|&c| !name_char(c)) {
        return err(
            path,
            format!(
                "{name:?} contains {c:?}; names may use only ASCII letters, digits, '_', '.' and '-' \
                 (they are written unquoted in CSV files)"
            ),
        );
    }
    Ok(())
}

impl<'a> Names<'a> {
    /// Checks every name of `sc` (allowed characters, no duplicates).
    pub fn new(sc: &'a Scenario) -> Res<Self> {
        let mut map = HashMap::new();
        let mut all = Vec::new();
        for (k, p) in sc.populations.iter().enumerate() {
            let path = format!("populations[{k}].name");
            check_name(&p.name, path.clone())?;
            if map.insert(p.name.as_str(), Node::Population(k)).is_some() {
                return err(path, format!("duplicate name \"{}\"", p.name));
            }
            all.push(p.name.as_str());
        }
        for (k, p) in sc.inputs.iter().enumerate() {
            let path = format!("inputs[{k}].name");
            check_name(&p.name, path.clone())?;
            if map.insert(p.name.as_str(), Node::Input(k)).is_some() {
                return err(
                    path,
                    format!(
                        "duplicate name \"{}\" (populations and inputs share one namespace)",
                        p.name
                    ),
                );
            }
            all.push(p.name.as_str());
        }
        Ok(Names { map, all })
    }

    /// The index of the neuron population `name`, or an error at `path`: unknown, or an
    /// input (`"name" is an input{why}`).
    pub fn population(&self, name: &str, path: String, why: &str) -> Res<usize> {
        match self.lookup(name, path.clone())? {
            Node::Population(p) => Ok(p),
            Node::Input(_) => err(path, format!("\"{name}\" is an input{why}")),
        }
    }

    /// What `name` refers to, or an error at `path` listing the known names.
    pub fn lookup(&self, name: &str, path: String) -> Res<Node> {
        self.map.get(name).copied().ok_or_else(|| {
            let hint = did_you_mean(name, self.all.iter().copied());
            let known = if self.all.is_empty() {
                "none defined".to_string()
            } else {
                let quoted: Vec<String> = self.all.iter().map(|n| format!("\"{n}\"")).collect();
                format!("known: {}", quoted.join(", "))
            };
            ScenarioError::invalid(
                path,
                format!("unknown population \"{name}\" ({known}){hint}"),
            )
        })
    }
}
