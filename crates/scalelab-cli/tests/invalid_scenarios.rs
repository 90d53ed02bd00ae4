//! Every folder under `tests/invalid/` holds a broken `scenario.json` and the problems, one per
//! line, that Scalelab must report for it (`expected.txt`). A new case is a new folder.
//!
//! Each case is checked twice: through the core (what the web page shows) and through the
//! `scalelab validate` binary (exit code 1, every problem on stderr).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn cases() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/invalid");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 10, "expected the table of invalid scenarios, found {}", dirs.len());
    dirs
}

fn expected(dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
    text.lines().filter(|l| !l.trim().is_empty()).map(str::to_string).collect()
}

#[test]
fn the_core_reports_exactly_the_expected_problems() {
    for dir in cases() {
        let json = std::fs::read_to_string(dir.join("scenario.json")).unwrap();
        let problems = match scalelab_core::Scenario::from_json(&json) {
            Err(p) => p,
            Ok(s) => scalelab_core::plan(&s, None).expect_err(&format!("{} must be rejected", dir.display())),
        };
        let got: Vec<String> = problems.0.iter().map(|p| p.to_string()).collect();
        assert_eq!(got, expected(&dir), "{}", dir.display());
    }
}

#[test]
fn validate_exits_1_and_lists_every_problem() {
    for dir in cases() {
        let out = Command::new(env!("CARGO_BIN_EXE_scalelab"))
            .arg("validate")
            .arg(dir.join("scenario.json"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", dir.display());
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in expected(&dir) {
            assert!(stderr.contains(&line), "{}: stderr lacks {line:?}:\n{stderr}", dir.display());
        }
    }
}

#[test]
fn run_refuses_invalid_scenarios_without_a_panic() {
    for dir in cases() {
        let out = Command::new(env!("CARGO_BIN_EXE_scalelab"))
            .args(["run", "--quiet"])
            .arg(dir.join("scenario.json"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", dir.display());
        assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"), "{}", dir.display());
    }
}
