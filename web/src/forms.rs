//! Forms for every scaling entry of a scenario: scalable targets, target tracking and step
//! policies, the alarms that drive step policies, scheduled actions, on-demand capacity
//! changes, inference components (scale to zero) and asynchronous inference.
//!
//! A form is a list of fields, each naming its place in the scenario by the same path the
//! core's checks report (`scaling.PutScalingPolicy[0].TargetTrackingScalingPolicyConfiguration.TargetValue`).
//! An edit sets that one value in the scenario's JSON and reads the whole scenario back through
//! the core, so every rule of the format applies and a refusal names the field; on refusal the
//! scenario is unchanged. Templates add a working entry of each kind, sized from the model's
//! capacity; removing a policy removes the alarm that only drove it.

use scalelab_core::{Scenario, vocab};
use serde_json::{Map, Value, json};

use crate::edit::FieldError;

/// What a field holds and how the page shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A whole number, 0 or more.
    Count,
    /// A whole number that may be negative (step adjustments).
    Signed,
    Number,
    Text,
    Bool,
    Choice(Vec<&'static str>),
    /// A choice whose options carry a label: (value, label).
    Labelled(Vec<(String, String)>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Field {
    /// The scenario path, as the core reports problems.
    pub path: String,
    pub label: String,
    pub kind: Kind,
    /// Empty text removes the value (AWS's default applies).
    pub optional: bool,
    /// The current value as the control shows it ("" when absent).
    pub value: String,
}

impl Field {
    /// An element id for the control, from the path (`f-scaling-PutScalingPolicy-0-...`).
    pub fn dom_id(&self) -> String {
        let mut id = String::from("f-");
        for c in self.path.chars() {
            if c.is_ascii_alphanumeric() {
                id.push(c);
            } else if !id.ends_with('-') {
                id.push('-');
            }
        }
        id.trim_end_matches('-').to_string()
    }
}

/// The entry a form edits; removing it removes what depends on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    Target(usize),
    Policy(usize),
    Alarm(usize),
    Scheduled(usize),
    Change(usize),
    /// A variant's inference component (scale to zero).
    Component(usize),
    /// A variant's asynchronous inference.
    Async(usize),
    /// A variant: instance type, count, weight, model or serving profile.
    Variant(usize),
    /// The run: duration, start, latency objective.
    Run,
    /// One shape of the traffic, numbered in the order of the forms.
    Traffic(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    pub entry: Entry,
    /// What kind of entry ("Target tracking policy").
    pub kind: &'static str,
    pub title: String,
    /// One sentence about the entry: what drives it, what it applies to.
    pub note: String,
    /// Problems whose path starts with this belong to the form.
    pub prefix: String,
    pub fields: Vec<Field>,
    /// Rows of fields: a step policy's adjustments, a traffic shape's phases or steps.
    pub steps: Vec<Vec<Field>>,
    /// For traffic rows, the list they are in (`traffic.phases`), to add and remove rows.
    pub rows_path: Option<String>,
    pub removable: bool,
}

/// The entries a user can add from the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Template {
    TargetTracking,
    StepScaling,
    Scheduled,
    OnDemand,
    ScaleToZero,
    AsyncInference,
}

impl Template {
    pub const ALL: [Template; 6] = [
        Template::TargetTracking,
        Template::StepScaling,
        Template::Scheduled,
        Template::OnDemand,
        Template::ScaleToZero,
        Template::AsyncInference,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Template::TargetTracking => "Target tracking policy",
            Template::StepScaling => "Step policy + alarm",
            Template::Scheduled => "Scheduled action",
            Template::OnDemand => "On-demand change",
            Template::ScaleToZero => "Scale to zero",
            Template::AsyncInference => "Asynchronous inference",
        }
    }

    pub fn id(self) -> &'static str {
        match self {
            Template::TargetTracking => "target-tracking",
            Template::StepScaling => "step",
            Template::Scheduled => "scheduled",
            Template::OnDemand => "on-demand",
            Template::ScaleToZero => "scale-to-zero",
            Template::AsyncInference => "async",
        }
    }

    pub fn from_id(id: &str) -> Option<Template> {
        Template::ALL.into_iter().find(|t| t.id() == id)
    }
}

// ---------------------------------------------------------------------------------------------
// Paths

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    Key(String),
    Index(usize),
}

/// `a.b[2].c` → [Key a, Key b, Index 2, Key c].
fn segments(path: &str) -> Vec<Seg> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').map_or((part, ""), |(k, r)| (k, r));
        if !key.is_empty() {
            out.push(Seg::Key(key.to_string()));
        }
        for idx in rest.split('[') {
            if let Ok(k) = idx.trim_end_matches(']').parse() {
                out.push(Seg::Index(k));
            }
        }
    }
    out
}

fn get<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    segments(path).iter().try_fold(root, |v, s| match s {
        Seg::Key(k) => v.get(k),
        Seg::Index(i) => v.get(i),
    })
}

/// Sets (or with `None` removes) the value at `path`, creating the objects on the way.
fn set(root: &mut Value, path: &str, value: Option<Value>) -> Result<(), String> {
    let segs = segments(path);
    let Some((last, parents)) = segs.split_last() else { return Err("empty path".into()) };
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

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        // Whole numbers without the ".0" that f64 values print with.
        Some(Value::Number(n)) => match n.as_f64() {
            Some(x) if n.is_f64() && x.fract() == 0.0 && x.abs() < 1e15 => format!("{x:.0}"),
            _ => n.to_string(),
        },
        Some(Value::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

fn str_at<'a>(root: &'a Value, path: &str) -> &'a str {
    get(root, path).and_then(Value::as_str).unwrap_or("")
}

fn len_at(root: &Value, path: &str) -> usize {
    get(root, path).and_then(Value::as_array).map_or(0, Vec::len)
}

struct Builder<'a> {
    root: &'a Value,
    prefix: String,
    fields: Vec<Field>,
}

impl Builder<'_> {
    fn add(&mut self, rel: &str, label: &str, kind: Kind, optional: bool) -> &mut Self {
        let path = if self.prefix.is_empty() { rel.to_string() } else { format!("{}.{rel}", self.prefix) };
        let value = text_of(get(self.root, &path));
        self.fields.push(Field { path, label: label.to_string(), kind, optional, value });
        self
    }
}

fn field(root: &Value, path: String, label: &str, kind: Kind, optional: bool) -> Field {
    let value = text_of(get(root, &path));
    Field { path, label: label.to_string(), kind, optional, value }
}

