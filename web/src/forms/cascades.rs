//! Removing an entry with what only it needed: a target's policies and scheduled actions, a
//! policy's alarms, a variant's targets, capacity changes and alarms; then the scaling section's
//! empty lists.

use scalelab_core::Scenario;
use serde_json::Value;

use super::{Entry, Path, check, scaling_entry, set_at, text_of, to_value, variant_path};
use crate::edit::FieldError;

/// Whether an alarm action (a policy name or ARN) names `policy`.
pub(super) fn action_names(action: &str, policy: &str) -> bool {
    action == policy || action.ends_with(&format!("policyName/{policy}"))
}

/// The scaling section's list `key` (`PutScalingPolicy`, ...), if there is one.
pub(super) fn scaling_list<'a>(root: &'a mut Value, key: &str) -> Option<&'a mut Vec<Value>> {
    root.get_mut("scaling")?.get_mut(key)?.as_array_mut()
}

/// Drops the alarm actions that name a policy no longer there, and the alarms left without any.
fn drop_orphan_alarms(root: &mut Value) {
    let names: Vec<String> = root
        .pointer("/scaling/PutScalingPolicy")
        .and_then(Value::as_array)
        .map(|ps| ps.iter().filter_map(|p| p.get("PolicyName")?.as_str().map(String::from)).collect())
        .unwrap_or_default();
    if let Some(alarms) = scaling_list(root, "PutMetricAlarm") {
        alarms.retain_mut(|a| {
            let Some(acts) = a.get_mut("AlarmActions").and_then(Value::as_array_mut) else { return true };
            if acts.is_empty() {
                return true;
            }
            acts.retain(|x| x.as_str().is_some_and(|x| names.iter().any(|n| action_names(x, n))));
            !acts.is_empty()
        });
    }
}

/// Drops what names a removed variant: its capacity changes, its scalable targets with their
/// policies and scheduled actions, and the alarms on its metrics.
fn forget_variant(root: &mut Value, name: &str) {
    if let Some(changes) = root.get_mut("capacityChanges").and_then(Value::as_array_mut) {
        changes.retain_mut(|c| {
            if c.get("variant").and_then(Value::as_str) == Some(name) {
                return false;
            }
            match c
                .pointer_mut("/UpdateEndpointWeightsAndCapacities/DesiredWeightsAndCapacities")
                .and_then(Value::as_array_mut)
            {
                Some(list) => {
                    list.retain(|d| d.get("VariantName").and_then(Value::as_str) != Some(name));
                    !list.is_empty()
                }
                None => true,
            }
        });
    }
    let suffix = format!("/variant/{name}");
    let on_variant = |x: &Value| x.get("ResourceId").and_then(Value::as_str).is_some_and(|r| r.ends_with(&suffix));
    for key in ["RegisterScalableTarget", "PutScalingPolicy", "PutScheduledAction"] {
        if let Some(list) = scaling_list(root, key) {
            list.retain(|x| !on_variant(x));
        }
    }
    if let Some(alarms) = scaling_list(root, "PutMetricAlarm") {
        let names_variant = |dims: Option<&Value>| {
            dims.and_then(Value::as_array).is_some_and(|d| {
                d.iter().any(|d| {
                    d.get("Name").and_then(Value::as_str) == Some("VariantName")
                        && d.get("Value").and_then(Value::as_str) == Some(name)
                })
            })
        };
        // An alarm on the variant's metric, or with a metric math query on it.
        alarms.retain(|a| {
            let queries = a.get("Metrics").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
            !(names_variant(a.get("Dimensions"))
                || queries.iter().any(|q| names_variant(q.pointer("/MetricStat/Metric/Dimensions"))))
        });
    }
}

/// Removes the scaling section's empty lists, and the section when nothing is left.
fn tidy_scaling(root: &mut Value) {
    if let Some(Value::Object(sc)) = root.get_mut("scaling") {
        sc.retain(|k, v| !(k != "targetTrackingDefaults" && v.as_array().is_some_and(Vec::is_empty)));
        if !sc.keys().any(|k| k != "targetTrackingDefaults")
            && let Some(o) = root.as_object_mut()
        {
            o.remove("scaling");
        }
    }
}

/// Removes the entry at `path` (which must be there); `name_key` names it in the sentence.
fn remove_named(root: &mut Value, path: &Path, name_key: &str) -> Result<String, FieldError> {
    let name = text_of(path.join(name_key).get(root));
    path.get(root).ok_or_else(|| FieldError { path: path.to_string(), message: "no longer exists".into() })?;
    set_at(root, path, None)?;
    Ok(name)
}

