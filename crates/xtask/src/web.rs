//! The web playground's tools and builds: `serve`, `dist`, the browser tests and `bench-web`.
//!
//! Versions that work on these machines (see the README): Trunk 0.21.14, the wasm-bindgen CLI
//! of exactly the version in Cargo.lock (0.2.130), and wasm-opt 132 from npm's `binaryen`
//! package (Debian's binaryen 108 produces a page that never mounts). Everything is installed
//! once, skipping what is present, and Trunk runs offline so it never tries to download.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use crate::{Result, cargo, ensure_wasm_target, output, root, run};

const TRUNK_VERSION: &str = "0.21.14";
const WASM_BINDGEN_VERSION: &str = "0.2.130";
const BINARYEN_VERSION: &str = "132.0.0";

fn cargo_bin() -> PathBuf {
    let home = std::env::var("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(std::env::var("HOME").unwrap_or_else(|_| "/root".into())).join(".cargo"));
    home.join("bin")
}

fn tools_dir() -> PathBuf {
    root().join(".tools")
}

/// PATH with wasm-opt (npm binaryen) and cargo's bin folder first.
fn tool_path() -> String {
    let old = std::env::var("PATH").unwrap_or_default();
    format!("{}:{}:{old}", tools_dir().join("node_modules/.bin").display(), cargo_bin().display())
}

fn version_of(program: &str) -> Option<String> {
    let out = Command::new(program).arg("--version").env("PATH", tool_path()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn timed(what: &str, estimate: &str, f: impl FnOnce() -> Result) -> Result {
    println!("    installing {what} (about {estimate} on 2 cores; once per machine)");
    let t = Instant::now();
    f()?;
    println!("    installed {what} in {:.0} s", t.elapsed().as_secs_f64());
    Ok(())
}

/// Installs what the web build needs, skipping what is present.
pub fn ensure_web_tools() -> Result {
    ensure_wasm_target()?;
    if !version_of("trunk").is_some_and(|v| v.contains(TRUNK_VERSION)) {
        timed(&format!("Trunk {TRUNK_VERSION}"), "11 minutes", || {
            let mut c = Command::new("cargo");
            c.args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]);
            run(c)
        })?;
    }
    if !version_of("wasm-bindgen").is_some_and(|v| v.contains(WASM_BINDGEN_VERSION)) {
        // Without --locked: with it, a locked dependency is missing from the registry.
        timed(&format!("wasm-bindgen-cli {WASM_BINDGEN_VERSION}"), "6 minutes", || {
            let mut c = Command::new("cargo");
            c.args(["install", "wasm-bindgen-cli", "--version", WASM_BINDGEN_VERSION]);
            run(c)
        })?;
    }
    if !version_of("wasm-opt").is_some_and(|v| v.contains("version 132")) {
        crate::system::ensure(&[crate::system::NPM])?;
        timed(&format!("wasm-opt (npm binaryen@{BINARYEN_VERSION})"), "10 seconds", || {
            std::fs::create_dir_all(tools_dir()).map_err(|e| e.to_string())?;
            let mut c = Command::new("npm");
            c.args(["install", "--no-audit", "--no-fund", "--prefix"])
                .arg(tools_dir())
                .arg(format!("binaryen@{BINARYEN_VERSION}"));
            run(c)
        })?;
    }
    // Trunk builds offline: fetch the crates first.
    let mut c = cargo();
    c.args(["fetch", "--target", "wasm32-unknown-unknown"]);
    run(c)
}

fn trunk() -> Command {
    let mut c = Command::new(cargo_bin().join("trunk"));
    c.current_dir(root()).env("PATH", tool_path());
    c
}

/// `cargo xtask serve`: builds the page and serves it on http://127.0.0.1:8080.
pub fn serve() -> Result {
    println!("==> installing what the page needs (skipped when present)");
    ensure_web_tools()?;
    println!("==> building and serving the playground on http://127.0.0.1:8080 (Ctrl-C stops)");
    println!("    (the first release build takes about 4 minutes; later ones seconds)");
    let mut c = trunk();
    c.args(["serve", "--release"]);
    run(c)
}

/// `cargo xtask dist`: the release site in `dist/`, with its content-security policy.
pub fn dist() -> Result {
    ensure_web_tools()?;
    let mut c = trunk();
    c.args(["build", "--release"]);
    run(c)?;
    add_csp()?;
    let dir = root().join("dist");
    let mut total = 0u64;
    for e in std::fs::read_dir(&dir).map_err(|e| e.to_string())?.flatten() {
        let len = e.metadata().map(|m| m.len()).unwrap_or(0);
        total += len;
        println!("    {:>10} B  {}", len, e.file_name().to_string_lossy());
    }
    println!("    dist/ holds {total} bytes of static files: any static host serves them");
    Ok(())
}

/// Trunk's loader is an inline module script; the policy allows exactly that script by its
/// SHA-256, plus the site's own files and wasm compilation.
fn add_csp() -> Result {
    let path = root().join("dist/index.html");
    let html = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let start_tag = "<script type=\"module\">";
    let start = html.find(start_tag).ok_or("dist/index.html has no inline loader script")? + start_tag.len();
    let len = html.get(start..).and_then(|s| s.find("</script>")).ok_or("unterminated loader script")?;
    let script = html.get(start..start + len).ok_or("loader script out of range")?;
    let hash = sha256_base64(script.as_bytes())?;
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'sha256-{hash}'; style-src 'self'; \
         img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"
    );
    let meta = format!("<meta http-equiv=\"Content-Security-Policy\" content=\"{policy}\">");
    let html = html.replacen("<meta charset=\"utf-8\">", &format!("<meta charset=\"utf-8\">\n    {meta}"), 1);
    std::fs::write(&path, html).map_err(|e| e.to_string())?;
    println!("    content-security policy added (loader script sha256-{hash})");
    Ok(())
}

