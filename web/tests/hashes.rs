//! The report hashes that the in-browser test (`tests/browser.rs`) expects are checked here
//! against native runs, so the fixture cannot drift from the core. After a deliberate change
//! to the core's results, regenerate it with `SCALELAB_UPDATE_HASHES=1 cargo test -p scalelab-web --test hashes`.

#![cfg(not(target_arch = "wasm32"))]
#![allow(clippy::unwrap_used, clippy::panic)]

const FIXTURE: &str = include_str!("fixtures/report-hashes.txt");

#[test]
fn the_fixture_matches_native_runs() {
    let mut regenerated = String::new();
    let mut wrong = Vec::new();
    for line in FIXTURE.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let (name, seed, hash) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let s = scalelab_core::examples::get(name).unwrap();
        let native =
            format!("{:016x}", scalelab_core::simulate(&s, Some(seed.parse().unwrap())).unwrap().hash().unwrap());
        if native != hash {
            wrong.push(format!("{name} seed {seed}: fixture {hash}, native {native}"));
        }
        regenerated.push_str(&format!("{name} {seed} {native}\n"));
    }
    if std::env::var_os("SCALELAB_UPDATE_HASHES").is_some() {
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/report-hashes.txt"), regenerated).unwrap();
        return;
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
