//! Forms for every entry of a scenario: the run and its traffic shapes (`traffic`), the
//! endpoint's variants (`endpoint`), and the scaling section (`scaling`): scalable targets,
//! target tracking and step policies, the alarms that drive step policies, scheduled actions,
//! on-demand capacity changes, inference components (scale to zero) and asynchronous inference.
//!
//! A form is a list of fields, each naming its place in the scenario by the same path the
//! core's checks report (`scaling.PutScalingPolicy[0].TargetTrackingScalingPolicyConfiguration.TargetValue`),
//! built as a typed `Path`. An edit sets that one value in the scenario's JSON and reads the
//! whole scenario back through the core, so every rule of the format applies and a refusal
//! names the field; on refusal the scenario is unchanged. `templates` add a working entry of
//! each kind, sized from the model's capacity; `cascades` remove an entry with what only it
//! needed (a policy's alarm, a variant's targets). The choice lists come from the core's `vocab`.

mod cascades;
mod endpoint;
mod path;
mod scaling;
mod templates;
mod traffic;

use scalelab_core::{Scenario, vocab};
use serde_json::{Value, json};

use crate::edit::FieldError;

pub use cascades::remove;
pub use endpoint::{endpoint_forms, inline_profile, instance_label};
pub use path::{Path, scaling_entry, variant_path};
pub use scaling::{add_step, forms, remove_step};
pub use templates::{Template, add};
pub use traffic::{SHAPES, add_row, remove_row, set_shape, traffic_forms};

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
    pub rows_path: Option<Path>,
    pub removable: bool,
}

// ---------------------------------------------------------------------------------------------
// Reading forms

/// A value as its control shows it.
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

/// The field at `path`, showing its current value in `root`.
fn field(root: &Value, path: &Path, label: &str, kind: Kind, optional: bool) -> Field {
    let value = text_of(path.get(root));
    Field { path: path.to_string(), label: label.to_string(), kind, optional, value }
}

/// A form's fields, each under the form's prefix.
struct Builder<'a> {
    root: &'a Value,
    prefix: Path,
    fields: Vec<Field>,
}

impl<'a> Builder<'a> {
    fn new(root: &'a Value, prefix: Path) -> Self {
        Builder { root, prefix, fields: Vec::new() }
    }

    /// A field at `rel` (dotted keys) under the prefix.
    fn add(&mut self, rel: &str, label: &str, kind: Kind, optional: bool) -> &mut Self {
        let path = self.prefix.join(rel);
        self.push(&path, label, kind, optional)
    }

    /// A field at `path`.
    fn push(&mut self, path: &Path, label: &str, kind: Kind, optional: bool) -> &mut Self {
        self.fields.push(field(self.root, path, label, kind, optional));
        self
    }

    /// The form of these fields, without rows.
    fn form(self, entry: Entry, kind: &'static str, title: String, note: String, removable: bool) -> Form {
        Form {
            entry,
            kind,
            title,
            note,
            prefix: self.prefix.to_string(),
            fields: self.fields,
            steps: Vec::new(),
            rows_path: None,
            removable,
        }
    }
}

fn choices(list: &[&'static str]) -> Kind {
    Kind::Choice(list.to_vec())
}

fn metric_names() -> Kind {
    Kind::Choice(vocab::metrics().map(|(_, n)| n).collect())
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

/// Sets the value at `path` in `root`, the error naming the path.
fn set_at(root: &mut Value, path: &Path, value: Option<Value>) -> Result<(), FieldError> {
    path.set(root, value).map_err(|message| FieldError { path: path.to_string(), message })
}

/// Sets one field from the text of its control. On error the scenario is unchanged.
pub fn set_field(s: &mut Scenario, field: &Field, text: &str) -> Result<(), FieldError> {
    let value = parse(field, text)?;
    let mut root = to_value(s)?;
    // A metric lives in one namespace: choosing the metric chooses it.
    if let Some(owner) = field.path.strip_suffix(".MetricName")
        && let Some(name) = value.as_ref().and_then(Value::as_str)
        && let Some((ns, _)) = vocab::metrics().find(|(_, n)| *n == name)
    {
        set_at(&mut root, &Path::of(owner).join("Namespace"), Some(json!(ns)))?;
    }
    set_at(&mut root, &Path::of(&field.path), value)?;
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

#[cfg(all(test, not(target_arch = "wasm32")))]
mod test_support {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use scalelab_core::{Plan, Scenario, examples};

    use super::{Field, Form};

    pub(super) fn example(name: &str) -> Scenario {
        examples::get(name).unwrap()
    }

    pub(super) fn planned(s: &Scenario) -> Plan {
        scalelab_core::plan(s, None).unwrap()
    }

    pub(super) fn find<'a>(forms: &'a [Form], path_end: &str) -> &'a Field {
        forms
            .iter()
            .flat_map(|f| f.fields.iter().chain(f.steps.iter().flatten()))
            .find(|f| f.path.ends_with(path_end))
            .unwrap_or_else(|| panic!("no field ending with {path_end}"))
    }

    /// Each field of `forms` writes back what it shows, and changes nothing by it.
    pub(super) fn assert_fields_read_back(name: &str, s: &Scenario, forms: &[Form]) {
        for f in forms.iter().flat_map(|f| f.fields.iter().chain(f.steps.iter().flatten())) {
            let mut t = s.clone();
            super::set_field(&mut t, f, &f.value).unwrap_or_else(|err| panic!("{name}: {}: {err}", f.path));
            assert_eq!(&t, s, "{name}: {}", f.path);
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use scalelab_core::examples;

    use super::test_support::{example, planned};
    use super::*;

    /// Values to try in a field of this kind (for text, also the scenario's variant names),
    /// other than the field's current one.
    fn samples(f: &Field, s: &Scenario) -> Vec<String> {
        let mut out: Vec<String> = match &f.kind {
            Kind::Count => ["3", "1", "2", "5", "0", "120", "600", "2048", "1024"].map(String::from).to_vec(),
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
                "Average",
                "p99",
                "m1 / 30",
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
            let plan = planned(&s);
            add(&mut s, &plan, t).unwrap_or_else(|e| panic!("{}: {e}", t.id()));
            scenarios.push((format!("seed-001-before + {}", t.id()), s));
        }
        let mut checked = std::collections::BTreeSet::new();
        let mut unreached = Vec::new();
        for (name, s) in &scenarios {
            let all: Vec<Field> = forms(s)
                .into_iter()
                .chain(traffic_forms(s))
                .chain(endpoint_forms(s, &planned(s)))
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
}
