//! A real headless browser (Debian's `chromium`) driven over the Chrome
//! DevTools Protocol: open a page, evaluate JavaScript in it, take a
//! screenshot. A check that fails leaves a screenshot under
//! `target/test-screenshots/` and names it in the panic.

use std::net::TcpStream;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

use super::dovecot::free_port;

pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    next_id: u64,
    /// The messages of the dialogs (`alert`, ...) the page opened; each is
    /// dismissed at once. A page that shows mail should open none.
    pub dialogs: Vec<String>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts a headless chromium showing `url`.
    pub fn open(url: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let port = free_port();
        let child = Command::new("chromium")
            .args([
                "--headless=new",
                // Running as root in a container: no namespace sandbox.
                "--no-sandbox",
                "--disable-gpu",
                // Containers often have a small /dev/shm.
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--window-size=1200,800",
                "--remote-debugging-address=127.0.0.1",
                &format!("--remote-debugging-port={port}"),
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own group: the renderers and helpers end with it.
            .process_group(0)
            .spawn()
            .expect("chromium is needed for this test (apt-get install -y chromium; cargo xtask test installs it)");
        let deadline = Instant::now() + Duration::from_secs(30);
        let target = loop {
            let pages: Value = ureq::get(&format!("http://127.0.0.1:{port}/json/list"))
                .timeout(Duration::from_secs(2))
                .call()
                .ok()
                .and_then(|r| r.into_json().ok())
                .unwrap_or_default();
            let page = pages.as_array().and_then(|all| {
                all.iter()
                    .find(|p| p["type"] == "page")
                    .and_then(|p| p["webSocketDebuggerUrl"].as_str())
                    .map(str::to_string)
            });
            if let Some(page) = page {
                break page;
            }
            assert!(Instant::now() < deadline, "chromium did not start");
            std::thread::sleep(Duration::from_millis(100));
        };
        let stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let (ws, _) = tungstenite::client(target.as_str(), stream).expect("the DevTools socket");
        let mut browser = Browser {
            child,
            ws,
            next_id: 0,
            dialogs: Vec::new(),
            _profile: profile,
        };
        browser.call("Page.enable", json!({}));
        browser
    }

    /// Sends a DevTools command and returns its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({ "id": id, "method": method, "params": params });
        self.ws
            .send(Message::text(msg.to_string()))
            .expect("a DevTools command");
        loop {
            let reply = self.ws.read().expect("a DevTools answer");
            let Message::Text(text) = reply else { continue };
            let v: Value = serde_json::from_str(&text).unwrap_or_default();
            if v["method"] == "Page.javascriptDialogOpening" {
                self.dialogs
                    .push(v["params"]["message"].as_str().unwrap_or_default().into());
                self.next_id += 1;
                let dismiss = json!({ "id": self.next_id,
                    "method": "Page.handleJavaScriptDialog", "params": { "accept": false } });
                self.ws
                    .send(Message::text(dismiss.to_string()))
                    .expect("a DevTools command");
                continue;
            }
            if v["id"] == id {
                assert!(v["error"].is_null(), "{method}: {}", v["error"]);
                return v["result"].clone();
            }
        }
    }

    /// The value of the JavaScript expression `js` in the page.
    pub fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": js, "returnByValue": true, "awaitPromise": true }),
        );
        r["result"]["value"].clone()
    }

    /// Saves what the page shows now as a PNG at `path`.
    pub fn screenshot(&mut self, path: &Path) {
        let r = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64::engine::general_purpose::STANDARD
            .decode(r["data"].as_str().unwrap_or_default())
            .expect("a base64 screenshot");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap();
        }
        std::fs::write(path, png).unwrap();
    }

    /// Waits until the JavaScript expression `js` is true; otherwise takes
    /// a screenshot named `name` and panics with where it is and what the
    /// page says.
    pub fn wait_until(&mut self, name: &str, what: &str, js: &str) {
        let deadline = Instant::now() + super::PATIENCE;
        while Instant::now() < deadline {
            if self.eval(js) == Value::Bool(true) {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let shot = screenshot_dir().join(format!("{name}.png"));
        self.screenshot(&shot);
        let text = self.eval("document.body.innerText");
        panic!(
            "the page never showed {what}; screenshot: {}\npage text:\n{}",
            shot.display(),
            text.as_str().unwrap_or_default()
        );
    }
}

/// Where failing checks leave their screenshots.
fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-screenshots")
}

impl Drop for Browser {
    fn drop(&mut self) {
        let group = i32::try_from(self.child.id()).expect("a pid fits in i32");
        // SAFETY: kill(2) with a negative pid signals that process group.
        unsafe { libc::kill(-group, libc::SIGKILL) };
        let _ = self.child.wait();
    }
}
