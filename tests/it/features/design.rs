//! Behaviour of the layout and typography features on real and drawn images.

use std::path::PathBuf;

use creativeiq::features::{analyze_bytes, extract, Canonical, DecodeLimits, DesignFeatures};

use super::canvas::{text_width, Canvas, TextBox};

fn image_dir() -> PathBuf {
    crate::common::real_images()
}

fn sample(name: &str) -> DesignFeatures {
    let bytes = std::fs::read(image_dir().join(name)).expect("sample image readable");
    analyze_bytes(&bytes, &DecodeLimits::default()).expect("sample decodes")
}

/// FEATURES.md check: pages of text score far above photographs without
/// lettering.
#[test]
fn text_pages_cover_far_more_than_photos() {
    let page = sample("page.png");
    let text = sample("text.png");
    let chelsea = sample("chelsea.png").text_coverage;
    let coffee = sample("coffee.png").text_coverage;
    let photos = chelsea.max(coffee);
    for (name, f) in [("page", &page), ("text", &text)] {
        let v = f.text_coverage;
        assert!(
            v > 0.1 && v > 4.0 * photos && v - photos > 0.1,
            "{name} {v} vs photos {chelsea} {coffee}"
        );
    }
    assert!(page.text_lines >= 5, "page.png lines: {}", page.text_lines);
}

fn area(b: &TextBox) -> f64 {
    (b[2] - b[0]) * (b[3] - b[1])
}

#[test]
fn drawn_text_boxes_are_recovered() {
    let mut c = Canvas::new(800, 500);
    let ink = [20, 20, 30];
    let boxes = [
        c.text(60.0, 40.0, 8.0, "BIG SALE", [200, 30, 40]),
        c.text(60.0, 170.0, 4.0, "FRESH PRODUCE EVERY DAY", ink),
        c.text(60.0, 240.0, 4.0, "SHOP NOW AT OUR STORE", ink),
        c.text(60.0, 310.0, 4.0, "WORLD WIDE SHIPPING", ink),
    ];
    c.disc(650.0, 400.0, 60.0, [40, 160, 90]);
    let expected = boxes.iter().map(area).sum::<f64>() / (800.0 * 500.0);
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

/// SplitMix64, so every design is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn colour(&mut self, lo: u8, hi: u8) -> [u8; 3] {
        [0; 3].map(|_| (u64::from(lo) + self.next() % (u64::from(hi - lo) + 1)) as u8)
    }
}

const WORDS: &[&str] = &[
    "SALE",
    "NEW",
    "SUMMER",
    "COLLECTION",
    "FREE",
    "SHIPPING",
    "SHOP",
    "NOW",
    "BEST",
    "PRICE",
    "LIMITED",
    "OFFER",
    "JOIN",
    "US",
    "TODAY",
    "FRESH",
    "DESIGN",
    "STUDIO",
    "50",
    "OFF",
    "WEEKEND",
    "EVENT",
    "LEARN",
    "MORE",
    "2024",
    "LAUNCH",
    "COFFEE",
    "BREW",
    "DAILY",
    "TRAVEL",
    "GUIDE",
    "WORKSHOP",
    "TICKETS",
    "LIVE",
    "MUSIC",
    "HIRING",
    "APPLY",
    "QUIZ",
    "JAZZ",
    "ZERO",
];

/// Photographs to put behind and beside text, as social designs do.
fn photos() -> Vec<image::RgbImage> {
    [
        "chelsea.png",
        "coffee.png",
        "astronaut.png",
        "rocket.jpg",
        "motorcycle_left.png",
    ]
    .iter()
    .map(|n| {
        image::open(image_dir().join(n))
            .expect("sample decodes")
            .to_rgb8()
    })
    .collect()
}

/// WCAG-style relative brightness on 0..255 (enough to choose ink).
fn light(c: [f32; 3]) -> bool {
    0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2] > 128.0
}

