//! The card's interface, data-driven: every `testdata/apdu/*.apdu` script runs against the
//! applet in-process, hex in, hex out. Together they must use every command and every status
//! word docs/apdu.md lists.
//!
//! Script lines:
//!   `card blank` | `card personalized`   a fresh card (seeded, so answers repeat exactly)
//!   `reset`                               power cycle: the session ends
//!   `station-auth`                        GET CHALLENGE + EXTERNAL AUTHENTICATE by the station
//!   `snapshot` / `unchanged`              the persistent image must not change in between
//!   `repeat N` ... `end`                  `{i}` in the block is the round, as two hex digits
//!   `> HEX`                               a command; `{AA*N}` is byte AA N times
//!   `< HEX` | `< [N] SW`                  the exact response | any N data bytes, then SW

use std::collections::BTreeSet;
use std::path::PathBuf;

use stay_core::apdu::Status;
use stay_core::terminal::{ApduLink, Session};
use stay_tests::card::{personalization_key, InProcessCard};
use stay_tests::{testdata, transcript, Fixture};

fn expand(text: &str, round: Option<usize>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("unclosed {") + start;
        let inner = &rest[start + 1..end];
        if inner == "i" {
            out.push_str(&format!("{:02X}", round.expect("{i} outside repeat")));
        } else {
            let (byte, count) = inner.split_once('*').expect("{XX*N}");
            out.push_str(&byte.repeat(count.parse().expect("count")));
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out.split_whitespace().collect()
}

fn decode(at: &str, text: &str) -> Vec<u8> {
    hex::decode(text).unwrap_or_else(|e| panic!("{at}: bad hex {text}: {e}"))
}

#[derive(Default)]
struct Coverage {
    instructions: BTreeSet<u8>,
    status_words: BTreeSet<u16>,
}

struct Runner<'a> {
    fixture: Fixture,
    card: Option<InProcessCard>,
    last: Option<(Vec<u8>, Vec<u8>)>,
    snapshot: Option<String>,
    coverage: &'a mut Coverage,
}

impl Runner<'_> {
    fn card(&mut self, at: &str) -> &mut InProcessCard {
        self.card
            .as_mut()
            .unwrap_or_else(|| panic!("{at}: no `card` line before this one"))
    }

    fn image(&mut self, at: &str) -> String {
        self.card(at).image().to_json()
    }

    fn line(&mut self, at: &str, line: &str, round: Option<usize>) {
        if let Some(command) = line.strip_prefix('>') {
            let command = decode(at, &expand(command, round));
            let mut response = vec![0u8; 70_000];
            let len = self.card(at).exchange(&command, &mut response).unwrap();
            response.truncate(len);
            self.last = Some((command, response));
        } else if let Some(expected) = line.strip_prefix('<') {
            let (command, response) = self
                .last
                .take()
                .unwrap_or_else(|| panic!("{at}: `<` without a command before it"));
            let expected = expand(expected, round);
            let (data, sw) = response.split_at(response.len() - 2);
            let shown = hex::encode_upper(&response);
            if let Some(rest) = expected.strip_prefix('[') {
                let (len, sw_hex) = rest.split_once(']').expect("[N] SW");
                let len: usize = len.parse().expect("[N]");
                assert_eq!(
                    (data.len(), hex::encode_upper(sw)),
                    (len, sw_hex.to_uppercase()),
                    "{at}: {} answered {shown}",
                    hex::encode_upper(&command)
                );
            } else {
                assert_eq!(
                    shown,
                    expected.to_uppercase(),
                    "{at}: {} answered otherwise",
                    hex::encode_upper(&command)
                );
            }
            self.coverage.instructions.insert(command[1]);
            self.coverage
                .status_words
                .insert(u16::from_be_bytes([sw[0], sw[1]]));
        } else {
            match line {
                "card blank" => self.card = Some(InProcessCard::blank()),
                "card personalized" => self.card = Some(InProcessCard::personalized(&self.fixture)),
                "reset" => self.card(at).chip.reset(),
                "station-auth" => {
                    let card = self.card(at);
                    let mut session = Session::new(card);
                    let info = session.select().unwrap();
                    let key = personalization_key();
                    session
                        .authenticate_station(&info, |message| key.sign(message))
                        .unwrap_or_else(|e| panic!("{at}: {e}"));
                }
                "snapshot" => self.snapshot = Some(self.image(at)),
                "unchanged" => {
                    let before = self
                        .snapshot
                        .clone()
                        .expect("`unchanged` before `snapshot`");
                    assert_eq!(self.image(at), before, "{at}: the card's memory changed");
                }
                other => panic!("{at}: unknown line {other:?}"),
            }
        }
    }

    fn run(&mut self, name: &str, text: &str) {
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .map(|(n, l)| (n + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let mut i = 0;
        while i < lines.len() {
            let (number, line) = lines[i];
            if let Some(count) = line.strip_prefix("repeat ") {
                let count: usize = count.trim().parse().expect("repeat N");
                let end = lines[i..]
                    .iter()
                    .position(|(_, l)| *l == "end")
                    .expect("repeat without end")
                    + i;
                for round in 0..count {
                    for (n, l) in &lines[i + 1..end] {
                        self.line(&format!("{name}:{n}"), l, Some(round));
                    }
                }
                i = end + 1;
            } else {
                self.line(&format!("{name}:{number}"), line, None);
                i += 1;
            }
        }
        assert!(self.last.is_none(), "{name}: last command has no `<` line");
    }
}

fn scripts() -> Vec<(String, String)> {
    let dir = testdata().join("apdu");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "apdu"))
        // The golden chip cases replay a card of their own (tests/src/golden.rs runs them).
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("golden-"))
        })
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

