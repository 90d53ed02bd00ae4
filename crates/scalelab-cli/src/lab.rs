//! `scalelab loadtest` and `scalelab rightsize`: the rightsizing lab on the command line. Jobs of
//! a stage run on every core (rayon); the answer does not depend on how many.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rayon::prelude::*;
use scalelab_core::Problems;
use scalelab_core::fmt::fmt_num;
use scalelab_core::loadtest::{
    FlatInvocations, IrPhase, LatencyObjective, LoadTest, LoadTestResult, LoadTraffic, ModelRef, Stopping,
};
use scalelab_core::rightsize::{self, Job, Outcome as JobOutcome, Request, Rightsizing};
use scalelab_core::time::Duration;
use scalelab_core::traffic::{UserStage, Users};

use crate::failure::{Failure, Outcome};

/// The traffic options of `loadtest`.
#[derive(clap::Args, Debug)]
pub struct TrafficArgs {
    /// stairs (open loop, rising RPS; sized from the profile by default), users (Locust-style
    /// closed loop in steps), ir-stairs or ir-phases (Inference Recommender's traffic types).
    #[arg(long, default_value = "stairs")]
    traffic: String,
    /// A load-test traffic as JSON (any kind, e.g. artillery phases: {"phases": [...]}); a file or
    /// the text itself. Overrides --traffic.
    #[arg(long, value_name = "JSON")]
    traffic_json: Option<String>,
    /// stairs: first rate, step and highest rate (requests/s).
    #[arg(long)]
    start_rps: Option<f64>,
    #[arg(long)]
    step_rps: Option<f64>,
    #[arg(long)]
    max_rps: Option<f64>,
    /// stairs and users: how long each step lasts (e.g. 2m).
    #[arg(long)]
    step_duration: Option<String>,
    /// users: the most users; ir-stairs: number of steps × users per step.
    #[arg(long, default_value_t = 40)]
    users: u32,
    /// users and ir-stairs: users added per step.
    #[arg(long, default_value_t = 2)]
    users_per_step: u32,
    /// users: new users per second while a step starts (Locust's spawn rate); ir-phases: per
    /// minute.
    #[arg(long)]
    spawn_rate: Option<f64>,
    /// users: a user's pause between an answer and its next request (e.g. 500ms).
    #[arg(long)]
    think_time: Option<String>,
    /// ir-stairs and ir-phases: the whole duration (e.g. 20m).
    #[arg(long, default_value = "20m")]
    duration: String,
    /// ir-stairs: number of steps.
    #[arg(long, default_value_t = 10)]
    steps: u32,
    /// ir-phases: users at the start.
    #[arg(long, default_value_t = 1)]
    initial_users: u32,
}

fn duration(flag: &str, text: &str) -> Outcome<Duration> {
    Duration::parse(text).map_err(|e| Failure::Usage(format!("--{flag} {text:?}: {e} (e.g. 2m, 90s)")))
}

fn objective(latency: Option<&str>) -> Outcome<Option<LatencyObjective>> {
    latency.map(|l| LatencyObjective::parse(l).map_err(|e| Failure::Usage(format!("--latency: {e}")))).transpose()
}

