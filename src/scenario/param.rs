//! Per-element numbers: one value, a list with one value per element, or a distribution.

use schemars::JsonSchema;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

/// A per-neuron or per-synapse number: one value, one value per element, or a distribution.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamValue {
    /// The same value everywhere.
    Value(f64),
    /// One value per neuron (length `size`) or per generated synapse.
    List(Vec<f64>),
    /// Independent draws.
    Distribution(Distribution),
}

impl From<f64> for ParamValue {
    fn from(v: f64) -> Self {
        ParamValue::Value(v)
    }
}

impl From<Vec<f64>> for ParamValue {
    fn from(v: Vec<f64>) -> Self {
        ParamValue::List(v)
    }
}

/// A distribution to draw values from; draws are clipped to `[min, max]` when given.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Distribution {
    /// `[lo, hi]`: uniform on [lo, hi).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uniform: Option<[f64; 2]>,
    /// `[mean, sd]`: Gaussian.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub normal: Option<[f64; 2]>,
    /// Lower clip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Upper clip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

impl Serialize for ParamValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ParamValue::Value(v) => s.serialize_f64(*v),
            ParamValue::List(v) => v.serialize(s),
            ParamValue::Distribution(d) => d.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for ParamValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ParamValue;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a number, a list of numbers, or a distribution \
                     ({\"uniform\": [lo, hi]} or {\"normal\": [mean, sd]})",
                )
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<ParamValue, E> {
                Ok(ParamValue::Value(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<ParamValue, E> {
                Ok(ParamValue::Value(v as f64))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<ParamValue, E> {
                Ok(ParamValue::Value(v as f64))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ParamValue, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
                while let Some(v) = seq.next_element::<f64>()? {
                    out.push(v);
                }
                Ok(ParamValue::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<ParamValue, A::Error> {
                let dist = Distribution::deserialize(de::value::MapAccessDeserializer::new(map))?;
                match (&dist.uniform, &dist.normal) {
                    (Some(_), None) | (None, Some(_)) => Ok(ParamValue::Distribution(dist)),
                    _ => Err(de::Error::custom(
                        "a distribution needs exactly one of \"uniform\" or \"normal\"",
                    )),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl JsonSchema for ParamValue {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ParamValue".into()
    }
    fn json_schema(gen: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let dist = gen.subschema_for::<Distribution>();
        schemars::json_schema!({
            "description": "A number, a list with one number per element, or a distribution.",
            "anyOf": [
                {"type": "number"},
                {"type": "array", "items": {"type": "number"}},
                dist
            ]
        })
    }
}
