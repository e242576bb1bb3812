//! Composing a design: a [`Recipe`] (the few choices that matter: size,
//! layout, palette character, text contrast, thirds, complexity) is built
//! into a full [`Design`]: background, shapes, focal object, text blocks
//! typeset with real font metrics, and the properties measured on a small
//! render. An A/B variant is the same recipe with one choice changed.

use serde::Serialize;

use super::design::{
    Background, Design, Focal, FocalKind, ImageFormat, Layout, Panel, PanelRole, Properties, Shape,
    ShapeKind, TextLine, TextRole,
};
use super::palette::{colour_for_contrast, contrast, mix, Ground, Palette, Rgb, Scheme};
use super::render::{background_at, pixel_stats, render};
use super::rng::Rng;
use super::text::{self, FontKind};

/// The platforms' native image sizes (width, height).
pub const SIZES: [(u32, u32); 8] = [
    (1080, 1080),
    (1080, 1350),
    (1080, 1920),
    (1200, 627),
    (1200, 630),
    (1600, 900),
    (1200, 675),
    (1600, 1200),
];

/// Longer side of the small render the properties are measured on.
const MEASURE_SIDE: f32 = 160.0;

/// How a background is filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackgroundKind {
    /// One colour.
    Flat,
    /// A linear gradient.
    Linear,
    /// A radial gradient.
    Radial,
    /// Two colour fields.
    Split,
    /// A photo-like texture (written as JPEG).
    Texture,
}

/// The choices a design is built from.
#[derive(Debug, Clone, Serialize)]
pub struct Recipe {
    /// Seed of everything not listed here.
    pub seed: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Layout template.
    pub layout: Layout,
    /// Hue scheme.
    pub scheme: Scheme,
    /// 0 (discordant hues) .. 1 (hues on the scheme's template).
    pub harmony: f64,
    /// 0 (greys) .. 1 (saturated).
    pub vividness: f64,
    /// Background lightness family.
    pub ground: Ground,
    /// Background fill.
    pub background: BackgroundKind,
    /// WCAG contrast the text colour is chosen to reach against its ground.
    pub text_contrast: f64,
    /// Text size relative to the layout's usual sizes.
    pub text_scale: f64,
    /// Whether the focal object goes on a thirds intersection.
    pub on_thirds: bool,
    /// The focal object's form.
    pub focal: FocalKind,
    /// 0 (a few elements) .. 1 (busy: many shapes, grain).
    pub complexity: f64,
}

impl Recipe {
    /// Random choices for seed `seed`; `size` fixes the size.
    pub fn random(seed: u64, size: Option<(u32, u32)>) -> Recipe {
        let mut rng = Rng::new(seed);
        let (width, height) = size.unwrap_or_else(|| *rng.pick(&SIZES));
        let ratio = f64::from(width) / f64::from(height);
        let layouts = [
            Layout::Stack,
            Layout::SideBySide,
            Layout::Poster,
            Layout::Card,
            Layout::Minimal,
            Layout::TextHeavy,
        ];
        let weights: [f64; 6] = if ratio > 1.3 {
            [0.05, 0.38, 0.17, 0.14, 0.12, 0.14]
        } else if ratio < 0.9 {
            [0.38, 0.05, 0.22, 0.12, 0.13, 0.1]
        } else {
            [0.22, 0.22, 0.16, 0.12, 0.14, 0.14]
        };
        let layout = layouts[rng.weighted(&weights)];
        let palette_character = (
            *rng.pick(&[
                Scheme::Monochrome,
                Scheme::Analogous,
                Scheme::Complementary,
                Scheme::SplitComplementary,
            ]),
            if rng.chance(0.5) {
                rng.range(0.8, 1.0)
            } else {
                rng.unit()
            },
            rng.unit().powf(0.8),
            [Ground::Light, Ground::Dark, Ground::Coloured][rng.weighted(&[0.45, 0.3, 0.25])],
        );
        // Photo-like textures cost the most to draw and encode: every Card
        // design has one, a few others do.
        let background = if layout == Layout::Card {
            BackgroundKind::Texture
        } else {
            [
                BackgroundKind::Flat,
                BackgroundKind::Linear,
                BackgroundKind::Radial,
                BackgroundKind::Split,
                BackgroundKind::Texture,
            ][rng.weighted(&[0.36, 0.3, 0.12, 0.14, 0.08])]
        };
        // Two thirds of designs have accessible text; the rest range down
        // to text that barely differs from its ground.
        let text_contrast = if rng.chance(0.65) {
            (rng.range(4.5f64.ln(), 17f64.ln())).exp()
        } else {
            (rng.range(1.15f64.ln(), 4.5f64.ln())).exp()
        };
        Recipe {
            seed: rng.next_u64(),
            width,
            height,
            layout,
            scheme: palette_character.0,
            harmony: palette_character.1,
            vividness: palette_character.2,
            ground: palette_character.3,
            background,
            text_contrast,
            text_scale: rng.range(0.6, 1.3),
            on_thirds: rng.chance(0.5),
            focal: *rng.pick(&[FocalKind::Orb, FocalKind::Tile, FocalKind::Badge]),
            complexity: rng.unit(),
        }
    }

