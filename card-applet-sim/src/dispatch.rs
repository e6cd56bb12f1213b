//! The card's dispatcher: one chip, several applications, as a multi-application card
//! (ISO/IEC 7816-4 §5.4, §11.2) routes commands. Checks that hold for every application are
//! made once here, in the order of docs/apdu.md: length encoding (6700), class (6E00, 6881,
//! 6882, 6884: no logical channels, no secure messaging, no command chaining), instruction
//! known to the application (6D00) in its class (6E00); then SELECT by DF name picks the
//! application, and any other command goes to the one selected (6985 when none is). A
//! failed SELECT keeps the current selection.
//!
//! There is no default application: until a SELECT names one, nothing but SELECT works.

use rand_core::CryptoRngCore;
use stay_core::apdu::{self as iso, Command, Status};
use stay_core::sm::{SecureChannel, CLA_SM};

use std::time::Duration;

use crate::applet::Applet;
use crate::image::CardImage;
use crate::payment::Payment;

/// A response APDU and whether the persistent image changed (the bridge must save it
/// before the response leaves the card).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub response: Vec<u8>,
    pub persist: bool,
    /// How long the card works before this response leaves (PACE's slow-down after failed
    /// attempts); the bridge waits it out, an in-process test reads it.
    pub delay: Duration,
}

impl Reply {
    pub fn status(&self) -> Status {
        iso::split_response(&self.response)
            .map(|(_, sw)| sw)
            .expect("every response ends in a status word")
    }
}

/// An application's answer before it is encoded.
#[derive(Debug)]
pub struct Answer {
    pub data: Vec<u8>,
    pub status: Status,
    /// The persistent image changed.
    pub persist: bool,
    /// PACE completed: secure messaging starts with the next command (this answer still
    /// leaves in plain).
    pub secure: Option<SecureChannel>,
    /// See [`Reply::delay`].
    pub delay: Duration,
}

fn plain_reply(answer: Answer) -> Reply {
    let mut response = answer.data;
    response.extend_from_slice(&answer.status.to_bytes());
    Reply {
        response,
        persist: answer.persist,
        delay: answer.delay,
    }
}

impl Answer {
    /// A refusal: no data, nothing changed.
    pub fn refused(status: Status) -> Answer {
        Answer {
            data: Vec::new(),
            status,
            persist: false,
            secure: None,
            delay: Duration::ZERO,
        }
    }

    pub fn ok(data: Vec<u8>) -> Answer {
        Answer {
            data,
            status: Status::Success,
            persist: false,
            secure: None,
            delay: Duration::ZERO,
        }
    }

    pub fn saved(mut self) -> Answer {
        self.persist = true;
        self
    }
}

/// What an application makes of a command: an answer, or the status word refusing it
/// (and then nothing changed).
pub type Outcome = Result<Answer, Status>;

