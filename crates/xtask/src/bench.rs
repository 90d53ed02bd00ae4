//! `cargo xtask bench`: engine figures on the reference scenarios, with the same fixed-capacity
//! M/M/c model in SimPy side by side.
//!
//! Goals: at least 60× SimPy's events per second on the M/M/c scenario; peak memory of a 2-hour
//! 800 RPS run at most 32 MB. Events are counted the way each engine counts them (Scalelab: one
//! per arrival, completion, timer; SimPy: one per `env.step()`); requests per second compare the
//! same work whatever the event accounting, and are printed too.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, cargo, output, root, run};

const GOAL_SPEEDUP: f64 = 60.0;
const GOAL_PEAK_MIB: f64 = 32.0;
const SIMPY_VERSION: &str = "4.1.2";

struct Figures {
    name: String,
    events: f64,
    wall_s: f64,
    requests: f64,
    peak_kib: Option<f64>,
}

impl Figures {
    fn events_per_s(&self) -> f64 {
        self.events / self.wall_s
    }
    fn requests_per_s(&self) -> f64 {
        self.requests / self.wall_s
    }
}

fn parse_engine_line(name: &str, stdout: &str) -> Result<Figures> {
    let line = stdout.lines().find(|l| l.starts_with("engine:")).ok_or("no engine line in the output")?;
    let kv: BTreeMap<&str, &str> = line.split_whitespace().filter_map(|w| w.split_once('=')).collect();
    let num = |k: &str| kv.get(k).and_then(|v| v.parse::<f64>().ok()).ok_or(format!("no {k} in {line}"));
    Ok(Figures {
        name: name.into(),
        events: num("events")?,
        wall_s: num("wall_s")?,
        requests: num("requests")?,
        peak_kib: num("peak_memory_kib").ok(),
    })
}

/// Best of `n` runs (least wall time), to shave off noise from the machine.
fn scalelab_best(name: &str, args: &[&str], n: usize) -> Result<Figures> {
    let cli = root().join("target/release/scalelab");
    let mut best: Option<Figures> = None;
    for _ in 0..n {
        let f = one_run(&cli, name, args)?;
        if best.as_ref().is_none_or(|b| f.wall_s < b.wall_s) {
            best = Some(f);
        }
    }
    best.ok_or_else(|| "no run".into())
}

fn one_run(cli: &Path, name: &str, args: &[&str]) -> Result<Figures> {
    let mut c = Command::new(cli);
    c.args(args).args(["--stats", "--quiet"]);
    parse_engine_line(name, &output(c)?)
}

/// Builds the CLI of commit `rev` in a worktree under target/xtask (its own target directory,
/// kept between runs) and returns the binary.
fn baseline_cli(rev: &str) -> Result<PathBuf> {
    let dir = root().join("target/xtask/baseline");
    let _ = std::fs::remove_dir_all(&dir);
    let mut c = Command::new("git");
    c.current_dir(root()).args(["worktree", "prune"]);
    run(c)?;
    let mut c = Command::new("git");
    c.current_dir(root()).args(["worktree", "add", "--detach", "--force"]).arg(&dir).arg(rev);
    run(c)?;
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(&dir)
        .args(["build", "--release", "-q", "-p", "scalelab-cli"])
        .env("CARGO_TARGET_DIR", root().join("target/xtask/baseline-target"));
    run(c)?;
    Ok(root().join("target/xtask/baseline-target/release/scalelab"))
}

/// This build against commit `rev` on the same scenarios, runs interleaved so that the
/// machine's drift touches both alike; prints the best wall time of each and their ratio.
fn against(rev: &str) -> Result {
    println!("==> building the release CLI of {rev} (its own target directory)");
    let theirs = baseline_cli(rev)?;
    let ours = root().join("target/release/scalelab");
    let mmc = root().join("crates/xtask/bench/mmc-800rps.json");
    let mmc = mmc.to_str().ok_or("path is not UTF-8")?;
    let cases: [(&str, Vec<&str>); 2] = [
        ("seed-001-before (2 h)", vec!["run", "--example", "seed-001-before"]),
        ("mmc-800rps (2 h, M/M/8)", vec!["run", mmc]),
    ];
    println!("==> 5 interleaved rounds: this build, then {rev}, per scenario");
    println!();
    println!("{:<26} {:>12} {:>12} {:>8}", "scenario", "this (s)", rev, "ratio");
    for (name, args) in &cases {
        let (mut a, mut b) = (f64::INFINITY, f64::INFINITY);
        for _ in 0..5 {
            a = a.min(one_run(&ours, name, args)?.wall_s);
            b = b.min(one_run(&theirs, name, args)?.wall_s);
        }
        println!("{name:<26} {a:>12.3} {b:>12.3} {:>7.2}×", a / b);
    }
    println!("\n(ratio = this build's wall time / {rev}'s; below 1 is faster)");
    Ok(())
}

