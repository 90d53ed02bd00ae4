//! Workshop lessons: data, not code. Each lesson is a JSON file in
//! `crates/scalelab-core/lessons/` holding its question, the scenario it opens (a built-in
//! example, with optional changes, or an inline scenario), 2–4 steps, a check question with its
//! answer, a takeaway, links to the AWS documentation, and its claims.
//!
//! A lesson's text quotes the numbers of its own run as `{fact}` placeholders (`{errors}`,
//! `{first_scale_out_at}`; `{queue.errors}` for a compared run), filled in from `Facts`. Its
//! `claims` say what the text asserts (`scale_in_lag >= 900`); `Lesson::check` runs them, and a
//! test checks every lesson, so a lesson whose text no longer matches its run fails.

mod facts;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use facts::{Fact, Facts};

use crate::problem::{Path, Problem, Problems};
use crate::report::Report;
use crate::scenario::Scenario;

/// A lesson as its file holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Lesson {
    pub id: String,
    /// The part of the suggested workshop it belongs to.
    pub part: String,
    /// Suggested minutes in a workshop.
    pub minutes: u32,
    pub title: String,
    pub question: String,
    pub scenario: ScenarioRef,
    /// Runs the text compares with (`{name.fact}`).
    #[serde(default)]
    pub compare: Vec<Compared>,
    pub steps: Vec<Step>,
    pub check: Check,
    pub takeaway: String,
    pub docs: Vec<Doc>,
    pub claims: Vec<Claim>,
}

/// A scenario: a built-in example with changes, or one written out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScenarioRef {
    #[serde(default)]
    pub example: Option<String>,
    #[serde(default)]
    pub inline: Option<Value>,
    /// Changes to the example, in order.
    #[serde(default)]
    pub changes: Vec<Change>,
}

/// Sets (or with `null` removes) the value at a path of the scenario, in the notation the
/// core's problems use (`scaling.PutScalingPolicy[0].TargetTrackingScalingPolicyConfiguration`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub path: String,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Compared {
    pub name: String,
    pub label: String,
    pub scenario: ScenarioRef,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    pub text: String,
    /// Where to put the cursor: a time fact (`first_scale_out_at`) or a duration (`36m`).
    #[serde(default)]
    pub at: Option<String>,
    /// The chart to look at (`rate`, `ipi`, `instances`, `latency`, `errors`, `utilization`,
    /// `cost`).
    #[serde(default)]
    pub chart: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    pub question: String,
    pub answer: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Doc {
    pub title: String,
    pub url: String,
}

/// A claim of the lesson's text: `fact op than`, where `than` is a number or another fact.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub fact: String,
    pub op: Op,
    #[serde(default)]
    pub than: Option<Value>,
    /// What the claim stands for, for the failure message.
    pub says: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "==")]
    Eq,
    /// The fact exists (an event that happened).
    #[serde(rename = "exists")]
    Exists,
    /// The fact does not exist (an event that never happened).
    #[serde(rename = "missing")]
    Missing,
}

/// The charts a step may point at.
pub const CHARTS: &[&str] = &["rate", "ipi", "instances", "latency", "errors", "utilization", "cost"];

macro_rules! lessons {
    ($($file:literal),* $(,)?) => {
        /// Every lesson file, in the suggested workshop order.
        pub const FILES: &[(&str, &str)] = &[$(($file, include_str!(concat!("../../lessons/", $file, ".json")))),*];
    };
}

lessons!(
    "01-one-instance",
    "02-first-scale-out",
    "03-scale-in-waits",
    "04-cooldowns",
    "05-cold-starts",
    "06-which-metric",
    "07-step-scaling",
    "08-scheduled-peak",
    "09-scale-to-zero",
    "10-retry-storm",
    "11-async-backlog",
    "12-rightsizing",
    "13-flapping",
    "14-cost-of-idle",
    "15-serverless",
);

/// Every lesson, in the suggested workshop order.
pub fn all() -> Result<Vec<Lesson>, Problems> {
    FILES
        .iter()
        .map(|(file, json)| {
            serde_json::from_str::<Lesson>(json)
                .map_err(|e| Problems(vec![Problem::new(format!("lessons/{file}.json"), e.to_string())]))
        })
        .collect()
}

/// The lesson with this id.
pub fn get(id: &str) -> Result<Lesson, Problems> {
    let all = all()?;
    let ids: Vec<&str> = all.iter().map(|l| l.id.as_str()).collect();
    match all.iter().position(|l| l.id == id) {
        Some(k) => Ok(all.into_iter().nth(k).ok_or_else(|| Problems(Vec::new()))?),
        None => Err(Problems(vec![Problem::new("lesson", crate::problem::unknown("lesson", id, &ids, "lessons"))])),
    }
}

