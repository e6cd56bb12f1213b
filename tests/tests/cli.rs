//! The command-line tools as an operator uses them: `issuer` builds an authority and signs,
//! `reader-host verify` answers with the documented exit statuses, openssl agrees with our
//! keys and signatures, and an independent BER-TLV parser reads our encodings.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin(name: &str) -> PathBuf {
    // Integration tests live in another package: build the binaries once, then run them.
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/debug");
    let path = target.join(name);
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", name, "--bin", name])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .unwrap();
    assert!(status.success());
    path
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    eprintln!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

struct Authority {
    dir: tempfile::TempDir,
    issuer: PathBuf,
    reader: PathBuf,
}

impl Authority {
    fn new() -> Authority {
        let dir = tempfile::tempdir().unwrap();
        let issuer = bin("issuer");
        let reader = bin("reader-host");
        assert!(run(Command::new(&issuer)
            .arg("init")
            .arg(dir.path().join("auth")))
        .status
        .success());
        Authority {
            dir,
            issuer,
            reader,
        }
    }
    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }
    fn sign(&self, key: &str, holder: &Path, out: &str) -> Output {
        run(Command::new(&self.issuer)
            .args(["sign-record", "--key"])
            .arg(self.path(&format!("auth/{key}.key.pem")))
            .arg("--in")
            .arg(holder)
            .arg("--out")
            .arg(self.path(out)))
    }
    /// The sample holder `name`; a resident card with a chip key, as if a station's card
    /// had generated it (the issuer signs no resident card without one).
    fn holder(&self, name: &str) -> PathBuf {
        let path = self.path(&format!("auth/holders/{name}.toml"));
        if !name.starts_with("resident-card") {
            return path;
        }
        let chip = hex::encode(issuer::KeyPair::from_seed("cli chip").public_sec1());
        let text = std::fs::read_to_string(&path).unwrap();
        let with_chip = self.path(&format!("{name}.toml"));
        std::fs::write(&with_chip, format!("chip_public_key = \"{chip}\"\n{text}")).unwrap();
        with_chip
    }
    /// The sample resident card, signed, as `rc.bin`.
    fn signed_resident_card(&self) -> PathBuf {
        let holder = self.holder("resident-card");
        assert!(self
            .sign("resident-card", &holder, "rc.bin")
            .status
            .success());
        self.path("rc.bin")
    }
    /// The sample unified-window document (QR only), signed, as `uw.bin`.
    fn signed_unified_window(&self) -> PathBuf {
        let holder = self.holder("unified-window");
        assert!(self
            .sign("unified-window", &holder, "uw.bin")
            .status
            .success());
        self.path("uw.bin")
    }
    fn verify(&self, args: &[&str]) -> Output {
        run(Command::new(&self.reader)
            .arg("verify")
            .arg("--trust-list")
            .arg(self.path("auth/trust.list"))
            .arg("--root-key")
            .arg(self.path("auth/root.pub.pem"))
            .args(args))
    }
}

