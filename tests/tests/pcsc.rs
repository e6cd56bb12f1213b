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
use stay_core::sm::{SmLink, SM_RESPONSE_MAX};
use stay_core::terminal::{ApduLink, CardError, ChipReading, Instruction, Session, Transcript};
use stay_core::{
    Check, ChipAuthentication, InvalidReason, Policy, Role, Status, TrustList, Verdict,
};
use stay_tests::card::{can, personalization_key, read, recorded_random, InProcessCard};
use stay_tests::pcsc_world::{run_checks, SandboxCheck, World};

/// The fixture-specific helpers of these checks.
trait FixtureWorld {
    fn personalized_image(&self, name: &str) -> Result<PathBuf>;
    fn verify<'r>(
        &self,
        reading: &'r ChipReading,
        proof: Option<&ChipAuthentication>,
    ) -> Verdict<'r>;
}

impl FixtureWorld for World {
    fn personalized_image(&self, name: &str) -> Result<PathBuf> {
        let card = InProcessCard::personalized(&self.fixture);
        self.image(name, card.image())
    }

    fn verify<'r>(
        &self,
        reading: &'r ChipReading,
        proof: Option<&ChipAuthentication>,
    ) -> Verdict<'r> {
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

/// Our host's border check through pcscd: PACE-CAM and two commands under secure
/// messaging, a Valid verdict; the same record through short reads; the portrait over the
/// channel.
fn border_check(w: &mut World) -> Result<()> {
    let image = w.personalized_image("border")?;
    let card = w.insert_card(0, &image, Interface::Contact)?;
    let mut connection = w.connect(&card)?;
    let mut counted = Counting::new(&mut connection);
    let reading = read(&mut counted)?;
    // docs/performance.md quotes these: on the wire (secure messaging included), and as the
    // transcript counts them (the commands inside the channel, unwrapped).
    let wire = |t: &Transcript| (t.apdus, t.bytes_sent, t.bytes_received);
    eprintln!(
        "    on the wire (apdus, sent, received): {:?}; unwrapped {:?}",
        counted.totals(),
        wire(&reading.transcript)
    );
    ensure!(counted.totals() == (9, 280, 664), "{:?}", counted.totals());
    ensure!(
        wire(&reading.transcript) == (9, 240, 612),
        "{:?}",
        reading.transcript
    );
    let verdict = w.verify(&reading, reading.proof());
    ensure!(
        verdict.status == Status::Valid && verdict.chip_authenticated,
        "{verdict:?}"
    );
    let again =
        stay_core::terminal::border_check_with(&mut connection, &can(), recorded_random(9), false)?;
    ensure!(
        again.record() == reading.record(),
        "short reads give another record"
    );
    eprintln!("    short reads: {:?}", wire(&again.transcript));
    ensure!(again.transcript.apdus == 10, "{:?}", again.transcript);
    ensure!(w.verify(&again, again.proof()).status == Status::Valid);
    let mut portrait = vec![0u8; PORTRAIT_MAX_LEN + 2];
    let len = over_pace(&mut connection)?.read_file(SFI_PORTRAIT, &mut portrait)?;
    ensure!(
        len.map(|len| &portrait[..len]) == Some(&stay_tests::card::portrait()[..]),
        "portrait differs"
    );
    Ok(())
}

/// A link that counts what crosses it.
struct Counting<L> {
    inner: L,
    apdus: u32,
    sent: usize,
    received: usize,
}

impl<L> Counting<L> {
    fn new(inner: L) -> Self {
        Counting {
            inner,
            apdus: 0,
            sent: 0,
            received: 0,
        }
    }

    fn totals(&self) -> (u32, usize, usize) {
        (self.apdus, self.sent, self.received)
    }
}

impl<L: ApduLink> ApduLink for Counting<L> {
    type Error = L::Error;
    fn exchange(
        &mut self,
        command: &[u8],
        response: &mut [u8],
    ) -> Result<usize, stay_core::terminal::LinkError<L::Error>> {
        let n = self.inner.exchange(command, response)?;
        self.apdus += 1;
        self.sent += command.len();
        self.received += n;
        Ok(n)
    }
}

