//! Percentile alarms and metric math, checked against the exact run's own rows: an alarm on
//! ModelLatency p99 goes to ALARM one period (plus CloudWatch's publish delay) after the first
//! minute whose p99 passes the threshold, while one on the average at the same threshold waits
//! for the average; a target tracking policy on `m1 / 60` decides exactly as the plain metric
//! at 60 × the target; a metric math percentile and an error ratio read what the rows say
//! (division by zero: no datapoint). Tolerances: none, the alarms read the same histograms and
//! counts the report's rows are built from.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use scalelab_core::report::Report;
use scalelab_core::{Scenario, examples, simulate};
use serde_json::{Value, json};

const PUBLISH_DELAY_SECS: f64 = 60.0;

fn run(v: Value) -> Report {
    let s = Scenario::from_json(&v.to_string()).unwrap();
    simulate(&s, Some(1)).unwrap()
}

fn example(name: &str) -> Value {
    serde_json::to_value(examples::get(name).unwrap()).unwrap()
}

fn dims() -> Value {
    json!([{"Name": "EndpointName", "Value": "resnet50-latency"}, {"Name": "VariantName", "Value": "AllTraffic"}])
}

/// The p99 example with its policy removed (no scaling, so the rows stay those of one
/// instance) and the given alarms.
fn latency_alarms(alarms: Value) -> Report {
    let mut s = example("seed-000-step-scaling-p99");
    s["scaling"]["PutScalingPolicy"] = json!([]);
    s["scaling"]["PutMetricAlarm"] = alarms;
    run(s)
}

fn alarm(name: &str, stat: (&str, &str), threshold: f64) -> Value {
    json!({"AlarmName": name, "MetricName": "ModelLatency", "Namespace": "AWS/SageMaker", stat.0: stat.1,
           "Dimensions": dims(), "Period": 60, "EvaluationPeriods": 1, "Threshold": threshold,
           "ComparisonOperator": "GreaterThanThreshold"})
}

fn first_alarm(r: &Report, name: &str) -> Option<f64> {
    r.alarm_history.iter().find(|c| c.alarm == name && c.to == "ALARM").map(|c| c.at_secs)
}

/// When an alarm on one-minute datapoints first sees a value above `threshold` in `column`.
fn expected_alarm(r: &Report, column: fn(&scalelab_core::metrics::Row) -> Option<f64>, threshold_ms: f64) -> f64 {
    let row = r.series.iter().find(|row| column(row).is_some_and(|v| v > threshold_ms)).unwrap();
    row.t_secs + 60.0 + PUBLISH_DELAY_SECS
}

#[test]
fn a_p99_alarm_fires_in_the_minute_p99_crosses_and_an_average_alarm_later() {
    let r = latency_alarms(json!([
        alarm("p99-high", ("ExtendedStatistic", "p99"), 300_000.0),
        alarm("avg-high", ("Statistic", "Average"), 300_000.0),
    ]));
    let p99 = first_alarm(&r, "p99-high").expect("the p99 alarm must fire");
    let avg = first_alarm(&r, "avg-high").expect("the average alarm must fire");
    assert_eq!(p99, expected_alarm(&r, |row| row.model_latency_p99_ms, 300.0));
    assert_eq!(avg, expected_alarm(&r, |row| row.model_latency_avg_ms, 300.0));
    assert!(p99 + 120.0 <= avg, "the tail crosses first: p99 alarm at {p99} s, average at {avg} s");
    // The chart series is what the alarm read, minute by minute: the rows' p99, in µs.
    let m = &r.scaler_metrics[0];
    assert_eq!((m.metric.as_str(), m.statistic.as_str(), m.period_secs), ("ModelLatency", "p99", 60));
    for (t, v) in &m.points {
        let row = r.series.iter().find(|row| row.t_secs == *t).unwrap();
        assert_eq!(v.map(|us| us / 1000.0), row.model_latency_p99_ms, "minute at {t} s");
    }
    assert!(m.points.len() >= 80, "{} points", m.points.len());
}

#[test]
fn a_trimmed_mean_lies_between_the_median_and_the_mean_of_a_long_tail() {
    let r = latency_alarms(json!([alarm("tm90", ("ExtendedStatistic", "tm90"), 1e12)]));
    let m = &r.scaler_metrics[0];
    assert_eq!(m.statistic, "tm90");
    let mut checked = 0;
    for (t, v) in &m.points {
        let row = r.series.iter().find(|row| row.t_secs == *t).unwrap();
        let (Some(tm), Some(p50), Some(p90)) = (v, row.model_latency_p50_ms, row.model_latency_p90_ms) else {
            continue;
        };
        // The mean of the lowest 90 % is at most their largest value (p90, within a bucket).
        assert!(tm / 1000.0 <= p90 * 1.008, "minute at {t} s: tm90 {tm} vs p90 {p90}");
        assert!(tm / 1000.0 >= p50 * 0.5, "minute at {t} s: tm90 {tm} vs p50 {p50}");
        checked += 1;
    }
    assert!(checked > 60);
}

