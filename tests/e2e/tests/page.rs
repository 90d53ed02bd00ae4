//! The playground's release build in headless Chromium, as a user meets it. Ignored by a plain
//! `cargo test` (they need `dist/` and ChromeDriver); `cargo xtask test` builds the site and runs
//! them, saving screenshots of the main states under `target/e2e/`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::time::Duration;

use scalelab_e2e::{Browser, site};

const WAIT: Duration = Duration::from_secs(60);

async fn open(url: &str) -> Browser {
    let b = Browser::start(1400, 1800).await.unwrap();
    b.client.goto(url).await.unwrap();
    b.wait_for_charts().await.unwrap();
    b
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn the_page_opens_on_seed_001_with_every_chart_drawn() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    for id in ["rate", "ipi", "instances", "latency", "errors", "utilization", "cost"] {
        let ink = b.ink(&format!("chart-{id}")).await.unwrap();
        assert!(ink > 500, "chart {id} looks blank: {ink} pixels differ from the background");
        let label =
            b.js(&format!("return document.getElementById('chart-{id}').getAttribute('aria-label');")).await.unwrap();
        assert!(label.as_str().unwrap().len() > 20, "chart {id} needs an aria-label: {label}");
    }
    let desc = b.js("return document.getElementById('description').textContent;").await.unwrap();
    assert!(desc.as_str().unwrap().contains("seed 001"), "{desc}");
    let worker = b.js("return document.getElementById('run-status').dataset.worker;").await.unwrap();
    assert_eq!(worker.as_str(), Some("true"), "the simulation runs in a Web Worker");
    let summary = b.summary().await.unwrap();
    assert!(summary.iter().any(|c| c.starts_with("requests=") && c.contains('M')), "{summary:?}");
    let activities = b.js("return document.querySelectorAll('#activities li').length;").await.unwrap();
    assert!(activities.as_u64().unwrap() >= 2, "seed 001 with autoscaling scales out and in");
    b.screenshot("01-default").await.unwrap();
    // Clicking an activity moves the shared cursor to its moment.
    b.js("document.querySelector('#activities button').click(); return true;").await.unwrap();
    b.wait_for("the cursor", "document.querySelector('.cursor-readout').textContent.includes('cursor at')", WAIT)
        .await
        .unwrap();
    // It is a line over every chart, inside the plot area; the charts are not redrawn for it.
    let lines = b
        .js("return [...document.querySelectorAll('.cursor-line')].filter(l => getComputedStyle(l).display !== 'none' && l.style.left.endsWith('px')).length;")
        .await
        .unwrap();
    assert_eq!(lines.as_u64(), Some(7), "a cursor line over each of the seven charts");
    b.screenshot("01b-cursor").await.unwrap();
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn changing_a_control_resimulates_and_rewrites_the_link() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    let before = b.summary().await.unwrap();
    b.set_value("#f-scaling-RegisterScalableTarget-0-MaxCapacity", "2", "change").await.unwrap();
    // A 2-hour run takes seconds: the charts fill in as it goes, marked as the run so far.
    b.wait_for("the run so far", "document.getElementById('so-far')", WAIT).await.unwrap();
    assert!(b.ink("chart-instances").await.unwrap() > 200, "the partial run is drawn");
    b.wait_for_summary_other_than(&before).await.unwrap();
    b.wait_for_charts().await.unwrap();
    let after = b.summary().await.unwrap();
    assert_ne!(before, after);
    assert_eq!(b.js("return document.getElementById('so-far') === null;").await.unwrap(), true);
    let hash = b.js("return location.hash;").await.unwrap();
    assert!(hash.as_str().unwrap().starts_with("#s=1."), "{hash}");
    let history = b.js("return history.length;").await.unwrap();
    assert!(history.as_u64().unwrap() <= 2, "edits replace the history entry: {history}");
    b.screenshot("02-max-capacity-2").await.unwrap();
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn a_copied_link_opens_the_same_scenario_and_numbers_in_a_fresh_browser() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    b.set_value("#preset", "seed-003-sqs-buffer", "change").await.unwrap();
    b.wait_for("the preset", "document.getElementById('description').textContent.includes('SQS')", WAIT).await.unwrap();
    b.wait_for_charts().await.unwrap();
    b.set_value("#seed", "42", "change").await.unwrap();
    b.wait_for("the new seed's run", "document.querySelector('#run-status').dataset.running === 'false'", WAIT)
        .await
        .unwrap();
    b.js("document.getElementById('copy-link').click(); return true;").await.unwrap();
    // The short form: the preset's name and the differences (here the seed), much shorter than
    // the full scenario the address bar holds.
    b.wait_for("the link", "document.getElementById('share-link').value.includes('#p=seed-003-sqs-buffer&d=1.')", WAIT)
        .await
        .unwrap();
    let link = b.js("return document.getElementById('share-link').value;").await.unwrap();
    let full = b.js("return location.href;").await.unwrap();
    assert!(full.as_str().unwrap().contains("#s=1."), "{full}");
    assert!(link.as_str().unwrap().len() * 3 < full.as_str().unwrap().len(), "{link} against {full}");
    let a = b.summary().await.unwrap();
    b.close().await;

    // A fresh profile opens the link: same scenario (seed included), same numbers.
    let fresh = open(link.as_str().unwrap()).await;
    let desc = fresh.js("return document.getElementById('description').textContent;").await.unwrap();
    assert!(desc.as_str().unwrap().contains("SQS"), "{desc}");
    let seed = fresh.js("return document.getElementById('seed').value;").await.unwrap();
    assert_eq!(seed.as_str().unwrap(), "42");
    let restored = fresh.summary().await.unwrap();
    fresh.screenshot("03-shared-link").await.unwrap();
    assert_eq!(a, restored, "the link gives the same numbers");
    fresh.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn broken_links_explain_themselves_and_leave_a_working_page() {
    let site = site().unwrap();
    for (fragment, says) in [
        ("#s=1.this-is-not-deflate", "could not be opened"),
        ("#s=9.abcdef", "newer Scalelab"),
        ("#s=1.", "could not be opened"),
        ("#p=no-such-preset", "does not have"),
    ] {
        let b = open(&format!("{}{fragment}", site.url)).await;
        let notice = b.js("const n = document.getElementById('notice'); return n ? n.textContent : '';").await.unwrap();
        assert!(notice.as_str().unwrap().contains(says), "{fragment}: {notice}");
        assert!(b.ink("chart-rate").await.unwrap() > 500, "{fragment}: the default scenario still runs");
        if fragment.starts_with("#s=1.this") {
            b.screenshot("04-broken-link").await.unwrap();
        }
        b.close().await;
    }
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn a_pasted_policy_is_checked_field_by_field_and_applied() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    let policy = |kind: &str| {
        format!(
            r#"{{"PolicyName": "ipi-target", "ServiceNamespace": "sagemaker",
  "ResourceId": "endpoint/decision-trees-sample/variant/AllTraffic",
  "ScalableDimension": "sagemaker:variant:DesiredInstanceCount", "PolicyType": "{kind}",
  "TargetTrackingScalingPolicyConfiguration": {{"TargetValue": 15000,
    "PredefinedMetricSpecification": {{"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"}}}}}}"#
        )
    };
    // Checked as typed: the error shows before anything is applied.
    b.set_value("#aws-paste", &policy("TargetTrackingScalling"), "input").await.unwrap();
    b.wait_for("the field-level error", "document.querySelector('#aws-result li')", WAIT).await.unwrap();
    b.js("document.getElementById('aws-apply').click(); return true;").await.unwrap();
    let err = b.js("return document.getElementById('aws-result').textContent;").await.unwrap();
    let err = err.as_str().unwrap();
    assert!(err.contains("PolicyType") && err.contains("TargetTrackingScaling"), "{err}");
    let typed = b.js("return document.getElementById('aws-paste').value;").await.unwrap();
    assert!(typed.as_str().unwrap().contains("TargetTrackingScalling"), "what was typed stays");
    b.screenshot("05-invalid-policy").await.unwrap();

    let before = b.summary().await.unwrap();
    b.set_value("#aws-paste", &policy("TargetTrackingScaling"), "input").await.unwrap();
    b.wait_for("the check to pass", "document.querySelector('#aws-result .valid')", WAIT).await.unwrap();
    assert!(
        !b.js("return document.getElementById('scenario-json').value;")
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .contains("ipi-target")
    );
    b.js("document.getElementById('aws-apply').click(); return true;").await.unwrap();
    b.wait_for("the applied policy", "document.querySelector('#aws-result .ok')", WAIT).await.unwrap();
    b.wait_for("a new run", "document.querySelector('#run-status').dataset.running === 'false'", WAIT).await.unwrap();
    b.wait_for_charts().await.unwrap();
    let json = b.js("return document.getElementById('scenario-json').value;").await.unwrap();
    assert!(json.as_str().unwrap().contains("ipi-target"));
    let after = b.summary().await.unwrap();
    assert_ne!(before, after, "a second policy with a lower target changes the run");
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn a_step_policy_is_added_from_the_form_and_a_bad_period_is_named_beside_its_field() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    let before = b.summary().await.unwrap();
    b.js("document.getElementById('add-step').click(); return true;").await.unwrap();
    b.wait_for("the alarm's card", "document.getElementById('f-scaling-PutMetricAlarm-0-Period')", WAIT).await.unwrap();
    let said = b.js("return document.getElementById('scaling-said').textContent;").await.unwrap();
    assert!(said.as_str().unwrap().contains("step-scale-out"), "{said}");
    let json = b.js("return document.getElementById('scenario-json').value;").await.unwrap();
    assert!(json.as_str().unwrap().contains("\"StepScaling\""), "the JSON pane shows the new policy");
    // A 45 s period is refused beside the field; the scenario keeps 60 s.
    b.set_value("#f-scaling-PutMetricAlarm-0-Period", "45", "change").await.unwrap();
    b.wait_for("the period's error", "document.querySelector('.policy .field-error')", WAIT).await.unwrap();
    let err = b
        .js("return document.getElementById('f-scaling-PutMetricAlarm-0-Period').parentElement.textContent;")
        .await
        .unwrap();
    assert!(err.as_str().unwrap().contains("multiple of 60"), "{err}");
    let json = b.js("return document.getElementById('scenario-json').value;").await.unwrap();
    assert!(json.as_str().unwrap().contains("\"Period\": 60"), "the refused edit changed nothing");
    b.screenshot("07-step-policy-form").await.unwrap();
    // A lower threshold makes the step policy act: the run changes.
    b.set_value("#f-scaling-PutMetricAlarm-0-Threshold", "6000", "change").await.unwrap();
    b.wait_for("the new run", "document.querySelector('.policy .field-error') === null", WAIT).await.unwrap();
    b.wait_for_charts().await.unwrap();
    b.wait_for_summary_other_than(&before).await.unwrap();
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn the_traffic_is_edited_phase_by_phase_and_reshaped() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    // The second phase ramps to 800 requests/s; make it 1200.
    b.set_value("#f-traffic-phases-1-rampTo", "1200", "change").await.unwrap();
    // The peak is the rate function's highest per-second value: within 1 request/s of 1200.
    b.wait_for("the new peak", "Math.abs(parseFloat(document.getElementById('peak-rps').value) - 1200) < 1", WAIT)
        .await
        .unwrap();
    b.wait_for_charts().await.unwrap();
    // A shape from the picker keeps the peak: a spike over a base.
    b.set_value("#traffic-shape", "spike", "change").await.unwrap();
    b.wait_for("the spike's form", "document.getElementById('f-traffic-sum-1-spike-rps')", WAIT).await.unwrap();
    let peak = b.js("return parseFloat(document.getElementById('peak-rps').value);").await.unwrap();
    assert!((peak.as_f64().unwrap() - 1200.0).abs() < 1.0, "the spike reaches the same peak: {peak}");
    b.wait_for_charts().await.unwrap();
    assert!(b.ink("traffic-preview").await.unwrap() > 200);
    b.screenshot("09-traffic-spike").await.unwrap();
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn the_serving_profile_is_copied_from_the_model_and_edited() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    b.set_value("#preset", "seed-001-before", "change").await.unwrap();
    b.wait_for_charts().await.unwrap();
    let before = b.summary().await.unwrap();
    b.js("document.getElementById('inline-profile-0').click(); return true;").await.unwrap();
    b.wait_for("the profile's fields", "document.getElementById('f-endpoint-variants-0-profile-workers')", WAIT)
        .await
        .unwrap();
    b.wait_for_charts().await.unwrap();
    assert_eq!(b.summary().await.unwrap(), before, "the copied profile gives the same run");
    // Twice the workers: the single instance keeps up with the ramp, fewer errors.
    let workers = b.js("return document.getElementById('f-endpoint-variants-0-profile-workers').value;").await.unwrap();
    let doubled = workers.as_str().unwrap().parse::<u32>().unwrap() * 2;
    b.set_value("#f-endpoint-variants-0-profile-workers", &doubled.to_string(), "change").await.unwrap();
    b.wait_for("the run", "document.querySelector('#run-status').dataset.running === 'true'", WAIT).await.ok();
    b.wait_for_charts().await.unwrap();
    let after = b.summary().await.unwrap();
    assert_ne!(before, after);
    b.screenshot("10-serving-profile").await.unwrap();
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn a_typo_in_the_json_is_named_and_the_text_is_kept() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    let text = b.js("return document.getElementById('scenario-json').value;").await.unwrap();
    let broken = text.as_str().unwrap().replacen("\"duration\"", "\"duraton\"", 1);
    b.set_value("#scenario-json", &broken, "input").await.unwrap();
    b.wait_for("the problem list", "document.querySelector('#problems li')", WAIT).await.unwrap();
    let problems = b.js("return document.getElementById('problems').textContent;").await.unwrap();
    assert!(problems.as_str().unwrap().contains("duration"), "{problems}");
    let kept = b.js("return document.getElementById('scenario-json').value;").await.unwrap();
    assert_eq!(kept.as_str().unwrap(), broken);
    assert!(b.ink("chart-rate").await.unwrap() > 500, "the last good run stays on screen");
    b.screenshot("06-json-typo").await.unwrap();
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn compare_before_and_after_autoscaling_in_dark_mode() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    b.set_value("#preset", "seed-001-before", "change").await.unwrap();
    b.wait_for(
        "seed-001-before",
        "document.getElementById('description').textContent.includes('no autoscaling')",
        WAIT,
    )
    .await
    .unwrap();
    b.wait_for_charts().await.unwrap();
    b.js("document.getElementById('pin').click(); return true;").await.unwrap();
    b.set_value("#preset", "seed-001-after", "change").await.unwrap();
    b.wait_for("the comparison", "document.querySelectorAll('#summary .diff').length >= 5", WAIT).await.unwrap();
    b.wait_for_charts().await.unwrap();
    let errors = b
        .js("return document.querySelector('[data-card=errors] .diff').className + ' ' + document.querySelector('[data-card=errors] .diff').textContent;")
        .await
        .unwrap();
    assert!(errors.as_str().unwrap().contains("better"), "autoscaling cuts errors: {errors}");
    b.js("document.querySelector('.toggles input').click(); return true;").await.unwrap();
    b.wait_for("dark mode", "document.querySelector('.page.dark')", WAIT).await.unwrap();
    b.wait_for_charts().await.unwrap();
    b.screenshot("07-compare-dark").await.unwrap();
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn a_measured_instance_profile_file_is_used_by_every_variant() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    let before = b.summary().await.unwrap();
    // A profile as `scalelab calibrate` writes it: twice the default model's speed.
    let model = scalelab_core::profile::builtin_model("decision-tree").unwrap();
    let mut p = model.profile_for("ml.m4.xlarge").unwrap().clone();
    p.workers *= 2;
    let file = serde_json::json!({
        "profile": p,
        "provenance": {"adapter": "Test Adapter", "backend": "Vulkan", "driver": "test", "deviceType": "discrete",
                       "date": "2026-11-23", "workload": {"name": "mlp", "input": 64, "hidden": 256, "classes": 8},
                       "workloadLabel": "mlp", "maxBatch": 4, "timing": "timestamps", "points": [],
                       "achievedGflops": 1.0, "achievedGbytesPerS": 1.0, "note": "",
                       "fidelity": {"sloP99Ms": 100.0, "measuredMaxRps": 412.5, "predictedMaxRps": 398.25, "maxRpsError": 0.0345,
                                    "measuredP99MsAtMax": 90.0, "predictedP99MsAtMax": 95.0, "method": "live"}}
    });
    let path = std::env::temp_dir().join(format!("scalelab-e2e-profile-{}.json", std::process::id()));
    std::fs::write(&path, file.to_string()).unwrap();
    let input = b.client.find(fantoccini::Locator::Css("#instance-profile")).await.unwrap();
    input.send_keys(path.to_str().unwrap()).await.unwrap();
    b.wait_for("the profile label", "document.getElementById('profile-label')", WAIT).await.unwrap();
    let label = b.js("return document.getElementById('profile-label').textContent;").await.unwrap();
    assert!(label.as_str().unwrap().contains("measured on Test Adapter"), "{label}");
    assert!(label.as_str().unwrap().contains("412.5 measured, 398.2 simulated (3.5 % apart)"), "{label}");
    b.wait_for("a new run", "document.querySelector('#run-status').dataset.running === 'false'", WAIT).await.unwrap();
    b.wait_for_charts().await.unwrap();
    assert_ne!(b.summary().await.unwrap(), before, "twice the workers change the run");
    let json = b.js("return document.getElementById('scenario-json').value;").await.unwrap();
    assert!(json.as_str().unwrap().contains("\"profile\""));
    b.screenshot("08-measured-profile").await.unwrap();
    let _ = std::fs::remove_file(&path);
    b.close().await;
}