/// Every status word in docs/apdu.md's table (`| 6A82 |` rows) and every INS in its
/// command table.
fn documented() -> (BTreeSet<u16>, BTreeSet<u8>) {
    let doc = std::fs::read_to_string(testdata().join("../docs/apdu.md")).unwrap();
    let mut words = BTreeSet::new();
    let mut instructions = BTreeSet::new();
    for line in doc.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() < 3 {
            continue;
        }
        let first = cells[1].trim_matches('`');
        if first.len() == 4 && first.chars().all(|c| c.is_ascii_hexdigit() || c == 'x') {
            let value = first.replace('x', "0");
            words.insert(u16::from_str_radix(&value, 16).unwrap());
        }
        if let Some(ins) = cells.get(3).map(|c| c.trim_matches('`')) {
            if cells[2].trim_matches('`').len() == 2 && ins.len() == 2 {
                if let Ok(ins) = u8::from_str_radix(ins, 16) {
                    instructions.insert(ins);
                }
            }
        }
    }
    (words, instructions)
}

#[test]
fn every_script_answers_byte_for_byte_and_covers_the_spec() {
    let mut coverage = Coverage::default();
    let scripts = scripts();
    assert!(scripts.len() >= 3, "the scripts are missing");
    for (name, text) in &scripts {
        Runner {
            fixture: Fixture::new(),
            card: None,
            last: None,
            snapshot: None,
            coverage: &mut coverage,
        }
        .run(name, text);
    }
    let (words, instructions) = documented();
    assert!(words.len() >= 20, "docs/apdu.md lists {words:04X?}");
    // 63Cx counts down: the scripts show 63C9 .. 63C0; the table lists 63C0 as "63Cx".
    let seen_words: BTreeSet<u16> = coverage
        .status_words
        .iter()
        .map(|&w| match Status::from_u16(w) {
            Status::RemainingRetries(_) => Status::RemainingRetries(0).to_u16(),
            Status::WrongLe(_) => Status::WrongLe(0).to_u16(),
            _ => w,
        })
        .collect();
    let untested: Vec<_> = words.difference(&seen_words).collect();
    assert!(untested.is_empty(), "no script shows {untested:04X?}");
    let undocumented: Vec<_> = seen_words.difference(&words).collect();
    assert!(
        undocumented.is_empty(),
        "docs/apdu.md lacks {undocumented:04X?}"
    );
    assert_eq!(
        coverage.instructions.intersection(&instructions).count(),
        instructions.len(),
        "commands without a script: {:02X?}",
        instructions
            .difference(&coverage.instructions)
            .collect::<Vec<_>>()
    );
}

#[test]
fn recorded_transcripts_match_the_code_and_the_docs() {
    let fixture = Fixture::new();
    let doc = std::fs::read_to_string(testdata().join("../docs/apdu.md")).unwrap();
    let image = transcript::personalized_image(&fixture);
    let committed =
        std::fs::read_to_string(testdata().join("apdu/personalized-card.json")).unwrap();
    assert_eq!(
        committed, image,
        "testdata/apdu/personalized-card.json is stale: run `cargo xtask vectors`"
    );
    for (name, text) in [
        (
            "personalization.apdu",
            transcript::personalization(&fixture),
        ),
        ("border-check.apdu", transcript::border_check(&fixture)),
        ("pace-wrong-can.apdu", transcript::pace_wrong_can(&fixture)),
    ] {
        let committed = std::fs::read_to_string(testdata().join("apdu").join(name)).unwrap();
        assert_eq!(
            committed, text,
            "testdata/apdu/{name} is stale: run `cargo xtask vectors`"
        );
        for line in text.lines().filter(|l| l.starts_with(['>', '<'])) {
            // Long STORE DATA lines are shown shortened in the docs.
            let shown = if line.len() > 120 { &line[..60] } else { line };
            assert!(
                doc.contains(shown),
                "docs/apdu.md lacks {name}'s line {shown}"
            );
        }
    }
}

/// The terminal, on a card that carries the payment application too, selects the stay AID
/// exactly, and nothing else: no PPSE, no payment AID, no partial name, no command before
/// its SELECT; for the border check and for a whole personalization.
#[test]
fn the_terminal_selects_the_stay_application_and_nothing_else() {
    let fixture = Fixture::new();
    let mut blank = InProcessCard::blank();
    stay_tests::card::personalize(&mut blank, &fixture).unwrap();
    let mut issued = InProcessCard::personalized(&fixture);
    stay_tests::card::read(&mut issued).unwrap();
    for (what, log) in [
        ("personalization", &blank.log),
        ("border check", &issued.log),
    ] {
        assert_eq!(
            log[0].0[1],
            stay_core::apdu::INS_SELECT,
            "{what}: SELECT first"
        );
        for (command, _) in log {
            let parsed = stay_core::apdu::Command::parse(command).unwrap();
            // A protected SELECT carries its AID encrypted: the plain ones name it.
            let protected = parsed.cla & stay_core::sm::CLA_SM == stay_core::sm::CLA_SM;
            if parsed.ins == stay_core::apdu::INS_SELECT && !protected {
                assert_eq!(parsed.data, stay_core::apdu::AID, "{what}");
            }
            for other in [
                card_applet_sim::payment::PPSE,
                card_applet_sim::payment::PAYMENT_AID,
            ] {
                assert!(
                    !command.windows(other.len()).any(|w| w == other),
                    "{what}: {}",
                    hex::encode_upper(command)
                );
            }
        }
    }
}
