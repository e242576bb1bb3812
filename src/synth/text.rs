//! Text: the faces (DejaVu, from the `dejavu` crate, drawn with
//! `ab_glyph`), the copy (headlines, body lines, calls to action, captions),
//! measuring and wrapping lines, and drawing them.

use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
use serde::Serialize;

use super::design::TextLine;
use super::render::Canvas;
use super::rng::Rng;

/// The faces designs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FontKind {
    /// DejaVu Sans Bold: headlines, buttons.
    SansBold,
    /// DejaVu Sans: body copy.
    Sans,
    /// DejaVu Serif Bold: editorial headlines.
    SerifBold,
    /// DejaVu Sans Condensed Bold: posters.
    CondensedBold,
}

impl FontKind {
    /// Faces a headline may use.
    pub const HEADLINE: [FontKind; 3] = [
        FontKind::SansBold,
        FontKind::SerifBold,
        FontKind::CondensedBold,
    ];

    fn font(self) -> &'static FontRef<'static> {
        static FONTS: OnceLock<[FontRef<'static>; 4]> = OnceLock::new();
        let fonts = FONTS.get_or_init(|| {
            let load = |bytes: &'static [u8]| {
                FontRef::try_from_slice(bytes)
                    .expect("the DejaVu faces the dejavu crate ships parse")
            };
            [
                load(dejavu::sans::bold()),
                load(dejavu::sans::regular()),
                load(dejavu::serif::bold()),
                load(dejavu::sans_condensed::bold()),
            ]
        });
        &fonts[self as usize]
    }
}

/// Advance width of `text` at `size` px, with kerning.
pub fn measure(font: FontKind, size: f32, text: &str) -> f32 {
    let scaled = font.font().as_scaled(PxScale::from(size));
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            width += scaled.kern(p, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    width
}

/// The font's ascent at `size` px (baseline to top of the tallest glyphs).
pub fn ascent(font: FontKind, size: f32) -> f32 {
    font.font().as_scaled(PxScale::from(size)).ascent()
}

/// Words of `text` broken into lines no wider than `max_width`; a word
/// wider than the line stands alone.
pub fn wrap(font: FontKind, size: f32, text: &str, max_width: f32) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let candidate = if current.is_empty() {
            word.to_string()
        } else {
            format!("{current} {word}")
        };
        if !current.is_empty() && measure(font, size, &candidate) > max_width {
            lines.push(std::mem::replace(&mut current, word.to_string()));
        } else {
            current = candidate;
        }
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// Calls `each` with every outlined glyph of a line set at `scale`.
fn glyphs(line: &TextLine, scale: f32, mut each: impl FnMut(&ab_glyph::OutlinedGlyph)) {
    let size = line.size * scale;
    let font = line.font.font();
    let scaled = font.as_scaled(PxScale::from(size));
    let (mut x, y) = (line.x * scale, line.baseline * scale);
    let mut previous = None;
    for c in line.text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = previous {
            x += scaled.kern(p, id);
        }
        let glyph = id.with_scale_and_position(PxScale::from(size), point(x, y));
        if let Some(outlined) = font.outline_glyph(glyph) {
            each(&outlined);
        }
        x += scaled.h_advance(id);
        previous = Some(id);
    }
}

/// The pixel box of a line's ink (x0, y0, x1, y1), or None for blank text.
pub fn ink_box(line: &TextLine) -> Option<[f32; 4]> {
    let mut bounds: Option<[f32; 4]> = None;
    glyphs(line, 1.0, |g| {
        let r = g.px_bounds();
        let b = [r.min.x, r.min.y, r.max.x, r.max.y];
        bounds = Some(match bounds {
            None => b,
            Some(a) => [
                a[0].min(b[0]),
                a[1].min(b[1]),
                a[2].max(b[2]),
                a[3].max(b[3]),
            ],
        });
    });
    bounds
}

/// Draws a line of text at `scale` (1 = full size).
pub fn draw(canvas: &mut Canvas, line: &TextLine, scale: f32) {
    glyphs(line, scale, |g| {
        let r = g.px_bounds();
        let (x0, y0) = (r.min.x as i64, r.min.y as i64);
        g.draw(|dx, dy, coverage| {
            canvas.blend(
                x0 + i64::from(dx),
                y0 + i64::from(dy),
                line.colour,
                coverage,
            );
        });
    });
}

