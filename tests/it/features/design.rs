//! Behaviour of the layout and typography features on real and drawn images.

use std::path::PathBuf;

use creativeiq::features::{analyze_bytes, extract, Canonical, DecodeLimits, DesignFeatures};

fn image_dir() -> PathBuf {
    crate::common::real_images()
}

fn sample(name: &str) -> DesignFeatures {
    let bytes = std::fs::read(image_dir().join(name)).expect("sample image readable");
    analyze_bytes(&bytes, &DecodeLimits::default()).expect("sample decodes")
}

/// A white RGB canvas with simple drawing helpers.
struct Canvas {
    w: usize,
    h: usize,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(w: usize, h: usize) -> Self {
        Self {
            w,
            h,
            rgb: vec![255; w * h * 3],
        }
    }

    fn fill_rect(&mut self, x0: usize, y0: usize, x1: usize, y1: usize, c: [u8; 3]) {
        for y in y0..y1.min(self.h) {
            for x in x0..x1.min(self.w) {
                self.rgb[3 * (y * self.w + x)..3 * (y * self.w + x) + 3].copy_from_slice(&c);
            }
        }
    }

    fn disc(&mut self, cx: f64, cy: f64, r: f64, c: [u8; 3]) {
        for y in 0..self.h {
            for x in 0..self.w {
                if (x as f64 + 0.5 - cx).hypot(y as f64 + 0.5 - cy) <= r {
                    self.fill_rect(x, y, x + 1, y + 1, c);
                }
            }
        }
    }

    /// Draws `text` in the 5x7 font at `scale`; returns its box (x0, y0, x1, y1).
    fn text(&mut self, x: usize, y: usize, scale: usize, text: &str, c: [u8; 3]) -> [usize; 4] {
        let mut cx = x;
        for ch in text.chars() {
            if let Some(rows) = glyph(ch) {
                for (r, bits) in rows.iter().enumerate() {
                    for col in 0..5 {
                        if bits & (0x10 >> col) != 0 {
                            let (px, py) = (cx + col * scale, y + r * scale);
                            self.fill_rect(px, py, px + scale, py + scale, c);
                        }
                    }
                }
            }
            cx += 6 * scale;
        }
        [x, y, cx - scale, y + 7 * scale]
    }

    fn features(self) -> DesignFeatures {
        let img =
            Canonical::from_rgb8(self.w as u32, self.h as u32, self.rgb).expect("valid canvas");
        extract(&img)
    }
}