impl TrafficArgs {
    fn load_traffic(&self) -> Outcome<Option<LoadTraffic>> {
        if let Some(j) = &self.traffic_json {
            let text = if Path::new(j).is_file() {
                std::fs::read_to_string(j).with_context(|| format!("reading {j}"))?
            } else {
                j.clone()
            };
            return serde_json::from_str(&text).map(Some).map_err(|e| {
                Failure::Usage(format!("--traffic-json: {e} (kinds: stairs, phases, users, irPhases, irStairs)"))
            });
        }
        let step = self.step_duration.as_deref().map(|d| duration("step-duration", d)).transpose()?;
        Ok(match self.traffic.as_str() {
            "stairs" => match (self.start_rps, self.step_rps, self.max_rps) {
                (None, None, None) if step.is_none() => None,
                (start, Some(step_rps), Some(max)) => Some(LoadTraffic::Stairs {
                    start_rps: start.unwrap_or(step_rps),
                    step_rps,
                    step_duration: step.unwrap_or(Duration::from_secs(120)),
                    max_rps: max,
                }),
                _ => return Err(Failure::Usage("stairs: give --step-rps and --max-rps (and --start-rps), or none of them to size the stairs from the profile".into())),
            },
            "users" => {
                let per = self.users_per_step.max(1);
                let each = step.unwrap_or(Duration::from_secs(120));
                let think = self.think_time.as_deref().map(|t| duration("think-time", t)).transpose()?;
                let stages = (1..=self.users.div_ceil(per))
                    .map(|k| UserStage {
                        duration: each,
                        users: (k * per).min(self.users),
                        spawn_rate: self.spawn_rate,
                        name: Some(format!("step {k}")),
                    })
                    .collect();
                Some(LoadTraffic::Users(Users {
                    stages,
                    think_time: think.map(scalelab_core::rng::TimeDist::fixed),
                }))
            }
            "ir-stairs" => Some(LoadTraffic::IrStairs {
                duration_in_seconds: duration("duration", &self.duration)?.as_secs_f64() as u32,
                number_of_steps: self.steps,
                users_per_step: self.users_per_step,
            }),
            "ir-phases" => Some(LoadTraffic::IrPhases(vec![IrPhase {
                initial_number_of_users: self.initial_users,
                spawn_rate: self.spawn_rate.unwrap_or(1.0) as u32,
                duration_in_seconds: duration("duration", &self.duration)?.as_secs_f64() as u32,
            }])),
            "phases" => {
                return Err(Failure::Usage(
                    "--traffic phases: give the phases as JSON, e.g. --traffic-json '{\"phases\": [{\"duration\": 300, \"arrivalRate\": 5, \"rampTo\": 40}]}'".into(),
                ));
            }
            other => {
                return Err(Failure::Usage(format!(
                    "--traffic {other:?}: choose stairs, users, ir-stairs or ir-phases (or --traffic-json)"
                )));
            }
        })
    }
}

/// The model a command names: a built-in one, or a measured instance profile file.
pub fn model_ref(model: Option<String>, profile: Option<&Path>) -> Outcome<ModelRef> {
    let Some(path) = profile else { return Ok(ModelRef { model, profile: None }) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let m = scalelab_core::measured::MeasuredProfile::from_json(&text)
        .map_err(|problems| Failure::Problems { source: path.display().to_string(), problems })?;
    Ok(ModelRef { model: None, profile: Some(m.profile) })
}

#[allow(clippy::too_many_arguments)]
pub fn loadtest(
    model: ModelRef,
    instance_type: &str,
    count: u32,
    traffic: &TrafficArgs,
    latency: Option<&str>,
    max_invocations: Option<f64>,
    flat: &str,
    seed: u64,
    json: bool,
    csv: bool,
) -> Outcome {
    let flat_invocations = match flat {
        "stop" => FlatInvocations::Stop,
        "continue" => FlatInvocations::Continue,
        other => return Err(Failure::Usage(format!("--flat-invocations {other:?}: choose stop or continue"))),
    };
    let test = LoadTest {
        model,
        instance_type: instance_type.to_string(),
        count,
        traffic: traffic.load_traffic()?,
        stopping: Stopping { max_invocations, model_latency_thresholds: objective(latency)?, flat_invocations },
        seed,
        price_per_hour: None,
    };
    let r = test.run().map_err(|problems| Failure::Problems { source: "loadtest".into(), problems })?;
    if json {
        println!("{}", serde_json::to_string_pretty(&r)?);
    } else if csv {
        print!("{}", steps_csv(&r));
    } else {
        print!("{}", loadtest_table(&r));
    }
    Ok(())
}

fn opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.1}"))
}