fn choices(list: &[&'static str]) -> Kind {
    Kind::Choice(list.to_vec())
}

fn metric_names() -> Kind {
    Kind::Choice(vocab::metrics().map(|(_, n)| n).collect())
}

// ---------------------------------------------------------------------------------------------
// Reading forms

/// The forms for every scaling entry of `s`, in the order of the scenario.
pub fn forms(s: &Scenario) -> Vec<Form> {
    let Ok(root) = serde_json::to_value(s) else { return Vec::new() };
    let mut out = Vec::new();
    let form = |entry, kind, title: String, note: String, b: Builder<'_>, removable| Form {
        entry,
        kind,
        title,
        note,
        prefix: b.prefix,
        fields: b.fields,
        steps: Vec::new(),
        rows_path: None,
        removable,
    };
    let builder = |prefix: String| Builder { root: &root, prefix, fields: Vec::new() };

    for v in 0..len_at(&root, "endpoint.variants") {
        let vp = format!("endpoint.variants[{v}]");
        let name = str_at(&root, &format!("{vp}.name")).to_string();
        if get(&root, &format!("{vp}.inferenceComponent")).is_some() {
            let mut b = builder(vp.clone());
            b.add("inferenceComponent.copyCount", "Copies at the start", Kind::Count, false)
                .add("inferenceComponent.copiesPerInstance", "Copies per instance", Kind::Count, false)
                .add("inferenceComponent.instanceScaleInDelay", "Instance stops after idle for", Kind::Text, true);
            if get(&root, &format!("{vp}.managedInstanceScaling")).is_some() {
                b.add("managedInstanceScaling.minInstanceCount", "Managed instances: min", Kind::Count, false).add(
                    "managedInstanceScaling.maxInstanceCount",
                    "Managed instances: max",
                    Kind::Count,
                    false,
                );
            }
            let ic = str_at(&root, &format!("{vp}.inferenceComponent.name"));
            let note = format!(
                "Variant {name} serves the model as inference component {ic}; with MinCapacity 0 on its copy count, it scales to zero."
            );
            out.push(form(Entry::Component(v), "Inference component", ic.to_string(), note, b, false));
        }
        if get(&root, &format!("{vp}.asyncInference")).is_some() {
            let mut b = builder(vp.clone());
            b.add("asyncInference.invocationTimeout", "Request timeout, queueing included", Kind::Text, true);
            let note = format!(
                "Variant {name} queues requests (even with no instance) instead of failing them; scale on ApproximateBacklogSizePerInstance."
            );
            out.push(form(Entry::Async(v), "Asynchronous inference", name.clone(), note, b, true));
        }
    }

    for i in 0..len_at(&root, "scaling.RegisterScalableTarget") {
        let mut b = builder(format!("scaling.RegisterScalableTarget[{i}]"));
        b.add("MinCapacity", "MinCapacity", Kind::Count, false)
            .add("MaxCapacity", "MaxCapacity", Kind::Count, false)
            .add("SuspendedState.DynamicScalingInSuspended", "Scale-in suspended", Kind::Bool, true)
            .add("SuspendedState.DynamicScalingOutSuspended", "Scale-out suspended", Kind::Bool, true)
            .add("SuspendedState.ScheduledScalingSuspended", "Scheduled scaling suspended", Kind::Bool, true);
        let id = str_at(&root, &format!("{}.ResourceId", b.prefix)).to_string();
        let note = format!("Dimension {}.", str_at(&root, &format!("{}.ScalableDimension", b.prefix)));
        out.push(form(Entry::Target(i), "Scalable target", id, note, b, true));
    }

    let alarms_for = |policy: &str| -> Vec<String> {
        (0..len_at(&root, "scaling.PutMetricAlarm"))
            .filter(|&a| {
                get(&root, &format!("scaling.PutMetricAlarm[{a}].AlarmActions"))
                    .and_then(Value::as_array)
                    .is_some_and(|acts| acts.iter().filter_map(Value::as_str).any(|x| action_names(x, policy)))
            })
            .map(|a| str_at(&root, &format!("scaling.PutMetricAlarm[{a}].AlarmName")).to_string())
            .collect()
    };

    for i in 0..len_at(&root, "scaling.PutScalingPolicy") {
        let p = format!("scaling.PutScalingPolicy[{i}]");
        let name = str_at(&root, &format!("{p}.PolicyName")).to_string();
        let on = str_at(&root, &format!("{p}.ResourceId")).to_string();
        if get(&root, &format!("{p}.TargetTrackingScalingPolicyConfiguration")).is_some() {
            let mut b = builder(format!("{p}.TargetTrackingScalingPolicyConfiguration"));
            b.add("TargetValue", "TargetValue", Kind::Number, false);
            if get(&root, &format!("{}.PredefinedMetricSpecification", b.prefix)).is_some() {
                b.add(
                    "PredefinedMetricSpecification.PredefinedMetricType",
                    "Metric",
                    choices(scalelab_core::autoscaling::PREDEFINED_METRICS),
                    false,
                );
            } else {
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
            let note = format!("On {on}: keeps the metric near the target with two managed alarms.");
            out.push(form(Entry::Policy(i), "Target tracking policy", name, note, b, true));
        } else {
            let mut b = builder(format!("{p}.StepScalingPolicyConfiguration"));
            b.add("AdjustmentType", "AdjustmentType", choices(vocab::ADJUSTMENT_TYPES), false)
                .add("MetricAggregationType", "MetricAggregationType", choices(vocab::METRIC_AGGREGATION_TYPES), true)
                .add("Cooldown", "Cooldown (s)", Kind::Count, true)
                .add("MinAdjustmentMagnitude", "MinAdjustmentMagnitude", Kind::Count, true);
            let steps = (0..len_at(&root, &format!("{}.StepAdjustments", b.prefix)))
                .map(|k| {
                    let sp = format!("{}.StepAdjustments[{k}]", b.prefix);
                    vec![
                        field(
                            &root,
                            format!("{sp}.MetricIntervalLowerBound"),
                            "From (above threshold)",
                            Kind::Number,
                            true,
                        ),
                        field(&root, format!("{sp}.MetricIntervalUpperBound"), "To", Kind::Number, true),
                        field(&root, format!("{sp}.ScalingAdjustment"), "Adjustment", Kind::Signed, false),
                    ]
                })
                .collect();
            let alarms = alarms_for(&name);
            let note = if alarms.is_empty() {
                format!(
                    "On {on}. No alarm invokes it yet: add a step policy + alarm, or point an alarm's AlarmActions at {name}."
                )
            } else {
                format!("On {on}, invoked by {}. Bounds are relative to the alarm's threshold.", alarms.join(", "))
            };
            let mut f = form(Entry::Policy(i), "Step scaling policy", name, note, b, true);
            f.steps = steps;
            out.push(f);
        }
    }

    for i in 0..len_at(&root, "scaling.PutMetricAlarm") {
        let mut b = builder(format!("scaling.PutMetricAlarm[{i}]"));
        b.add("MetricName", "Metric", metric_names(), false)
            .add("Statistic", "Statistic", choices(vocab::STATISTICS), false)
            .add("Period", "Period (s)", Kind::Count, false)
            .add("EvaluationPeriods", "EvaluationPeriods", Kind::Count, false)
            .add("DatapointsToAlarm", "DatapointsToAlarm", Kind::Count, true)
            .add("ComparisonOperator", "ComparisonOperator", choices(vocab::COMPARISON_OPERATORS), false)
            .add("Threshold", "Threshold", Kind::Number, false)
            .add("TreatMissingData", "TreatMissingData", choices(vocab::TREAT_MISSING_DATA), true);
        let name = str_at(&root, &format!("{}.AlarmName", b.prefix)).to_string();
        let actions: Vec<String> = get(&root, &format!("{}.AlarmActions", b.prefix))
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).map(short_action).collect())
            .unwrap_or_default();
        let note = if actions.is_empty() {
            "Invokes no policy.".to_string()
        } else {
            format!("In ALARM it invokes {} every period.", actions.join(", "))
        };
        out.push(form(Entry::Alarm(i), "CloudWatch alarm", name, note, b, true));
    }

    for i in 0..len_at(&root, "scaling.PutScheduledAction") {
        let mut b = builder(format!("scaling.PutScheduledAction[{i}]"));
        b.add("Schedule", "Schedule: at(), rate() or cron()", Kind::Text, false)
            .add("Timezone", "Timezone (IANA)", Kind::Text, true)
            .add("StartTime", "StartTime", Kind::Text, true)
            .add("EndTime", "EndTime", Kind::Text, true)
            .add("ScalableTargetAction.MinCapacity", "Sets MinCapacity", Kind::Count, true)
            .add("ScalableTargetAction.MaxCapacity", "Sets MaxCapacity", Kind::Count, true);
        let name = str_at(&root, &format!("{}.ScheduledActionName", b.prefix)).to_string();
        let note = format!("On {}.", str_at(&root, &format!("{}.ResourceId", b.prefix)));
        out.push(form(Entry::Scheduled(i), "Scheduled action", name, note, b, true));
    }

    for i in 0..len_at(&root, "capacityChanges") {
        let mut b = builder(format!("capacityChanges[{i}]"));
        b.add("at", "At (offset like 40m, or a time)", Kind::Text, false);
        let aws = format!("{}.UpdateEndpointWeightsAndCapacities.DesiredWeightsAndCapacities", b.prefix);
        if get(&root, &aws).is_some() {
            for k in 0..len_at(&root, &aws) {
                let v = str_at(&root, &format!("{aws}[{k}].VariantName")).to_string();
                let rel = format!("UpdateEndpointWeightsAndCapacities.DesiredWeightsAndCapacities[{k}]");
                b.add(&format!("{rel}.DesiredInstanceCount"), &format!("{v}: instances"), Kind::Count, true).add(
                    &format!("{rel}.DesiredWeight"),
                    &format!("{v}: weight"),
                    Kind::Number,
                    true,
                );
            }
        } else {
            b.add("variant", "Variant", Kind::Text, true)
                .add("desiredInstanceCount", "Instances", Kind::Count, true)
                .add("desiredWeight", "Weight", Kind::Number, true);
        }
        let at = str_at(&root, &format!("{}.at", b.prefix)).to_string();
        let note = "UpdateEndpointWeightsAndCapacities: sets the count at once; scaling policies act on it afterwards.";
        out.push(form(Entry::Change(i), "On-demand change", format!("at {at}"), note.to_string(), b, true));
    }
    out
}

/// Whether an alarm action (a policy name or ARN) names `policy`.
fn action_names(action: &str, policy: &str) -> bool {
    action == policy || action.ends_with(&format!("policyName/{policy}"))
}

fn short_action(action: &str) -> String {
    action.rsplit_once("policyName/").map_or(action, |(_, n)| n).to_string()
}

// ---------------------------------------------------------------------------------------------
// Edits

fn parse(field: &Field, text: &str) -> Result<Option<Value>, FieldError> {
    let t = text.trim();
    let err = |m: String| FieldError { path: field.path.clone(), message: m };
    if t.is_empty() {
        return if field.optional || field.kind == Kind::Bool {
            Ok(None)
        } else {
            Err(err(format!("{} is required", field.label)))
        };
    }
    Ok(Some(match &field.kind {
        Kind::Count => json!(t.parse::<u32>().map_err(|_| err(format!("\"{t}\" is not a whole number of 0 or more")))?),
        Kind::Signed => json!(t.parse::<i64>().map_err(|_| err(format!("\"{t}\" is not a whole number")))?),
        Kind::Number => {
            let x: f64 = t.parse().map_err(|_| err(format!("\"{t}\" is not a number")))?;
            if !x.is_finite() {
                return Err(err(format!("\"{t}\" is not a finite number")));
            }
            json!(x)
        }
        Kind::Text => json!(t),
        Kind::Bool => match t {
            "true" => json!(true),
            "false" => return Ok(None),
            _ => return Err(err(format!("\"{t}\" is not true or false"))),
        },
        Kind::Choice(list) => {
            if !list.contains(&t) {
                return Err(err(format!("\"{t}\" is not one of {}", list.join(", "))));
            }
            json!(t)
        }
        Kind::Labelled(list) => {
            if !list.iter().any(|(v, _)| v == t) {
                let names: Vec<&str> = list.iter().map(|(v, _)| v.as_str()).collect();
                return Err(err(format!("\"{t}\" is not one of {}", names.join(", "))));
            }
            json!(t)
        }
    }))
}

