//! Scenario paths in the page: the core's `problem::Path` (typed keys and indices, written
//! exactly as the core's problems name places), with reading and setting the value it names in
//! a scenario's JSON.

use serde_json::{Map, Value};

pub use scalelab_core::problem::{Path, Seg};

/// `scaling.<list>[i]`: an entry of the scaling section (`PutScalingPolicy`, ...).
pub fn scaling_entry(list: &str, i: usize) -> Path {
    Path::of("scaling").join(list).index(i)
}

/// `endpoint.variants[v]`.
pub fn variant_path(v: usize) -> Path {
    Path::of("endpoint.variants").index(v)
}

/// The value a path names in a JSON document.
pub trait JsonAt {
    /// The value here, if there is one.
    fn get<'a>(&self, root: &'a Value) -> Option<&'a Value>;
    /// The text here, or "" when it is absent or not text.
    fn str<'a>(&self, root: &'a Value) -> &'a str {
        self.get(root).and_then(Value::as_str).unwrap_or("")
    }
    /// The length of the list here (0 when there is none).
    fn list_len(&self, root: &Value) -> usize {
        self.get(root).and_then(Value::as_array).map_or(0, Vec::len)
    }
    /// Sets (or with `None` removes) the value here, creating the objects on the way.
    fn set(&self, root: &mut Value, value: Option<Value>) -> Result<(), String>;
}

impl JsonAt for Path {
    fn get<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        self.segments().iter().try_fold(root, |v, s| match s {
            Seg::Key(k) => v.get(k),
            Seg::Index(i) => v.get(i),
        })
    }

    fn set(&self, root: &mut Value, value: Option<Value>) -> Result<(), String> {
        let Some((last, parents)) = self.segments().split_last() else { return Err("empty path".into()) };
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used)]
    use serde_json::json;

    use super::*;

    #[test]
    fn a_path_is_written_as_the_core_names_places_and_read_back() {
        let p = scaling_entry("PutScalingPolicy", 2).join("StepScalingPolicyConfiguration.StepAdjustments").index(0);
        let text = "scaling.PutScalingPolicy[2].StepScalingPolicyConfiguration.StepAdjustments[0]";
        assert_eq!(p.to_string(), text);
        assert_eq!(Path::of(text), p);
        assert_eq!(Path::of("a[1][2].b").to_string(), "a[1][2].b");
        assert_eq!(Path::root().to_string(), "");
        assert_eq!(Path::root().join("duration").to_string(), "duration");
        assert_eq!(variant_path(1).join("model").to_string(), "endpoint.variants[1].model");
    }

    #[test]
    fn set_creates_objects_on_the_way_and_none_removes() {
        let mut v = json!({"a": [{"b": 1}]});
        let p = Path::root().join("a").index(0).join("c.d");
        p.set(&mut v, Some(json!(2))).unwrap();
        assert_eq!(p.get(&v), Some(&json!(2)));
        assert_eq!(Path::root().join("a").list_len(&v), 1);
        Path::root().join("a").index(0).set(&mut v, None).unwrap();
        assert_eq!(v, json!({"a": []}));
        assert!(Path::root().join("a").index(3).join("x").set(&mut v, Some(json!(1))).is_err());
        assert!(Path::root().set(&mut v, None).is_err());
    }
}