#[test]
fn sign_render_and_verify_every_sample() {
    let a = Authority::new();
    for (name, key) in [
        ("resident-card", "resident-card"),
        ("unified-window", "unified-window"),
        ("digital-nomad", "digital-nomad"),
        ("resident-card-revoked", "resident-card"),
    ] {
        let holder = a.holder(name);
        assert!(
            a.sign(key, &holder, &format!("{name}.bin"))
                .status
                .success(),
            "{name}"
        );
        let png = a.path(&format!("{name}.png"));
        let record = a.path(&format!("{name}.bin"));
        assert!(run(Command::new(&a.issuer)
            .arg("qr")
            .arg(&record)
            .arg("--out")
            .arg(&png))
        .status
        .success());
        assert!(run(Command::new(&a.issuer)
            .arg("qr")
            .arg(&record)
            .arg("--out")
            .arg(a.path("x.svg")))
        .status
        .success());
        let from_file = a.verify(&["--json", "--record", record.to_str().unwrap()]);
        let from_qr = a.verify(&["--json", "--qr", png.to_str().unwrap()]);
        // A resident card's record, printed, is a copy of a chip card: read the chip (3).
        let expected = if name.ends_with("revoked") {
            1
        } else if name.starts_with("resident-card") {
            3
        } else {
            0
        };
        assert_eq!(from_file.status.code(), Some(expected), "{name}");
        assert_eq!(from_qr.status.code(), Some(expected), "{name} from QR");
        let file_json: serde_json::Value = serde_json::from_slice(&from_file.stdout).unwrap();
        let qr_json: serde_json::Value = serde_json::from_slice(&from_qr.stdout).unwrap();
        assert_eq!(
            file_json["fields"], qr_json["fields"],
            "{name}: QR and file differ"
        );
        assert_eq!(file_json["status"], qr_json["status"]);
    }
    let employer = |record: &str, tin: &str| {
        let out = a.verify(&[
            "--json",
            "--role",
            "employer",
            "--employer-tin",
            tin,
            "--record",
            a.path(record).to_str().unwrap(),
        ]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["decision"].as_str().unwrap().to_owned()
    };
    // Printed, a chip card never answers "may employ", whoever asks.
    assert_eq!(
        employer("resident-card.bin", "01234567890123"),
        "read-the-chip"
    );
    assert_eq!(
        employer("resident-card.bin", "01234567890124"),
        "read-the-chip"
    );
    assert_eq!(
        employer("unified-window.bin", "01234567890123"),
        "may-employ"
    );
    assert_eq!(
        employer("unified-window.bin", "01234567890124"),
        "may-not-employ:other-employer"
    );
    assert_eq!(
        employer("digital-nomad.bin", "01234567890123"),
        "may-not-employ:digital-nomad"
    );
    // Human output leads with the verdict.
    let out = a.verify(&[
        "--record",
        a.path("resident-card-revoked.bin").to_str().unwrap(),
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("INVALID: document-revoked"));
}

#[test]
fn a_card_face_qr_says_read_the_chip() {
    let a = Authority::new();
    let rc = a.signed_resident_card();
    let png = a.path("card-face.png");
    assert!(run(Command::new(&a.issuer)
        .arg("qr")
        .arg(&rc)
        .arg("--out")
        .arg(&png))
    .status
    .success());
    for role in [
        &["--role", "border"][..],
        &["--role", "employer", "--employer-tin", "01234567890123"][..],
    ] {
        let text = a.verify(&[role, &["--qr", png.to_str().unwrap()]].concat());
        assert_eq!(text.status.code(), Some(3), "{role:?}");
        let stdout = String::from_utf8_lossy(&text.stdout);
        assert!(
            stdout.starts_with("INDETERMINATE: chip-not-read"),
            "{stdout}"
        );
        assert!(stdout.contains("PRINTED COPY"), "{stdout}");
        assert!(
            !stdout.contains("may-stay") && !stdout.contains("may-employ"),
            "{stdout}"
        );
        let json = a.verify(&[role, &["--json", "--qr", png.to_str().unwrap()]].concat());
        assert_eq!(json.status.code(), Some(3));
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
        assert_eq!(
            (&v["status"], &v["reason"], &v["decision"], &v["authentic"]),
            (
                &serde_json::json!("indeterminate"),
                &serde_json::json!("chip-not-read"),
                &serde_json::json!("read-the-chip"),
                &serde_json::json!(true)
            )
        );
    }
}

/// The station's printed card face (the record, then the CAN) read by `verify --qr`: the
/// printed check of the record, "read the chip", and the CAN never repeated in the answer.
/// A face whose CAN object is cut short is not a record at all.
#[test]
fn a_station_card_face_says_read_the_chip_and_keeps_its_can() {
    let a = Authority::new();
    let record = std::fs::read(a.signed_resident_card()).unwrap();
    let can = stay_core::pace::Can::parse("640937").unwrap();
    let face = a.path("face.png");
    station::face::png(&record, &can)
        .unwrap()
        .save(&face)
        .unwrap();
    let text = a.verify(&["--qr", face.to_str().unwrap()]);
    assert_eq!(text.status.code(), Some(3));
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(
        stdout.starts_with("INDETERMINATE: chip-not-read"),
        "{stdout}"
    );
    let json = a.verify(&["--json", "--qr", face.to_str().unwrap()]);
    assert_eq!(json.status.code(), Some(3));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(
        (&v["decision"], &v["authentic"]),
        (
            &serde_json::json!("read-the-chip"),
            &serde_json::json!(true)
        )
    );
    for out in [&text, &json] {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!all.contains("640937"), "the CAN was repeated: {all}");
    }
    // The payload with the CAN object's last digit cut: no CAN, and the bytes after the
    // record make it no record.
    let mut cut = station::face::payload(&record, &can);
    cut.pop();
    let damaged = a.path("damaged-face.png");
    issuer::qr::png(&cut).unwrap().save(&damaged).unwrap();
    let out = a.verify(&["--json", "--qr", damaged.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "invalid");
}

#[test]
fn exit_statuses_for_every_outcome() {
    let a = Authority::new();
    let uw = a.signed_unified_window();
    let rc = uw.to_str().unwrap();
    assert_eq!(a.verify(&["--record", rc]).status.code(), Some(0));
    let card = a.signed_resident_card();
    assert_eq!(
        a.verify(&["--record", card.to_str().unwrap()])
            .status
            .code(),
        Some(3),
        "a chip card's record, printed"
    );
    assert_eq!(
        a.verify(&["--record", rc, "--at", "2099-01-01T00:00:00Z"])
            .status
            .code(),
        Some(1)
    );
    // Long after the list's next update: indeterminate (stale list) until the record expires.
    let list_stale = a.verify(&["--json", "--record", rc, "--at", "2000-01-01T00:00:00Z"]);
    assert_eq!(list_stale.status.code(), Some(2), "clock before the list");
    assert_eq!(
        a.verify(&["--record", "/nonexistent"]).status.code(),
        Some(66)
    );
    assert_eq!(
        a.verify(&["--record", rc, "--at", "yesterday"])
            .status
            .code(),
        Some(64)
    );
    assert_eq!(
        a.verify(&["--record", rc, "--role", "employer"])
            .status
            .code(),
        Some(64)
    );
    assert_eq!(
        a.verify(&["--record", rc, "--role", "employer", "--employer-tin", "12"])
            .status
            .code(),
        Some(64)
    );
    // A border guard's check that names an employer: a mistake, not a silent employer check.
    let out = a.verify(&["--record", rc, "--employer-tin", "01234567890123"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--employer-tin is for --role employer"));
    // A picture with no QR code in it.
    let blank = a.path("blank.png");
    image_blank(&blank);
    assert_eq!(
        a.verify(&["--qr", blank.to_str().unwrap()]).status.code(),
        Some(65)
    );
    // A damaged trust list is refused before anything is verified.
    let mut list = std::fs::read(a.path("auth/trust.list")).unwrap();
    let n = list.len();
    list[n - 3] ^= 0x40;
    std::fs::write(a.path("auth/trust.list"), list).unwrap();
    assert_eq!(a.verify(&["--record", rc]).status.code(), Some(65));
}

fn image_blank(path: &Path) {
    // A minimal valid 1x1 grey PNG.
    let png = hex::decode(
        "89504e470d0a1a0a0000000d4948445200000001000000010800000000\
         3a7e9b550000000a49444154789c63f80f00000101000518d84e0000000049454e44ae426082",
    )
    .unwrap();
    std::fs::write(path, png).unwrap();
}

#[test]
fn issuer_refuses_nonsense_with_a_clear_message() {
    let a = Authority::new();
    let sample = std::fs::read_to_string(a.path("auth/holders/resident-card.toml")).unwrap();
    let base = std::fs::read_to_string(a.holder("resident-card")).unwrap();
    let cases: [(&str, String, &str); 7] = [
        (
            "no-chip-key",
            sample,
            "a resident card is a chip card: chip_public_key is required",
        ),
        (
            "pin",
            base.replace("pin = \"21503199000123\"", "pin = \"2150319900012\""),
            "pin: must be exactly 14 digits",
        ),
        (
            "inverted",
            base.replace("valid_until = \"", "valid_until = \"2000-01-01\"\n#"),
            "valid_until (2000-01-01) is before valid_from",
        ),
        (
            "too-long",
            base.replace("valid_until = \"", "valid_until = \"2099-01-01\"\n#"),
            "exceeds the 366 days a resident card may have",
        ),
        (
            "unknown-field",
            format!("{base}\nfavourite_colour = \"blue\"\n"),
            "unknown field `favourite_colour`",
        ),
        (
            "unauthorized",
            base.clone(),
            "not authorized to sign a resident card",
        ),
        (
            "no-itn",
            base.replace("itn = \"21503199000123\"\n", ""),
            "must carry the holder's taxpayer number",
        ),
    ];
    for (name, text, message) in cases {
        let holder = a.path(&format!("{name}.toml"));
        std::fs::write(&holder, text).unwrap();
        let key = if name == "unauthorized" {
            "unified-window"
        } else {
            "resident-card"
        };
        let out = a.sign(key, &holder, &format!("{name}.bin"));
        assert_eq!(out.status.code(), Some(1), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{name}: {err}");
        assert!(
            !a.path(&format!("{name}.bin")).exists(),
            "{name}: wrote a record anyway"
        );
    }
}

fn openssl(args: &[&str], dir: &Path) -> Output {
    run(Command::new("openssl").args(args).current_dir(dir))
}

#[test]
fn openssl_reads_our_keys_and_checks_our_signatures() {
    let a = Authority::new();
    let dir = a.path("auth");
    for name in ["root", "resident-card", "personalization"] {
        let out = openssl(
            &["pkey", "-in", &format!("{name}.key.pem"), "-pubout"],
            &dir,
        );
        assert!(out.status.success());
        assert_eq!(
            out.stdout,
            std::fs::read(dir.join(format!("{name}.pub.pem"))).unwrap(),
            "{name}"
        );
    }
    assert!(a
        .sign("resident-card", &a.holder("resident-card"), "auth/rc.bin")
        .status
        .success());
    // The recipe of docs/formats.md, verbatim.
    let script = include_str!("../../docs/openssl-verify.sh");
    let out = run(Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("verify")
        .arg("rc.bin")
        .arg("resident-card.pub.pem")
        .current_dir(&dir));
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verified OK"));
    // A tampered record fails the same recipe.
    let mut record = std::fs::read(dir.join("rc.bin")).unwrap();
    let at = record.windows(5).position(|w| w == b"Elena").unwrap();
    record[at] = b'I';
    std::fs::write(dir.join("bad.bin"), record).unwrap();
    let out = run(Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("verify")
        .arg("bad.bin")
        .arg("resident-card.pub.pem")
        .current_dir(&dir));
    assert!(!out.status.success());
    // And a list's signature with the root key.
    let out = run(Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("verify")
        .arg("trust.list")
        .arg("root.pub.pem")
        .current_dir(&dir));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Verified OK"));
}

#[test]
fn an_independent_ber_tlv_parser_reads_the_same_tree() {
    use iso7816_tlv::ber::{Tlv, Value};
    let dir = stay_tests::testdata();
    for file in [
        "records/resident-card-chip.bin",
        "records/digital-nomad.bin",
        "lists/current.list",
    ] {
        let bytes = std::fs::read(dir.join(file)).unwrap();
        let (tlv, rest) = Tlv::parse(&bytes);
        let tlv = tlv.unwrap_or_else(|e| panic!("{file}: {e:?}"));
        assert!(rest.is_empty(), "{file}");
        assert_eq!(tlv.to_vec(), bytes, "{file}: re-encoding differs");
        let Value::Constructed(parts) = tlv.value() else {
            panic!("{file}: not constructed")
        };
        assert_eq!(parts.len(), 2, "{file}: body and signature");
        let Value::Primitive(signature) = parts[1].value() else {
            panic!("{file}: signature")
        };
        assert_eq!(signature.len(), 64);
        // The body's fields, in order, are what stay-core reads.
        let Value::Constructed(fields) = parts[0].value() else {
            panic!("{file}: body")
        };
        let mut ours = stay_core::tlv::Reader::new(&bytes);
        let outer = ours.read().unwrap();
        let body = stay_core::tlv::Reader::new(outer.value).read().unwrap();
        let mut reader = stay_core::tlv::Reader::new(body.value);
        for field in fields {
            let mine = reader.read().unwrap();
            assert_eq!(field.to_vec(), mine.encoded, "{file}");
        }
        assert!(reader.is_empty());
    }
}

/// A station's spoiled numbers reach the next list's revocations through
/// `sign-list --retired`, with no copying by hand.
#[test]
fn sign_list_revokes_the_numbers_a_station_retired() {
    let a = Authority::new();
    let uw = a.signed_unified_window();
    let uw = uw.to_str().unwrap();
    assert_eq!(a.verify(&["--record", uw]).status.code(), Some(0));
    let source = std::fs::read_to_string(a.path("auth/list.toml")).unwrap();
    std::fs::write(
        a.path("auth/list.toml"),
        source.replace("sequence = 1", "sequence = 2"),
    )
    .unwrap();
    // What `reader-host station` writes in its --out folder.
    std::fs::create_dir_all(a.path("faces")).unwrap();
    std::fs::write(
        a.path("faces/retired-numbers.txt"),
        "ST0000004\nUW0000001\n",
    )
    .unwrap();
    let out = run(Command::new(&a.issuer)
        .args(["sign-list", "--key"])
        .arg(a.path("auth/root.key.pem"))
        .arg("--in")
        .arg(a.path("auth/list.toml"))
        .arg("--out")
        .arg(a.path("auth/trust.list"))
        .arg("--retired")
        .arg(a.path("faces/retired-numbers.txt")));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list = std::fs::read(a.path("auth/trust.list")).unwrap();
    let root = stay_std::pem::read_public(&a.path("auth/root.pub.pem")).unwrap();
    let list = stay_core::TrustList::load(&list, &root, None).unwrap();
    for number in ["ST0000004", "UW0000001", "RC0000099"] {
        assert!(list.is_document_revoked(number), "{number}");
    }
    let out = a.verify(&["--record", uw]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("INVALID: document-revoked"));
}

#[test]
fn a_new_list_revokes_a_card_and_an_old_one_is_refused_as_rollback() {
    let a = Authority::new();
    let rc = a.signed_unified_window();
    let rc = rc.to_str().unwrap();
    assert_eq!(a.verify(&["--record", rc]).status.code(), Some(0));
    let source = std::fs::read_to_string(a.path("auth/list.toml")).unwrap();
    let revoking = source.replace("sequence = 1", "sequence = 2").replace(
        "revoked_documents = [\"RC0000099\"]",
        "revoked_documents = [\"RC0000099\", \"UW0000001\"]",
    );
    assert_ne!(source, revoking);
    std::fs::write(a.path("auth/list.toml"), revoking).unwrap();
    let sign_list = |key: &str, out: &str| {
        run(Command::new(&a.issuer)
            .args(["sign-list", "--key"])
            .arg(a.path(key))
            .arg("--in")
            .arg(a.path("auth/list.toml"))
            .arg("--out")
            .arg(a.path(out)))
    };
    assert!(sign_list("auth/root.key.pem", "auth/trust.list")
        .status
        .success());
    let out = a.verify(&["--record", rc]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("INVALID: document-revoked"));
    // Signing again without raising the sequence is refused, over the list at --out or
    // against a --previous list, and the published list stays as it was.
    let published = std::fs::read(a.path("auth/trust.list")).unwrap();
    let again = sign_list("auth/root.key.pem", "auth/trust.list");
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("sequence 2 does not increase"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    assert_eq!(std::fs::read(a.path("auth/trust.list")).unwrap(), published);
    let against_previous = run(Command::new(&a.issuer)
        .args(["sign-list", "--key"])
        .arg(a.path("auth/root.key.pem"))
        .arg("--in")
        .arg(a.path("auth/list.toml"))
        .arg("--out")
        .arg(a.path("elsewhere.list"))
        .arg("--previous")
        .arg(a.path("auth/trust.list")));
    assert!(!against_previous.status.success());
    assert!(!a.path("elsewhere.list").exists());
    // A list signed by any other key is refused by the verifier.
    let forged = sign_list("auth/resident-card.key.pem", "forged.list");
    assert!(forged.status.success());
    let out = run(Command::new(&a.reader)
        .args(["verify", "--trust-list"])
        .arg(a.path("forged.list"))
        .arg("--root-key")
        .arg(a.path("auth/root.pub.pem"))
        .args(["--record", rc]));
    assert_eq!(out.status.code(), Some(65));
}

#[test]
fn scan_qr_prints_the_raw_payloads() {
    let a = Authority::new();
    let holder = a.holder("resident-card");
    assert!(a
        .sign("resident-card", &holder, "card.bin")
        .status
        .success());
    let record = std::fs::read(a.path("card.bin")).unwrap();
    assert!(run(Command::new(&a.issuer)
        .arg("qr")
        .arg(a.path("card.bin"))
        .arg("--out")
        .arg(a.path("card.png")))
    .status
    .success());
    let out = run(Command::new(&a.reader)
        .args(["scan-qr", "--json"])
        .arg(a.path("card.png")));
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["payloads"][0], hex::encode_upper(&record));
    // A Shift_JIS label: the bytes as they are, and the text converted.
    let photo = stay_tests::testdata().join("qr-zxing/qrcode-2/17.png");
    let out = run(Command::new(&a.reader)
        .args(["scan-qr", "--json"])
        .arg(&photo));
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let label = std::fs::read_to_string(photo.with_extension("txt")).unwrap();
    assert_eq!(json[0]["texts"][0], label.as_str());
    assert!(json[0]["payloads"][0]
        .as_str()
        .unwrap()
        .starts_with("C3DEBBDEB2DD"));
    // An image without a code: 65; a missing file: 66.
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .save(a.path("blank.png"))
        .unwrap();
    let out = run(Command::new(&a.reader)
        .arg("scan-qr")
        .arg(a.path("card.png"))
        .arg(a.path("blank.png")));
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stdout).contains("blank.png: 0 code(s)"));
    let out = run(Command::new(&a.reader)
        .arg("scan-qr")
        .arg(a.path("missing.png")));
    assert_eq!(out.status.code(), Some(66));
}

#[test]
fn station_tokens_are_private_and_the_service_stays_on_loopback() {
    use std::os::unix::fs::PermissionsExt;
    let a = Authority::new();
    // `issuer init` made one station's token; a second station gets its own.
    let out = run(Command::new(&a.issuer)
        .args(["new-token", "--label", "station-2", "--tokens"])
        .arg(a.path("auth/signing.tokens"))
        .arg("--out")
        .arg(a.path("station-2.token")));
    assert!(out.status.success());
    let tokens = std::fs::read_to_string(a.path("auth/signing.tokens")).unwrap();
    let first = std::fs::read_to_string(a.path("auth/station-1.token")).unwrap();
    let second = std::fs::read_to_string(a.path("station-2.token")).unwrap();
    // The service's file holds digests only; each token is only in its station's file.
    for (token, label) in [(&first, "station-1"), (&second, "station-2")] {
        assert!(tokens.contains(&issuer::service::token_line(token.trim(), label)));
        assert!(!tokens.contains(token.trim()), "{tokens}");
    }
    assert_ne!(first, second);
    for file in [
        "auth/signing.tokens",
        "auth/station-1.token",
        "station-2.token",
    ] {
        let mode = std::fs::metadata(a.path(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    let bad_label = run(Command::new(&a.issuer)
        .args(["new-token", "--label", "two words", "--tokens"])
        .arg(a.path("auth/signing.tokens"))
        .arg("--out")
        .arg(a.path("x.token")));
    assert_eq!(bad_label.status.code(), Some(1));
    assert!(!a.path("x.token").exists());

    // Plain HTTP on a public address only when asked for.
    let public = run(Command::new(&a.issuer)
        .args(["serve", "--listen", "0.0.0.0:0", "--key"])
        .arg(a.path("auth/resident-card.key.pem")));
    assert_eq!(public.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&public.stderr).contains("not a loopback address"));
    // A key the list does not trust would sign nothing: the service does not start.
    let stranger = run(Command::new(&a.issuer)
        .args(["serve", "--listen", "127.0.0.1:0", "--key"])
        .arg(a.path("auth/root.key.pem")));
    assert_eq!(stranger.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&stranger.stderr).contains("not on the trust list"));
}

/// The kiosk's address with the desk token goes into a 0600 page for the browser to start
/// on, never onto a command line; the desk's config tells `audit` where its log and key are.
#[test]
fn kiosk_url_writes_a_private_page_and_audit_reads_the_config() {
    use std::os::unix::fs::PermissionsExt;
    let reader = bin("reader-host");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("reader-host.toml");
    std::fs::write(
        &config,
        "role = \"border\"\ndata_dir = \"data\"\n[trust_list]\nroot_key = \"root.pub.pem\"\n",
    )
    .unwrap();
    // Before the desk ever ran there is no token.
    let out = run(Command::new(&reader)
        .args(["kiosk-url", "--config"])
        .arg(&config));
    assert_eq!(out.status.code(), Some(66));
    std::fs::create_dir(dir.path().join("data")).unwrap();
    let token = reader_host::access::DeskToken::open_or_create(&dir.path().join("data")).unwrap();
    let page = dir.path().join("kiosk.html");
    let out = run(Command::new(&reader)
        .args(["kiosk-url", "--config"])
        .arg(&config)
        .arg("--page")
        .arg(&page));
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stdout).contains(token.as_str()));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains(&format!(
            "url=http://127.0.0.1:8470/#token={}",
            token.as_str()
        )),
        "{html}"
    );
    let mode = std::fs::metadata(&page).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let out = run(Command::new(&reader)
        .args(["kiosk-url", "--config"])
        .arg(&config));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("http://127.0.0.1:8470/#token={}", token.as_str())
    );
    // No log yet: `audit` says so (66), reading the data directory from the config.
    let out = run(Command::new(&reader)
        .args(["audit", "--config"])
        .arg(&config));
    assert_eq!(out.status.code(), Some(66));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no audit log"));
}

