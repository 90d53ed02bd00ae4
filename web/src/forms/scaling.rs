//! The scaling entries' forms: a variant's inference component and asynchronous inference,
//! scalable targets, target tracking and step policies (with their step rows), alarms,
//! scheduled actions and on-demand capacity changes.

use scalelab_core::{Scenario, vocab};
use serde_json::{Value, json};

use super::cascades::action_names;
use super::{
    Builder, Entry, Form, Kind, Path, check, choices, field, metric_names, scaling_entry, set_at, to_value,
    variant_path,
};
use crate::edit::FieldError;

/// The forms for every scaling entry of `s`, in the order of the scenario.
pub fn forms(s: &Scenario) -> Vec<Form> {
    let Ok(root) = serde_json::to_value(s) else { return Vec::new() };
    let mut out = Vec::new();
    for v in 0..Path::root().join("endpoint.variants").list_len(&root) {
        variant_forms(&root, v, &mut out);
    }
    for i in 0..Path::root().join("scaling.RegisterScalableTarget").list_len(&root) {
        out.push(target_form(&root, i));
    }
    for i in 0..Path::root().join("scaling.PutScalingPolicy").list_len(&root) {
        out.push(policy_form(&root, i));
    }
    for i in 0..Path::root().join("scaling.PutMetricAlarm").list_len(&root) {
        out.push(alarm_form(&root, i));
    }
    for i in 0..Path::root().join("scaling.PutScheduledAction").list_len(&root) {
        out.push(scheduled_form(&root, i));
    }
    for i in 0..Path::root().join("capacityChanges").list_len(&root) {
        out.push(change_form(&root, i));
    }
    out
}

/// Variant `v`'s inference component and asynchronous inference, where it has them.
fn variant_forms(root: &Value, v: usize, out: &mut Vec<Form>) {
    let vp = variant_path(v);
    let name = vp.join("name").str(root).to_string();
    if vp.join("inferenceComponent").get(root).is_some() {
        let mut b = Builder::new(root, vp.clone());
        b.add("inferenceComponent.copyCount", "Copies at the start", Kind::Count, false)
            .add("inferenceComponent.copiesPerInstance", "Copies per instance", Kind::Count, false)
            .add("inferenceComponent.instanceScaleInDelay", "Instance stops after idle for", Kind::Text, true);
        if vp.join("managedInstanceScaling").get(root).is_some() {
            b.add("managedInstanceScaling.minInstanceCount", "Managed instances: min", Kind::Count, false).add(
                "managedInstanceScaling.maxInstanceCount",
                "Managed instances: max",
                Kind::Count,
                false,
            );
        }
        let ic = vp.join("inferenceComponent.name").str(root);
        let note = format!(
            "Variant {name} serves the model as inference component {ic}; with MinCapacity 0 on its copy count, it scales to zero."
        );
        out.push(b.form(Entry::Component(v), "Inference component", ic.to_string(), note, false));
    }
    if vp.join("asyncInference").get(root).is_some() {
        let mut b = Builder::new(root, vp);
        b.add("asyncInference.invocationTimeout", "Request timeout, queueing included", Kind::Text, true);
        let note = format!(
            "Variant {name} queues requests (even with no instance) instead of failing them; scale on ApproximateBacklogSizePerInstance."
        );
        out.push(b.form(Entry::Async(v), "Asynchronous inference", name, note, true));
    }
}

fn target_form(root: &Value, i: usize) -> Form {
    let p = scaling_entry("RegisterScalableTarget", i);
    let id = p.join("ResourceId").str(root).to_string();
    let note = format!("Dimension {}.", p.join("ScalableDimension").str(root));
    let mut b = Builder::new(root, p);
    b.add("MinCapacity", "MinCapacity", Kind::Count, false)
        .add("MaxCapacity", "MaxCapacity", Kind::Count, false)
        .add("SuspendedState.DynamicScalingInSuspended", "Scale-in suspended", Kind::Bool, true)
        .add("SuspendedState.DynamicScalingOutSuspended", "Scale-out suspended", Kind::Bool, true)
        .add("SuspendedState.ScheduledScalingSuspended", "Scheduled scaling suspended", Kind::Bool, true);
    b.form(Entry::Target(i), "Scalable target", id, note, true)
}

