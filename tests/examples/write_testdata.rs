//! Writes the golden vectors (`testdata/`) and the APDU transcripts (`testdata/apdu/`):
//! `cargo xtask vectors`.

fn main() -> anyhow::Result<()> {
    let dir = stay_tests::testdata();
    stay_tests::golden::generate(&dir)?;
    eprintln!("==> wrote {}", dir.display());
    let apdu = dir.join("apdu");
    stay_tests::transcript::write_all(&apdu)?;
    eprintln!("==> wrote APDU transcripts to {}", apdu.display());
    Ok(())
}
