//! `scalelab`: the command-line front end of the simulation core.
//!
//! Exit codes: 0 success; 1 the scenario has problems (they are listed on stderr); 2 bad command
//! line; 3 a file could not be read or written.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Parser, Subcommand};

mod calibrate;
mod failure;
mod lab;
mod lesson;

use failure::{Failure, Outcome};
use scalelab_core::{Scenario, catalog, examples, plan, profile};

mod output;

#[derive(Parser, Debug)]
#[command(
    name = "scalelab",
    version,
    about = "Simulate how a SageMaker inference endpoint serves traffic, scales and costs"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a scenario and print a summary.
    Run {
        /// Scenario JSON file (`-` for standard input). Omit with --example.
        scenario: Option<PathBuf>,
        /// Run a built-in scenario instead of a file (see `scalelab example --list`).
        #[arg(long, conflicts_with = "scenario")]
        example: Option<String>,
        /// Seed of the random streams (overrides the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Write the full report as JSON to this file.
        #[arg(long, value_name = "FILE")]
        json: Option<PathBuf>,
        /// Write the metric series as CSV to this file.
        #[arg(long, value_name = "FILE")]
        csv: Option<PathBuf>,
        /// Period of the CSV rows in seconds: 60 (CloudWatch standard) or 10 (high resolution).
        #[arg(long, default_value = "60", value_parser = ["10", "60"])]
        csv_period: String,
        /// Print only the report hash (a fingerprint of the whole report).
        #[arg(long)]
        hash: bool,
        /// Print engine figures: events, wall time, events per second, peak memory.
        #[arg(long)]
        stats: bool,
        /// No progress bar.
        #[arg(long, short)]
        quiet: bool,
        /// A measured instance profile (from `scalelab calibrate`) every variant uses instead
        /// of its model's.
        #[arg(long, value_name = "FILE")]
        instance_profile: Option<PathBuf>,
    },
    /// Measure this machine's GPU with a model-shaped workload and write an instance profile.
    Calibrate {
        /// mlp, bert-base or llm-decode.
        #[arg(long, default_value = "mlp")]
        workload: String,
        /// The p99 latency objective of the closed-loop load test, milliseconds.
        #[arg(long, default_value_t = 100.0)]
        slo_ms: f64,
        /// Largest batch measured (and the profile's maxBatchSize).
        #[arg(long, default_value_t = 8)]
        max_batch: u32,
        /// Tokens per request (bert-base).
        #[arg(long, default_value_t = 128)]
        seq: u32,
        /// Transformer layers (bert-base: 12; llm-decode: 2, scaled to memory).
        #[arg(long)]
        layers: Option<u32>,
        /// Timed runs per batch size.
        #[arg(long, default_value_t = 10)]
        repeats: u32,
        /// The closed-loop load test: `live` runs every batch on the GPU; `replay` draws batch
        /// times from the measurements (fast, for workloads too slow to run thousands of times).
        #[arg(long, default_value = "live")]
        closed_loop: String,
        /// Requests per rate step of the closed-loop load test.
        #[arg(long, default_value_t = 400)]
        requests: usize,
        /// Where to write the profile JSON.
        #[arg(long, default_value = "profile.json")]
        out: PathBuf,
    },
    /// Check a scenario and list every problem at once.
    Validate {
        /// Scenario JSON file (`-` for standard input).
        scenario: PathBuf,
    },
    /// Print a built-in scenario, or list them.
    Example {
        /// Name of the built-in scenario.
        name: Option<String>,
        /// List the built-in scenarios.
        #[arg(long)]
        list: bool,
        /// Make the scenario ten times shorter (phases, steps and the run).
        #[arg(long)]
        short: bool,
    },
    /// Print a workshop lesson with its run's numbers filled in (its scenarios run first), or
    /// list the lessons.
    Lesson {
        /// The lesson's id (see `scalelab lesson --list`).
        id: Option<String>,
        /// List the lessons in the suggested workshop order.
        #[arg(long)]
        list: bool,
        /// With --list: a JSON list (id, number, part, minutes, title, question).
        #[arg(long)]
        json: bool,
        /// Also print every fact of the lesson's runs (what its text may quote).
        #[arg(long)]
        facts: bool,
    },
    /// Load-test one endpoint configuration in simulation: rising traffic until a stopping
    /// condition; prints the step table and Inference Recommender's metrics.
    Loadtest {
        /// A built-in model (see `scalelab catalog`).
        #[arg(long, required_unless_present = "instance_profile")]
        model: Option<String>,
        /// A measured instance profile (from `scalelab calibrate`) instead of a built-in model.
        #[arg(long, value_name = "FILE", conflicts_with = "model")]
        instance_profile: Option<PathBuf>,
        #[arg(long)]
        instance_type: String,
        /// Instances behind the endpoint.
        #[arg(long, default_value_t = 1)]
        count: u32,
        #[command(flatten)]
        traffic: lab::TrafficArgs,
        /// ModelLatencyThresholds, e.g. p99:200ms (p50, p90, p95 or p99).
        #[arg(long)]
        latency: Option<String>,
        /// MaxInvocations: stop once a step reaches this many requests per minute.
        #[arg(long)]
        max_invocations: Option<f64>,
        /// FlatInvocations: stop (default) or continue once throughput levels off.
        #[arg(long, default_value = "stop")]
        flat_invocations: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Print the step table as CSV.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
    },
    /// Find the cheapest instance type and count for a traffic range, verified by simulation,
    /// and tune a target-tracking policy for it.
    Rightsize {
        /// A built-in model (see `scalelab catalog`); with --scenario, its variant's model by
        /// default.
        #[arg(long)]
        model: Option<String>,
        /// A measured instance profile (from `scalelab calibrate`) instead of a built-in model;
        /// give --instance-types with it (a profile measured on one type says nothing of others).
        #[arg(long, value_name = "FILE", conflicts_with = "model")]
        instance_profile: Option<PathBuf>,
        #[arg(long)]
        min_rps: Option<f64>,
        #[arg(long)]
        max_rps: Option<f64>,
        /// A ModelLatency objective, e.g. p99:500ms; without it only failed requests count.
        #[arg(long)]
        latency: Option<String>,
        /// Candidate types, comma-separated (default: every type the model has a profile for).
        #[arg(long)]
        instance_types: Option<String>,
        /// Serverless memory sizes to try, in MB, comma-separated (e.g. 1024,2048), or `none`
        /// (default: every size when no --instance-types are given and the model runs on CPUs).
        #[arg(long, value_name = "SIZES")]
        serverless: Option<String>,
        /// Size for this scenario's traffic (its lowest and highest rate) and tune on it.
        #[arg(long, conflicts_with_all = ["min_rps", "max_rps", "example"])]
        scenario: Option<PathBuf>,
        /// Like --scenario, with a built-in scenario.
        #[arg(long, conflicts_with_all = ["min_rps", "max_rps"])]
        example: Option<String>,
        /// Skip the policy tuning.
        #[arg(long)]
        no_tune: bool,
        /// Seeds each tuned policy must hold on.
        #[arg(long, default_value_t = 3)]
        seeds: u32,
        /// AWS's guidance: TargetValue = max RPS per instance × this × 60.
        #[arg(long, default_value_t = 0.5)]
        safety_factor: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the recommended scenario (endpoint and scaling policy) to this file.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
        /// Print the lab's figures: jobs, wall time, simulated requests and requests per second,
        /// threads.
        #[arg(long, conflicts_with = "json")]
        stats: bool,
        /// No progress display.
        #[arg(long, short)]
        quiet: bool,
        /// Print only a hash of the whole answer (for comparing runs and builds).
        #[arg(long, conflicts_with_all = ["json", "stats"])]
        hash: bool,
    },
    /// List the instance types and built-in models.
    Catalog,
    /// Export a scenario's scaling configuration for AWS.
    Export {
        /// Scenario JSON file (`-` for standard input). Omit with --example.
        scenario: Option<PathBuf>,
        /// Export a built-in scenario instead of a file.
        #[arg(long, conflicts_with = "scenario")]
        example: Option<String>,
        /// cli (AWS CLI commands), boto3 (a Python script), cloudformation (a template), cdk
        /// (TypeScript), or json (the request bodies, which import back unchanged).
        #[arg(long, default_value = "cli")]
        format: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", f.message());
            f.exit_code()
        }
    }
}

