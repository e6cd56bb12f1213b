//! The golden vectors in testdata/: every case gives its expected verdict, every list case
//! its expected load result, and regenerating the vectors reproduces them byte for byte.

use stay_tests::golden::Vectors;
use stay_tests::testdata;

#[test]
fn every_case_gives_its_verdict() {
    let dir = testdata();
    let vectors = Vectors::read(&dir).unwrap();
    assert!(vectors.cases.len() >= 25);
    let mut failures = Vec::new();
    for case in &vectors.cases {
        let got = vectors.run(&dir, case).unwrap();
        if got != case.expected() {
            failures.push(format!(
                "{}: expected {:?}, got {:?}",
                case.name,
                case.expected(),
                got
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_reason_is_covered() {
    let vectors = Vectors::read(&testdata()).unwrap();
    let reasons: std::collections::BTreeSet<_> = vectors
        .cases
        .iter()
        .filter_map(|c| c.expect_reason.as_deref())
        .collect();
    for reason in [
        "malformed",
        "bad-signature",
        "signer-revoked",
        "signer-not-authorized",
        "signer-outside-period",
        "validity-exceeds-policy",
        "valid-from-too-late",
        "document-revoked",
        "chip-proof-missing",
        "chip-proof-failed",
        "not-yet-valid",
        "expired",
        "unknown-signer",
        "clock-before-trust-list",
        "trust-list-stale",
        "suspended",
        "superseded",
        "extension-exceeds-policy",
    ] {
        assert!(reasons.contains(reason), "no vector for {reason}");
    }
}

#[test]
fn every_list_case_loads_as_expected() {
    let dir = testdata();
    let vectors = Vectors::read(&dir).unwrap();
    for case in &vectors.lists {
        assert_eq!(
            vectors.load_list(&dir, case).unwrap(),
            case.expect,
            "list case {}",
            case.name
        );
    }
}

#[test]
fn regenerating_reproduces_every_byte() {
    let fresh = tempfile::tempdir().unwrap();
    stay_tests::golden::generate(fresh.path()).unwrap();
    let committed = testdata();
    let mut compared = 0;
    for sub in ["", "keys", "records", "lists"] {
        for entry in std::fs::read_dir(fresh.path().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                continue;
            }
            let rel = path.strip_prefix(fresh.path()).unwrap();
            let want = std::fs::read(committed.join(rel)).unwrap_or_else(|_| {
                panic!(
                    "{} missing from testdata/: run `cargo xtask vectors`",
                    rel.display()
                )
            });
            assert!(
                want == std::fs::read(&path).unwrap(),
                "{} differs: run `cargo xtask vectors`",
                rel.display()
            );
            compared += 1;
        }
    }
    assert!(compared > 20);
}
