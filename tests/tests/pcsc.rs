//! The card through the real pcscd and vpcd, in a private sandbox (own mount, network and
//! PID namespaces; see card_applet_sim::sandbox): our host, `scriptor`, pyscard,
//! `pcsc_scan` and `opensc-tool` all talk to `card-applet-sim` processes, and none of it
//! touches the machine's own pcscd.
//!
//! A plain `main` (harness = false): the binary first re-runs itself inside the namespaces,
//! then runs each check in turn against one pcscd, and exits non-zero if any failed.

use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use card_applet_sim::payment::{Payment, PPSE};
use card_applet_sim::{CardImage, Interface};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use stay_core::apdu::{Status as Sw, PORTRAIT_MAX_LEN, SFI_PORTRAIT};
use stay_core::terminal::{CardError, ChipReading, Instruction, Session, Transcript};
use stay_core::{Check, ChipProof, InvalidReason, Policy, Role, Status, TrustList, Verdict};
use stay_tests::card::{personalization_key, InProcessCard};
use stay_tests::pcsc_world::{run_checks, SandboxCheck, World};
use stay_tests::{transcript, Fixture};

/// The fixture-specific helpers of these checks.
trait FixtureWorld {
    fn personalized_image(&self, name: &str) -> Result<PathBuf>;
    fn verify<'r>(&self, reading: &'r ChipReading, proof: Option<ChipProof<'_>>) -> Verdict<'r>;
}

impl FixtureWorld for World {
    fn personalized_image(&self, name: &str) -> Result<PathBuf> {
        let card = InProcessCard::personalized(&self.fixture);
        self.image(name, card.image())
    }

    fn verify<'r>(&self, reading: &'r ChipReading, proof: Option<ChipProof<'_>>) -> Verdict<'r> {
        let list = self.fixture.list();
        let root = self.fixture.root.public_key();
        let list = TrustList::load(&list, &root, None).unwrap();
        stay_core::verify(
            reading.record(),
            &list,
            &Check::chip(self.fixture.now, Role::Border, proof, &Policy::DEFAULT),
        )
    }
}

fn challenge(seed: u64) -> [u8; 16] {
    let mut c = [0u8; 16];
    rand_chacha::ChaCha20Rng::seed_from_u64(seed).fill_bytes(&mut c);
    c
}

/// Our host's border check through pcscd: three round trips, a Valid verdict; and the same
/// record through short reads.
fn border_check(w: &mut World) -> Result<()> {
    let image = w.personalized_image("border")?;
    let card = w.insert_card(0, &image, Interface::Contact)?;
    let mut connection = w.connect(&card)?;
    let mut session = Session::new(&mut connection);
    let reading = session.read_for_border_check(challenge(1))?;
    // docs/performance.md quotes these.
    let wire = |t: &Transcript| (t.apdus, t.bytes_sent, t.bytes_received);
    ensure!(
        wire(&session.transcript) == (3, 43, 422),
        "{:?}",
        session.transcript
    );
    let verdict = w.verify(&reading, reading.proof());
    ensure!(
        verdict.status == Status::Valid && verdict.chip_authenticated,
        "{verdict:?}"
    );
    let mut short = Session::new(&mut connection);
    short.extended_length = false;
    let again = short.read_for_border_check(challenge(2))?;
    ensure!(
        again.record() == reading.record(),
        "short reads give another record"
    );
    ensure!(
        wire(&short.transcript) == (4, 46, 424),
        "{:?}",
        short.transcript
    );
    ensure!(w.verify(&again, again.proof()).status == Status::Valid);
    let mut portrait = vec![0u8; PORTRAIT_MAX_LEN + 2];
    let len = Session::new(&mut connection).read_file(SFI_PORTRAIT, &mut portrait)?;
    ensure!(
        len.map(|len| &portrait[..len]) == Some(&stay_tests::card::portrait()[..]),
        "portrait differs"
    );
    Ok(())
}