fn dispatch(command: Command) -> Outcome {
    match command {
        Command::Calibrate { workload, slo_ms, max_batch, seq, layers, repeats, closed_loop, requests, out } => {
            let live = match closed_loop.as_str() {
                "live" => true,
                "replay" => false,
                other => return Err(Failure::Usage(format!("--closed-loop {other:?}: choose live or replay"))),
            };
            calibrate::calibrate(
                &workload,
                slo_ms,
                max_batch,
                seq,
                layers,
                repeats,
                live,
                requests.clamp(50, 100_000),
                &out,
            )
        }
        Command::Run { scenario, example, seed, json, csv, csv_period, hash, stats, quiet, instance_profile } => {
            let mut scenario = file_or_example(scenario, example)?;
            if let Some(path) = instance_profile {
                calibrate::apply_profile(&mut scenario, &path)?;
            }
            run(&scenario, seed, json.as_deref(), csv.as_deref(), csv_period == "10", hash, stats, quiet)
        }
        Command::Validate { scenario } => {
            let s = load(&scenario)?;
            match plan(&s, None) {
                Ok(p) => {
                    println!(
                        "{}: valid ({} expected requests, peak {:.1} requests/s over {})",
                        scenario.display(),
                        p.expected_requests.round(),
                        p.peak_rps,
                        s.duration
                    );
                    for w in &p.warnings {
                        println!("warning: {w}");
                    }
                    Ok(())
                }
                Err(problems) => Err(Failure::Problems { source: scenario.display().to_string(), problems }),
            }
        }
        Command::Example { name, list, short } => {
            if list || name.is_none() {
                let mut group = "";
                for e in examples::EXAMPLES {
                    if e.group != group {
                        group = e.group;
                        println!("{group}:");
                    }
                    let description = Scenario::from_json(e.json).map(|s| s.description).unwrap_or_default();
                    println!("  {:<24} {}", e.name, description);
                }
                return Ok(());
            }
            let name = name.unwrap_or_default();
            let Some(s) = examples::get(&name) else { return Err(unknown_example(&name)) };
            let s = if short { examples::shortened(&s, 10) } else { s };
            println!("{}", s.to_json_pretty()?);
            Ok(())
        }
        Command::Export { scenario, example, format } => {
            let format = scalelab_core::export::Format::parse(&format).map_err(Failure::Usage)?;
            let scenario = file_or_example(scenario, example)?;
            // Export only what validates: a broken configuration would fail in AWS too.
            plan(&scenario, None).map_err(|problems| Failure::Problems { source: scenario.name.clone(), problems })?;
            if scenario.scaling.is_none() && scenario.capacity_changes.is_empty() {
                return Err(Failure::Refused(
                    "the scenario has no scaling section and no capacity changes: nothing to export".into(),
                ));
            }
            if scenario.scaling.is_none()
                && matches!(format, scalelab_core::export::Format::CloudFormation | scalelab_core::export::Format::Cdk)
            {
                return Err(Failure::Refused(
                    "the scenario has only on-demand capacity changes, which a template cannot hold; use --format cli or boto3"
                        .into(),
                ));
            }
            print!("{}", scalelab_core::export::export(&scenario, format)?);
            Ok(())
        }
        Command::Lesson { id, list, json, facts } => match id {
            Some(id) if !list => lesson::show(&id, facts),
            _ => lesson::list(json),
        },
        Command::Loadtest {
            model,
            instance_profile,
            instance_type,
            count,
            traffic,
            latency,
            max_invocations,
            flat_invocations,
            seed,
            json,
            csv,
        } => lab::loadtest(
            lab::model_ref(model, instance_profile.as_deref())?,
            &instance_type,
            count,
            &traffic,
            latency.as_deref(),
            max_invocations,
            &flat_invocations,
            seed,
            json,
            csv,
        ),
        Command::Rightsize {
            model,
            instance_profile,
            min_rps,
            max_rps,
            latency,
            instance_types,
            serverless,
            scenario,
            example,
            no_tune,
            seeds,
            safety_factor,
            seed,
            out,
            json,
            stats,
            quiet,
            hash,
        } => {
            let scenario = match (scenario, example) {
                (None, None) => None,
                (s, e) => Some(file_or_example(s, e)?),
            };
            lab::rightsize(
                lab::model_ref(model, instance_profile.as_deref())?,
                min_rps,
                max_rps,
                latency.as_deref(),
                instance_types.as_deref(),
                serverless.as_deref(),
                scenario,
                no_tune,
                seeds,
                safety_factor,
                seed,
                out.as_ref(),
                json,
                stats,
                quiet || hash,
                hash,
            )
        }
        Command::Catalog => {
            println!(
                "Instance types (on-demand USD/h, {}, as of {}; * = price confirmed by a reference article):",
                catalog::PRICES_REGION,
                catalog::PRICES_AS_OF
            );
            for t in catalog::CATALOG {
                let acc = if t.accelerators > 0 {
                    format!("{} × {} ({} GiB)", t.accelerators, t.accelerator, t.accelerator_memory_gib)
                } else {
                    String::new()
                };
                let mark = if t.price_source == catalog::PriceSource::ReferenceArticle { "*" } else { " " };
                println!(
                    "  {:<18} {:>3} vCPU {:>6} GiB  ${:>8.3}{mark}  {acc}",
                    t.name, t.vcpus, t.memory_gib, t.price_usd_per_hour
                );
            }
            println!("\nBuilt-in models (use as \"model\" in a variant):");
            for m in profile::builtin_models() {
                println!("  {:<14} {}", m.name, m.description);
                for (t, p) in &m.profiles {
                    println!("      {:<18} ~{:.1} requests/s per instance", t, p.capacity_rps());
                }
            }
            Ok(())
        }
    }
}

