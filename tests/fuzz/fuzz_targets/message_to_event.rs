//! Any bytes, as a message: decoding never panics, and the event always
//! serialises to JSON that reads back as the same event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailreactor::event::Event;
use mailreactor::message::decode_raw;

fuzz_target!(|raw: &[u8]| {
    let event = Event::received("fuzz", "INBOX", decode_raw(1, 1, raw));
    let back: Event = serde_json::from_str(&event.to_json()).expect("events read back");
    assert_eq!(back, event);
});
