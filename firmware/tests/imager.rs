//! The imager's frames on the UART: found after noise, refused when damaged or too long,
//! assembled across reads, and never a panic whatever the line carries.

mod sim;

use firmware::imager::{encode_frame, Decoder, FrameError, Imager, ImagerError};
use firmware::RECORD_MAX;
use proptest::prelude::*;
use sim::SimUart;

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; payload.len() + 5];
    let n = encode_frame(payload, &mut out).unwrap();
    out.truncate(n);
    out
}

/// Everything `decoder` makes of `line`.
fn decode(line: &[u8]) -> Vec<Result<Vec<u8>, FrameError>> {
    let mut decoder = Decoder::new();
    line.iter()
        .filter_map(|b| decoder.push(*b).map(|r| r.map(<[u8]>::to_vec)))
        .collect()
}

#[test]
fn frames_are_found_after_noise_and_back_to_back() {
    let mut line = vec![0x00, 0xFF, 0x41, 0x0D, 0x0A];
    line.extend(frame(b"first"));
    line.extend(frame(b""));
    line.extend(frame(&[0x02; 40]));
    assert_eq!(
        decode(&line),
        [Ok(b"first".to_vec()), Ok(vec![]), Ok(vec![0x02; 40])]
    );
}

#[test]
fn a_damaged_frame_is_reported_and_the_next_one_read() {
    let mut damaged = frame(b"record bytes");
    damaged[6] ^= 0x10;
    let mut line = damaged;
    line.extend(frame(b"scan again"));
    assert_eq!(
        decode(&line),
        [Err(FrameError::Corrupt), Ok(b"scan again".to_vec())]
    );
}

#[test]
fn a_length_over_the_largest_record_is_refused_at_once() {
    let too_long = (RECORD_MAX + 1) as u16;
    let mut line = vec![0x02];
    line.extend(too_long.to_be_bytes());
    line.extend(frame(b"next"));
    assert_eq!(
        decode(&line),
        [Err(FrameError::TooLong(too_long)), Ok(b"next".to_vec())]
    );
    let mut out = [0u8; 16];
    assert_eq!(encode_frame(&[0; 12], &mut out), None, "out too small");
}

#[test]
fn the_imager_assembles_a_frame_across_polls() {
    let payload: Vec<u8> = (0..=255).collect();
    let line = frame(&payload);
    let uart = SimUart::default();
    let mut imager = Imager::new(uart.clone());
    let mut out = heapless::Vec::new();
    assert_eq!(imager.poll(&mut out), Ok(false), "nothing yet");
    uart.arrive(&line[..100]);
    assert_eq!(imager.poll(&mut out), Ok(false));
    assert!(imager.busy(), "in the middle of a frame");
    uart.arrive(&line[100..]);
    assert_eq!(imager.poll(&mut out), Ok(true));
    assert_eq!(&out[..], &payload[..]);
    assert!(!imager.busy());

    // A half frame, then the line goes quiet: the scanner resets the imager's decoder.
    uart.arrive(&line[..10]);
    assert_eq!(imager.poll(&mut out), Ok(false));
    imager.reset();
    uart.arrive(&frame(b"next scan"));
    assert_eq!(imager.poll(&mut out), Ok(true));
    assert_eq!(&out[..], b"next scan");

    let mut damaged = frame(b"x");
    damaged[3] ^= 1;
    uart.arrive(&damaged);
    assert_eq!(
        imager.poll(&mut out),
        Err(ImagerError::Frame(FrameError::Corrupt))
    );
}

proptest! {
    /// Any bytes on the line: no panic, and anything accepted carries a matching CRC.
    #[test]
    fn any_line_is_handled(line in proptest::collection::vec(any::<u8>(), 0..3000)) {
        for payload in decode(&line).into_iter().flatten() {
            prop_assert!(payload.len() <= RECORD_MAX);
        }
    }
}