fn sha256_base64(bytes: &[u8]) -> Result<String> {
    let tmp = root().join("target/xtask/loader.js");
    std::fs::create_dir_all(root().join("target/xtask")).map_err(|e| e.to_string())?;
    std::fs::write(&tmp, bytes).map_err(|e| e.to_string())?;
    let hex = output({
        let mut c = Command::new("sha256sum");
        c.arg(&tmp);
        c
    })?;
    let hex = hex.split_whitespace().next().ok_or("sha256sum printed nothing")?;
    let raw: Vec<u8> = (0..hex.len() / 2)
        .filter_map(|i| hex.get(2 * i..2 * i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    Ok(base64(&raw))
}

fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk.first().copied().unwrap_or(0),
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(T.get(((n >> (18 - 6 * k)) & 63) as usize).map_or('A', |&b| char::from(b)));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn chromedriver_present() -> Result {
    use crate::system::{CHROMEDRIVER, CHROMIUM, OPENSSL, ensure};
    ensure(&[CHROMIUM, CHROMEDRIVER, OPENSSL])
}

/// The in-browser unit tests: the core in headless Chromium gives the native report hashes.
pub fn browser_unit_tests() -> Result {
    ensure_web_tools()?;
    chromedriver_present()?;
    let mut c = cargo();
    c.args(["test", "-p", "scalelab-web", "--target", "wasm32-unknown-unknown", "--release", "--test", "browser"])
        .env("PATH", tool_path())
        .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", cargo_bin().join("wasm-bindgen-test-runner"))
        .env("CHROMEDRIVER", "chromedriver")
        .env("WASM_BINDGEN_TEST_TIMEOUT", "120");
    run(c)
}

/// End-to-end tests against the release site in headless Chromium.
pub fn e2e() -> Result {
    chromedriver_present()?;
    dist()?;
    let mut c = cargo();
    c.args(["test", "-p", "scalelab-e2e", "--", "--ignored", "--test-threads=1", "--nocapture"])
        .env("SCALELAB_DIST", root().join("dist"))
        .env("SCALELAB_SCREENSHOTS", root().join("target/e2e"));
    run(c)?;
    println!("    screenshots in target/e2e/");
    Ok(())
}

/// `cargo xtask bench-web`: page timings in headless Chromium.
pub fn bench_web() -> Result {
    chromedriver_present()?;
    dist()?;
    let mut c = cargo();
    c.args(["run", "--release", "-q", "-p", "scalelab-e2e", "--bin", "bench-web"])
        .env("SCALELAB_DIST", root().join("dist"));
    run(c)
}
