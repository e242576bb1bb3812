//! `creativeiq synth`: a synthetic design world with a known ground truth,
//! for the demo and for judging the models against the best possible.
//!
//! Reads: nothing but its [`SynthConfig`]. Writes (see [`write`]): rendered
//! designs (PNG, or JPEG for photo-like ones) in the platforms' native sizes,
//! each with its ground truth beside it (text lines and their ink boxes,
//! focal point, recipe, measured properties); posts and A/B tests in the
//! seed's export formats, which `creativeiq import` lands; the truth behind
//! every post; and the ceiling. The simulator (`sim`) serves the same world.
//!
//! # How a design is made
//!
//! A [`Recipe`] holds the choices that matter: size (1080x1080, 1080x1350,
//! 1080x1920, 1200x627, 1200x630, 1600x900, 1200x675, 1600x1200), layout
//! template (stack, side by side, poster, card, minimal, text-heavy), hue
//! scheme and harmony (hues on a harmonic template, or moved towards a
//! discordant spread), vividness, background (flat, linear or radial
//! gradient, split, photo-like fractal-noise texture), the text contrast to
//! reach (WCAG 1.15 to 17), text size, whether the focal object sits on a
//! rule-of-thirds intersection, its form, and complexity (shapes, confetti,
//! grain). [`Recipe::build`] turns it into a [`Design`]: text set in DejaVu
//! (the `dejavu` crate, drawn with `ab_glyph`), wrapped with real font
//! metrics, in the palette's secondary hue, its lightness found by bisection
//! to reach the contrast against the ground it sits on; the focal object
//! (primary hue) placed clear of the text; shapes clear of both. Each of
//! the palette's three hues has a place of its own: the primary the focal
//! object, the secondary the text (seen where its contrast leaves it
//! colour), the accent the background's second colour (gradients, splits,
//! textures) and the button. Its [`Properties`] are then measured.
//!
//! # The properties (all visible in the pixels)
//!
//! Measured on a render whose longer side is 160 px, or from the layout:
//!
//! | property | definition | what the extractor sees |
//! |---|---|---|
//! | `colorfulness` | Hasler–Süsstrunk M3 of the pixels | `colorfulness` |
//! | `complexity` | share of pixels whose luma steps by more than 48 to the right or down neighbour, / 0.1, capped at 1 | `edge_density`, `grey_entropy` |
//! | `harmony` | the recipe's harmony: 1 = hues on the scheme's offsets, 0 = hues at offsets 0°, 105°, 215° that fit no scheme | `hue_arc_small`, `hue_arc_mid`, `hue_arc_large`, `scheme_fit`, `color_harmony`, `hue_count` |
//! | `text_contrast` | median WCAG contrast of the text lines against their ground (1 without text) | `text_contrast` |
//! | `text_coverage` | union of the lines' ink boxes / image area | `text_coverage` |
//! | `text_size` | median ink-box height / image height | line heights in `readability` |
//! | `readability` | `c (0.6 + 0.4 s)` with `c = clamp(ln(contrast / 1.5) / ln(7 / 1.5))`, `s = clamp((text_size - 0.01) / 0.03)`; 0 without text | `readability` |
//! | `thirds` | `clamp(1 - d / 0.2)`, `d` = distance of the focal point to the nearest thirds intersection / diagonal; 0 without a focal object | `subject_thirds`, `rule_of_thirds` |
//! | `aspect_ratio` | width / height | `aspect_ratio`, `platform_aspect_fit` |
//!
//! # The ground-truth function
//!
//! A post of design `x` on platform `p` at time `t` has the expected
//! engagement rate (interactions / impressions)
//!
//! ```text
//! rate = min(0.5, exp( ln(base_rate) + D(x, p) * (1 + k_paid * paid) + C(post, p) ))
//! ```
//!
//! with the weights `w` of `p` in force at `t` ([`GroundTruth::weights_at`]:
//! the second table from the [`Shift`] date on, if there is one), where the
//! design term is
//!
//! ```text
//! D = w_col  * tanh(colorfulness / 40)
//!   + w_har  * (2 harmony - 1) * min(1, colorfulness / 40)
//!   + [has text]  ( (w_read * (2 readability - 1) + w_aa * [text_contrast >= 4.5])
//!                     * min(1, text_coverage / 0.04)
//!                   + w_cov * max(-1, 1 - ((text_coverage - cov_opt) / cov_opt)^2) )
//!   + [no text]   w_none
//!   + w_thirds * (2 thirds - 1)
//!   - w_asp  * (1 - exp(-fit / 0.25))        fit = platform_aspect_fit = |ln(ratio / nearest native ratio)|
//!   + w_cx   * (1 - 2 |complexity - cx_opt|)
//! ```
//!
//! and the context term is
//!
//! ```text
//! C = w_hour  * exp(-d^2 / (2 * 2.5^2))     d = hours (UTC, circular) from peak_hour
//!   + w_wkend * [Saturday or Sunday]
//!   - w_aud   * ln(followers / 10000)
//!   + w_paid  * [paid]
//!   + w_tag   * exp(-((hashtags - tag_opt) / 4)^2)
//! ```
//!
//! The non-linear parts (the saturating colour term, the WCAG step, the text
//! bell, the aspect penalty, the complexity tent, the hour bump) and the
//! interactions (harmony counts in proportion to the colour there is to see;
//! readability in proportion to the amount of text; promotion multiplies the
//! design term) are what a tree model can find and a linear one cannot.
//!
//! Noise: each post's rate is `rate * exp(sigma * e - sigma^2 / 2)`, `e`
//! standard normal (mean-preserving), `sigma` = [`GroundTruth::noise_sigma`]
//! (0.3 by default); interactions are then Binomial(impressions, noisy rate),
//! split over the metrics the platform reports (Instagram: likes, comments,
//! shares, saves; Facebook and LinkedIn: likes, comments, shares, clicks;
//! TikTok: likes, comments, shares; X: likes, replies, retweets, bookmarks;
//! Dribbble, Behance: likes, comments). Impressions come from the audience
//! (a log-normal share of followers; TikTok's can exceed them) and promotion,
//! not from the design.
//!
//! Default weights ([`PlatformTable::default`], from the seed's table:
//! Instagram colour and composition, LinkedIn typography and
//! accessibility, TikTok aspect ratio and complexity, Facebook balanced):
//!
//! | weight | instagram | facebook | linkedin | tiktok | x | dribbble | behance |
//! |---|---|---|---|---|---|---|---|
//! | `base_rate` | 0.035 | 0.02 | 0.03 | 0.06 | 0.015 | 0.04 | 0.03 |
//! | `w_col` colorfulness | 0.55 | 0.25 | 0.05 | 0.25 | 0.2 | 0.35 | 0.25 |
//! | `w_har` harmony | 0.3 | 0.15 | 0.1 | 0.05 | 0.1 | 0.5 | 0.45 |
//! | `w_read` readability | 0.15 | 0.25 | 0.6 | 0.1 | 0.35 | 0.1 | 0.15 |
//! | `w_aa` accessible | 0.1 | 0.15 | 0.35 | 0.05 | 0.15 | 0.05 | 0.05 |
//! | `w_cov` coverage | 0.15 | 0.15 | 0.3 | 0.1 | 0.2 | 0.1 | 0.1 |
//! | `cov_opt` | 0.06 | 0.1 | 0.12 | 0.05 | 0.1 | 0.04 | 0.05 |
//! | `w_none` no text | 0.1 | -0.1 | -0.45 | 0.05 | -0.15 | 0.15 | 0.1 |
//! | `w_thirds` | 0.3 | 0.15 | 0.1 | 0.05 | 0.1 | 0.3 | 0.4 |
//! | `w_asp` aspect | 0.4 | 0.3 | 0.35 | 0.9 | 0.4 | 0.25 | 0.25 |
//! | `w_cx` complexity | 0.1 | 0.1 | 0.25 | 0.5 | 0.1 | 0.2 | 0.15 |
//! | `cx_opt` | 0.5 | 0.5 | 0.15 | 0.8 | 0.5 | 0.4 | 0.35 |
//! | `w_hour` | 0.25 | 0.25 | 0.35 | 0.25 | 0.25 | 0.25 | 0.25 |
//! | `peak_hour` (UTC) | 19 | 13 | 9 | 21 | 12 | 16 | 15 |
//! | `w_wkend` | 0.1 | 0 | -0.45 | 0.15 | 0 | 0 | 0 |
//! | `w_aud` | 0.12 | 0.12 | 0.12 | 0.12 | 0.12 | 0.12 | 0.12 |
//! | `w_paid` | -0.25 | -0.25 | -0.25 | -0.25 | -0.25 | -0.25 | -0.25 |
//! | `k_paid` | 0.5 | 0.5 | 0.5 | 0.5 | 0.5 | 0.5 | 0.5 |
//! | `w_tag` hashtags | 0.15 | 0.05 | 0 | 0.1 | 0.1 | 0 | 0 |
//! | `tag_opt` | 8 | 2 | 5 | 4 | 1 | 5 | 5 |
//!
//! [`PlatformTable::shifted`] is a second regime for drift tests
//! (`creativeiq synth --shift-at DATE`): Instagram turns to typography,
//! LinkedIn to colour, TikTok to calm designs, promotion stops costing rate.
//!
//! # The label and the ceiling
//!
//! `performance_score` is `100 * PERCENT_RANK()` of the observed rate among
//! posts of the same platform and calendar month (DESIGN.md "The label");
//! the noise-free score is the same percentile of the expected rate. The
//! [`Ceiling`] is how well the noise-free score predicts the label on the
//! same posts: R² after the least-squares line (Pearson²; the raw R² is
//! reported too) and Spearman, overall and per platform. No model of the
//! pixels and the context can do better on average, which makes it the
//! yardstick for the trainers.
//!
//! # A/B tests
//!
//! Each test pits two variants of one recipe that differ in one choice
//! ([`Change`]: text contrast, thirds, harmony, vividness, layout). On the
//! test's platform, arm `v` converts at `cvr0 * exp(D_v - D_a)` and clicks at
//! `ctr0 * exp(D_v - D_a)`; conversions and clicks are Binomial(visitors,
//! rate), and the recorded significance is `1 - p` of the two-sided
//! two-proportion z-test.
//!
//! # Extending
//!
//! A new visible property: measure it in `layout.rs` (`measure`), add it to
//! [`Properties`], give it a term and a weight in `truth.rs`, and document
//! both here. A new element or background: draw it in `render.rs`, choose it
//! in `layout.rs`. Determinism: every random choice comes from [`Rng`]
//! streams derived from the seed, never from the thread or the clock.

mod ceiling;
mod design;
mod layout;
mod output;
mod palette;
mod render;
mod rng;
mod text;
mod truth;
mod world;

pub use ceiling::{average_ranks, pearson, percentile_in_groups, r2, spearman, Ceiling, Fit};
pub use design::{
    Background, Design, Focal, FocalKind, ImageFormat, Layout, Panel, PanelRole, Properties, Shape,
    ShapeKind, TextLine, TextRole,
};
pub use layout::{thirds_offset, BackgroundKind, Recipe, SIZES};
pub use output::{image_path, write, write_truth, write_truth_as, SynthError, WriteReport};
pub use palette::{contrast, Ground, Palette, Rgb, Scheme};
pub use render::{contact_sheet, encode, encode_as};
pub use rng::Rng;
pub use text::FontKind;
pub use truth::{Context, Expected, GroundTruth, PlatformTable, Shift, Weights, WCAG_AA};
pub use world::{
    account_prefix, generate, post_prefix, posting_platforms, reported, significance, Account, Arm,
    Change, Interaction, Metrics, SynthConfig, SynthExperiment, SynthPost, SynthWorld,
};
