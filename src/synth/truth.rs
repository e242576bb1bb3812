//! The ground-truth engagement function: a post's expected engagement
//! rate from its design's visible [`Properties`] and its context, with
//! per-platform [`Weights`] that may change at a [`Shift`] date. The
//! formula is written out in the `synth` module docs; the code below is
//! that formula, term by term.

use chrono::{DateTime, Datelike, Timelike, Utc, Weekday};
use serde::Serialize;

use super::design::Properties;
use crate::collect::Platform;
use crate::features::platform_aspect_fit;

/// Text contrast at which text counts as accessible (WCAG AA).
pub const WCAG_AA: f64 = 4.5;
/// Audience size at which the audience term is zero.
pub const REFERENCE_AUDIENCE: f64 = 10_000.0;
/// Highest expected engagement rate.
pub const MAX_RATE: f64 = 0.5;

/// One platform's weights (see the `synth` module docs for the formula).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weights {
    /// Engagement rate of an average design in an average context.
    pub base_rate: f64,
    /// `w_col`: weight of `tanh(colorfulness / 40)`.
    pub colorfulness: f64,
    /// `w_har`: weight of `2 harmony - 1`.
    pub harmony: f64,
    /// `w_read`: weight of `2 readability - 1` (scaled by the amount of text).
    pub readability: f64,
    /// `w_aa`: bonus when the text contrast reaches WCAG AA (4.5).
    pub accessible: f64,
    /// `w_cov`: weight of the text-coverage bell around `coverage_optimum`.
    pub coverage: f64,
    /// The platform's preferred share of the image covered by text.
    pub coverage_optimum: f64,
    /// `w_none`: term of a design without text.
    pub no_text: f64,
    /// `w_thirds`: weight of `2 thirds - 1`.
    pub thirds: f64,
    /// `w_asp`: penalty for a ratio off the platform's native ones.
    pub aspect: f64,
    /// `w_cx`: weight of `1 - 2 |complexity - complexity_optimum|`.
    pub complexity: f64,
    /// The platform's preferred complexity, 0..1.
    pub complexity_optimum: f64,
    /// `w_hour`: height of the bump around `peak_hour`.
    pub hour: f64,
    /// Hour of day (UTC) when the platform's audience engages most.
    pub peak_hour: f64,
    /// `w_wkend`: term on Saturdays and Sundays.
    pub weekend: f64,
    /// `w_aud`: decline of the rate per e-fold of audience size.
    pub audience: f64,
    /// `w_paid`: term of a promoted post (promotion reaches colder audiences).
    pub paid: f64,
    /// `k_paid`: how much more the design counts in a promoted post.
    pub paid_design: f64,
    /// `w_tag`: weight of the hashtag bell around `hashtag_optimum`.
    pub hashtags: f64,
    /// The platform's preferred number of hashtags.
    pub hashtag_optimum: f64,
}

impl Weights {
    /// Weights with every design and context term at `0` and the given base rate and peak hour.
    fn neutral(base_rate: f64, peak_hour: f64) -> Weights {
        Weights {
            base_rate,
            colorfulness: 0.0,
            harmony: 0.0,
            readability: 0.0,
            accessible: 0.0,
            coverage: 0.0,
            coverage_optimum: 0.1,
            no_text: 0.0,
            thirds: 0.0,
            aspect: 0.0,
            complexity: 0.0,
            complexity_optimum: 0.5,
            hour: 0.25,
            peak_hour,
            weekend: 0.0,
            audience: 0.12,
            paid: -0.25,
            paid_design: 0.5,
            hashtags: 0.0,
            hashtag_optimum: 5.0,
        }
    }
}

/// Weights for every platform that publishes posts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlatformTable {
    /// Instagram: colour and composition.
    pub instagram: Weights,
    /// Facebook: a balance.
    pub facebook: Weights,
    /// LinkedIn: typography and accessibility.
    pub linkedin: Weights,
    /// TikTok: aspect ratio and complexity.
    pub tiktok: Weights,
    /// X: legible text, wide images.
    pub x: Weights,
    /// Dribbble: harmony and colour.
    pub dribbble: Weights,
    /// Behance: harmony and composition.
    pub behance: Weights,
}

