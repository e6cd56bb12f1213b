//! The ECDSA P-256 verification and the scalar multiplications of P256-Cortex-M4 behind safe
//! functions, for `stay-core`'s `cortex-m4-asm` backend. Only on ARM; elsewhere the crate is
//! empty.
//!
//! The unsafe calls live here so that `stay-core` keeps `#![forbid(unsafe_code)]`.

#![no_std]

/// Whether `(r, s)` (32-byte big-endian integers) is a signature of `digest` (SHA-256) by
/// the key `public_key` (uncompressed SEC1). Checks the key is on the curve and `r`, `s`
/// are in `1..n`.
#[cfg(target_arch = "arm")]
pub fn verify(public_key: &[u8; 65], digest: &[u8; 32], r: &[u8; 32], s: &[u8; 32]) -> bool {
    use p256_cortex_m4_sys as sys;
    let (mut x, mut y) = ([0u32; 8], [0u32; 8]);
    // SAFETY: each pointer is to an array of the length the function reads or writes (8
    // words, 65 bytes), all live for the call.
    let on_curve = unsafe {
        sys::p256_octet_string_to_point(x.as_mut_ptr(), y.as_mut_ptr(), public_key.as_ptr(), 65)
    };
    if !on_curve {
        return false;
    }
    let (r, s) = (words(r), words(s));
    // SAFETY: as above: 8 words for x, y, r, s and 32 bytes of digest.
    unsafe {
        sys::P256_check_range_n(r.as_ptr())
            && sys::P256_check_range_n(s.as_ptr())
            && sys::p256_verify(
                x.as_ptr(),
                y.as_ptr(),
                digest.as_ptr(),
                32,
                r.as_ptr(),
                s.as_ptr(),
            )
    }
}

/// `k · G` as an uncompressed point; `None` when `k` (big endian) is not in `1..n`.
#[cfg(target_arch = "arm")]
pub fn mul_base(k: &[u8; 32]) -> Option<[u8; 65]> {
    use p256_cortex_m4_sys as sys;
    let k = words(k);
    let (mut x, mut y) = ([0u32; 8], [0u32; 8]);
    // SAFETY: 8 words each for the result's coordinates and the scalar, live for the call.
    let ok = unsafe { sys::p256_scalarmult_base(x.as_mut_ptr(), y.as_mut_ptr(), k.as_ptr()) };
    ok.then(|| encode(&x, &y))
}

/// `k · P` for an uncompressed point `P` on the curve; `None` when `P` is not on the curve
/// or `k` (big endian) is not in `1..n`.
#[cfg(target_arch = "arm")]
pub fn mul(k: &[u8; 32], point: &[u8; 65]) -> Option<[u8; 65]> {
    use p256_cortex_m4_sys as sys;
    let (mut px, mut py) = ([0u32; 8], [0u32; 8]);
    // SAFETY: 8 words each for the coordinates, 65 bytes of input, live for the call.
    let on_curve = unsafe {
        sys::p256_octet_string_to_point(px.as_mut_ptr(), py.as_mut_ptr(), point.as_ptr(), 65)
    };
    if !on_curve {
        return None;
    }
    let k = words(k);
    let (mut x, mut y) = ([0u32; 8], [0u32; 8]);
    // SAFETY: 8 words each for the result, the scalar and the input coordinates.
    let ok = unsafe {
        sys::p256_scalarmult_generic(
            x.as_mut_ptr(),
            y.as_mut_ptr(),
            k.as_ptr(),
            px.as_ptr(),
            py.as_ptr(),
        )
    };
    ok.then(|| encode(&x, &y))
}

#[cfg(target_arch = "arm")]
fn encode(x: &[u32; 8], y: &[u32; 8]) -> [u8; 65] {
    let mut out = [0u8; 65];
    // SAFETY: 65 bytes of output, 8 words per coordinate.
    unsafe {
        p256_cortex_m4_sys::p256_point_to_octet_string_uncompressed(
            out.as_mut_ptr(),
            x.as_ptr(),
            y.as_ptr(),
        )
    };
    out
}

/// A 32-byte big-endian integer as little-endian 32-bit words.
#[cfg(target_arch = "arm")]
fn words(be: &[u8; 32]) -> [u32; 8] {
    let mut w = [0u32; 8];
    for (i, word) in w.iter_mut().enumerate() {
        let at = 28 - 4 * i;
        *word = u32::from_be_bytes([be[at], be[at + 1], be[at + 2], be[at + 3]]);
    }
    w
}
