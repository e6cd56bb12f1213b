//! `reader-host.toml`: what one desk runs. docs/operations.md is the reference.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;
use stay_core::{Role, RoleError};

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `border` or `employer`.
    pub role: RoleName,
    /// The employer's 14-digit taxpayer number (role `employer`).
    #[serde(default)]
    pub employer_tin: Option<String>,
    /// The audit log, the cached trust list and the desk token live here.
    pub data_dir: PathBuf,
    /// The audit log's digest key (32 bytes, 0600, made at first start). Never inside
    /// `data_dir`: a copy of the data folder (a backup, a support bundle) must not carry the
    /// key that turns its digests back into document numbers.
    #[serde(default = "default_audit_key")]
    pub audit_key: PathBuf,
    /// HTTP API and kiosk page; loopback unless `allow_public_listen` says otherwise.
    #[serde(default = "default_listen")]
    pub listen: SocketAddr,
    /// Listening on an address other machines reach needs this set to `true`.
    #[serde(default)]
    pub allow_public_listen: bool,
    /// A name (besides the loopback ones) this desk's API answers to in `Host`: the name
    /// a kiosk on another machine uses. Any other name is refused (DNS rebinding).
    #[serde(default)]
    pub host_name: Option<String>,
    pub trust_list: TrustListConfig,
    #[serde(default)]
    pub cards: CardsConfig,
    #[serde(default)]
    pub qr: QrConfig,
    /// For rehearsals and tests only: verify as of this instant (RFC 3339) instead of the
    /// clock. The status page shows it.
    #[serde(default)]
    pub fixed_time: Option<String>,
    /// The kiosk's language until someone switches it: `ky` (default), `ru` or `en`.
    #[serde(default)]
    pub language: LanguageName,
}

/// A language of the kiosk, as the config names it.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq, Default)]
pub enum LanguageName {
    #[default]
    #[serde(rename = "ky")]
    Kyrgyz,
    #[serde(rename = "ru")]
    Russian,
    #[serde(rename = "en")]
    English,
}

impl LanguageName {
    pub fn language(self) -> stay_std::messages::Language {
        use stay_std::messages::Language;
        match self {
            LanguageName::Kyrgyz => Language::Kyrgyz,
            LanguageName::Russian => Language::Russian,
            LanguageName::English => Language::English,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RoleName {
    Border,
    Employer,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TrustListConfig {
    /// The pinned root public key (SPKI PEM).
    pub root_key: PathBuf,
    /// The list to start from when the data directory has none yet.
    #[serde(default)]
    pub seed: Option<PathBuf>,
    /// Where fresh lists come from (http:// or https://).
    #[serde(default)]
    pub url: Option<String>,
    /// Seconds between refreshes.
    #[serde(default = "default_refresh")]
    pub refresh_seconds: u64,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CardsConfig {
    /// Watch PC/SC readers for cards.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Reader names to watch; empty means every reader, including ones plugged in later.
    #[serde(default)]
    pub readers: Vec<String>,
}

/// QR codes from a camera and from a folder of images.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct QrConfig {
    /// Camera index (V4L2: `/dev/videoN`).
    #[serde(default)]
    pub camera: Option<u32>,
    /// A folder whose new images are checked as they arrive.
    #[serde(default)]
    pub folder: Option<PathBuf>,
}

impl Default for CardsConfig {
    fn default() -> Self {
        CardsConfig {
            enabled: true,
            readers: Vec::new(),
        }
    }
}

fn yes() -> bool {
    true
}

fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8470))
}

fn default_audit_key() -> PathBuf {
    PathBuf::from("audit.key")
}

fn default_refresh() -> u64 {
    3600
}

impl Config {
    /// Reads and checks the file; relative paths are taken from the file's folder.
    pub fn read(path: &Path) -> Result<Config> {
        let text = stay_std::files::read_to_string(path)?;
        let mut config: Config =
            toml::from_str(&text).with_context(|| format!("config {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let rebase = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        rebase(&mut config.data_dir);
        rebase(&mut config.audit_key);
        rebase(&mut config.trust_list.root_key);
        if let Some(seed) = &mut config.trust_list.seed {
            rebase(seed);
        }
        if let Some(folder) = &mut config.qr.folder {
            rebase(folder);
        }
        if let Err(e) = config.checked_role() {
            bail!(match e {
                RoleError::EmployerWithoutTin => "role = \"employer\" needs employer_tin",
                RoleError::MalformedTin => "employer_tin must be 14 digits",
                RoleError::TinWithoutEmployer => "employer_tin is for role = \"employer\"",
                RoleError::Unknown => "role: border or employer",
            });
        }
        if let Some(at) = &config.fixed_time {
            stay_std::clock::parse_rfc3339("fixed_time", at)?;
        }
        if config.audit_key.starts_with(&config.data_dir) {
            bail!(
                "audit_key {} is inside data_dir: keep the key apart from the log it unlocks",
                config.audit_key.display()
            );
        }
        if !config.listen.ip().is_loopback() && !config.allow_public_listen {
            bail!(
                "listen = \"{}\" is reachable from other machines: set allow_public_listen = true if that is meant",
                config.listen
            );
        }
        if config.trust_list.refresh_seconds < 10 {
            bail!("trust_list.refresh_seconds: at least 10");
        }
        Ok(config)
    }

    /// The time verdicts are given for: the clock, unless `fixed_time` says otherwise.
    pub fn now(&self) -> stay_core::UnixTime {
        self.fixed_time
            .as_deref()
            .and_then(|t| stay_std::clock::parse_rfc3339("fixed_time", t).ok())
            .unwrap_or_else(crate::trust_cache::now)
    }

    fn checked_role(&self) -> Result<Role<'_>, RoleError> {
        let name = match self.role {
            RoleName::Border => "border",
            RoleName::Employer => "employer",
        };
        Role::from_str(name, self.employer_tin.as_deref())
    }

    /// The desk's role. [`Config::read`] refused a configuration whose role and TIN do not
    /// make one.
    pub fn role(&self) -> Role<'_> {
        self.checked_role()
            .expect("Config::read checked the role and the TIN")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("reader-host.toml");
        std::fs::write(&path, text).unwrap();
        Config::read(&path)
    }

