//! The run's form (duration, start, latency objective) and one form per traffic shape, into
//! sums and sequences, with phase and step rows; a shape picker sized from the current peak.

use scalelab_core::time::Duration;
use scalelab_core::{Plan, Scenario};
use serde_json::{Value, json};

use super::{Builder, Entry, Form, Kind, Path, check, field, set_at, to_value};
use crate::edit::FieldError;

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
fn shape_at<'a>(root: &'a Value, path: &Path) -> Option<(&'a str, &'a Value)> {
    path.get(root)?.as_object()?.iter().next().map(|(k, v)| (k.as_str(), v))
}

/// The forms for the run (duration, start, latency objective) and for each traffic shape,
/// into sums and sequences.
pub fn traffic_forms(s: &Scenario) -> Vec<Form> {
    let Ok(root) = serde_json::to_value(s) else { return Vec::new() };
    let mut b = Builder::new(&root, Path::root());
    b.add("duration", "Run length", Kind::Text, false).add("start", "Starts at (UTC, ISO 8601)", Kind::Text, true).add(
        "sloLatency",
        "Latency objective",
        Kind::Text,
        true,
    );
    let note = "Durations like 90s, 15m, 2h; the start sets the clock that daily shapes and schedules follow.";
    let mut run = b.form(Entry::Run, "Run", String::new(), note.into(), false);
    run.prefix = "duration".into();
    let mut out = vec![run];
    traffic_node(&root, &Path::root().join("traffic"), "", &mut out);
    out
}