/// `reader-host verify --lang ky|ru|en`: every outcome's lines in the language, words from
/// the messages (never English in Kyrgyz or Russian), codes unchanged beside them, the time
/// in Bishkek; without `--lang`, the locale decides.
#[test]
fn verify_speaks_kyrgyz_russian_and_english_for_every_outcome() {
    use stay_std::messages::{messages, Language};
    let a = Authority::new();
    let uw = a.signed_unified_window();
    let uw = uw.to_str().unwrap();
    let card = a.signed_resident_card();
    let card = card.to_str().unwrap();
    // (arguments, status word id, reason code, decision code)
    let outcomes: [(&[&str], &str, Option<&str>, &str); 4] = [
        (&["--record", uw], "outcome-valid", None, "may-stay"),
        (
            &["--record", uw, "--at", "2099-01-01T00:00:00Z"],
            "outcome-invalid",
            Some("expired"),
            "may-not-stay",
        ),
        (
            &["--record", uw, "--at", "2000-01-01T00:00:00Z"],
            "outcome-indeterminate",
            Some("clock-before-trust-list"),
            "refer",
        ),
        (
            &["--record", card],
            "outcome-indeterminate",
            Some("chip-not-read"),
            "read-the-chip",
        ),
    ];
    for language in Language::ALL {
        let m = messages(language);
        for (args, word, reason, decision) in outcomes {
            let out = a.verify(&[args, &["--lang", language.code()]].concat());
            let text = String::from_utf8(out.stdout).unwrap();
            let mut lines = text.lines();
            let headline = match reason {
                None => m.text(word),
                Some(code) => format!("{}: {code} ({})", m.text(word), m.code("reason", code)),
            };
            assert_eq!(
                lines.next(),
                Some(headline.as_str()),
                "{}: {text}",
                language.code()
            );
            let decided = format!(
                "  {} ({decision}): {}",
                m.text("role-border"),
                m.code("decision", decision)
            );
            assert_eq!(
                lines.next(),
                Some(decided.as_str()),
                "{}: {text}",
                language.code()
            );
            assert!(
                text.contains(&m.text("field-surname"))
                    && text.contains(&m.text("field-valid-until")),
                "{}: {text}",
                language.code()
            );
            let zone = match language {
                Language::Kyrgyz => "Бишкек убактысы, UTC+6",
                Language::Russian => "время Бишкека, UTC+6",
                Language::English => "Bishkek, UTC+6",
            };
            assert!(text.contains(zone), "{}: {text}", language.code());
            if language != Language::English {
                for english in ["VALID", "may stay", "surname", "source"] {
                    assert!(
                        !text.contains(english),
                        "{english} in {}: {text}",
                        language.code()
                    );
                }
            }
        }
    }
    // The printed copy of a chip card says what to compare, in Kyrgyz.
    let out = a.verify(&["--record", card, "--lang", "ky"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&messages(Language::Kyrgyz).text("presentation-printed-copy")),
        "{text}"
    );
    // An hour from now, on the hour: six hours later in Bishkek.
    let later = stay_core::UnixTime((stay_std::clock::system_now().0 / 3600 + 1) * 3600);
    let at = stay_std::clock::format_rfc3339(later);
    let out = a.verify(&["--record", uw, "--at", &at, "--lang", "en"]);
    let text = String::from_utf8(out.stdout).unwrap();
    let bishkek = stay_std::clock::format_bishkek(later);
    assert_eq!(bishkek[11..13], format!("{:02}", (later.0 / 3600 + 6) % 24));
    assert!(
        text.contains(&format!("{bishkek} (Bishkek, UTC+6)")),
        "{text}"
    );
    // No --lang: the locale; a locale we do not speak: English.
    let mut russian = Command::new(&a.reader);
    russian
        .arg("verify")
        .arg("--trust-list")
        .arg(a.path("auth/trust.list"))
        .arg("--root-key")
        .arg(a.path("auth/root.pub.pem"))
        .args(["--record", uw])
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "ru_RU.UTF-8");
    let text = String::from_utf8(run(&mut russian).stdout).unwrap();
    assert!(text.starts_with("ДЕЙСТВИТЕЛЕН\n"), "{text}");
    let text = String::from_utf8(run(russian.env("LANG", "de_DE.UTF-8")).stdout).unwrap();
    assert!(text.starts_with("VALID\n"), "{text}");
    // JSON does not change with the language: codes, and times with Bishkek's offset.
    let json = a.verify(&["--record", uw, "--json", "--lang", "ky", "--at", &at]);
    let json: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(json["status"], "valid");
    assert_eq!(
        json["checked_at"],
        stay_std::clock::format_rfc3339_bishkek(later).as_str()
    );
    assert!(json["checked_at"]
        .as_str()
        .unwrap()
        .ends_with(":00:00+06:00"));
    assert_eq!(json["explanation"], "every check passed");
    let bad = a.verify(&["--record", uw, "--lang", "de"]);
    assert_eq!(bad.status.code(), Some(64));
}