/// Removes an entry and what only it needed: a target's policies, scheduled actions and their
/// alarms; a policy's alarms. Returns a sentence saying what went.
pub fn remove(s: &mut Scenario, entry: Entry) -> Result<String, FieldError> {
    let mut root = to_value(s)?;
    let said = match entry {
        Entry::Target(i) => {
            let path = scaling_entry("RegisterScalableTarget", i);
            let t = path.get(&root).cloned().unwrap_or(Value::Null);
            let same = |x: &Value| {
                x.get("ResourceId") == t.get("ResourceId") && x.get("ScalableDimension") == t.get("ScalableDimension")
            };
            let id = remove_named(&mut root, &path, "ResourceId")?;
            for key in ["PutScalingPolicy", "PutScheduledAction"] {
                if let Some(list) = scaling_list(&mut root, key) {
                    list.retain(|x| !same(x));
                }
            }
            format!("removed target {id} with its policies and scheduled actions")
        }
        Entry::Policy(i) => {
            format!("removed policy {}", remove_named(&mut root, &scaling_entry("PutScalingPolicy", i), "PolicyName")?)
        }
        Entry::Alarm(i) => {
            format!("removed {}", remove_named(&mut root, &scaling_entry("PutMetricAlarm", i), "AlarmName")?)
        }
        Entry::Scheduled(i) => {
            let path = scaling_entry("PutScheduledAction", i);
            format!("removed {}", remove_named(&mut root, &path, "ScheduledActionName")?)
        }
        Entry::Change(i) => {
            format!("removed {}", remove_named(&mut root, &Path::root().join("capacityChanges").index(i), "at")?)
        }
        Entry::Async(v) => {
            set_at(&mut root, &variant_path(v).join("asyncInference"), None)?;
            "removed asynchronous inference".to_string()
        }
        Entry::Variant(v) => {
            let path = variant_path(v);
            if s.endpoint.variants.len() <= 1 {
                return Err(FieldError {
                    path: path.to_string(),
                    message: "an endpoint needs at least one variant".into(),
                });
            }
            let name = text_of(path.join("name").get(&root));
            set_at(&mut root, &path, None)?;
            forget_variant(&mut root, &name);
            format!("removed variant {name}, with the scaling and capacity changes that named it")
        }
        Entry::Run | Entry::Traffic(_) => {
            return Err(FieldError {
                path: "traffic".into(),
                message: "the run and its traffic cannot be removed".into(),
            });
        }
        Entry::Component(v) => {
            return Err(FieldError {
                path: variant_path(v).join("inferenceComponent").to_string(),
                message: "an inference component is removed in the scenario JSON".into(),
            });
        }
    };
    drop_orphan_alarms(&mut root);
    if let Some(o) = root.as_object_mut()
        && o.get("capacityChanges").and_then(Value::as_array).is_some_and(Vec::is_empty)
    {
        o.remove("capacityChanges");
    }
    tidy_scaling(&mut root);
    *s = check(&root, "scaling")?;
    Ok(said)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::super::test_support::{example, find, planned};
    use super::super::{endpoint_forms, forms};
    use super::*;

    #[test]
    fn removing_a_policy_takes_its_alarm_and_removing_the_target_takes_everything() {
        let mut s = example("seed-003-scale-to-zero");
        let f = forms(&s);
        let step = f.iter().find(|f| f.kind == "Step scaling policy").unwrap();
        assert!(step.note.contains("llama3-8b-ic-no-capacity"), "{}", step.note);
        remove(&mut s, step.entry).unwrap();
        let sc = s.scaling.as_ref().unwrap();
        assert!(sc.put_metric_alarm.is_empty() && sc.put_scaling_policy.len() == 1);
        let said = remove(&mut s, Entry::Target(0)).unwrap();
        assert!(said.contains("inference-component/llama3-8b-ic"), "{said}");
        assert!(s.scaling.is_none());
        assert!(remove(&mut s, Entry::Target(0)).is_err());
        assert!(remove(&mut s, Entry::Component(0)).is_err());
    }

    #[test]
    fn a_variant_is_removed_only_when_another_remains() {
        let mut s = example("ab-test-variants");
        let forms = endpoint_forms(&s, &planned(&s));
        assert!(forms.iter().all(|f| f.removable) && forms.len() == 2);
        assert!(find(&forms, "variants[1].initialVariantWeight").value.parse::<f64>().is_ok());
        let said = remove(&mut s, Entry::Variant(1)).unwrap();
        assert!(said.starts_with("removed variant"), "{said}");
        assert_eq!(s.endpoint.variants.len(), 1);
        assert!(s.capacity_changes.iter().all(|c| c.variant.as_deref() != Some("Cpu")), "its capacity change went too");
        assert!(remove(&mut s, Entry::Variant(0)).is_err());
        assert!(!endpoint_forms(&s, &planned(&s))[0].removable);
    }
}