/// One social-media design drawn from `seed`: a background (flat, dark,
/// gradient, full photo, or photo beside a flat panel), some shapes, and
/// up to six lines of text (a headline and body lines at any size, on the
/// background or on a banner). Returns it with its true text coverage.
fn design(seed: u64, photos: &[image::RgbImage]) -> (Canvas, f64) {
    let mut rng = Rng(seed);
    let (w, h) = [(512, 512), (512, 268), (410, 512), (512, 384), (384, 512)][rng.below(5)];
    let (wf, hf) = (w as f64, h as f64);
    let mut c = match rng.below(5) {
        0 => Canvas::filled(w, h, rng.colour(190, 255)),
        1 => Canvas::filled(w, h, rng.colour(0, 70)),
        2 => {
            let (top, bottom) = (rng.colour(0, 255), rng.colour(0, 255));
            Canvas::gradient(w, h, top, bottom)
        }
        3 => {
            let mut c = Canvas::new(w, h);
            c.photo(0, 0, w, h, &photos[rng.below(photos.len())]);
            c
        }
        _ => {
            let mut c = Canvas::filled(w, h, rng.colour(0, 255));
            let photo = &photos[rng.below(photos.len())];
            if rng.unit() < 0.5 {
                c.photo(w / 2, 0, w, h, photo);
            } else {
                c.photo(0, h / 2, w, h, photo);
            }
            c
        }
    };
    for _ in 0..rng.below(3) {
        let colour = rng.colour(0, 255);
        let (x, y) = (rng.range(0.0, wf), rng.range(0.0, hf));
        let r = rng.range(0.05, 0.2) * wf;
        if rng.unit() < 0.5 {
            c.disc(x, y, r, colour);
        } else {
            c.fill_rect(
                x as usize,
                y as usize,
                (x + r) as usize,
                (y + r / 2.0) as usize,
                colour,
            );
        }
    }
    let lines = if rng.unit() < 0.15 {
        0
    } else {
        1 + rng.below(6)
    };
    let headline = rng.unit() < 0.7;
    let head_cell = rng.range(3.0, 7.5);
    let body_cell = rng.range(1.3, 3.0);
    let x = rng.range(0.04, 0.15) * wf;
    let mut y = rng.range(0.04, 0.3) * hf;
    let banner = rng.unit() < 0.5;
    let mut boxes: Vec<TextBox> = Vec::new();
    for i in 0..lines {
        let cell = if i == 0 && headline {
            head_cell
        } else {
            body_cell
        };
        let room = wf - x - 0.04 * wf;
        let mut line = WORDS[rng.below(WORDS.len())].to_string();
        for _ in 0..6 {
            let word = WORDS[rng.below(WORDS.len())];
            let longer = format!("{line} {word}");
            if text_width(&longer, cell) > room || rng.unit() < 0.15 {
                break;
            }
            line = longer;
        }
        if text_width(&line, cell) > room || y + 7.0 * cell > hf - 0.03 * hf {
            break;
        }
        let planned = [x, y, x + text_width(&line, cell), y + 7.0 * cell];
        if banner {
            let pad = 1.5 * cell;
            let colour = rng.colour(0, 255);
            c.fill_rect(
                (planned[0] - pad).max(0.0) as usize,
                (planned[1] - pad).max(0.0) as usize,
                (planned[2] + pad) as usize,
                (planned[3] + pad) as usize,
                colour,
            );
        }
        let ink = if light(c.mean(planned)) {
            rng.colour(0, 70)
        } else {
            rng.colour(200, 255)
        };
        boxes.push(c.text(x, y, cell, &line, ink));
        y += 7.0 * cell * rng.range(1.5, 2.4);
    }
    let truth = boxes.iter().map(area).sum::<f64>() / (wf * hf);
    (c, truth)
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// The typography acceptance test: over 60 drawn designs with known text
/// boxes, detected coverage follows the drawn coverage.
#[test]
fn text_coverage_of_drawn_designs_follows_the_truth() {
    let photos = photos();
    let (mut truth, mut found) = (Vec::new(), Vec::new());
    let mut table = String::new();
    for seed in 0..60u64 {
        let (canvas, t) = design(seed, &photos);
        let f = canvas.features();
        table.push_str(&format!(
            "seed {seed:>2} {}x{}: drawn {t:.3} found {:.3} ({} lines)\n",
            canvas.w, canvas.h, f.text_coverage, f.text_lines
        ));
        truth.push(t);
        found.push(f.text_coverage);
    }
    let with_text = truth.iter().filter(|&&t| t > 0.0).count();
    assert!(
        (40..60).contains(&with_text),
        "{with_text} designs with text\n{table}"
    );
    let r = pearson(&truth, &found);
    assert!(r > 0.8, "correlation {r:.3} over 60 designs\n{table}");
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

/// Makes a blank canvas of a size.
type Background = fn(usize, usize) -> Canvas;

/// FEATURES.md check: the same focal object scores higher on
/// `rule_of_thirds` on any of the four thirds points than in any of the
/// four corners, on several formats and backgrounds.
#[test]
fn object_on_thirds_point_beats_object_in_corner() {
    let formats = [(600usize, 400usize), (400, 600), (500, 500), (1200, 628)];
    for (w, h) in formats {
        let (wf, hf) = (w as f64, h as f64);
        let r = 0.08 * wf.min(hf);
        let backgrounds: [(&str, Background); 2] = [
            ("white", Canvas::new),
            ("gradient", |w, h| {
                Canvas::gradient(w, h, [235, 230, 220], [200, 210, 225])
            }),
        ];
        for (background, make) in backgrounds {
            let score = |cx: f64, cy: f64| {
                let mut c = make(w, h);
                c.disc(cx, cy, r, [220, 40, 30]);
                c.features()
            };
            let thirds: Vec<DesignFeatures> = [(1.0, 1.0), (2.0, 1.0), (1.0, 2.0), (2.0, 2.0)]
                .iter()
                .map(|&(i, j)| score(i * wf / 3.0, j * hf / 3.0))
                .collect();
            let m = 1.5 * r;
            let corners: Vec<f64> = [(m, m), (wf - m, m), (m, hf - m), (wf - m, hf - m)]
                .iter()
                .map(|&(x, y)| score(x, y).rule_of_thirds)
                .collect();
            let worst_thirds = thirds
                .iter()
                .map(|f| f.rule_of_thirds)
                .fold(f64::INFINITY, f64::min);
            let best_corner = corners.iter().copied().fold(0.0, f64::max);
            let at = format!("{w}x{h} on {background}");
            assert!(worst_thirds > 0.9, "{at}: thirds {worst_thirds}");
            assert!(
                worst_thirds > best_corner + 0.3,
                "{at}: thirds {worst_thirds} vs corners {corners:?}"
            );
            for f in &thirds {
                assert_eq!(f.focal_points, 1, "{at}");
                assert!(f.balance_lr < 0.5 && f.balance_tb < 0.5, "{at}: {f:?}");
            }
        }
    }
}

/// A headline pulls the whole-image weight centroid (and so
/// `rule_of_thirds`) wherever it sits; `subject_thirds` masks the text and
/// follows the object: on a thirds point it scores near 1, in the middle of
/// the image (1/6 of a diagonal from every thirds point) near 0.5, and an
/// image of text alone scores 0.
#[test]
fn subject_thirds_follows_the_object_and_not_the_headline() {
    let (w, h) = (600usize, 600usize);
    let (wf, hf) = (w as f64, h as f64);
    let design = |cx: f64, cy: f64| {
        let mut c = Canvas::new(w, h);
        c.text(60.0, 40.0, 9.0, "SUMMER SALE NOW", [20, 20, 20]);
        c.text(60.0, 510.0, 6.0, "SHOP THE NEW COLLECTION", [20, 20, 20]);
        c.disc(cx, cy, 50.0, [220, 40, 30]);
        c.features()
    };
    for (i, j) in [(1.0, 1.0), (2.0, 1.0), (1.0, 2.0), (2.0, 2.0)] {
        let on = design(i * wf / 3.0, j * hf / 3.0);
        assert!(on.subject_thirds > 0.9, "thirds point ({i}, {j}): {on:?}");
    }
    let middle = design(wf / 2.0, hf / 2.0);
    assert!(
        (0.4..0.6).contains(&middle.subject_thirds),
        "centred: {middle:?}"
    );
    let mut text_only = Canvas::new(w, h);
    text_only.text(60.0, 40.0, 9.0, "SUMMER SALE NOW", [20, 20, 20]);
    let text_only = text_only.features();
    assert!(text_only.text_lines >= 1, "{text_only:?}");
    assert_eq!(text_only.subject_thirds, 0.0, "{text_only:?}");
}

/// On a large image the working image averages thin strokes into their
/// ground; the contrast is read at full resolution, so black text on white
/// keeps its true 21:1.
#[test]
fn thin_text_on_a_large_image_keeps_its_contrast() {
    let mut c = Canvas::new(2400, 1200);
    for (i, line) in ["FRESH PRODUCE EVERY DAY", "SHOP NOW AT OUR STORE"]
        .iter()
        .enumerate()
    {
        c.text(120.3, 200.6 + 160.0 * i as f64, 4.1, line, [0, 0, 0]);
    }
    let f = c.features();
    assert!(f.text_lines >= 1, "{f:?}");
    // A 4.1-px stroke covers at most 0.87 of a working-image pixel, whose
    // grey is then 33 or more: 16:1 at best there.
    assert!(f.text_contrast > 18.0, "{}", f.text_contrast);
}

/// Text 13 grey levels off a flat white ground (WCAG 1.1:1), under the
/// clear pass's margin, is found by the faint pass and measured as faint:
/// it reads far worse than the same layout in black.
#[test]
fn faint_text_on_flat_ground_is_found_and_reads_faint() {
    let layout = |ink: [u8; 3]| {
        let mut c = Canvas::new(800, 500);
        c.text(60.0, 60.0, 5.0, "NEW SEASON", ink);
        c.text(60.0, 160.0, 4.0, "FRESH PRODUCE EVERY DAY", ink);
        c.text(60.0, 240.0, 4.0, "SHOP NOW AT OUR STORE", ink);
        c.features()
    };
    let (faint, black) = (layout([242, 242, 242]), layout([0, 0, 0]));
    assert!(faint.text_lines >= 2, "{faint:?}");
    assert!(
        (1.05..1.3).contains(&faint.text_contrast),
        "{}",
        faint.text_contrast
    );
    assert!(black.text_contrast > 15.0, "{}", black.text_contrast);
    assert!(
        black.readability > faint.readability + 40.0,
        "black {} faint {}",
        black.readability,
        faint.readability
    );
}

/// A light card holding the text stands out from a dark ground more than
/// the object does; the card is not the subject, the object is.
#[test]
fn subject_thirds_skips_the_card_that_holds_the_text() {
    let (w, h) = (600usize, 600usize);
    let design = |cx: f64, cy: f64| {
        let mut c = Canvas::filled(w, h, [30, 32, 40]);
        c.fill_rect(40, 60, 390, 230, [236, 236, 232]);
        c.text(70.0, 90.0, 5.0, "SUMMER SALE", [20, 20, 20]);
        c.text(70.0, 160.0, 3.0, "SHOP THE NEW COLLECTION", [20, 20, 20]);
        c.disc(cx, cy, 40.0, [220, 60, 40]);
        c.features()
    };
    let on = design(400.0, 400.0);
    assert!(on.subject_thirds > 0.9, "{on:?}");
    let corner = design(540.0, 540.0);
    assert!(corner.subject_thirds < 0.6, "{corner:?}");
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