/// The names of the alarms whose actions invoke `policy`.
fn alarms_for(root: &Value, policy: &str) -> Vec<String> {
    (0..Path::root().join("scaling.PutMetricAlarm").list_len(root))
        .map(|a| scaling_entry("PutMetricAlarm", a))
        .filter(|a| {
            a.join("AlarmActions")
                .get(root)
                .and_then(Value::as_array)
                .is_some_and(|acts| acts.iter().filter_map(Value::as_str).any(|x| action_names(x, policy)))
        })
        .map(|a| a.join("AlarmName").str(root).to_string())
        .collect()
}

fn policy_form(root: &Value, i: usize) -> Form {
    let p = scaling_entry("PutScalingPolicy", i);
    let name = p.join("PolicyName").str(root).to_string();
    let on = p.join("ResourceId").str(root).to_string();
    let tracking = p.join("TargetTrackingScalingPolicyConfiguration");
    if tracking.get(root).is_some() {
        let predefined = tracking.join("PredefinedMetricSpecification").get(root).is_some();
        let math = tracking.join("CustomizedMetricSpecification.Metrics").get(root).is_some();
        let mut b = Builder::new(root, tracking.clone());
        b.add("TargetValue", "TargetValue", Kind::Number, false);
        if predefined {
            b.add(
                "PredefinedMetricSpecification.PredefinedMetricType",
                "Metric",
                choices(vocab::PREDEFINED_METRICS),
                false,
            );
        } else if !math_fields(&mut b, root, &tracking.join("CustomizedMetricSpecification.Metrics")) {
            b.add("CustomizedMetricSpecification.MetricName", "Metric (customized)", metric_names(), false).add(
                "CustomizedMetricSpecification.Statistic",
                "Statistic",
                choices(vocab::STATISTICS),
                false,
            );
        }
        b.add("ScaleOutCooldown", "ScaleOutCooldown (s)", Kind::Count, true)
            .add("ScaleInCooldown", "ScaleInCooldown (s)", Kind::Count, true)
            .add("DisableScaleIn", "DisableScaleIn", Kind::Bool, true);
        let note = if math {
            format!(
                "On {on}: keeps the returned expression near the target with two managed alarms (one-minute periods)."
            )
        } else {
            format!("On {on}: keeps the metric near the target with two managed alarms.")
        };
        return b.form(Entry::Policy(i), "Target tracking policy", name, note, true);
    }
    let config = p.join("StepScalingPolicyConfiguration");
    let list = config.join("StepAdjustments");
    let steps = (0..list.list_len(root))
        .map(|k| {
            let sp = list.index(k);
            vec![
                field(root, &sp.join("MetricIntervalLowerBound"), "From (above threshold)", Kind::Number, true),
                field(root, &sp.join("MetricIntervalUpperBound"), "To", Kind::Number, true),
                field(root, &sp.join("ScalingAdjustment"), "Adjustment", Kind::Signed, false),
            ]
        })
        .collect();
    let mut b = Builder::new(root, config);
    b.add("AdjustmentType", "AdjustmentType", choices(vocab::ADJUSTMENT_TYPES), false)
        .add("MetricAggregationType", "MetricAggregationType", choices(vocab::METRIC_AGGREGATION_TYPES), true)
        .add("Cooldown", "Cooldown (s)", Kind::Count, true)
        .add("MinAdjustmentMagnitude", "MinAdjustmentMagnitude", Kind::Count, true);
    let alarms = alarms_for(root, &name);
    let note = if alarms.is_empty() {
        format!(
            "On {on}. No alarm invokes it yet: add a step policy + alarm, or point an alarm's AlarmActions at {name}."
        )
    } else {
        format!("On {on}, invoked by {}. Bounds are relative to the alarm's threshold.", alarms.join(", "))
    };
    let mut f = b.form(Entry::Policy(i), "Step scaling policy", name, note, true);
    f.steps = steps;
    f
}

