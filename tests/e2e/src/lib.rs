//! Drives the playground's release build (`dist/`) in headless Chromium through ChromeDriver.
//!
//! `Site` serves `dist/` on a free local port; `Browser` starts ChromeDriver in its own process
//! group (killed with its Chromium processes on drop) and a browser with a fresh profile. Every
//! wait has a deadline: a page that never gets there fails the test instead of hanging it.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder};
use serde_json::{Value, json};

/// The summary cards as `id=value` strings, in JavaScript.
const SUMMARY_JS: &str = "Array.from(document.querySelectorAll('#summary .card')).map(c => c.dataset.card + '=' + c.querySelector('.value').textContent)";

pub type Result<T = ()> = std::result::Result<T, String>;

/// A static file server for `dist/` on 127.0.0.1.
#[derive(Debug)]
pub struct Site {
    pub url: String,
}

impl Site {
    pub fn serve(dir: PathBuf) -> Result<Site> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let dir = dir.clone();
                std::thread::spawn(move || {
                    let _ = answer(stream, &dir);
                });
            }
        });
        Ok(Site { url: format!("http://127.0.0.1:{port}/") })
    }
}

fn answer(mut stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    let mut line = String::new();
    let mut reader = BufReader::new(stream.try_clone()?);
    reader.read_line(&mut line)?;
    // Skip the headers.
    let mut h = String::new();
    while reader.read_line(&mut h)? > 2 {
        h.clear();
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/");
    let path = path.split(['?', '#']).next().unwrap_or("/");
    let rel = if path == "/" { "index.html" } else { path.trim_start_matches('/') };
    let file = dir.join(rel);
    let inside = !rel.contains("..");
    match std::fs::read(&file) {
        Ok(body) if inside => {
            let mime = match file.extension().and_then(|e| e.to_str()) {
                Some("html") => "text/html; charset=utf-8",
                Some("js") => "text/javascript",
                Some("wasm") => "application/wasm",
                Some("css") => "text/css",
                Some("json") => "application/json",
                _ => "application/octet-stream",
            };
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: {mime}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(&body)
        }
        _ => write!(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    }
}

/// ChromeDriver plus one browser session with a fresh profile.
#[derive(Debug)]
pub struct Browser {
    driver: Child,
    pub client: Client,
    profile: PathBuf,
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

impl Browser {
    pub async fn start(width: u32, height: u32) -> Result<Browser> {
        Browser::launch(width, height, None, &[]).await
    }

    /// A browser started with more Chromium switches (`--log-net-log=FILE`, say).
    pub async fn start_with_args(width: u32, height: u32, args: &[String]) -> Result<Browser> {
        Browser::launch(width, height, None, args).await
    }

    /// A browser whose page sees exactly `width`×`height` CSS pixels at a device pixel ratio
    /// of 1 (headless Chromium's window is wider than 500 px and its page shorter than the
    /// window, so a phone's or a projector's screen needs ChromeDriver's device metrics); a
    /// width under 600 is a touch phone.
    pub async fn start_viewport(width: u32, height: u32) -> Result<Browser> {
        let phone = width < 600;
        let metrics = json!({"width": width, "height": height, "pixelRatio": 1.0, "mobile": phone, "touch": phone});
        Browser::launch(width.max(800), height + 200, Some(metrics), &[]).await
    }

    async fn launch(width: u32, height: u32, device_metrics: Option<Value>, extra: &[String]) -> Result<Browser> {
        let port = free_port()?;
        let mut cmd = Command::new("chromedriver");
        cmd.arg(format!("--port={port}")).stdout(Stdio::null()).stderr(Stdio::null());
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let driver = cmd.spawn().map_err(|e| format!("could not start chromedriver: {e}"))?;
        let profile = std::env::temp_dir().join(format!("scalelab-e2e-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        let mut caps = json!({
            "goog:chromeOptions": {
                "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                         "--disable-background-networking", "--disable-component-update", "--disable-sync",
                         "--disable-dev-shm-usage", format!("--user-data-dir={}", profile.display()),
                         format!("--window-size={width},{height}")]
            }
        });
        if let Some(args) = caps.pointer_mut("/goog:chromeOptions/args").and_then(Value::as_array_mut) {
            args.extend(extra.iter().map(|a| json!(a)));
        }
        if let (Some(metrics), Some(opts)) = (device_metrics, caps.get_mut("goog:chromeOptions")) {
            opts["mobileEmulation"] = json!({ "deviceMetrics": metrics });
        }
        let caps = match caps {
            Value::Object(m) => m,
            _ => return Err("capabilities".into()),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::native().capabilities(caps.clone()).connect(&format!("http://127.0.0.1:{port}")).await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => return Err(format!("no ChromeDriver session in 30 s: {e}")),
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        };
        Ok(Browser { driver, client, profile })
    }

    /// Evaluates `script` (a function body) in the page.
    pub async fn js(&self, script: &str) -> Result<Value> {
        self.client.execute(script, vec![]).await.map_err(|e| format!("script failed: {e}\n{script}"))
    }

    /// Waits until `condition` (a JS expression) is truthy.
    pub async fn wait_for(&self, what: &str, condition: &str, timeout: Duration) -> Result {
        let deadline = Instant::now() + timeout;
        loop {
            let v = self.js(&format!("return !!({condition});")).await.unwrap_or(Value::Bool(false));
            if v == Value::Bool(true) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("timed out after {} s waiting for {what}", timeout.as_secs()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for a run to finish and its charts to be drawn.
    pub async fn wait_for_charts(&self) -> Result {
        self.wait_for(
            "the simulation and the charts",
            "document.querySelector('#run-status') && document.querySelector('#run-status').dataset.running === 'false' \
             && document.querySelector('#run-status').dataset.firstChartsMs !== '' \
             && document.querySelectorAll('#summary .card').length === 7",
            Duration::from_secs(120),
        )
        .await
    }

    /// The summary cards as `id=value` strings.
    pub async fn summary(&self) -> Result<Vec<String>> {
        let v = self.js(&format!("return {SUMMARY_JS};")).await?;
        Ok(v.as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(String::from)).collect()).unwrap_or_default())
    }

    /// Waits until the summary cards differ from `before` (a new run, partial or complete).
    pub async fn wait_for_summary_other_than(&self, before: &[String]) -> Result {
        let before = serde_json::to_string(before).map_err(|e| e.to_string())?;
        let quoted = serde_json::to_string(&before).map_err(|e| e.to_string())?;
        self.wait_for(
            "a different summary",
            &format!("JSON.stringify({SUMMARY_JS}) !== {quoted}"),
            Duration::from_secs(60),
        )
        .await
    }

    /// Pixels of a chart's canvas that differ from its background.
    pub async fn ink(&self, canvas_id: &str) -> Result<u64> {
        let v = self
            .js(&format!(
                "const c = document.getElementById('{canvas_id}'); if (!c) return -1;
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 let n = 0; for (let i = 0; i < d.length; i += 4) {{
                   if (Math.abs(d[i] - d[0]) + Math.abs(d[i+1] - d[1]) + Math.abs(d[i+2] - d[2]) > 60) n++; }}
                 return n;"
            ))
            .await?;
        v.as_i64().and_then(|n| u64::try_from(n).ok()).ok_or_else(|| format!("no canvas {canvas_id}"))
    }

    /// Sets a form control's value and fires the event the page listens to.
    pub async fn set_value(&self, selector: &str, value: &str, event: &str) -> Result {
        let v = serde_json::to_string(value).map_err(|e| e.to_string())?;
        self.js(&format!(
            "const el = document.querySelector('{selector}'); el.value = {v};
             el.dispatchEvent(new Event('{event}', {{bubbles: true}})); return true;"
        ))
        .await
        .map(|_| ())
    }

    pub async fn screenshot(&self, name: &str) -> Result<PathBuf> {
        let dir = std::env::var_os("SCALELAB_SCREENSHOTS").map(PathBuf::from).unwrap_or_else(|| "target/e2e".into());
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let png = self.client.screenshot().await.map_err(|e| e.to_string())?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|e| e.to_string())?;
        Ok(path)
    }

    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Kill ChromeDriver's whole process group: Chromium's processes go with it.
        // (`kill -s KILL -- -PGID`: procps-ng 4 reads `kill -KILL -PGID` as a signal to every
        // process.)
        let pgid = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-s", "KILL", "--", &pgid]).status();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The site to test: `$SCALELAB_DIST` (set by `cargo xtask test`), else `dist/`.
pub fn site() -> Result<Site> {
    let dir = std::env::var_os("SCALELAB_DIST").map(PathBuf::from).unwrap_or_else(|| "../../dist".into());
    if !dir.join("index.html").exists() {
        return Err(format!("{} has no index.html: run `cargo xtask dist` first", dir.display()));
    }
    Site::serve(dir)
}
