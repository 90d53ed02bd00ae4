//! `cargo xtask bench`: engine figures on the reference scenarios, with the same fixed-capacity
//! M/M/c model in SimPy side by side.
//!
//! Goals: at least 60× SimPy's events per second on the M/M/c scenario; peak memory of a 2-hour
//! 800 RPS run at most 32 MB. Events are counted the way each engine counts them (Scalelab: one
//! per arrival, completion, timer; SimPy: one per `env.step()`); requests per second compare the
//! same work whatever the event accounting, and are printed too.
//!
//! The rightsizing lab (the release CLI's `rightsize`, a stage's jobs on rayon's threads, two of
//! them as on the goal's machine): ResNet-50 for 10–66 RPS over every instance type, with counts
//! verified and the policy tuned, in at most 2 s; the policy tuning on seed 001's ramp in at most
//! 10 s. Its simulated requests per second are compared with the engine's on seed 001 in the same
//! run. `--rightsize` runs only these (and seed 001, the peer).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, cargo, output, root, run};

const GOAL_SPEEDUP: f64 = 60.0;
const GOAL_PEAK_MIB: f64 = 32.0;
const SIMPY_VERSION: &str = "4.1.2";
/// The lab's goals, in wall seconds on a 2-core machine.
const GOAL_RIGHTSIZE_S: f64 = 2.0;
const GOAL_TUNE_S: f64 = 10.0;
/// Threads the lab runs on (RAYON_NUM_THREADS), as on the goals' machine.
const LAB_THREADS: usize = 2;

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

/// One run of the rightsizing lab, from the CLI's `lab:` line.
struct LabFigures {
    name: String,
    goal_s: f64,
    jobs: f64,
    wall_s: f64,
    requests: f64,
    threads: f64,
}

impl LabFigures {
    fn requests_per_s(&self) -> f64 {
        self.requests / self.wall_s
    }
}

fn lab_run(cli: &Path, name: &str, goal_s: f64, args: &[&str]) -> Result<LabFigures> {
    let mut c = Command::new(cli);
    c.args(args).args(["--stats", "--quiet"]).env("RAYON_NUM_THREADS", LAB_THREADS.to_string());
    let stdout = output(c)?;
    let line = stdout.lines().find(|l| l.starts_with("lab:")).ok_or("no lab line in the output")?;
    let kv: BTreeMap<&str, &str> = line.split_whitespace().filter_map(|w| w.split_once('=')).collect();
    let num = |k: &str| kv.get(k).and_then(|v| v.parse::<f64>().ok()).ok_or(format!("no {k} in {line}"));
    Ok(LabFigures {
        name: name.into(),
        goal_s,
        jobs: num("jobs")?,
        wall_s: num("wall_s")?,
        requests: num("requests")?,
        threads: num("threads")?,
    })
}

/// Best of `n` runs of the lab (least wall time).
fn lab_best(name: &str, goal_s: f64, args: &[&str], n: usize) -> Result<LabFigures> {
    let cli = root().join("target/release/scalelab");
    let mut best: Option<LabFigures> = None;
    for _ in 0..n {
        let f = lab_run(&cli, name, goal_s, args)?;
        if best.as_ref().is_none_or(|b| f.wall_s < b.wall_s) {
            best = Some(f);
        }
    }
    best.ok_or_else(|| "no run".into())
}

/// The lab's two reference cases, best of 3 each.
fn lab_figures() -> Result<[LabFigures; 2]> {
    println!("==> Scalelab: the rightsizing lab on {LAB_THREADS} threads, best of 3");
    let full = lab_best(
        "resnet50 10–66 RPS, every type",
        GOAL_RIGHTSIZE_S,
        &["rightsize", "--model", "resnet50", "--min-rps", "10", "--max-rps", "66"],
        3,
    )?;
    let tune = lab_best(
        "seed-001 ramp, tuning (m4)",
        GOAL_TUNE_S,
        &["rightsize", "--example", "seed-001-before", "--instance-types", "ml.m4.xlarge"],
        3,
    )?;
    Ok([full, tune])
}

/// The lab's table, and its throughput against the engine's plain run of seed 001.
fn print_lab(lab: &[LabFigures], seed001: &Figures) {
    println!();
    println!(
        "{:<32} {:>6} {:>9} {:>14} {:>14} {:>8} {:>11}",
        "rightsizing lab", "jobs", "wall s", "requests", "requests/s", "threads", "goal"
    );
    for f in lab {
        println!(
            "{:<32} {:>6.0} {:>9.3} {:>14.0} {:>14.0} {:>8.0} {:>11}",
            f.name,
            f.jobs,
            f.wall_s,
            f.requests,
            f.requests_per_s(),
            f.threads,
            format!("≤ {:.0} s", f.goal_s)
        );
    }
    println!();
    for f in lab {
        println!(
            "{}: {:.3} s  (goal ≤ {:.0} s on 2 cores: {}); requests/s vs the engine's seed-001 run: {:.2}×",
            f.name,
            f.wall_s,
            f.goal_s,
            if f.wall_s <= f.goal_s { "met" } else { "NOT MET" },
            f.requests_per_s() / seed001.requests_per_s()
        );
    }
    println!(
        "(the lab on {:.0} threads, the engine's run on one; the lab's wall time also holds planning each job and the waits at the end of a stage)",
        lab.first().map_or(0.0, |f| f.threads)
    );
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

/// `cargo xtask bench [--against REV | --rightsize]`.
pub fn bench(args: &[String]) -> Result {
    println!("==> building the release CLI");
    let mut c = cargo();
    c.args(["build", "--release", "-q", "-p", "scalelab-cli"]);
    run(c)?;
    let only_lab = match args {
        [] => false,
        [flag] if flag == "--rightsize" => true,
        [flag, rev] if flag == "--against" => return against(rev),
        _ => return Err("usage: cargo xtask bench [--against REV | --rightsize]".into()),
    };
    let seed001_args = ["run", "--example", "seed-001-before"];
    if only_lab {
        println!("==> Scalelab: seed 001 (2 h ramp, 200 → 800 RPS), best of 3");
        let seed001 = scalelab_best("seed-001-before (2 h)", &seed001_args, 3)?;
        let lab = lab_figures()?;
        println!();
        println!("seed-001-before (2 h): {:.3} s, {:.0} requests/s", seed001.wall_s, seed001.requests_per_s());
        print_lab(&lab, &seed001);
        return Ok(());
    }
    let mmc = root().join("crates/xtask/bench/mmc-800rps.json");
    let mmc = mmc.to_str().ok_or("path is not UTF-8")?;
    println!("==> Scalelab: seed 001 (2 h ramp, 200 → 800 RPS) and M/M/8 at 800 RPS for 2 h, best of 3");
    let seed001 = scalelab_best("seed-001-before (2 h)", &seed001_args, 3)?;
    let ours = scalelab_best("mmc-800rps (2 h, M/M/8)", &["run", mmc], 3)?;
    let lab = lab_figures()?;
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
    print_lab(&lab, &seed001);
    Ok(())
}