#[test]
fn a_percentile_in_metric_math_reads_the_same_datapoints() {
    let math = json!({"AlarmName": "p99-ms", "Metrics": [
            {"Id": "m1", "MetricStat": {"Metric": {"MetricName": "ModelLatency", "Namespace": "AWS/SageMaker",
                "Dimensions": dims()}, "Period": 60, "Stat": "p99"}, "ReturnData": false},
            {"Id": "e1", "Expression": "m1 / 1000", "Label": "p99 in ms", "ReturnData": true}],
        "EvaluationPeriods": 1, "Threshold": 300.0, "ComparisonOperator": "GreaterThanThreshold"});
    let r = latency_alarms(json!([math, alarm("p99-high", ("ExtendedStatistic", "p99"), 300_000.0)]));
    assert_eq!(first_alarm(&r, "p99-ms"), first_alarm(&r, "p99-high"));
    let e = r.scaler_metrics.iter().find(|m| m.metric == "p99 in ms").unwrap();
    assert_eq!(e.statistic, "Expression");
}

#[test]
fn an_error_ratio_has_no_datapoint_where_it_would_divide_by_zero() {
    // 5XX errors as a percentage of invocations; a minute without invocations has none.
    let ratio = json!({"AlarmName": "error-ratio", "Metrics": [
            {"Id": "errors", "MetricStat": {"Metric": {"MetricName": "Invocation5XXErrors", "Namespace": "AWS/SageMaker",
                "Dimensions": dims()}, "Period": 60, "Stat": "Sum"}, "ReturnData": false},
            {"Id": "calls", "MetricStat": {"Metric": {"MetricName": "Invocations", "Namespace": "AWS/SageMaker",
                "Dimensions": dims()}, "Period": 60, "Stat": "Sum"}, "ReturnData": false},
            {"Id": "ratio", "Expression": "100 * errors / calls", "ReturnData": true}],
        "EvaluationPeriods": 1, "Threshold": 1.0, "ComparisonOperator": "GreaterThanThreshold"});
    let mut s = example("seed-000-step-scaling-p99");
    s["scaling"]["PutScalingPolicy"] = json!([]);
    s["scaling"]["PutMetricAlarm"] = json!([ratio]);
    // Ten quiet minutes at the end: the endpoint serves, nothing arrives.
    s["duration"] = json!("100m");
    let r = run(s);
    let m = &r.scaler_metrics[0];
    let (mut with, mut without) = (0, 0);
    for (t, v) in &m.points {
        let row = r.series.iter().find(|row| row.t_secs == *t).unwrap();
        if row.invocations == 0 {
            assert_eq!(*v, None, "minute at {t} s: no invocations, no datapoint");
            without += 1;
        } else {
            let want = 100.0 * row.errors_5xx as f64 / row.invocations as f64;
            assert!((v.unwrap() - want).abs() < 1e-9, "minute at {t} s: {v:?} vs {want}");
            with += 1;
        }
    }
    assert!(with > 80 && without >= 8, "{with} minutes with invocations, {without} without");
    assert!(first_alarm(&r, "error-ratio").is_some(), "the overload fails more than 1 % of calls");
}

#[test]
fn metric_math_target_tracking_decides_as_the_plain_metric() {
    let math = run(example("seed-001-metric-math"));
    let mut plain = example("seed-001-after");
    plain["scaling"]["PutScalingPolicy"][0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] = json!(24000.0);
    let plain = run(plain);
    let decisions = |r: &Report| -> Vec<(f64, u32, u32)> {
        r.activities.iter().map(|a| (a.at_secs, a.desired_before, a.desired_after)).collect()
    };
    assert!(decisions(&math).len() >= 3);
    assert_eq!(decisions(&math), decisions(&plain));
    assert_eq!(math.summary.cost_usd, plain.summary.cost_usd);
    // The chart series is the expression: the rows' invocations per instance over 60.
    let m = &math.scaler_metrics[0];
    assert_eq!(m.metric, "Invocations per second per instance");
    for (t, v) in &m.points {
        let row = math.series.iter().find(|row| row.t_secs == *t).unwrap();
        assert!((v.unwrap() - row.invocations_per_instance / 60.0).abs() < 1e-9, "minute at {t} s");
    }
}

#[test]
fn too_few_values_keep_a_percentile_alarms_state_when_asked() {
    // 10 requests a second: 600 values a minute, fewer than the 1000 that make a p99
    // significant (10 / (1 − 0.99)).
    let quiet = |evaluate: &str| {
        let mut s = example("seed-000-step-scaling-p99");
        s["traffic"] = json!({"constant": {"rps": 10}});
        s["scaling"]["PutScalingPolicy"] = json!([]);
        let mut a = alarm("p99", ("ExtendedStatistic", "p99"), 1.0);
        a["EvaluateLowSampleCountPercentile"] = json!(evaluate);
        s["scaling"]["PutMetricAlarm"] = json!([a]);
        run(s)
    };
    assert_eq!(first_alarm(&quiet("evaluate"), "p99"), Some(120.0));
    assert!(quiet("ignore").alarm_history.is_empty(), "ignore: the alarm keeps INSUFFICIENT_DATA");
}

#[test]
fn exports_write_metrics_and_extended_statistics_back() {
    for name in ["seed-001-metric-math", "seed-000-step-scaling-p99"] {
        let s = examples::get(name).unwrap();
        let v = scalelab_core::export::to_json(&s).unwrap();
        let (scaling, _) = scalelab_core::export::from_json(&v).unwrap();
        assert_eq!(scaling, s.scaling, "{name}: the JSON export imports back unchanged");
        for format in ["cli", "boto3", "cloudformation", "cdk"] {
            let text =
                scalelab_core::export::export(&s, scalelab_core::export::Format::parse(format).unwrap()).unwrap();
            let want = if name.contains("math") { "m1 / 60" } else { "p99" };
            assert!(text.contains(want), "{name} as {format} keeps {want}");
        }
    }
}