#[test]
fn the_office_tools_speak_the_operators_language() {
    let a = Authority::new();
    // A refusal in Russian: the issuer's own words for it, with what to fix.
    let base = std::fs::read_to_string(a.holder("resident-card")).unwrap();
    let holder = a.path("too-long.toml");
    std::fs::write(
        &holder,
        base.replace("valid_until = \"", "valid_until = \"2099-01-01\"\n#"),
    )
    .unwrap();
    let out = run(Command::new(&a.issuer)
        .args(["--lang", "ru", "sign-record", "--key"])
        .arg(a.path("auth/resident-card.key.pem"))
        .arg("--in")
        .arg(&holder)
        .arg("--out")
        .arg(a.path("too-long.bin")));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("отказ в подписи"), "{err}");
    assert!(
        err.contains("больше допустимого: карта резидента — не более 366 дн."),
        "{err}"
    );
    assert!(!err.contains("exceeds"), "{err}");
    // A signed record, and the list decoded for people, in Kyrgyz with Bishkek time.
    let out = run(Command::new(&a.issuer)
        .args(["--lang", "ky", "sign-record", "--key"])
        .arg(a.path("auth/resident-card.key.pem"))
        .arg("--in")
        .arg(a.holder("resident-card"))
        .arg("--out")
        .arg(a.path("rc.bin")));
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("байт, резидент картасы"), "{said}");
    let out = run(Command::new(&a.issuer)
        .args(["--lang", "ky", "show", "--root-key"])
        .arg(a.path("auth/root.pub.pem"))
        .arg(a.path("auth/trust.list")));
    let shown = String::from_utf8_lossy(&out.stdout);
    for ky in [
        "Ишеним тизмеси",
        "тизменин номери",
        "Бишкек убактысы, UTC+6",
        "туура",
        "колтамга ачкычтары (3):",
    ] {
        assert!(shown.contains(ky), "{ky}: {shown}");
    }
    assert!(
        !shown.contains("Trust list") && !shown.contains("signing keys"),
        "{shown}"
    );
    let out = run(Command::new(&a.issuer)
        .args(["--lang", "ru", "show"])
        .arg(a.path("rc.bin")));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("Запись о пребывании"), "{shown}");
    assert!(shown.contains("ключ подписи"), "{shown}");
    // `init` tells the office what it made, in Kyrgyz.
    let out = run(Command::new(&a.issuer)
        .args(["--lang", "ky", "init"])
        .arg(a.path("ky-authority")));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains("берүүчү орган"), "{said}");
    assert!(said.contains("резидент картасы: колтамга ачкычы"), "{said}");
    // A key file that is not there, said in Russian by the same words every tool uses.
    let out = run(Command::new(&a.issuer)
        .args(["--lang", "ru", "sign-record", "--key"])
        .arg(a.path("auth/no-such.key.pem"))
        .arg("--in")
        .arg(a.holder("resident-card"))
        .arg("--out")
        .arg(a.path("never.bin")));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("не удаётся прочитать") && err.contains("no-such.key.pem"),
        "{err}"
    );
    assert!(!err.contains("cannot read"), "{err}");
    // The reader's own errors and scan-qr, in Russian.
    let out = a.verify(&["--record", "missing.bin", "--lang", "ru"]);
    assert_eq!(out.status.code(), Some(66));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("не удаётся прочитать missing.bin"), "{err}");
    let out = a.verify(&["--lang", "ru"]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("укажите --record, --qr или --card"));
    let blank = a.path("blank.png");
    image::GrayImage::from_pixel(64, 64, image::Luma([255]))
        .save(&blank)
        .unwrap();
    let out = run(Command::new(&a.reader)
        .args(["--lang", "ru", "scan-qr"])
        .arg(&blank));
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stdout).ends_with("blank.png: кодов: 0\n"));
}

