//! The bridge between the chip and pcscd's `vpcd` virtual reader.
//!
//! vpcd (vsmartcard) listens on TCP; the card connects to it. Every message, both ways, is a
//! frame: a 2-byte big-endian length, then that many bytes. A 1-byte frame from the reader
//! is a control message (power off, power on, reset, get ATR); anything longer is a command
//! APDU, answered by one response frame.
//!
//! Debian's vpcd writes each frame in two `send` calls (length, then body). With Nagle on
//! its side and delayed ACKs on ours, every APDU would wait ~40 ms for our ACK; re-arming
//! `TCP_QUICKACK` before each read (the kernel clears it again) makes an APDU cost well
//! under a millisecond.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::linux::net::TcpStreamExt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use stay_core::apdu::Status;

use crate::applet::Interface;
use crate::dispatch::{Chip, Reply};
use crate::image::CardImage;

pub const CTRL_POWER_OFF: u8 = 0x00;
pub const CTRL_POWER_ON: u8 = 0x01;
pub const CTRL_RESET: u8 = 0x02;
pub const CTRL_GET_ATR: u8 = 0x04;

/// vpcd's first slot; slot `n` of the default configuration listens on `DEFAULT_PORT + n`.
pub const DEFAULT_PORT: u16 = 35_963;

/// An answer of the bridge's own, before the applet sees the command.
fn refusal(status: Status) -> Reply {
    Reply {
        delay: std::time::Duration::ZERO,
        response: status.to_bytes().to_vec(),
        persist: false,
    }
}

/// Which applications the chip carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applications {
    /// A resident card as issued: the stay application and the payment application.
    Resident,
    /// A bank card without the resident-card application.
    PaymentOnly,
}

/// Faults the bridge puts between the reader and the chip, for the tests: the chip itself
/// is always the real one.
#[derive(Debug, Default)]
pub struct Faults {
    /// Leave the reader after answering this many commands: a card pulled out mid-session.
    pub pull_after: Option<u64>,
    /// After answering this many commands, create the file and answer nothing more on this
    /// connection (a test kills pcscd there); once pcscd is back, serve as usual.
    pub hold_after: Option<(u64, PathBuf)>,
    /// Refuse extended-length APDUs with 6700, as a card or reader without extended
    /// length does.
    pub short_only: bool,
    answered: u64,
}

/// What the fault layer does with a command before the chip sees it.
enum Intercept {
    /// Pass it to the chip.
    Pass,
    /// Answer this status word instead.
    Refuse(Status),
    /// Answer nothing, ever, on this connection; the marker file says so.
    Hold(PathBuf),
}

impl Faults {
    fn before(&mut self, apdu: &[u8]) -> Intercept {
        if let Some((n, marker)) = &self.hold_after {
            if self.answered == *n {
                let marker = marker.clone();
                self.hold_after = None;
                return Intercept::Hold(marker);
            }
        }
        let extended = stay_core::apdu::Command::parse(apdu).is_ok_and(|c| c.extended);
        if self.short_only && extended {
            return Intercept::Refuse(Status::WrongLength);
        }
        Intercept::Pass
    }

    /// After an answer left: whether the card leaves the reader now.
    fn after(&mut self) -> bool {
        self.answered += 1;
        self.pull_after.is_some_and(|n| self.answered >= n)
    }
}

/// A card in a vpcd slot: the chip, where its image lives, how it meets the reader.
pub struct Card {
    pub chip: Chip,
    pub image_path: PathBuf,
    pub interface: Interface,
    /// Re-arm TCP_QUICKACK before each read (turn off only to measure what it saves).
    pub quickack: bool,
    /// Log every exchange on stderr.
    pub trace: bool,
    pub faults: Faults,
}

/// Why [`Card::serve`] ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// The reader closed the connection.
    ReaderClosed,
    /// [`Faults::pull_after`] commands were answered: the card leaves.
    Pulled,
}

fn read_frame(stream: &mut TcpStream, quickack: bool, buf: &mut Vec<u8>) -> io::Result<bool> {
    if quickack {
        stream.set_quickack(true)?;
    }
    let mut len = [0u8; 2];
    match stream.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e),
    }
    buf.resize(usize::from(u16::from_be_bytes(len)), 0);
    if quickack {
        stream.set_quickack(true)?;
    }
    stream.read_exact(buf)?;
    Ok(true)
}