/// The station personalizes a blank card through pcscd; the card keeps it across a restart
/// of its process, and then verifies.
fn personalization(w: &mut World) -> Result<()> {
    let image = w.image(
        "blank",
        &CardImage::blank(*b"PERSO-01", &personalization_key().public_key()),
    )?;
    {
        let card = w.insert_card(1, &image, Interface::Contact)?;
        let mut connection = w.connect(&card)?;
        stay_tests::card::personalize(&mut connection, &w.fixture)?;
        let info = Session::new(&mut connection).select()?;
        ensure!(info.locked && &info.serial == b"PERSO-01", "{info:?}");
    }
    let stored = CardImage::read(&image)?;
    ensure!(stored.locked && stored.record.is_some(), "{stored:?}");
    let card = w.insert_card(1, &image, Interface::Contact)?;
    let mut connection = w.connect(&card)?;
    let reading = Session::new(&mut connection).read_for_border_check(challenge(3))?;
    let verdict = w.verify(&reading, reading.proof());
    ensure!(verdict.status == Status::Valid, "{verdict:?}");
    // Locked: a second personalization is refused, and changes nothing.
    let again = stay_tests::card::personalize(&mut connection, &w.fixture);
    ensure!(again.is_err(), "a locked card personalized again");
    ensure!(
        CardImage::read(&image)? == stored,
        "the locked card changed"
    );
    Ok(())
}

/// The expected exchanges of testdata/apdu/border-check.apdu.
fn recorded_border_check() -> Vec<(String, String)> {
    let text = transcript::border_check(&Fixture::new());
    let lines: Vec<&str> = text.lines().filter(|l| l.starts_with(['>', '<'])).collect();
    lines
        .chunks(2)
        .map(|p| (p[0][2..].to_string(), p[1][2..].to_string()))
        .collect()
}

/// `scriptor` (pcsc-tools) sends `commands` (hex, one per line) to the card in `reader`:
/// what it printed, and its answers run together without spacing.
fn run_scriptor(w: &World, reader: &str, commands: &str) -> Result<(String, String)> {
    let script = w.dir.join("commands.scriptor");
    std::fs::write(&script, commands)?;
    let out = Command::new("scriptor")
        .args(["-r", reader])
        .arg(&script)
        .output()
        .context("cannot run scriptor (Debian package pcsc-tools)")?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    ensure!(out.status.success(), "scriptor failed: {text}");
    // scriptor prints "< 7F 70 82 ..." wrapped at 16 bytes: compare without the spacing.
    let packed: String = text
        .lines()
        .filter(|l| !l.starts_with('>'))
        .map(|l| l.trim_start_matches("< ").replace(' ', ""))
        .collect();
    Ok((text, packed))
}

/// `scriptor` (pcsc-tools) runs the recorded border check and gets the recorded answers.
fn scriptor(w: &mut World) -> Result<()> {
    let image = w.personalized_image("scriptor")?;
    let card = w.insert_card(0, &image, Interface::Contact)?;
    let exchanges = recorded_border_check();
    let commands: String = exchanges.iter().map(|(c, _)| format!("{c}\n")).collect();
    let (text, packed) = run_scriptor(w, &card.reader.to_string_lossy(), &commands)?;
    for (command, response) in &exchanges {
        ensure!(
            packed.contains(response.as_str()),
            "scriptor: {command} did not get {response}:\n{text}"
        );
    }
    Ok(())
}

/// pyscard runs the border check; its answers are the recorded ones, byte for byte.
fn pyscard(w: &mut World) -> Result<()> {
    let image = w.personalized_image("pyscard")?;
    let card = w.insert_card(1, &image, Interface::Contact)?;
    let out = Command::new("/usr/bin/python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pcsc/border_check.py"))
        .arg(card.reader.to_string_lossy().as_ref())
        .arg(hex::encode_upper(transcript::CHALLENGE))
        .output()
        .context("cannot run python3 (Debian package python3-pyscard)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "pyscard failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: String = recorded_border_check()
        .iter()
        .map(|(c, r)| format!("> {c}\n< {r}\n"))
        .collect();
    let atr = hex::encode_upper(card_applet_sim::applet::ATR_CONTACT);
    ensure!(
        text == format!("{expected}ATR {atr}\n"),
        "pyscard saw:\n{text}expected:\n{expected}"
    );
    Ok(())
}