/// One application on the chip.
pub trait Application {
    /// Whether SELECT by DF name `name` (whole, or a prefix the application allows)
    /// selects this application.
    fn answers_to(&self, name: &[u8]) -> bool;
    /// The class (`CLA_ISO` or `CLA_PROPRIETARY`) the application takes `ins` in; `None`
    /// for an instruction it does not have.
    fn class_of(&self, ins: u8) -> Option<u8>;
    /// SELECT of this application (parameters already checked): its FCI, or nothing.
    /// `secured`: the command came under secure messaging.
    fn select(&mut self, cmd: &Command<'_>, secured: bool) -> Outcome;
    /// Another application was selected, or the card was reset: the session ends.
    fn deselect(&mut self);
    /// Any command but SELECT, while this application is selected.
    fn call(&mut self, cmd: &Command<'_>, secured: bool, rng: &mut dyn CryptoRngCore) -> Outcome;
}

/// Which application is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Selected {
    Stay,
    Payment,
}

/// The chip: the resident-card application and the payment application (the resident
/// card is also the bank card the holder's salary is paid to), behind the dispatcher.
#[derive(Debug)]
pub struct Chip {
    stay: Option<Applet>,
    payment: Option<Payment>,
    selected: Option<Selected>,
    /// Secure messaging, once PACE established it.
    channel: Option<SecureChannel>,
    /// Set by a selection that switched applications: the channel in use for that command
    /// wraps its answer, then ends (it belonged to the other application's session).
    switched: bool,
}

/// Class byte checks (ISO/IEC 7816-4 §5.4.1) of a plain command: only channel 0, chaining
/// only where PACE's GENERAL AUTHENTICATE chains its steps, no secure messaging (a
/// protected command was unwrapped before this), in the first interindustry group (`0x`)
/// or its proprietary twin (`8x`).
fn check_class(cla: u8, ins: u8) -> Result<(), Status> {
    if cla == 0xFF {
        return Err(Status::ClassNotSupported);
    }
    match cla & 0xE0 {
        0x00 | 0x80 => {}
        // Further interindustry classes exist only for logical channels 4 to 19.
        0x40 | 0x60 => return Err(Status::LogicalChannelNotSupported),
        _ => return Err(Status::ClassNotSupported),
    }
    if cla & iso::CLA_CHAINING != 0 && ins != iso::INS_GENERAL_AUTHENTICATE {
        return Err(Status::ChainingNotSupported);
    }
    if cla & 0x0C != 0 {
        return Err(Status::SecureMessagingNotSupported);
    }
    if cla & 0x03 != 0 {
        return Err(Status::LogicalChannelNotSupported);
    }
    Ok(())
}

/// SELECT's own parameters, whatever it names: by DF name (P1 `04`), FCI or no data (P2
/// `00` / `0C`), a name of 5 to 16 bytes, no Le with P2 `0C`.
fn check_select(cmd: &Command<'_>) -> Result<(), Status> {
    const RETURN_FCI: u8 = 0x00;
    const NO_RESPONSE_DATA: u8 = 0x0C;
    if cmd.p1 != 0x04 || !matches!(cmd.p2, RETURN_FCI | NO_RESPONSE_DATA) {
        return Err(Status::IncorrectP1P2);
    }
    if !(iso::AID_MIN_PREFIX..=16).contains(&cmd.data.len()) {
        return Err(Status::WrongLength);
    }
    if cmd.p2 == NO_RESPONSE_DATA && cmd.ne.is_some() {
        return Err(Status::WrongLength);
    }
    Ok(())
}

impl Chip {
    /// A resident card as issued: the stay application on `image`, and the payment
    /// application.
    pub fn resident(image: CardImage) -> Chip {
        Chip {
            stay: Some(Applet::new(image)),
            payment: Some(Payment),
            selected: None,
            channel: None,
            switched: false,
        }
    }

    /// A bank card without the resident-card application.
    pub fn payment_only() -> Chip {
        Chip {
            stay: None,
            payment: Some(Payment),
            selected: None,
            channel: None,
            switched: false,
        }
    }

    /// The resident-card application's persistent image (`None` on a bank-only card).
    pub fn image(&self) -> Option<&CardImage> {
        self.stay.as_ref().map(Applet::card)
    }

    /// Power off, cold or warm reset: every session ends, nothing is selected, secure
    /// messaging is over.
    pub fn reset(&mut self) {
        self.applications(|_, app| app.deselect());
        self.selected = None;
        self.channel = None;
    }

    fn applications(&mut self, mut each: impl FnMut(Selected, &mut dyn Application)) {
        if let Some(stay) = &mut self.stay {
            each(Selected::Stay, stay);
        }
        if let Some(payment) = &mut self.payment {
            each(Selected::Payment, payment);
        }
    }

    fn application(&mut self, which: Selected) -> Option<&mut dyn Application> {
        match which {
            Selected::Stay => self.stay.as_mut().map(|a| a as &mut dyn Application),
            Selected::Payment => self.payment.as_mut().map(|a| a as &mut dyn Application),
        }
    }