fn steps_csv(r: &LoadTestResult) -> String {
    let mut out = String::from(
        "step,start_s,end_s,users,offered_rps,throughput_rps,error_ratio,model_latency_avg_ms,p50_ms,p90_ms,p95_ms,p99_ms,cpu_utilization,gpu_utilization,memory_utilization,meets\n",
    );
    let o = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.3}"));
    for s in &r.steps {
        out.push_str(&format!(
            "\"{}\",{},{},{},{:.3},{:.3},{:.5},{},{},{},{},{},{},{},{},{}\n",
            s.label,
            s.start_secs,
            s.end_secs,
            s.users.map_or(String::new(), |u| u.to_string()),
            s.offered_rps,
            s.throughput_rps,
            s.error_ratio,
            o(s.model_latency_avg_ms),
            o(s.model_latency_p50_ms),
            o(s.model_latency_p90_ms),
            o(s.model_latency_p95_ms),
            o(s.model_latency_p99_ms),
            o(s.cpu_utilization),
            o(s.gpu_utilization),
            o(s.memory_utilization),
            s.meets
        ));
    }
    out
}

fn loadtest_table(r: &LoadTestResult) -> String {
    let mut out = format!(
        "Load test: {} × {}{}\n\n{:<22} {:>9} {:>11} {:>8} {:>9} {:>9} {:>9}  ok\n",
        r.count,
        r.instance_type,
        r.objective.map_or(String::new(), |o| format!(", objective ModelLatency {o}")),
        "step",
        "offered/s",
        "answered/s",
        "errors",
        "p50 ms",
        "p90 ms",
        "p99 ms"
    );
    for s in &r.steps {
        out.push_str(&format!(
            "{:<22} {:>9.1} {:>11.1} {:>7.2}% {:>9} {:>9} {:>9}  {}\n",
            s.label,
            s.offered_rps,
            s.throughput_rps,
            s.error_ratio * 100.0,
            opt(s.model_latency_p50_ms),
            opt(s.model_latency_p90_ms),
            opt(s.model_latency_p99_ms),
            if s.meets { "yes" } else { "no" }
        ));
    }
    out.push_str(&format!("\nStopped: {}.\n", r.stopped_by.text()));
    out.push_str(&format!(
        "MaxInvocations {} per minute (max {} RPS); ModelLatency {} ms (p50 {}, p90 {}, p99 {})\n",
        fmt_num(r.max_invocations.round()),
        fmt_num((r.max_rps * 10.0).round() / 10.0),
        opt(r.model_latency_ms),
        opt(r.model_latency_p50_ms),
        opt(r.model_latency_p90_ms),
        opt(r.model_latency_p99_ms)
    ));
    out.push_str(&format!(
        "CPUUtilization {} %, GPUUtilization {} %, MemoryUtilization {} %; ModelSetupTime {:.0} s\n",
        opt(r.cpu_utilization),
        opt(r.gpu_utilization),
        opt(r.memory_utilization),
        r.model_setup_time_secs
    ));
    out.push_str(&format!(
        "CostPerHour ${:.3}; CostPerInference {}; per million ${}\n",
        r.cost_per_hour,
        r.cost_per_inference.map_or("-".into(), |c| format!("${c:.3e}")),
        r.cost_per_million.map_or("-".into(), |c| format!("{c:.2}"))
    ));
    out
}

/// Runs a stage's jobs on every core, outcomes in job order, counting them on `bar`.
fn parallel(jobs: &[Job], bar: Option<&indicatif::ProgressBar>) -> Vec<Result<JobOutcome, Problems>> {
    jobs.par_iter()
        .map(|j| {
            let out = j.run();
            if let Some(b) = bar {
                b.inc(1);
            }
            out
        })
        .collect()
}