    /// Builds the design, measuring its properties.
    pub fn build(&self, id: &str) -> Design {
        let (w, h) = (self.width as f32, self.height as f32);
        let m = w.min(h);
        let stream = |k: u64| Rng::derive(self.seed, k, 0);
        let palette = Palette::new(
            &mut stream(1),
            self.scheme,
            self.harmony,
            self.vividness,
            self.ground,
        );
        let background = background(&mut stream(2), self, &palette, m);
        let mut text_rng = stream(3);
        let plans = plans(&mut text_rng, self, w, h);
        let mut panels = Vec::new();
        let mut lines = Vec::new();
        // Text wears the secondary hue: `harmony` is a property of all three
        // palette hues, and elsewhere the secondary one is drawn only by a
        // few decorative shapes, often translucent or mixed, and in sparse
        // designs by none. A hue no one can see would make harmony a hidden
        // property. Text is not a rival to the subject, and its contrast is
        // reached whatever its hue.
        let text_hue = palette.hues[1];
        let text_sat = text_rng.range(0.3, 0.5) + 0.45 * palette.vividness;
        let card_light = text_rng.chance(0.6);
        for plan in &plans {
            typeset(
                &mut text_rng,
                plan,
                self,
                &palette,
                &background,
                (text_hue, text_sat, card_light),
                (w, h),
                &mut panels,
                &mut lines,
            );
        }
        let obstacles: Vec<[f32; 4]> = lines
            .iter()
            .map(|l| l.ink_box.map(|v| v as f32))
            .chain(panels.iter().map(|p| p.rect))
            .collect();
        let focal = focal(&mut stream(4), self, &palette, &plans, &obstacles, w, h);
        let shapes = shapes(
            &mut stream(5),
            self,
            &palette,
            &obstacles,
            focal.as_ref(),
            w,
            h,
        );
        let mut design = Design {
            id: id.to_string(),
            seed: self.seed,
            width: self.width,
            height: self.height,
            format: if self.background == BackgroundKind::Texture {
                ImageFormat::Jpeg
            } else {
                ImageFormat::Png
            },
            layout: self.layout,
            palette,
            background,
            shapes,
            focal,
            panels,
            text: lines,
            properties: Properties::default(),
        };
        design.properties = measure(&design);
        design
    }
}