/// Classic 5x7 capitals.
fn glyph(c: char) -> Option<[u8; 7]> {
    Some(match c {
        'A' => [0x0E, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'B' => [0x1E, 0x11, 0x11, 0x1E, 0x11, 0x11, 0x1E],
        'C' => [0x0E, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0E],
        'D' => [0x1E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x1E],
        'E' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x1F],
        'F' => [0x1F, 0x10, 0x10, 0x1E, 0x10, 0x10, 0x10],
        'G' => [0x0E, 0x11, 0x10, 0x17, 0x11, 0x11, 0x0F],
        'H' => [0x11, 0x11, 0x11, 0x1F, 0x11, 0x11, 0x11],
        'I' => [0x0E, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'K' => [0x11, 0x12, 0x14, 0x18, 0x14, 0x12, 0x11],
        'L' => [0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x1F],
        'M' => [0x11, 0x1B, 0x15, 0x15, 0x11, 0x11, 0x11],
        'N' => [0x11, 0x11, 0x19, 0x15, 0x13, 0x11, 0x11],
        'O' => [0x0E, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'P' => [0x1E, 0x11, 0x11, 0x1E, 0x10, 0x10, 0x10],
        'R' => [0x1E, 0x11, 0x11, 0x1E, 0x14, 0x12, 0x11],
        'S' => [0x0F, 0x10, 0x10, 0x0E, 0x01, 0x01, 0x1E],
        'T' => [0x1F, 0x04, 0x04, 0x04, 0x04, 0x04, 0x04],
        'U' => [0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x0E],
        'W' => [0x11, 0x11, 0x11, 0x15, 0x15, 0x15, 0x0A],
        'X' => [0x11, 0x11, 0x0A, 0x04, 0x0A, 0x11, 0x11],
        'Y' => [0x11, 0x11, 0x11, 0x0A, 0x04, 0x04, 0x04],
        _ => return None,
    })
}

#[test]
fn text_pages_cover_far_more_than_photos() {
    let page = sample("page.png").text_coverage;
    let text = sample("text.png").text_coverage;
    let chelsea = sample("chelsea.png").text_coverage;
    let coffee = sample("coffee.png").text_coverage;
    let photos = chelsea.max(coffee);
    for (name, v) in [("page", page), ("text", text)] {
        assert!(
            v > 0.1 && v > 4.0 * photos,
            "{name} {v} vs photos {chelsea} {coffee}"
        );
    }
}

#[test]
fn drawn_text_boxes_are_recovered() {
    let mut c = Canvas::new(800, 500);
    let ink = [20, 20, 30];
    let boxes = [
        c.text(60, 40, 8, "BIG SALE", [200, 30, 40]),
        c.text(60, 170, 4, "FRESH PRODUCE EVERY DAY", ink),
        c.text(60, 240, 4, "SHOP NOW AT OUR STORE", ink),
        c.text(60, 310, 4, "WORLD WIDE SHIPPING", ink),
    ];
    c.disc(650.0, 400.0, 60.0, [40, 160, 90]);
    let expected: usize = boxes.iter().map(|b| (b[2] - b[0]) * (b[3] - b[1])).sum();
    let expected = expected as f64 / (800.0 * 500.0);
    let f = c.features();
    assert_eq!(f.text_lines, 4, "{f:?}");
    assert!(
        (f.text_coverage - expected).abs() < 0.25 * expected,
        "coverage {} vs drawn {expected}",
        f.text_coverage
    );
    assert!(f.text_contrast > 7.0, "{}", f.text_contrast);
    assert!((f.text_hierarchy - 2.0).abs() < 0.3, "{}", f.text_hierarchy);
    assert!(f.readability > 60.0, "{}", f.readability);
}

#[test]
fn blank_canvas_has_no_text() {
    let f = Canvas::new(300, 200).features();
    assert_eq!(f.text_lines, 0);
    assert_eq!(f.text_coverage, 0.0);
    assert_eq!(f.text_contrast, 1.0);
    assert_eq!(f.whitespace, 1.0);
    assert_eq!(f.focal_points, 0);
    assert_eq!(f.edge_density, 0.0);
}

#[test]
fn object_on_thirds_point_beats_object_in_corner() {
    let (w, h) = (600usize, 400usize);
    let mut on_thirds = Canvas::new(w, h);
    on_thirds.disc(w as f64 / 3.0, h as f64 / 3.0, 40.0, [220, 40, 30]);
    let mut in_corner = Canvas::new(w, h);
    in_corner.disc(50.0, 50.0, 40.0, [220, 40, 30]);
    let (a, b) = (on_thirds.features(), in_corner.features());
    assert!(a.rule_of_thirds > 0.9, "{}", a.rule_of_thirds);
    assert!(
        a.rule_of_thirds > b.rule_of_thirds + 0.3,
        "{} vs {}",
        a.rule_of_thirds,
        b.rule_of_thirds
    );
    assert!(a.balance_lr < 0.5 && b.balance_lr < 0.5);
    assert_eq!(a.focal_points, 1);
}

#[test]
fn mirrored_layout_is_symmetric_and_balanced() {
    let mut c = Canvas::new(400, 300);
    c.fill_rect(50, 100, 120, 200, [30, 60, 200]);
    c.fill_rect(280, 100, 350, 200, [30, 60, 200]);
    let f = c.features();
    assert!(f.symmetry_lr > 0.99, "{}", f.symmetry_lr);
    assert!(f.balance_lr > 0.99, "{}", f.balance_lr);
    assert!(f.grid_alignment > 0.9, "{}", f.grid_alignment);
    assert_eq!(f.focal_points, 2);
}

#[test]
fn degenerate_sizes_do_not_panic() {
    for (w, h) in [(1, 1), (1, 3000), (3000, 1), (2, 2), (7, 9), (513, 1)] {
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 256) as u8).collect();
        let img = Canonical::from_rgb8(w as u32, h as u32, rgb).expect("valid");
        let f = extract(&img);
        assert!(f.values().iter().all(|v| v.is_finite()), "{w}x{h}: {f:?}");
    }
}

#[test]
fn values_follow_feature_names() {
    let f = sample("chelsea.png");
    let json = serde_json::to_value(&f).expect("serialises");
    let back: DesignFeatures = serde_json::from_value(json).expect("deserialises");
    assert_eq!(back, f);
    assert_eq!(f.palette.len(), 5);
    let share: f64 = f.palette.iter().map(|p| p.share).sum();
    assert!((share - 1.0).abs() < 1e-9);
}
