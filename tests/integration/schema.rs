//! The published event contract: real events of every type, from real
//! runs, validate against the committed JSON Schema, and the validator is
//! strict enough to catch a field that is not in it.

use crate::common::{Env, PASSWORD};
use serde_json::Value;

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(mailreactor::EVENT_SCHEMA).unwrap();
    jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema is a valid JSON Schema")
}

fn assert_valid(v: &jsonschema::Validator, event: &Value) {
    let errors: Vec<String> = v
        .iter_errors(event)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{event:#}\n{errors:#?}");
}

#[test]
fn real_events_of_every_type_validate() {
    let v = validator();
    let mut env = Env::new(&["INBOX", "Lists"], "");
    env.dovecot.client().create("Lists").unwrap();
    env.append_profile("[[hook]]\nname = \"fails\"\ncommand = [\"false\"]\nmax-attempts = 1\n");
    let mut watch = env.watch();
    watch.wait_connected(2);
    env.dovecot.append(
        "INBOX",
        b"From: =?utf-8?q?J=C3=BCrgen?= <j@example.de>\r\nSubject: with attachment\r\n\
          MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
          Content-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: application/pdf; name=a.pdf\r\n\
          Content-Disposition: attachment; filename=a.pdf\r\n\r\nJVBE\r\n--b--\r\n",
    );
    env.dovecot
        .append("INBOX", b"X-No-Headers-Worth-Mentioning: 1\r\n\r\n");
    watch.wait_type("sink.dead-lettered");
    let mut c = env.dovecot.client();
    c.select("INBOX").unwrap();
    c.uid_store("1", "+FLAGS.SILENT (\\Flagged)").unwrap();
    watch.wait_type("message.flags-changed");
    c.uid_store("2", "+FLAGS.SILENT (\\Deleted)").unwrap();
    c.expunge().unwrap();
    watch.wait_type("message.deleted");
    c.delete("Lists").unwrap();
    c.create("Lists").unwrap();
    watch.wait_type("mailbox.reset");
    env.dovecot.stop();
    watch.wait_type("account.disconnected");
    env.dovecot.start_again();
    let mut seen = std::mem::take(&mut watch.seen);
    drop(watch);

    std::fs::write(
        &env.profile,
        std::fs::read_to_string(&env.profile)
            .unwrap()
            .replace(PASSWORD, "wrong"),
    )
    .unwrap();
    let mut watch = env.watch();
    watch.wait_type("account.auth-failed");
    seen.append(&mut watch.seen);

    let mut types: Vec<&str> = Vec::new();
    for e in &seen {
        assert_valid(&v, e);
        types.push(e["type"].as_str().unwrap());
    }
    for t in mailreactor::EventKind::ALL {
        assert!(types.contains(&t.as_str()), "no {t:?} among {types:?}");
    }
}

#[test]
fn the_schema_is_strict_and_printed_as_committed() {
    let v = validator();
    let good = serde_json::json!({
        "schema": 1, "id": "w/INBOX/1/2/received", "type": "message.received",
        "time": "2026-11-23T07:40:00.123Z", "account": "w", "mailbox": "INBOX",
        "uidvalidity": 1, "uid": 2, "message_id": null, "subject": "s", "from": [], "to": [],
        "cc": [], "date": null, "size": 10, "flags": [], "preview": null, "attachments": []
    });
    assert_valid(&v, &good);
    let mut extra = good.clone();
    extra["surprise"] = Value::from(1);
    assert!(!v.is_valid(&extra), "an undocumented field passed");
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("subject");
    assert!(!v.is_valid(&missing), "a missing field passed");
    let mut wrong = good;
    wrong["type"] = Value::from("account.connected");
    assert!(
        !v.is_valid(&wrong),
        "message fields under another type passed"
    );

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailreactor"))
        .arg("schema")
        .output()
        .unwrap();
    let committed =
        std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/schema/events-1.json")).unwrap();
    assert_eq!(out.stdout, committed);
}

/// The event types and their descriptions are defined once
/// (`EventKind::description`): the JSON Schema, the man page and the
/// README's table say the same.
#[test]
fn event_types_are_described_alike_everywhere() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let schema: Value = serde_json::from_str(mailreactor::EVENT_SCHEMA).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let man = String::from_utf8(
        std::process::Command::new(env!("CARGO_BIN_EXE_mailreactor"))
            .arg("manual")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    // roff escapes hyphens and apostrophes; the text is otherwise as written.
    .replace("\\-", "-")
    .replace("\\*(Aq", "'");
    let entries = schema["oneOf"].as_array().unwrap();
    let listed: Vec<&str> = schema["properties"]["type"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(listed.len(), mailreactor::EventKind::ALL.len());
    for kind in mailreactor::EventKind::ALL {
        let (name, description) = (kind.as_str(), kind.description());
        assert!(listed.contains(&name), "{name} is not in the schema's enum");
        // Its oneOf entry (one entry may cover two types) describes it.
        let entry = entries
            .iter()
            .find(|e| {
                let t = &e["properties"]["type"];
                t["const"] == name
                    || t["enum"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|v| v == name))
            })
            .unwrap_or_else(|| panic!("no schema entry for {name}"));
        let said = entry["description"].as_str().unwrap_or_default();
        assert!(
            said == description || said.contains(&format!("{name}: {description}")),
            "the schema describes {name} as {said:?}, not {description:?}"
        );
        // The README's table: | `name` | description... | fields |
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{name}` |")))
            .unwrap_or_else(|| panic!("the README's event table has no row for {name}"));
        assert!(
            row.contains(&format!("| {description}")),
            "the README describes {name} otherwise: {row}"
        );
        let flat = man.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(description),
            "the man page does not describe {name} as {description:?}"
        );
    }
}