fn background(rng: &mut Rng, recipe: &Recipe, p: &Palette, m: f32) -> Background {
    let [a, b] = p.background;
    match recipe.background {
        BackgroundKind::Flat => Background::Flat { colour: a },
        BackgroundKind::Linear => Background::Linear {
            from: a,
            to: b,
            angle: *rng.pick(&[0.0, 45.0, 90.0, 135.0, 60.0]),
        },
        BackgroundKind::Radial => Background::Radial {
            inner: mix(a, [255, 255, 255], 0.12),
            outer: b,
            centre: [rng.range(0.3, 0.7) as f32, rng.range(0.3, 0.7) as f32],
        },
        BackgroundKind::Split => Background::Split {
            first: a,
            second: mix(p.secondary, a, rng.range(0.2, 0.6)),
            at: rng.range(0.45, 0.6) as f32,
            vertical: recipe.width >= recipe.height,
        },
        BackgroundKind::Texture => Background::Texture {
            colours: [
                mix(a, [0, 0, 0], 0.25),
                b,
                mix(p.secondary, b, rng.range(0.3, 0.7)),
            ],
            cell: m * rng.range(0.25, 0.6) as f32,
            grain: (3.0 + 12.0 * recipe.complexity) as f32,
            seed: rng.next_u64(),
        },
    }
}

/// Horizontal alignment of a text block.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Align {
    Left,
    Centre,
}

