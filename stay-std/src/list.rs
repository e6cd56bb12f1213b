//! A trust list verified against the pinned root, kept together with its bytes.

use anyhow::Result;
use stay_core::{HighWater, ListError, PublicKey, TrustList};

self_cell::self_cell!(
    /// A verified list and the bytes it borrows from.
    pub struct LoadedList {
        owner: Vec<u8>,
        #[covariant]
        dependent: TrustList,
    }
);

impl LoadedList {
    /// Takes `bytes` only if they are a list signed by `root`, not older than `trusted`.
    pub fn verify(bytes: Vec<u8>, root: &PublicKey, trusted: Option<u64>) -> Result<LoadedList> {
        LoadedList::try_new(bytes, |b| {
            TrustList::load(b, root, trusted).map_err(|e| anyhow::anyhow!("{e}"))
        })
    }

    /// Takes `bytes` only if they are a list signed by `root` that the terminal's
    /// high-water mark admits (`TrustList::load_against`).
    pub fn admit(
        bytes: Vec<u8>,
        root: &PublicKey,
        high_water: Option<&HighWater>,
    ) -> Result<LoadedList, ListError> {
        LoadedList::try_new(bytes, |b| TrustList::load_against(b, root, high_water))
    }

    /// The high-water mark this list sets once accepted.
    pub fn high_water(&self) -> HighWater {
        HighWater::for_list(self.list().sequence, self.bytes())
    }

    pub fn list(&self) -> &TrustList<'_> {
        self.borrow_dependent()
    }

    pub fn bytes(&self) -> &[u8] {
        self.borrow_owner()
    }
}