impl ScenarioRef {
    /// The scenario: the example (or inline one) with the changes applied, read strictly.
    pub fn scenario(&self) -> Result<Scenario, Problems> {
        let one = |path: &str, m: String| Problems(vec![Problem::new(path, m)]);
        let mut value = match (&self.example, &self.inline) {
            (Some(name), None) => {
                let e = crate::examples::EXAMPLES
                    .iter()
                    .find(|e| e.name == name)
                    .ok_or_else(|| one("scenario.example", format!("no built-in example \"{name}\"")))?;
                serde_json::from_str::<Value>(e.json).map_err(|e| one("scenario.example", e.to_string()))?
            }
            (None, Some(v)) => v.clone(),
            _ => return Err(one("scenario", "give `example` or `inline`".into())),
        };
        for (k, c) in self.changes.iter().enumerate() {
            let path = Path::of(&c.path);
            let v = (!c.value.is_null()).then(|| c.value.clone());
            path.set(&mut value, v).map_err(|m| one(&format!("scenario.changes[{k}].path"), m))?;
        }
        // Its semantic checks come with the plan every caller makes to run it.
        Scenario::from_json(&value.to_string())
    }
}

/// A lesson with its facts filled in.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Rendered {
    pub id: String,
    pub title: String,
    pub question: String,
    pub steps: Vec<RenderedStep>,
    pub check_question: String,
    pub answer: String,
    pub takeaway: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RenderedStep {
    pub text: String,
    /// The cursor time, in seconds since the start.
    pub at_secs: Option<f64>,
    pub chart: Option<String>,
}

/// `text` with every `{fact}` replaced by its words, and `missing` for facts not known (yet:
/// a compared run still going).
pub fn fill_or(text: &str, facts: &Facts, missing: &str) -> String {
    fill_with(text, facts, Some(missing)).unwrap_or_else(|_| text.to_string())
}

/// `text` with every `{fact}` replaced by its words; the error names the facts missing.
pub fn fill(text: &str, facts: &Facts) -> Result<String, String> {
    fill_with(text, facts, None)
}

/// The one scan of a text's placeholders: a fact not known is written as `missing` when given,
/// else named in the error.
fn fill_with(text: &str, facts: &Facts, missing: Option<&str>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut unknown = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(rest.get(..open).unwrap_or(""));
        let after = rest.get(open + 1..).unwrap_or("");
        let Some(close) = after.find('}') else {
            out.push_str(rest.get(open..).unwrap_or(""));
            rest = "";
            break;
        };
        let name = after.get(..close).unwrap_or("");
        match (facts.get(name), missing) {
            (Some(f), _) => out.push_str(&f.text),
            (None, Some(m)) => out.push_str(m),
            (None, None) => unknown.push(name.to_string()),
        }
        rest = after.get(close + 1..).unwrap_or("");
    }
    out.push_str(rest);
    if unknown.is_empty() { Ok(out) } else { Err(format!("no fact {}", unknown.join(", "))) }
}

impl Lesson {
    /// The lesson's run and the compared runs: (name, label, scenario); the lesson's own is
    /// named "".
    pub fn scenarios(&self) -> Result<Vec<(String, String, Scenario)>, Problems> {
        let mut out = vec![(String::new(), self.title.clone(), self.scenario.scenario()?)];
        for c in &self.compare {
            out.push((c.name.clone(), c.label.clone(), c.scenario.scenario()?));
        }
        Ok(out)
    }

    /// Runs the lesson's scenarios (seed of each scenario) and gathers their facts.
    pub fn run(&self) -> Result<(Report, Facts), Problems> {
        let mut main = None;
        let mut facts = Facts::default();
        for (name, _, s) in self.scenarios()? {
            let r = crate::engine::Simulation::new(&crate::plan::plan(&s, None)?).run();
            if name.is_empty() {
                // The lesson's own run comes first: its facts are the unprefixed ones.
                facts = Facts::of(&r);
                main = Some(r);
            } else {
                facts.add_prefixed(&name, Facts::of(&r));
            }
        }
        let report = main.ok_or_else(|| Problems(Vec::new()))?;
        Ok((report, facts))
    }

