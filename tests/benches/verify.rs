//! Records verified per second, and trust-list work with 1,000,000 revoked documents.
//! Run: `cargo xtask bench` (prints `openssl speed ecdsap256` from the same run after).

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use stay_core::{verify, Check, Policy, Role, TrustList};
use stay_tests::card::{read, InProcessCard};
use stay_tests::Fixture;
use std::time::Duration;

fn verification(c: &mut Criterion) {
    let f = Fixture::new();
    let list_bytes = f.list();
    let list = TrustList::load(&list_bytes, &f.root.public_key(), None).unwrap();
    let card = InProcessCard::personalized(&f);
    let record = card.image().record.clone().unwrap();
    let proof = read(&mut InProcessCard::new(card.image().clone()))
        .unwrap()
        .chip_authentication
        .unwrap();
    // Printed, only a QR-only document is valid: a chip card's record says read the chip.
    let printed_record = f.record(&stay_tests::golden::unified_window("UW0000001"));
    let mut group = c.benchmark_group("verify");
    group.throughput(Throughput::Elements(1));
    let printed = Check::printed(f.now, Role::Border, &Policy::DEFAULT);
    group.bench_function("record (QR: issuer signature)", |b| {
        b.iter(|| {
            assert!(verify(black_box(&printed_record), &list, &printed)
                .status
                .is_valid())
        })
    });
    let chip = Check::chip(f.now, Role::Border, Some(&proof), &Policy::DEFAULT);
    group.bench_function(
        "record + chip proof (issuer signature, PACE-CAM check)",
        |b| b.iter(|| assert!(verify(black_box(&record), &list, &chip).status.is_valid())),
    );
    // Both halves of PACE-CAM and secure messaging in-process: the terminal's and the
    // card's arithmetic, no transport.
    group.bench_function("border check in-process (PACE-CAM, both sides)", |b| {
        b.iter(|| {
            let mut card = InProcessCard::new(card.image().clone());
            black_box(read(&mut card).unwrap());
        })
    });
    group.bench_function("ecdsa p256 verify (one signature)", |b| {
        let key = f.signer.public_key();
        let sig = f.signer.sign(b"message");
        b.iter(|| key.verify(black_box(b"message"), &sig).unwrap())
    });
    group.finish();
}

/// zlib at the default level, as the IETF Token Status List draft compresses its lists.
fn deflated_len(bytes: &[u8]) -> usize {
    use std::io::Write as _;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(bytes).unwrap();
    z.finish().unwrap().len()
}

/// A document number of the benches' lists: `RC` and seven digits.
fn number(i: u32) -> [u8; 9] {
    let mut number = [0u8; 9];
    number[..2].copy_from_slice(b"RC");
    let mut n = i;
    for d in number[2..].iter_mut().rev() {
        *d = b'0' + (n % 10) as u8;
        n /= 10;
    }
    number
}

fn million_revocations(c: &mut Criterion) {
    let f = Fixture::new();
    // Even numbers revoked; every 20th odd number has a status change (100,000), of the
    // three kinds in turn.
    let revoked: Vec<String> = (0..1_000_000u32)
        .map(|i| format!("RC{:07}", i * 2))
        .collect();
    let day = |d: i64| stay_core::Date::from_days_since_epoch(20_800 + d);
    let status_changes: Vec<(String, stay_core::StatusChange)> = (0..100_000u32)
        .map(|i| {
            let n = i * 40 + 1;
            let change = match i % 3 {
                0 => stay_core::StatusChange::Extended {
                    valid_until: day(400),
                },
                1 => stay_core::StatusChange::Suspended { since: day(10) },
                _ => stay_core::StatusChange::Superseded {
                    on: day(20),
                    successor: stay_core::DocumentNumber::new(&format!("RC{:07}", n + 2)).unwrap(),
                },
            };
            (format!("RC{n:07}"), change)
        })
        .collect();
    let bytes = issuer::ListSpec {
        status_changes,
        ..f.list_spec(revoked)
    }
    .seal(&f.root)
    .unwrap();
    eprintln!(
        "list with 1,000,000 revoked documents and 100,000 status changes: {} bytes, {} \
         zlib-compressed",
        bytes.len(),
        deflated_len(&bytes)
    );
    // The IETF Token Status List's example: 1,000,000 documents, 1 % of them revoked at
    // random. Ours names the 10,000 revoked numbers; the draft sets one bit per index.
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut picked = std::collections::BTreeSet::new();
    while picked.len() < 10_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        picked.insert((seed % 1_000_000) as usize);
    }
    let one_percent: Vec<String> = picked.iter().map(|i| format!("RC{i:07}")).collect();
    let small = f.list_spec(one_percent).seal(&f.root).unwrap();
    let mut bits = vec![0u8; 1_000_000 / 8];
    for index in &picked {
        bits[index / 8] |= 1 << (index % 8);
    }
    eprintln!(
        "1,000,000 documents, 1 % revoked at random: our list {} bytes ({} zlib-compressed); \
         a 1-bit status list {} bytes zlib-compressed",
        small.len(),
        deflated_len(&small),
        deflated_len(&bits)
    );
    let root = f.root.public_key();
    let mut group = c.benchmark_group("trust list, 1M revoked + 100k status changes");
    group.sample_size(20);
    group.bench_function("load (parse, check order, verify signature)", |b| {
        b.iter(|| TrustList::load(black_box(&bytes), &root, None).unwrap())
    });
    let list = TrustList::load(&bytes, &root, None).unwrap();
    group.sample_size(100);
    let mut i = 0u32;
    group.bench_function("revocation lookup", |b| {
        b.iter(|| {
            i = (i + 7919) % 2_000_000;
            let number = number(i);
            let number = std::str::from_utf8(&number).unwrap();
            black_box(list.is_document_revoked(black_box(number)))
        })
    });
    let mut i = 0u32;
    group.bench_function("status change lookup", |b| {
        b.iter(|| {
            i = (i + 7919) % 4_000_000;
            let number = number(i);
            let number = std::str::from_utf8(&number).unwrap();
            black_box(list.status_change(black_box(number)))
        })
    });
    group.finish();
}

