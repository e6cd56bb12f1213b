//! Secure messaging's unwrapping against hostile bytes: the card's side (a protected command
//! from the air) and the terminal's (a protected response), under fixed session keys. Never
//! a panic; whatever unwraps fits the buffer given; a failure closes the channel for good.
#![no_main]
use libfuzzer_sys::fuzz_target;
use stay_core::sm::{SecureChannel, SmError};

fuzz_target!(|data: &[u8]| {
    let Some((&which, apdu)) = data.split_first() else {
        return;
    };
    let mut channel = SecureChannel::new([0x11; 16], [0x22; 16]);
    let mut out = [0u8; 300];
    let result = if which & 1 == 0 {
        channel.unwrap_command(apdu, &mut out)
    } else {
        channel.unwrap_response(apdu, &mut out)
    };
    match result {
        Ok(len) => assert!(len <= out.len()),
        Err(_) => {
            assert!(channel.is_closed());
            assert_eq!(channel.unwrap_command(apdu, &mut out), Err(SmError::Closed));
        }
    }
});