impl PlatformTable {
    /// The weights of `platform` (Optimizely, which has no posts, gets Facebook's).
    pub fn get(&self, platform: Platform) -> &Weights {
        match platform {
            Platform::Instagram => &self.instagram,
            Platform::Linkedin => &self.linkedin,
            Platform::Tiktok => &self.tiktok,
            Platform::X => &self.x,
            Platform::Dribbble => &self.dribbble,
            Platform::Behance => &self.behance,
            Platform::Facebook | Platform::Optimizely => &self.facebook,
        }
    }

    /// Mutable weights of `platform`.
    pub fn get_mut(&mut self, platform: Platform) -> &mut Weights {
        match platform {
            Platform::Instagram => &mut self.instagram,
            Platform::Linkedin => &mut self.linkedin,
            Platform::Tiktok => &mut self.tiktok,
            Platform::X => &mut self.x,
            Platform::Dribbble => &mut self.dribbble,
            Platform::Behance => &mut self.behance,
            Platform::Facebook | Platform::Optimizely => &mut self.facebook,
        }
    }

    /// A second regime for drift tests: Instagram turns to typography,
    /// LinkedIn to colour, TikTok to calmer designs, and paid posts stop
    /// being penalised.
    pub fn shifted() -> PlatformTable {
        let mut t = PlatformTable::default();
        t.instagram.colorfulness *= 0.3;
        t.instagram.readability = 0.6;
        t.instagram.accessible = 0.3;
        t.linkedin.colorfulness = 0.6;
        t.linkedin.readability *= 0.4;
        t.tiktok.complexity_optimum = 0.2;
        for p in Platform::ALL.into_iter().filter(|p| p.has_posts()) {
            t.get_mut(p).paid = 0.0;
        }
        t
    }
}

impl Default for PlatformTable {
    /// The seed's table: Instagram colour and composition, LinkedIn
    /// typography and accessibility, TikTok aspect ratio and complexity,
    /// Facebook balanced.
    fn default() -> Self {
        PlatformTable {
            instagram: Weights {
                colorfulness: 0.55,
                harmony: 0.3,
                readability: 0.15,
                accessible: 0.1,
                coverage: 0.15,
                coverage_optimum: 0.06,
                no_text: 0.1,
                thirds: 0.3,
                aspect: 0.4,
                complexity: 0.1,
                weekend: 0.1,
                hashtags: 0.15,
                hashtag_optimum: 8.0,
                ..Weights::neutral(0.035, 19.0)
            },
            facebook: Weights {
                colorfulness: 0.25,
                harmony: 0.15,
                readability: 0.25,
                accessible: 0.15,
                coverage: 0.15,
                coverage_optimum: 0.1,
                no_text: -0.1,
                thirds: 0.15,
                aspect: 0.3,
                complexity: 0.1,
                hashtags: 0.05,
                hashtag_optimum: 2.0,
                ..Weights::neutral(0.02, 13.0)
            },
            linkedin: Weights {
                colorfulness: 0.05,
                harmony: 0.1,
                readability: 0.6,
                accessible: 0.35,
                coverage: 0.3,
                coverage_optimum: 0.12,
                no_text: -0.45,
                thirds: 0.1,
                aspect: 0.35,
                complexity: 0.25,
                complexity_optimum: 0.15,
                weekend: -0.45,
                hour: 0.35,
                ..Weights::neutral(0.03, 9.0)
            },
            tiktok: Weights {
                colorfulness: 0.25,
                harmony: 0.05,
                readability: 0.1,
                accessible: 0.05,
                coverage: 0.1,
                coverage_optimum: 0.05,
                no_text: 0.05,
                thirds: 0.05,
                aspect: 0.9,
                complexity: 0.5,
                complexity_optimum: 0.8,
                weekend: 0.15,
                hashtags: 0.1,
                hashtag_optimum: 4.0,
                ..Weights::neutral(0.06, 21.0)
            },
            x: Weights {
                colorfulness: 0.2,
                harmony: 0.1,
                readability: 0.35,
                accessible: 0.15,
                coverage: 0.2,
                coverage_optimum: 0.1,
                no_text: -0.15,
                thirds: 0.1,
                aspect: 0.4,
                complexity: 0.1,
                hashtags: 0.1,
                hashtag_optimum: 1.0,
                ..Weights::neutral(0.015, 12.0)
            },
            dribbble: Weights {
                colorfulness: 0.35,
                harmony: 0.5,
                readability: 0.1,
                accessible: 0.05,
                coverage: 0.1,
                coverage_optimum: 0.04,
                no_text: 0.15,
                thirds: 0.3,
                aspect: 0.25,
                complexity: 0.2,
                complexity_optimum: 0.4,
                ..Weights::neutral(0.04, 16.0)
            },
            behance: Weights {
                colorfulness: 0.25,
                harmony: 0.45,
                readability: 0.15,
                accessible: 0.05,
                coverage: 0.1,
                coverage_optimum: 0.05,
                no_text: 0.1,
                thirds: 0.4,
                aspect: 0.25,
                complexity: 0.15,
                complexity_optimum: 0.35,
                ..Weights::neutral(0.03, 15.0)
            },
        }
    }
}