/// The scenario a command names: a built-in (`--example`) or a file.
fn file_or_example(path: Option<PathBuf>, example: Option<String>) -> Outcome<Scenario> {
    match (path, example) {
        (_, Some(name)) => examples::get(&name).ok_or_else(|| unknown_example(&name)),
        (Some(path), None) => load(&path),
        (None, None) => {
            Err(Failure::Usage("give a scenario file, or --example NAME (see `scalelab example --list`)".into()))
        }
    }
}

fn unknown_example(name: &str) -> Failure {
    let names: Vec<&str> = examples::names().collect();
    Failure::Usage(match scalelab_core::problem::nearest(name, &names) {
        Some(n) => format!("no built-in scenario named \"{name}\"; did you mean \"{n}\"?"),
        None => format!("no built-in scenario named \"{name}\"; see `scalelab example --list`"),
    })
}

/// Reads and parses a scenario file.
fn load(path: &Path) -> Outcome<Scenario> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("reading the scenario from standard input")?;
        s
    } else {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
    };
    let source = path.display().to_string();
    let problems = |problems| Failure::Problems { source: source.clone(), problems };
    let mut value: serde_json::Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        // Let the core word the syntax error.
        Err(e) => {
            return Err(match Scenario::from_json(&text) {
                Err(p) => problems(p),
                Ok(_) => Failure::Refused(format!("{source}: {e}")),
            });
        }
    };
    let base = path.parent().unwrap_or(Path::new("."));
    if let Some(traffic) = value.get_mut("traffic") {
        inline_csv_files(traffic, base)?;
    }
    Scenario::from_value(value).map_err(problems)
}