    const BASE: &str = "data_dir = \"data\"\n[trust_list]\nroot_key = \"root.pub.pem\"\n";

    #[test]
    fn a_desk_config_reads_with_defaults_and_relative_paths() {
        let config = read(&format!("role = \"border\"\n{BASE}")).unwrap();
        assert_eq!(config.listen, default_listen());
        assert!(config.cards.enabled && config.cards.readers.is_empty());
        assert_eq!(config.trust_list.refresh_seconds, 3600);
        assert!(config.data_dir.ends_with("data") && config.data_dir.is_absolute());
    }

    #[test]
    fn mistakes_are_refused_at_start() {
        for (bad, says) in [
            (format!("role = \"employer\"\n{BASE}"), "needs employer_tin"),
            (
                format!("role = \"employer\"\nemployer_tin = \"123\"\n{BASE}"),
                "employer_tin must be 14 digits",
            ),
            (
                format!("role = \"border\"\nemployer_tin = \"01234567890123\"\n{BASE}"),
                "employer_tin is for role = \"employer\"",
            ),
            (
                format!("role = \"guard\"\n{BASE}"),
                "unknown variant `guard`",
            ),
            (
                format!("role = \"border\"\nlisten_on = \"x\"\n{BASE}"),
                "unknown field `listen_on`",
            ),
            (
                format!("role = \"border\"\nfixed_time = \"yesterday\"\n{BASE}"),
                "fixed_time",
            ),
            (
                format!("role = \"border\"\n{BASE}refresh_seconds = 1\n"),
                "refresh_seconds: at least 10",
            ),
            (
                format!("role = \"border\"\nlisten = \"0.0.0.0:8470\"\n{BASE}"),
                "set allow_public_listen = true",
            ),
            (
                format!("role = \"border\"\naudit_key = \"data/audit.key\"\n{BASE}"),
                "is inside data_dir",
            ),
        ] {
            let refused = format!("{:#}", read(&bad).unwrap_err());
            assert!(refused.contains(says), "{says:?} not in {refused:?}");
        }
    }

    #[test]
    fn a_public_address_is_taken_when_asked_for_and_the_key_sits_beside_the_config() {
        let config = read(&format!(
            "role = \"border\"\nlisten = \"0.0.0.0:8470\"\nallow_public_listen = true\nhost_name = \"desk-7.office\"\n{BASE}"
        ))
        .unwrap();
        assert!(config.listen.ip().is_unspecified());
        assert_eq!(config.host_name.as_deref(), Some("desk-7.office"));
        assert!(config.audit_key.ends_with("audit.key"));
        assert!(!config.audit_key.starts_with(&config.data_dir));
    }
}
