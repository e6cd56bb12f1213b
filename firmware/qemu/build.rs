//! Turns testdata/vectors.toml into Rust tables for the device (which has no file system
//! and no TOML parser): the files are `include_bytes!`ed, the cases become statics.
//! On the host the crate is a stub and nothing is generated.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[derive(serde::Deserialize)]
struct Vectors {
    root_key: String,
    #[serde(rename = "list")]
    lists: Vec<ListCase>,
    #[serde(rename = "case")]
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
struct ListCase {
    name: String,
    file: String,
    trusted_sequence: Option<u64>,
    expect: String,
}

#[derive(serde::Deserialize)]
struct Case {
    name: String,
    record: String,
    list: String,
    now: u64,
    role: String,
    employer_tin: Option<String>,
    presentation: String,
    transcript: Option<String>,
    can: Option<String>,
    terminal_seed: Option<u8>,
    expect_status: String,
    expect_reason: Option<String>,
    expect_decision: String,
    expect_chip_authenticated: bool,
    expect_change: Option<String>,
    expect_change_date: Option<String>,
    expect_successor: Option<String>,
}

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    let on_device = std::env::var("CARGO_CFG_TARGET_OS").is_ok_and(|os| os == "none");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=memory.x");
    if !on_device {
        return;
    }
    // The host's bytes for every screen, for the device to compare its own with.
    let sent = firmware::screen::self_test::draw_every_screen()
        .unwrap_or_else(|e| panic!("the screens do not draw on the host: {e:?}"));
    std::fs::write(
        out.join("screens.rs"),
        format!(
            "const HOST_BYTES: u32 = {};\nconst HOST_DIGEST: u32 = {:#010x};\n",
            sent.bytes, sent.digest
        ),
    )
    .unwrap();
    std::fs::copy("memory.x", out.join("memory.x")).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg=-Tlink.x");

    let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
    println!(
        "cargo:rerun-if-changed={}",
        testdata.join("vectors.toml").display()
    );
    let vectors: Vectors =
        toml::from_str(&std::fs::read_to_string(testdata.join("vectors.toml")).unwrap()).unwrap();
    let mut files = BTreeMap::new();
    let mut file = |name: &str| -> usize {
        let next = files.len();
        *files.entry(name.to_string()).or_insert(next)
    };
    // The cases' words go to the vectors' section too: an expression naming one.
    let texts = std::cell::RefCell::new(String::new());
    let text_count = std::cell::Cell::new(0usize);
    let text = |s: &str| -> String {
        let n = text_count.get();
        text_count.set(n + 1);
        writeln!(
            texts.borrow_mut(),
            "#[link_section = \".vectors\"]\nstatic TEXT_{n}: [u8; {}] = {:?};",
            s.len(),
            s.as_bytes()
        )
        .unwrap();
        format!("vector_text(&TEXT_{n})")
    };
    let opt_str = |s: &Option<String>| match s {
        Some(s) => format!("Some({})", text(s)),
        None => "None".into(),
    };
    // Test data is not firmware: the vectors' bytes go to their own section, which
    // memory.x places outside the 128 KiB of flash the budget is about.
    let mut statics = String::new();
    // A chip case's recorded border check: the card's answers, in order.
    let mut transcripts: Vec<String> = Vec::new();
    let mut transcript = |name: &Option<String>| -> String {
        let Some(name) = name else {
            return "None".into();
        };
        let path = testdata.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        let text = std::fs::read_to_string(path).unwrap();
        let n = transcripts.len();
        let answers: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("< "))
            .enumerate()
            .map(|(i, h)| {
                let bytes = hex::decode(h).unwrap();
                writeln!(
                    statics,
                    "#[link_section = \".vectors\"]\nstatic ANSWER_{n}_{i}: [u8; {}] = {bytes:?};",
                    bytes.len()
                )
                .unwrap();
                format!("&ANSWER_{n}_{i}")
            })
            .collect();
        transcripts.push(format!("&[{}]", answers.join(", ")));
        format!("Some({n})")
    };
    let mut code = String::new();
    writeln!(
        code,
        "#[link_section = \".vectors\"]\npub static LIST_CASES: [ListCase; {}] = [",
        vectors.lists.len()
    )
    .unwrap();
    for l in &vectors.lists {
        writeln!(
            code,
            "    ListCase {{ name: {}, file: {}, trusted_sequence: {:?}, expect: {} }},",
            text(&l.name),
            file(&l.file),
            l.trusted_sequence,
            text(&l.expect)
        )
        .unwrap();
    }
    writeln!(
        code,
        "];\n#[link_section = \".vectors\"]\npub static CASES: [Case; {}] = [",
        vectors.cases.len()
    )
    .unwrap();
    for c in &vectors.cases {
        writeln!(
            code,
            "    Case {{ name: {}, record: {}, list: {}, now: {}, role: {}, employer_tin: {}, \
             printed: {}, transcript: {}, can: {}, terminal_seed: {}, expect_status: {}, expect_reason: {}, \
             expect_decision: {}, expect_chip_authenticated: {}, expect_change: {}, \
             expect_change_date: {}, expect_successor: {} }},",
            text(&c.name),
            file(&c.record),
            file(&c.list),
            c.now,
            text(&c.role),
            opt_str(&c.employer_tin),
            c.presentation == "printed",
            transcript(&c.transcript),
            opt_str(&c.can),
            c.terminal_seed.unwrap_or(0),
            text(&c.expect_status),
            opt_str(&c.expect_reason),
            text(&c.expect_decision),
            c.expect_chip_authenticated,
            opt_str(&c.expect_change),
            opt_str(&c.expect_change_date),
            opt_str(&c.expect_successor)
        )
        .unwrap();
    }
    writeln!(
        code,
        "];\npub static TRANSCRIPTS: &[&[&[u8]]] = &[{}];",
        transcripts.join(",\n    ")
    )
    .unwrap();
    let mut by_index: Vec<_> = files.iter().collect();
    by_index.sort_by_key(|(_, i)| **i);
    let mut names = Vec::new();
    for (name, i) in by_index {
        let path = testdata.join(name).canonicalize().unwrap();
        println!("cargo:rerun-if-changed={}", path.display());
        writeln!(
            statics,
            "#[link_section = \".vectors\"]\nstatic FILE_{i}: [u8; {}] = *include_bytes!({:?});",
            std::fs::metadata(&path).unwrap().len(),
            path.display().to_string()
        )
        .unwrap();
        names.push(format!("&FILE_{i}"));
    }
    writeln!(code, "pub static FILES: &[&[u8]] = &[{}", names.join(", ")).unwrap();
    let root = std::fs::read_to_string(testdata.join("keys/root.sec1.hex")).unwrap();
    writeln!(
        code,
        "];\npub static ROOT_KEY: [u8; 65] = {:?};",
        hex::decode(root.trim()).unwrap()
    )
    .unwrap();
    let _ = vectors.root_key;
    code.push_str(&statics);
    code.push_str(&texts.borrow());
    std::fs::write(out.join("vectors.rs"), code).unwrap();
    wycheproof(&testdata, &out);
}