/// A session over PACE's secure channel on `link`, for commands beyond the border check.
fn over_pace<L: ApduLink>(link: L) -> Result<Session<SmLink<L, SM_RESPONSE_MAX>>>
where
    L::Error: std::fmt::Debug + Send + Sync + 'static,
{
    let mut session = Session::new(link);
    let established = session
        .establish_pace(&can(), recorded_random(0))
        .map_err(|e| anyhow::anyhow!("PACE: {e:?}"))?;
    Ok(Session::new(SmLink::new(
        session.into_link(),
        established.channel,
    )))
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
        let info = over_pace(&mut connection)?.select()?;
        ensure!(info.locked && &info.serial == b"PERSO-01", "{info:?}");
    }
    let stored = CardImage::read(&image)?;
    ensure!(stored.locked && stored.record.is_some(), "{stored:?}");
    let card = w.insert_card(1, &image, Interface::Contact)?;
    let mut connection = w.connect(&card)?;
    let reading = read(&mut connection)?;
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

/// What a skimmer sends a locked card, and the answer docs/apdu.md gives each: the serial
/// (SELECT with the FCI), the record, the portrait and the chip's old INTERNAL AUTHENTICATE
/// are shut; only the plain SELECT and EF.CardAccess (what PACE needs) answer.
fn skimmer_script() -> Vec<(String, String)> {
    let access = hex::encode_upper(stay_core::pace::CARD_ACCESS);
    [
        ("00A4040008F04B47535441590100", "6982".to_string()),
        ("00A4040C05F04B475354", "9000".to_string()),
        ("00A4040C08F04B475354415901", "9000".to_string()),
        ("00B08100000000", "6982".to_string()),
        ("00B0810000", "6982".to_string()),
        ("00B0820000", "6982".to_string()),
        (
            "0088000010000102030405060708090A0B0C0D0E0F00",
            "6D00".to_string(),
        ),
        ("0084000010", "6985".to_string()),
        ("00B09C0000", format!("{access}9000")),
    ]
    .into_iter()
    .map(|(c, r)| (c.to_string(), r))
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

/// `scriptor` (pcsc-tools) as a skimmer: the answers docs/apdu.md names, nothing more.
fn scriptor(w: &mut World) -> Result<()> {
    let image = w.personalized_image("scriptor")?;
    let card = w.insert_card(0, &image, Interface::Contact)?;
    let exchanges = skimmer_script();
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

/// pyscard as a skimmer, over the contactless interface as one in a crowd would be: every
/// answer is the one docs/apdu.md names, byte for byte, and the card is unchanged.
fn pyscard(w: &mut World) -> Result<()> {
    let image = w.personalized_image("pyscard")?;
    let before = std::fs::read(&image)?;
    let card = w.insert_card(1, &image, Interface::Contactless)?;
    let script = skimmer_script();
    let out = Command::new("/usr/bin/python3")
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pcsc/skim.py"))
        .arg(card.reader.to_string_lossy().as_ref())
        .args(script.iter().map(|(c, _)| c))
        .output()
        .context("cannot run python3 (Debian package python3-pyscard)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "pyscard failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: String = script
        .iter()
        .map(|(c, r)| format!("> {c}\n< {r}\n"))
        .collect();
    let atr = hex::encode_upper(card_applet_sim::applet::ATR_CONTACTLESS);
    ensure!(
        text == format!("{expected}ATR {atr}\n"),
        "pyscard saw:\n{text}expected:\n{expected}"
    );
    ensure!(
        std::fs::read(&image)? == before,
        "the skimmer changed the card"
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
    let reading = read(&mut connection)?;
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
    let reading = read(&mut connection)?;
    let verdict = w.verify(&reading, reading.proof());
    ensure!(verdict.status == Status::Valid, "{verdict:?}");
    eprintln!(
        "    storm: {} APDUs, {answered} answered, {refused_by_pcscd} refused by pcsc-lite",
        apdus.len()
    );
    Ok(())
}

/// A record copied into another chip fails PACE-CAM's chip proof; a protected command
/// replayed, or changed, is refused (6988) and ends the channel; a card refuses to store a
/// record made for another chip.
fn clone_and_replay(w: &mut World) -> Result<()> {
    let genuine = InProcessCard::personalized(&w.fixture);
    let mut clone = genuine.image().clone();
    clone.serial = *b"CLONE-01";
    clone.chip_private_key = Some(*b"another chip key, 32 bytes long!");
    let image = w.image("clone", &clone)?;
    let card = w.insert_card(1, &image, Interface::Contact)?;
    let mut connection = w.connect(&card)?;
    let reading = read(&mut connection)?;
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
    for damage in ["replayed", "changed"] {
        // One protected READ BINARY through the channel, its bytes kept.
        let mut session = Session::new(&mut connection);
        let established = session
            .establish_pace(&can(), recorded_random(0))
            .map_err(|e| anyhow::anyhow!("PACE: {e:?}"))?;
        let mut channel = established.channel;
        let read_record = stay_core::apdu::Command::new(0x00, 0xB0, 0x81, 0x00, &[]).expect(256);
        let mut wrapped = vec![0u8; 300];
        let n = channel
            .wrap_command(&read_record, &mut wrapped)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        wrapped.truncate(n);
        let mut buf = vec![0u8; 2048];
        let first = connection.card().transmit(&wrapped, &mut buf)?.to_vec();
        ensure!(first.ends_with(&[0x90, 0x00]), "{}", hex::encode(&first));
        let mut attack = wrapped.clone();
        if damage == "changed" {
            // The next command (SSC + 1) with one bit of its cryptogram flipped.
            let mut next = vec![0u8; 300];
            let _ = channel.unwrap_response(&first, &mut next);
            let n = channel
                .wrap_command(&read_record, &mut attack)
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            attack.truncate(n);
            attack[8] ^= 0x01;
        }
        let refused = connection.card().transmit(&attack, &mut buf)?.to_vec();
        ensure!(
            refused == [0x69, 0x88],
            "{damage}: {}",
            hex::encode(&refused)
        );
        // The channel is over: the proper next command is refused too, and the record
        // stays shut outside it.
        let mut after = vec![0u8; 300];
        let n = channel
            .wrap_command(&read_record, &mut after)
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let closed = connection.card().transmit(&after[..n], &mut buf)?.to_vec();
        ensure!(
            !closed.ends_with(&[0x90, 0x00]) && closed.len() == 2,
            "{damage}: the channel still answered {}",
            hex::encode(&closed)
        );
        let plain = connection
            .card()
            .transmit(&[0x00, 0xB0, 0x81, 0x00, 0x00], &mut buf)?;
        ensure!(plain == [0x69, 0x82], "{damage}: {}", hex::encode(plain));
    }
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
    verify_card_with_input(w, reader, extra, "")
}

/// [`verify_card`] with `input` on its standard input.
fn verify_card_with_input(
    w: &World,
    reader: &str,
    extra: &[&str],
    input: &str,
) -> Result<(Option<i32>, String, String)> {
    use std::io::Write as _;
    let list = w.dir.join("trust.list");
    std::fs::write(&list, w.fixture.list())?;
    let root = w.dir.join("root.pub.pem");
    std::fs::write(&root, w.fixture.root.public_pem()?)?;
    let mut child = Command::new(&w.reader_bin)
        .args(["verify", "--card", "--reader", reader, "--json"])
        .args(extra)
        .arg("--trust-list")
        .arg(&list)
        .arg("--root-key")
        .arg(&root)
        .arg("--at")
        .arg(stay_std::clock::format_rfc3339(w.fixture.now))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(input.as_bytes())?;
    let out = child.wait_with_output()?;
    Ok((
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// The resident card is also a bank card: `scriptor` selects its PPSE and gets the payment
/// application's directory; the desk reads the same card as a resident card, and its
/// transcript holds only the commands of the border check, to the stay AID; a bank-only
/// card is "not a resident card".
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

    let (code, stdout, stderr) = verify_card(w, &reader, &["--can", "314159"])?;
    ensure!(code == Some(0), "{code:?}: {stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout)?;
    ensure!(
        json["status"] == "valid" && json["chip_authenticated"] == true,
        "{json}"
    );
    // The CAN from standard input, out of the process list.
    let (code, stdout, stderr) = verify_card_with_input(w, &reader, &["--can", "-"], "314159\n")?;
    ensure!(code == Some(0), "--can -: {code:?}: {stdout}{stderr}");
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
    let expected: Vec<(String, String)> = [
        ("SELECT", "040C"),
        ("READ BINARY", "9C00"),
        ("MANAGE SECURITY ENVIRONMENT", "C1A4"),
        ("GENERAL AUTHENTICATE", "0000"),
        ("GENERAL AUTHENTICATE", "0000"),
        ("GENERAL AUTHENTICATE", "0000"),
        ("GENERAL AUTHENTICATE", "0000"),
        ("SELECT", "0400"),
        ("READ BINARY", "8100"),
        // The portrait, after the verdict, over the same channel.
        ("READ BINARY", "8200"),
    ]
    .iter()
    .map(|(c, p)| (c.to_string(), p.to_string()))
    .collect();
    ensure!(steps == expected, "the desk sent {steps:?}");
    drop(card);

    let bank = w.insert_with(0, &image, Interface::Contact, &["--payment-only"])?;
    let (code, stdout, stderr) =
        verify_card(w, &bank.reader.to_string_lossy(), &["--can", "314159"])?;
    ensure!(
        code == Some(65) && stderr.contains("not a resident card: SELECT answered 6A82"),
        "{code:?}: {stdout}{stderr}"
    );
    Ok(())
}

/// The desk's CLI and the CAN: without it, told to give it (exit 64); with a wrong one, no
/// channel and no verdict (exit 65, the card's 6300); with the right one the border check
/// runs over secure messaging and verifies.
fn pace_through_pcscd(w: &mut World) -> Result<()> {
    let image = w.personalized_image("pace")?;
    let inserted = w.insert_card(1, &image, Interface::Contactless)?;
    let reader = inserted.reader.to_string_lossy().into_owned();
    let (code, stdout, stderr) = verify_card(w, &reader, &[])?;
    ensure!(
        code == Some(64) && stderr.contains("opens only over PACE"),
        "{code:?}: {stdout}{stderr}"
    );
    let (code, stdout, stderr) = verify_card(w, &reader, &["--can", "000000"])?;
    ensure!(
        code == Some(65) && stderr.contains("does not open this card") && stderr.contains("6300"),
        "{code:?}: {stdout}{stderr}"
    );
    let (code, stdout, stderr) = verify_card(w, &reader, &["--can", "314159"])?;
    ensure!(code == Some(0), "{code:?}: {stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout)?;
    ensure!(
        json["status"] == "valid" && json["chip_authenticated"] == true,
        "{json}"
    );
    // The CAN from standard input, out of the process list.
    let (code, stdout, stderr) = verify_card_with_input(w, &reader, &["--can", "-"], "314159\n")?;
    ensure!(code == Some(0), "--can -: {code:?}: {stdout}{stderr}");

    // The portrait, after the verdict's reads, saved once it matched the signed digest.
    let out = w.dir.join("portrait.jpg");
    let out_arg = out.to_string_lossy().into_owned();
    let portrait_args = ["--can", "314159", "--portrait-out", out_arg.as_str()];
    let (code, stdout, stderr) = verify_card(w, &reader, &portrait_args)?;
    ensure!(code == Some(0), "{code:?}: {stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout)?;
    ensure!(
        json["portrait"]["check"] == "matches" && json["portrait"]["file"] == out_arg.as_str(),
        "{json}"
    );
    ensure!(std::fs::read(&out)? == stay_tests::card::portrait());
    std::fs::remove_file(&out)?;
    drop(inserted);

    // A card whose portrait file was rewritten: invalid, and nothing saved.
    let mut rewritten = CardImage::read(&image)?;
    rewritten.portrait = Some(vec![0xFF, 0xD8, 0xFF, 0xD9]);
    let rewritten = w.image("portrait-rewritten", &rewritten)?;
    let inserted = w.insert_card(1, &rewritten, Interface::Contactless)?;
    let (code, stdout, stderr) = verify_card(w, &reader, &portrait_args)?;
    ensure!(code == Some(1), "{code:?}: {stdout}{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout)?;
    ensure!(
        json["reason"] == "portrait-mismatch"
            && json["portrait"]["check"] == "mismatch"
            && json["portrait"]["file"].is_null(),
        "{json}"
    );
    ensure!(!out.exists(), "a rewritten portrait was saved");
    // An employer's check reads the face too, though the employer is not shown the digest.
    let employer = [
        "--can",
        "314159",
        "--role",
        "employer",
        "--employer-tin",
        "01234567890123",
    ];
    let (code, stdout, stderr) = verify_card(w, &reader, &employer)?;
    let json: serde_json::Value = serde_json::from_str(&stdout)?;
    ensure!(
        code == Some(1)
            && json["reason"] == "portrait-mismatch"
            && json["decision"] == "may-not-employ",
        "{code:?}: {stdout}{stderr}"
    );
    drop(inserted);
    Ok(())
}

/// An independent terminal (OpenPACE's EF.CardAccess parser, PACE and secure messaging;
/// OpenSSL's curve for the chip authentication data) opens our card with the CAN, finds
/// the chip authentication data right for the chip key in the signed record, and reads the
/// FCI and the record we read; a wrong CAN gets 6300; a clone that knows the CAN (another
/// chip key) fails the chip authentication.
fn openpace_interoperates(w: &mut World) -> Result<()> {
    let program = w.openpace_terminal()?;
    let image = w.personalized_image("openpace")?;
    let (ours, chip_key) = {
        let card = w.insert_card(1, &image, Interface::Contactless)?;
        let reading = read(&mut w.connect(&card)?)?;
        // The key the issuer signed into the record: what the chip must prove.
        let chip_key = stay_core::StayRecord::parse(reading.record())
            .ok()
            .and_then(|r| r.fields.chip_public_key.copied())
            .context("the fixture card's record names its chip key")?;
        let reader = card.reader.to_string_lossy().into_owned();
        let (code, text) = w.run_openpace(&program, &reader, "314159", &chip_key, None)?;
        ensure!(code == Some(0), "{code:?}: {text}");
        let line = |label: &str| {
            text.lines()
                .find_map(|l| l.strip_prefix(label))
                .map(str::to_owned)
                .with_context(|| format!("no {label:?} in {text}"))
        };
        ensure!(line("pace ")? == "ok", "OpenPACE's PACE: {text}");
        ensure!(
            line("chip-authentication ")? == "ok",
            "OpenSSL's chip authentication check: {text}"
        );
        ensure!(
            line("record ")? == hex::encode_upper(reading.record()),
            "OpenPACE read another record: {text}"
        );
        let fci = line("fci ")?;
        ensure!(
            fci.starts_with("6F") && fci.contains(&hex::encode_upper(stay_core::apdu::AID)),
            "OpenPACE's FCI: {text}"
        );
        // OpenPACE's own EF.CardAccess parser takes ours.
        ensure!(
            line("card-access ")? == "parsed",
            "OpenPACE's EF.CardAccess: {text}"
        );
        let (code, text) = w.run_openpace(&program, &reader, "000000", &chip_key, None)?;
        ensure!(
            code == Some(2) && text.contains("refused mutual-authentication 6300"),
            "{code:?}: {text}"
        );
        (reading, chip_key)
    };
    let mut clone = InProcessCard::personalized(&w.fixture).image().clone();
    clone.chip_private_key = Some(*b"another chip key, 32 bytes long!");
    let image = w.image("openpace-clone", &clone)?;
    let card = w.insert_card(1, &image, Interface::Contactless)?;
    let reader = card.reader.to_string_lossy().into_owned();
    let (code, text) = w.run_openpace(&program, &reader, "314159", &chip_key, None)?;
    ensure!(
        code == Some(0) && text.contains("chip-authentication mismatch"),
        "{code:?}: {text}"
    );
    ensure!(text.contains(&hex::encode_upper(ours.record())), "{text}");
    Ok(())
}

/// `reader-host verify --card` through pcscd: the exit status is the verdict.
fn reader_host_cli(w: &mut World) -> Result<()> {
    let image = w.personalized_image("cli")?;
    let card = w.insert_card(1, &image, Interface::Contact)?;
    let (code, text, errors) =
        verify_card(w, &card.reader.to_string_lossy(), &["--can", "314159"])?;
    ensure!(code == Some(0), "{code:?}: {text}{errors}");
    let json: serde_json::Value = serde_json::from_str(&text)?;
    ensure!(json["status"] == "valid", "{json}");
    ensure!(json["chip_authenticated"] == true, "{json}");
    // No card in an empty slot: exit 66 after --wait.
    let (code, _, _) = verify_card(
        w,
        &w.sandbox.reader_name(0),
        &["--wait", "0.5", "--can", "314159"],
    )?;
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
    // A portrait as the station takes them: a real JPEG (issuer::portrait::check).
    let face = issuer::portrait::sample("station-cli");
    std::fs::write(w.dir.join("portrait.jpg"), &face)?;
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
    ensure!(stored.locked && stored.portrait == Some(face));
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
        let locked = match Session::new(&mut connection).select_blank() {
            Ok(info) => info.locked,
            Err(CardError::Locked) => true,
            Err(e) => bail!("round {round}: {e}"),
        };
        ensure!(locked == stored.locked, "round {round}: locked {locked}");
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
    ("openpace_interoperates", openpace_interoperates),
    ("station_cli", station_cli),
    ("crash_during_personalization", crash_during_personalization),
];

fn main() -> ExitCode {
    run_checks("PC/SC", CHECKS)
}
