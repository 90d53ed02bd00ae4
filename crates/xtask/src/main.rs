//! Project automation: `cargo xtask <command>`.
//!
//! - `test`: every check the project has (format, lints, unit and integration tests, the wasm
//!   build of the core and the native-vs-wasm determinism check). Installs what it needs, Debian
//!   packages included (as root or through password-less sudo).
//! - `bench`: engine throughput and memory on reference scenarios, side by side with SimPy, and
//!   the rightsizing lab's wall time.
//! - `serve`: the main job: build the web playground and serve it on http://127.0.0.1:8080.
//! - `dist`: the release site in `dist/`; `bench-web`: page timings in headless Chromium.
//!
//! Dependency-free on purpose: it only runs other programs.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

mod bench;
mod system;
mod web;

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("bench") => bench::bench(args.get(1..).unwrap_or(&[])),
        Some("serve") => web::serve(),
        Some("dist") => web::dist(),
        Some("bench-web") => web::bench_web(),
        _ => {
            eprintln!(
                "usage: cargo xtask <command>\n\n  serve      build the playground and serve it on http://127.0.0.1:8080 (installs what is missing)\n  dist       build the release site into dist/\n  test       run every check (fmt, clippy, tests, wasm, determinism, AWS exports, browser tests)\n  bench      engine figures on reference scenarios, with SimPy side by side;\n             --against REV: this build's wall time against commit REV's, interleaved;\n             --rightsize: only the rightsizing lab (and seed 001, its peer)\n  bench-web  page timings in headless Chromium"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (xtask lives in crates/xtask).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap_or_else(|_| PathBuf::from("."))
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

/// Runs a command, echoing it; fails with its exit status.
pub fn run(mut cmd: Command) -> Result {
    let shown = format!("{cmd:?}").replace('"', "");
    println!("    $ {shown}");
    let status = cmd.status().map_err(|e| format!("could not start {shown}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("{shown} failed ({status})")) }
}

/// Runs a command and returns its standard output.
pub fn output(mut cmd: Command) -> Result<String> {
    let shown = format!("{cmd:?}").replace('"', "");
    let out = cmd.stderr(Stdio::inherit()).output().map_err(|e| format!("could not start {shown}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{shown} failed ({})", out.status));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether `program args…` runs and succeeds, its output discarded.
pub fn have(program: &str, args: &[&str]) -> bool {
    Command::new(program).args(args).stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

pub fn ensure_wasm_target() -> Result {
    let installed = output({
        let mut c = Command::new("rustup");
        c.args(["target", "list", "--installed"]);
        c
    })
    .unwrap_or_default();
    if installed.lines().any(|l| l.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    println!("    installing the wasm32-unknown-unknown target (seconds)");
    let mut c = Command::new("rustup");
    c.args(["target", "add", "wasm32-unknown-unknown"]);
    run(c)
}

fn ensure_components() -> Result {
    for (tool, component) in [("cargo-fmt", "rustfmt"), ("cargo-clippy", "clippy")] {
        if !have(tool, &["--version"]) {
            println!("    installing the {component} component");
            let mut c = Command::new("rustup");
            c.args(["component", "add", component]);
            run(c)?;
        }
    }
    Ok(())
}

struct Steps {
    done: Vec<(String, f64)>,
}

impl Steps {
    fn step(&mut self, name: &str, f: impl FnOnce() -> Result) -> Result {
        println!("==> {name}");
        let t = Instant::now();
        f().map_err(|e| format!("{name}: {e}"))?;
        let secs = t.elapsed().as_secs_f64();
        println!("    ok ({secs:.1} s)");
        self.done.push((name.to_string(), secs));
        Ok(())
    }
}

fn test() -> Result {
    let started = Instant::now();
    let mut steps = Steps { done: Vec::new() };
    steps.step("system packages: Node, npm, Python venv, Chromium, ChromeDriver, OpenSSL, Vulkan", || {
        system::ensure(system::FOR_TESTS)
    })?;
    steps.step("toolchain: rustfmt, clippy and the wasm32 target", || {
        ensure_components()?;
        ensure_wasm_target()
    })?;
    steps.step("format (cargo fmt --check)", || {
        let mut c = cargo();
        c.args(["fmt", "--all", "--", "--check"]);
        run(c)
    })?;
    steps.step("lints (clippy, warnings are errors)", || {
        let mut c = cargo();
        c.args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]);
        run(c)?;
        // The page's wasm-only modules (app, draw, runner, worker) are linted for their target.
        let mut c = cargo();
        c.args([
            "clippy",
            "-p",
            "scalelab-web",
            "--target",
            "wasm32-unknown-unknown",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]);
        run(c)
    })?;
    steps.step("unit and integration tests", || {
        let mut c = cargo();
        // GPU tests run on whatever adapter exists (lavapipe in CI); Vulkan only, no GL probing.
        // The first step installed lavapipe: without an adapter the GPU tests fail, not skip.
        c.args(["test", "--workspace"]).env("WGPU_BACKEND", "vulkan").env("SCALELAB_REQUIRE_ADAPTER", "1");
        run(c)
    })?;
    steps.step("the core builds for wasm32-unknown-unknown", || {
        let mut c = cargo();
        c.args(["build", "-p", "scalelab-core", "--target", "wasm32-unknown-unknown"]);
        run(c)
    })?;
    steps.step("native and wasm runs give byte-identical reports", determinism)?;
    steps.step("AWS exports pass botocore's models, the AWS CLI, moto and cfn-lint", aws_exports)?;
    steps.step("web tools: Trunk, wasm-bindgen CLI, wasm-opt (installed once)", web::ensure_web_tools)?;
    steps.step("the core in headless Chromium gives the native report hashes", web::browser_unit_tests)?;
    steps.step("end to end: the release site in headless Chromium", web::e2e)?;
    println!("\nAll {} steps passed in {:.0} s:", steps.done.len(), started.elapsed().as_secs_f64());
    for (name, secs) in &steps.done {
        println!("  {secs:>6.1} s  {name}");
    }
    Ok(())
}

/// Runs every built-in scenario with two seeds natively (the release CLI) and in wasm (the
/// probe module under node) and compares the report hashes.
fn determinism() -> Result {
    system::ensure(&[system::NODE])?;
    let mut c = cargo();
    c.args(["build", "--release", "-p", "scalelab-cli", "-p", "wasm-probe"]);
    run(c)?;
    let mut c = cargo();
    c.args(["build", "--release", "-p", "wasm-probe", "--target", "wasm32-unknown-unknown"]);
    run(c)?;
    let root = root();
    let cli = root.join("target/release/scalelab");
    let dir = root.join("target/xtask/determinism");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let list = output({
        let mut c = Command::new(&cli);
        c.args(["example", "--list"]);
        c
    })?;
    let names: Vec<String> = list
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect();
    if names.is_empty() {
        return Err("no built-in scenarios listed".into());
    }
    let mut files = Vec::new();
    for name in &names {
        let json = output({
            let mut c = Command::new(&cli);
            c.args(["example", name]);
            c
        })?;
        let path = dir.join(format!("{name}.json"));
        std::fs::write(&path, json).map_err(|e| e.to_string())?;
        files.push(path);
    }
    // Seed 004's rightsizing (every stage: load tests, verified counts, tuning on two seeds).
    let request = dir.join("seed-004.rightsize.json");
    std::fs::write(&request, r#"{"model": "resnet50", "minRps": 10, "maxRps": 66, "seeds": 2}"#)
        .map_err(|e| e.to_string())?;
    files.push(request);
    let wasm = root.join("target/wasm32-unknown-unknown/release/wasm_probe.wasm");
    let mut compared = 0;
    for seed in ["1", "20261123"] {
        let mut node = Command::new("node");
        node.arg(root.join("tests/wasm/determinism.mjs")).arg(&wasm).arg(seed).args(&files);
        let wasm_out = output(node)?;
        for line in wasm_out.lines() {
            let mut parts = line.split_whitespace();
            let (Some(wasm_hash), Some(_), Some(file)) = (parts.next(), parts.next(), parts.next()) else {
                return Err(format!("unexpected node output: {line}"));
            };
            let native = output({
                let mut c = Command::new(&cli);
                if file.ends_with(".rightsize.json") {
                    // The same request as the file's, from the command line.
                    c.args(["rightsize", "--model", "resnet50", "--min-rps", "10", "--max-rps", "66"]);
                    c.args(["--seeds", "2", "--seed", seed, "--hash"]);
                } else {
                    c.args(["run", file, "--seed", seed, "--hash"]);
                }
                c
            })?;
            let native = native.trim();
            let name = Path::new(file).file_stem().and_then(|s| s.to_str()).unwrap_or(file);
            if native != wasm_hash {
                return Err(format!("{name} seed {seed}: native {native} but wasm {wasm_hash}"));
            }
            println!("    {name:<24} seed {seed:<9} {native} native = wasm");
            compared += 1;
        }
    }
    if compared != 2 * files.len() {
        return Err(format!("compared {compared} runs, expected {}", 2 * files.len()));
    }
    Ok(())
}

/// Pinned versions of AWS's own tools, installed from PyPI into a venv under target/.
const AWS_TOOLS: &[&str] = &["boto3==1.44.5", "botocore==1.44.5", "moto==5.2.5", "cfn-lint==1.58.0"];

/// A venv with `packages`, created (or refreshed) under target/xtask/NAME; returns its python.
pub fn venv(name: &str, packages: &[&str], check: &str) -> Result<PathBuf> {
    let dir = root().join("target/xtask").join(name);
    let python = dir.join("bin/python");
    let ok = Command::new(&python)
        .args(["-c", check])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("    installing {} into {} (a minute or two)", packages.join(" "), dir.display());
        let mut c = Command::new("python3");
        c.args(["-m", "venv"]).arg(&dir);
        run(c)?;
        let mut c = Command::new(&python);
        c.args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]).args(packages);
        run(c)?;
    }
    Ok(python)
}

/// Runs tests/aws/check_exports.py on every built-in scenario that has something to export.
fn aws_exports() -> Result {
    let versions: Vec<String> = AWS_TOOLS.iter().map(|p| p.replace("==", " ")).collect();
    let check = format!(
        "import importlib.metadata as m, sys; want = {versions:?}; sys.exit(0 if all(m.version(n) == v for n, v in (w.split() for w in want)) else 1)"
    );
    let python = venv("aws-venv", AWS_TOOLS, &check)?;
    let cli = root().join("target/release/scalelab");
    let list = output({
        let mut c = Command::new(&cli);
        c.args(["example", "--list"]);
        c
    })?;
    let mut names = Vec::new();
    for name in list.lines().filter(|l| l.starts_with("  ")).filter_map(|l| l.split_whitespace().next()) {
        let exportable = Command::new(&cli)
            .args(["export", "--example", name, "--format", "json"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if exportable {
            names.push(name.to_string());
        }
    }
    if names.len() < 3 {
        return Err(format!("only {} built-in scenarios have a scaling configuration to export", names.len()));
    }
    let mut c = Command::new(python);
    c.arg(root().join("tests/aws/check_exports.py")).arg(&cli).args(&names).env_remove("PYTHONPATH");
    run(c)
}
