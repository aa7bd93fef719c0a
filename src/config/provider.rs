//! Provider presets: what `provider = "gmail"` (and the others) fills in.
//! Every key written in the profile overrides its preset.

use super::{Provider, Tls};

/// What a provider's IMAP service and, where it offers OAuth2 for IMAP,
/// its endpoints are.
pub(super) struct Preset {
    pub host: &'static str,
    pub port: u16,
    pub tls: Tls,
    pub oauth2: Option<OAuth2Preset>,
}

pub(super) struct OAuth2Preset {
    pub auth_url: &'static str,
    pub token_url: &'static str,
    pub device_url: Option<&'static str>,
    pub scopes: &'static [&'static str],
}

pub(super) fn preset(p: Provider) -> Preset {
    let imaps = |host| Preset {
        host,
        port: 993,
        tls: Tls::Implicit,
        oauth2: None,
    };
    match p {
        Provider::Gmail => Preset {
            oauth2: Some(OAuth2Preset {
                auth_url: "https://accounts.google.com/o/oauth2/v2/auth",
                token_url: "https://oauth2.googleapis.com/token",
                // Google's device flow does not grant the mail scope.
                device_url: None,
                scopes: &["https://mail.google.com/"],
            }),
            ..imaps("imap.gmail.com")
        },
        Provider::Outlook => Preset {
            oauth2: Some(OAuth2Preset {
                auth_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
                token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
                device_url: Some("https://login.microsoftonline.com/common/oauth2/v2.0/devicecode"),
                scopes: &[
                    "https://outlook.office.com/IMAP.AccessAsUser.All",
                    "offline_access",
                ],
            }),
            ..imaps("outlook.office365.com")
        },
        // These three take app passwords for IMAP.
        Provider::Fastmail => imaps("imap.fastmail.com"),
        Provider::Icloud => imaps("imap.mail.me.com"),
        Provider::Yahoo => imaps("imap.mail.yahoo.com"),
    }
}
