//! Scenario paths in the page: the core's `problem::Path` (typed keys and indices, written
//! exactly as the core's problems name places, reading and setting the value it names in a
//! scenario's JSON), and the places the forms name most.

pub use scalelab_core::problem::Path;

/// `scaling.<list>[i]`: an entry of the scaling section (`PutScalingPolicy`, ...).
pub fn scaling_entry(list: &str, i: usize) -> Path {
    Path::of("scaling").join(list).index(i)
}

/// `endpoint.variants[v]`.
pub fn variant_path(v: usize) -> Path {
    Path::of("endpoint.variants").index(v)
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
