//! The `mailreactor` binary. The commands live in the library's private
//! command layer (`src/cmd/`), behind one entry point.

fn main() -> std::process::ExitCode {
    mailreactor::cli_main()
}