/// A change of regime: from `at` on, `weights` replace the first table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Shift {
    /// The first moment the second table applies.
    pub at: DateTime<Utc>,
    /// The second table.
    pub weights: PlatformTable,
}

/// The whole ground truth: weights, noise, and an optional shift.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroundTruth {
    /// Weights before any shift.
    pub weights: PlatformTable,
    /// `sigma`: standard deviation of the log-normal noise on each post's rate.
    pub noise_sigma: f64,
    /// A change of weights at a date, for drift tests.
    pub shift: Option<Shift>,
}

impl Default for GroundTruth {
    fn default() -> Self {
        GroundTruth {
            weights: PlatformTable::default(),
            noise_sigma: 0.3,
            shift: None,
        }
    }
}

/// What a post adds to its design.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Where it was published.
    pub platform: Platform,
    /// When.
    pub published_at: DateTime<Utc>,
    /// The account's followers.
    pub audience: u64,
    /// Promoted.
    pub paid: bool,
    /// Hashtags in the caption.
    pub hashtags: u32,
}

/// A post's expected engagement and its parts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Expected {
    /// Expected interactions / impressions: the noise-free score.
    pub rate: f64,
    /// The design term `D` (before the paid multiplier).
    pub design: f64,
    /// The context term `C`.
    pub context: f64,
}

impl GroundTruth {
    /// A ground truth for retraining tests whose one dominant effect
    /// reverses at `at`: colour weighs `weight` in every platform's design
    /// term before (`w_col`, the default table's other weights unchanged)
    /// and `-weight` from `at` on. A model trained before `at` then ranks
    /// the new posts upside down, and one trained after learns the new
    /// sign; the default [`PlatformTable::shifted`] moves weights too
    /// little for the few hundred posts a week of a test lake to show it.
    ///
    /// After `at` the base rates are `exp(weight)` times higher, so that
    /// grey designs engage as colourful ones did and the rates stay in the
    /// same range: lowered rates would leave small accounts' posts with a
    /// handful of interactions each, ranked by counting noise rather than
    /// by design.
    pub fn colour_reversal(at: DateTime<Utc>, weight: f64) -> GroundTruth {
        let table = |w: f64, base_factor: f64| {
            let mut t = PlatformTable::default();
            for p in Platform::ALL.into_iter().filter(|p| p.has_posts()) {
                let weights = t.get_mut(p);
                weights.colorfulness = w;
                weights.base_rate *= base_factor;
            }
            t
        };
        GroundTruth {
            weights: table(weight, 1.0),
            shift: Some(Shift {
                at,
                weights: table(-weight, weight.exp()),
            }),
            ..GroundTruth::default()
        }
    }

