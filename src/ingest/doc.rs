//! A JSON record parsed in place: strings and keys borrow the text they were
//! read from (only escaped ones are copied), and objects are short lists of
//! fields instead of maps. Importing reads millions of records this way,
//! where a [`serde_json::Value`] would allocate every key and string.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

/// One JSON value of a record.
#[derive(Debug, Clone, PartialEq)]
pub enum Doc<'a> {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as serde_json reads it.
    Number(Number),
    /// A string.
    Str(Cow<'a, str>),
    /// A list.
    List(Vec<Doc<'a>>),
    /// An object's fields, in the order written.
    Object(Vec<(Cow<'a, str>, Doc<'a>)>),
}

impl<'a> Doc<'a> {
    /// Borrows a parsed [`Value`] (the collectors' items are those).
    pub fn from_value(value: &'a Value) -> Doc<'a> {
        match value {
            Value::Null => Doc::Null,
            Value::Bool(b) => Doc::Bool(*b),
            Value::Number(n) => Doc::Number(n.clone()),
            Value::String(s) => Doc::Str(Cow::Borrowed(s)),
            Value::Array(items) => Doc::List(items.iter().map(Doc::from_value).collect()),
            Value::Object(fields) => Doc::from_map(fields),
        }
    }

    /// Borrows a parsed JSON object.
    pub fn from_map(fields: &'a Map<String, Value>) -> Doc<'a> {
        Doc::Object(
            fields
                .iter()
                .map(|(k, v)| (Cow::Borrowed(k.as_str()), Doc::from_value(v)))
                .collect(),
        )
    }

    /// The field `key` of an object. A key written twice means its last
    /// value, as for [`Value`].
    pub fn get(&self, key: &str) -> Option<&Doc<'a>> {
        match self {
            // Mappers ask every record for dozens of names it mostly does
            // not have: comparing lengths and first bytes inline rejects
            // nearly all of them without a call to memcmp.
            Doc::Object(fields) => {
                let wanted = key.as_bytes();
                fields
                    .iter()
                    .rev()
                    .find(|(k, _)| {
                        let k = k.as_bytes();
                        k.len() == wanted.len() && k.first() == wanted.first() && k == wanted
                    })
                    .map(|(_, v)| v)
            }
            _ => None,
        }
    }

    /// Whether this is an object.
    pub fn is_object(&self) -> bool {
        matches!(self, Doc::Object(_))
    }

    /// The items of a list.
    pub fn as_list(&self) -> Option<&[Doc<'a>]> {
        match self {
            Doc::List(items) => Some(items),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Doc<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(DocVisitor)
    }
}

struct DocVisitor;

impl<'de> Visitor<'de> for DocVisitor {
    type Value = Doc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Doc<'de>, E> {
        Ok(Doc::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Doc<'de>, E> {
        Ok(Doc::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Doc<'de>, E> {
        Ok(Doc::Number(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Doc<'de>, E> {
        // As serde_json's own Value does.
        Ok(Number::from_f64(v).map_or(Doc::Null, Doc::Number))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E>(self, v: &str) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Owned(v.to_string())))
    }

    fn visit_string<E>(self, v: String) -> Result<Doc<'de>, E> {
        Ok(Doc::Str(Cow::Owned(v)))
    }

    fn visit_unit<E>(self) -> Result<Doc<'de>, E> {
        Ok(Doc::Null)
    }

    fn visit_none<E>(self) -> Result<Doc<'de>, E> {
        Ok(Doc::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Doc<'de>, D::Error> {
        Deserialize::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Doc::List(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc<'de>, A::Error> {
        let mut fields = Vec::with_capacity(map.size_hint().unwrap_or(8));
        while let Some((Key(key), value)) = map.next_entry()? {
            fields.push((key, value));
        }
        Ok(Doc::Object(fields))
    }
}

/// An object key, borrowed when it has no escapes (serde's own `Cow`
/// always copies).
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }

            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }

            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_string())))
            }

            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_value_and_borrows_plain_strings() {
        let text = r#"{"id": "p\"1", "n": {"a": 1, "b": -2, "c": 1.5}, "l": [true, null], "id2": "plain", "n": {"a": 7}}"#;
        let doc: Doc = serde_json::from_str(text).unwrap();
        let value: Value = serde_json::from_str(text).unwrap();
        let borrowed = Doc::from_value(&value);
        assert_eq!(
            doc.get("n"),
            borrowed.get("n"),
            "the last of a repeated key wins"
        );
        assert_eq!(doc.get("id"), Some(&Doc::Str(Cow::Borrowed("p\"1"))));
        assert!(matches!(
            doc.get("id2"),
            Some(Doc::Str(Cow::Borrowed("plain")))
        ));
        assert_eq!(doc.get("l").and_then(Doc::as_list).map(<[_]>::len), Some(2));
        let first: Doc = serde_json::from_str(r#"{"a": 1, "b": -2, "c": 1.5}"#).unwrap();
        let first_value: Value = serde_json::from_str(r#"{"a": 1, "b": -2, "c": 1.5}"#).unwrap();
        assert_eq!(first, Doc::from_value(&first_value));
        assert!(serde_json::from_str::<Doc>(r#"{"a": 1"#).is_err());
    }
}
