//! The QR decoder on 179 real photographs (ZXing's black-box corpus, `testdata/qr-zxing`,
//! Apache-2.0): how many decode to exactly their labelled payload, upright and rotated.
//! The counts are printed; the floors below are what the decoder reaches today, so a change
//! that loses a code fails here (docs/performance.md has the figures beside ZXing's).

use std::path::{Path, PathBuf};

use stay_tests::testdata;

fn images(folder: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png" || e == "jpg"))
        .map(|p| {
            let label = std::fs::read(p.with_extension("txt")).unwrap();
            (p, label)
        })
        .collect();
    out.sort();
    out
}

/// Upright, 90, 180 and 270 degrees.
fn rotations(image: &image::GrayImage) -> [image::GrayImage; 4] {
    [
        image.clone(),
        image::imageops::rotate90(image),
        image::imageops::rotate180(image),
        image::imageops::rotate270(image),
    ]
}

#[test]
fn zxing_corpus_decodes() {
    let root = testdata().join("qr-zxing");
    let mut total = [0usize; 4];
    let mut images_seen = 0;
    println!("| folder | images | 0 | 90 | 180 | 270 |");
    for n in 1..=6 {
        let folder = root.join(format!("qrcode-{n}"));
        let list = images(&folder);
        let mut counts = [0usize; 4];
        for (path, label) in &list {
            let image = image::open(path).unwrap().to_luma8();
            for (k, turned) in rotations(&image).into_iter().enumerate() {
                if reader_host::qr::decode(turned).iter().any(|p| p == label) {
                    counts[k] += 1;
                }
            }
        }
        println!(
            "| qrcode-{n} | {} | {} | {} | {} | {} |",
            list.len(),
            counts[0],
            counts[1],
            counts[2],
            counts[3]
        );
        images_seen += list.len();
        for k in 0..4 {
            total[k] += counts[k];
        }
    }
    println!(
        "| total | {images_seen} | {} | {} | {} | {} |",
        total[0], total[1], total[2], total[3]
    );
    assert_eq!(images_seen, 179, "the corpus is incomplete");
    let floor = FLOOR;
    for k in 0..4 {
        assert!(
            total[k] >= floor[k],
            "rotation {}: {} decoded, fewer than the {} reached before",
            k * 90,
            total[k],
            floor[k]
        );
    }
}

/// Decodes per rotation (0, 90, 180, 270) the decoder reached when this floor was set.
const FLOOR: [usize; 4] = [143, 139, 141, 138];
