//! Blank cards from a PC/SC reader: the station's [`CardSupply`](crate::CardSupply) over
//! the desk's PC/SC link.

use std::ffi::CString;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use pcsc::{Context, Protocols, ShareMode};
use reader_host::card::PcscLink;
use reader_host::pcsc_reader::{establish, wait_for_card, wait_for_removal};
use stay_std::messages::Messages;

/// Blank cards from one PC/SC reader, for the personalization station.
pub struct StationReader {
    ctx: Context,
    reader: Option<String>,
    wait: Duration,
    /// Where the last card was, to wait for its removal.
    last_reader: Option<CString>,
    /// The operator's language, for what the reader tells them.
    messages: &'static Messages,
}

impl StationReader {
    /// `reader`: the reader's name (default: whichever shows a card first); `wait`: how
    /// long to wait for each card, and for each card to be taken out.
    pub fn new(
        reader: Option<String>,
        wait: Duration,
        messages: &'static Messages,
    ) -> Result<StationReader> {
        Ok(StationReader {
            ctx: establish()?,
            reader,
            wait,
            last_reader: None,
            messages,
        })
    }
}

impl crate::CardSupply for StationReader {
    type Card = PcscLink;

    fn next_card(&mut self, _prompt: &str) -> Result<Option<PcscLink>> {
        let deadline = Instant::now() + self.wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            // The card handed back last must leave first: the same card is not a new one.
            if let Some(reader) = self.last_reader.take() {
                if wait_for_removal(&self.ctx, &reader, left).is_err() {
                    return Ok(None);
                }
            }
            let Some(presence) = wait_for_card(&self.ctx, self.reader.as_deref(), left)? else {
                return Ok(None);
            };
            match self
                .ctx
                .connect(&presence.reader, ShareMode::Shared, Protocols::ANY)
            {
                Ok(card) => {
                    self.last_reader = Some(presence.reader);
                    return Ok(Some(PcscLink::new(card)));
                }
                // Out again before it could be used (a card slid past the contacts):
                // wait for the next one.
                Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard) => {}
                // In, but it does not answer: it has to come out before another goes in.
                Err(e @ (pcsc::Error::UnresponsiveCard | pcsc::Error::UnpoweredCard)) => {
                    eprintln!(
                        "{}",
                        self.messages.format(
                            "station-card-unusable",
                            &[
                                ("reader", &presence.reader.to_string_lossy()),
                                ("detail", &e.to_string())
                            ]
                        )
                    );
                    self.last_reader = Some(presence.reader);
                }
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!(
                            "cannot connect to the card in {}",
                            presence.reader.to_string_lossy()
                        )
                    })
                }
            }
        }
    }

    fn hand_back(&mut self, card: PcscLink, _message: &str) -> Result<()> {
        // LeaveCard: a reset sent to a card already pulled would confuse some readers.
        let _ = card.into_card().disconnect(pcsc::Disposition::LeaveCard);
        Ok(())
    }
}
