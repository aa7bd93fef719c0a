//! A private Prometheus (Debian's `prometheus`) on a free loopback port that
//! scrapes one target every second, and its query API.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::dovecot::free_port;

pub struct Prometheus {
    pub port: u16,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts one that scrapes `http://127.0.0.1:{target}/metrics` as the
    /// job `mailreactor`.
    pub fn scraping(target: u16) -> Prometheus {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
                 scrape_configs:\n  - job_name: mailreactor\n    static_configs:\n      \
                 - targets: ['127.0.0.1:{target}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.path().join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("prometheus is needed for this test (apt-get install -y prometheus; cargo xtask test installs it)");
        let p = Prometheus {
            port,
            child,
            _dir: dir,
        };
        super::eventually("prometheus ready", || {
            ureq::get(&format!("http://127.0.0.1:{port}/-/ready"))
                .timeout(Duration::from_secs(2))
                .call()
                .is_ok()
        });
        p
    }

    /// `GET /api/v1/{path}?{query}` as JSON (`Null` when it cannot be had).
    pub fn api(&self, path: &str, query: &[(&str, &str)]) -> serde_json::Value {
        let mut req = ureq::get(&format!("http://127.0.0.1:{}/api/v1/{path}", self.port))
            .timeout(Duration::from_secs(5));
        for (k, v) in query {
            req = req.query(k, v);
        }
        req.call()
            .ok()
            .and_then(|r| r.into_json().ok())
            .unwrap_or_default()
    }

    /// The value of the instant query `promql` when it has one series.
    pub fn value(&self, promql: &str) -> Option<f64> {
        let v = self.api("query", &[("query", promql)]);
        let result = v["data"]["result"].as_array()?;
        if result.len() != 1 {
            return None;
        }
        result[0]["value"][1].as_str()?.parse().ok()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
