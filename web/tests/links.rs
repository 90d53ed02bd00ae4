//! Links that open forever. `tests/links/v1/` holds a version-1 share link for every built-in
//! example, every lesson, two short links (a preset by name, with differences) and the
//! rightsizing lab's seed 004 inputs, each with the report (or
//! answer) hash it must produce. A link file is never rewritten: a link that stops opening, or
//! whose numbers change, fails here until the change is deliberate and documented (a format
//! migration, or a change to the core's results recorded with
//! `SCALELAB_UPDATE_LINK_HASHES=1 cargo test -p scalelab-web --test links`). Links for new
//! examples and lessons are added with `SCALELAB_ADD_LINKS=1`.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::panic, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use scalelab_web::lab::{LabInputs, lab_param, with_lab};
use scalelab_web::link;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/links/v1")
}

/// What a link opens to: the report hash of its scenario, or the lab's answer hash.
fn hash_of(fragment: &str) -> Result<String, String> {
    if let Some(value) = lab_param(fragment) {
        let inputs = LabInputs::from_param(&value)?;
        let scenario =
            link::decode_fragment(fragment).ok().and_then(|json| scalelab_core::Scenario::from_json(&json).ok());
        let req = inputs.request(scenario.as_ref())?;
        let r = scalelab_core::rightsize::run(req, scalelab_core::rightsize::sequential, |_| {})
            .map_err(|p| p.to_string())?;
        return Ok(format!("{:016x}", r.hash().map_err(|e| e.to_string())?));
    }
    let json = link::decode_fragment(fragment).map_err(|e| e.to_string())?;
    let s = scalelab_core::Scenario::from_json(&json).map_err(|p| p.to_string())?;
    let report = scalelab_core::simulate(&s, None).map_err(|p| p.to_string())?;
    Ok(format!("{:016x}", report.hash().map_err(|e| e.to_string())?))
}

/// The links this build would write: every example, every lesson (step 0), the lab.
fn current_links() -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in scalelab_core::examples::EXAMPLES {
        let s = scalelab_core::examples::get(e.name).unwrap();
        out.insert(format!("example-{}", e.name), link::fragment(&s.to_json_pretty().unwrap()));
    }
    for l in scalelab_core::lesson::all().unwrap() {
        let s = l.scenario.scenario().unwrap();
        out.insert(format!("lesson-{}", l.id), link::fragment_with(&s.to_json_pretty().unwrap(), Some((&l.id, 0))));
    }
    // Short links: a preset by name, and a preset with differences (a JSON merge patch).
    let sqs = scalelab_core::examples::get("seed-003-sqs-buffer").unwrap();
    out.insert(
        "short-seed-003-sqs-buffer".into(),
        link::shorten(&link::fragment(&sqs.to_json_pretty().unwrap())).unwrap(),
    );
    let mut sqs42 = sqs.clone();
    sqs42.seed = Some(42);
    out.insert(
        "short-seed-003-sqs-buffer-seed-42".into(),
        link::shorten(&link::fragment(&sqs42.to_json_pretty().unwrap())).unwrap(),
    );
    let default = scalelab_core::examples::get("seed-001-after").unwrap();
    let lab = LabInputs::default().to_param();
    out.insert("lab-seed-004".into(), with_lab(&link::fragment(&default.to_json_pretty().unwrap()), Some(&lab)));
    out
}

#[test]
fn every_committed_link_opens_to_the_same_numbers() {
    let hashes_path = dir().join("hashes.txt");
    let recorded: BTreeMap<String, String> = std::fs::read_to_string(&hashes_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' ').map(|(a, b)| (a.to_string(), b.trim().to_string())))
        .collect();
    let add = std::env::var_os("SCALELAB_ADD_LINKS").is_some();
    let update = std::env::var_os("SCALELAB_UPDATE_LINK_HASHES").is_some();
    let mut missing = Vec::new();
    for (name, fragment) in current_links() {
        let path = dir().join(format!("{name}.link"));
        if !path.exists() {
            if add {
                std::fs::write(&path, format!("{fragment}\n")).unwrap();
            } else {
                missing.push(name);
            }
        }
    }
    assert!(missing.is_empty(), "no committed link for {missing:?}: add them with SCALELAB_ADD_LINKS=1");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "link"))
        .collect();
    files.sort();
    let mut regenerated = String::from(
        "# The report (or rightsizing answer) hash each link must open to. Change only with a\n# documented change to the core's results or a format migration.\n",
    );
    let mut wrong = Vec::new();
    for path in &files {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let fragment = std::fs::read_to_string(path).unwrap();
        let hash = match hash_of(fragment.trim()) {
            Ok(h) => h,
            Err(e) => {
                wrong.push(format!("{name}: the link no longer opens: {e}"));
                continue;
            }
        };
        match recorded.get(&name) {
            Some(h) if *h == hash => {}
            Some(h) => wrong.push(format!("{name}: recorded {h}, now {hash}")),
            None if add || update => {}
            None => wrong.push(format!("{name}: no recorded hash (add it with SCALELAB_ADD_LINKS=1)")),
        }
        // Only an update rewrites a recorded hash; adding links keeps the others as they were.
        let keep = if update { &hash } else { recorded.get(&name).unwrap_or(&hash) };
        regenerated.push_str(&format!("{name} {keep}\n"));
    }
    if add || update {
        std::fs::write(&hashes_path, regenerated).unwrap();
        if update {
            return;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(files.len() >= 30, "{} links", files.len());
}