/// The office changes stays after issuance: each step appended to the list source's
/// history, refused when it makes no sense (the source then unchanged), published by the
/// next signed list, and read by `reader-host verify` with the date it moved.
#[test]
fn the_office_extends_suspends_lifts_and_supersedes_and_every_reader_sees_it() {
    let a = Authority::new();
    let source = a.path("auth/list.toml");
    let today = stay_std::clock::system_now().bishkek_date();
    let day = |n: i64| stay_core::Date::from_days_since_epoch(today.days_since_epoch() + n);
    let at = |n: i64| format!("{}T06:00:00Z", day(n));
    let sequence = std::cell::Cell::new(1);
    // Each list goes a sequence up and lasts two years, so a check far ahead is current.
    let publish = || {
        sequence.set(sequence.get() + 1);
        let sequence = sequence.get();
        let text = std::fs::read_to_string(&source).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        for line in &mut lines {
            if line.starts_with("sequence = ") {
                *line = format!("sequence = {sequence}");
            } else if line.starts_with("next_update = ") {
                *line = format!("next_update = \"{}T00:00:00Z\"", day(730));
            }
        }
        std::fs::write(&source, lines.join("\n") + "\n").unwrap();
        let out = run(Command::new(&a.issuer)
            .args(["sign-list", "--key"])
            .arg(a.path("auth/root.key.pem"))
            .arg("--in")
            .arg(&source)
            .arg("--out")
            .arg(a.path("auth/trust.list")));
        assert!(out.status.success());
    };
    let step = |args: &[&str]| {
        run(Command::new(&a.issuer)
            .args(["--lang", "en"])
            .args(args)
            .arg("--list-source")
            .arg(&source))
    };
    let stdout = |o: &Output| String::from_utf8_lossy(&o.stdout).into_owned();
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let refused = |args: &[&str], words: &str| {
        let before = std::fs::read(&source).unwrap();
        let out = step(args);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(stderr(&out).contains(words), "{}", stderr(&out));
        assert_eq!(std::fs::read(&source).unwrap(), before, "{args:?} wrote");
    };

    // Suspended from today: invalid with its own reason; lifted: valid again.
    let uw = a.signed_unified_window();
    let uw = uw.to_str().unwrap();
    let ok = step(&["suspend", "UW0000001", "--note", "case 2026/117"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    assert!(
        stdout(&ok).contains("UW0000001: suspended from"),
        "{}",
        stdout(&ok)
    );
    refused(&["suspend", "UW0000001"], "UW0000001 is already suspended");
    publish();
    let out = a.verify(&["--record", uw]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).starts_with("INVALID: suspended"),
        "{}",
        stdout(&out)
    );
    assert!(step(&["lift", "UW0000001"]).status.success());
    refused(&["lift", "UW0000001"], "UW0000001 is not suspended");
    publish();
    assert_eq!(a.verify(&["--record", uw]).status.code(), Some(0));

    // A unified-window document is never extended; a digital nomad's stay is, within
    // three years from its valid-from.
    refused(
        &["extend", uw, "--until", &day(90).to_string()],
        "is not extended",
    );
    let nomad = a.holder("digital-nomad");
    assert!(a.sign("digital-nomad", &nomad, "dn.bin").status.success());
    let dn = a.path("dn.bin");
    let dn = dn.to_str().unwrap();
    refused(
        &["extend", dn, "--until", &day(300).to_string()],
        "is not later than the stay's",
    );
    refused(
        &["extend", dn, "--until", &day(1200).to_string()],
        "lasts at most 1098 days",
    );
    let until = day(500).to_string();
    assert!(step(&["extend", dn, "--until", &until]).status.success());
    publish();
    // A year and a month on, the card's own date has passed; the list's has not.
    let out = a.verify(&["--record", dn, "--json", "--at", &at(400)]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "valid");
    assert_eq!(v["fields"]["valid_until"], day(364).to_string());
    assert_eq!(v["fields"]["effective_valid_until"], until);
    assert_eq!(v["status_change"]["kind"], "extended");
    assert_eq!(v["status_change"]["list_sequence"], sequence.get());
    let out = a.verify(&["--record", dn, "--lang", "ru", "--at", &at(400)]);
    assert!(
        stdout(&out).contains(&format!("пребывание продлено до {until}")),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        a.verify(&["--record", dn, "--at", &at(501)]).status.code(),
        Some(1),
        "expired on the extension's own date"
    );

    // Superseded by the same holder's resident card: names the successor.
    let other = a.signed_resident_card();
    refused(
        &["supersede", uw, "--by", other.to_str().unwrap()],
        "not the same holder's",
    );
    let same_holder = a.path("rc-of-uw.toml");
    let text = std::fs::read_to_string(a.holder("resident-card")).unwrap();
    let text = text
        .replace("RC0000001", "RC0000071")
        .replace("21503199000123", "12207198500456");
    std::fs::write(&same_holder, text).unwrap();
    assert!(a
        .sign("resident-card", &same_holder, "rc-of-uw.bin")
        .status
        .success());
    let rc = a.path("rc-of-uw.bin");
    refused(
        &["supersede", rc.to_str().unwrap(), "--by", uw],
        "only a unified-window document is superseded",
    );
    assert!(step(&["supersede", uw, "--by", rc.to_str().unwrap()])
        .status
        .success());
    refused(&["suspend", "UW0000001"], "was superseded by RC0000071");
    publish();
    let out = a.verify(&["--record", uw, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reason"], "superseded");
    assert_eq!(v["status_change"]["successor"], "RC0000071");

    // The history keeps every step; the list only what is in force.
    let history = std::fs::read_to_string(&source).unwrap();
    assert_eq!(history.matches("[[status]]").count(), 4, "{history}");
    assert!(history.contains("note = \"case 2026/117\""));
    let shown = run(Command::new(&a.issuer)
        .args(["--lang", "en", "show"])
        .arg(a.path("auth/trust.list")));
    let shown = stdout(&shown);
    assert!(shown.contains("status changes (2):"), "{shown}");
    assert!(shown.contains(&format!("DN0000001: stay extended until {until}")));
    assert!(shown.contains("UW0000001: replaced by RC0000071 from"));
}

/// The employer watches three documents: the next list revokes one, another's stay ends in
/// ten days; both are reported, the third is not.
#[test]
fn the_employers_watch_reports_the_revoked_and_the_ending_and_no_one_else() {
    let a = Authority::new();
    let today = stay_std::clock::system_now().bishkek_date();
    let day = |n: i64| stay_core::Date::from_days_since_epoch(today.days_since_epoch() + n);
    let staff = a.path("employer/staff.toml");
    std::fs::create_dir_all(a.path("employer")).unwrap();
    let watch = |args: &[&str]| {
        run(Command::new(&a.reader)
            .args(["--lang", "en", "watch", "--employees"])
            .arg(&staff)
            .arg("--trust-list")
            .arg(a.path("auth/trust.list"))
            .arg("--root-key")
            .arg(a.path("auth/root.pub.pem"))
            .args(args))
    };
    let rc = a.signed_resident_card();
    let uw = a.signed_unified_window();
    let nomad = a.holder("digital-nomad");
    assert!(a.sign("digital-nomad", &nomad, "dn.bin").status.success());
    for (record, name) in [
        (rc.clone(), "Elena (warehouse)"),
        (uw.clone(), "Farrukh (kitchen)"),
        (a.path("dn.bin"), "Jonas (consultant)"),
    ] {
        let out = watch(&["--add", record.to_str().unwrap(), "--name", name]);
        assert_eq!(out.status.code(), Some(0), "nothing to report yet");
    }
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&staff).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the watch names people: owner only");
    // A forged record is never watched.
    let mut forged = std::fs::read(&uw).unwrap();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    std::fs::write(a.path("forged.bin"), forged).unwrap();
    let out = watch(&[
        "--add",
        a.path("forged.bin").to_str().unwrap(),
        "--name",
        "X",
    ]);
    assert_eq!(out.status.code(), Some(65));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an authentic stay record"));

    let source = std::fs::read_to_string(a.path("auth/list.toml")).unwrap();
    let revoking = source.replace("sequence = 1", "sequence = 2").replace(
        "revoked_documents = [\"RC0000099\"]",
        "revoked_documents = [\"RC0000099\", \"RC0000001\"]",
    );
    std::fs::write(a.path("auth/list.toml"), revoking).unwrap();
    assert!(run(Command::new(&a.issuer)
        .args(["sign-list", "--key"])
        .arg(a.path("auth/root.key.pem"))
        .arg("--in")
        .arg(a.path("auth/list.toml"))
        .arg("--out")
        .arg(a.path("auth/trust.list")))
    .status
    .success());
    // The unified-window document ends on day 59: ten days ahead on day 49.
    let at = format!("{}T06:00:00Z", day(49));
    let out = watch(&["--at", &at, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = v["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 2, "{v:#}");
    assert_eq!(findings[0]["number"], "RC0000001");
    assert_eq!(findings[0]["finding"], "revoked");
    assert_eq!(findings[1]["number"], "UW0000001");
    assert_eq!(findings[1]["finding"], "ends-soon");
    assert_eq!(findings[1]["days_left"], 10);
    assert_eq!(findings[1]["date"], day(59).to_string());
    assert_eq!(v["watched"], 3);
    let text = String::from_utf8_lossy(&watch(&["--at", &at]).stdout).into_owned();
    assert!(
        text.contains("Elena (warehouse) (RC0000001): REVOKED"),
        "{text}"
    );
    assert!(text.contains("Farrukh (kitchen) (UW0000001): the stay ends on"));
    assert!(!text.contains("Jonas"), "{text}");
    assert!(text.contains("2 of 3 watched documents need attention (trust list 2)"));
}

/// The electronic unified-window document: a PDF whose QR, rendered by an independent PDF
/// renderer (poppler's pdftoppm), reads back to the very record.
#[test]
fn the_electronic_document_renders_and_its_qr_reads_back_to_the_record() {
    let a = Authority::new();
    let uw = a.signed_unified_window();
    let pdf = a.path("uw.pdf");
    let out = run(Command::new(&a.issuer)
        .args(["--lang", "en", "document"])
        .arg(&uw)
        .arg("--out")
        .arg(&pdf));
    assert!(out.status.success());
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    let rendered = run(Command::new("pdftoppm")
        .args(["-png", "-r", "100", "-singlefile"])
        .arg(&pdf)
        .arg(a.path("uw")));
    assert!(rendered.status.success());
    let scanned = run(Command::new(&a.reader)
        .args(["scan-qr", "--json"])
        .arg(a.path("uw.png")));
    assert!(scanned.status.success());
    let v: serde_json::Value = serde_json::from_slice(&scanned.stdout).unwrap();
    let record = hex::encode_upper(std::fs::read(&uw).unwrap());
    assert_eq!(v[0]["payloads"], serde_json::json!([record]));
    // Anything but a record is refused, and no PDF written.
    let refused = run(Command::new(&a.issuer)
        .args(["--lang", "en", "document"])
        .arg(a.path("auth/trust.list"))
        .arg("--out")
        .arg(a.path("list.pdf")));
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("is not a stay record"));
    assert!(!a.path("list.pdf").exists());
}