    /// Processes one command APDU. Never panics, whatever the bytes.
    ///
    /// With secure messaging on, a protected command is unwrapped, processed, and its answer
    /// wrapped; a command that fails to unwrap (changed, replayed, another session's) is
    /// `6988` and ends the channel; a plain command ends it too, and is processed plain.
    pub fn process(&mut self, apdu: &[u8], rng: &mut dyn CryptoRngCore) -> Reply {
        self.switched = false;
        let protected = apdu.first().is_some_and(|cla| cla & CLA_SM == CLA_SM);
        if let (true, Some(mut channel)) = (protected, self.channel.take()) {
            let mut plain = [0u8; 300];
            let answer = match channel.unwrap_command(apdu, &mut plain) {
                Ok(len) => self.answer(&plain[..len], true, rng),
                // The channel is gone (closed by the failure): the answer is plain.
                Err(_) => return plain_reply(Answer::refused(Status::SmObjectsIncorrect)),
            };
            let mut out = vec![0u8; answer.data.len() + 64];
            return match channel.wrap_response(&answer.data, answer.status, &mut out) {
                Ok(len) => {
                    out.truncate(len);
                    if !std::mem::take(&mut self.switched) {
                        self.channel = Some(channel);
                    }
                    Reply {
                        response: out,
                        persist: answer.persist,
                        delay: answer.delay,
                    }
                }
                Err(_) => plain_reply(Answer::refused(Status::MemoryFailure)),
            };
        }
        // A plain command ends secure messaging.
        self.channel = None;
        let mut answer = self.answer(apdu, false, rng);
        self.channel = answer.secure.take();
        plain_reply(answer)
    }

    fn answer(&mut self, apdu: &[u8], secured: bool, rng: &mut dyn CryptoRngCore) -> Answer {
        Command::parse(apdu)
            .map_err(|_| Status::WrongLength)
            .and_then(|cmd| self.dispatch(&cmd, secured, rng))
            .unwrap_or_else(Answer::refused)
    }

    fn dispatch(
        &mut self,
        cmd: &Command<'_>,
        secured: bool,
        rng: &mut dyn CryptoRngCore,
    ) -> Outcome {
        check_class(cmd.cla, cmd.ins)?;
        // The instruction as the selected application knows it; before any selection, as
        // any application on the chip knows it.
        let class = match self.selected {
            Some(which) => self
                .application(which)
                .and_then(|app| app.class_of(cmd.ins)),
            None => {
                let mut class = None;
                self.applications(|_, app| class = class.or(app.class_of(cmd.ins)));
                class
            }
        };
        let class = match (cmd.ins, class) {
            (iso::INS_SELECT, _) => iso::CLA_ISO,
            (_, Some(class)) => class,
            (_, None) => return Err(Status::InstructionNotSupported),
        };
        if cmd.cla & 0x80 != class {
            return Err(Status::ClassNotSupported);
        }
        if cmd.ins == iso::INS_SELECT {
            return self.select(cmd, secured);
        }
        let which = self.selected.ok_or(Status::ConditionsNotSatisfied)?;
        match self.application(which) {
            Some(app) => app.call(cmd, secured, rng),
            None => Err(Status::ConditionsNotSatisfied),
        }
    }