/// One block of text to set in a zone.
#[derive(Debug, Clone)]
struct Plan {
    zone: [f32; 4],
    align: Align,
    /// Headline words, face and size.
    headline: Option<(&'static str, FontKind, f32)>,
    /// Body words, size and most lines.
    body: Option<(String, f32, usize)>,
    /// Button words and size.
    cta: Option<(&'static str, f32)>,
    /// On a card (always on photo-like backgrounds).
    card: bool,
    /// Where the focal object may go.
    focal_zone: [f32; 4],
}

fn plans(rng: &mut Rng, r: &Recipe, w: f32, h: f32) -> Vec<Plan> {
    let m = w.min(h);
    let margin = 0.07 * m;
    let s = r.text_scale as f32;
    let headline_face = *rng.pick(&FontKind::HEADLINE);
    let headline = text::headline(rng);
    let body_sentences = 1 + rng.below(2) as usize;
    let body = text::body(rng, body_sentences);
    let cta = text::cta(rng);
    let size = |lo: f64, hi: f64, rng: &mut Rng| m * rng.range(lo, hi) as f32 * s;
    let textured = r.background == BackgroundKind::Texture;
    let full = [0.0, 0.0, w, h];
    let plan = |zone, align, focal_zone| Plan {
        zone,
        align,
        headline: None,
        body: None,
        cta: None,
        card: textured,
        focal_zone,
    };
    match r.layout {
        Layout::Stack => {
            let mut top = plan(
                [margin, margin, w - margin, 0.3 * h],
                Align::Centre,
                [0.0, 0.3 * h, w, 0.7 * h],
            );
            top.headline = Some((headline, headline_face, size(0.075, 0.11, rng)));
            let mut bottom = plan(
                [margin, 0.7 * h, w - margin, h - margin],
                Align::Centre,
                top.focal_zone,
            );
            bottom.body = Some((body, size(0.032, 0.042, rng), 2));
            bottom.cta = rng.chance(0.8).then(|| (cta, size(0.035, 0.045, rng)));
            vec![top, bottom]
        }
        Layout::SideBySide => {
            let left = rng.chance(0.6);
            let zone = if left {
                [margin, margin, 0.5 * w - 0.5 * margin, h - margin]
            } else {
                [0.5 * w + 0.5 * margin, margin, w - margin, h - margin]
            };
            let focal_zone = if left {
                [0.5 * w, 0.0, w, h]
            } else {
                [0.0, 0.0, 0.5 * w, h]
            };
            let mut p = plan(zone, Align::Left, focal_zone);
            p.headline = Some((headline, headline_face, size(0.08, 0.12, rng)));
            p.body = Some((body, size(0.034, 0.045, rng), 4));
            p.cta = rng.chance(0.75).then(|| (cta, size(0.038, 0.05, rng)));
            vec![p]
        }
        Layout::Poster => {
            let top = rng.chance(0.5);
            let (zone, focal_zone) = if top {
                (
                    [margin, margin, w - margin, 0.36 * h],
                    [0.0, 0.36 * h, w, h],
                )
            } else {
                (
                    [margin, 0.64 * h, w - margin, h - margin],
                    [0.0, 0.0, w, 0.64 * h],
                )
            };
            let mut p = plan(zone, Align::Centre, focal_zone);
            p.headline = Some((headline, FontKind::CondensedBold, size(0.12, 0.16, rng)));
            p.cta = rng.chance(0.4).then(|| (cta, size(0.035, 0.045, rng)));
            vec![p]
        }
        Layout::Card => {
            let (zone, focal_zone) = if w > 1.2 * h {
                (
                    [margin, margin, 0.48 * w, h - margin],
                    [0.48 * w, 0.0, w, h],
                )
            } else {
                (
                    [margin, 0.56 * h, w - margin, h - margin],
                    [0.0, 0.0, w, 0.56 * h],
                )
            };
            let mut p = plan(zone, Align::Left, focal_zone);
            p.card = true;
            p.headline = Some((headline, headline_face, size(0.07, 0.095, rng)));
            p.body = Some((body, size(0.03, 0.04, rng), 3));
            p.cta = rng.chance(0.7).then(|| (cta, size(0.034, 0.044, rng)));
            vec![p]
        }
        Layout::Minimal => {
            if rng.chance(0.5) {
                let mut p = plan(full, Align::Centre, full);
                p.card = false;
                vec![p]
            } else {
                let mut p = plan(
                    [margin, 0.8 * h, w - margin, h - margin],
                    Align::Centre,
                    [0.0, 0.0, w, 0.8 * h],
                );
                p.headline = Some((headline, FontKind::Sans, size(0.04, 0.055, rng)));
                vec![p]
            }
        }
        Layout::TextHeavy => {
            let mut p = plan(
                [margin, margin, w - margin, 0.8 * h],
                Align::Left,
                [0.0, 0.8 * h, w, h],
            );
            p.headline = Some((headline, headline_face, size(0.065, 0.085, rng)));
            p.body = Some((text::body(rng, 3), size(0.03, 0.04, rng), 8));
            p.cta = rng.chance(0.6).then(|| (cta, size(0.032, 0.042, rng)));
            vec![p]
        }
    }
}

/// Sets one block: its lines (and button, and card) in its zone,
/// vertically centred; lines that do not fit are left out.
#[allow(clippy::too_many_arguments)]
fn typeset(
    rng: &mut Rng,
    plan: &Plan,
    recipe: &Recipe,
    palette: &Palette,
    background: &Background,
    (text_hue, text_sat, card_light): (f64, f64, bool),
    (w, h): (f32, f32),
    panels: &mut Vec<Panel>,
    lines: &mut Vec<TextLine>,
) {
    let [x0, y0, x1, y1] = plan.zone;
    let m = w.min(h);
    let pad = if plan.card { 0.04 * m } else { 0.0 };
    let (ix0, iy0, ix1, iy1) = (x0 + pad, y0 + pad, x1 - pad, y1 - pad);
    let width = (ix1 - ix0).max(1.0);
    // Lines as (role, text, face, size, advance), then placed.
    let mut rows: Vec<(TextRole, String, FontKind, f32, f32)> = Vec::new();
    if let Some((words, face, mut size)) = plan.headline {
        let mut wrapped = text::wrap(face, size, words, width);
        while wrapped.len() > 3 || wrapped.iter().any(|l| text::measure(face, size, l) > width) {
            size *= 0.88;
            wrapped = text::wrap(face, size, words, width);
            if size < 8.0 {
                break;
            }
        }
        for l in wrapped {
            rows.push((TextRole::Headline, l, face, size, 1.12 * size));
        }
    }
    if let Some((words, size, most)) = &plan.body {
        if !rows.is_empty() {
            rows.push((
                TextRole::Body,
                String::new(),
                FontKind::Sans,
                *size,
                0.6 * size,
            ));
        }
        for l in text::wrap(FontKind::Sans, *size, words, width)
            .into_iter()
            .take(*most)
        {
            rows.push((TextRole::Body, l, FontKind::Sans, *size, 1.4 * size));
        }
    }
    let mut button = plan.cta.map(|(words, size)| {
        let tw = text::measure(FontKind::SansBold, size, words);
        (words, size, tw + 1.6 * size, 2.0 * size)
    });
    type Row = (TextRole, String, FontKind, f32, f32);
    let used = |rows: &[Row], button: Option<(&str, f32, f32, f32)>| {
        rows.iter().map(|r| r.4).sum::<f32>() + button.map_or(0.0, |b| 0.6 * b.1 + b.3)
    };
    // Fit: drop body lines from the end, then the button, then headline
    // lines, while the block overflows its zone.
    let room = iy1 - iy0;
    while used(&rows, button) > room && rows.last().is_some_and(|r| r.0 == TextRole::Body) {
        rows.pop();
    }
    if used(&rows, button) > room {
        button = None;
    }
    while used(&rows, button) > room && rows.len() > 1 {
        rows.pop();
    }
    if rows.last().is_some_and(|r| r.1.is_empty()) {
        rows.pop();
    }
    let total = used(&rows, button);
    if rows.is_empty() && button.is_none() {
        return;
    }
    let top = iy0 + ((iy1 - iy0 - total) * 0.5).max(0.0);
    if plan.card {
        let card_colour = if card_light {
            mix(palette.background[1], [255, 255, 255], 0.85)
        } else {
            mix(palette.background[0], [0, 0, 0], 0.7)
        };
        let (cx0, cx1) = if plan.align == Align::Centre {
            (x0, x1)
        } else {
            let widest = rows
                .iter()
                .map(|r| text::measure(r.2, r.3, &r.1))
                .chain(button.map(|b| b.2))
                .fold(0.0f32, f32::max);
            (x0, (ix0 + widest + pad).min(x1))
        };
        panels.push(Panel {
            role: PanelRole::Card,
            rect: [cx0, top - pad, cx1, top + total + pad],
            radius: 0.02 * m,
            colour: card_colour,
        });
    }
    let ground = match panels.last() {
        Some(card) if plan.card => card.colour,
        _ => background_at(background, 0.5 * (ix0 + ix1), top + 0.5 * total, w, h),
    };
    let ink = colour_for_contrast(ground, text_hue, text_sat, recipe.text_contrast);
    let x_of = |advance: f32| match plan.align {
        Align::Left => ix0,
        Align::Centre => 0.5 * (ix0 + ix1 - advance),
    };
    let mut y = top;
    for (role, words, face, size, step) in rows {
        if !words.is_empty() {
            let advance = text::measure(face, size, &words);
            let baseline = y + text::ascent(face, size) * 0.95;
            push_line(
                lines,
                role,
                words,
                face,
                size,
                x_of(advance),
                baseline,
                ink,
                ground,
                w,
                h,
            );
        }
        y += step;
    }
    if let Some((words, size, bw, bh)) = button {
        y += 0.6 * size;
        let bx = x_of(bw);
        if bx < 0.0 || bx + bw > w || y + bh > h {
            return;
        }
        let fill = palette.accent;
        let label =
            if contrast([255, 255, 255], fill) >= contrast([20, 20, 20], fill) || rng.chance(0.1) {
                [255, 255, 255]
            } else {
                [20, 20, 20]
            };
        panels.push(Panel {
            role: PanelRole::Button,
            rect: [bx, y, bx + bw, y + bh],
            radius: 0.5 * bh * rng.range(0.2, 1.0) as f32,
            colour: fill,
        });
        let baseline = y + 0.5 * bh + 0.36 * size;
        push_line(
            lines,
            TextRole::Cta,
            words.to_string(),
            FontKind::SansBold,
            size,
            bx + 0.8 * size,
            baseline,
            label,
            fill,
            w,
            h,
        );
    }
}

#[allow(clippy::too_many_arguments)]
fn push_line(
    lines: &mut Vec<TextLine>,
    role: TextRole,
    words: String,
    font: FontKind,
    size: f32,
    x: f32,
    baseline: f32,
    colour: Rgb,
    ground: Rgb,
    w: f32,
    h: f32,
) {
    let mut line = TextLine {
        role,
        text: words,
        font,
        size,
        x,
        baseline,
        colour,
        ground,
        contrast: contrast(colour, ground),
        ink_box: [0; 4],
    };
    // A line is kept (and drawn) only when all of its ink is on the canvas.
    if let Some(b) = text::ink_box(&line) {
        if b[0] >= 0.0 && b[1] >= 0.0 && b[2] <= w && b[3] <= h && b[0] < b[2] && b[1] < b[3] {
            line.ink_box = [
                b[0].floor() as u32,
                b[1].floor() as u32,
                b[2].ceil() as u32,
                b[3].ceil() as u32,
            ];
            lines.push(line);
        }
    }
}

/// The four rule-of-thirds intersections.
fn thirds_points(w: f32, h: f32) -> [[f32; 2]; 4] {
    [
        [w / 3.0, h / 3.0],
        [2.0 * w / 3.0, h / 3.0],
        [w / 3.0, 2.0 * h / 3.0],
        [2.0 * w / 3.0, 2.0 * h / 3.0],
    ]
}

/// Distance from a point to the nearest thirds intersection, over the diagonal.
pub fn thirds_offset(p: [f32; 2], w: f32, h: f32) -> f64 {
    let diag = w.hypot(h);
    thirds_points(w, h)
        .iter()
        .map(|t| f64::from((p[0] - t[0]).hypot(p[1] - t[1]) / diag))
        .fold(f64::INFINITY, f64::min)
}

/// Distance from a point to a box (0 inside).
fn box_distance(p: [f32; 2], b: [f32; 4]) -> f32 {
    let dx = (b[0] - p[0]).max(p[0] - b[2]).max(0.0);
    let dy = (b[1] - p[1]).max(p[1] - b[3]).max(0.0);
    dx.hypot(dy)
}

fn inside(p: [f32; 2], z: [f32; 4]) -> bool {
    p[0] >= z[0] && p[0] <= z[2] && p[1] >= z[1] && p[1] <= z[3]
}

fn focal(
    rng: &mut Rng,
    recipe: &Recipe,
    palette: &Palette,
    plans: &[Plan],
    obstacles: &[[f32; 4]],
    w: f32,
    h: f32,
) -> Option<Focal> {
    let m = w.min(h);
    let zone = plans.first().map_or([0.0, 0.0, w, h], |p| p.focal_zone);
    let (lo, hi) = match recipe.layout {
        Layout::TextHeavy => (0.06, 0.1),
        Layout::Poster | Layout::Minimal => (0.16, 0.28),
        _ => (0.12, 0.24),
    };
    let desired = m * rng.range(lo, hi) as f32;
    let diag = w.hypot(h);
    let clearance = |c: [f32; 2]| {
        let edge = c[0].min(w - c[0]).min(c[1]).min(h - c[1]) - 0.02 * m;
        obstacles
            .iter()
            .map(|b| box_distance(c, *b) - 0.03 * m)
            .fold(edge, f32::min)
    };
    let points = thirds_points(w, h);
    let mut best: Option<([f32; 2], f32)> = None;
    for _ in 0..24 {
        let c = if recipe.on_thirds {
            let inner: Vec<[f32; 2]> = points
                .iter()
                .copied()
                .filter(|p| inside(*p, zone))
                .collect();
            let t = if inner.is_empty() {
                *rng.pick(&points)
            } else {
                *rng.pick(&inner)
            };
            let jitter = 0.012 * diag;
            [
                t[0] + rng.range(-1.0, 1.0) as f32 * jitter,
                t[1] + rng.range(-1.0, 1.0) as f32 * jitter,
            ]
        } else {
            let c = [
                rng.range(f64::from(zone[0]), f64::from(zone[2])) as f32,
                rng.range(f64::from(zone[1]), f64::from(zone[3])) as f32,
            ];
            if thirds_offset(c, w, h) < 0.08 {
                continue;
            }
            c
        };
        let r = desired.min(clearance(c));
        if best.is_none_or(|(_, b)| r > b) {
            best = Some((c, r));
        }
        if r >= 0.85 * desired {
            break;
        }
    }
    let (centre, radius) = best?;
    if radius < 0.04 * m {
        return None;
    }
    let light = mix(palette.primary, [255, 255, 255], 0.7);
    Some(Focal {
        kind: recipe.focal,
        centre,
        radius,
        colour: palette.primary,
        detail: match recipe.focal {
            FocalKind::Orb => light,
            _ => palette.accent,
        },
        on_thirds: recipe.on_thirds,
    })
}

fn shapes(
    rng: &mut Rng,
    recipe: &Recipe,
    palette: &Palette,
    obstacles: &[[f32; 4]],
    focal: Option<&Focal>,
    w: f32,
    h: f32,
) -> Vec<Shape> {
    let m = w.min(h);
    let c = recipe.complexity;
    let big = (c * 8.0).round() as usize;
    let confetti = (c * c * 40.0).round() as usize;
    let colours = [
        palette.secondary,
        palette.accent,
        palette.primary,
        mix(palette.secondary, palette.background[0], 0.5),
    ];
    let mut out = Vec::new();
    for k in 0..big + confetti {
        let small = k >= big;
        for _ in 0..20 {
            let r = if small {
                m * rng.range(0.006, 0.018) as f32
            } else {
                m * rng.range(0.03, 0.16) as f32
            };
            let centre = [
                rng.range(0.0, f64::from(w)) as f32,
                rng.range(0.0, f64::from(h)) as f32,
            ];
            let kind = match rng.below(if small { 1 } else { 3 }) {
                0 => ShapeKind::Ellipse,
                1 => ShapeKind::Ring {
                    stroke: r * rng.range(0.08, 0.25) as f32,
                },
                _ => ShapeKind::RoundRect {
                    radius: r * rng.range(0.0, 0.5) as f32,
                },
            };
            let half = match kind {
                ShapeKind::RoundRect { .. } => [r, r * rng.range(0.3, 1.0) as f32],
                _ => [r, r],
            };
            let reach = half[0].max(half[1]) + 0.02 * m;
            let clear_text = obstacles.iter().all(|b| box_distance(centre, *b) > reach);
            let clear_focal = focal.is_none_or(|f| {
                (centre[0] - f.centre[0]).hypot(centre[1] - f.centre[1]) > f.radius * 1.25 + reach
            });
            if clear_text && clear_focal {
                out.push(Shape {
                    kind,
                    centre,
                    half,
                    colour: *rng.pick(&colours),
                    alpha: rng.range(0.4, 1.0) as f32,
                });
                break;
            }
        }
    }
    out
}

/// Union area of axis-aligned boxes (x0, y0, x1, y1).
fn union_area(boxes: &[[u32; 4]]) -> f64 {
    let mut ys: Vec<u32> = boxes.iter().flat_map(|b| [b[1], b[3]]).collect();
    ys.sort_unstable();
    ys.dedup();
    let mut area = 0u64;
    for pair in ys.windows(2) {
        let (ya, yb) = (pair[0], pair[1]);
        let mut spans: Vec<(u32, u32)> = boxes
            .iter()
            .filter(|b| b[1] <= ya && b[3] >= yb && b[2] > b[0])
            .map(|b| (b[0], b[2]))
            .collect();
        spans.sort_unstable();
        let (mut covered, mut end) = (0u64, 0u32);
        for (s, e) in spans {
            let s = s.max(end);
            if e > s {
                covered += u64::from(e - s);
                end = e;
            }
        }
        area += covered * u64::from(yb - ya);
    }
    area as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// The design's visible properties (module docs of `synth` define them).
fn measure(design: &Design) -> Properties {
    let (w, h) = (design.width as f32, design.height as f32);
    let scale = MEASURE_SIDE / w.max(h);
    let stats = pixel_stats(&render(design, scale));
    let has_text = !design.text.is_empty();
    let text_contrast = if has_text {
        median(design.text.iter().map(|l| l.contrast).collect())
    } else {
        1.0
    };
    let boxes: Vec<[u32; 4]> = design.text.iter().map(|l| l.ink_box).collect();
    let text_size = median(
        design
            .text
            .iter()
            .map(|l| f64::from(l.ink_box[3] - l.ink_box[1]) / f64::from(h))
            .collect(),
    );
    let readability = if has_text {
        let c = ((text_contrast / 1.5).ln() / (7.0f64 / 1.5).ln()).clamp(0.0, 1.0);
        let s = ((text_size - 0.01) / 0.03).clamp(0.0, 1.0);
        c * (0.6 + 0.4 * s)
    } else {
        0.0
    };
    let focal_offset = design
        .focal
        .as_ref()
        .map_or(0.5, |f| thirds_offset(f.centre, w, h));
    Properties {
        aspect_ratio: design.aspect_ratio(),
        colorfulness: stats.colorfulness,
        saturation: stats.saturation,
        brightness: stats.brightness,
        complexity: (stats.edge_share / 0.1).min(1.0),
        harmony: design.palette.harmony,
        has_text,
        text_contrast,
        text_coverage: union_area(&boxes) / (f64::from(w) * f64::from(h)),
        text_size,
        readability,
        thirds: if design.focal.is_some() {
            (1.0 - focal_offset / 0.2).clamp(0.0, 1.0)
        } else {
            0.0
        },
        focal_offset,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_area_counts_overlaps_once() {
        assert_eq!(union_area(&[[0, 0, 10, 10], [5, 5, 15, 15]]), 175.0);
        assert_eq!(union_area(&[]), 0.0);
    }

    #[test]
    fn a_recipe_builds_the_same_design_twice() {
        let r = Recipe::random(11, None);
        let (a, b) = (r.build("x"), r.build("x"));
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }

    #[test]
    fn text_reaches_the_recipe_contrast_and_stays_inside_the_image() {
        for seed in 0..30 {
            let r = Recipe::random(seed, None);
            let d = r.build("x");
            for l in d.text.iter().filter(|l| l.role != TextRole::Cta) {
                assert!(
                    (l.contrast - r.text_contrast).abs() < 0.35 || l.contrast < r.text_contrast,
                    "seed {seed}: {} vs {}",
                    l.contrast,
                    r.text_contrast
                );
                assert!(l.ink_box[2] <= d.width && l.ink_box[3] <= d.height);
                assert!(l.ink_box[0] < l.ink_box[2] && l.ink_box[1] < l.ink_box[3]);
            }
        }
    }

    #[test]
    fn text_wears_the_palettes_secondary_hue() {
        let hue = |c: Rgb| {
            let [r, g, b] = c.map(f64::from);
            let (max, min) = (r.max(g).max(b), r.min(g).min(b));
            let d = max - min;
            let h = if max == r {
                (g - b) / d
            } else if max == g {
                2.0 + (b - r) / d
            } else {
                4.0 + (r - g) / d
            };
            (d > 0.25 * max && max > 40.0).then(|| (60.0 * h).rem_euclid(360.0))
        };
        let mut seen = 0;
        for seed in 0..40 {
            let d = Recipe::random(seed, None).build("x");
            let secondary = d.palette.hues[1];
            for l in d.text.iter().filter(|l| l.role != TextRole::Cta) {
                if let Some(h) = hue(l.colour) {
                    let arc = (h - secondary).rem_euclid(360.0);
                    assert!(
                        arc.min(360.0 - arc) < 6.0,
                        "seed {seed}: {h} vs {secondary}"
                    );
                    seen += 1;
                }
            }
        }
        assert!(seen > 60, "only {seen} text lines show a hue");
    }

    #[test]
    fn on_thirds_focal_points_sit_on_thirds() {
        let mut near = 0;
        let mut total = 0;
        for seed in 0..40 {
            let mut r = Recipe::random(seed, None);
            r.on_thirds = true;
            if let Some(f) = r.build("x").focal {
                total += 1;
                if thirds_offset(f.centre, r.width as f32, r.height as f32) < 0.03 {
                    near += 1;
                }
            }
        }
        assert!(near * 10 >= total * 9, "{near} of {total}");
    }
}
