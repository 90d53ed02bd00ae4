//! Typed scenario paths: `Path::root().key("scaling").key("PutScalingPolicy").index(2)` is
//! written `scaling.PutScalingPolicy[2]`, exactly as the core's problems name places, and reads
//! or sets that value in a scenario's JSON.

use std::fmt;

use serde_json::{Map, Value};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// A place in a scenario's JSON: object keys and list indices from the root.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Path(Vec<Seg>);

impl Path {
    /// The whole scenario (written as nothing).
    pub fn root() -> Path {
        Path(Vec::new())
    }

    /// The path read from its written form (`a.b[2].c`); the inverse of `Display`.
    pub fn parse(text: &str) -> Path {
        let mut out = Path::root();
        for part in text.split('.') {
            let (key, rest) = part.split_once('[').unwrap_or((part, ""));
            if !key.is_empty() {
                out.0.push(Seg::Key(key.to_string()));
            }
            for idx in rest.split('[') {
                if let Ok(k) = idx.trim_end_matches(']').parse() {
                    out.0.push(Seg::Index(k));
                }
            }
        }
        out
    }

    /// The member `name` of this object; a dotted name (`SuspendedState.DynamicScalingInSuspended`)
    /// goes down one object per part (the format's keys have no dots).
    pub fn key(&self, name: &str) -> Path {
        let mut out = self.clone();
        out.0.extend(name.split('.').filter(|k| !k.is_empty()).map(|k| Seg::Key(k.to_string())));
        out
    }

    /// Entry `i` of this list.
    pub fn index(&self, i: usize) -> Path {
        let mut out = self.clone();
        out.0.push(Seg::Index(i));
        out
    }

    /// `scaling.<list>[i]`: an entry of the scaling section (`PutScalingPolicy`, ...).
    pub fn scaling(list: &str, i: usize) -> Path {
        Path::root().key("scaling").key(list).index(i)
    }

    /// `endpoint.variants[v]`.
    pub fn variant(v: usize) -> Path {
        Path::root().key("endpoint").key("variants").index(v)
    }

    /// The last key (`phases` of `traffic.phases`), if the path ends in one.
    pub fn last_key(&self) -> Option<&str> {
        match self.0.last()? {
            Seg::Key(k) => Some(k),
            Seg::Index(_) => None,
        }
    }

    /// The value here, if there is one.
    pub fn get<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        self.0.iter().try_fold(root, |v, s| match s {
            Seg::Key(k) => v.get(k),
            Seg::Index(i) => v.get(i),
        })
    }

    /// The text here, or "" when it is absent or not text.
    pub fn str<'a>(&self, root: &'a Value) -> &'a str {
        self.get(root).and_then(Value::as_str).unwrap_or("")
    }

    /// The length of the list here (0 when there is none).
    pub fn list_len(&self, root: &Value) -> usize {
        self.get(root).and_then(Value::as_array).map_or(0, Vec::len)
    }

    /// Sets (or with `None` removes) the value here, creating the objects on the way.
    pub fn set(&self, root: &mut Value, value: Option<Value>) -> Result<(), String> {
        let Some((last, parents)) = self.0.split_last() else { return Err("empty path".into()) };
        let mut v = root;
        for s in parents {
            v = match s {
                Seg::Key(k) => {
                    let obj = v.as_object_mut().ok_or_else(|| format!("{k} is not inside an object"))?;
                    obj.entry(k.clone()).or_insert_with(|| Value::Object(Map::new()))
                }
                Seg::Index(i) => v.get_mut(*i).ok_or_else(|| format!("there is no entry [{i}]"))?,
            };
        }
        match (last, value) {
            (Seg::Key(k), Some(x)) => {
                v.as_object_mut().ok_or("not an object")?.insert(k.clone(), x);
            }
            (Seg::Key(k), None) => {
                if let Some(o) = v.as_object_mut() {
                    o.remove(k);
                }
            }
            (Seg::Index(i), Some(x)) => *v.get_mut(*i).ok_or_else(|| format!("there is no entry [{i}]"))? = x,
            (Seg::Index(i), None) => {
                if let Some(a) = v.as_array_mut()
                    && *i < a.len()
                {
                    a.remove(*i);
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, s) in self.0.iter().enumerate() {
            match s {
                Seg::Key(name) if k == 0 => f.write_str(name)?,
                Seg::Key(name) => write!(f, ".{name}")?,
                Seg::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn a_path_is_written_as_the_core_names_places_and_read_back() {
        let p = Path::scaling("PutScalingPolicy", 2).key("StepScalingPolicyConfiguration.StepAdjustments").index(0);
        let text = "scaling.PutScalingPolicy[2].StepScalingPolicyConfiguration.StepAdjustments[0]";
        assert_eq!(p.to_string(), text);
        assert_eq!(Path::parse(text), p);
        assert_eq!(Path::parse("a[1][2].b").to_string(), "a[1][2].b");
        assert_eq!(Path::root().to_string(), "");
        assert_eq!(Path::root().key("duration").to_string(), "duration");
        assert_eq!(Path::variant(1).key("model").to_string(), "endpoint.variants[1].model");
    }

    #[test]
    fn set_creates_objects_on_the_way_and_none_removes() {
        let mut v = json!({"a": [{"b": 1}]});
        let p = Path::root().key("a").index(0).key("c.d");
        p.set(&mut v, Some(json!(2))).unwrap();
        assert_eq!(p.get(&v), Some(&json!(2)));
        assert_eq!(Path::root().key("a").list_len(&v), 1);
        Path::root().key("a").index(0).set(&mut v, None).unwrap();
        assert_eq!(v, json!({"a": []}));
        assert!(Path::root().key("a").index(3).key("x").set(&mut v, Some(json!(1))).is_err());
        assert!(Path::root().set(&mut v, None).is_err());
    }
}