fn write_frame(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "frame over 65535 bytes"))?;
    // One write, so the frame leaves in one segment.
    let mut frame = Vec::with_capacity(2 + payload.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

/// Whether `error` is the vpcd connection breaking (not the card failing).
fn connection_broke(error: &anyhow::Error) -> bool {
    error.downcast_ref::<io::Error>().is_some_and(|e| {
        matches!(
            e.kind(),
            io::ErrorKind::ConnectionReset
                | io::ErrorKind::ConnectionAborted
                | io::ErrorKind::BrokenPipe
                | io::ErrorKind::UnexpectedEof
        )
    })
}

impl Card {
    pub fn open(
        image_path: PathBuf,
        interface: Interface,
        applications: Applications,
    ) -> Result<Card> {
        let image = CardImage::read(&image_path)?;
        Ok(Card {
            chip: match applications {
                Applications::Resident => Chip::resident(image),
                Applications::PaymentOnly => Chip::payment_only(),
            },
            image_path,
            interface,
            quickack: true,
            trace: false,
            faults: Faults::default(),
        })
    }

    /// Serves one vpcd connection until the reader closes it (or the card is pulled).
    pub fn serve(&mut self, mut stream: TcpStream) -> Result<Ended> {
        stream.set_nodelay(true)?;
        let mut rng = rand_core::OsRng;
        let mut frame = Vec::with_capacity(512);
        while read_frame(&mut stream, self.quickack, &mut frame)? {
            match frame.as_slice() {
                [CTRL_POWER_OFF] | [CTRL_POWER_ON] | [CTRL_RESET] => {
                    if self.trace {
                        eprintln!("card: control {:02X}", frame[0]);
                    }
                    self.chip.reset();
                }
                [CTRL_GET_ATR] => write_frame(&mut stream, self.interface.atr())?,
                [other] => eprintln!("card: unknown vpcd control {other:02X}, ignored"),
                apdu => {
                    let reply = match self.faults.before(apdu) {
                        Intercept::Pass => self.chip.process(apdu, &mut rng),
                        Intercept::Refuse(status) => refusal(status),
                        Intercept::Hold(marker) => {
                            std::fs::write(marker, b"held")?;
                            // This APDU and what comes after: read, never answered, until
                            // the reader's side closes.
                            while read_frame(&mut stream, self.quickack, &mut frame)
                                .unwrap_or(false)
                            {}
                            return Ok(Ended::ReaderClosed);
                        }
                    };
                    if self.trace {
                        eprintln!(
                            "card: > {}\ncard: < {}",
                            hex::encode_upper(apdu),
                            hex::encode_upper(&reply.response)
                        );
                    }
                    if let Some(image) = self.chip.image().filter(|_| reply.persist) {
                        // The image is saved before the answer leaves: a station that saw
                        // 9000 never loses what it wrote.
                        if let Err(e) = image.write(&self.image_path) {
                            // Memory failure: the card could not save its image.
                            write_frame(&mut stream, &refusal(Status::MemoryFailure).response)?;
                            return Err(e.context("cannot save the card image"));
                        }
                    }
                    // PACE's slow-down: the card works this long before it answers.
                    std::thread::sleep(reply.delay);
                    write_frame(&mut stream, &reply.response)?;
                    if self.faults.after() {
                        return Ok(Ended::Pulled);
                    }
                }
            }
        }
        Ok(Ended::ReaderClosed)
    }

    /// Connects to vpcd at `addr` (retrying while pcscd starts) and serves it; when pcscd
    /// goes away, waits for it to come back, as a card left in its reader would.
    pub fn run(&mut self, addr: &str) -> Result<()> {
        let mut backoff = Duration::from_millis(10);
        let mut announced = false;
        loop {
            match TcpStream::connect(addr) {
                Ok(stream) => {
                    let serial = self
                        .chip
                        .image()
                        .map_or("bank-only".into(), |image| hex::encode_upper(image.serial));
                    eprintln!(
                        "card: {serial} in the reader at {addr} ({:?})",
                        self.interface
                    );
                    backoff = Duration::from_millis(10);
                    announced = false;
                    self.chip.reset();
                    let ended = match self.serve(stream) {
                        Ok(ended) => ended,
                        // The connection broke (pcscd killed as it was accepting): the
                        // card stays in its reader and waits for the next pcscd.
                        Err(e) if connection_broke(&e) => {
                            eprintln!("card: vpcd connection to {addr} broke: {e}");
                            Ended::ReaderClosed
                        }
                        Err(e) => return Err(e.context(format!("vpcd connection to {addr}"))),
                    };
                    if ended == Ended::Pulled {
                        eprintln!("card: pulled out of the reader at {addr}");
                        return Ok(());
                    }
                    eprintln!("card: reader at {addr} closed the connection");
                }
                Err(e) => {
                    if !announced {
                        eprintln!("card: waiting for vpcd at {addr}: {e}");
                        announced = true;
                    }
                    std::thread::sleep(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                }
            }
        }
    }
}
