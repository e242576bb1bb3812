//! The canonical-pixel rules of FEATURES.md on every decoded layout.

use creativeiq::features::{decode, extract, Canonical, DecodeLimits};

fn encode(img: image::DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encodes");
    out.into_inner()
}

fn decoded(bytes: &[u8]) -> Canonical {
    decode(bytes, &DecodeLimits::default()).expect("decodes")
}

fn close(a: [f32; 3], b: [f64; 3]) -> bool {
    a.iter()
        .zip(b)
        .all(|(&x, y)| (f64::from(x) - y).abs() < 1e-3)
}

#[test]
fn alpha_is_composited_over_white_without_rounding() {
    let img = image::RgbaImage::from_fn(4, 2, |x, _| image::Rgba([200, 100, 0, (x * 80) as u8]));
    let c = decoded(&encode(img.into(), image::ImageFormat::Png));
    for x in 0..4u32 {
        let a = f64::from(x * 80) / 255.0;
        let want = [200.0, 100.0, 0.0].map(|v: f64| v * a + 255.0 * (1.0 - a));
        assert!(close(c.pixel(x, 1).expect("inside"), want), "x={x}");
    }
}

#[test]
fn grey_alpha_and_grey_expand_to_equal_channels() {
    let la = image::GrayAlphaImage::from_fn(3, 1, |x, _| image::LumaA([60, 255 - x as u8 * 100]));
    let c = decoded(&encode(la.into(), image::ImageFormat::Png));
    let a = 155.0 / 255.0;
    let v = 60.0 * a + 255.0 * (1.0 - a);
    assert!(close(c.pixel(1, 0).expect("inside"), [v, v, v]));
    let grey = image::GrayImage::from_fn(3, 1, |x, _| image::Luma([x as u8 * 100]));
    let c = decoded(&encode(grey.into(), image::ImageFormat::Png));
    assert_eq!(c.pixel(2, 0), Some([200.0; 3]));
    assert_eq!(c.pixel(3, 0), None);
}

#[test]
fn sixteen_bit_channels_are_divided_by_257() {
    let img = image::ImageBuffer::<image::Rgb<u16>, _>::from_fn(2, 2, |_, _| {
        image::Rgb([65535, 1000, 0])
    });
    let c = decoded(&encode(
        image::DynamicImage::ImageRgb16(img),
        image::ImageFormat::Png,
    ));
    assert!(close(
        c.pixel(0, 0).expect("inside"),
        [255.0, 1000.0 / 257.0, 0.0]
    ));
}

#[test]
fn gif_jpeg_and_webp_decode() {
    let rgb = image::RgbImage::from_fn(40, 30, |x, y| {
        image::Rgb([(x * 6) as u8, (y * 8) as u8, 128])
    });
    for format in [
        image::ImageFormat::Gif,
        image::ImageFormat::Jpeg,
        image::ImageFormat::WebP,
    ] {
        let bytes = encode(rgb.clone().into(), format);
        let c = decoded(&bytes);
        assert_eq!((c.width(), c.height()), (40, 30), "{format:?}");
        let f = extract(&c);
        assert!(f.brightness > 0.1 && f.brightness < 0.9, "{format:?}");
    }
}

#[test]
fn rgb_constructor_checks_length() {
    assert!(Canonical::from_rgb8(2, 2, vec![0; 12]).is_some());
    assert!(Canonical::from_rgb8(2, 2, vec![0; 11]).is_none());
    assert!(Canonical::from_rgb8(0, 2, Vec::new()).is_none());
}
