# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_mailreactor_global_optspecs
    string join \n c/config= p/profile= state-dir= v/verbose q/quiet log-format= h/help V/version
end

function __fish_mailreactor_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_mailreactor_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_mailreactor_using_subcommand
    set -l cmd (__fish_mailreactor_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c mailreactor -n "__fish_mailreactor_needs_command" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_needs_command" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_needs_command" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_needs_command" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_needs_command" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "watch" -d 'Watch the profile\'s mailboxes and print an event per new message'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "check" -d 'Check the profile, log in to every account, and show each mailbox'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "init" -d 'Write a commented starter profile (never overwrites one)'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "emit-test" -d 'Send a sample new-mail event through the configured sinks, once'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "state" -d 'Show or reset what mailreactor remembers per mailbox'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "completions" -d 'Print the completion script for a shell'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "cluster" -d 'Show the instances sharing the accounts through a [store] database: when each was last seen, the accounts each holds, and each sink\'s lag'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "replay" -d 'Send journaled events again, to stdout or through one sink'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "dead-letters" -d 'List, retry or drop the deliveries sinks gave up on'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "auth" -d 'Sign in to OAuth2 accounts (Gmail, Outlook, ...)'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "systemd-unit" -d 'Print a systemd user unit: one instance per profile'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "schema" -d 'Print the JSON Schema of every event (schema 1)'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "manual" -d 'Print a man page (roff): `mailreactor manual | man -l -`'
complete -c mailreactor -n "__fish_mailreactor_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -l instance -d 'This instance\'s name among those sharing the accounts through a [store] database (default: the host name and the process id)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -l json -d 'Print events as JSON lines even on a terminal'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -l once -d 'Catch up (announce what is new since the last run), then exit'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand watch" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand check" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand check" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand check" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand check" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand check" -l json -d 'Print the report as JSON'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand check" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand check" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand check" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand init" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand init" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand init" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand init" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand init" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand init" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand init" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand init" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand emit-test" -l sink -d 'Only this sink (a hook\'s name, "notify" or "stdout")' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand emit-test" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand emit-test" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand emit-test" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand emit-test" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand emit-test" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand emit-test" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand emit-test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand emit-test" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -f -a "show" -d 'Show each mailbox\'s cursor and last activity, and each sink\'s lag and dead letters'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -f -a "reset" -d 'Forget cursors, so the next watch takes a new baseline there'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -f -a "migrate" -d 'Copy the profile\'s SQLite state (cursors, journal, delivery state, dead letters) into PostgreSQL, to move to a shared store without announcing old mail again or missing what came in between'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and not __fish_seen_subcommand_from show reset migrate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from show" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from show" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from show" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from show" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from show" -l json -d 'Print JSON instead of a table'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from reset" -l account -d 'Only this account' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from reset" -l mailbox -d 'Only this mailbox (with --account)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from reset" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from reset" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from reset" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from reset" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from reset" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from reset" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from reset" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from migrate" -l to -d 'The PostgreSQL URL (no password in it); default: the profile\'s [store] url' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from migrate" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from migrate" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from migrate" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from migrate" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from migrate" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from migrate" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from migrate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from migrate" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show each mailbox\'s cursor and last activity, and each sink\'s lag and dead letters'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "reset" -d 'Forget cursors, so the next watch takes a new baseline there'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "migrate" -d 'Copy the profile\'s SQLite state (cursors, journal, delivery state, dead letters) into PostgreSQL, to move to a shared store without announcing old mail again or missing what came in between'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand completions" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand completions" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand completions" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand completions" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand completions" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand completions" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand completions" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand cluster" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand cluster" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand cluster" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand cluster" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand cluster" -l json -d 'Print JSON instead of tables'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand cluster" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand cluster" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand cluster" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand cluster" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -l since -d 'Only events observed at or after this time: RFC 3339 (2026-11-23T07:00:00Z), a date (2026-11-23), or a duration ago (2h)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -l until -d 'Only events observed before this time (same forms as --since)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -l type -d 'Only these event types; patterns such as message.* work. Repeatable' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -l account -d 'Only this account' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -l mailbox -d 'Only this mailbox' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -l sink -d 'Deliver through this sink (a hook\'s name or "notify") instead of printing to stdout' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -l json -d 'Print JSON lines even on a terminal'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand replay" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -f -a "list" -d 'List them, oldest first'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -f -a "retry" -d 'Deliver them again through their sink, once each; the ones that succeed are removed'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -f -a "drop" -d 'Forget them without delivering'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and not __fish_seen_subcommand_from list retry drop help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from list" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from list" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from list" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from list" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from list" -l json -d 'Print JSON instead of a table'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from retry" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from retry" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from retry" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from retry" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from retry" -l all -d 'Every dead letter'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from retry" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from retry" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from retry" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from retry" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from drop" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from drop" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from drop" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from drop" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from drop" -l all -d 'Every dead letter'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from drop" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from drop" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from drop" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from drop" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from help" -f -a "list" -d 'List them, oldest first'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from help" -f -a "retry" -d 'Deliver them again through their sink, once each; the ones that succeed are removed'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from help" -f -a "drop" -d 'Forget them without delivering'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand dead-letters; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and not __fish_seen_subcommand_from login help" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and not __fish_seen_subcommand_from login help" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and not __fish_seen_subcommand_from login help" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and not __fish_seen_subcommand_from login help" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and not __fish_seen_subcommand_from login help" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and not __fish_seen_subcommand_from login help" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and not __fish_seen_subcommand_from login help" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and not __fish_seen_subcommand_from login help" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and not __fish_seen_subcommand_from login help" -f -a "login" -d 'Sign in with a browser and keep the refresh token'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and not __fish_seen_subcommand_from login help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -l timeout -d 'How long to wait for the browser' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -l print -d 'Print the refresh token on stdout (for a password manager) instead of saving it'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -l no-browser -d 'Only print the URL; do not try to open a browser'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -l device -d 'Sign in on another device with a short code (RFC 8628), for machines without a browser; needs a device-url (Outlook has one)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from login" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "login" -d 'Sign in with a browser and keep the refresh token'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand systemd-unit" -l credential -d 'Hand the service a secret file as a systemd credential: `--credential imap=/home/me/.secrets/imap` adds `LoadCredential=imap:/home/me/.secrets/imap`, and the profile reads it with `password-file = "${CREDENTIALS_DIRECTORY}/imap"`. Repeatable' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand systemd-unit" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand systemd-unit" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand systemd-unit" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand systemd-unit" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand systemd-unit" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand systemd-unit" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand systemd-unit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand systemd-unit" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand schema" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand schema" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand schema" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand schema" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand schema" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand schema" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand schema" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand manual" -s c -l config -d 'Read the profile from this file instead of the config directory' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand manual" -s p -l profile -d 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)' -r
complete -c mailreactor -n "__fish_mailreactor_using_subcommand manual" -l state-dir -d 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor' -r -F
complete -c mailreactor -n "__fish_mailreactor_using_subcommand manual" -l log-format -d 'How log lines on stderr look: text for people, json for log shippers' -r -f -a "text\t''
json\t''"
complete -c mailreactor -n "__fish_mailreactor_using_subcommand manual" -l list -d 'List the pages, one file name a line (for the tests that check the committed pages)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand manual" -s v -l verbose -d 'Log more (-v: debug, -vv: trace)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand manual" -s q -l quiet -d 'Log less (-q: warnings and errors only, -qq: errors only)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand manual" -s h -l help -d 'Print help'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand manual" -s V -l version -d 'Print version'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "watch" -d 'Watch the profile\'s mailboxes and print an event per new message'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "check" -d 'Check the profile, log in to every account, and show each mailbox'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "init" -d 'Write a commented starter profile (never overwrites one)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "emit-test" -d 'Send a sample new-mail event through the configured sinks, once'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "state" -d 'Show or reset what mailreactor remembers per mailbox'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "completions" -d 'Print the completion script for a shell'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "cluster" -d 'Show the instances sharing the accounts through a [store] database: when each was last seen, the accounts each holds, and each sink\'s lag'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "replay" -d 'Send journaled events again, to stdout or through one sink'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "dead-letters" -d 'List, retry or drop the deliveries sinks gave up on'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "auth" -d 'Sign in to OAuth2 accounts (Gmail, Outlook, ...)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "systemd-unit" -d 'Print a systemd user unit: one instance per profile'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "schema" -d 'Print the JSON Schema of every event (schema 1)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "manual" -d 'Print a man page (roff): `mailreactor manual | man -l -`'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and not __fish_seen_subcommand_from watch check init emit-test state completions cluster replay dead-letters auth systemd-unit schema manual help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "show" -d 'Show each mailbox\'s cursor and last activity, and each sink\'s lag and dead letters'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "reset" -d 'Forget cursors, so the next watch takes a new baseline there'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "migrate" -d 'Copy the profile\'s SQLite state (cursors, journal, delivery state, dead letters) into PostgreSQL, to move to a shared store without announcing old mail again or missing what came in between'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and __fish_seen_subcommand_from dead-letters" -f -a "list" -d 'List them, oldest first'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and __fish_seen_subcommand_from dead-letters" -f -a "retry" -d 'Deliver them again through their sink, once each; the ones that succeed are removed'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and __fish_seen_subcommand_from dead-letters" -f -a "drop" -d 'Forget them without delivering'
complete -c mailreactor -n "__fish_mailreactor_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "login" -d 'Sign in with a browser and keep the refresh token'
