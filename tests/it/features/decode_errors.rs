//! Bad inputs come back as typed errors, never panics or huge allocations.

use creativeiq::features::{analyze_bytes, decode, DecodeError, DecodeLimits};

fn limits() -> DecodeLimits {
    DecodeLimits::default()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    out.extend_from_slice(&body);
    out.extend_from_slice(&crc32(&body).to_be_bytes());
    out
}

/// A PNG whose header claims `w` x `h` RGB pixels and carries almost no data.
fn png_header_only(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend(png_chunk(b"IHDR", &ihdr));
    // A tiny zlib stream of zeros, far short of what the header promises.
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

fn sample_png() -> Vec<u8> {
    let img = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 90])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

#[test]
fn zero_bytes() {
    assert_eq!(decode(&[], &limits()).unwrap_err(), DecodeError::Empty);
}

#[test]
fn truncated_png() {
    let png = sample_png();
    for cut in [png.len() / 2, png.len() - 20, 40] {
        let err = decode(&png[..cut], &limits()).unwrap_err();
        assert_eq!(err, DecodeError::Truncated, "cut at {cut}: {err}");
    }
}

/// JPEG decoders fill a short file with grey instead of failing; the
/// extractor must say it is truncated wherever the cut falls.
#[test]
fn truncated_jpeg() {
    let dir = crate::common::real_images();
    for name in ["rocket.jpg", "hubble_deep_field.jpg"] {
        let jpeg = std::fs::read(dir.join(name)).expect("sample readable");
        assert!(decode(&jpeg, &limits()).is_ok(), "{name} whole");
        for cut in [
            20,
            jpeg.len() / 10,
            jpeg.len() / 2,
            jpeg.len() - 100,
            jpeg.len() - 2,
        ] {
            let err = decode(&jpeg[..cut], &limits()).unwrap_err();
            assert_eq!(err, DecodeError::Truncated, "{name} cut at {cut}: {err}");
        }
        // Bytes after the end marker (a phone's motion-photo video) are not
        // a truncation.
        let mut trailer = jpeg.clone();
        trailer.extend((0..50_000u32).map(|i| (i % 251) as u8));
        assert!(decode(&trailer, &limits()).is_ok(), "{name} with a trailer");
    }
}

#[test]
fn random_bytes() {
    let mut state = 0x1234_5678_9abc_def0u64;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect();
    assert_eq!(
        decode(&bytes, &limits()).unwrap_err(),
        DecodeError::UnrecognizedFormat
    );
}

#[test]
fn svg_text() {
    let svg = br#"<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>"#;
    assert_eq!(
        decode(svg, &limits()).unwrap_err(),
        DecodeError::UnrecognizedFormat
    );
}

#[test]
fn decompression_bomb_header_is_refused_before_allocating() {
    let err = decode(&png_header_only(30_000, 30_000), &limits()).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::TooLarge {
                width: 30_000,
                height: 30_000,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("30000x30000"));
}

#[test]
fn zero_sized_header() {
    let err = decode(&png_header_only(0, 10), &limits()).unwrap_err();
    assert!(
        matches!(err, DecodeError::ZeroSize { .. } | DecodeError::Corrupt(_)),
        "{err}"
    );
}

#[test]
fn bmp_is_unsupported() {
    // A valid 1x1 24-bit BMP.
    let mut bmp = b"BM".to_vec();
    bmp.extend_from_slice(&58u32.to_le_bytes());
    bmp.extend_from_slice(&[0, 0, 0, 0]);
    bmp.extend_from_slice(&54u32.to_le_bytes());
    bmp.extend_from_slice(&40u32.to_le_bytes());
    bmp.extend_from_slice(&1i32.to_le_bytes());
    bmp.extend_from_slice(&1i32.to_le_bytes());
    bmp.extend_from_slice(&1u16.to_le_bytes());
    bmp.extend_from_slice(&24u16.to_le_bytes());
    bmp.extend_from_slice(&[0; 24]);
    bmp.extend_from_slice(&[0, 0, 255, 0]);
    let err = decode(&bmp, &limits()).unwrap_err();
    assert!(
        matches!(&err, DecodeError::UnsupportedFormat { format } if format == "Bmp"),
        "{err}"
    );
}

#[test]
fn tiff_is_unsupported() {
    let err = decode(b"II*\x00\x08\x00\x00\x00\x00\x00", &limits()).unwrap_err();
    assert!(
        matches!(err, DecodeError::UnsupportedFormat { .. }),
        "{err}"
    );
}

#[test]
fn limits_are_enforced() {
    let png = sample_png();
    let tight = DecodeLimits {
        max_bytes: 10,
        ..limits()
    };
    assert!(matches!(
        decode(&png, &tight),
        Err(DecodeError::InputTooLarge { .. })
    ));
    let few_pixels = DecodeLimits {
        max_pixels: 1000,
        ..limits()
    };
    assert!(matches!(
        decode(&png, &few_pixels),
        Err(DecodeError::TooLarge { .. })
    ));
    let short_side = DecodeLimits {
        max_dimension: 50,
        ..limits()
    };
    assert!(matches!(
        decode(&png, &short_side),
        Err(DecodeError::TooLarge { .. })
    ));
    assert!(analyze_bytes(&png, &limits()).is_ok());
}

#[test]
fn garbage_after_valid_headers_never_panics() {
    let png = sample_png();
    let mut state = 7u64;
    for round in 0..200 {
        let mut bytes = png.clone();
        for _ in 0..8 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let pos = 8 + (state >> 33) as usize % (bytes.len() - 8);
            bytes[pos] ^= (state >> 20) as u8 | 1;
        }
        // Either outcome is fine; what matters is no panic.
        let _ = analyze_bytes(&bytes, &limits()).map_err(|e| e.to_string());
        let _ = round;
    }
}
