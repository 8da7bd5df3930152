//! JSON parsing that rejects duplicate keys. serde_json keeps the last of two equal keys
//! silently; in a scenario that is almost always a mistake (two `tau_m` in one population),
//! so it is an error naming the JSON path of the object.

use serde::de::{DeserializeSeed, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::fmt;

/// Parses `text` as JSON; a duplicate key is an error with its position and path.
pub fn parse(text: &str) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let v = Strict {
        path: String::new(),
    }
    .deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// A JSON value at `path` (empty for the document).
struct Strict {
    path: String,
}

impl Strict {
    fn child(&self, key: &str) -> Strict {
        let path = if self.path.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.path)
        };
        Strict { path }
    }
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let seed = Strict {
                path: format!("{}[{}]", self.path, out.len()),
            };
            match seq.next_element_seed(seed)? {
                Some(v) => out.push(v),
                None => return Ok(Value::Array(out)),
            }
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            let v = map.next_value_seed(self.child(&key))?;
            if out.insert(key.clone(), v).is_some() {
                let at = if self.path.is_empty() {
                    "the document".to_string()
                } else {
                    self.path.clone()
                };
                return Err(A::Error::custom(format!(
                    "duplicate key \"{key}\" in {at} (each key may appear once)"
                )));
            }
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicates_are_refused_with_their_path() {
        let e = parse(r#"{"a": [{"b": 1, "b": 2}]}"#)
            .unwrap_err()
            .to_string();
        assert!(e.contains("duplicate key \"b\" in a[0]"), "{e}");
        let v = parse(r#"{"a": [1.5, {"c": null}], "d": true}"#).unwrap();
        assert_eq!(v, serde_json::json!({"a": [1.5, {"c": null}], "d": true}));
        assert!(parse("{} x").is_err());
    }
}
