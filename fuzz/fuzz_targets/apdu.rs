//! Command APDU parsing: never panics; whatever parses re-encodes to a command that parses
//! to the same fields.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::apdu::Command;

fuzz_target!(|data: &[u8]| {
    let Ok(command) = Command::parse(data) else {
        return;
    };
    let mut buf = vec![0u8; command.encoded_len()];
    let n = command.write(&mut buf).expect("a parsed command encodes");
    let again = Command::parse(&buf[..n]).expect("an encoded command parses");
    assert_eq!(
        (again.cla, again.ins, again.p1, again.p2, again.data, again.ne),
        (
            command.cla,
            command.ins,
            command.p1,
            command.p2,
            command.data,
            command.ne
        )
    );
});