/// Reads `root` back as a scenario through the core's checks; the first problem (preferring
/// one at `near`) names the field.
fn check(root: &Value, near: &str) -> Result<Scenario, FieldError> {
    let to_field = |p: scalelab_core::Problems| {
        let mut list = p.0;
        let k = list.iter().position(|p| p.path.starts_with(near)).unwrap_or(0);
        if k < list.len() {
            let p = list.swap_remove(k);
            FieldError { path: p.path, message: p.message }
        } else {
            FieldError { path: near.to_string(), message: "the scenario is refused".into() }
        }
    };
    let s = Scenario::from_json(&root.to_string()).map_err(to_field)?;
    scalelab_core::plan(&s, None).map_err(to_field)?;
    Ok(s)
}

fn to_value(s: &Scenario) -> Result<Value, FieldError> {
    serde_json::to_value(s).map_err(|e| FieldError { path: String::new(), message: e.to_string() })
}

/// Sets one field from the text of its control. On error the scenario is unchanged.
pub fn set_field(s: &mut Scenario, field: &Field, text: &str) -> Result<(), FieldError> {
    let value = parse(field, text)?;
    let mut root = to_value(s)?;
    // A metric lives in one namespace: choosing the metric chooses it.
    if field.path.ends_with(".MetricName")
        && let Some(name) = value.as_ref().and_then(Value::as_str)
        && let Some((ns, _)) = vocab::metrics().find(|(_, n)| *n == name)
    {
        let ns_path = format!("{}.Namespace", field.path.trim_end_matches(".MetricName"));
        set(&mut root, &ns_path, Some(json!(ns))).map_err(|m| FieldError { path: ns_path.clone(), message: m })?;
    }
    set(&mut root, &field.path, value).map_err(|m| FieldError { path: field.path.clone(), message: m })?;
    prune_empty(&mut root);
    *s = check(&root, &field.path)?;
    Ok(())
}

/// Removes a `SuspendedState` that suspends nothing, as AWS shows a target without one.
fn prune_empty(root: &mut Value) {
    if let Some(targets) = root.pointer_mut("/scaling/RegisterScalableTarget").and_then(Value::as_array_mut) {
        for t in targets {
            if let Some(o) = t.as_object_mut()
                && o.get("SuspendedState")
                    .and_then(Value::as_object)
                    .is_some_and(|m| m.values().all(|v| v.as_bool() != Some(true)))
            {
                o.remove("SuspendedState");
            }
        }
    }
}

/// Adds a step adjustment row to step policy `policy`, above the last one's lower bound.
pub fn add_step(s: &mut Scenario, policy: usize) -> Result<(), FieldError> {
    let path = format!("scaling.PutScalingPolicy[{policy}].StepScalingPolicyConfiguration.StepAdjustments");
    let mut root = to_value(s)?;
    let steps = get(&root, &path).and_then(Value::as_array).cloned().unwrap_or_default();
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
    set(&mut root, &path, Some(Value::Array(next))).map_err(|m| FieldError { path: path.clone(), message: m })?;
    *s = check(&root, &path)?;
    Ok(())
}

