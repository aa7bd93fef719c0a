//! mailreactor as a library: build a watcher from a profile (read from a
//! file or built in code), register async handlers for event patterns,
//! and run it on your own tokio runtime.
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use mailreactor::{Profile, Watcher};
//!
//! let profile = Profile::load("mail.toml".as_ref(), "mail")?;
//! Watcher::new(profile)
//!     .state_dir("/var/lib/mailbot")
//!     .on("message.received", |event| async move {
//!         println!("{}", event.message().and_then(|m| m.subject.clone()).unwrap_or_default());
//!         Ok(())
//!     })
//!     .run()
//!     .await?;
//! # Ok(()) }
//! ```
//!
//! Handlers are sinks like the CLI's: each runs in its own task with its
//! own queue and delivery cursor, an `Err` is retried with backoff and in
//! the end dead-lettered, and a slow handler delays nothing else. A handler
//! sees each event at least once; de-duplicate on `event.id` if a repeat
//! after a crash matters.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Profile;
use crate::daemon::{self, Outcome};
use crate::error::Error;
use crate::event::Event;
use crate::shutdown::Shutdown;
use crate::sink::{Delivery, Sink, SinkError, SinkSpec};
use crate::subscription::Subscription;

type Handler = dyn Fn(Arc<Event>) -> Delivery<'static> + Send + Sync;

/// A configured watcher, not yet running.
pub struct Watcher {
    profile: Profile,
    state_dir: Option<PathBuf>,
    /// Sinks besides the profile's (which the daemon builds, and rebuilds
    /// on reload).
    sinks: Vec<(Arc<dyn Sink>, SinkSpec)>,
    handlers: usize,
    once: bool,
    instance: Option<String>,
    stop: Shutdown,
}

impl Watcher {
    /// A watcher for `profile`, with the profile's hooks and notifications.
    pub fn new(profile: Profile) -> Watcher {
        Watcher {
            profile,
            state_dir: None,
            sinks: Vec::new(),
            handlers: 0,
            once: false,
            instance: None,
            stop: Shutdown::new(),
        }
    }

    /// Where cursors and the journal live (default: the XDG state directory).
    pub fn state_dir(mut self, dir: impl Into<PathBuf>) -> Watcher {
        self.state_dir = Some(dir.into());
        self
    }

    /// Calls `handler` for every event whose type matches `pattern`
    /// (`"message.received"`, `"message.*"`, `"*"`).
    pub fn on<F, Fut>(self, pattern: &str, handler: F) -> Watcher
    where
        F: Fn(Arc<Event>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.on_with(SinkSpec::new(Subscription::all(&[pattern])), handler)
    }

    /// [`Watcher::on`] with full control: filters, batching, retries.
    pub fn on_with<F, Fut>(mut self, spec: SinkSpec, handler: F) -> Watcher
    where
        F: Fn(Arc<Event>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        // The name keys the handler's delivery cursor: keep registration
        // order stable between runs.
        let name = format!(
            "handler-{}:{}",
            self.handlers,
            spec.subscription.types.join(",")
        );
        self.handlers += 1;
        let f: Arc<Handler> = Arc::new(move |e| {
            let fut = handler(e);
            Box::pin(async move { fut.await.map_err(|e| SinkError::Failed(format!("{e:#}"))) })
        });
        self.sinks.push((Arc::new(HandlerSink { name, f }), spec));
        self
    }

    /// Adds a sink of your own.
    pub fn sink(mut self, sink: Box<dyn Sink>, spec: SinkSpec) -> Watcher {
        self.sinks.push((Arc::from(sink), spec));
        self
    }

    /// Catch up once and return, instead of watching until stopped.
    pub fn once(mut self, once: bool) -> Watcher {
        self.once = once;
        self
    }

    /// This instance's name among instances sharing the accounts through a
    /// `[store]` database (default: the host name and the process id).
    pub fn instance(mut self, name: impl Into<String>) -> Watcher {
        self.instance = Some(name.into());
        self
    }

    /// A handle that stops the watcher when triggered (SIGINT and SIGTERM
    /// stop it too).
    pub fn shutdown_handle(&self) -> Shutdown {
        self.stop.clone()
    }

    /// Runs until stopped (or caught up, with `once`). SIGHUP reloads the
    /// profile from its file.
    pub async fn run(self) -> Result<Outcome, Error> {
        let dir = match self.state_dir {
            Some(d) => d,
            None => crate::config::state_dir().map_err(|_| Error::NoStateDir)?,
        };
        let name = &self.profile.name;
        let location = crate::store::Location::of(self.profile.store.as_ref(), &dir, name);
        // Opening may block (a database's login, a lock): off the runtime,
        // as is letting go of it at the end.
        let opened = tokio::task::spawn_blocking(move || location.open_watch())
            .await
            .map_err(|_| {
                Error::system("cannot open the state", std::io::Error::other("a panic"))
            })?;
        let (backend, hold) = opened?;
        // OAuth2 tokens and the hooks' ledger are kept in the state
        // directory (beside this), whichever the store.
        let db = dir.join(format!("{name}.sqlite"));
        crate::private::parent(&db)
            .map_err(|e| Error::state("cannot make the state directory", e))?;
        let store = crate::store::Store::spawn(backend, &db)
            .map_err(|e| Error::system("cannot start the state database's thread", e))?;
        let instance = self.instance.unwrap_or_else(default_instance);
        let run = (self.once, instance, self.stop);
        let outcome = daemon::run(self.profile, store, self.sinks, run).await;
        let _ = tokio::task::spawn_blocking(move || drop(hold)).await;
        outcome
    }
}

/// The host name and the process id: unique among running instances.
fn default_instance() -> String {
    format!("{}:{}", crate::lock::host_name(), std::process::id())
}

struct HandlerSink {
    name: String,
    f: Arc<Handler>,
}

impl Sink for HandlerSink {
    fn name(&self) -> &str {
        &self.name
    }

    /// The handler runs on a blocking-pool thread of the caller's runtime,
    /// so one that blocks its thread (a synchronous call, a sleep) holds up
    /// only itself, even on a current-thread runtime, and a panic in it is
    /// a failed delivery, not a lost task.
    fn deliver<'a>(&'a self, events: &'a [Arc<Event>]) -> Delivery<'a> {
        let (f, events) = (self.f.clone(), events.to_vec());
        Box::pin(async move {
            let runtime = tokio::runtime::Handle::current();
            let run = move || {
                runtime.block_on(async {
                    for e in events {
                        f(e).await?;
                    }
                    Ok(())
                })
            };
            tokio::task::spawn_blocking(run)
                .await
                .map_err(|e| SinkError::Failed(format!("the handler panicked: {e}")))?
        })
    }
}