/// Presses `key` on the page (not in a field), as the page-wide shortcuts hear it.
async fn press(b: &Browser, key: &str) {
    let key = serde_json::to_string(key).unwrap();
    b.js(&format!("document.body.dispatchEvent(new KeyboardEvent('keydown', {{key: {key}, bubbles: true, cancelable: true}})); return true;"))
        .await
        .unwrap();
}

async fn text(b: &Browser, selector: &str) -> String {
    let v =
        b.js(&format!("const e = document.querySelector('{selector}'); return e ? e.textContent : '';")).await.unwrap();
    v.as_str().unwrap_or_default().to_string()
}

/// Waits for a finished run whose status line says so (events, simulated, drawn).
async fn wait_until_complete(b: &Browser) {
    b.wait_for_charts().await.unwrap();
    b.wait_for("the status line", "document.getElementById('run-status').textContent.includes('simulated in')", WAIT)
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn playback_moves_the_cursor_through_the_run_veils_the_rest_and_pauses() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    // Every chart has its legend beside the plot, and the instances chart labels its activities.
    let legends = b.js("return document.querySelectorAll('figure.chart ul.legend li').length;").await.unwrap();
    assert!(legends.as_u64().unwrap() >= 14, "legends: {legends}");
    let markers = b.js("return [...document.querySelectorAll('.markers button.marker')].map(m => m.textContent.slice(0, 2) + '|' + m.getAttribute('aria-label'));").await.unwrap();
    let markers: Vec<&str> = markers.as_array().unwrap().iter().filter_map(|m| m.as_str()).collect();
    assert!(markers.len() >= 2 && markers[0].starts_with("↑1|"), "{markers:?}");
    assert!(markers.iter().any(|m| m.starts_with('↓')), "seed 001 scales in too: {markers:?}");
    assert!(markers[0].contains("↑1 scaled out by 1: ") && markers[0].contains("1 → 2"), "{markers:?}");
    assert_eq!(text(&b, "#clock").await.trim_start_matches("Cursor at "), "–:––:–– of 2:00:00");
    // A focused label shows its sentence.
    b.js("document.querySelector('.markers button.marker').scrollIntoView({block: 'center'}); document.querySelector('.markers button.marker').focus(); return true;")
        .await
        .unwrap();
    let tip = b.js("return getComputedStyle(document.querySelector('.markers .tip')).display;").await.unwrap();
    assert_eq!(tip, "block", "the tooltip shows on focus");
    b.screenshot("11a-activity-tooltip").await.unwrap();
    b.js("document.activeElement.blur(); window.scrollTo(0, 0); return true;").await.unwrap();

    b.js("document.getElementById('play').click(); return true;").await.unwrap();
    assert_eq!(b.js("return document.getElementById('play').getAttribute('aria-pressed');").await.unwrap(), "true");
    b.wait_for("the cursor to move", "/Cursor at 0:0[1-9]/.test(document.getElementById('clock').textContent)", WAIT)
        .await
        .unwrap();
    // The charts are veiled after the cursor, the later activities hidden with them.
    let veils = b
        .js("return [...document.querySelectorAll('.veil')].filter(v => getComputedStyle(v).display === 'block').length;")
        .await
        .unwrap();
    assert_eq!(veils.as_u64(), Some(7), "a veil over each chart");
    let hidden = b.js("return document.querySelectorAll('.marker.future').length;").await.unwrap();
    assert!(hidden.as_u64().unwrap() >= 1, "the activities to come are hidden");
    let readout = text(&b, ".cursor-readout").await;
    assert!(readout.contains("cursor at"), "{readout}");

    // Pause: the cursor stays where it is, still veiled.
    press(&b, " ").await;
    assert_eq!(b.js("return document.getElementById('play').getAttribute('aria-pressed');").await.unwrap(), "false");
    let paused = text(&b, "#clock").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(text(&b, "#clock").await, paused, "paused means stopped");
    assert_ne!(text(&b, ".cursor-readout").await, "", "the readout shows the paused cursor");
    b.screenshot("11-playback-paused").await.unwrap();

    // Keys: → steps a minute, ] speeds up; played to the end, the veil goes.
    let before = b.js("return document.getElementById('clock').textContent;").await.unwrap();
    press(&b, "ArrowRight").await;
    assert_ne!(b.js("return document.getElementById('clock').textContent;").await.unwrap(), before);
    for _ in 0..6 {
        press(&b, "]").await;
    }
    assert_eq!(text(&b, "#speed").await, "Speed 1 h/s");
    press(&b, " ").await;
    b.wait_for("the end of the run", "document.getElementById('play').getAttribute('aria-pressed') === 'false'", WAIT)
        .await
        .unwrap();
    assert!(text(&b, "#clock").await.contains("2:00:00 of 2:00:00"), "{}", text(&b, "#clock").await);
    let veils = b
        .js("return [...document.querySelectorAll('.veil')].filter(v => getComputedStyle(v).display === 'block').length;")
        .await
        .unwrap();
    assert_eq!(veils.as_u64(), Some(0), "the whole run shows at the end");
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn the_presenter_view_fits_a_projector_without_scrolling() {
    let site = site().unwrap();
    for (w, h) in [(1280, 720), (1920, 1080)] {
        let b = Browser::start_viewport(w, h).await.unwrap();
        b.client.goto(&site.url).await.unwrap();
        wait_until_complete(&b).await;
        assert_eq!(b.js("return [innerWidth, innerHeight];").await.unwrap(), serde_json::json!([w, h]));
        press(&b, "p").await;
        b.wait_for("the presenter view", "document.querySelector('.page.presenter')", WAIT).await.unwrap();
        let pressed =
            b.js("return document.getElementById('presenter-toggle').getAttribute('aria-pressed');").await.unwrap();
        assert_eq!(pressed, "true");
        // Three large charts, in the presenter's order, redrawn at their new size.
        b.wait_for(
            "the large charts",
            "[...document.querySelectorAll('figure.chart')].filter(f => getComputedStyle(f).display !== 'none').length === 3 \
             && document.getElementById('chart-rate').clientHeight > 100 \
             && Math.abs(document.getElementById('chart-rate').height - Math.round(document.getElementById('chart-rate').clientHeight * devicePixelRatio)) <= 1",
            WAIT,
        )
        .await
        .unwrap();
        let shown = b
            .js("return [...document.querySelectorAll('figure.chart')].filter(f => getComputedStyle(f).display !== 'none').sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top).map(f => f.dataset.chart);")
            .await
            .unwrap();
        assert_eq!(shown, serde_json::json!(["rate", "instances", "latency"]));
        let fits = b.js("return [document.documentElement.scrollHeight, innerHeight, document.documentElement.scrollWidth, innerWidth];").await.unwrap();
        let f: Vec<u64> = fits.as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
        assert!(f[0] <= f[1], "{w}×{h}: the page scrolls vertically: {fits}");
        assert!(f[2] <= f[3], "{w}×{h}: the page scrolls sideways: {fits}");
        assert!(b.ink("chart-latency").await.unwrap() > 500);
        b.js("document.getElementById('play').click(); return true;").await.unwrap();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        press(&b, " ").await;
        b.screenshot(&format!("12-presenter-{w}x{h}")).await.unwrap();
        if w == 1920 {
            // Dark and larger text still apply, and it still fits.
            b.js("document.querySelectorAll('.toggles input').forEach(i => i.click()); return true;").await.unwrap();
            b.wait_for("dark mode", "document.querySelector('.page.dark.big.presenter')", WAIT).await.unwrap();
            tokio::time::sleep(Duration::from_millis(300)).await;
            let fits = b.js("return document.documentElement.scrollHeight <= innerHeight;").await.unwrap();
            assert_eq!(fits, true, "the dark, larger presenter view fits too");
            b.screenshot("12-presenter-1920x1080-dark-large").await.unwrap();
        }
        // Escape leaves it; the editor is back.
        press(&b, "Escape").await;
        b.wait_for("the editor", "getComputedStyle(document.querySelector('section.editor')).display !== 'none'", WAIT)
            .await
            .unwrap();
        b.close().await;
    }
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn the_finished_run_on_a_phone_a_laptop_and_a_projector() {
    let site = site().unwrap();
    for (w, h) in [(390, 844), (1280, 720), (1920, 1080)] {
        let b = Browser::start_viewport(w, h).await.unwrap();
        b.client.goto(&site.url).await.unwrap();
        wait_until_complete(&b).await;
        assert_eq!(b.js("return [innerWidth, innerHeight];").await.unwrap(), serde_json::json!([w, h]));
        let sideways = b.js("return document.documentElement.scrollWidth - innerWidth;").await.unwrap();
        assert!(sideways.as_i64().unwrap() <= 0, "{w}×{h}: the page scrolls sideways by {sideways} px");
        if w < 1000 {
            // On a phone the results come first, the editor after them.
            let order = b
                .js("return [document.querySelector('#summary').getBoundingClientRect().top, document.querySelector('section.editor').getBoundingClientRect().top];")
                .await
                .unwrap();
            let o: Vec<f64> = order.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
            assert!(o[0] < o[1], "the cards come before the editor: {order}");
            assert!(o[0] < f64::from(h), "the cards are on the first screen: {order}");
        }
        b.screenshot(&format!("13-finished-{w}x{h}")).await.unwrap();
        b.close().await;
    }
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn a_lesson_opens_from_its_link_and_is_followed_step_by_step() {
    let site = site().unwrap();
    let b = open(&format!("{}#lesson=first-scale-out&step=0", site.url)).await;
    let title = b.js("return document.getElementById('lesson-title').textContent;").await.unwrap();
    assert!(title.as_str().unwrap().contains("first scale-out"), "{title}");
    // The step's text quotes its run's numbers, and the step moves the cursor.
    b.wait_for(
        "the first step with its numbers",
        "!document.getElementById('lesson-step').textContent.includes('…') && document.getElementById('lesson-step').textContent.includes('25,000')",
        WAIT,
    )
    .await
    .unwrap();
    b.wait_for("the cursor", "document.querySelector('.cursor-readout').textContent.includes('cursor at')", WAIT)
        .await
        .unwrap();
    let focus = b.js("return document.querySelector('figure.lesson-focus canvas').id;").await.unwrap();
    assert_eq!(focus.as_str(), Some("chart-ipi"), "the step marks the chart it is about");
    b.screenshot("14-lesson").await.unwrap();
    // Next, next, next: the last step shows the check question; the answer comes on request.
    for _ in 0..3 {
        b.js("document.getElementById('lesson-next').click(); return true;").await.unwrap();
    }
    let step = b.js("return location.hash;").await.unwrap();
    assert!(step.as_str().unwrap().starts_with("#lesson=first-scale-out&step=3&s=1."), "{step}");
    assert_eq!(b.js("return document.getElementById('lesson-answer').hidden;").await.unwrap(), true);
    b.js("document.getElementById('lesson-reveal').click(); return true;").await.unwrap();
    let answer = b.js("return document.getElementById('lesson-answer').hidden;").await.unwrap();
    assert_eq!(answer, false, "the answer is revealed");
    // "Why did it scale?": the scale-out lists the three datapoints its alarm evaluated.
    b.js("document.querySelector('#activities button.has-why').click(); return true;").await.unwrap();
    b.wait_for("why did it scale", "document.getElementById('why-datapoints')", WAIT).await.unwrap();
    b.js("document.getElementById('why').scrollIntoView(); return true;").await.unwrap();
    let rows = b.js("return document.querySelectorAll('#why-datapoints tbody tr.breaching').length;").await.unwrap();
    assert_eq!(rows.as_u64(), Some(3), "3 of 3 datapoints above the target");
    let formula = b.js("return document.getElementById('why-formula').textContent;").await.unwrap();
    assert!(formula.as_str().unwrap().contains("ceil(1 × "), "{formula}");
    // The same three periods are marked on the invocations-per-instance chart.
    let bands = b
        .js("return document.querySelectorAll('figure[data-chart=\"ipi\"] .evidence-band.breaching').length;")
        .await
        .unwrap();
    assert_eq!(bands.as_u64(), Some(3), "the alarm's datapoints marked on its metric's chart");
    b.js("document.querySelector('figure[data-chart=\"ipi\"]').scrollIntoView(); return true;").await.unwrap();
    b.screenshot("15b-why-on-the-chart").await.unwrap();
    b.screenshot("15-why").await.unwrap();
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn a_broken_lesson_link_explains_itself_over_the_lesson_list() {
    let site = site().unwrap();
    let b = open(&format!("{}#lesson=no-such-lesson", site.url)).await;
    let notice = b.js("return document.getElementById('notice').textContent;").await.unwrap();
    assert!(notice.as_str().unwrap().contains("no-such-lesson"), "{notice}");
    let listed = b.js("return document.querySelectorAll('#lesson-list .lesson-item').length;").await.unwrap();
    assert!(listed.as_u64().unwrap() >= 14, "{listed}");
    assert_eq!(b.js("return document.getElementById('lesson-list').hidden;").await.unwrap(), false);
    // Opening one from the list loads its scenario and keeps it in the link.
    b.js("document.querySelector('[data-lesson=\"scale-in-waits\"]').click(); return true;").await.unwrap();
    b.wait_for("the lesson", "location.hash.startsWith('#lesson=scale-in-waits&step=0&s=1.')", WAIT).await.unwrap();
    b.screenshot("16-lesson-list").await.unwrap();
    b.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn rightsizing_finds_seed_004s_answer_and_opens_it_as_a_scenario() {
    let site = site().unwrap();
    let b = open(&site.url).await;
    b.js("document.getElementById('tab-rightsize').click(); return true;").await.unwrap();
    b.js("document.getElementById('lab-run').click(); return true;").await.unwrap();
    let done = "document.getElementById('lab-status').textContent.startsWith('done')";
    b.wait_for("the rightsizing", done, WAIT).await.unwrap();
    let rec = b.js("return document.getElementById('lab-recommendation').innerText;").await.unwrap();
    let rec = rec.as_str().unwrap().to_string();
    assert!(rec.contains("× ml.g4dn.xlarge") && rec.contains("2 for 66 RPS ($1.472/h)"), "{rec}");
    assert!(rec.contains("TargetValue"), "a tuned policy: {rec}");
    // Seed 004's scatter: one labelled dot per type with its figures on hover, the counts and
    // the frontier; the step curves of the recommended type; the table sorted by cost.
    assert!(b.ink("lab-scatter-canvas").await.unwrap() > 500);
    assert!(b.ink("lab-throughput-canvas").await.unwrap() > 500);
    let tips =
        b.js("return [...document.querySelectorAll('#lab-scatter button.spot')].map(s => s.title);").await.unwrap();
    let tips: Vec<&str> = tips.as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
    assert!(tips.iter().any(|t| t.starts_with("1 × ml.p2.xlarge: $1.125/h, max 2")), "{tips:?}");
    assert!(tips.iter().any(|t| t.starts_with("2 × ml.g4dn.xlarge")), "{tips:?}");
    let first = b.js("return document.querySelector('#lab-table tbody th').textContent;").await.unwrap();
    assert!(first.as_str().unwrap().contains("ml.g4dn.xlarge"), "{first}");
    // Serverless memory sizes are rows of the table, and the serverless answer sits beside the
    // recommendation with its cost on the traffic against the tuned instance policy's.
    let rows = b
        .js("return [...document.querySelectorAll('#lab-table tbody th')].map(t => t.textContent).join('|');")
        .await
        .unwrap();
    assert!(rows.as_str().unwrap().contains("Serverless 1024 MB"), "{rows}");
    let sl = b.js("return document.getElementById('lab-serverless-answer').innerText;").await.unwrap();
    let sl = sl.as_str().unwrap();
    assert!(sl.contains("MemorySizeInMB 2048") && sl.contains("tuned instance policy"), "{sl}");
    // Hovering (or tapping) p2's dot shows its load test.
    b.js("[...document.querySelectorAll('#lab-scatter button.spot')].find(s => s.title.includes('p2.xlarge')).click(); return true;")
        .await
        .unwrap();
    b.wait_for(
        "p2's curves",
        "document.querySelector('#lab-throughput figcaption').textContent.includes('ml.p2.xlarge')",
        WAIT,
    )
    .await
    .unwrap();
    let lab_url = b.js("return location.href;").await.unwrap().as_str().unwrap().to_string();
    assert!(lab_url.contains("#lab="), "the lab's inputs are in the link: {lab_url}");
    b.screenshot("17-rightsize").await.unwrap();

    // The link opens the lab with its inputs in a fresh browser and runs it.
    let other = Browser::start(1400, 1800).await.unwrap();
    other.client.goto(&lab_url).await.unwrap();
    other.wait_for("the linked rightsizing", done, WAIT).await.unwrap();
    let again = other.js("return document.getElementById('lab-recommendation').innerText;").await.unwrap();
    assert_eq!(again.as_str().unwrap(), rec);
    other.close().await;

    // "Open as scenario" loads the endpoint and its policy into the playground.
    b.js("document.getElementById('lab-open').click(); return true;").await.unwrap();
    b.wait_for_charts().await.unwrap();
    let json = b.js("return document.getElementById('scenario-json').value;").await.unwrap();
    let json = json.as_str().unwrap();
    assert!(
        json.contains("rightsized-resnet50") && json.contains("ml.g4dn.xlarge") && json.contains("TargetValue"),
        "{json}"
    );
    let url = b.js("return location.href;").await.unwrap();
    assert!(!url.as_str().unwrap().contains("lab="), "{url}");
    wait_until_complete(&b).await;
    b.screenshot("17b-opened-as-scenario").await.unwrap();
    b.close().await;

    // On a phone the lab fits the width.
    let phone = Browser::start_viewport(390, 844).await.unwrap();
    phone.client.goto(&lab_url).await.unwrap();
    phone.wait_for("the rightsizing on a phone", done, WAIT).await.unwrap();
    let sideways = phone.js("return document.documentElement.scrollWidth - innerWidth;").await.unwrap();
    assert!(sideways.as_i64().unwrap() <= 0, "the lab scrolls sideways by {sideways} px");
    phone.screenshot("17c-rightsize-390x844").await.unwrap();
    phone.close().await;
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn a_metric_math_policy_is_drawn_as_the_alarm_reads_it_and_its_expression_edited() {
    let site = site().unwrap();
    let b = open(&format!("{}#p=seed-001-metric-math", site.url)).await;
    wait_until_complete(&b).await;
    // The scaling-metric chart: the expression's series, per minute, against the target.
    let caption = text(&b, "figure[data-chart=scaling] .title").await;
    assert!(caption.contains("Invocations per second per instance"), "{caption}");
    let ink = b.ink("chart-scaling").await.unwrap();
    assert!(ink > 500, "the scaling-metric chart looks blank: {ink}");
    let legend = text(&b, "figure[data-chart=scaling] .legend").await;
    assert!(legend.contains("target 400"), "the target is drawn: {legend}");
    // The policy's form shows the expression, and a bad one is named beside its field.
    let field = "f-scaling-PutScalingPolicy-0-TargetTrackingScalingPolicyConfiguration-CustomizedMetricSpecification-Metrics-1-Expression";
    let value = b.js(&format!("return document.getElementById('{field}').value;")).await.unwrap();
    assert_eq!(value.as_str(), Some("m1 / 60"));
    b.screenshot("18-metric-math").await.unwrap();
    b.set_value(&format!("#{field}"), "m1 / 0 + SEARCH(m1)", "change").await.unwrap();
    b.wait_for(
        "the problem beside the field",
        "[...document.querySelectorAll('.field-error, .problem')].some(e => e.textContent.includes('SEARCH is not simulated'))",
        WAIT,
    )
    .await
    .unwrap();
    b.set_value(&format!("#{field}"), "m1 / 30", "change").await.unwrap();
    b.wait_for("the fixed expression", "document.querySelector('.policy .field-error') === null", WAIT).await.unwrap();
    // A run without a derived metric has no such chart.
    b.set_value("#preset", "seed-001-after", "change").await.unwrap();
    b.wait_for("the chart to go", "document.querySelector('figure[data-chart=scaling]').hidden", WAIT).await.unwrap();
    b.close().await;
}

/// Markup and script in every name and text a scenario carries.
const HOSTILE: &str = r#"<img src=x onerror="document.title='pwned'"><script>document.title='pwned'</script>"#;

/// The p99 example with `HOSTILE` in its name, description, variant, policy, alarm and phase
/// names (kept consistent, so the scenario is valid and runs).
fn hostile_scenario() -> String {
    let mut s = serde_json::to_value(scalelab_core::examples::get("seed-000-step-scaling-p99").unwrap()).unwrap();
    let (variant, policy, alarm) = (format!("v{HOSTILE}"), format!("p{HOSTILE}"), format!("a{HOSTILE}"));
    s["name"] = HOSTILE.into();
    s["description"] = format!("d{HOSTILE}").into();
    s["endpoint"]["variants"][0]["name"] = variant.clone().into();
    for (k, phase) in s["traffic"]["phases"].as_array_mut().unwrap().iter_mut().enumerate() {
        phase["name"] = format!("phase{k}{HOSTILE}").into();
    }
    let sc = &mut s["scaling"];
    let rid = format!("endpoint/resnet50-latency/variant/{variant}");
    sc["RegisterScalableTarget"][0]["ResourceId"] = rid.clone().into();
    sc["PutScalingPolicy"][0]["ResourceId"] = rid.into();
    sc["PutScalingPolicy"][0]["PolicyName"] = policy.clone().into();
    sc["PutMetricAlarm"][0]["AlarmName"] = alarm.into();
    sc["PutMetricAlarm"][0]["AlarmActions"] = serde_json::json!([policy]);
    sc["PutMetricAlarm"][0]["Dimensions"][1]["Value"] = variant.into();
    let json = s.to_string();
    scalelab_core::plan(&scalelab_core::Scenario::from_json(&json).unwrap(), None).unwrap();
    json
}

/// The URLs a page at `origin` and its workers asked for, from a Chromium NetLog (written with
/// `--log-net-log`): each request job started on the page's behalf (its initiator, or its
/// network isolation key, is the site). The browser's own traffic (update checks and the like)
/// is not the page's.
async fn page_requests(path: &std::path::Path, origin: &str) -> Vec<String> {
    // Chromium completes the file as it exits.
    let mut log = serde_json::Value::Null;
    for _ in 0..50 {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) {
            log = v;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"].as_u64().unwrap();
    log["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_u64() == Some(start_job))
        .map(|e| &e["params"])
        .filter(|p| {
            p["initiator"].as_str() == Some(origin)
                || p["network_isolation_key"].as_str().is_some_and(|k| k.contains(origin))
        })
        .filter_map(|p| p["url"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn hostile_names_stay_text_and_the_page_asks_for_nothing_but_its_own_files() {
    let site = site().unwrap();
    let netlog = std::env::temp_dir().join(format!("scalelab-netlog-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&netlog);
    let b = Browser::start_with_args(1400, 1800, &[format!("--log-net-log={}", netlog.display())]).await.unwrap();
    let fragment = scalelab_web::link::fragment(&hostile_scenario());
    b.client.goto(&format!("{}{fragment}", site.url)).await.unwrap();
    b.wait_for_charts().await.unwrap();
    wait_until_complete(&b).await;
    // The content-security policy: scripts from the site, wasm compilation and the one hashed
    // loader; no eval, no inline script besides that loader, no other origin to talk to.
    let csp = b.js("return document.querySelector('meta[http-equiv=Content-Security-Policy]').content;").await.unwrap();
    let csp = csp.as_str().unwrap();
    let script_src = csp.split(';').find(|d| d.trim().starts_with("script-src")).unwrap();
    let sources: Vec<&str> = script_src.split_whitespace().skip(1).collect();
    assert!(
        sources.len() == 3
            && sources[0] == "'self'"
            && sources[1] == "'wasm-unsafe-eval'"
            && sources[2].starts_with("'sha256-"),
        "{script_src}"
    );
    for directive in ["default-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'none'"] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("'unsafe-eval'") && !csp.contains("'unsafe-inline'"), "{csp}");
    let inline = b.js("return [...document.scripts].filter(s => !s.src).length;").await.unwrap();
    assert_eq!(inline.as_u64(), Some(1), "one inline script: the hashed loader");
    // The markup is shown as text: no element was made from it, no script ran.
    let title = b.js("return document.title;").await.unwrap();
    assert!(title.as_str().unwrap().starts_with("Scalelab"), "a payload ran: title {title}");
    let made = b.js("return document.querySelectorAll('img[src=x], body script').length;").await.unwrap();
    assert_eq!(made.as_u64(), Some(0), "an element was made from link text");
    let shown = b.js("return document.body.innerText;").await.unwrap();
    let shown = shown.as_str().unwrap();
    for text in [format!("d{HOSTILE}"), format!("a{HOSTILE}")] {
        assert!(shown.contains(&text), "{text} is shown as text");
    }
    // The forms show the names as values, and the activity log names the alarm.
    let activities = text(&b, "#activities").await;
    assert!(activities.contains("<img src=x"), "{activities}");
    b.screenshot("19-hostile-names").await.unwrap();
    b.close().await;
    // The page and its worker asked only for the site's own files.
    let origin = site.url.trim_end_matches('/');
    let urls = page_requests(&netlog, origin).await;
    assert!(urls.iter().any(|u| u.ends_with("_bg.wasm")), "the NetLog lists the page's requests: {urls:?}");
    assert!(urls.iter().any(|u| u.contains("worker")), "and the worker's: {urls:?}");
    let foreign: Vec<&String> = urls.iter().filter(|u| !u.starts_with(&site.url)).collect();
    assert!(foreign.is_empty(), "the page asked for more than its own files: {foreign:?}");
    let _ = std::fs::remove_file(&netlog);
}

#[tokio::test]
#[ignore = "needs dist/ and ChromeDriver: run by cargo xtask test"]
async fn a_serverless_endpoint_shows_its_settings_cold_starts_and_throttles() {
    let site = site().unwrap();
    let b = open(&format!("{}#p=serverless-sporadic", site.url)).await;
    wait_until_complete(&b).await;
    // The variant's form: memory and concurrency instead of an instance type.
    let memory = b
        .js("return document.getElementById('f-endpoint-variants-0-serverlessConfig-MemorySizeInMB').value;")
        .await
        .unwrap();
    assert_eq!(memory.as_str(), Some("2048"));
    let instance = b.js("return document.getElementById('f-endpoint-variants-0-instanceType');").await.unwrap();
    assert!(instance.is_null(), "no instance type for a serverless variant");
    let note = text(&b, "section.editor").await;
    assert!(note.contains("Serverless: each environment serves one request at a time"), "{note}");
    // Throttles are drawn on the errors chart.
    let legend = text(&b, "figure[data-chart=errors] .legend").await;
    assert!(legend.contains("ThrottlingException"), "{legend}");
    b.screenshot("20-serverless").await.unwrap();
    // Provisioned concurrency from the form: the throttles go.
    b.set_value("#f-endpoint-variants-0-serverlessConfig-ProvisionedConcurrency", "2", "change").await.unwrap();
    b.wait_for(
        "a run without throttles",
        "!document.querySelector('figure[data-chart=errors] .legend').textContent.includes('ThrottlingException')",
        WAIT,
    )
    .await
    .unwrap();
    b.close().await;
}