#[allow(clippy::too_many_arguments)]
pub fn rightsize(
    model: ModelRef,
    min_rps: Option<f64>,
    max_rps: Option<f64>,
    latency: Option<&str>,
    instance_types: Option<&str>,
    serverless: Option<&str>,
    scenario: Option<scalelab_core::Scenario>,
    no_tune: bool,
    seeds: u32,
    safety_factor: f64,
    seed: u64,
    out: Option<&PathBuf>,
    json: bool,
    stats: bool,
    quiet: bool,
    hash: bool,
) -> Outcome {
    if scenario.is_none() && model.model.is_none() && model.profile.is_none() {
        return Err(Failure::Usage(
            "give --model (e.g. resnet50) or --instance-profile with --min-rps and --max-rps, or --scenario".into(),
        ));
    }
    let req = Request {
        model,
        instance_types: instance_types
            .map(|t| t.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
            .unwrap_or_default(),
        serverless_memory_sizes: serverless_sizes(serverless)?,
        objective: objective(latency)?,
        min_rps,
        max_rps,
        scenario,
        tune: !no_tune,
        seeds,
        safety_factor,
        seed,
    };
    // A progress bar across the configurations (and candidates) of each stage.
    let bar = (!quiet && !json && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template("{msg:<28} [{bar:30}] {pos}/{len} jobs ({elapsed})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let started = std::time::Instant::now();
    let r = rightsize::run(
        req,
        |jobs| {
            if let Some(b) = &bar {
                b.set_length(jobs.len() as u64);
                b.set_position(0);
                b.set_message(match jobs.first() {
                    Some(Job::LoadTest(_)) => "load tests",
                    Some(Job::Hold(_)) => "verifying counts",
                    Some(Job::Policy(_)) => "tuning the policy",
                    None => "",
                });
            }
            parallel(jobs, bar.as_ref())
        },
        |_| {},
    )
    .map_err(|problems| Failure::Problems { source: "rightsize".into(), problems })?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let wall = started.elapsed().as_secs_f64();
    if let Some(path) = out {
        let s = r
            .scenario
            .as_ref()
            .ok_or_else(|| Failure::Refused("no configuration held the load: no scenario to write".into()))?;
        std::fs::write(path, s.to_json_pretty()?).with_context(|| format!("writing {}", path.display()))?;
    }
    if hash {
        println!("{:016x}", r.hash()?);
    } else if json {
        println!("{}", serde_json::to_string_pretty(&rightsize_json(&r))?);
    } else {
        print!("{}", rightsize_table(&r));
        println!(
            "\n{} simulated requests in {wall:.1} s ({:.0} requests/s){}",
            fmt_num(r.simulated_requests as f64),
            r.simulated_requests as f64 / wall.max(1e-9),
            out.map_or(String::new(), |p| format!("; scenario written to {}", p.display()))
        );
        if stats {
            let secs = wall.max(1e-9);
            println!(
                "lab: jobs={} wall_s={secs:.3} requests={} requests_per_s={:.0} threads={}",
                r.jobs_done,
                r.simulated_requests,
                r.simulated_requests as f64 / secs,
                rayon::current_num_threads()
            );
        }
    }
    Ok(())
}

/// `--serverless`: memory sizes in MB, or `none`.
fn serverless_sizes(text: Option<&str>) -> Result<Option<Vec<u32>>, Failure> {
    let Some(text) = text else { return Ok(None) };
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(Some(Vec::new()));
    }
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.trim_end_matches("MB").trim().parse::<u32>().map_err(|_| {
                Failure::Usage(format!(
                    "--serverless: \"{s}\" is not a memory size; give sizes in MB such as 1024,2048 (1024 to 6144 in steps of 1024), or none"
                ))
            })
        })
        .collect::<Result<Vec<u32>, Failure>>()
        .map(Some)
}

/// The JSON contract: `configurations`, `recommendation`, `policy`, `scenario` and the rest.
fn rightsize_json(r: &Rightsizing) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(list) = v.get_mut("configurations").and_then(|c| c.as_array_mut()) {
        for (c, conf) in list.iter_mut().zip(&r.configurations) {
            c["instancesForMinRps"] = serde_json::json!(conf.instances_for_min());
            c["instancesForMaxRps"] = serde_json::json!(conf.instances_for_max());
            c["costPerHourAtMax"] = serde_json::json!(conf.cost_at_max());
        }
    }
    v
}

