//! The payment application, as much of it as a resident card's terminals ever meet: the
//! resident card is also the bank card the holder's salary is paid to, so it answers SELECT
//! of the proximity payment system environment (`2PAY.SYS.DDF01`, EMV Book B) with the
//! directory of its payment application, and SELECT of that application with its FCI.
//! Nothing else: every other instruction is 6D00. Its only job here is to be there, so the
//! stay terminals prove they never talk to it.

use rand_core::CryptoRngCore;
use stay_core::apdu::{Command, Status};

use crate::dispatch::{Answer, Application, Outcome};

/// The PPSE's DF name: `2PAY.SYS.DDF01`.
pub const PPSE: &[u8] = b"2PAY.SYS.DDF01";
/// The payment application (a Mastercard credit/debit AID, `A0000000041010`).
pub const PAYMENT_AID: &[u8] = &[0xA0, 0x00, 0x00, 0x00, 0x04, 0x10, 0x10];
/// Its application label.
const LABEL: &[u8] = b"SALARY CARD";

/// Tags of the EMV FCI (EMV Book 1 §11.3.4).
const TAG_FCI: u8 = 0x6F;
const TAG_DF_NAME: u8 = 0x84;
const TAG_PROPRIETARY: u8 = 0xA5;
const TAG_ISSUER_DISCRETIONARY: [u8; 2] = [0xBF, 0x0C];
const TAG_DIRECTORY_ENTRY: u8 = 0x61;
const TAG_AID: u8 = 0x4F;
const TAG_LABEL: u8 = 0x50;
const TAG_PRIORITY: u8 = 0x87;

fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    // Every object here is shorter than 128 bytes: one length byte.
    let mut out = tag.to_vec();
    out.push(value.len() as u8);
    out.extend_from_slice(value);
    out
}

/// The payment application and its PPSE.
#[derive(Debug, Default)]
pub struct Payment;

impl Payment {
    /// The PPSE's FCI: its name, and one directory entry naming the payment application.
    pub fn ppse_fci() -> Vec<u8> {
        let entry = [
            tlv(&[TAG_AID], PAYMENT_AID),
            tlv(&[TAG_LABEL], LABEL),
            tlv(&[TAG_PRIORITY], &[0x01]),
        ]
        .concat();
        let directory = tlv(
            &TAG_ISSUER_DISCRETIONARY,
            &tlv(&[TAG_DIRECTORY_ENTRY], &entry),
        );
        tlv(
            &[TAG_FCI],
            &[
                tlv(&[TAG_DF_NAME], PPSE),
                tlv(&[TAG_PROPRIETARY], &directory),
            ]
            .concat(),
        )
    }

    /// The payment application's FCI: its AID, label and priority.
    pub fn application_fci() -> Vec<u8> {
        let proprietary = [tlv(&[TAG_LABEL], LABEL), tlv(&[TAG_PRIORITY], &[0x01])].concat();
        tlv(
            &[TAG_FCI],
            &[
                tlv(&[TAG_DF_NAME], PAYMENT_AID),
                tlv(&[TAG_PROPRIETARY], &proprietary),
            ]
            .concat(),
        )
    }
}

impl Application for Payment {
    fn answers_to(&self, name: &[u8]) -> bool {
        name == PPSE || name == PAYMENT_AID
    }

    fn class_of(&self, _ins: u8) -> Option<u8> {
        None
    }

    fn select(&mut self, cmd: &Command<'_>, _secured: bool) -> Outcome {
        let fci = if cmd.data == PPSE {
            Payment::ppse_fci()
        } else {
            Payment::application_fci()
        };
        match cmd.ne {
            None => Ok(Answer::ok(Vec::new())),
            Some(ne) if (ne as usize) < fci.len() => Err(Status::WrongLe(fci.len() as u8)),
            Some(_) => Ok(Answer::ok(fci)),
        }
    }

    fn deselect(&mut self) {}

    fn call(
        &mut self,
        _cmd: &Command<'_>,
        _secured: bool,
        _rng: &mut dyn CryptoRngCore,
    ) -> Outcome {
        Err(Status::InstructionNotSupported)
    }
}