/// `pcsc_scan` and `opensc-tool` read both personalities' ATRs.
fn atr_tools(w: &mut World) -> Result<()> {
    let image = w.personalized_image("atr")?;
    let contact = w.insert_card(0, &image, Interface::Contact)?;
    let contactless_image = w.personalized_image("atr-contactless")?;
    let contactless = w.insert_card(1, &contactless_image, Interface::Contactless)?;
    let spaced = |atr: &[u8]| {
        atr.iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let out = Command::new("pcsc_scan")
        .args(["-c", "-n"])
        .output()
        .context("cannot run pcsc_scan (Debian package pcsc-tools)")?;
    let scan = String::from_utf8_lossy(&out.stdout);
    for atr in [
        card_applet_sim::applet::ATR_CONTACT.as_slice(),
        card_applet_sim::applet::ATR_CONTACTLESS.as_slice(),
    ] {
        ensure!(
            scan.contains(&spaced(atr)),
            "pcsc_scan lacks {}:\n{scan}",
            spaced(atr)
        );
    }
    for (index, atr) in [
        (0, card_applet_sim::applet::ATR_CONTACT.as_slice()),
        (1, card_applet_sim::applet::ATR_CONTACTLESS.as_slice()),
    ] {
        let out = Command::new("opensc-tool")
            .args(["--reader", &index.to_string(), "--atr"])
            .output()
            .context("cannot run opensc-tool (Debian package opensc)")?;
        let text = String::from_utf8_lossy(&out.stdout).to_uppercase();
        let expected = atr
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        ensure!(
            text.contains(&expected),
            "opensc-tool reader {index}: {text}"
        );
    }
    // Contactless works the same for the host.
    let mut connection = w.connect(&contactless)?;
    let reading = Session::new(&mut connection).read_for_border_check(challenge(4))?;
    ensure!(w.verify(&reading, reading.proof()).status == Status::Valid);
    drop(contact);
    Ok(())
}

fn boundary_apdus() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for len in 4..=12usize {
        for fill in [0x00u8, 0xFF, 0x80, 0x01] {
            let mut apdu = vec![fill; len];
            apdu[1] = [0xA4, 0xB0, 0x88, 0x84, 0x82, 0x47, 0xE2, 0xF0][len % 8];
            out.push(apdu);
        }
    }
    for lc in [0usize, 1, 5, 16, 64, 255, 256, 300, 4096] {
        for (cla, ins) in [(0x00, 0xA4), (0x00, 0x88), (0x80, 0xE2), (0x00, 0x82)] {
            let mut short = vec![cla, ins, 0, 0, lc as u8];
            short.extend(std::iter::repeat_n(0x5A, lc.min(255)));
            out.push(short.clone());
            short.push(0);
            out.push(short);
            let mut extended = vec![cla, ins, 0, 0, 0, (lc >> 8) as u8, lc as u8];
            extended.extend(std::iter::repeat_n(0xA5, lc));
            extended.extend([0, 0]);
            out.push(extended);
        }
    }
    for p1 in [0x00, 0x7F, 0x80, 0x81, 0x82, 0x9F, 0xFF] {
        for p2 in [0x00, 0x01, 0xFF] {
            out.push(vec![0x00, 0xB0, p1, p2, 0x00]);
            out.push(vec![0x00, 0xB0, p1, p2, 0x00, 0x00, 0x00]);
        }
    }
    out
}