fn rightsize_table(r: &Rightsizing) -> String {
    let mut out = format!(
        "Rightsizing {} for {}–{} RPS ({})\n\n",
        r.model,
        fmt_num(r.min_rps),
        fmt_num(r.max_rps),
        r.objective.map_or("fewer than 1 % failed requests".to_string(), |o| format!(
            "ModelLatency {o}, fewer than 1 % failed"
        ))
    );
    out.push_str(&format!(
        "  {:<18} {:>7} {:>8} {:>9} {:>13} {:>13} {:>10}\n",
        "instance type", "$/h", "max RPS", "$/1M", "for min", "for max", "$/h at max"
    ));
    let count = |s: &Option<rightsize::CountSearch>| match s {
        Some(s) => match s.verified {
            Some(v) if v != s.linear => format!("{v} (est. {})", s.linear),
            Some(v) => v.to_string(),
            None => format!(">{}", s.limit),
        },
        None => "-".into(),
    };
    for c in r.by_cost() {
        out.push_str(&format!(
            "{} {:<18} {:>7.3} {:>8.1} {:>9} {:>13} {:>13} {:>10}{}\n",
            if c.frontier { "*" } else { " " },
            c.instance_type,
            c.price_per_hour,
            c.max_rps,
            c.cost_per_million().map_or("-".into(), |v| format!("{v:.2}")),
            count(&c.for_min),
            count(&c.for_max),
            c.cost_at_max().map_or("-".into(), |v| format!("{v:.3}")),
            c.problem.as_ref().map_or(String::new(), |p| format!("  ({p})"))
        ));
    }
    out.push_str("  * on the price/performance frontier (no type is both cheaper and faster)\n");
    if r.configurations.iter().any(|c| c.serverless.is_some()) {
        out.push_str(
            "  Serverless rows: counts are MaxConcurrency, $/h is one environment busy for an hour, max RPS what one\n  environment serves, $/h at max the billed inference at the maximum (cold starts are not billed)\n",
        );
    }
    match &r.recommendation {
        Some(rec) => {
            out.push_str(&format!(
                "\nRecommendation: {} × {} for {} RPS (${:.3}/h), {} for {} RPS (${:.3}/h)\n",
                rec.instances_for_min_rps,
                rec.instance_type,
                fmt_num(r.min_rps),
                rec.cost_per_hour_at_min,
                rec.instances_for_max_rps,
                fmt_num(r.max_rps),
                rec.cost_per_hour_at_max
            ));
            if let (Some(a), Some(b)) = (rec.cost_per_million_at_min, rec.cost_per_million_at_max) {
                out.push_str(&format!(
                    "  cost per million inferences: ${a:.2} at the minimum, ${b:.2} at the maximum\n"
                ));
            }
            if let Some(l) = &rec.linear_estimate {
                out.push_str(&format!("  {}\n", l.note));
            }
        }
        None => out.push_str("\nNo candidate holds the maximum load.\n"),
    }
    if !r.notes.is_empty() {
        out.push_str("\nNotes (where the linear estimate is wrong, and why a type is left out):\n");
        for n in &r.notes {
            out.push_str(&format!("  - {n}\n"));
        }
    }
    if let Some(t) = &r.tuning {
        out.push_str(&format!(
            "\nScaling policy: target tracking on SageMakerVariantInvocationsPerInstance, TargetValue {}, ScaleInCooldown {} s, ScaleOutCooldown {} s\n  {}\n",
            fmt_num(t.target_value),
            t.scale_in_cooldown,
            t.scale_out_cooldown,
            t.note
        ));
        out.push_str(&format!(
            "  cost on the traffic: ${:.2}{}; {} candidate runs\n",
            t.cost_usd,
            t.guidance_cost_usd.map_or(String::new(), |g| format!(" (the guidance's target: ${g:.2})")),
            t.points.len()
        ));
    }
    if let Some(sl) = &r.serverless {
        out.push_str(&format!(
            "\nServerless: ServerlessConfig MemorySizeInMB {}, MaxConcurrency {}{}\n  {}\n  {} runs on the traffic\n",
            sl.memory_size_in_mb,
            sl.max_concurrency,
            if sl.meets { "" } else { " (did not hold)" },
            sl.note,
            r.serverless_runs.len()
        ));
    }
    out
}