    /// The lesson's text with the facts filled in.
    pub fn render(&self, facts: &Facts) -> Result<Rendered, String> {
        let at = |s: &Step| -> Result<Option<f64>, String> {
            let Some(a) = &s.at else { return Ok(None) };
            if let Some(f) = facts.get(a) {
                return Ok(Some(f.value));
            }
            crate::time::Duration::parse(a)
                .map(|d| Some(d.as_secs_f64()))
                .map_err(|_| format!("step at \"{a}\": neither a fact nor a duration"))
        };
        Ok(Rendered {
            id: self.id.clone(),
            title: fill(&self.title, facts)?,
            question: fill(&self.question, facts)?,
            steps: self
                .steps
                .iter()
                .map(|s| Ok(RenderedStep { text: fill(&s.text, facts)?, at_secs: at(s)?, chart: s.chart.clone() }))
                .collect::<Result<_, String>>()?,
            check_question: fill(&self.check.question, facts)?,
            answer: fill(&self.check.answer, facts)?,
            takeaway: fill(&self.takeaway, facts)?,
        })
    }

    /// The claims that do not hold for these facts, each as a sentence.
    pub fn check(&self, facts: &Facts) -> Vec<String> {
        self.claims
            .iter()
            .filter_map(|c| {
                let left = facts.get(&c.fact).map(|f| f.value);
                let right = match &c.than {
                    Some(Value::String(name)) => facts.get(name).map(|f| f.value),
                    Some(v) => v.as_f64(),
                    None => None,
                };
                let holds = match (c.op, left, right) {
                    (Op::Exists, l, _) => l.is_some(),
                    (Op::Missing, l, _) => l.is_none(),
                    (_, None, _) | (_, _, None) => false,
                    (Op::Gt, Some(l), Some(r)) => l > r,
                    (Op::Ge, Some(l), Some(r)) => l >= r,
                    (Op::Lt, Some(l), Some(r)) => l < r,
                    (Op::Le, Some(l), Some(r)) => l <= r,
                    (Op::Eq, Some(l), Some(r)) => l == r,
                };
                (!holds).then(|| {
                    let shown = |v: Option<f64>| v.map_or("missing".to_string(), crate::fmt::num);
                    format!(
                        "{}: claim \"{}\" does not hold ({} = {}, {:?} {})",
                        self.id,
                        c.says,
                        c.fact,
                        shown(left),
                        c.op,
                        c.than.as_ref().map_or(String::new(), |t| format!("{t} = {}", shown(right)))
                    )
                })
            })
            .collect()
    }

    /// What is wrong with the lesson file itself (apart from its claims): unknown charts,
    /// steps out of range, documentation links that are not AWS's.
    pub fn lint(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(2..=4).contains(&self.steps.len()) {
            out.push(format!("{}: {} steps; a lesson has 2 to 4", self.id, self.steps.len()));
        }
        for s in &self.steps {
            if let Some(c) = &s.chart
                && !CHARTS.contains(&c.as_str())
            {
                out.push(format!("{}: unknown chart \"{c}\"", self.id));
            }
        }
        if self.docs.is_empty() || self.docs.iter().any(|d| !d.url.starts_with("https://docs.aws.amazon.com/")) {
            out.push(format!("{}: link the AWS documentation pages (https://docs.aws.amazon.com/...)", self.id));
        }
        if self.claims.is_empty() {
            out.push(format!("{}: a lesson states claims its run is checked against", self.id));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_filled_and_missing_facts_named() {
        let r = crate::simulate(&crate::examples::get("seed-001-before").unwrap(), Some(1)).unwrap();
        let f = Facts::of(&r);
        let text = fill("{errors} errors of {requests}", &f).unwrap();
        assert!(text.ends_with(&f.get("requests").unwrap().text));
        assert_eq!(fill("{nope} and {nada}", &f), Err("no fact nope, nada".into()));
        assert_eq!(fill("no braces", &f).unwrap(), "no braces");
        assert_eq!(fill_or("{nope} of {errors}", &f, "…"), format!("… of {}", f.get("errors").unwrap().text));
    }

    #[test]
    fn changes_apply_to_the_example() {
        let s = ScenarioRef {
            example: Some("seed-001-after".into()),
            inline: None,
            changes: vec![Change {
                path: "scaling.PutScalingPolicy[0].TargetTrackingScalingPolicyConfiguration.DisableScaleIn".into(),
                value: Value::Bool(true),
            }],
        };
        let text = s.scenario().unwrap().to_json_pretty().unwrap();
        assert!(text.contains("\"DisableScaleIn\": true"), "{text}");
        let bad = ScenarioRef { example: Some("nope".into()), inline: None, changes: Vec::new() };
        assert!(bad.scenario().unwrap_err().to_string().contains("no built-in example"));
    }
}