/// Thousands of random and boundary APDUs through pcscd: every one answered with a status
/// word, the card's memory unchanged, and the border check still Valid afterwards.
fn apdu_storm(w: &mut World) -> Result<()> {
    let image = w.personalized_image("storm")?;
    let before = std::fs::read(&image)?;
    let mut card = w.insert_card(0, &image, Interface::Contact)?;
    let mut connection = w.connect(&card)?;
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0x5707);
    let mut apdus = boundary_apdus();
    for _ in 0..3000 {
        let len = match rng.next_u32() % 4 {
            0 => 4 + rng.next_u32() as usize % 4,
            1 => 5 + rng.next_u32() as usize % 32,
            2 => 5 + rng.next_u32() as usize % 300,
            _ => 5 + rng.next_u32() as usize % 2000,
        };
        let mut apdu = vec![0u8; len];
        rng.fill_bytes(&mut apdu);
        // Half the time a class and instruction the card knows, to get past the first checks.
        if rng.next_u32() % 2 == 0 {
            apdu[0] = [0x00, 0x80][rng.next_u32() as usize % 2];
            apdu[1] = [0xA4, 0xB0, 0x88, 0x84, 0x82, 0x47, 0xE2, 0xF0][rng.next_u32() as usize % 8];
        }
        apdus.push(apdu);
    }
    let chip_key = CardImage::read(&image)?
        .chip_private_key
        .expect("personalized");
    let (mut answered, mut refused_by_pcscd) = (0, 0);
    let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
    for apdu in &apdus {
        match connection.card().transmit(apdu, &mut buf) {
            Ok(response) => {
                ensure!(response.len() >= 2, "{}: no status word", hex::encode(apdu));
                ensure!(
                    !response.windows(32).any(|w| w == chip_key),
                    "{}: the chip's private key left the card",
                    hex::encode(apdu)
                );
                answered += 1;
            }
            // pcsc-lite refuses some lengths itself (under 4 bytes, over its buffer).
            Err(pcsc::Error::InvalidParameter | pcsc::Error::InsufficientBuffer) => {
                refused_by_pcscd += 1
            }
            Err(e) => bail!("{}: {e}", hex::encode(apdu)),
        }
    }
    ensure!(answered >= 3000, "only {answered} answered");
    ensure!(card.child.try_wait()?.is_none(), "the card process died");
    ensure!(
        std::fs::read(&image)? == before,
        "the storm changed the card"
    );
    let reading = Session::new(&mut connection).read_for_border_check(challenge(5))?;
    let verdict = w.verify(&reading, reading.proof());
    ensure!(verdict.status == Status::Valid, "{verdict:?}");
    eprintln!(
        "    storm: {} APDUs, {answered} answered, {refused_by_pcscd} refused by pcsc-lite",
        apdus.len()
    );
    Ok(())
}

/// A record copied into another chip fails the chip proof; a proof replayed for a new
/// challenge fails; a card refuses to store a record made for another chip.
fn clone_and_replay(w: &mut World) -> Result<()> {
    let genuine = InProcessCard::personalized(&w.fixture);
    let mut clone = genuine.image().clone();
    clone.serial = *b"CLONE-01";
    clone.chip_private_key = Some(*b"another chip key, 32 bytes long!");
    let image = w.image("clone", &clone)?;
    let card = w.insert_card(1, &image, Interface::Contact)?;
    let mut connection = w.connect(&card)?;
    let reading = Session::new(&mut connection).read_for_border_check(challenge(6))?;
    let verdict = w.verify(&reading, reading.proof());
    ensure!(
        verdict.status == Status::Invalid(InvalidReason::ChipProofFailed),
        "clone: {verdict:?}"
    );
    // Hang up before taking the card out, as a terminal does.
    drop(connection);
    drop(card);

    let image = w.personalized_image("replay")?;
    let card = w.insert_card(1, &image, Interface::Contact)?;
    let mut connection = w.connect(&card)?;
    let old = Session::new(&mut connection).read_for_border_check(challenge(7))?;
    ensure!(w.verify(&old, old.proof()).status == Status::Valid);
    let new_challenge = challenge(8);
    let replayed = ChipProof {
        challenge: &new_challenge,
        signature: old.signature.as_ref().unwrap(),
    };
    let verdict = w.verify(&old, Some(replayed));
    ensure!(
        verdict.status == Status::Invalid(InvalidReason::ChipProofFailed),
        "replay: {verdict:?}"
    );
    drop(connection);
    drop(card);

    // The genuine record offered to a blank card: 6A80, nothing stored.
    let blank = w.image(
        "copy-target",
        &CardImage::blank(*b"COPY-TGT", &personalization_key().public_key()),
    )?;
    let card = w.insert_card(1, &blank, Interface::Contact)?;
    let mut connection = w.connect(&card)?;
    let copied = genuine.image().record.clone().unwrap();
    let result = stay_tests::card::personalize_with(&mut connection, |_| copied, None);
    ensure!(
        matches!(
            result,
            Err(CardError::Status {
                command: Instruction::StoreData,
                status: Sw::IncorrectData
            })
        ),
        "a foreign record was stored: {result:?}"
    );
    ensure!(CardImage::read(&blank)?.record.is_none());
    Ok(())
}