fn alarm_form(root: &Value, i: usize) -> Form {
    let p = scaling_entry("PutMetricAlarm", i);
    let name = p.join("AlarmName").str(root).to_string();
    let actions: Vec<String> = p
        .join("AlarmActions")
        .get(root)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(short_action).collect())
        .unwrap_or_default();
    let mut b = Builder::new(root, p.clone());
    if !math_fields(&mut b, root, &p.join("Metrics")) {
        b.add("MetricName", "Metric", metric_names(), false);
        if p.join("ExtendedStatistic").get(root).is_some() {
            b.add("ExtendedStatistic", "ExtendedStatistic (p99, tm90)", Kind::Text, false);
        } else {
            b.add("Statistic", "Statistic", choices(vocab::STATISTICS), false);
        }
        b.add("Period", "Period (s)", Kind::Count, false);
    }
    b.add("EvaluationPeriods", "EvaluationPeriods", Kind::Count, false)
        .add("DatapointsToAlarm", "DatapointsToAlarm", Kind::Count, true)
        .add("ComparisonOperator", "ComparisonOperator", choices(vocab::COMPARISON_OPERATORS), false)
        .add("Threshold", "Threshold", Kind::Number, false)
        .add("TreatMissingData", "TreatMissingData", choices(vocab::TREAT_MISSING_DATA), true);
    let note = if actions.is_empty() {
        "Invokes no policy.".to_string()
    } else {
        format!("In ALARM it invokes {} every period.", actions.join(", "))
    };
    b.form(Entry::Alarm(i), "CloudWatch alarm", name, note, true)
}

/// The queries of a metric math list at `list`, when there is one: each metric's statistic
/// (percentiles allowed) and each expression, as text the core checks. Returns whether it did.
fn math_fields(b: &mut Builder<'_>, root: &Value, list: &Path) -> bool {
    if list.get(root).is_none() {
        return false;
    }
    for k in 0..list.list_len(root) {
        let q = list.index(k);
        let id = q.join("Id").str(root).to_string();
        let returned = q.join("ReturnData").get(root).and_then(Value::as_bool).unwrap_or(true);
        let tracked = if returned { " (the metric)" } else { "" };
        if q.join("Expression").get(root).is_some() {
            b.push(&q.join("Expression"), &format!("{id} = expression{tracked}"), Kind::Text, false);
        } else {
            let name = q.join("MetricStat.Metric.MetricName").str(root).to_string();
            b.push(&q.join("MetricStat.Stat"), &format!("{id}: {name}, statistic{tracked}"), Kind::Text, false);
        }
    }
    true
}

fn scheduled_form(root: &Value, i: usize) -> Form {
    let p = scaling_entry("PutScheduledAction", i);
    let name = p.join("ScheduledActionName").str(root).to_string();
    let note = format!("On {}.", p.join("ResourceId").str(root));
    let mut b = Builder::new(root, p);
    b.add("Schedule", "Schedule: at(), rate() or cron()", Kind::Text, false)
        .add("Timezone", "Timezone (IANA)", Kind::Text, true)
        .add("StartTime", "StartTime", Kind::Text, true)
        .add("EndTime", "EndTime", Kind::Text, true)
        .add("ScalableTargetAction.MinCapacity", "Sets MinCapacity", Kind::Count, true)
        .add("ScalableTargetAction.MaxCapacity", "Sets MaxCapacity", Kind::Count, true);
    b.form(Entry::Scheduled(i), "Scheduled action", name, note, true)
}

fn change_form(root: &Value, i: usize) -> Form {
    let p = Path::root().join("capacityChanges").index(i);
    let at = p.join("at").str(root).to_string();
    let aws = p.join("UpdateEndpointWeightsAndCapacities.DesiredWeightsAndCapacities");
    let mut b = Builder::new(root, p);
    b.add("at", "At (offset like 40m, or a time)", Kind::Text, false);
    if aws.get(root).is_some() {
        for k in 0..aws.list_len(root) {
            let d = aws.index(k);
            let v = d.join("VariantName").str(root);
            b.push(&d.join("DesiredInstanceCount"), &format!("{v}: instances"), Kind::Count, true).push(
                &d.join("DesiredWeight"),
                &format!("{v}: weight"),
                Kind::Number,
                true,
            );
        }
    } else {
        b.add("variant", "Variant", Kind::Text, true).add("desiredInstanceCount", "Instances", Kind::Count, true).add(
            "desiredWeight",
            "Weight",
            Kind::Number,
            true,
        );
    }
    let note = "UpdateEndpointWeightsAndCapacities: sets the count at once; scaling policies act on it afterwards.";
    b.form(Entry::Change(i), "On-demand change", format!("at {at}"), note.to_string(), true)
}

/// An alarm action as the page names it: the policy name of an ARN.
fn short_action(action: &str) -> String {
    action.rsplit_once("policyName/").map_or(action, |(_, n)| n).to_string()
}

/// Step policy `policy`'s adjustments.
fn steps_path(policy: usize) -> Path {
    scaling_entry("PutScalingPolicy", policy).join("StepScalingPolicyConfiguration.StepAdjustments")
}

