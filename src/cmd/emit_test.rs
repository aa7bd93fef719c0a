//! `mailreactor emit-test`: a realistic sample event, sent once through
//! each configured sink (no retries, nothing recorded), so hooks and
//! templates can be tried without waiting for mail.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;

use super::Context;
use crate::event::{Address, Attachment, Event, MessageInfo};

pub fn run(ctx: &Context, only: Option<&str>) -> anyhow::Result<()> {
    let profile = ctx.profile()?;
    let account = profile.accounts[0].name.clone();
    let mailbox = profile.accounts[0].mailboxes[0].clone();
    let event = Arc::new(sample(&account, &mailbox));
    let sinks = match only {
        Some(name) => vec![super::sink_named(&profile, name)?],
        None => super::all_sinks(&profile),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let mut failed = Vec::new();
    for (sink, spec) in &sinks {
        if !spec.subscription.matches(&event) {
            eprintln!(
                "{}: skipped (its subscription does not match the sample)",
                sink.name()
            );
            continue;
        }
        let started = Instant::now();
        match runtime.block_on(sink.deliver(std::slice::from_ref(&event))) {
            Ok(()) => match sink.last_outcome() {
                Some(said) => eprintln!("{}: ok: {said}", sink.name()),
                None => eprintln!("{}: ok ({} ms)", sink.name(), started.elapsed().as_millis()),
            },
            Err(e) => {
                eprintln!(
                    "{}: FAILED: {}",
                    sink.name(),
                    crate::text::terminal_safe(&e.to_string())
                );
                if let Some(said) = sink.last_outcome() {
                    eprintln!("{}: {said}", sink.name());
                }
                failed.push(sink.name().to_string());
            }
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!("the sample event failed at: {}", failed.join(", "))
    }
}

/// A message event as real mail would give, marked as a test.
pub fn sample(account: &str, mailbox: &str) -> Event {
    let info = MessageInfo {
        uidvalidity: 0,
        uid: 0,
        message_id: Some("<emit-test@mailreactor.invalid>".into()),
        subject: Some("Test from mailreactor: Grüße 📬".into()),
        from: vec![Address {
            name: Some("Mailreactor Test".into()),
            address: Some("test@mailreactor.invalid".into()),
        }],
        to: vec![Address {
            name: None,
            address: Some("you@example.com".into()),
        }],
        cc: vec![],
        date: Some(
            crate::event::now_rfc3339()
                .get(..19)
                .unwrap_or_default()
                .to_string()
                + "Z",
        ),
        size: Some(2048),
        flags: vec![],
        preview: Some(
            "This is a sample event sent by `mailreactor emit-test` to try hooks and templates."
                .into(),
        ),
        attachments: vec![Attachment {
            filename: Some("sample.pdf".into()),
            content_type: "application/pdf".into(),
            size: 1024,
        }],
    };
    let mut e = Event::received(account, mailbox, info);
    // Unique, so a consumer that de-duplicates on id still sees each test.
    e.id = format!("{account}/{mailbox}/emit-test/{}", fastrand::u64(..));
    e
}
