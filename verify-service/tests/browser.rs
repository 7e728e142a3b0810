//! The upload page in a real browser: headless Chromium, driven through
//! ChromeDriver with the W3C WebDriver protocol (JSON over HTTP, spoken here
//! with hyper), uploads a leak through the page and sees the accused
//! recipient and the chart of every recipient's score.
//!
//! Needs Debian's `chromium` and `chromium-driver` packages (`/usr/bin/chromium`
//! and `/usr/bin/chromedriver`; the `CHROMIUM` and `CHROMEDRIVER` environment
//! variables name other binaries). `.ci/run` installs them. When they are
//! missing the test says so on standard error and passes, unless the `CI`
//! environment variable is set: then it fails, so that CI never skips it
//! silently.

#[path = "../../watermark-cli/tests/received/mod.rs"]
mod received;
mod support;

use std::io::{BufRead as _, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};
use support::{full, make_fixture, try_send, Server};
use tokio::runtime::{Handle, Runtime};
use verify_service::tokens::Tokens;
use verify_service::Config;

const TOKEN: &str = "browser-0123456789abcdef01234567";
/// How a WebDriver response names an element.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";
/// Time allowed for one WebDriver command (starting Chromium included).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// Time allowed for the page to show a result after "Verify".
const RESULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Flags for Chromium without a display, without a sandbox (CI runs as
/// root), and without the background traffic (updates, sync, field trials)
/// that it would otherwise keep sending to a network it cannot reach.
const CHROMIUM_ARGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    // Containers often have a small /dev/shm, which crashes renderers.
    "--disable-dev-shm-usage",
    "--window-size=1280,1400",
];

fn tool(var: &str, default: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from)
}

