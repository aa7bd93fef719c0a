
use builtin;
use str;

set edit:completion:arg-completer[mailreactor] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'mailreactor'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'mailreactor'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand watch 'Watch the profile''s mailboxes and print an event per new message'
            cand check 'Check the profile, log in to every account, and show each mailbox'
            cand init 'Write a commented starter profile (never overwrites one)'
            cand emit-test 'Send a sample new-mail event through the configured sinks, once'
            cand state 'Show or reset what mailreactor remembers per mailbox'
            cand completions 'Print the completion script for a shell'
            cand cluster 'Show the instances sharing the accounts through a [store] database: when each was last seen, the accounts each holds, and each sink''s lag'
            cand replay 'Send journaled events again, to stdout or through one sink'
            cand dead-letters 'List, retry or drop the deliveries sinks gave up on'
            cand auth 'Sign in to OAuth2 accounts (Gmail, Outlook, ...)'
            cand systemd-unit 'Print a systemd user unit: one instance per profile'
            cand schema 'Print the JSON Schema of every event (schema 1)'
            cand manual 'Print a man page (roff): `mailreactor manual | man -l -`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailreactor;watch'= {
            cand --instance 'This instance''s name among those sharing the accounts through a [store] database (default: the host name and the process id)'
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand --json 'Print events as JSON lines even on a terminal'
            cand --once 'Catch up (announce what is new since the last run), then exit'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;check'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand --json 'Print the report as JSON'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;init'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;emit-test'= {
            cand --sink 'Only this sink (a hook''s name, "notify" or "stdout")'
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;state'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand show 'Show each mailbox''s cursor and last activity, and each sink''s lag and dead letters'
            cand reset 'Forget cursors, so the next watch takes a new baseline there'
            cand migrate 'Copy the profile''s SQLite state (cursors, journal, delivery state, dead letters) into PostgreSQL, to move to a shared store without announcing old mail again or missing what came in between'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailreactor;state;show'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand --json 'Print JSON instead of a table'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;state;reset'= {
            cand --account 'Only this account'
            cand --mailbox 'Only this mailbox (with --account)'
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;state;migrate'= {
            cand --to 'The PostgreSQL URL (no password in it); default: the profile''s [store] url'
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;state;help'= {
            cand show 'Show each mailbox''s cursor and last activity, and each sink''s lag and dead letters'
            cand reset 'Forget cursors, so the next watch takes a new baseline there'
            cand migrate 'Copy the profile''s SQLite state (cursors, journal, delivery state, dead letters) into PostgreSQL, to move to a shared store without announcing old mail again or missing what came in between'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailreactor;state;help;show'= {
        }
        &'mailreactor;state;help;reset'= {
        }
        &'mailreactor;state;help;migrate'= {
        }
        &'mailreactor;state;help;help'= {
        }
        &'mailreactor;completions'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;cluster'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand --json 'Print JSON instead of tables'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;replay'= {
            cand --since 'Only events observed at or after this time: RFC 3339 (2026-11-23T07:00:00Z), a date (2026-11-23), or a duration ago (2h)'
            cand --until 'Only events observed before this time (same forms as --since)'
            cand --type 'Only these event types; patterns such as message.* work. Repeatable'
            cand --account 'Only this account'
            cand --mailbox 'Only this mailbox'
            cand --sink 'Deliver through this sink (a hook''s name or "notify") instead of printing to stdout'
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand --json 'Print JSON lines even on a terminal'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;dead-letters'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List them, oldest first'
            cand retry 'Deliver them again through their sink, once each; the ones that succeed are removed'
            cand drop 'Forget them without delivering'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailreactor;dead-letters;list'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand --json 'Print JSON instead of a table'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;dead-letters;retry'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand --all 'Every dead letter'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;dead-letters;drop'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand --all 'Every dead letter'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;dead-letters;help'= {
            cand list 'List them, oldest first'
            cand retry 'Deliver them again through their sink, once each; the ones that succeed are removed'
            cand drop 'Forget them without delivering'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailreactor;dead-letters;help;list'= {
        }
        &'mailreactor;dead-letters;help;retry'= {
        }
        &'mailreactor;dead-letters;help;drop'= {
        }
        &'mailreactor;dead-letters;help;help'= {
        }
        &'mailreactor;auth'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand login 'Sign in with a browser and keep the refresh token'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailreactor;auth;login'= {
            cand --timeout 'How long to wait for the browser'
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand --print 'Print the refresh token on stdout (for a password manager) instead of saving it'
            cand --no-browser 'Only print the URL; do not try to open a browser'
            cand --device 'Sign in on another device with a short code (RFC 8628), for machines without a browser; needs a device-url (Outlook has one)'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;auth;help'= {
            cand login 'Sign in with a browser and keep the refresh token'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailreactor;auth;help;login'= {
        }
        &'mailreactor;auth;help;help'= {
        }
        &'mailreactor;systemd-unit'= {
            cand --credential 'Hand the service a secret file as a systemd credential: `--credential imap=/home/me/.secrets/imap` adds `LoadCredential=imap:/home/me/.secrets/imap`, and the profile reads it with `password-file = "${CREDENTIALS_DIRECTORY}/imap"`. Repeatable'
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;schema'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;manual'= {
            cand -c 'Read the profile from this file instead of the config directory'
            cand --config 'Read the profile from this file instead of the config directory'
            cand -p 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --profile 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)'
            cand --state-dir 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor'
            cand --log-format 'How log lines on stderr look: text for people, json for log shippers'
            cand --list 'List the pages, one file name a line (for the tests that check the committed pages)'
            cand -v 'Log more (-v: debug, -vv: trace)'
            cand --verbose 'Log more (-v: debug, -vv: trace)'
            cand -q 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand --quiet 'Log less (-q: warnings and errors only, -qq: errors only)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'mailreactor;help'= {
            cand watch 'Watch the profile''s mailboxes and print an event per new message'
            cand check 'Check the profile, log in to every account, and show each mailbox'
            cand init 'Write a commented starter profile (never overwrites one)'
            cand emit-test 'Send a sample new-mail event through the configured sinks, once'
            cand state 'Show or reset what mailreactor remembers per mailbox'
            cand completions 'Print the completion script for a shell'
            cand cluster 'Show the instances sharing the accounts through a [store] database: when each was last seen, the accounts each holds, and each sink''s lag'
            cand replay 'Send journaled events again, to stdout or through one sink'
            cand dead-letters 'List, retry or drop the deliveries sinks gave up on'
            cand auth 'Sign in to OAuth2 accounts (Gmail, Outlook, ...)'
            cand systemd-unit 'Print a systemd user unit: one instance per profile'
            cand schema 'Print the JSON Schema of every event (schema 1)'
            cand manual 'Print a man page (roff): `mailreactor manual | man -l -`'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'mailreactor;help;watch'= {
        }
        &'mailreactor;help;check'= {
        }
        &'mailreactor;help;init'= {
        }
        &'mailreactor;help;emit-test'= {
        }
        &'mailreactor;help;state'= {
            cand show 'Show each mailbox''s cursor and last activity, and each sink''s lag and dead letters'
            cand reset 'Forget cursors, so the next watch takes a new baseline there'
            cand migrate 'Copy the profile''s SQLite state (cursors, journal, delivery state, dead letters) into PostgreSQL, to move to a shared store without announcing old mail again or missing what came in between'
        }
        &'mailreactor;help;state;show'= {
        }
        &'mailreactor;help;state;reset'= {
        }
        &'mailreactor;help;state;migrate'= {
        }
        &'mailreactor;help;completions'= {
        }
        &'mailreactor;help;cluster'= {
        }
        &'mailreactor;help;replay'= {
        }
        &'mailreactor;help;dead-letters'= {
            cand list 'List them, oldest first'
            cand retry 'Deliver them again through their sink, once each; the ones that succeed are removed'
            cand drop 'Forget them without delivering'
        }
        &'mailreactor;help;dead-letters;list'= {
        }
        &'mailreactor;help;dead-letters;retry'= {
        }
        &'mailreactor;help;dead-letters;drop'= {
        }
        &'mailreactor;help;auth'= {
            cand login 'Sign in with a browser and keep the refresh token'
        }
        &'mailreactor;help;auth;login'= {
        }
        &'mailreactor;help;systemd-unit'= {
        }
        &'mailreactor;help;schema'= {
        }
        &'mailreactor;help;manual'= {
        }
        &'mailreactor;help;help'= {
        }
    ]
    $completions[$command]
}