const HEADLINES: [&str; 24] = [
    "Summer Sale",
    "New Collection",
    "Launch Week",
    "Fresh Drops Daily",
    "Build Faster",
    "Meet the Team",
    "Design Sprint 2026",
    "Grow Your Audience",
    "Limited Edition",
    "Hiring Engineers",
    "The Future of Work",
    "Back to School",
    "Weekend Market",
    "Brew Better Coffee",
    "Ship It Today",
    "Join the Beta",
    "Autumn Lookbook",
    "Webinar: Data at Scale",
    "Save 40% Now",
    "Open Studio Night",
    "Your Plan, Simplified",
    "Quarterly Results",
    "Made by Hand",
    "Find Your Flow",
];

const BODY: [&str; 16] = [
    "Everything you need to plan, build and ship in one place.",
    "Handpicked pieces from independent makers, delivered to your door.",
    "Join thousands of teams who moved their workflow to the cloud this year.",
    "Three days of talks, workshops and conversations with the people behind the tools.",
    "Small batches roasted every morning and shipped the same day.",
    "We are looking for curious people who like hard problems.",
    "New colours, new fabrics and the fit you asked for.",
    "Learn how the best teams measure what matters.",
    "Free shipping on every order over fifty dollars this weekend only.",
    "Bring a friend and get your second ticket at half price.",
    "Our report covers trends across twelve industries and forty markets.",
    "Clean design, honest materials and a lifetime guarantee.",
    "Register now: seats are limited and the session will be recorded.",
    "Fresh ideas for your next campaign, every Tuesday.",
    "A quieter, faster way to organise your day.",
    "From the studio that brought you last year's favourite.",
];

const CTAS: [&str; 10] = [
    "Shop now",
    "Learn more",
    "Sign up",
    "Get started",
    "Register",
    "Book a demo",
    "Read the report",
    "Apply today",
    "Download",
    "Join free",
];

const CAPTION_OPENERS: [&str; 10] = [
    "Big news:",
    "It's here.",
    "We've been working on this for months.",
    "Swipe to see more.",
    "Tag someone who needs this.",
    "Quick update from the team.",
    "Save this for later.",
    "Our favourite so far.",
    "Link in bio.",
    "What do you think?",
];

const HASHTAGS: [&str; 20] = [
    "design",
    "graphicdesign",
    "branding",
    "marketing",
    "startup",
    "sale",
    "newin",
    "style",
    "typography",
    "creative",
    "tech",
    "hiring",
    "coffee",
    "fashion",
    "smallbusiness",
    "webinar",
    "data",
    "ux",
    "inspiration",
    "launch",
];

/// A headline.
pub fn headline(rng: &mut Rng) -> &'static str {
    HEADLINES[rng.below(HEADLINES.len() as u64) as usize]
}

/// One or more sentences of body copy.
pub fn body(rng: &mut Rng, sentences: usize) -> String {
    (0..sentences.max(1))
        .map(|_| *rng.pick(&BODY))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A call to action.
pub fn cta(rng: &mut Rng) -> &'static str {
    CTAS[rng.below(CTAS.len() as u64) as usize]
}

/// A post caption quoting the design's headline, with `hashtags` hashtags.
pub fn caption(rng: &mut Rng, headline: Option<&str>, hashtags: usize) -> String {
    let mut out = rng.pick(&CAPTION_OPENERS).to_string();
    if let Some(h) = headline {
        out.push(' ');
        out.push_str(h);
        out.push('.');
    }
    if rng.chance(0.5) {
        out.push(' ');
        out.push_str(BODY[rng.below(BODY.len() as u64) as usize]);
    }
    let start = rng.below(HASHTAGS.len() as u64) as usize;
    for i in 0..hashtags.min(HASHTAGS.len()) {
        out.push_str(" #");
        out.push_str(HASHTAGS[(start + i * 7) % HASHTAGS.len()]);
    }
    out
}
