//! OAuth2 for the tests: a Dovecot that validates JWTs itself (its oauth2
//! passdb in local mode), HS256 tokens minted here, and a token endpoint on
//! loopback that plays the provider (refresh, rotation, code exchange with
//! PKCE, refusal).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::dovecot::Dovecot;

/// The HS256 key Dovecot and the token endpoint share.
pub const KEY: &[u8] = b"mailreactor-test-signing-key-0123456789";

/// A JWT for `sub` that expires `lifetime` seconds from now (negative:
/// already expired).
pub fn jwt(sub: &str, lifetime: i64) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT","kid":"default"}"#);
    let claims = URL_SAFE_NO_PAD.encode(format!(
        r#"{{"sub":"{sub}","iat":{},"exp":{},"jti":"{:016x}"}}"#,
        now - 5,
        now + lifetime,
        fastrand::u64(..)
    ));
    let input = format!("{header}.{claims}");
    let key = openssl::pkey::PKey::hmac(KEY).unwrap();
    let mut signer =
        openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    signer.update(input.as_bytes()).unwrap();
    let sig = URL_SAFE_NO_PAD.encode(signer.sign_to_vec().unwrap());
    format!("{input}.{sig}")
}

/// A Dovecot that takes XOAUTH2 and OAUTHBEARER (checking tokens against
/// [`KEY`]); with `only`, nothing else (no LOGIN, no PLAIN).
pub fn server(only: bool) -> (Dovecot, tempfile::TempDir) {
    let dir = tempfile::Builder::new()
        .prefix("mr-oauth-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let keys = dir.path().join("keys");
    let key_dir = keys.join("default/HS256");
    std::fs::create_dir_all(&key_dir).unwrap();
    for d in [&keys, &keys.join("default"), &key_dir] {
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let key_file = key_dir.join("default");
    std::fs::write(&key_file, STANDARD.encode(KEY)).unwrap();
    std::fs::set_permissions(&key_file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let args = dir.path().join("oauth2.conf");
    std::fs::write(
        &args,
        format!(
            "introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix={}/\n\
             username_attribute = sub\n",
            keys.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&args, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mechanisms = if only {
        "xoauth2 oauthbearer"
    } else {
        "plain login xoauth2 oauthbearer"
    };
    let dovecot = crate::common::server(&format!(
        "auth_mechanisms = {mechanisms}\npassdb {{\n  driver = oauth2\n  \
         mechanisms = xoauth2 oauthbearer\n  args = {}\n}}\n",
        args.display()
    ));
    (dovecot, dir)
}

/// What the token endpoint knows and saw.
#[derive(Default)]
pub struct Provider {
    /// Refresh tokens it accepts.
    pub refresh_tokens: HashSet<String>,
    /// Rotate: answer a refresh with a new refresh token (and forget the old).
    pub rotate: bool,
    /// Lifetime of the access tokens it mints, in seconds.
    pub lifetime: i64,
    /// Authorization codes it issued, with their PKCE challenge.
    pub codes: HashMap<String, String>,
    /// Every request's form, in order.
    pub requests: Vec<HashMap<String, String>>,
    /// The user entered the device code (RFC 8628) and said yes.
    pub device_approved: bool,
    /// Sent as `expires_in` instead of the lifetime (a hostile number).
    pub expires_in: Option<String>,
}

/// The token endpoint: `http://127.0.0.1:PORT/token`.
pub struct TokenEndpoint {
    pub port: u16,
    pub provider: Arc<Mutex<Provider>>,
}

impl TokenEndpoint {
    pub fn start(refresh_tokens: &[&str], lifetime: i64) -> TokenEndpoint {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let provider = Arc::new(Mutex::new(Provider {
            refresh_tokens: refresh_tokens.iter().map(|s| s.to_string()).collect(),
            lifetime,
            ..Provider::default()
        }));
        let p = provider.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().map_while(Result::ok) {
                serve(stream, &p);
            }
        });
        TokenEndpoint { port, provider }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.port)
    }

    pub fn requests(&self) -> Vec<HashMap<String, String>> {
        self.provider.lock().unwrap().requests.clone()
    }
}

fn serve(stream: TcpStream, provider: &Mutex<Provider>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    let mut length = 0;
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let (status, answer) = if path == "/device" {
        provider.lock().unwrap().requests.push(form);
        (
            "200 OK",
            r#"{"device_code":"dc-1","user_code":"WDJB-MJHT","verification_uri":"https://auth.example.test/device","expires_in":60,"interval":1}"#
                .to_string(),
        )
    } else {
        answer(&form, &mut provider.lock().unwrap())
    };
    let mut stream = stream;
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{answer}",
        answer.len()
    );
}

fn answer(form: &HashMap<String, String>, p: &mut Provider) -> (&'static str, String) {
    p.requests.push(form.clone());
    let refused = |what: &str| {
        (
            "400 Bad Request",
            format!(r#"{{"error":"invalid_grant","error_description":"{what}"}}"#),
        )
    };
    let grant = form.get("grant_type").map(String::as_str);
    let new_refresh = match grant {
        Some("refresh_token") => {
            let Some(rt) = form
                .get("refresh_token")
                .filter(|t| p.refresh_tokens.contains(*t))
            else {
                return refused("Token has been expired or revoked.");
            };
            if p.rotate {
                p.refresh_tokens.remove(&rt.clone());
                let next = format!("rt-rotated-{:08x}", fastrand::u32(..));
                p.refresh_tokens.insert(next.clone());
                Some(next)
            } else {
                None
            }
        }
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            let Some(challenge) = p.codes.remove(&code) else {
                return refused("unknown code");
            };
            let verifier = form.get("code_verifier").cloned().unwrap_or_default();
            let hashed = URL_SAFE_NO_PAD.encode(openssl::sha::sha256(verifier.as_bytes()));
            if hashed != challenge {
                return refused("PKCE verification failed");
            }
            let rt = format!("rt-login-{:08x}", fastrand::u32(..));
            p.refresh_tokens.insert(rt.clone());
            Some(rt)
        }
        Some("urn:ietf:params:oauth:grant-type:device_code") => {
            if form.get("device_code").map(String::as_str) != Some("dc-1") {
                return refused("unknown device code");
            }
            if !p.device_approved {
                return (
                    "400 Bad Request",
                    r#"{"error":"authorization_pending"}"#.into(),
                );
            }
            let rt = format!("rt-device-{:08x}", fastrand::u32(..));
            p.refresh_tokens.insert(rt.clone());
            Some(rt)
        }
        _ => {
            return (
                "400 Bad Request",
                r#"{"error":"unsupported_grant_type"}"#.into(),
            );
        }
    };
    let mut json = format!(
        r#"{{"access_token":"{}","token_type":"Bearer","expires_in":{}"#,
        jwt("alice", p.lifetime),
        p.expires_in
            .clone()
            .unwrap_or_else(|| p.lifetime.to_string())
    );
    if let Some(rt) = new_refresh {
        json.push_str(&format!(r#","refresh_token":"{rt}""#));
    }
    json.push('}');
    ("200 OK", json)
}