/// Removes step `step` of policy `policy`; the rows around it are joined so no gap opens.
pub fn remove_step(s: &mut Scenario, policy: usize, step: usize) -> Result<(), FieldError> {
    let path = format!("scaling.PutScalingPolicy[{policy}].StepScalingPolicyConfiguration.StepAdjustments");
    let mut root = to_value(s)?;
    let mut steps = get(&root, &path).and_then(Value::as_array).cloned().unwrap_or_default();
    if steps.len() <= 1 {
        return Err(FieldError { path, message: "a step policy needs at least one step".into() });
    }
    if step >= steps.len() {
        return Err(FieldError { path, message: format!("there is no step {}", step + 1) });
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
    set(&mut root, &path, Some(Value::Array(steps))).map_err(|m| FieldError { path: path.clone(), message: m })?;
    *s = check(&root, &path)?;
    Ok(())
}

fn scaling_list<'a>(root: &'a mut Value, key: &str) -> Option<&'a mut Vec<Value>> {
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
        alarms.retain(|a| {
            !a.get("Dimensions").and_then(Value::as_array).is_some_and(|d| {
                d.iter().any(|d| {
                    d.get("Name").and_then(Value::as_str) == Some("VariantName")
                        && d.get("Value").and_then(Value::as_str) == Some(name)
                })
            })
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

/// Removes an entry and what only it needed: a target's policies, scheduled actions and their
/// alarms; a policy's alarms. Returns a sentence saying what went.
pub fn remove(s: &mut Scenario, entry: Entry) -> Result<String, FieldError> {
    let mut root = to_value(s)?;
    let missing = |path: String| FieldError { path, message: "no longer exists".into() };
    let said = match entry {
        Entry::Target(i) => {
            let path = format!("scaling.RegisterScalableTarget[{i}]");
            let t = get(&root, &path).cloned().ok_or_else(|| missing(path.clone()))?;
            let same = |x: &Value| {
                x.get("ResourceId") == t.get("ResourceId") && x.get("ScalableDimension") == t.get("ScalableDimension")
            };
            for key in ["PutScalingPolicy", "PutScheduledAction"] {
                if let Some(list) = scaling_list(&mut root, key) {
                    list.retain(|x| !same(x));
                }
            }
            set(&mut root, &path, None).map_err(|m| FieldError { path, message: m })?;
            format!("removed target {} with its policies and scheduled actions", text_of(t.get("ResourceId")))
        }
        Entry::Policy(i) => {
            let path = format!("scaling.PutScalingPolicy[{i}]");
            let name = text_of(get(&root, &format!("{path}.PolicyName")));
            get(&root, &path).ok_or_else(|| missing(path.clone()))?;
            set(&mut root, &path, None).map_err(|m| FieldError { path, message: m })?;
            format!("removed policy {name}")
        }
        Entry::Alarm(i) | Entry::Scheduled(i) | Entry::Change(i) => {
            let (path, name_key) = match entry {
                Entry::Alarm(_) => (format!("scaling.PutMetricAlarm[{i}]"), "AlarmName"),
                Entry::Scheduled(_) => (format!("scaling.PutScheduledAction[{i}]"), "ScheduledActionName"),
                _ => (format!("capacityChanges[{i}]"), "at"),
            };
            let name = text_of(get(&root, &format!("{path}.{name_key}")));
            get(&root, &path).ok_or_else(|| missing(path.clone()))?;
            set(&mut root, &path, None).map_err(|m| FieldError { path, message: m })?;
            format!("removed {name}")
        }
        Entry::Async(v) => {
            let path = format!("endpoint.variants[{v}].asyncInference");
            set(&mut root, &path, None).map_err(|m| FieldError { path, message: m })?;
            "removed asynchronous inference".to_string()
        }
        Entry::Variant(v) => {
            if s.endpoint.variants.len() <= 1 {
                return Err(FieldError {
                    path: format!("endpoint.variants[{v}]"),
                    message: "an endpoint needs at least one variant".into(),
                });
            }
            let name = text_of(get(&root, &format!("endpoint.variants[{v}].name")));
            let path = format!("endpoint.variants[{v}]");
            set(&mut root, &path, None).map_err(|m| FieldError { path, message: m })?;
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
                path: format!("endpoint.variants[{v}].inferenceComponent"),
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

// ---------------------------------------------------------------------------------------------
// Templates

/// The first variant's names and capacity, for templates.
#[derive(Clone)]
struct Subject {
    endpoint: String,
    variant: String,
    component: Option<String>,
    initial: u32,
    /// Requests per second one instance (or copy) serves at full load.
    capacity_rps: f64,
}

fn subject(s: &Scenario) -> Result<Subject, FieldError> {
    let plan = scalelab_core::plan(s, None)
        .map_err(|_| FieldError { path: "scaling".into(), message: "fix the scenario's problems first".into() })?;
    let v = s.endpoint.variants.first().ok_or_else(|| FieldError {
        path: "endpoint.variants".into(),
        message: "the endpoint has no variant".into(),
    })?;
    let capacity_rps = plan.variants.first().map_or(1.0, |p| p.profile.capacity_rps());
    Ok(Subject {
        endpoint: s.endpoint.name.clone(),
        variant: v.name.clone(),
        component: v.inference_component.as_ref().map(|c| c.name.clone()),
        initial: v.initial_instance_count,
        capacity_rps,
    })
}

impl Subject {
    fn resource(&self) -> (String, &'static str) {
        match &self.component {
            Some(c) => (format!("inference-component/{c}"), vocab::COMPONENT_DIMENSION),
            None => (format!("endpoint/{}/variant/{}", self.endpoint, self.variant), vocab::VARIANT_DIMENSION),
        }
    }

    fn dimensions(&self) -> Value {
        match &self.component {
            Some(c) => json!([{"Name": "InferenceComponentName", "Value": c}]),
            None => {
                json!([{"Name": "EndpointName", "Value": self.endpoint}, {"Name": "VariantName", "Value": self.variant}])
            }
        }
    }

    /// Invocations per instance (or copy) per minute at `share` of capacity, rounded to a
    /// readable figure.
    fn per_minute(&self, share: f64) -> f64 {
        round_readable(self.capacity_rps * 60.0 * share).max(1.0)
    }
}

/// Two significant digits.
fn round_readable(x: f64) -> f64 {
    if !(x.is_finite() && x > 0.0) {
        return 0.0;
    }
    // Through decimal text, the same on every target.
    format!("{x:.1e}").parse().unwrap_or(x)
}

fn unique(base: &str, taken: &[String]) -> String {
    if !taken.iter().any(|t| t == base) {
        return base.to_string();
    }
    (2..).map(|k| format!("{base}-{k}")).find(|n| !taken.iter().any(|t| t == n)).unwrap_or_else(|| base.to_string())
}

fn names(root: &Value, key: &str, name_key: &str) -> Vec<String> {
    root.pointer(&format!("/scaling/{key}"))
        .and_then(Value::as_array)
        .map(|l| l.iter().filter_map(|x| x.get(name_key)?.as_str().map(String::from)).collect())
        .unwrap_or_default()
}

fn push(root: &mut Value, key: &str, item: Value) -> Result<(), FieldError> {
    let err = |m: &str| FieldError { path: format!("scaling.{key}"), message: m.into() };
    let obj = root.as_object_mut().ok_or_else(|| err("the scenario is not an object"))?;
    let sc = obj.entry("scaling").or_insert_with(|| json!({}));
    let list =
        sc.as_object_mut().ok_or_else(|| err("scaling is not an object"))?.entry(key).or_insert_with(|| json!([]));
    list.as_array_mut().ok_or_else(|| err("not a list"))?.push(item);
    Ok(())
}

/// The first registered target (resource, dimension), registering one for the first variant
/// (or its inference component) if there is none.
fn ensure_target(root: &mut Value, sub: &Subject) -> Result<(String, String), FieldError> {
    if let Some(t) = root.pointer("/scaling/RegisterScalableTarget/0") {
        return Ok((text_of(t.get("ResourceId")), text_of(t.get("ScalableDimension"))));
    }
    let (id, dim) = sub.resource();
    let min = sub.initial.max(1);
    push(
        root,
        "RegisterScalableTarget",
        json!({"ServiceNamespace": "sagemaker", "ResourceId": id, "ScalableDimension": dim,
               "MinCapacity": min, "MaxCapacity": (min * 4).max(4)}),
    )?;
    Ok((id, dim.to_string()))
}

/// Adds a working entry of the template's kind. Returns a sentence saying what was added.
pub fn add(s: &mut Scenario, template: Template) -> Result<String, FieldError> {
    let sub = subject(s)?;
    let mut root = to_value(s)?;
    let policies = names(&root, "PutScalingPolicy", "PolicyName");
    let said = match template {
        Template::TargetTracking => {
            let (id, dim) = ensure_target(&mut root, &sub)?;
            let ic = dim.contains("inference-component");
            let (metric, target) = if ic {
                ("SageMakerInferenceComponentInvocationsPerCopy", sub.per_minute(0.5))
            } else {
                ("SageMakerVariantInvocationsPerInstance", sub.per_minute(0.5))
            };
            let name = unique(if ic { "invocations-per-copy" } else { "invocations-per-instance" }, &policies);
            push(
                &mut root,
                "PutScalingPolicy",
                json!({"PolicyName": name, "ServiceNamespace": "sagemaker", "ResourceId": id,
                       "ScalableDimension": dim, "PolicyType": "TargetTrackingScaling",
                       "TargetTrackingScalingPolicyConfiguration": {
                           "TargetValue": target,
                           "PredefinedMetricSpecification": {"PredefinedMetricType": metric},
                           "ScaleOutCooldown": 300, "ScaleInCooldown": 300}}),
            )?;
            format!(
                "target tracking policy {name}: {} per minute, half of what one {} serves at full load",
                scalelab_core::fmt::num(target),
                if ic { "copy" } else { "instance" }
            )
        }
        Template::StepScaling => {
            let (id, dim) = ensure_target(&mut root, &sub)?;
            let ic = dim.contains("inference-component");
            let name = unique("step-scale-out", &policies);
            let alarm = unique(&format!("{name}-high"), &names(&root, "PutMetricAlarm", "AlarmName"));
            let threshold = sub.per_minute(0.7);
            push(
                &mut root,
                "PutScalingPolicy",
                json!({"PolicyName": name, "ServiceNamespace": "sagemaker", "ResourceId": id,
                       "ScalableDimension": dim, "PolicyType": "StepScaling",
                       "StepScalingPolicyConfiguration": {
                           "AdjustmentType": "ChangeInCapacity", "MetricAggregationType": "Average", "Cooldown": 120,
                           "StepAdjustments": [
                               {"MetricIntervalLowerBound": 0.0, "MetricIntervalUpperBound": threshold / 2.0, "ScalingAdjustment": 1},
                               {"MetricIntervalLowerBound": threshold / 2.0, "ScalingAdjustment": 2}]}}),
            )?;
            push(
                &mut root,
                "PutMetricAlarm",
                json!({"AlarmName": alarm,
                       "MetricName": if ic { "InvocationsPerCopy" } else { "InvocationsPerInstance" },
                       "Namespace": "AWS/SageMaker", "Statistic": "Sum", "Dimensions": sub.dimensions(),
                       "Period": 60, "EvaluationPeriods": 2, "DatapointsToAlarm": 2, "Threshold": threshold,
                       "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
                       "AlarmActions": [name]}),
            )?;
            format!(
                "step policy {name} with alarm {alarm} (above {} per minute for 2 minutes: +1, +2 from 50 % higher)",
                scalelab_core::fmt::num(threshold)
            )
        }
        Template::Scheduled => {
            let (id, dim) = ensure_target(&mut root, &sub)?;
            let taken = names(&root, "PutScheduledAction", "ScheduledActionName");
            let name = unique("weekday-morning", &taken);
            let min = sub.initial.max(1) + 1;
            push(
                &mut root,
                "PutScheduledAction",
                json!({"ServiceNamespace": "sagemaker", "ScheduledActionName": name, "ResourceId": id,
                       "ScalableDimension": dim, "Schedule": "cron(0 8 ? * MON-FRI *)", "Timezone": "UTC",
                       "ScalableTargetAction": {"MinCapacity": min}}),
            )?;
            format!("scheduled action {name}: MinCapacity {min} at 08:00 UTC on weekdays")
        }
        Template::OnDemand => {
            let at = s.duration.as_secs_f64() / 2.0;
            let count = sub.initial + 1;
            let change = json!({"at": format!("{}s", at.round()),
                "UpdateEndpointWeightsAndCapacities": {"EndpointName": sub.endpoint,
                    "DesiredWeightsAndCapacities": [{"VariantName": sub.variant, "DesiredInstanceCount": count}]}});
            let obj = root.as_object_mut().ok_or_else(|| FieldError {
                path: "capacityChanges".into(),
                message: "the scenario is not an object".into(),
            })?;
            let list = obj.entry("capacityChanges").or_insert_with(|| json!([]));
            if let Some(l) = list.as_array_mut() {
                l.push(change);
            }
            format!("an on-demand change to {count} instances halfway through the run")
        }
        Template::ScaleToZero => add_scale_to_zero(&mut root, &sub, &policies)?,
        Template::AsyncInference => add_async(&mut root, &sub, &policies)?,
    };
    *s = check(&root, "scaling")?;
    Ok(said)
}

/// Turns the first variant into an inference component whose copies scale to zero, as seed
/// 003 does: managed instance scaling down to 0, copy target tracking, and a step policy on
/// `NoCapacityInvocationFailures` that brings a copy back when requests arrive.
fn add_scale_to_zero(root: &mut Value, sub: &Subject, policies: &[String]) -> Result<String, FieldError> {
    let v = "endpoint.variants[0]";
    let err = |m: &str| FieldError { path: format!("{v}.inferenceComponent"), message: m.into() };
    if get(root, &format!("{v}.asyncInference")).is_some() {
        return Err(err(
            "an asynchronous endpoint scales to zero on its backlog already: see its target's MinCapacity",
        ));
    }
    let ic = match &sub.component {
        Some(c) => c.clone(),
        None => {
            let name = format!("{}-ic", sub.variant.to_lowercase());
            let max = (sub.initial.max(1) * 4).max(4);
            set(root, &format!("{v}.inferenceComponent"), Some(json!({"name": name, "copyCount": sub.initial.max(1)})))
                .map_err(|m| err(&m))?;
            set(
                root,
                &format!("{v}.managedInstanceScaling"),
                Some(json!({"minInstanceCount": 0, "maxInstanceCount": max})),
            )
            .map_err(|m| err(&m))?;
            // The variant's own target and policies would now scale instances that the
            // component manages: move them to the copy count.
            let (old_id, _) = Subject { component: None, ..sub.clone() }.resource();
            let new_id = format!("inference-component/{name}");
            for key in ["RegisterScalableTarget", "PutScalingPolicy", "PutScheduledAction"] {
                if let Some(list) = scaling_list(root, key) {
                    for x in list.iter_mut().filter(|x| x.get("ResourceId").and_then(Value::as_str) == Some(&old_id)) {
                        x["ResourceId"] = json!(new_id);
                        x["ScalableDimension"] = json!(vocab::COMPONENT_DIMENSION);
                        if let Some(m) = x.pointer_mut(
                            "/TargetTrackingScalingPolicyConfiguration/PredefinedMetricSpecification/PredefinedMetricType",
                        ) && m == "SageMakerVariantInvocationsPerInstance"
                        {
                            *m = json!("SageMakerInferenceComponentInvocationsPerCopy");
                        }
                    }
                }
            }
            name
        }
    };
    let sub = Subject { component: Some(ic.clone()), ..sub.clone() };
    let (id, dim) = ensure_target(root, &sub)?;
    if let Some(targets) = scaling_list(root, "RegisterScalableTarget") {
        for t in targets.iter_mut().filter(|t| t.get("ResourceId").and_then(Value::as_str) == Some(&id)) {
            t["MinCapacity"] = json!(0);
        }
    }
    let tracked = scaling_list(root, "PutScalingPolicy").is_some_and(|l| {
        l.iter().any(|p| {
            p.get("ResourceId").and_then(Value::as_str) == Some(&id)
                && p.get("TargetTrackingScalingPolicyConfiguration").is_some()
        })
    });
    if !tracked {
        push(
            root,
            "PutScalingPolicy",
            json!({"PolicyName": unique("invocations-per-copy", policies), "ServiceNamespace": "sagemaker",
                   "ResourceId": id, "ScalableDimension": dim, "PolicyType": "TargetTrackingScaling",
                   "TargetTrackingScalingPolicyConfiguration": {"TargetValue": sub.per_minute(0.5),
                       "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerInferenceComponentInvocationsPerCopy"},
                       "ScaleOutCooldown": 300, "ScaleInCooldown": 300}}),
        )?;
    }
    let (wake, alarm) = push_wake_up(
        root,
        WakeUp {
            policy: unique("scale-out-from-zero", policies),
            alarm: format!("{ic}-no-capacity"),
            target: (&id, &dim),
            metric: "NoCapacityInvocationFailures",
            statistic: "Maximum",
            dimensions: json!([{"Name": "InferenceComponentName", "Value": ic}]),
            periods: 1,
            cooldown: 60,
        },
    )?;
    Ok(format!(
        "scale to zero: inference component {ic} (MinCapacity 0), wake-up policy {wake} on alarm {alarm}; requests fail with ValidationError while no copy runs"
    ))
}

/// The wake-up from zero: a step policy adding one unit whenever its alarm (`metric` at or
/// above 1 for `periods` minutes) is in ALARM.
struct WakeUp<'a> {
    policy: String,
    /// The alarm's name before it is made unique.
    alarm: String,
    /// Resource id and scalable dimension.
    target: (&'a str, &'a str),
    metric: &'static str,
    statistic: &'static str,
    dimensions: Value,
    periods: u32,
    cooldown: u32,
}

/// Adds the wake-up policy and its alarm; returns their names.
fn push_wake_up(root: &mut Value, w: WakeUp<'_>) -> Result<(String, String), FieldError> {
    push(
        root,
        "PutScalingPolicy",
        json!({"PolicyName": w.policy, "ServiceNamespace": "sagemaker", "ResourceId": w.target.0,
               "ScalableDimension": w.target.1, "PolicyType": "StepScaling",
               "StepScalingPolicyConfiguration": {"AdjustmentType": "ChangeInCapacity",
                   "MetricAggregationType": w.statistic, "Cooldown": w.cooldown,
                   "StepAdjustments": [{"MetricIntervalLowerBound": 0.0, "ScalingAdjustment": 1}]}}),
    )?;
    let alarm = unique(&w.alarm, &names(root, "PutMetricAlarm", "AlarmName"));
    push(
        root,
        "PutMetricAlarm",
        json!({"AlarmName": alarm, "MetricName": w.metric, "Namespace": "AWS/SageMaker",
               "Statistic": w.statistic, "Dimensions": w.dimensions, "Period": 60,
               "EvaluationPeriods": w.periods, "DatapointsToAlarm": w.periods, "Threshold": 1,
               "ComparisonOperator": "GreaterThanOrEqualToThreshold", "TreatMissingData": "missing",
               "AlarmActions": [w.policy]}),
    )?;
    Ok((w.policy, alarm))
}

/// Makes the first variant asynchronous and scales it on its backlog, down to zero, with a
/// `HasBacklogWithoutCapacity` alarm to wake it (seed 002).
fn add_async(root: &mut Value, sub: &Subject, policies: &[String]) -> Result<String, FieldError> {
    let v = "endpoint.variants[0]";
    if sub.component.is_some() {
        return Err(FieldError {
            path: format!("{v}.asyncInference"),
            message: "an inference component cannot be asynchronous here: pick a preset without one".into(),
        });
    }
    set(root, &format!("{v}.asyncInference"), Some(json!({"invocationTimeout": "15m"})))
        .map_err(|m| FieldError { path: format!("{v}.asyncInference"), message: m })?;
    let (id, dim) = ensure_target(root, sub)?;
    if let Some(targets) = scaling_list(root, "RegisterScalableTarget") {
        for t in targets.iter_mut().filter(|t| t.get("ResourceId").and_then(Value::as_str) == Some(&id)) {
            t["MinCapacity"] = json!(0);
        }
    }
    let endpoint_dim = json!([{"Name": "EndpointName", "Value": sub.endpoint}]);
    let backlog = unique("backlog-per-instance", policies);
    push(
        root,
        "PutScalingPolicy",
        json!({"PolicyName": backlog, "ServiceNamespace": "sagemaker", "ResourceId": id, "ScalableDimension": dim,
               "PolicyType": "TargetTrackingScaling",
               "TargetTrackingScalingPolicyConfiguration": {"TargetValue": 5.0,
                   "CustomizedMetricSpecification": {"MetricName": "ApproximateBacklogSizePerInstance",
                       "Namespace": "AWS/SageMaker", "Dimensions": endpoint_dim, "Statistic": "Average"},
                   "ScaleInCooldown": 600, "ScaleOutCooldown": 300}}),
    )?;
    let (wake, alarm) = push_wake_up(
        root,
        WakeUp {
            policy: unique("wake-from-zero", policies),
            alarm: format!("{}-backlog-without-capacity", sub.endpoint),
            target: (&id, &dim),
            metric: "HasBacklogWithoutCapacity",
            statistic: "Average",
            dimensions: endpoint_dim,
            periods: 2,
            cooldown: 300,
        },
    )?;
    Ok(format!(
        "asynchronous inference: backlog target tracking {backlog} (5 per instance, MinCapacity 0) and wake-up {wake} on alarm {alarm}"
    ))
}

// ---------------------------------------------------------------------------------------------
// The run and its traffic

/// The traffic shapes a user can switch to; each is sized from the current peak rate.
pub const SHAPES: [(&str, &str); 7] = [
    ("constant", "Constant rate"),
    ("phases", "Ramp, then hold (load-test phases)"),
    ("steps", "Steps"),
    ("spike", "Spike over a base"),
    ("diurnal", "Daily cycle"),
    ("businessHours", "Business hours"),
    ("bursts", "Random bursts"),
];

fn shape_label(kind: &str) -> &'static str {
    match kind {
        "constant" => "Constant rate",
        "phases" => "Load-test phases",
        "steps" => "Steps",
        "spike" => "Spike",
        "diurnal" => "Daily cycle",
        "businessHours" => "Business hours",
        "bursts" => "Random bursts",
        "trace" => "Trace replay",
        "sum" => "Sum of shapes",
        "sequence" => "Sequence",
        _ => "Traffic",
    }
}

/// The shape at `path` (`{"phases": [...]}`): its kind and body.
fn shape_at<'a>(root: &'a Value, path: &str) -> Option<(&'a str, &'a Value)> {
    get(root, path)?.as_object()?.iter().next().map(|(k, v)| (k.as_str(), v))
}

/// The forms for the run (duration, start, latency objective) and for each traffic shape,
/// into sums and sequences.
pub fn traffic_forms(s: &Scenario) -> Vec<Form> {
    let Ok(root) = serde_json::to_value(s) else { return Vec::new() };
    let mut b = Builder { root: &root, prefix: String::new(), fields: Vec::new() };
    b.add("duration", "Run length", Kind::Text, false).add("start", "Starts at (UTC, ISO 8601)", Kind::Text, true).add(
        "sloLatency",
        "Latency objective",
        Kind::Text,
        true,
    );
    let mut out = vec![Form {
        entry: Entry::Run,
        kind: "Run",
        title: String::new(),
        note: "Durations like 90s, 15m, 2h; the start sets the clock that daily shapes and schedules follow.".into(),
        prefix: "duration".into(),
        fields: b.fields,
        steps: Vec::new(),
        rows_path: None,
        removable: false,
    }];
    traffic_node(&root, "traffic", "", &mut out);
    out
}

fn traffic_node(root: &Value, path: &str, context: &str, out: &mut Vec<Form>) {
    let Some((kind, body)) = shape_at(root, path) else { return };
    let mut b = Builder { root, prefix: format!("{path}.{kind}"), fields: Vec::new() };
    let mut rows = Vec::new();
    let mut rows_path = None;
    let mut note = String::new();
    match kind {
        "constant" => {
            b.add("rps", "Requests/s", Kind::Number, false);
        }
        "phases" | "steps" => {
            let list = format!("{path}.{kind}");
            for k in 0..body.as_array().map_or(0, Vec::len) {
                let p = format!("{list}[{k}]");
                rows.push(if kind == "phases" {
                    vec![
                        field(root, format!("{p}.duration"), "Duration", Kind::Text, false),
                        field(root, format!("{p}.arrivalRate"), "Requests/s at the start", Kind::Number, false),
                        field(root, format!("{p}.rampTo"), "Ramps to", Kind::Number, true),
                        field(root, format!("{p}.name"), "Name", Kind::Text, true),
                    ]
                } else {
                    vec![
                        field(root, format!("{p}.at"), "From", Kind::Text, false),
                        field(root, format!("{p}.rps"), "Requests/s", Kind::Number, false),
                    ]
                });
            }
            note = if kind == "phases" {
                "One after another, as artillery runs them; the rate ramps linearly when \"ramps to\" is set.".into()
            } else {
                "Each rate holds from its time until the next.".into()
            };
            rows_path = Some(list);
        }
        "spike" => {
            b.add("at", "At", Kind::Text, false).add("duration", "For", Kind::Text, false).add(
                "rps",
                "Requests/s",
                Kind::Number,
                false,
            );
        }
        "diurnal" => {
            b.add("minRps", "Lowest requests/s", Kind::Number, false)
                .add("maxRps", "Highest requests/s", Kind::Number, false)
                .add("peakAt", "Peak at (time of day, UTC)", Kind::Text, false)
                .add("period", "Period", Kind::Text, true);
        }
        "businessHours" => {
            b.add("rps", "Requests/s when open", Kind::Number, false)
                .add("offHoursRps", "Requests/s otherwise", Kind::Number, true)
                .add("open", "Opens (UTC)", Kind::Text, false)
                .add("close", "Closes (UTC)", Kind::Text, false);
            let days: Vec<&str> = body.get("days").and_then(Value::as_array).map_or_else(
                || vec!["Mon", "Tue", "Wed", "Thu", "Fri"],
                |d| d.iter().filter_map(Value::as_str).collect(),
            );
            note = format!("Open on {} (edit the days in the scenario JSON).", days.join(", "));
        }
        "bursts" => {
            b.add("rps", "Requests/s in a burst", Kind::Number, false)
                .add("baseRps", "Requests/s between bursts", Kind::Number, true)
                .add("meanOn", "Mean burst length", Kind::Text, false)
                .add("meanOff", "Mean gap", Kind::Text, false);
        }
        "trace" => {
            b.add("interval", "Interval per count", Kind::Text, true).add("repeat", "Repeat", Kind::Bool, true);
            let n = body.get("invocations").and_then(Value::as_array).map_or(0, Vec::len);
            note = if n > 0 {
                format!("{n} counts replayed (edit them in the scenario JSON).")
            } else {
                "Counts from CSV text (edit it in the scenario JSON).".into()
            };
        }
        "sum" => {
            for k in 0..body.as_array().map_or(0, Vec::len) {
                traffic_node(root, &format!("{path}.sum[{k}]"), &format!("{context}part {} of a sum: ", k + 1), out);
            }
            return;
        }
        "sequence" => {
            for k in 0..body.as_array().map_or(0, Vec::len) {
                let seg = format!("{path}.sequence[{k}]");
                let before = out.len();
                traffic_node(root, &format!("{seg}.traffic"), &format!("{context}segment {}: ", k + 1), out);
                // The segment's length goes first in its shape's form.
                if let Some(f) = out.get_mut(before) {
                    f.fields.insert(0, field(root, format!("{seg}.duration"), "Segment length", Kind::Text, false));
                }
            }
            return;
        }
        _ => {}
    }
    let index = out.len();
    out.push(Form {
        entry: Entry::Traffic(index),
        kind: shape_label(kind),
        title: context.trim_end_matches(": ").to_string(),
        note,
        prefix: b.prefix,
        fields: b.fields,
        steps: rows,
        rows_path,
        removable: false,
    });
}

fn duration_text(secs: f64) -> String {
    scalelab_core::time::Duration::from_secs_f64(secs.max(0.0).round()).to_string()
}

fn rate(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Replaces the traffic with a shape from `SHAPES`, sized from the current peak rate and run
/// length (a ramp to the peak, a spike reaching it, a daily cycle peaking at it...).
pub fn set_shape(s: &mut Scenario, id: &str) -> Result<(), FieldError> {
    // Three significant digits: the rate function's peak of a ramp to 800 is 799.97.
    let peak = crate::edit::peak_rps(s).filter(|p| *p > 0.0).map_or(10.0, |p| format!("{p:.2e}").parse().unwrap_or(p));
    let d = s.duration.as_secs_f64();
    let traffic = match id {
        "constant" => json!({"constant": {"rps": rate(peak)}}),
        "phases" => json!({"phases": [
            {"duration": duration_text(d / 2.0), "arrivalRate": rate(peak / 4.0), "rampTo": rate(peak), "name": "ramp"},
            {"duration": duration_text(d / 2.0), "arrivalRate": rate(peak), "name": "hold"}]}),
        "steps" => json!({"steps": [
            {"at": "0s", "rps": rate(peak / 4.0)},
            {"at": duration_text(d / 3.0), "rps": rate(peak)},
            {"at": duration_text(d * 2.0 / 3.0), "rps": rate(peak / 2.0)}]}),
        "spike" => json!({"sum": [
            {"constant": {"rps": rate(peak / 4.0)}},
            {"spike": {"at": duration_text(d / 3.0), "duration": duration_text(d / 10.0), "rps": rate(peak * 0.75)}}]}),
        "diurnal" => json!({"diurnal": {"minRps": rate(peak / 5.0), "maxRps": rate(peak), "peakAt": "14h"}}),
        "businessHours" => {
            json!({"businessHours": {"rps": rate(peak), "offHoursRps": rate(peak / 10.0), "open": "8h", "close": "18h"}})
        }
        "bursts" => {
            json!({"bursts": {"rps": rate(peak), "baseRps": rate(peak / 10.0), "meanOn": "5m", "meanOff": "15m"}})
        }
        _ => return Err(FieldError { path: "traffic".into(), message: format!("no traffic shape \"{id}\"") }),
    };
    let mut root = to_value(s)?;
    set(&mut root, "traffic", Some(traffic)).map_err(|m| FieldError { path: "traffic".into(), message: m })?;
    *s = check(&root, "traffic")?;
    Ok(())
}

/// Adds a row to the traffic list at `list` (`traffic.phases`, `traffic.steps`): a phase
/// like the last, starting where it ended; a step 10 % of the run after the last.
pub fn add_row(s: &mut Scenario, list: &str) -> Result<(), FieldError> {
    let mut root = to_value(s)?;
    let err = |m: String| FieldError { path: list.to_string(), message: m };
    let rows = get(&root, list).and_then(Value::as_array).cloned().ok_or_else(|| err("no such list".into()))?;
    let last = rows.last().cloned().unwrap_or(Value::Null);
    let row = if list.ends_with("phases") {
        let start = last.get("rampTo").or_else(|| last.get("arrivalRate")).cloned().unwrap_or(json!(1.0));
        json!({"duration": last.get("duration").cloned().unwrap_or(json!("10m")), "arrivalRate": start})
    } else {
        let at = last
            .get("at")
            .and_then(Value::as_str)
            .and_then(|t| scalelab_core::time::Duration::parse(t).ok())
            .map_or(0.0, scalelab_core::time::Duration::as_secs_f64);
        let step = (s.duration.as_secs_f64() / 10.0).max(60.0);
        json!({"at": duration_text(at + step), "rps": last.get("rps").cloned().unwrap_or(json!(1.0))})
    };
    let mut next = rows;
    next.push(row);
    set(&mut root, list, Some(Value::Array(next))).map_err(err)?;
    *s = check(&root, list)?;
    Ok(())
}

/// Removes row `k` of the traffic list at `list`; the last row stays.
pub fn remove_row(s: &mut Scenario, list: &str, k: usize) -> Result<(), FieldError> {
    let mut root = to_value(s)?;
    let err = |m: String| FieldError { path: list.to_string(), message: m };
    let mut rows = get(&root, list).and_then(Value::as_array).cloned().ok_or_else(|| err("no such list".into()))?;
    if rows.len() <= 1 {
        return Err(err("the traffic needs at least one row".into()));
    }
    if k >= rows.len() {
        return Err(err(format!("there is no row {}", k + 1)));
    }
    rows.remove(k);
    set(&mut root, list, Some(Value::Array(rows))).map_err(err)?;
    *s = check(&root, list)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The endpoint

/// How the page names an instance type: "ml.g5.2xlarge · 8 vCPU · 1× A10G · $1.515/h".
pub fn instance_label(t: &scalelab_core::catalog::InstanceType) -> String {
    if t.accelerators > 0 {
        format!(
            "{} · {} vCPU · {}× {} · ${:.3}/h",
            t.name, t.vcpus, t.accelerators, t.accelerator, t.price_usd_per_hour
        )
    } else {
        format!("{} · {} vCPU · {} GiB · ${:.3}/h", t.name, t.vcpus, t.memory_gib, t.price_usd_per_hour)
    }
}

/// The forms for each variant: instance type (the types its built-in model has a profile for,
/// or the whole catalog), count, weight, and the model or the inline serving profile.
pub fn endpoint_forms(s: &Scenario) -> Vec<Form> {
    let Ok(root) = serde_json::to_value(s) else { return Vec::new() };
    let plan = scalelab_core::plan(s, None).ok();
    let many = s.endpoint.variants.len() > 1;
    let mut out = Vec::new();
    for (v, var) in s.endpoint.variants.iter().enumerate() {
        let mut b = Builder { root: &root, prefix: format!("endpoint.variants[{v}]"), fields: Vec::new() };
        let types = crate::edit::instance_choices_for(s, v)
            .into_iter()
            .map(|t| (t.name.to_string(), instance_label(t)))
            .collect::<Vec<_>>();
        let ic = var.inference_component.is_some();
        b.add("instanceType", "Instance type", Kind::Labelled(types), false).add(
            "initialInstanceCount",
            if ic { "Instances at the start" } else { "Initial instances" },
            Kind::Count,
            false,
        );
        if many {
            b.add("initialVariantWeight", "Traffic weight", Kind::Number, false);
        }
        let capacity = plan.as_ref().and_then(|p| p.variants.get(v)).map(|p| p.profile.capacity_rps());
        let cap_text = capacity
            .map(|c| format!("one instance serves about {} requests/s at full load", crate::chartdata::fmt_num(c)))
            .unwrap_or_default();
        let note = if var.model.is_some() {
            let models = scalelab_core::profile::builtin_models()
                .iter()
                .map(|m| (m.name.to_string(), format!("{}: {}", m.name, m.description)))
                .collect();
            b.add("model", "Built-in model", Kind::Labelled(models), false);
            format!("The model's measured profile on this type: {cap_text}. Edit the serving profile to tune it.")
        } else {
            b.add("profile.workers", "Workers (requests or batches at once)", Kind::Count, false).add(
                "profile.queueCapacity",
                "Queue in the container",
                Kind::Count,
                false,
            );
            if var.profile.as_ref().is_some_and(|p| p.batching.is_some()) {
                b.add("profile.batching.maxBatchSize", "Max batch size", Kind::Count, false)
                    .add("profile.batching.maxWait", "Max wait for a batch", Kind::Text, false)
                    .add("profile.batching.fixed", "Batch time: fixed", Kind::Text, false)
                    .add("profile.batching.perItem", "Batch time: per request", Kind::Text, false)
                    .add("profile.batching.cv", "Variability (cv)", Kind::Number, true);
            } else {
                b.add("profile.serviceTime.mean", "Service time (mean)", Kind::Text, false)
                    .add("profile.serviceTime.distribution", "Distribution", choices(vocab::DISTRIBUTIONS), false)
                    .add("profile.serviceTime.cv", "Variability (cv, lognormal)", Kind::Number, true);
            }
            b.add("profile.coldStart.provisioning.mean", "Cold start: provisioning", Kind::Text, true).add(
                "profile.coldStart.modelLoad.mean",
                "Cold start: model load",
                Kind::Text,
                true,
            );
            format!("Inline serving profile: {cap_text}.")
        };
        out.push(Form {
            entry: Entry::Variant(v),
            kind: "Variant",
            title: var.name.clone(),
            note,
            prefix: b.prefix,
            fields: b.fields,
            steps: Vec::new(),
            rows_path: None,
            removable: many,
        });
    }
    out
}

/// Replaces variant `v`'s built-in model with a copy of its profile for the variant's
/// instance type, so that its workers, service time and cold start can be edited.
pub fn inline_profile(s: &mut Scenario, v: usize) -> Result<String, FieldError> {
    let path = format!("endpoint.variants[{v}].model");
    let err = |m: String| FieldError { path: path.clone(), message: m };
    let var = s.endpoint.variants.get(v).ok_or_else(|| err("no such variant".into()))?;
    let name = var.model.clone().ok_or_else(|| err("the variant has an inline profile already".into()))?;
    let model = scalelab_core::profile::builtin_model(&name).ok_or_else(|| err(format!("no built-in model {name}")))?;
    let profile = model
        .profile_for(&var.instance_type)
        .cloned()
        .ok_or_else(|| err(format!("{name} has no profile for {}", var.instance_type)))?;
    let mut next = s.clone();
    if let Some(var) = next.endpoint.variants.get_mut(v) {
        var.model = None;
        var.profile = Some(profile);
    }
    let root = to_value(&next)?;
    *s = check(&root, &path)?;
    let on = s.endpoint.variants.get(v).map(|x| x.instance_type.clone()).unwrap_or_default();
    Ok(format!("copied {name}'s profile on {on} into the variant"))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use super::*;
    use scalelab_core::examples;

    fn example(name: &str) -> Scenario {
        examples::get(name).unwrap()
    }

    fn find<'a>(forms: &'a [Form], path_end: &str) -> &'a Field {
        forms
            .iter()
            .flat_map(|f| f.fields.iter().chain(f.steps.iter().flatten()))
            .find(|f| f.path.ends_with(path_end))
            .unwrap_or_else(|| panic!("no field ending with {path_end}"))
    }

    #[test]
    fn every_field_of_every_example_reads_back_what_it_shows() {
        for e in examples::EXAMPLES {
            let s = example(e.name);
            let forms = forms(&s);
            let mut ids = std::collections::BTreeSet::new();
            for f in forms.iter().flat_map(|f| f.fields.iter().chain(f.steps.iter().flatten())) {
                assert!(ids.insert(f.dom_id()), "{}: duplicate id {}", e.name, f.dom_id());
                // Writing the shown value back is accepted and changes nothing.
                let mut t = s.clone();
                set_field(&mut t, f, &f.value).unwrap_or_else(|err| panic!("{}: {}: {err}", e.name, f.path));
                assert_eq!(t, s, "{}: {}", e.name, f.path);
            }
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

    /// Values to try in a field of this kind (for text, also the scenario's variant names),
    /// other than the field's current one.
    fn samples(f: &Field, s: &Scenario) -> Vec<String> {
        let mut out: Vec<String> = match &f.kind {
            Kind::Count => ["3", "1", "2", "5", "0", "120", "600"].map(String::from).to_vec(),
            Kind::Signed => ["2", "-1", "1", "3"].map(String::from).to_vec(),
            Kind::Number => ["7", "0.5", "2", "120", "0.9", "50"].map(String::from).to_vec(),
            Kind::Text => [
                "1h",
                "30s",
                "2m",
                "22h",
                "x2",
                "rate(5 minutes)",
                "Europe/Berlin",
                "2026-01-05T00:00:00Z",
                "2026-01-05T06:00:00Z",
                "2027-01-05T06:00:00Z",
            ]
            .map(String::from)
            .to_vec(),
            Kind::Bool => ["true", "false"].map(String::from).to_vec(),
            Kind::Choice(list) => list.iter().map(|c| c.to_string()).collect(),
            Kind::Labelled(list) => list.iter().map(|(v, _)| v.clone()).collect(),
        };
        if f.kind == Kind::Text {
            out.extend(s.endpoint.variants.iter().map(|v| v.name.clone()));
        }
        out.retain(|v| *v != f.value);
        out
    }

    /// Every field of every form, with every kind of entry present (the examples, and each
    /// template added to seed 001): a sample value set through the field must change the typed
    /// scenario, and the field must then show it. A field whose path names nothing the format
    /// has (a misspelling, say) cannot pass: the core refuses the unknown field, or the value
    /// lands nowhere and the scenario stays the same.
    #[test]
    fn every_field_reaches_the_typed_scenario() {
        let mut scenarios: Vec<(String, Scenario)> =
            examples::EXAMPLES.iter().map(|e| (e.name.to_string(), example(e.name))).collect();
        for t in Template::ALL {
            let mut s = example("seed-001-before");
            add(&mut s, t).unwrap_or_else(|e| panic!("{}: {e}", t.id()));
            scenarios.push((format!("seed-001-before + {}", t.id()), s));
        }
        let mut checked = std::collections::BTreeSet::new();
        let mut unreached = Vec::new();
        for (name, s) in &scenarios {
            let all: Vec<Field> = forms(s)
                .into_iter()
                .chain(traffic_forms(s))
                .chain(endpoint_forms(s))
                .flat_map(|f| f.fields.into_iter().chain(f.steps.into_iter().flatten()))
                .collect();
            for f in all {
                let mut reached = false;
                for v in samples(&f, s) {
                    let mut t = s.clone();
                    if set_field(&mut t, &f, &v).is_ok() {
                        assert_ne!(&t, s, "{name}: {} = {v} was accepted and changed nothing", f.path);
                        reached = true;
                        break;
                    }
                }
                // A generic path (indices stripped) is checked once it passes anywhere.
                let shape: String = f.path.chars().filter(|c| !c.is_ascii_digit()).collect();
                if reached {
                    checked.insert(shape);
                } else {
                    unreached.push((shape, format!("{name}: {}", f.path)));
                }
            }
        }
        let never: Vec<String> =
            unreached.into_iter().filter(|(shape, _)| !checked.contains(shape)).map(|(_, at)| at).collect();
        assert!(never.is_empty(), "no sample value reached these fields:\n{}", never.join("\n"));
        assert!(checked.len() > 60, "only {} field paths checked", checked.len());
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
        assert_eq!(s.scaling.as_ref().unwrap().put_metric_alarm[0].namespace, "/aws/sagemaker/Endpoints");
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

    fn shortened_run(s: &Scenario) -> scalelab_core::report::Report {
        scalelab_core::simulate(s, Some(1)).unwrap()
    }

    #[test]
    fn a_target_tracking_template_makes_seed_001_before_scale_out() {
        let mut s = example("seed-001-before");
        assert!(s.scaling.is_none());
        let said = add(&mut s, Template::TargetTracking).unwrap();
        assert!(said.contains("invocations-per-instance"), "{said}");
        let r = shortened_run(&s);
        assert!(r.summary.max_in_service_instances > 1, "the added policy scales out");
        // The target value is half an instance's capacity per minute, to two digits.
        let plan = scalelab_core::plan(&s, None).unwrap();
        let cap = plan.variants[0].profile.capacity_rps() * 30.0;
        let tv = crate::edit::target_value(&s).unwrap();
        assert!((tv / cap - 1.0).abs() < 0.05, "{tv} vs {cap}");
    }

    #[test]
    fn every_template_gives_a_scenario_that_runs_on_a_variant_endpoint() {
        for t in Template::ALL {
            let mut s = examples::shortened(&example("seed-001-before"), 20);
            add(&mut s, t).unwrap_or_else(|e| panic!("{t:?}: {e}"));
            // Twice: the second gets fresh names and still passes the checks.
            add(&mut s, t).unwrap_or_else(|e| panic!("{t:?} again: {e}"));
            let r = shortened_run(&s);
            assert!(r.summary.requests > 0, "{t:?}");
            assert_eq!(Template::from_id(t.id()), Some(t));
        }
    }

    #[test]
    fn scale_to_zero_turns_the_variant_into_a_component_that_stops_when_idle() {
        let mut s = example("seed-003-scale-to-zero");
        // Start from the seed's endpoint without its scaling, and let the template rebuild it.
        s.scaling = None;
        s.endpoint.variants[0].inference_component = None;
        s.endpoint.variants[0].managed_instance_scaling = None;
        add(&mut s, Template::ScaleToZero).unwrap();
        let v = &s.endpoint.variants[0];
        assert!(
            v.inference_component.is_some() && v.managed_instance_scaling.as_ref().unwrap().min_instance_count == 0
        );
        let sc = s.scaling.as_ref().unwrap();
        assert_eq!(sc.register_scalable_target[0].min_capacity, 0);
        assert!(sc.put_metric_alarm[0].metric_name == "NoCapacityInvocationFailures");
        // The seed's traffic pauses for 45 minutes: the copies go to zero, then come back.
        let r = shortened_run(&s);
        let copies = r.series.iter().map(|row| row.in_service_instances).collect::<Vec<_>>();
        assert!(copies.contains(&0), "no scale to zero: {copies:?}");
        assert!(*copies.last().unwrap() >= 1, "no wake-up");
    }

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

    #[test]
    fn paths_split_into_keys_and_indices() {
        assert_eq!(
            segments("scaling.PutScalingPolicy[2].X"),
            vec![Seg::Key("scaling".into()), Seg::Key("PutScalingPolicy".into()), Seg::Index(2), Seg::Key("X".into())]
        );
        assert_eq!(round_readable(1234.0), 1200.0);
        assert_eq!(round_readable(0.0), 0.0);
        assert_eq!(unique("a", &["a".into(), "a-2".into()]), "a-3");
    }

    #[test]
    fn every_traffic_and_run_field_of_every_example_reads_back_what_it_shows() {
        for e in examples::EXAMPLES {
            let s = example(e.name);
            let forms = traffic_forms(&s);
            assert!(forms.len() >= 2, "{}: the run and at least one shape", e.name);
            for f in forms.iter().flat_map(|f| f.fields.iter().chain(f.steps.iter().flatten())) {
                let mut t = s.clone();
                set_field(&mut t, f, &f.value).unwrap_or_else(|err| panic!("{}: {}: {err}", e.name, f.path));
                assert_eq!(t, s, "{}: {}", e.name, f.path);
            }
        }
        let kinds = |n: &str| traffic_forms(&example(n)).iter().map(|f| f.kind).collect::<Vec<_>>();
        assert_eq!(kinds("seed-001-after"), vec!["Run", "Load-test phases"]);
        assert_eq!(kinds("seed-003-scale-to-zero"), vec!["Run", "Constant rate", "Constant rate", "Constant rate"]);
        let seq = traffic_forms(&example("seed-003-scale-to-zero"));
        assert_eq!(seq[2].title, "segment 2");
        assert_eq!(seq[2].fields[0].path, "traffic.sequence[1].duration");
    }

    #[test]
    fn a_phase_edit_moves_the_peak_and_a_bad_rate_is_refused_at_its_field() {
        let mut s = example("seed-001-after");
        let forms = traffic_forms(&s);
        let ramp_to = find(&forms, "phases[1].rampTo").clone();
        set_field(&mut s, &ramp_to, "1200").unwrap();
        assert!((crate::edit::peak_rps(&s).unwrap() - 1200.0).abs() < 1.0);
        let before = s.clone();
        let start = find(&forms, "phases[0].arrivalRate");
        let e = set_field(&mut s, start, "-5").unwrap_err();
        assert!(e.path.starts_with("traffic.phases[0]"), "{e}");
        let d = find(&forms, "phases[0].duration");
        let e = set_field(&mut s, d, "ten minutes").unwrap_err();
        assert_eq!(e.path, d.path, "{e}");
        let run = find(&forms, "sloLatency");
        assert!(set_field(&mut s, run, "fast").is_err());
        assert_eq!(s, before);
        set_field(&mut s, run, "").unwrap();
        assert_eq!(s.slo_latency, None, "clearing the objective removes it");
    }

    #[test]
    fn every_shape_is_sized_from_the_current_peak() {
        for (id, _) in SHAPES {
            let mut s = example("seed-001-after");
            let peak = crate::edit::peak_rps(&s).unwrap();
            set_shape(&mut s, id).unwrap_or_else(|e| panic!("{id}: {e}"));
            let now = crate::edit::peak_rps(&s).unwrap();
            // Shapes on the clock (daily cycle, business hours) peak at their hour, which a
            // 2-hour run from 09:00 may not reach; the others reach the old peak.
            if matches!(id, "diurnal" | "businessHours") {
                assert!(now > 0.0 && now <= peak * 1.001, "{id}: {now} vs {peak}");
            } else {
                assert!((now / peak - 1.0).abs() < 0.01, "{id}: {now} vs {peak}");
            }
            assert!(traffic_forms(&s).len() > 1, "{id}");
        }
        assert!(set_shape(&mut example("seed-001-after"), "square").is_err());
    }

    #[test]
    fn phases_and_steps_rows_are_added_and_removed() {
        let mut s = example("seed-001-after");
        add_row(&mut s, "traffic.phases").unwrap();
        let scalelab_core::traffic::Traffic::Phases(p) = &s.traffic else { panic!("phases") };
        assert_eq!(p.len(), 3);
        assert_eq!(p[2].arrival_rate, 800.0, "starts where the last phase ended");
        remove_row(&mut s, "traffic.phases", 0).unwrap();
        remove_row(&mut s, "traffic.phases", 0).unwrap();
        assert!(remove_row(&mut s, "traffic.phases", 0).unwrap_err().message.contains("at least one"));
        set_shape(&mut s, "steps").unwrap();
        add_row(&mut s, "traffic.steps").unwrap();
        let scalelab_core::traffic::Traffic::Steps(st) = &s.traffic else { panic!("steps") };
        assert_eq!(st.len(), 4);
        assert_eq!(st[3].at.as_secs_f64(), 4800.0 + 720.0, "10 % of the run after the last step");
    }

    #[test]
    fn every_variant_field_of_every_example_reads_back_what_it_shows() {
        for e in examples::EXAMPLES {
            let s = example(e.name);
            let forms = endpoint_forms(&s);
            assert_eq!(forms.len(), s.endpoint.variants.len(), "{}", e.name);
            for f in forms.iter().flat_map(|f| f.fields.iter()) {
                let mut t = s.clone();
                set_field(&mut t, f, &f.value).unwrap_or_else(|err| panic!("{}: {}: {err}", e.name, f.path));
                assert_eq!(t, s, "{}: {}", e.name, f.path);
            }
        }
    }

    #[test]
    fn instance_type_model_and_profile_edits_are_checked() {
        let mut s = example("seed-001-after");
        let forms = endpoint_forms(&s);
        let ty = find(&forms, "variants[0].instanceType").clone();
        let Kind::Labelled(options) = &ty.kind else { panic!("labelled") };
        assert!(options.iter().any(|(v, l)| v == "ml.m4.xlarge" && l.contains("4 vCPU") && l.contains("$0.280/h")));
        set_field(&mut s, &ty, "ml.m5.xlarge").unwrap();
        let before = s.clone();
        // Only the types the model was measured on are offered, and others are refused.
        assert!(set_field(&mut s, &ty, "ml.g5.2xlarge").unwrap_err().message.contains("not one of"));
        // A model without a profile for the current type: the core's message, at the variant.
        let model = find(&forms, "variants[0].model");
        let e = set_field(&mut s, model, "llama3.1-8b").unwrap_err();
        assert!(e.path.starts_with("endpoint.variants[0]"), "{e}");
        assert_eq!(s, before);

        // Copy the model's profile inline, then make service twice as slow: capacity halves.
        let cap = |s: &Scenario| scalelab_core::plan(s, None).unwrap().variants[0].profile.capacity_rps();
        let c0 = cap(&s);
        let said = inline_profile(&mut s, 0).unwrap();
        assert!(said.contains("decision-tree") && said.contains("ml.m5.xlarge"), "{said}");
        assert!((cap(&s) - c0).abs() < 1e-9, "the copy is the same profile");
        let forms = endpoint_forms(&s);
        let workers = find(&forms, "profile.workers").clone();
        let n: u32 = workers.value.parse().unwrap();
        set_field(&mut s, &workers, &(n * 2).to_string()).unwrap();
        assert!((cap(&s) / c0 - 2.0).abs() < 0.01, "twice the workers, twice the capacity");
        assert!(inline_profile(&mut s, 0).unwrap_err().message.contains("inline profile already"));
        let e = set_field(&mut s, &workers, "0").unwrap_err();
        assert!(e.path.contains("workers"), "{e}");
    }

    #[test]
    fn a_variant_is_removed_only_when_another_remains() {
        let mut s = example("ab-test-variants");
        let forms = endpoint_forms(&s);
        assert!(forms.iter().all(|f| f.removable) && forms.len() == 2);
        assert!(find(&forms, "variants[1].initialVariantWeight").value.parse::<f64>().is_ok());
        let said = remove(&mut s, Entry::Variant(1)).unwrap();
        assert!(said.starts_with("removed variant"), "{said}");
        assert_eq!(s.endpoint.variants.len(), 1);
        assert!(s.capacity_changes.iter().all(|c| c.variant.as_deref() != Some("Cpu")), "its capacity change went too");
        assert!(remove(&mut s, Entry::Variant(0)).is_err());
        assert!(!endpoint_forms(&s)[0].removable);
    }
}
