//! An HTTP/1.1 receiver on loopback (plain or TLS), as a webhook endpoint:
//! it keeps connections alive, records every request, and answers as the
//! test plans (a status, headers, a delay, or no answer at all).

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request as it arrived.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// Names in lower case.
    pub headers: HashMap<String, String>,
    pub body: String,
    pub at: Instant,
    /// Which connection it came on (0, 1, ...).
    pub connection: usize,
    /// The status it was answered with (0: none).
    pub answered: u16,
}

/// How to answer a request.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub delay: Duration,
    /// Never answer (the connection is held open).
    pub hang: bool,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            delay: Duration::ZERO,
            hang: false,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn hang() -> Reply {
        Reply {
            hang: true,
            ..Reply::status(200)
        }
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    plan: VecDeque<Reply>,
    default: Option<Reply>,
    connections: usize,
}

pub struct Receiver {
    pub port: u16,
    state: Arc<Mutex<State>>,
    tls: bool,
}

trait Conn: Read + Write + Send {}
impl<T: Read + Write + Send> Conn for T {}

impl Receiver {
    /// A plain HTTP receiver.
    pub fn start() -> Receiver {
        Receiver::serve(None)
    }

    /// An HTTPS receiver with the certificate and key (PEM) given.
    pub fn start_tls(cert: &Path, key: &Path) -> Receiver {
        let identity = native_tls::Identity::from_pkcs8(
            &std::fs::read(cert).unwrap(),
            &std::fs::read(key).unwrap(),
        )
        .unwrap();
        Receiver::serve(Some(native_tls::TlsAcceptor::new(identity).unwrap()))
    }

    fn serve(tls: Option<native_tls::TlsAcceptor>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let s = state.clone();
        let is_tls = tls.is_some();
        std::thread::spawn(move || {
            for tcp in listener.incoming().map_while(Result::ok) {
                let (s, tls) = (s.clone(), tls.clone());
                std::thread::spawn(move || {
                    let conn: Box<dyn Conn> = match tls {
                        Some(a) => match a.accept(tcp) {
                            Ok(t) => Box::new(t),
                            Err(_) => return,
                        },
                        None => Box::new(tcp),
                    };
                    serve_connection(conn, &s);
                });
            }
        });
        Receiver {
            port,
            state,
            tls: is_tls,
        }
    }

    pub fn url(&self, path: &str) -> String {
        if self.tls {
            format!("https://localhost:{}{path}", self.port)
        } else {
            format!("http://127.0.0.1:{}{path}", self.port)
        }
    }

    /// Answers the next requests so, in order.
    pub fn plan(&self, replies: impl IntoIterator<Item = Reply>) {
        self.state.lock().unwrap().plan.extend(replies);
    }

    /// Answers every request not planned so (200 when never set).
    pub fn answer_with(&self, reply: Reply) {
        self.state.lock().unwrap().default = Some(reply);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }

    /// How many requests were answered with a 2xx.
    pub fn accepted_count(&self) -> usize {
        let s = self.state.lock().unwrap();
        s.requests
            .iter()
            .filter(|r| (200..300).contains(&r.answered))
            .count()
    }

    /// The requests that were answered with a 2xx.
    pub fn accepted(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| (200..300).contains(&r.answered))
            .collect()
    }
}

fn serve_connection(conn: Box<dyn Conn>, state: &Arc<Mutex<State>>) {
    let connection = {
        let mut s = state.lock().unwrap();
        s.connections += 1;
        s.connections - 1
    };
    let mut reader = BufReader::new(conn);
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or("").to_string(),
            parts.next().unwrap_or("").to_string(),
        );
        let mut headers = HashMap::new();
        loop {
            let mut h = String::new();
            if reader.read_line(&mut h).unwrap_or(0) == 0 {
                return;
            }
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
            }
        }
        let len: usize = headers
            .get("content-length")
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (reply, index) = {
            let mut s = state.lock().unwrap();
            let reply = s
                .plan
                .pop_front()
                .or_else(|| s.default.clone())
                .unwrap_or_else(|| Reply::status(200));
            s.requests.push(Request {
                method,
                path,
                headers,
                body: String::from_utf8_lossy(&body).into_owned(),
                at: Instant::now(),
                connection,
                answered: 0,
            });
            (reply, s.requests.len() - 1)
        };
        if reply.hang {
            // Hold the connection; answer nothing, ever.
            loop {
                std::thread::sleep(Duration::from_secs(3600));
            }
        }
        std::thread::sleep(reply.delay);
        // 204 and 304 carry no body (a client would read it as the next answer).
        let body = if matches!(reply.status, 204 | 304) {
            ""
        } else {
            "ok"
        };
        let mut out = format!(
            "HTTP/1.1 {} Planned\r\nContent-Length: {}\r\n",
            reply.status,
            body.len()
        );
        for (k, v) in &reply.headers {
            out += &format!("{k}: {v}\r\n");
        }
        out += "\r\n";
        out += body;
        state.lock().unwrap().requests[index].answered = reply.status;
        let w = reader.get_mut();
        if w.write_all(out.as_bytes())
            .and_then(|()| w.flush())
            .is_err()
        {
            return;
        }
    }
}