    fn select(&mut self, cmd: &Command<'_>, secured: bool) -> Outcome {
        check_select(cmd)?;
        let mut target = None;
        self.applications(|which, app| {
            if target.is_none() && app.answers_to(cmd.data) {
                target = Some(which);
            }
        });
        // A failed selection keeps the current one, as on any multi-application card.
        let which = target.ok_or(Status::NotFound)?;
        let answer = match self.application(which) {
            Some(app) => app.select(cmd, secured)?,
            None => return Err(Status::NotFound),
        };
        if let Some(previous) = self.selected.filter(|&p| p != which) {
            if let Some(app) = self.application(previous) {
                app.deselect();
            }
            // The channel belonged to the other application's session (`process` holds it
            // while the command runs: it ends there).
            self.channel = None;
            self.switched = true;
        }
        self.selected = Some(which);
        Ok(answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::payment::{PAYMENT_AID, PPSE};

    fn select(name: &[u8]) -> Vec<u8> {
        let mut apdu = vec![0x00, iso::INS_SELECT, 0x04, 0x00, name.len() as u8];
        apdu.extend_from_slice(name);
        apdu.push(0x00);
        apdu
    }

    #[test]
    fn each_application_answers_its_own_select_and_keeps_to_itself() {
        let station_key = p256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap();
        let point = station_key.verifying_key().to_encoded_point(false);
        let key = stay_core::PublicKey::from_sec1(point.as_bytes()).unwrap();
        let mut chip = Chip::resident(CardImage::blank(*b"MULTI-01", &key));
        let mut rng = rand_core::OsRng;
        let ppse = chip.process(&select(PPSE), &mut rng);
        assert_eq!(ppse.status(), Status::Success);
        assert!(ppse
            .response
            .windows(PAYMENT_AID.len())
            .any(|w| w == PAYMENT_AID));
        // The payment application answers nothing but SELECT.
        let read = chip.process(&[0x00, iso::INS_READ_BINARY, 0x81, 0x00, 0x00], &mut rng);
        assert_eq!(read.status(), Status::InstructionNotSupported);
        let stay = chip.process(&select(&iso::AID), &mut rng);
        assert_eq!(stay.status(), Status::Success);
        assert_eq!(
            iso::Fci::parse(&stay.response[..stay.response.len() - 2])
                .unwrap()
                .serial,
            *b"MULTI-01"
        );
        // Selecting the payment application ends the stay session.
        let get_challenge = [0x00, iso::INS_GET_CHALLENGE, 0x00, 0x00, 0x10];
        assert_eq!(
            chip.process(&get_challenge, &mut rng).status(),
            Status::Success
        );
        assert_eq!(
            chip.process(&select(PAYMENT_AID), &mut rng).status(),
            Status::Success
        );
        assert_eq!(
            chip.process(&get_challenge, &mut rng).status(),
            Status::InstructionNotSupported
        );

        // A station authenticated, then the PPSE selected, then the stay application again:
        // the authentication is gone.
        let mut chip = Chip::resident(CardImage::blank(*b"MULTI-02", &key));
        assert_eq!(
            chip.process(&select(&iso::AID), &mut rng).status(),
            Status::Success
        );
        let challenge = chip.process(&get_challenge, &mut rng);
        let challenge: [u8; 16] = challenge.response[..16].try_into().unwrap();
        let signature: p256::ecdsa::Signature = p256::ecdsa::signature::Signer::sign(
            &station_key,
            &iso::personalization_message(b"MULTI-02", &challenge),
        );
        let mut authenticate = vec![0x00, iso::INS_EXTERNAL_AUTHENTICATE, 0x00, 0x00, 64];
        authenticate.extend_from_slice(&signature.normalize_s().unwrap_or(signature).to_bytes());
        assert_eq!(
            chip.process(&authenticate, &mut rng).status(),
            Status::Success
        );
        let generate = [
            0x00,
            iso::INS_GENERATE_KEY_PAIR,
            iso::KEY_GENERATE,
            0x00,
            0x00,
        ];
        assert_eq!(
            chip.process(&select(PPSE), &mut rng).status(),
            Status::Success
        );
        assert_eq!(
            chip.process(&select(&iso::AID), &mut rng).status(),
            Status::Success
        );
        assert_eq!(
            chip.process(&generate, &mut rng).status(),
            Status::SecurityStatusNotSatisfied
        );

        let mut bank = Chip::payment_only();
        assert_eq!(
            bank.process(&select(&iso::AID), &mut rng).status(),
            Status::NotFound
        );
        assert_eq!(
            bank.process(&select(PPSE), &mut rng).status(),
            Status::Success
        );
        assert!(bank.image().is_none());
    }
}