/// QR decoding of one 1280x720 camera-sized frame: a card's code (600 pixels high) on a
/// white frame, and a frame with no code at all (what a camera mostly sees).
fn qr_frames(c: &mut Criterion) {
    let fixture = Fixture::new();
    let record = fixture.record(&fixture.holder());
    let code = issuer::qr::png(&record).unwrap();
    // As large as a card held up to the camera: 600 pixels high.
    let code = image::imageops::resize(&code, 600, 600, image::imageops::FilterType::Nearest);
    let mut frame = image::GrayImage::from_pixel(1280, 720, image::Luma([255]));
    let (x, y) = ((1280 - code.width()) / 2, (720 - code.height()) / 2);
    image::imageops::replace(&mut frame, &code, x.into(), y.into());
    assert_eq!(reader_host::qr::decode(frame.clone()), vec![record.clone()]);
    let empty = image::GrayImage::from_pixel(1280, 720, image::Luma([200]));
    let mut group = c.benchmark_group("qr");
    group.bench_function("decode a card's code in a 1280x720 frame", |b| {
        b.iter(|| reader_host::qr::decode(black_box(frame.clone())))
    });
    group.bench_function("a 1280x720 frame without a code: first pass", |b| {
        b.iter(|| reader_host::qr::decode_within(black_box(empty.clone()), Duration::ZERO))
    });
    group.bench_function(
        "a 1280x720 frame without a code: the camera pipeline (retries within the budget)",
        |b| {
            b.iter(|| {
                reader_host::qr::decode_within(
                    black_box(empty.clone()),
                    reader_host::qr::FRAME_RETRY_BUDGET,
                )
            })
        },
    );
    // A camera through qr::Stream: the same picture again (a still desk), and the card moved
    // a little since the frame before (looked for where it was).
    group.bench_function("a camera: the same 1280x720 frame again", |b| {
        let mut stream = reader_host::qr::Stream::new(reader_host::qr::FRAME_RETRY_BUDGET);
        stream.decode(frame.clone());
        b.iter(|| {
            let sighting = stream.decode(black_box(frame.clone()));
            assert_eq!(sighting.via, reader_host::qr::Via::Repeat);
        })
    });
    // A card further away (its code 300 px high), moved since the frame before: the whole
    // frame's first pass, and a stream looking where it was.
    let small = image::imageops::resize(&code, 300, 300, image::imageops::FilterType::Nearest);
    let at = |dx: i64| {
        let mut f = image::GrayImage::from_pixel(1280, 720, image::Luma([255]));
        image::imageops::replace(&mut f, &small, 400 + dx, 200 + dx / 2);
        f
    };
    let (here, there) = (at(0), at(24));
    group.bench_function("a card's code 300 px high: whole frame", |b| {
        b.iter(|| reader_host::qr::decode_within(black_box(there.clone()), Duration::ZERO))
    });
    group.bench_function(
        "a card's code 300 px high, moved 24 px since the last frame: where it was",
        |b| {
            let mut stream = reader_host::qr::Stream::new(reader_host::qr::FRAME_RETRY_BUDGET);
            let mut frames = [here.clone(), there.clone()].into_iter().cycle();
            stream.decode(frames.next().unwrap());
            b.iter(|| {
                let sighting = stream.decode(black_box(frames.next().unwrap()));
                assert_eq!(sighting.via, reader_host::qr::Via::LastPlace);
            })
        },
    );
    group.finish();
    zbar_peer(&frame, &record);
}

/// Peer figure: Debian's `zbarimg` (zbar) on the same frame, one process per frame, so its
/// time includes process start and PNG decoding; ours above includes neither.
fn zbar_peer(frame: &image::GrayImage, record: &[u8]) {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("qr-frame-1280x720.png");
    frame.save(&path).unwrap();
    let run = || {
        std::process::Command::new("zbarimg")
            .args(["--raw", "-q", "-Sbinary"])
            .arg(&path)
            .output()
    };
    match run() {
        Ok(out) if out.status.success() => {
            let same = out.stdout.strip_suffix(b"\n").unwrap_or(&out.stdout) == record;
            let rounds = 20;
            let start = std::time::Instant::now();
            for _ in 0..rounds {
                run().unwrap();
            }
            println!(
                "peer: zbarimg on the same frame: {:.1} ms per run (process + PNG decode included), payload {}",
                start.elapsed().as_secs_f64() * 1e3 / rounds as f64,
                if same { "identical" } else { "differs" }
            );
        }
        _ => println!("peer: zbarimg not available (Debian package zbar-tools)"),
    }
}

criterion_group!(benches, verification, million_revocations, qr_frames);
criterion_main!(benches);
