//! Wycheproof ECDSA P-256 / SHA-256 (P1363, raw r||s) through the project's one signature
//! check. A low-S verifier must accept exactly the `valid` vectors whose s <= n/2.

use serde::Deserialize;
use stay_core::signature::{verify, SignatureError};

#[derive(Deserialize)]
struct File {
    #[serde(rename = "testGroups")]
    groups: Vec<Group>,
}
#[derive(Deserialize)]
struct Group {
    #[serde(rename = "publicKey")]
    key: Key,
    tests: Vec<Case>,
}
#[derive(Deserialize)]
struct Key {
    uncompressed: String,
}
#[derive(Deserialize)]
struct Case {
    #[serde(rename = "tcId")]
    id: u32,
    msg: String,
    sig: String,
    result: String,
}

/// n/2 for P-256, big endian.
const HALF_ORDER: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42, 0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
];

#[test]
fn low_s_verifier_accepts_exactly_103_of_262() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../testdata/wycheproof/ecdsa_secp256r1_sha256_p1363_test.json"
    );
    let file: File = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let (mut accepted, mut rejected, mut high_s_valid) = (0, 0, 0);
    for group in &file.groups {
        let key = hex::decode(&group.key.uncompressed).unwrap();
        for case in &group.tests {
            let msg = hex::decode(&case.msg).unwrap();
            let sig = hex::decode(&case.sig).unwrap();
            let result = verify(&key, &msg, &sig);
            let high_s = sig.len() == 64 && sig[32..] > HALF_ORDER[..];
            match (case.result.as_str(), result) {
                ("valid", Ok(())) => accepted += 1,
                ("valid", Err(SignatureError::HighS)) if high_s => {
                    high_s_valid += 1;
                    rejected += 1
                }
                ("valid", Err(e)) => panic!("tcId {} valid but rejected: {e:?}", case.id),
                (_, Ok(())) => panic!("tcId {} is {} but accepted", case.id, case.result),
                (_, Err(_)) => rejected += 1,
            }
        }
    }
    assert_eq!((accepted, rejected, high_s_valid), (103, 159, 70));
}