/// Adds a step adjustment row to step policy `policy`, above the last one's lower bound.
pub fn add_step(s: &mut Scenario, policy: usize) -> Result<(), FieldError> {
    let path = steps_path(policy);
    let mut root = to_value(s)?;
    let steps = path.get(&root).and_then(Value::as_array).cloned().unwrap_or_default();
    let last = steps.last().cloned().unwrap_or(Value::Null);
    let lower = last.get("MetricIntervalLowerBound").and_then(Value::as_f64).unwrap_or(0.0);
    let adj = last.get("ScalingAdjustment").and_then(Value::as_i64).unwrap_or(1);
    // The last row is open-ended; close it at twice its width and open a new one above.
    let width = if lower > 0.0 { lower } else { 1.0 };
    let upper = lower + width;
    let mut next = steps;
    if let Some(Value::Object(o)) = next.last_mut() {
        o.insert("MetricIntervalUpperBound".into(), json!(upper));
    }
    next.push(json!({"MetricIntervalLowerBound": upper, "ScalingAdjustment": adj.saturating_add(1)}));
    set_at(&mut root, &path, Some(Value::Array(next)))?;
    *s = check(&root, &path.to_string())?;
    Ok(())
}

/// Removes step `step` of policy `policy`; the rows around it are joined so no gap opens.
pub fn remove_step(s: &mut Scenario, policy: usize, step: usize) -> Result<(), FieldError> {
    let path = steps_path(policy);
    let err = |message: String| FieldError { path: path.to_string(), message };
    let mut root = to_value(s)?;
    let mut steps = path.get(&root).and_then(Value::as_array).cloned().unwrap_or_default();
    if steps.len() <= 1 {
        return Err(err("a step policy needs at least one step".into()));
    }
    if step >= steps.len() {
        return Err(err(format!("there is no step {}", step + 1)));
    }
    let removed = steps.remove(step);
    // The neighbour above takes over the removed row's lower bound (or the one below its upper).
    if let Some(Value::Object(o)) = steps.get_mut(step) {
        match removed.get("MetricIntervalLowerBound") {
            Some(b) => o.insert("MetricIntervalLowerBound".into(), b.clone()),
            None => o.remove("MetricIntervalLowerBound"),
        };
    } else if let Some(Value::Object(o)) = steps.last_mut() {
        match removed.get("MetricIntervalUpperBound") {
            Some(b) => o.insert("MetricIntervalUpperBound".into(), b.clone()),
            None => o.remove("MetricIntervalUpperBound"),
        };
    }
    set_at(&mut root, &path, Some(Value::Array(steps)))?;
    *s = check(&root, &path.to_string())?;
    Ok(())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use scalelab_core::examples;

    use super::super::set_field;
    use super::super::test_support::{assert_fields_read_back, example, find};
    use super::*;

    #[test]
    fn every_field_of_every_example_reads_back_what_it_shows() {
        for e in examples::EXAMPLES {
            let s = example(e.name);
            let forms = forms(&s);
            let mut ids = std::collections::BTreeSet::new();
            for f in forms.iter().flat_map(|f| f.fields.iter().chain(f.steps.iter().flatten())) {
                assert!(ids.insert(f.dom_id()), "{}: duplicate id {}", e.name, f.dom_id());
            }
            assert_fields_read_back(e.name, &s, &forms);
        }
        // The examples with scaling show forms for each kind they hold.
        let kinds = |n: &str| forms(&example(n)).iter().map(|f| f.kind).collect::<Vec<_>>();
        assert!(kinds("seed-000-step-scaling-latency").contains(&"Step scaling policy"));
        assert!(kinds("seed-000-step-scaling-latency").contains(&"CloudWatch alarm"));
        assert!(kinds("seed-000-scheduled").contains(&"Scheduled action"));
        assert!(kinds("seed-001-on-demand").contains(&"On-demand change"));
        assert!(kinds("seed-003-scale-to-zero").contains(&"Inference component"));
        assert!(kinds("seed-002-async-backlog").contains(&"Asynchronous inference"));
    }

    #[test]
    fn an_edit_lands_at_its_path_and_a_bad_one_names_its_field() {
        let mut s = example("seed-000-step-scaling-latency");
        let forms = forms(&s);
        let threshold = find(&forms, "PutMetricAlarm[0].Threshold").clone();
        set_field(&mut s, &threshold, "250000").unwrap();
        assert_eq!(s.scaling.as_ref().unwrap().put_metric_alarm[0].threshold, 250000.0);
        let adj = find(&forms, "StepAdjustments[1].ScalingAdjustment").clone();
        set_field(&mut s, &adj, "3").unwrap();
        let steps = &s.scaling.as_ref().unwrap().put_scaling_policy[0].step_scaling_policy_configuration;
        assert_eq!(steps.as_ref().unwrap().step_adjustments[1].scaling_adjustment, 3);

        let before = s.clone();
        let e = set_field(&mut s, &threshold, "lots").unwrap_err();
        assert_eq!((e.path.as_str(), e.message.as_str()), (threshold.path.as_str(), "\"lots\" is not a number"));
        let period = find(&forms, "PutMetricAlarm[0].Period");
        // 45 s is no CloudWatch period: the core's rule, at the field's path.
        let e = set_field(&mut s, period, "45").unwrap_err();
        assert_eq!(e.path, period.path);
        assert!(e.message.contains("multiple of 60"), "{e}");
        // A gap between steps is the core's error, naming the step.
        let upper = find(&forms, "StepAdjustments[0].MetricIntervalUpperBound");
        let e = set_field(&mut s, upper, "300000").unwrap_err();
        assert!(e.path.contains("StepAdjustments"), "{e}");
        let min = find(&forms, "RegisterScalableTarget[0].MinCapacity");
        let e = set_field(&mut s, min, "9").unwrap_err();
        assert!(e.path.starts_with("scaling.RegisterScalableTarget[0]"), "{e}");
        let required = find(&forms, "EvaluationPeriods");
        assert!(set_field(&mut s, required, " ").unwrap_err().message.contains("required"));
        assert_eq!(s, before, "refused edits change nothing");

        // Clearing an optional field removes it; choosing an instance metric picks its namespace.
        let cooldown = find(&forms, "StepScalingPolicyConfiguration.Cooldown");
        set_field(&mut s, cooldown, "").unwrap();
        assert_eq!(
            s.scaling.as_ref().unwrap().put_scaling_policy[0]
                .step_scaling_policy_configuration
                .as_ref()
                .unwrap()
                .cooldown,
            None
        );
        let metric = find(&forms, "PutMetricAlarm[0].MetricName");
        set_field(&mut s, metric, "CPUUtilization").unwrap();
        assert_eq!(
            s.scaling.as_ref().unwrap().put_metric_alarm[0].namespace.as_deref(),
            Some(vocab::NAMESPACE_INSTANCES)
        );
        assert!(set_field(&mut s, metric, "CPUUtilisation").unwrap_err().message.contains("not one of"));
    }

    #[test]
    fn suspending_scale_in_round_trips_and_unchecking_removes_it() {
        let mut s = example("seed-001-after");
        let f = find(&forms(&s), "DynamicScalingInSuspended").clone();
        set_field(&mut s, &f, "true").unwrap();
        let t = &s.scaling.as_ref().unwrap().register_scalable_target[0];
        assert!(t.suspended_state.as_ref().unwrap().dynamic_scaling_in_suspended);
        set_field(&mut s, &f, "false").unwrap();
        assert_eq!(s, example("seed-001-after"));
    }

    #[test]
    fn step_rows_are_added_and_removed_without_gaps() {
        let mut s = example("seed-000-step-scaling-latency");
        add_step(&mut s, 0).unwrap();
        let steps = |s: &Scenario| {
            s.scaling.as_ref().unwrap().put_scaling_policy[0]
                .step_scaling_policy_configuration
                .clone()
                .unwrap()
                .step_adjustments
        };
        assert_eq!(steps(&s).len(), 3);
        assert_eq!(steps(&s)[1].metric_interval_upper_bound, Some(800000.0));
        assert_eq!(steps(&s)[2].metric_interval_lower_bound, Some(800000.0));
        remove_step(&mut s, 0, 1).unwrap();
        assert_eq!(steps(&s).len(), 2);
        assert_eq!(steps(&s)[1].metric_interval_lower_bound, Some(400000.0));
        remove_step(&mut s, 0, 1).unwrap();
        assert_eq!(steps(&s)[0].metric_interval_upper_bound, None);
        assert!(remove_step(&mut s, 0, 0).unwrap_err().message.contains("at least one"));
    }
}