    /// The weights in force on `platform` at `at`.
    pub fn weights_at(&self, platform: Platform, at: DateTime<Utc>) -> &Weights {
        match &self.shift {
            Some(shift) if at >= shift.at => shift.weights.get(platform),
            _ => self.weights.get(platform),
        }
    }

    /// The design term `D` of a design on `platform` under `w`.
    pub fn design_term(w: &Weights, p: &Properties, platform: Platform) -> f64 {
        // Hues only clash (or agree) where there is colour to see.
        let colour_amount = (p.colorfulness / 40.0).min(1.0);
        let colour = w.colorfulness * (p.colorfulness / 40.0).tanh()
            + w.harmony * (2.0 * p.harmony - 1.0) * colour_amount;
        let text = if p.has_text {
            let amount = (p.text_coverage / 0.04).min(1.0);
            let aa = if p.text_contrast >= WCAG_AA { 1.0 } else { 0.0 };
            let bell = 1.0 - ((p.text_coverage - w.coverage_optimum) / w.coverage_optimum).powi(2);
            (w.readability * (2.0 * p.readability - 1.0) + w.accessible * aa) * amount
                + w.coverage * bell.max(-1.0)
        } else {
            w.no_text
        };
        let composition = w.thirds * (2.0 * p.thirds - 1.0);
        let fit = platform_aspect_fit(p.aspect_ratio, platform.name()).unwrap_or(0.0);
        let aspect = -w.aspect * (1.0 - (-fit / 0.25).exp());
        let complexity = w.complexity * (1.0 - 2.0 * (p.complexity - w.complexity_optimum).abs());
        colour + text + composition + aspect + complexity
    }

    /// The context term `C` of a post under `w`.
    pub fn context_term(w: &Weights, c: &Context) -> f64 {
        let t = c.published_at;
        let hour = f64::from(t.hour()) + f64::from(t.minute()) / 60.0;
        let d = (hour - w.peak_hour).rem_euclid(24.0);
        let d = d.min(24.0 - d);
        let weekend = matches!(t.weekday(), Weekday::Sat | Weekday::Sun);
        w.hour * (-d * d / (2.0 * 2.5 * 2.5)).exp() + if weekend { w.weekend } else { 0.0 }
            - w.audience * (c.audience.max(1) as f64 / REFERENCE_AUDIENCE).ln()
            + if c.paid { w.paid } else { 0.0 }
            + w.hashtags * (-((f64::from(c.hashtags) - w.hashtag_optimum) / 4.0).powi(2)).exp()
    }

