//! Configurable rules: maximum validity per document type, trust-list grace, who may be
//! employed, and who is shown which fields. `docs/policy.md` is the specification.

use crate::record::{DocumentType, Purpose};

/// Who is verifying, and for what decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role<'a> {
    /// Border guard or police: may this person stay today?
    Border,
    /// An employer, identified by its 14-digit taxpayer number: may *we* employ them today?
    Employer { tin: &'a str },
    /// Card-personalization station: does the card just written verify?
    Station,
}

impl Role<'_> {
    pub const fn name(&self) -> &'static str {
        match self {
            Role::Border => "border",
            Role::Employer { .. } => "employer",
            Role::Station => "station",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Longest allowed validity, in days counted inclusively from valid-from to
    /// valid-until, indexed by document type code - 1.
    pub max_validity_days: [u16; 3],
    /// Longest allowed gap, in days, from the issue date to valid-from, indexed by document
    /// type code - 1. The signer's period covers the issue date only: without this bound a
    /// record issued today could start its validity years later, long after its signer's
    /// period and any revocation of it (docs/policy.md).
    pub max_issue_lead_days: [u16; 3],
    /// How long after its next-update time a trust list still counts as current.
    pub trust_list_grace_secs: u64,
    /// Purposes of stay (mask of [`Purpose::bit`]) under which a holder may be employed.
    pub employable_purposes: u8,
}

impl Policy {
    pub const DEFAULT: Policy = Policy {
        // One year (366 covers a leap year), two months (62 covers July + August), one year.
        max_validity_days: [366, 62, 366],
        // Resident card: a quarter (the office writes cards ahead of a permit's start);
        // unified window: two weeks (a short stay applied for just before travel); digital
        // nomad: a month (applied for online before arrival).
        max_issue_lead_days: [90, 14, 30],
        trust_list_grace_secs: 7 * 86_400,
        employable_purposes: Purpose::Work.bit(),
    };

    pub fn max_validity_days(&self, document_type: DocumentType) -> u16 {
        self.max_validity_days[document_type as usize - 1]
    }

    pub fn max_issue_lead_days(&self, document_type: DocumentType) -> u16 {
        self.max_issue_lead_days[document_type as usize - 1]
    }

    pub fn purpose_employable(&self, purpose: Purpose) -> bool {
        self.employable_purposes & purpose.bit() != 0
    }
}

impl Default for Policy {
    fn default() -> Self {
        Policy::DEFAULT
    }
}
