//! `issuer serve`'s signing request body: any bytes either fail to parse as an application
//! (400), are refused by policy (422), or are signed; a signature is always for exactly the
//! application sent, by a signer the list authorizes, and it verifies.
#![no_main]
use std::sync::OnceLock;

use issuer::service::{Service, Tokens};
use issuer::Holder;
use libfuzzer_sys::fuzz_target;
use stay_tests::Fixture;

struct Office {
    service: Service,
    list: Vec<u8>,
}

fn office() -> &'static Office {
    static OFFICE: OnceLock<Office> = OnceLock::new();
    OFFICE.get_or_init(|| {
        let fixture = Fixture::new();
        let dir = std::env::temp_dir().join(format!("sign-request-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // The service's file holds digests only.
        let tokens = Tokens::parse(&issuer::service::token_line(
            "0123456789abcdef0123456789abcdef",
            "station",
        ))
        .unwrap();
        let service = Service::new(
            vec![fixture.signer.clone()],
            fixture.list(),
            &fixture.root.public_key(),
            tokens,
            &dir.join("register.sqlite"),
        )
        .unwrap()
        .at(fixture.now);
        Office {
            service,
            list: fixture.list(),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(holder) = serde_json::from_slice::<Holder>(data) else {
        return;
    };
    let office = office();
    if let Ok(signed) = office.service.sign("station", &holder) {
        let list = stay_core::TrustListContent::parse(&office.list).unwrap();
        issuer::check_sealed(&holder, &signed.record, &list, &stay_core::Policy::DEFAULT).unwrap();
    }
});