fn traffic_node(root: &Value, path: &Path, context: &str, out: &mut Vec<Form>) {
    let Some((kind, body)) = shape_at(root, path) else { return };
    let mut b = Builder::new(root, path.join(kind));
    let mut rows = Vec::new();
    let mut rows_path = None;
    let mut note = String::new();
    let count = body.as_array().map_or(0, Vec::len);
    match kind {
        "constant" => {
            b.add("rps", "Requests/s", Kind::Number, false);
        }
        "phases" | "steps" => {
            let list = path.join(kind);
            for k in 0..count {
                let p = list.index(k);
                rows.push(if kind == "phases" {
                    vec![
                        field(root, &p.join("duration"), "Duration", Kind::Text, false),
                        field(root, &p.join("arrivalRate"), "Requests/s at the start", Kind::Number, false),
                        field(root, &p.join("rampTo"), "Ramps to", Kind::Number, true),
                        field(root, &p.join("name"), "Name", Kind::Text, true),
                    ]
                } else {
                    vec![
                        field(root, &p.join("at"), "From", Kind::Text, false),
                        field(root, &p.join("rps"), "Requests/s", Kind::Number, false),
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
            for k in 0..count {
                traffic_node(root, &path.join("sum").index(k), &format!("{context}part {} of a sum: ", k + 1), out);
            }
            return;
        }
        "sequence" => {
            for k in 0..count {
                let seg = path.join("sequence").index(k);
                let before = out.len();
                traffic_node(root, &seg.join("traffic"), &format!("{context}segment {}: ", k + 1), out);
                // The segment's length goes first in its shape's form.
                if let Some(f) = out.get_mut(before) {
                    f.fields.insert(0, field(root, &seg.join("duration"), "Segment length", Kind::Text, false));
                }
            }
            return;
        }
        _ => {}
    }
    let title = context.trim_end_matches(": ").to_string();
    let mut form = b.form(Entry::Traffic(out.len()), shape_label(kind), title, note, false);
    form.steps = rows;
    form.rows_path = rows_path;
    out.push(form);
}

fn duration_text(secs: f64) -> String {
    Duration::from_secs_f64(secs.max(0.0).round()).to_string()
}

fn rate(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Replaces the traffic with a shape from `SHAPES`, sized from the peak rate (of `plan`, the
/// plan of `s`) and the run length (a ramp to the peak, a spike reaching it, a daily cycle
/// peaking at it...).
pub fn set_shape(s: &mut Scenario, plan: &Plan, id: &str) -> Result<(), FieldError> {
    // Three significant digits: the rate function's peak of a ramp to 800 is 799.97.
    let peak = Some(plan.peak_rps).filter(|p| *p > 0.0).map_or(10.0, |p| format!("{p:.2e}").parse().unwrap_or(p));
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
    set_at(&mut root, &Path::root().join("traffic"), Some(traffic))?;
    *s = check(&root, "traffic")?;
    Ok(())
}

/// The rows of the traffic list at `list` (`traffic.phases`, `traffic.steps`).
fn rows_at(root: &Value, list: &Path) -> Result<Vec<Value>, FieldError> {
    let err = || FieldError { path: list.to_string(), message: "no such list".into() };
    list.get(root).and_then(Value::as_array).cloned().ok_or_else(err)
}

/// Adds a row to the traffic list at `list` (`traffic.phases`, `traffic.steps`): a phase
/// like the last, starting where it ended; a step 10 % of the run after the last.
pub fn add_row(s: &mut Scenario, list: &Path) -> Result<(), FieldError> {
    let mut root = to_value(s)?;
    let mut rows = rows_at(&root, list)?;
    let last = rows.last().cloned().unwrap_or(Value::Null);
    let row = if list.last_key() == Some("phases") {
        let start = last.get("rampTo").or_else(|| last.get("arrivalRate")).cloned().unwrap_or(json!(1.0));
        json!({"duration": last.get("duration").cloned().unwrap_or(json!("10m")), "arrivalRate": start})
    } else {
        let at = last
            .get("at")
            .and_then(Value::as_str)
            .and_then(|t| Duration::parse(t).ok())
            .map_or(0.0, Duration::as_secs_f64);
        let step = (s.duration.as_secs_f64() / 10.0).max(60.0);
        json!({"at": duration_text(at + step), "rps": last.get("rps").cloned().unwrap_or(json!(1.0))})
    };
    rows.push(row);
    set_at(&mut root, list, Some(Value::Array(rows)))?;
    *s = check(&root, &list.to_string())?;
    Ok(())
}

/// Removes row `k` of the traffic list at `list`; the last row stays.
pub fn remove_row(s: &mut Scenario, list: &Path, k: usize) -> Result<(), FieldError> {
    let mut root = to_value(s)?;
    let err = |message: String| FieldError { path: list.to_string(), message };
    let mut rows = rows_at(&root, list)?;
    if rows.len() <= 1 {
        return Err(err("the traffic needs at least one row".into()));
    }
    if k >= rows.len() {
        return Err(err(format!("there is no row {}", k + 1)));
    }
    rows.remove(k);
    set_at(&mut root, list, Some(Value::Array(rows)))?;
    *s = check(&root, &list.to_string())?;
    Ok(())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
    use scalelab_core::examples;

    use super::super::set_field;
    use super::super::test_support::{assert_fields_read_back, example, find, planned};
    use super::*;

    fn phases() -> Path {
        Path::root().join("traffic.phases")
    }

    #[test]
    fn every_traffic_and_run_field_of_every_example_reads_back_what_it_shows() {
        for e in examples::EXAMPLES {
            let s = example(e.name);
            let forms = traffic_forms(&s);
            assert!(forms.len() >= 2, "{}: the run and at least one shape", e.name);
            assert_fields_read_back(e.name, &s, &forms);
        }
        let kinds = |n: &str| traffic_forms(&example(n)).iter().map(|f| f.kind).collect::<Vec<_>>();
        assert_eq!(kinds("seed-001-after"), vec!["Run", "Load-test phases"]);
        assert_eq!(kinds("seed-003-scale-to-zero"), vec!["Run", "Constant rate", "Constant rate", "Constant rate"]);
        let seq = traffic_forms(&example("seed-003-scale-to-zero"));
        assert_eq!(seq[2].title, "segment 2");
        assert_eq!(seq[2].fields[0].path, "traffic.sequence[1].duration");
        let run = &traffic_forms(&example("seed-001-after"));
        assert_eq!((run[0].prefix.as_str(), run[1].rows_path.as_ref()), ("duration", Some(&phases())));
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
            let plan = planned(&s);
            let peak = plan.peak_rps;
            set_shape(&mut s, &plan, id).unwrap_or_else(|e| panic!("{id}: {e}"));
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
        let s = example("seed-001-after");
        assert!(set_shape(&mut s.clone(), &planned(&s), "square").is_err());
    }

    #[test]
    fn phases_and_steps_rows_are_added_and_removed() {
        let mut s = example("seed-001-after");
        add_row(&mut s, &phases()).unwrap();
        let scalelab_core::traffic::Traffic::Phases(p) = &s.traffic else { panic!("phases") };
        assert_eq!(p.len(), 3);
        assert_eq!(p[2].arrival_rate, 800.0, "starts where the last phase ended");
        remove_row(&mut s, &phases(), 0).unwrap();
        remove_row(&mut s, &phases(), 0).unwrap();
        assert!(remove_row(&mut s, &phases(), 0).unwrap_err().message.contains("at least one"));
        let plan = planned(&s);
        set_shape(&mut s, &plan, "steps").unwrap();
        let steps = Path::root().join("traffic.steps");
        add_row(&mut s, &steps).unwrap();
        let scalelab_core::traffic::Traffic::Steps(st) = &s.traffic else { panic!("steps") };
        assert_eq!(st.len(), 4);
        assert_eq!(st[3].at.as_secs_f64(), 4800.0 + 720.0, "10 % of the run after the last step");
    }
}