    /// The expected engagement rate of a design's post in a context.
    pub fn expected(&self, p: &Properties, c: &Context) -> Expected {
        let w = self.weights_at(c.platform, c.published_at);
        let design = Self::design_term(w, p, c.platform);
        let context = Self::context_term(w, c);
        let boost = if c.paid { 1.0 + w.paid_design } else { 1.0 };
        let rate = (w.base_rate.ln() + design * boost + context)
            .exp()
            .min(MAX_RATE);
        Expected {
            rate,
            design,
            context,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn props() -> Properties {
        Properties {
            aspect_ratio: 1.0,
            colorfulness: 30.0,
            saturation: 0.3,
            brightness: 0.6,
            complexity: 0.4,
            harmony: 0.7,
            has_text: true,
            text_contrast: 3.0,
            text_coverage: 0.1,
            text_size: 0.03,
            readability: 0.5,
            thirds: 0.5,
            focal_offset: 0.1,
        }
    }

    fn context(platform: Platform) -> Context {
        Context {
            platform,
            published_at: Utc.with_ymd_and_hms(2026, 3, 4, 12, 0, 0).unwrap(),
            audience: 20_000,
            paid: false,
            hashtags: 3,
        }
    }

    #[test]
    fn the_shift_switches_weights_at_its_date() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let truth = GroundTruth {
            shift: Some(Shift {
                at,
                weights: PlatformTable::shifted(),
            }),
            ..GroundTruth::default()
        };
        let before = at - chrono::Duration::seconds(1);
        assert_eq!(
            truth.weights_at(Platform::Linkedin, before),
            &PlatformTable::default().linkedin
        );
        assert_eq!(
            truth.weights_at(Platform::Linkedin, at),
            &PlatformTable::shifted().linkedin
        );
        let mut colourful = props();
        colourful.colorfulness = 90.0;
        let gain =
            |c: Context| truth.expected(&colourful, &c).rate / truth.expected(&props(), &c).rate;
        let mut late = context(Platform::Linkedin);
        late.published_at = at + chrono::Duration::days(3);
        let mut early = context(Platform::Linkedin);
        early.published_at = before;
        assert!(
            gain(late) > gain(early) * 1.1,
            "{} {}",
            gain(late),
            gain(early)
        );
    }

    #[test]
    fn the_colour_reversal_turns_colour_from_a_gain_into_a_loss() {
        let at = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap();
        let truth = GroundTruth::colour_reversal(at, 1.5);
        let mut colourful = props();
        colourful.colorfulness = 90.0;
        let mut grey = props();
        grey.colorfulness = 0.0;
        for platform in Platform::ALL.into_iter().filter(|p| p.has_posts()) {
            let gain = |published_at| {
                let c = Context {
                    published_at,
                    ..context(platform)
                };
                truth.expected(&colourful, &c).rate / truth.expected(&grey, &c).rate
            };
            let (before, after) = (gain(at - chrono::Duration::hours(1)), gain(at));
            assert!(
                before > 2.0 && after < 0.5,
                "{platform:?}: {before} {after}"
            );
        }
    }

    #[test]
    fn larger_audiences_engage_at_lower_rates() {
        let truth = GroundTruth::default();
        let mut big = context(Platform::Instagram);
        big.audience = 1_000_000;
        assert!(
            truth.expected(&props(), &big).rate
                < truth.expected(&props(), &context(Platform::Instagram)).rate
        );
    }

    #[test]
    fn the_weight_table_in_the_module_docs_is_the_default() {
        let docs = include_str!("mod.rs");
        let table = PlatformTable::default();
        let order = [
            Platform::Instagram,
            Platform::Facebook,
            Platform::Linkedin,
            Platform::Tiktok,
            Platform::X,
            Platform::Dribbble,
            Platform::Behance,
        ];
        let field = |name: &str, w: &Weights| -> f64 {
            match name {
                "base_rate" => w.base_rate,
                "w_col" => w.colorfulness,
                "w_har" => w.harmony,
                "w_read" => w.readability,
                "w_aa" => w.accessible,
                "w_cov" => w.coverage,
                "cov_opt" => w.coverage_optimum,
                "w_none" => w.no_text,
                "w_thirds" => w.thirds,
                "w_asp" => w.aspect,
                "w_cx" => w.complexity,
                "cx_opt" => w.complexity_optimum,
                "w_hour" => w.hour,
                "peak_hour" => w.peak_hour,
                "w_wkend" => w.weekend,
                "w_aud" => w.audience,
                "w_paid" => w.paid,
                "k_paid" => w.paid_design,
                "w_tag" => w.hashtags,
                "tag_opt" => w.hashtag_optimum,
                other => panic!("the docs name an unknown weight {other}"),
            }
        };
        let mut rows = 0;
        for line in docs.lines().filter_map(|l| l.strip_prefix("//! | `")) {
            let name = line.split('`').next().unwrap();
            let cells: Vec<&str> = line
                .split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .collect();
            // Weight rows: a name and one number per platform.
            if cells.len() != 8 || cells[1..].iter().any(|c| c.parse::<f64>().is_err()) {
                continue;
            }
            for (platform, cell) in order.iter().zip(&cells[1..]) {
                let documented: f64 = cell.parse().expect("checked above");
                assert_eq!(
                    documented,
                    field(name, table.get(*platform)),
                    "{name} on {platform:?}"
                );
            }
            rows += 1;
        }
        assert_eq!(rows, 20, "every weight has a row in the docs");
    }
}