/// Cards in two slots at once answer as themselves.
fn several_slots(w: &mut World) -> Result<()> {
    let key = personalization_key().public_key();
    let a = w.image("slot-a", &CardImage::blank(*b"SLOT-AAA", &key))?;
    let b = w.image("slot-b", &CardImage::blank(*b"SLOT-BBB", &key))?;
    let card_a = w.insert_card(0, &a, Interface::Contact)?;
    let card_b = w.insert_card(1, &b, Interface::Contactless)?;
    for (card, serial) in [(&card_a, b"SLOT-AAA"), (&card_b, b"SLOT-BBB")] {
        let mut connection = w.connect(card)?;
        let info = Session::new(&mut connection).select()?;
        ensure!(&info.serial == serial && !info.locked, "{info:?}");
    }
    Ok(())
}

/// `reader-host verify --card --json` on the card in `reader`: exit status, stdout, stderr.
fn verify_card(w: &World, reader: &str, extra: &[&str]) -> Result<(Option<i32>, String, String)> {
    let list = w.dir.join("trust.list");
    std::fs::write(&list, w.fixture.list())?;
    let root = w.dir.join("root.pub.pem");
    std::fs::write(&root, w.fixture.root.public_pem()?)?;
    let out = Command::new(&w.reader_bin)
        .args(["verify", "--card", "--reader", reader, "--json"])
        .args(extra)
        .arg("--trust-list")
        .arg(&list)
        .arg("--root-key")
        .arg(&root)
        .arg("--at")
        .arg(stay_std::clock::format_rfc3339(w.fixture.now))
        .output()?;
    Ok((
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// The resident card is also a bank card: `scriptor` selects its PPSE and gets the payment
/// application's directory; the desk reads the same card as a resident card, and its
/// transcript holds only the three commands of the border check, to the stay AID; a
/// bank-only card is "not a resident card".
fn multi_application(w: &mut World) -> Result<()> {
    let image = w.personalized_image("bank-and-stay")?;
    let card = w.insert_card(0, &image, Interface::Contact)?;
    let reader = card.reader.to_string_lossy().into_owned();
    let mut select_ppse = vec![0x00, 0xA4, 0x04, 0x00, PPSE.len() as u8];
    select_ppse.extend_from_slice(PPSE);
    select_ppse.push(0x00);
    let (text, packed) = run_scriptor(
        w,
        &reader,
        &format!("{}\n", hex::encode_upper(&select_ppse)),
    )?;
    let mut expected = Payment::ppse_fci();
    expected.extend(Sw::Success.to_bytes());
    ensure!(
        packed.contains(&hex::encode_upper(&expected)),
        "scriptor did not get the PPSE's FCI:\n{text}"
    );

    let (code, stdout, stderr) = verify_card(w, &reader, &[])?;
    ensure!(code == Some(0), "{code:?}: {stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout)?;
    ensure!(
        json["status"] == "valid" && json["chip_authenticated"] == true,
        "{json}"
    );
    let steps: Vec<(String, String)> = json["transcript"]["exchanges"]
        .as_array()
        .context("no transcript")?
        .iter()
        .map(|e| {
            (
                e["command"].as_str().unwrap_or("").to_owned(),
                e["p1p2"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    ensure!(
        steps
            == [
                ("SELECT".to_owned(), "0400".to_owned()),
                ("READ BINARY".to_owned(), "8100".to_owned()),
                ("INTERNAL AUTHENTICATE".to_owned(), "0000".to_owned()),
            ],
        "the desk sent {steps:?}"
    );
    drop(card);

    let bank = w.insert_with(0, &image, Interface::Contact, &["--payment-only"])?;
    let (code, stdout, stderr) = verify_card(w, &bank.reader.to_string_lossy(), &[])?;
    ensure!(
        code == Some(65) && stderr.contains("not a resident card: SELECT answered 6A82"),
        "{code:?}: {stdout}{stderr}"
    );
    Ok(())
}

/// A card with a CAN through pcscd: a skimmer (pyscard, no PACE) gets status words and
/// nothing else; the desk without the CAN is told to ask for it; with a wrong CAN it gets no
/// channel; with the right one the border check runs over secure messaging and verifies.
fn pace_through_pcscd(w: &mut World) -> Result<()> {
    let card = InProcessCard::personalized_with_can(&w.fixture);
    let image = w.image("pace", card.image())?;
    let inserted = w.insert_card(1, &image, Interface::Contactless)?;
    let reader = inserted.reader.to_string_lossy().into_owned();
    let out = Command::new("/usr/bin/python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pcsc/border_check.py"))
        .arg(&reader)
        .arg(hex::encode_upper(transcript::CHALLENGE))
        .output()
        .context("cannot run python3 (Debian package python3-pyscard)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(out.status.success(), "pyscard failed: {text}");
    let answers: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("< ")).collect();
    ensure!(
        answers.len() == 3 && answers.iter().all(|a| a.len() == 4),
        "a skimmer got more than status words:\n{text}"
    );
    ensure!(
        answers[0] == "6982",
        "SELECT with the FCI answered {}",
        answers[0]
    );

    let (code, stdout, stderr) = verify_card(w, &reader, &[])?;
    ensure!(
        code == Some(65) && stderr.contains("opens only over PACE"),
        "{code:?}: {stdout}{stderr}"
    );
    let (code, stdout, stderr) = verify_card(w, &reader, &["--can", "000000"])?;
    ensure!(
        code == Some(65) && stderr.contains("6300"),
        "{code:?}: {stdout}{stderr}"
    );
    let (code, stdout, stderr) = verify_card(w, &reader, &["--can", "314159"])?;
    ensure!(code == Some(0), "{code:?}: {stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout)?;
    ensure!(
        json["status"] == "valid" && json["chip_authenticated"] == true,
        "{json}"
    );
    Ok(())
}

/// `reader-host verify --card` through pcscd: the exit status is the verdict.
fn reader_host_cli(w: &mut World) -> Result<()> {
    let image = w.personalized_image("cli")?;
    let card = w.insert_card(1, &image, Interface::Contact)?;
    let (code, text, errors) = verify_card(w, &card.reader.to_string_lossy(), &[])?;
    ensure!(code == Some(0), "{code:?}: {text}{errors}");
    let json: serde_json::Value = serde_json::from_str(&text)?;
    ensure!(json["status"] == "valid", "{json}");
    ensure!(json["chip_authenticated"] == true, "{json}");
    // No card in an empty slot: exit 66 after --wait.
    let (code, _, _) = verify_card(w, &w.sandbox.reader_name(0), &["--wait", "0.5"])?;
    ensure!(code == Some(66), "{code:?}");
    Ok(())
}

/// `station --application`, the one-card form: a blank card comes out locked,
/// with its portrait and card face; another station shown the locked card refuses it.
fn station_cli(w: &mut World) -> Result<()> {
    let blank = w.image(
        "station",
        &CardImage::blank(*b"STATION1", &personalization_key().public_key()),
    )?;
    let card = w.insert_card(0, &blank, Interface::Contact)?;
    w.fixture.signer.write(&w.dir, "signer")?;
    personalization_key().write(&w.dir, "personalization")?;
    let holder = w.fixture.holder();
    let application = station::batch::Application {
        application_id: "ONE-1".into(),
        document_type: holder.document_type,
        pin: holder.pin,
        itn: holder.itn,
        surname: holder.surname,
        given_names: holder.given_names,
        nationality: holder.nationality,
        date_of_birth: holder.date_of_birth,
        sex: holder.sex,
        purpose: holder.purpose,
        employer_tin: holder.employer_tin,
        valid_from: holder.valid_from,
        valid_until: holder.valid_until,
        issuing_authority: holder.issuing_authority,
        portrait: Some("portrait.jpg".into()),
    };
    std::fs::write(
        w.dir.join("application.toml"),
        toml::to_string(&application)?,
    )?;
    std::fs::write(w.dir.join("portrait.jpg"), stay_tests::card::portrait())?;
    std::fs::write(w.dir.join("trust.list"), w.fixture.list())?;
    std::fs::write(w.dir.join("root.pub.pem"), w.fixture.root.public_pem()?)?;
    let station = |journal: &str| {
        Command::new(&w.station_bin)
            .current_dir(&w.dir)
            .args(["--application", "application.toml", "--journal", journal])
            .args(["--number-prefix", "RC", "--out", "faces", "--wait", "2"])
            .args(["--signer-key", "signer.key.pem"])
            .args(["--personalization-key", "personalization.key.pem"])
            .args(["--trust-list", "trust.list", "--root-key", "root.pub.pem"])
            .args(["--reader", &card.reader.to_string_lossy()])
            .args(["--at", &stay_std::clock::format_rfc3339(w.fixture.now)])
            .output()
    };
    let out = station("one.sqlite")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let errors = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(0)
            && text.contains("issued 1, spoiled 0, failed 0")
            && errors.contains("issued RC0000001 to SMIRNOVA Elena (card 53544154494F4E31)"),
        "{:?}: {text}{errors}",
        out.status
    );
    let stored = CardImage::read(&blank)?;
    ensure!(stored.locked && stored.portrait == Some(stay_tests::card::portrait()));
    ensure!(w.dir.join("faces/RC0000001.svg").exists());
    // Another station (another journal) is shown the same card: refused, untouched.
    let out = station("other.sqlite")?;
    let errors = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.code() == Some(1) && errors.contains("card not used: the card is locked"),
        "{:?}: {errors}",
        out.status
    );
    ensure!(
        CardImage::read(&blank)? == stored,
        "the locked card changed"
    );
    Ok(())
}

/// The card process killed at arbitrary moments of a personalization: its image is always
/// a whole card, never a half-written one; a station that saw the lock succeed finds the
/// card locked; the next start reads whatever the card saved.
fn crash_during_personalization(w: &mut World) -> Result<()> {
    let blank = CardImage::blank(*b"CRASH-01", &personalization_key().public_key());
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(0xC2A5);
    let (mut finished, mut interrupted) = (0, 0);
    for round in 0..12 {
        let image = w.image(&format!("crash-{round}"), &blank)?;
        let mut card = w.insert_card(0, &image, Interface::Contact)?;
        let connection = w.connect(&card)?;
        let fixture = &w.fixture;
        let station_saw_lock = std::thread::scope(|scope| {
            let station = scope.spawn(move || {
                let mut connection = connection;
                let done = stay_tests::card::personalize(&mut connection, fixture).is_ok();
                // No reset for a card that may be gone (see InsertedCard).
                let _ = connection
                    .into_card()
                    .disconnect(pcsc::Disposition::LeaveCard);
                done
            });
            // Somewhere before, inside or after the dozen APDUs of a personalization.
            std::thread::sleep(Duration::from_micros(u64::from(rng.next_u32() % 40_000)));
            let _ = card.child.kill();
            let _ = card.child.wait();
            station.join().unwrap_or(false)
        });
        drop(card);
        let stored = CardImage::read(&image)
            .with_context(|| format!("round {round}: the image is damaged"))?;
        if station_saw_lock {
            ensure!(
                stored.locked,
                "round {round}: the station saw 9000 to the lock; the card forgot"
            );
        }
        if stored.locked {
            finished += 1;
        } else {
            interrupted += 1;
        }
        let again = w.insert_card(0, &image, Interface::Contact)?;
        let mut connection = w.connect(&again)?;
        let info = Session::new(&mut connection).select()?;
        ensure!(info.locked == stored.locked, "round {round}: {info:?}");
    }
    eprintln!("    crash: {finished} personalizations finished before the kill, {interrupted} interrupted");
    Ok(())
}

const CHECKS: &[(&str, SandboxCheck)] = &[
    ("border_check", border_check),
    ("personalization", personalization),
    ("scriptor", scriptor),
    ("pyscard", pyscard),
    ("atr_tools", atr_tools),
    ("apdu_storm", apdu_storm),
    ("clone_and_replay", clone_and_replay),
    ("several_slots", several_slots),
    ("reader_host_cli", reader_host_cli),
    ("multi_application", multi_application),
    ("pace_through_pcscd", pace_through_pcscd),
    ("station_cli", station_cli),
    ("crash_during_personalization", crash_during_personalization),
];

fn main() -> ExitCode {
    run_checks("PC/SC", CHECKS)
}
