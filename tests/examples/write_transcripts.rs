//! Writes `testdata/apdu/{personalization,border-check}.apdu` (run by `cargo xtask vectors`).

fn main() -> std::io::Result<()> {
    let dir = stay_tests::testdata().join("apdu");
    stay_tests::transcript::write_all(&dir)?;
    eprintln!("==> wrote APDU transcripts to {}", dir.display());
    Ok(())
}
