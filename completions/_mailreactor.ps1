
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'mailreactor' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'mailreactor'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'mailreactor' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Watch the profile''s mailboxes and print an event per new message')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the profile, log in to every account, and show each mailbox')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented starter profile (never overwrites one)')
            [CompletionResult]::new('emit-test', 'emit-test', [CompletionResultType]::ParameterValue, 'Send a sample new-mail event through the configured sinks, once')
            [CompletionResult]::new('state', 'state', [CompletionResultType]::ParameterValue, 'Show or reset what mailreactor remembers per mailbox')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('cluster', 'cluster', [CompletionResultType]::ParameterValue, 'Show the instances sharing the accounts through a [store] database: when each was last seen, the accounts each holds, and each sink''s lag')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Send journaled events again, to stdout or through one sink')
            [CompletionResult]::new('dead-letters', 'dead-letters', [CompletionResultType]::ParameterValue, 'List, retry or drop the deliveries sinks gave up on')
            [CompletionResult]::new('auth', 'auth', [CompletionResultType]::ParameterValue, 'Sign in to OAuth2 accounts (Gmail, Outlook, ...)')
            [CompletionResult]::new('systemd-unit', 'systemd-unit', [CompletionResultType]::ParameterValue, 'Print a systemd user unit: one instance per profile')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of every event (schema 1)')
            [CompletionResult]::new('manual', 'manual', [CompletionResultType]::ParameterValue, 'Print a man page (roff): `mailreactor manual | man -l -`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailreactor;watch' {
            [CompletionResult]::new('--instance', '--instance', [CompletionResultType]::ParameterName, 'This instance''s name among those sharing the accounts through a [store] database (default: the host name and the process id)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print events as JSON lines even on a terminal')
            [CompletionResult]::new('--once', '--once', [CompletionResultType]::ParameterName, 'Catch up (announce what is new since the last run), then exit')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;check' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the report as JSON')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;init' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;emit-test' {
            [CompletionResult]::new('--sink', '--sink', [CompletionResultType]::ParameterName, 'Only this sink (a hook''s name, "notify" or "stdout")')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;state' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show each mailbox''s cursor and last activity, and each sink''s lag and dead letters')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Forget cursors, so the next watch takes a new baseline there')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Copy the profile''s SQLite state (cursors, journal, delivery state, dead letters) into PostgreSQL, to move to a shared store without announcing old mail again or missing what came in between')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailreactor;state;show' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;state;reset' {
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Only this account')
            [CompletionResult]::new('--mailbox', '--mailbox', [CompletionResultType]::ParameterName, 'Only this mailbox (with --account)')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;state;migrate' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The PostgreSQL URL (no password in it); default: the profile''s [store] url')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;state;help' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show each mailbox''s cursor and last activity, and each sink''s lag and dead letters')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Forget cursors, so the next watch takes a new baseline there')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Copy the profile''s SQLite state (cursors, journal, delivery state, dead letters) into PostgreSQL, to move to a shared store without announcing old mail again or missing what came in between')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailreactor;state;help;show' {
            break
        }
        'mailreactor;state;help;reset' {
            break
        }
        'mailreactor;state;help;migrate' {
            break
        }
        'mailreactor;state;help;help' {
            break
        }
        'mailreactor;completions' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;cluster' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of tables')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;replay' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only events observed at or after this time: RFC 3339 (2026-11-23T07:00:00Z), a date (2026-11-23), or a duration ago (2h)')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only events observed before this time (same forms as --since)')
            [CompletionResult]::new('--type', '--type', [CompletionResultType]::ParameterName, 'Only these event types; patterns such as message.* work. Repeatable')
            [CompletionResult]::new('--account', '--account', [CompletionResultType]::ParameterName, 'Only this account')
            [CompletionResult]::new('--mailbox', '--mailbox', [CompletionResultType]::ParameterName, 'Only this mailbox')
            [CompletionResult]::new('--sink', '--sink', [CompletionResultType]::ParameterName, 'Deliver through this sink (a hook''s name or "notify") instead of printing to stdout')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON lines even on a terminal')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;dead-letters' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List them, oldest first')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Deliver them again through their sink, once each; the ones that succeed are removed')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Forget them without delivering')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailreactor;dead-letters;list' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON instead of a table')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;dead-letters;retry' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every dead letter')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;dead-letters;drop' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('--all', '--all', [CompletionResultType]::ParameterName, 'Every dead letter')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;dead-letters;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List them, oldest first')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Deliver them again through their sink, once each; the ones that succeed are removed')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Forget them without delivering')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailreactor;dead-letters;help;list' {
            break
        }
        'mailreactor;dead-letters;help;retry' {
            break
        }
        'mailreactor;dead-letters;help;drop' {
            break
        }
        'mailreactor;dead-letters;help;help' {
            break
        }
        'mailreactor;auth' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in with a browser and keep the refresh token')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailreactor;auth;login' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the browser')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('--print', '--print', [CompletionResultType]::ParameterName, 'Print the refresh token on stdout (for a password manager) instead of saving it')
            [CompletionResult]::new('--no-browser', '--no-browser', [CompletionResultType]::ParameterName, 'Only print the URL; do not try to open a browser')
            [CompletionResult]::new('--device', '--device', [CompletionResultType]::ParameterName, 'Sign in on another device with a short code (RFC 8628), for machines without a browser; needs a device-url (Outlook has one)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;auth;help' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in with a browser and keep the refresh token')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailreactor;auth;help;login' {
            break
        }
        'mailreactor;auth;help;help' {
            break
        }
        'mailreactor;systemd-unit' {
            [CompletionResult]::new('--credential', '--credential', [CompletionResultType]::ParameterName, 'Hand the service a secret file as a systemd credential: `--credential imap=/home/me/.secrets/imap` adds `LoadCredential=imap:/home/me/.secrets/imap`, and the profile reads it with `password-file = "${CREDENTIALS_DIRECTORY}/imap"`. Repeatable')
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;schema' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;manual' {
            [CompletionResult]::new('-c', '-c', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read the profile from this file instead of the config directory')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Use the profile NAME ($XDG_CONFIG_HOME/mailreactor/NAME.toml)')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Keep state (cursors, journal) in DIR instead of $XDG_STATE_HOME/mailreactor')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'How log lines on stderr look: text for people, json for log shippers')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the pages, one file name a line (for the tests that check the committed pages)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Log more (-v: debug, -vv: trace)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Log less (-q: warnings and errors only, -qq: errors only)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'mailreactor;help' {
            [CompletionResult]::new('watch', 'watch', [CompletionResultType]::ParameterValue, 'Watch the profile''s mailboxes and print an event per new message')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check the profile, log in to every account, and show each mailbox')
            [CompletionResult]::new('init', 'init', [CompletionResultType]::ParameterValue, 'Write a commented starter profile (never overwrites one)')
            [CompletionResult]::new('emit-test', 'emit-test', [CompletionResultType]::ParameterValue, 'Send a sample new-mail event through the configured sinks, once')
            [CompletionResult]::new('state', 'state', [CompletionResultType]::ParameterValue, 'Show or reset what mailreactor remembers per mailbox')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the completion script for a shell')
            [CompletionResult]::new('cluster', 'cluster', [CompletionResultType]::ParameterValue, 'Show the instances sharing the accounts through a [store] database: when each was last seen, the accounts each holds, and each sink''s lag')
            [CompletionResult]::new('replay', 'replay', [CompletionResultType]::ParameterValue, 'Send journaled events again, to stdout or through one sink')
            [CompletionResult]::new('dead-letters', 'dead-letters', [CompletionResultType]::ParameterValue, 'List, retry or drop the deliveries sinks gave up on')
            [CompletionResult]::new('auth', 'auth', [CompletionResultType]::ParameterValue, 'Sign in to OAuth2 accounts (Gmail, Outlook, ...)')
            [CompletionResult]::new('systemd-unit', 'systemd-unit', [CompletionResultType]::ParameterValue, 'Print a systemd user unit: one instance per profile')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the JSON Schema of every event (schema 1)')
            [CompletionResult]::new('manual', 'manual', [CompletionResultType]::ParameterValue, 'Print a man page (roff): `mailreactor manual | man -l -`')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'mailreactor;help;watch' {
            break
        }
        'mailreactor;help;check' {
            break
        }
        'mailreactor;help;init' {
            break
        }
        'mailreactor;help;emit-test' {
            break
        }
        'mailreactor;help;state' {
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show each mailbox''s cursor and last activity, and each sink''s lag and dead letters')
            [CompletionResult]::new('reset', 'reset', [CompletionResultType]::ParameterValue, 'Forget cursors, so the next watch takes a new baseline there')
            [CompletionResult]::new('migrate', 'migrate', [CompletionResultType]::ParameterValue, 'Copy the profile''s SQLite state (cursors, journal, delivery state, dead letters) into PostgreSQL, to move to a shared store without announcing old mail again or missing what came in between')
            break
        }
        'mailreactor;help;state;show' {
            break
        }
        'mailreactor;help;state;reset' {
            break
        }
        'mailreactor;help;state;migrate' {
            break
        }
        'mailreactor;help;completions' {
            break
        }
        'mailreactor;help;cluster' {
            break
        }
        'mailreactor;help;replay' {
            break
        }
        'mailreactor;help;dead-letters' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List them, oldest first')
            [CompletionResult]::new('retry', 'retry', [CompletionResultType]::ParameterValue, 'Deliver them again through their sink, once each; the ones that succeed are removed')
            [CompletionResult]::new('drop', 'drop', [CompletionResultType]::ParameterValue, 'Forget them without delivering')
            break
        }
        'mailreactor;help;dead-letters;list' {
            break
        }
        'mailreactor;help;dead-letters;retry' {
            break
        }
        'mailreactor;help;dead-letters;drop' {
            break
        }
        'mailreactor;help;auth' {
            [CompletionResult]::new('login', 'login', [CompletionResultType]::ParameterValue, 'Sign in with a browser and keep the refresh token')
            break
        }
        'mailreactor;help;auth;login' {
            break
        }
        'mailreactor;help;systemd-unit' {
            break
        }
        'mailreactor;help;schema' {
            break
        }
        'mailreactor;help;manual' {
            break
        }
        'mailreactor;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