#[test]
fn the_page_uploads_a_leak_and_shows_the_accused_and_the_chart() {
    let chromium = tool("CHROMIUM", "/usr/bin/chromium");
    let chromedriver = tool("CHROMEDRIVER", "/usr/bin/chromedriver");
    let missing: Vec<String> = [&chromium, &chromedriver]
        .into_iter()
        .filter(|p| !p.is_file())
        .map(|p| p.display().to_string())
        .collect();
    if !missing.is_empty() {
        let why = format!(
            "{} not found: install Debian's chromium and chromium-driver packages \
             (or name the binaries with CHROMIUM and CHROMEDRIVER)",
            missing.join(" and ")
        );
        // CI installs them (.ci/run): there, a missing browser is a failure.
        assert!(std::env::var_os("CI").is_none(), "CI is set and {why}");
        #[allow(clippy::print_stderr)]
        {
            eprintln!("skipping the browser test: {why}");
        }
        return;
    }

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("verify-service-browser");
    let fixture = make_fixture(&dir, 3_000, 4, 50);
    let accused = 2;
    let leak = std::fs::canonicalize(&fixture.leaks[accused]).unwrap();
    let leak_name = leak.file_name().unwrap().to_str().unwrap().to_owned();
    let leak_bytes = std::fs::metadata(&leak).unwrap().len();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let tokens = Tokens::parse(&format!("{TOKEN} fiscalia-7 browser\n")).unwrap();
    let server = rt.block_on(Server::start(Config::new(fixture.state.clone(), tokens)));
    let page = format!("http://{}/", server.addr);

    let profile = tempfile::Builder::new()
        .prefix("chromium-profile-")
        .tempdir_in(&dir)
        .unwrap();
    let started = Instant::now();
    let mut driver = Driver::start(&rt, &chromedriver, &dir);
    let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
    args.push(format!("--user-data-dir={}", profile.path().display()));
    let caps = driver.post(
        "/session",
        json!({"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {"binary": chromium, "args": args},
            "timeouts": {"implicit": 0, "pageLoad": 30_000, "script": 30_000},
        }}}),
    );
    driver.session = Some(caps["sessionId"].as_str().unwrap().to_owned());
    let startup = started.elapsed();

    driver.session_post("/url", json!({ "url": page }));
    let title = driver.session_get("/title");
    assert_eq!(title, "Verify a leaked extract");

    // The token the page asks for, and the leak on its file input (hidden
    // behind the drop zone: ChromeDriver sets files on it all the same).
    let token = driver.find("#token");
    driver.element_post(&token, "/value", json!({ "text": TOKEN }));
    let file = driver.find("#file");
    driver.element_post(&file, "/value", json!({ "text": leak.to_str().unwrap() }));
    let chosen = driver.find("#chosen");
    assert_eq!(
        driver.text(&chosen),
        format!(
            "{leak_name} ({} bytes)",
            watermark_app::text::int(leak_bytes)
        )
    );
    let go = driver.find("#go");
    driver.element_post(&go, "/click", json!({}));

    // Wait for the result, or an error.
    let deadline = Instant::now() + RESULT_TIMEOUT;
    loop {
        if let Some(error) = driver.find_all(".error").first() {
            panic!("the page shows an error: {}", driver.text(error));
        }
        if !driver.find_all("#result h2").is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no result after {RESULT_TIMEOUT:?}; the status reads {:?}",
            driver.text(&driver.find("#status"))
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    assert_eq!(
        driver.text(&driver.find("#result h2")),
        format!("Result for {leak_name}")
    );
    // The accused, and no one else.
    let boxes = driver.find_all("#result .accused");
    assert_eq!(boxes.len(), 1, "one accused");
    let heading = driver.find_in(&boxes[0], "h3");
    assert_eq!(
        driver.text(&heading),
        format!("Accused: {}", fixture.recipients[accused])
    );
    assert!(
        driver.find_all("#result .none").is_empty(),
        "no \"No one accused\" box"
    );

    // The chart: one row per recipient, with its name and a bar; the
    // accused's bar is the highlighted one, and the longest.
    let rows = driver.find_all("#result .bar-row");
    let mut names = Vec::new();
    let mut widths = Vec::new();
    let mut hit = Vec::new();
    for row in &rows {
        let name = driver.text(&driver.find_in(row, ".name"));
        let bars = driver.find_all_in(row, ".bar");
        assert_eq!(bars.len(), 1, "one bar in the row of {name}");
        let rect = driver.element_get(&bars[0], "/rect");
        let height = rect["height"].as_f64().unwrap();
        assert!(height > 0.0, "the bar of {name} is rendered: {rect}");
        widths.push(rect["width"].as_f64().unwrap());
        if !driver.find_all_in(row, ".bar.hit").is_empty() {
            hit.push(name.clone());
        }
        names.push(name);
    }
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(sorted, fixture.recipients, "one bar per recipient");
    assert_eq!(
        hit,
        [fixture.recipients[accused].as_str()],
        "the accused's bar, and only it, is highlighted"
    );
    let hit_width = widths[names.iter().position(|n| *n == hit[0]).unwrap()];
    assert!(
        hit_width > 0.0 && widths.iter().all(|w| *w <= hit_width),
        "the accused's bar is the longest: {names:?} {widths:?}"
    );

    // Nothing reads as an error, and the "Verifying…" status is gone.
    assert!(driver.find_all(".error").is_empty(), "no error shown");
    assert_eq!(driver.text(&driver.find("#status")), "");

    // A screenshot of the page with the chart in view: a well-formed PNG of
    // the browser's viewport.
    let last = rows.last().unwrap();
    driver.session_post(
        "/execute/sync",
        json!({"script": "arguments[0].scrollIntoView({block: 'end'});", "args": [{ ELEMENT: last }]}),
    );
    let viewport = driver.session_post(
        "/execute/sync",
        json!({"script": "return [innerWidth * devicePixelRatio, innerHeight * devicePixelRatio];", "args": []}),
    );
    let png = base64::engine::general_purpose::STANDARD
        .decode(driver.session_get("/screenshot").as_str().unwrap())
        .expect("the screenshot is base64");
    let (width, height) = png_size(&png);
    assert_eq!(
        [f64::from(width), f64::from(height)],
        [viewport[0].as_f64().unwrap(), viewport[1].as_f64().unwrap()],
        "the screenshot is the viewport"
    );
    let shot = dir.join("upload-page.png");
    std::fs::write(&shot, &png).unwrap();

    // The same leak as investigators receive it, in every form the
    // command reads (a workbook with a sheet of notes, compressed, in an
    // archive, JSON, NDJSON, Windows-1252 with `;` and CRLF, UTF-16 with a
    // BOM, header-less): the page takes each as it is, names the same
    // recipient, and the log keeps the BLAKE3 of the bytes uploaded.
    let (header, rows) = {
        let mut r = csv::Reader::from_path(&leak).unwrap();
        let header: Vec<String> = r.headers().unwrap().iter().map(str::to_string).collect();
        let rows: Vec<Vec<String>> = r
            .records()
            .map(|r| r.unwrap().iter().map(str::to_string).collect())
            .collect();
        (header, rows)
    };
    let mut digests = Vec::new();
    for (name, bytes, _, _) in received::leak_files(&header, &rows) {
        let path = dir.join(name);
        std::fs::write(&path, &bytes).unwrap();
        digests.push((name, blake3::hash(&bytes).to_hex().to_string()));
        let file = driver.find("#file");
        driver.element_post(&file, "/value", json!({ "text": path.to_str().unwrap() }));
        driver.element_post(&driver.find("#go"), "/click", json!({}));
        let deadline = Instant::now() + RESULT_TIMEOUT;
        loop {
            if let Some(error) = driver.find_all(".error").first() {
                panic!("the page shows an error for {name}: {}", driver.text(error));
            }
            let heading = driver.find_all("#result h2");
            if heading
                .first()
                .is_some_and(|h| driver.text(h) == format!("Result for {name}"))
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no result for {name} after {RESULT_TIMEOUT:?}; the status reads {:?}",
                driver.text(&driver.find("#status"))
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        let boxes = driver.find_all("#result .accused");
        assert_eq!(boxes.len(), 1, "one accused for {name}");
        assert_eq!(
            driver.text(&driver.find_in(&boxes[0], "h3")),
            format!("Accused: {}", fixture.recipients[accused]),
            "{name}"
        );
    }
    let entries = std::fs::read_to_string(fixture.state.join("log/entries")).unwrap();
    for (name, digest) in &digests {
        assert!(
            entries.contains(&format!("\"leak_blake3\":\"{digest}\"")),
            "{name}: the log has no verification of BLAKE3 {digest}"
        );
    }
    // The page never tells its user to run a command.
    let page_text = driver.text(&driver.find("body"));
    assert!(!page_text.contains("iconv"), "{page_text}");

    // The page in Spanish, as its language switch links it: the same
    // upload names the accused in Spanish.
    driver.session_post("/url", json!({ "url": format!("{page}?lang=es") }));
    assert_eq!(
        driver.session_get("/title"),
        "Verificar un extracto filtrado"
    );
    let token = driver.find("#token");
    driver.element_post(&token, "/value", json!({ "text": TOKEN }));
    let file = driver.find("#file");
    driver.element_post(&file, "/value", json!({ "text": leak.to_str().unwrap() }));
    assert_eq!(
        driver.text(&driver.find("#chosen")),
        format!(
            "{leak_name} ({} bytes)",
            watermark_app::text::int(leak_bytes)
        )
    );
    let go = driver.find("#go");
    assert_eq!(driver.text(&go), "Verificar");
    driver.element_post(&go, "/click", json!({}));
    let deadline = Instant::now() + RESULT_TIMEOUT;
    while driver.find_all("#result h2").is_empty() {
        if let Some(error) = driver.find_all(".error").first() {
            panic!("the Spanish page shows an error: {}", driver.text(error));
        }
        assert!(
            Instant::now() < deadline,
            "no Spanish result after {RESULT_TIMEOUT:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        driver.text(&driver.find("#result h2")),
        format!("Resultado para {leak_name}")
    );
    let boxes = driver.find_all("#result .accused");
    assert_eq!(boxes.len(), 1, "one accused");
    assert_eq!(
        driver.text(&driver.find_in(&boxes[0], "h3")),
        format!("Acusado: {}", fixture.recipients[accused])
    );
    let said = driver.text(&boxes[0]);
    assert!(said.contains("La cota de falsa acusación"), "{said}");
    let found = watermark_app::messages::english_in(&said, 3);
    assert!(found.is_empty(), "English on the Spanish page: {found:?}");

    drop(driver);
    rt.block_on(server.stop());
    #[allow(clippy::print_stderr)]
    {
        eprintln!(
            "browser test: ChromeDriver and Chromium started in {startup:.1?}, \
             all done in {:.1?}; screenshot {}",
            started.elapsed(),
            shot.display()
        );
    }
}

/// The width and height of a PNG, after checking its signature, that every
/// chunk is whole with a correct CRC, that it has image data, and that it
/// ends with IEND.
fn png_size(png: &[u8]) -> (u32, u32) {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    assert!(png.starts_with(SIGNATURE), "not a PNG");
    let mut at = SIGNATURE.len();
    let mut size = None;
    let mut idat = 0usize;
    let mut last = [0u8; 4];
    while at < png.len() {
        assert!(png.len() >= at + 12, "truncated PNG chunk at {at}");
        let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
        let end = at + 8 + len;
        assert!(png.len() >= end + 4, "truncated PNG chunk at {at}");
        let kind: [u8; 4] = png[at + 4..at + 8].try_into().unwrap();
        let data = &png[at + 8..end];
        let crc = u32::from_be_bytes(png[end..end + 4].try_into().unwrap());
        assert_eq!(crc32(&png[at + 4..end]), crc, "CRC of PNG chunk at {at}");
        match &kind {
            b"IHDR" => {
                let w = u32::from_be_bytes(data[0..4].try_into().unwrap());
                let h = u32::from_be_bytes(data[4..8].try_into().unwrap());
                size = Some((w, h));
            }
            b"IDAT" => idat += len,
            _ => {}
        }
        last = kind;
        at = end + 4;
    }
    assert_eq!(&last, b"IEND", "the PNG ends with IEND");
    assert!(idat > 0, "the PNG has image data");
    let (w, h) = size.expect("the PNG has a header");
    assert!(w > 0 && h > 0, "the PNG is {w}x{h}");
    (w, h)
}

/// CRC-32 (ISO 3309), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xedb8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// A ChromeDriver process and, once created, its browser session. Dropping
/// it, even while a failed assertion unwinds, ends the session (which quits
/// Chromium) and kills ChromeDriver and anything it started.
struct Driver {
    rt: Handle,
    addr: SocketAddr,
    child: Child,
    session: Option<String>,
    /// Where a screenshot goes if the test fails while the session is open.
    failure_screenshot: PathBuf,
}

impl Driver {
    fn start(rt: &Runtime, chromedriver: &Path, dir: &Path) -> Driver {
        let log = dir.join("chromedriver.log");
        // Port 0: ChromeDriver takes a free port and says which on its
        // standard output.
        let mut cmd = Command::new(chromedriver);
        cmd.arg("--port=0")
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // Its own process group, so that Chromium can be killed with it.
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let stdout = child.stdout.take().unwrap();
        let mut driver = Driver {
            rt: rt.handle().clone(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            child,
            session: None,
            failure_screenshot: dir.join("failure.png"),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            // "ChromeDriver was started successfully on port 41785."; then
            // read on to the end, so that ChromeDriver never blocks writing.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(port) = line
                    .split_once("started successfully on port ")
                    .and_then(|(_, rest)| rest.trim_end_matches('.').parse::<u16>().ok())
                {
                    let _ = tx.send(port);
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("chromedriver did not start; see {}", log.display()));
        driver.addr.set_port(port);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = driver.child.try_wait() {
                panic!("chromedriver exited ({status}); see {}", log.display());
            }
            if let Ok((200, body)) = driver.call("GET", "/status", None, Duration::from_secs(2)) {
                if body["value"]["ready"] == true {
                    return driver;
                }
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver not ready on port {port}; see {}",
                log.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// One request to ChromeDriver: its status and its JSON answer.
    fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<&Value>,
        timeout: Duration,
    ) -> Result<(u16, Value), String> {
        let addr = self.addr;
        let body = body.map(Value::to_string);
        let exchange = async move {
            let headers: &[(&str, &str)] = match body {
                Some(_) => &[("content-type", "application/json; charset=utf-8")],
                None => &[],
            };
            let (status, _, bytes) =
                try_send(addr, method, path, headers, full(body.unwrap_or_default())).await?;
            let status = status.as_u16();
            let value = serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{status}, not JSON ({e}): {}",
                    String::from_utf8_lossy(&bytes)
                )
            })?;
            Ok((status, value))
        };
        self.rt
            .block_on(async { tokio::time::timeout(timeout, exchange).await })
            .map_err(|_| format!("no answer within {timeout:?}"))?
    }

    /// A WebDriver command: its `value`, or a panic with the error.
    fn command(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        match self.call(method, path, body.as_ref(), COMMAND_TIMEOUT) {
            Ok((200, mut answer)) => answer["value"].take(),
            Ok((status, answer)) => panic!(
                "WebDriver {method} {path}: {status} {}: {}",
                answer["value"]["error"], answer["value"]["message"]
            ),
            Err(e) => panic!("WebDriver {method} {path}: {e}"),
        }
    }

    fn post(&self, path: &str, body: Value) -> Value {
        self.command("POST", path, Some(body))
    }

    fn session_path(&self, path: &str) -> String {
        format!("/session/{}{path}", self.session.as_deref().unwrap())
    }

    fn session_get(&self, path: &str) -> Value {
        self.command("GET", &self.session_path(path), None)
    }

    fn session_post(&self, path: &str, body: Value) -> Value {
        self.command("POST", &self.session_path(path), Some(body))
    }

    fn element_get(&self, element: &str, path: &str) -> Value {
        self.session_get(&format!("/element/{element}{path}"))
    }

    fn element_post(&self, element: &str, path: &str, body: Value) -> Value {
        self.session_post(&format!("/element/{element}{path}"), body)
    }

    fn ids(found: Value) -> Vec<String> {
        found
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e[ELEMENT].as_str().unwrap().to_owned())
            .collect()
    }

    /// The element matching a CSS selector; a panic if none does.
    fn find(&self, css: &str) -> String {
        let found = self.session_post("/element", json!({"using": "css selector", "value": css}));
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    fn find_all(&self, css: &str) -> Vec<String> {
        Self::ids(self.session_post("/elements", json!({"using": "css selector", "value": css})))
    }

    fn find_in(&self, parent: &str, css: &str) -> String {
        let found = self.element_post(
            parent,
            "/element",
            json!({"using": "css selector", "value": css}),
        );
        found[ELEMENT].as_str().unwrap().to_owned()
    }

    fn find_all_in(&self, parent: &str, css: &str) -> Vec<String> {
        Self::ids(self.element_post(
            parent,
            "/elements",
            json!({"using": "css selector", "value": css}),
        ))
    }

    /// An element's rendered text.
    fn text(&self, element: &str) -> String {
        self.element_get(element, "/text")
            .as_str()
            .unwrap()
            .to_owned()
    }
}

impl Driver {
    /// What the page looked like when the test failed, if it can be had.
    fn save_failure_screenshot(&self, session: &str) {
        let path = format!("/session/{session}/screenshot");
        let Ok((200, answer)) = self.call("GET", &path, None, Duration::from_secs(15)) else {
            return;
        };
        let Some(png) = answer["value"]
            .as_str()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        else {
            return;
        };
        if std::fs::write(&self.failure_screenshot, png).is_ok() {
            #[allow(clippy::print_stderr)]
            {
                eprintln!(
                    "the page when the test failed: {}",
                    self.failure_screenshot.display()
                );
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(id) = self.session.take() {
            if std::thread::panicking() {
                self.save_failure_screenshot(&id);
            }
            let _ = self.call(
                "DELETE",
                &format!("/session/{id}"),
                None,
                Duration::from_secs(15),
            );
        }
        // ChromeDriver, and Chromium if the session could not be ended.
        #[cfg(unix)]
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
