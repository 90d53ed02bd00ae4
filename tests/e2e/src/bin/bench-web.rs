//! `cargo xtask bench-web`: the playground's timings in headless Chromium, from the page's own
//! measurements (`#run-status` data attributes, `performance.now()` since navigation).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use scalelab_e2e::{Browser, site};

fn ms(v: &serde_json::Value) -> f64 {
    v.as_str().and_then(|s| s.parse().ok()).or_else(|| v.as_f64()).unwrap_or(f64::NAN)
}

#[tokio::main]
async fn main() {
    let site = site().expect("dist/");
    let b = Browser::start(1400, 1800).await.expect("ChromeDriver");
    let attr = |name: &'static str| format!("return document.getElementById('run-status').dataset.{name};");
    let mut first = Vec::new();
    for _ in 0..3 {
        b.client.goto("about:blank").await.unwrap();
        b.client.goto(&site.url).await.unwrap();
        b.wait_for_charts().await.unwrap();
        first.push(ms(&b.js(&attr("firstChartsMs")).await.unwrap()));
    }
    // Re-simulate + redraw: a seed change re-runs the default scenario (seed 001, 2 h, ~4 M requests).
    let mut resim = Vec::new();
    let mut sim = Vec::new();
    let mut first_partial = Vec::new();
    for seed in 2..5 {
        b.set_value("#seed", &seed.to_string(), "change").await.unwrap();
        b.wait_for(
            "the run",
            "document.querySelector('#run-status').dataset.running === 'true'",
            Duration::from_secs(10),
        )
        .await
        .ok();
        b.wait_for_charts().await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
        resim.push(ms(&b.js(&attr("editToChartsMs")).await.unwrap()));
        first_partial.push(ms(&b.js(&attr("editToFirstMs")).await.unwrap()));
        sim.push(ms(&b.js(&attr("runMs")).await.unwrap()));
    }
    // Redraw alone: moving the cursor redraws every chart.
    let mut redraw = Vec::new();
    for k in 0..10 {
        b.js(&format!(
            "const c = document.getElementById('chart-rate'); const r = c.getBoundingClientRect();
             c.dispatchEvent(new MouseEvent('mousemove', {{clientX: r.left + 100 + {k} * 40, clientY: r.top + 50, bubbles: true}}));
             return true;"
        ))
        .await
        .unwrap();
        tokio::time::sleep(Duration::from_millis(150)).await;
        redraw.push(ms(&b.js(&attr("drawMs")).await.unwrap()));
    }
    // Redraw alone of a one-million-point series (the page's own decimation and drawing).
    let mut million = Vec::new();
    for _ in 0..5 {
        million.push(b.js("return window.wasmBindings.bench_redraw_1m();").await.unwrap().as_f64().unwrap_or(f64::NAN));
    }
    // Peak wasm memory of the worker for the 2-hour M/M/8 run at 800 RPS (5.8 M requests).
    let mmc = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../crates/xtask/bench/mmc-800rps.json"))
        .expect("the reference scenario");
    b.client.goto("about:blank").await.unwrap();
    b.client.goto(&format!("{}{}", site.url, scalelab_web::link::fragment(&mmc))).await.unwrap();
    b.wait_for_charts().await.unwrap();
    let mem = ms(&b.js(&attr("wasmMemory")).await.unwrap());
    let mmc_ms = ms(&b.js(&attr("runMs")).await.unwrap());
    // The rightsizing lab on seed 004's inputs (ResNet-50, every type, verified and tuned), its
    // jobs spread over the page's Web Workers.
    let mut lab = Vec::new();
    let lab_url = format!("{}#lab={}", site.url, scalelab_web::lab::LabInputs::default().to_param());
    for _ in 0..3 {
        b.client.goto("about:blank").await.unwrap();
        b.client.goto(&lab_url).await.unwrap();
        b.wait_for(
            "the rightsizing",
            "document.getElementById('lab-status') && document.getElementById('lab-status').dataset.wallMs !== undefined",
            Duration::from_secs(120),
        )
        .await
        .unwrap();
        lab.push(ms(&b.js("return Number(document.getElementById('lab-status').dataset.wallMs);").await.unwrap()));
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
    };
    println!("playground timings in headless Chromium (median; software rendering, this machine):");
    println!("  navigation → first complete charts   {:>8.0} ms   runs {:?}", med(&mut first), first);
    println!(
        "  re-simulate + redraw, seed 001 (2 h) {:>8.0} ms   (simulation alone {:.0} ms; goal ≤ 100 ms)",
        med(&mut resim),
        med(&mut sim)
    );
    println!("  edit → first charts (the run so far)  {:>8.0} ms", med(&mut first_partial));
    println!("  redraw of all 7 charts (cursor move) {:>8.1} ms", med(&mut redraw));
    println!("  redraw of a 1 M-point series         {:>8.1} ms   (goal ≤ 10 ms)", med(&mut million));
    println!(
        "  M/M/8 800 RPS 2 h in the worker      {:>8.0} ms   peak wasm memory {:.1} MiB (goal ≤ 32 MB)",
        mmc_ms,
        mem / 1048576.0
    );
    println!("  rightsizing, ResNet-50 every type     {:>8.0} ms   (goal ≤ 10 s; runs {:?})", med(&mut lab), lab);
    let dist = std::env::var_os("SCALELAB_DIST").map(std::path::PathBuf::from).unwrap_or_else(|| "dist".into());
    for e in std::fs::read_dir(&dist).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".wasm") {
            let raw = std::fs::read(e.path()).unwrap_or_default();
            let packed = miniz_oxide::deflate::compress_to_vec(&raw, 9).len() + 18;
            println!("  {name:<40} {:>8} KiB raw, {:>6} KiB gzipped", raw.len() / 1024, packed / 1024);
        }
    }
    b.close().await;
}