/// Replaces every trace's `csvFile` with the file's text as `csv` (paths relative to the
/// scenario file).
fn inline_csv_files(v: &mut serde_json::Value, base: &Path) -> anyhow::Result<()> {
    match v {
        serde_json::Value::Object(map) => {
            if let Some(serde_json::Value::String(file)) = map.get("csvFile").cloned() {
                let path = base.join(&file);
                let text =
                    std::fs::read_to_string(&path).with_context(|| format!("reading the trace {}", path.display()))?;
                map.remove("csvFile");
                map.insert("csv".into(), serde_json::Value::String(text));
            }
            for child in map.values_mut() {
                inline_csv_files(child, base)?;
            }
        }
        serde_json::Value::Array(items) => {
            for child in items {
                inline_csv_files(child, base)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn run(
    scenario: &Scenario,
    seed: Option<u64>,
    json: Option<&Path>,
    csv: Option<&Path>,
    csv_10s: bool,
    hash_only: bool,
    stats: bool,
    quiet: bool,
) -> Outcome {
    let plan =
        plan(scenario, seed).map_err(|problems| Failure::Problems { source: scenario.name.clone(), problems })?;
    let started = Instant::now();
    let mut sim = scalelab_core::Simulation::new(&plan);
    let show_bar = !quiet && !hash_only && std::io::stderr().is_terminal() && plan.expected_requests > 2e6;
    if show_bar {
        let bar = indicatif::ProgressBar::new(1000);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} simulating [{bar:40}] {percent}% ({elapsed}, ~{eta} left)",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let step = (sim.end() / 1000).max(1);
        while !sim.is_done() {
            sim.run_until(sim.now().saturating_add(step));
            bar.set_position((sim.progress() * 1000.0) as u64);
        }
        bar.finish_and_clear();
    } else {
        sim.run_until(sim.end());
    }
    let report = sim.finish();
    let wall = started.elapsed();
    if hash_only {
        println!("{:016x}", report.hash()?);
        return Ok(());
    }
    print!("{}", output::summary_table(&report, &plan));
    if stats {
        let secs = wall.as_secs_f64().max(1e-9);
        let peak = output::peak_memory().map(|kb| kb.to_string()).unwrap_or_else(|| "unknown".into());
        println!(
            "engine: events={} wall_s={secs:.3} events_per_s={:.0} requests={} requests_per_s={:.0} peak_memory_kib={peak}",
            report.events_processed,
            report.events_processed as f64 / secs,
            report.summary.requests,
            report.summary.requests as f64 / secs,
        );
    }
    if let Some(path) = json {
        std::fs::write(path, report.to_json()?).with_context(|| format!("writing {}", path.display()))?;
    }
    if let Some(path) = csv {
        let rows = if csv_10s { &report.series_10s } else { &report.series };
        std::fs::write(path, output::series_csv(&report, rows))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}