#[derive(serde::Deserialize)]
struct WycheproofFile {
    #[serde(rename = "testGroups")]
    groups: Vec<WycheproofGroup>,
}

#[derive(serde::Deserialize)]
struct WycheproofGroup {
    #[serde(rename = "publicKey")]
    key: WycheproofKey,
    tests: Vec<WycheproofCase>,
}

#[derive(serde::Deserialize)]
struct WycheproofKey {
    uncompressed: String,
}

#[derive(serde::Deserialize)]
struct WycheproofCase {
    #[serde(rename = "tcId")]
    id: u32,
    msg: String,
    sig: String,
    result: String,
}

/// The Wycheproof ECDSA P-256 / SHA-256 (P1363) vectors as a table (only when the
/// `wycheproof` feature asks: they do not fit beside the golden vectors in 128 KiB).
fn wycheproof(testdata: &Path, out: &Path) {
    let mut code = String::from("pub static WYCHEPROOF: &[Wycheproof] = &[\n");
    if std::env::var_os("CARGO_FEATURE_WYCHEPROOF").is_some() {
        let path = testdata.join("wycheproof/ecdsa_secp256r1_sha256_p1363_test.json");
        println!("cargo:rerun-if-changed={}", path.display());
        let file: WycheproofFile = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        for group in &file.groups {
            let key = hex::decode(&group.key.uncompressed).unwrap();
            for case in &group.tests {
                writeln!(
                    code,
                    "    Wycheproof {{ id: {}, key: &{:?}, msg: &{:?}, sig: &{:?}, valid: {} }},",
                    case.id,
                    key,
                    hex::decode(&case.msg).unwrap(),
                    hex::decode(&case.sig).unwrap(),
                    case.result == "valid"
                )
                .unwrap();
            }
        }
    }
    code.push_str("];\n");
    std::fs::write(out.join("wycheproof.rs"), code).unwrap();
}