fn simpy_python() -> Result<std::path::PathBuf> {
    let check = format!("import simpy, sys; sys.exit(0 if simpy.__version__ == '{SIMPY_VERSION}' else 1)");
    crate::venv("simpy-venv", &[&format!("simpy=={SIMPY_VERSION}")], &check)
}

fn simpy_run() -> Result<Figures> {
    let python = simpy_python()?;
    let mut c = Command::new(python);
    c.arg(root().join("crates/xtask/bench/mmc_simpy.py")).args(["800", "8", "0.008", "7200", "1"]);
    let out = output(c)?;
    let line = out.lines().last().ok_or("SimPy printed nothing")?;
    // A flat JSON object of numbers and one string: read the numbers.
    let num = |k: &str| -> Result<f64> {
        let at = line.find(&format!("\"{k}\": ")).ok_or(format!("no {k} in {line}"))?;
        let rest = &line[at + k.len() + 4..];
        let end = rest.find([',', '}']).unwrap_or(rest.len());
        rest[..end].trim().parse().map_err(|_| format!("bad {k} in {line}"))
    };
    Ok(Figures {
        name: format!("SimPy {SIMPY_VERSION}, same M/M/8"),
        events: num("events")?,
        wall_s: num("wall_s")?,
        requests: num("requests")?,
        peak_kib: num("peak_memory_kib").ok(),
    })
}

/// `cargo xtask bench [--against REV]`.
pub fn bench(args: &[String]) -> Result {
    println!("==> building the release CLI");
    let mut c = cargo();
    c.args(["build", "--release", "-q", "-p", "scalelab-cli"]);
    run(c)?;
    match args {
        [] => {}
        [flag, rev] if flag == "--against" => return against(rev),
        _ => return Err("usage: cargo xtask bench [--against REV]".into()),
    }
    let mmc = root().join("crates/xtask/bench/mmc-800rps.json");
    let mmc = mmc.to_str().ok_or("path is not UTF-8")?;
    println!("==> Scalelab: seed 001 (2 h ramp, 200 → 800 RPS) and M/M/8 at 800 RPS for 2 h, best of 3");
    let seed001 = scalelab_best("seed-001-before (2 h)", &["run", "--example", "seed-001-before"], 3)?;
    let ours = scalelab_best("mmc-800rps (2 h, M/M/8)", &["run", mmc], 3)?;
    println!("==> SimPy: the same M/M/8 scenario");
    let simpy = simpy_run()?;

    println!();
    println!(
        "{:<32} {:>12} {:>9} {:>14} {:>14} {:>11}",
        "scenario", "events", "wall s", "events/s", "requests/s", "peak MiB"
    );
    for f in [&seed001, &ours, &simpy] {
        println!(
            "{:<32} {:>12.0} {:>9.3} {:>14.0} {:>14.0} {:>11}",
            f.name,
            f.events,
            f.wall_s,
            f.events_per_s(),
            f.requests_per_s(),
            f.peak_kib.map(|k| format!("{:.1}", k / 1024.0)).unwrap_or_else(|| "?".into())
        );
    }
    let speedup_events = ours.events_per_s() / simpy.events_per_s();
    let speedup_requests = ours.requests_per_s() / simpy.requests_per_s();
    let peak_mib = ours.peak_kib.map(|k| k / 1024.0);
    println!();
    println!(
        "events/s vs SimPy: {speedup_events:.0}×  (goal ≥ {GOAL_SPEEDUP:.0}×: {})",
        if speedup_events >= GOAL_SPEEDUP { "met" } else { "NOT MET" }
    );
    println!(
        "requests/s vs SimPy (same work): {speedup_requests:.0}×  (SimPy spends {:.1} events per request, Scalelab {:.1})",
        simpy.events / simpy.requests.max(1.0),
        ours.events / ours.requests.max(1.0)
    );
    match peak_mib {
        Some(m) => println!(
            "peak memory, 2 h at 800 RPS: {m:.1} MiB  (goal ≤ {GOAL_PEAK_MIB:.0} MB: {})",
            if m * 1.048_576 <= GOAL_PEAK_MIB { "met" } else { "NOT MET" }
        ),
        None => println!("peak memory: unknown on this platform"),
    }
    Ok(())
}
