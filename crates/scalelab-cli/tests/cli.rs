//! The command line as a user meets it.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::process::Command;

fn scalelab(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_scalelab")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn examples_list_print_and_validate() {
    let (code, list, _) = scalelab(&["example", "--list"]);
    assert_eq!(code, 0);
    for name in scalelab_core::examples::names() {
        assert!(list.contains(name), "{name} missing from the list");
    }
    let dir = std::env::temp_dir().join(format!("scalelab-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (code, json, _) = scalelab(&["example", "seed-001-before", "--short"]);
    assert_eq!(code, 0);
    let path = dir.join("short.json");
    std::fs::write(&path, &json).unwrap();
    let (code, out, _) = scalelab(&["validate", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("valid"));
    let (code, _, err) = scalelab(&["example", "seed-001-befor"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean \"seed-001-before\""), "{err}");
}

#[test]
fn run_writes_a_json_report_and_csv_series_that_agree_with_the_summary() {
    let dir = std::env::temp_dir().join(format!("scalelab-cli-run-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (json, csv) = (dir.join("r.json"), dir.join("s.csv"));
    let (code, out, err) = scalelab(&[
        "run",
        "--example",
        "seed-004-g4dn-pair",
        "--seed",
        "3",
        "--json",
        json.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    let s = &report["summary"];
    for key in ["requests", "succeeded", "errors", "latency_ms", "cost_usd"] {
        assert!(!s[key].is_null(), "summary.{key} missing");
    }
    for key in ["p50", "p90", "p99", "mean"] {
        assert!(s["latency_ms"][key].is_number(), "latency_ms.{key}");
    }
    assert!(report["series"].as_array().unwrap().len() == 30);
    assert!(report["warnings"].is_array());
    // The printed table shows the same request count, with separators.
    let requests = s["requests"].as_u64().unwrap();
    let shown = out.lines().find(|l| l.trim_start().starts_with("requests")).unwrap();
    assert_eq!(shown.split_whitespace().nth(1).unwrap().replace(',', "").parse::<u64>().unwrap(), requests);
    // The CSV has a header and one row per minute; its request column sums to the total.
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "requests").unwrap();
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 30);
    let total: u64 = rows.iter().map(|r| r.split(',').nth(col).unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(total, requests);
    // Seed 004: two g4dn.xlarge hold 66 RPS with (almost) no failures.
    let failed = s["errors"]["total"].as_u64().unwrap() as f64;
    assert!(failed / (requests as f64) < 0.01, "{failed} of {requests} failed");
}

#[test]
fn the_hash_is_stable_for_a_seed_and_changes_with_it() {
    let run = |seed: &str| scalelab(&["run", "--example", "seed-004-p2-ramp", "--seed", seed, "--hash"]).1;
    assert_eq!(run("5"), run("5"));
    assert_ne!(run("5"), run("6"));
    assert_eq!(run("5").trim().len(), 16);
}

#[test]
fn unreadable_files_exit_3() {
    let (code, _, err) = scalelab(&["run", "/nonexistent/scenario.json"]);
    assert_eq!(code, 3);
    assert!(err.contains("reading /nonexistent/scenario.json"), "{err}");
}

#[test]
fn export_formats_and_their_errors() {
    for format in ["cli", "boto3", "cloudformation", "cdk", "json"] {
        let (code, out, err) = scalelab(&["export", "--example", "seed-001-after", "--format", format]);
        assert_eq!(code, 0, "{format}: {err}");
        assert!(out.contains("SageMakerVariantInvocationsPerInstance"), "{format}:\n{out}");
    }
    let (code, _, err) = scalelab(&["export", "--example", "seed-001-after", "--format", "cloudformaton"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean \"cloudformation\"?"), "{err}");
    let (code, _, err) = scalelab(&["export", "--example", "seed-001-on-demand", "--format", "cloudformation"]);
    assert_eq!(code, 1);
    assert!(err.contains("use --format cli or boto3"), "{err}");
    let (code, _, err) = scalelab(&["export", "--example", "seed-001-before", "--format", "cli"]);
    assert_eq!(code, 1);
    assert!(err.contains("nothing to export"), "{err}");
}

#[test]
fn csv_period_gives_rows_of_that_period_or_is_refused() {
    let dir = std::env::temp_dir().join(format!("scalelab-cli-period-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let csv = dir.join("s.csv");
    let period_of = |period: &str| {
        let (code, _, err) = scalelab(&[
            "run",
            "--example",
            "seed-004-g4dn-pair",
            "--quiet",
            "--csv",
            csv.to_str().unwrap(),
            "--csv-period",
            period,
        ]);
        assert_eq!(code, 0, "{err}");
        let text = std::fs::read_to_string(&csv).unwrap();
        let header: Vec<&str> = text.lines().next().unwrap().split(',').collect();
        let col = header.iter().position(|h| *h == "period_secs").expect("a period_secs column");
        let periods: std::collections::BTreeSet<String> =
            text.lines().skip(1).map(|l| l.split(',').nth(col).unwrap().to_string()).collect();
        periods.into_iter().collect::<Vec<_>>()
    };
    assert_eq!(period_of("10"), ["10"]);
    assert_eq!(period_of("60"), ["60"]);
    // A period the series do not have is refused, naming the ones they have.
    let (code, _, err) =
        scalelab(&["run", "--example", "seed-004-g4dn-pair", "--csv", csv.to_str().unwrap(), "--csv-period", "30"]);
    assert_eq!(code, 2);
    assert!(err.contains("possible values: 10, 60"), "{err}");
}

#[test]
fn lessons_list_as_json_and_print_with_their_runs_numbers() {
    let (code, out, err) = scalelab(&["lesson", "--list", "--json"]);
    assert_eq!(code, 0, "{err}");
    let list: serde_json::Value = serde_json::from_str(&out).unwrap();
    let items = list.as_array().unwrap();
    assert!(items.len() >= 14);
    for l in items {
        for key in ["id", "title", "question"] {
            assert!(l[key].as_str().is_some_and(|s| !s.is_empty()), "{key} in {l}");
        }
    }
    let (code, text, err) = scalelab(&["lesson", "first-scale-out"]);
    assert_eq!(code, 0, "{err}");
    assert!(text.starts_with("# Why the first scale-out comes minutes late"), "{text}");
    assert!(!text.contains('{'), "every placeholder is filled: {text}");
    assert!(text.contains("25,000"), "{text}");
    let (code, _, err) = scalelab(&["lesson", "first-scale-ot"]);
    assert_eq!(code, 1);
    assert!(err.contains("did you mean \"first-scale-out\""), "{err}");
}
