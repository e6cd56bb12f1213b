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

/// Why a role name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleError {
    /// Not `border`, `employer` or `station`.
    Unknown,
    /// `employer` needs the employer's taxpayer number.
    EmployerWithoutTin,
    /// A taxpayer number that is not 14 digits.
    MalformedTin,
    /// A taxpayer number given for a role that has none.
    TinWithoutEmployer,
}

impl core::fmt::Display for RoleError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RoleError::Unknown => "the role is border, employer or station",
            RoleError::EmployerWithoutTin => "the employer role needs the employer's TIN",
            RoleError::MalformedTin => "an employer's TIN is 14 digits",
            RoleError::TinWithoutEmployer => "a TIN belongs to the employer role only",
        })
    }
}

impl<'a> Role<'a> {
    pub const fn name(&self) -> &'static str {
        match self {
            Role::Border => "border",
            Role::Employer { .. } => "employer",
            Role::Station => "station",
        }
    }

    /// The role named `name` ([`Role::name`]), with the employer's taxpayer number for
    /// `employer`. Every configuration, command line and test vector names roles this way.
    pub fn from_str(name: &str, employer_tin: Option<&'a str>) -> Result<Role<'a>, RoleError> {
        match (name, employer_tin) {
            ("employer", Some(tin)) if crate::record::is_digits(tin, crate::record::TIN_LEN) => {
                Ok(Role::Employer { tin })
            }
            ("employer", Some(_)) => Err(RoleError::MalformedTin),
            ("employer", None) => Err(RoleError::EmployerWithoutTin),
            ("border" | "station", Some(_)) => Err(RoleError::TinWithoutEmployer),
            ("border", None) => Ok(Role::Border),
            ("station", None) => Ok(Role::Station),
            _ => Err(RoleError::Unknown),
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
    /// How many times a document's stay may be extended by a trust list's status change,
    /// indexed by document type code - 1: an extended valid-until lies at most
    /// `max_validity_days × (1 + extensions)` days (inclusive) from the record's valid-from.
    pub max_extensions: [u8; 3],
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
        // Resident card: four yearly extensions (five years on one card); unified window:
        // none (a resident card supersedes it); digital nomad: two (three years).
        max_extensions: [4, 0, 2],
        trust_list_grace_secs: 7 * 86_400,
        employable_purposes: Purpose::Work.bit(),
    };

    pub fn max_validity_days(&self, document_type: DocumentType) -> u16 {
        self.max_validity_days[document_type as usize - 1]
    }

    pub fn max_issue_lead_days(&self, document_type: DocumentType) -> u16 {
        self.max_issue_lead_days[document_type as usize - 1]
    }

    /// The longest a document may last, in days from its valid-from (inclusive), once every
    /// extension the type allows was granted.
    pub fn max_extended_days(&self, document_type: DocumentType) -> u32 {
        let i = document_type as usize - 1;
        u32::from(self.max_validity_days[i]) * (1 + u32::from(self.max_extensions[i]))
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

#[cfg(test)]
mod role_names {
    use super::*;

    #[test]
    fn every_role_reads_back_from_its_name_and_nothing_else_does() {
        let tin = "01234567890123";
        for role in [Role::Border, Role::Employer { tin }, Role::Station] {
            let tin = matches!(role, Role::Employer { .. }).then_some(tin);
            assert_eq!(Role::from_str(role.name(), tin), Ok(role));
        }
        assert_eq!(Role::from_str("Border", None), Err(RoleError::Unknown));
        assert_eq!(
            Role::from_str("employer", None),
            Err(RoleError::EmployerWithoutTin)
        );
        assert_eq!(
            Role::from_str("employer", Some("0123456789012")),
            Err(RoleError::MalformedTin)
        );
        assert_eq!(
            Role::from_str("border", Some(tin)),
            Err(RoleError::TinWithoutEmployer)
        );
    }
}
