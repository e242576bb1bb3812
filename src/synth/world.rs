//! Assembling a world: designs, accounts, posts with their metrics drawn
//! from the ground truth, A/B tests between variants of a design, and the
//! labels and ceiling over the posts.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use rayon::prelude::*;
use serde::{Serialize, Serializer};

use super::ceiling::{percentile_in_groups, Ceiling};
use super::design::Design;
use super::layout::Recipe;
use super::rng::Rng;
use super::text;
use super::truth::{Context, GroundTruth};
use crate::collect::Platform;
use crate::features::native_ratios;

/// Random streams of one seed, so that changing one count does not move
/// the others' draws.
const DESIGN_STREAM: u64 = 1;
const POST_STREAM: u64 = 2;
const ACCOUNT_STREAM: u64 = 3;
const EXPERIMENT_STREAM: u64 = 4;

/// How big a world to make, and under which ground truth.
#[derive(Debug, Clone)]
pub struct SynthConfig {
    /// Same seed, same world, byte for byte.
    pub seed: u64,
    /// Designs that get posts.
    pub designs: usize,
    /// Stop adding posts (and designs) at this many posts.
    pub max_posts: Option<usize>,
    /// Accounts per platform.
    pub accounts_per_platform: usize,
    /// First publication day.
    pub start: NaiveDate,
    /// Days of publications.
    pub days: u32,
    /// A/B tests (each adds two designs).
    pub experiments: usize,
    /// The engagement function.
    pub truth: GroundTruth,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 42,
            designs: 1000,
            max_posts: None,
            accounts_per_platform: 3,
            start: NaiveDate::from_ymd_opt(2026, 1, 1).expect("a valid date"),
            days: 180,
            experiments: 20,
            truth: GroundTruth::default(),
        }
    }
}

impl SynthConfig {
    /// With this seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// With this many designs.
    pub fn with_designs(mut self, designs: usize) -> Self {
        self.designs = designs;
        self
    }
    /// With exactly this many posts (as many designs as they need).
    pub fn with_posts(mut self, posts: usize) -> Self {
        self.designs = posts;
        self.max_posts = Some(posts);
        self
    }
    /// With this many accounts per platform.
    pub fn with_accounts(mut self, accounts: usize) -> Self {
        self.accounts_per_platform = accounts;
        self
    }
    /// Publishing from `start` for `days` days.
    pub fn with_period(mut self, start: NaiveDate, days: u32) -> Self {
        self.start = start;
        self.days = days;
        self
    }
    /// With this many A/B tests.
    pub fn with_experiments(mut self, experiments: usize) -> Self {
        self.experiments = experiments;
        self
    }
    /// Under this ground truth.
    pub fn with_truth(mut self, truth: GroundTruth) -> Self {
        self.truth = truth;
        self
    }
}

fn platform_name<S: Serializer>(p: &Platform, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.name())
}

/// The platforms that publish posts.
pub fn posting_platforms() -> Vec<Platform> {
    Platform::ALL
        .into_iter()
        .filter(|p| p.has_posts())
        .collect()
}

/// An account on a platform.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// Its platform.
    #[serde(serialize_with = "platform_name")]
    pub platform: Platform,
    /// Its id.
    pub id: String,
    /// Followers.
    pub followers: u64,
}

/// The counts a platform reports for a post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Metrics {
    /// Likes (reactions, appreciations).
    pub likes: u64,
    /// Comments (replies).
    pub comments: u64,
    /// Shares (retweets).
    pub shares: u64,
    /// Saves (bookmarks).
    pub saves: u64,
    /// Link clicks.
    pub clicks: u64,
    /// Views.
    pub views: u64,
    /// Unique accounts reached.
    pub reach: u64,
    /// Times shown.
    pub impressions: u64,
}

impl Metrics {
    /// Interactions as the label counts them: likes + comments + shares +
    /// saves + clicks (a metric a platform does not report is 0).
    pub fn interactions(&self) -> u64 {
        self.likes + self.comments + self.shares + self.saves + self.clicks
    }
}

/// An interaction count a platform may report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interaction {
    /// Likes.
    Likes,
    /// Comments.
    Comments,
    /// Shares.
    Shares,
    /// Saves.
    Saves,
    /// Clicks.
    Clicks,
}

/// The interactions each platform reports, with the share of interactions
/// each takes. What a platform does not report stays 0.
pub fn reported(platform: Platform) -> &'static [(Interaction, f64)] {
    use Interaction::*;
    match platform {
        Platform::Instagram => &[
            (Likes, 0.8),
            (Comments, 0.04),
            (Shares, 0.05),
            (Saves, 0.11),
        ],
        Platform::Facebook => &[
            (Likes, 0.55),
            (Comments, 0.08),
            (Shares, 0.07),
            (Clicks, 0.3),
        ],
        Platform::Linkedin => &[
            (Likes, 0.35),
            (Comments, 0.05),
            (Shares, 0.05),
            (Clicks, 0.55),
        ],
        Platform::Tiktok => &[(Likes, 0.86), (Comments, 0.06), (Shares, 0.08)],
        Platform::X => &[(Likes, 0.65), (Comments, 0.1), (Shares, 0.15), (Saves, 0.1)],
        Platform::Dribbble => &[(Likes, 0.9), (Comments, 0.1)],
        Platform::Behance | Platform::Optimizely => &[(Likes, 0.92), (Comments, 0.08)],
    }
}

/// A published post, its metrics and its truth.
#[derive(Debug, Clone, Serialize)]
pub struct SynthPost {
    /// Its platform.
    #[serde(serialize_with = "platform_name")]
    pub platform: Platform,
    /// The publishing account.
    pub account: String,
    /// The platform's id.
    pub id: String,
    /// The design shown.
    pub design: String,
    /// Publication time.
    pub published_at: DateTime<Utc>,
    /// Its text.
    pub caption: String,
    /// Hashtags in the caption.
    pub hashtags: u32,
    /// Promoted.
    pub paid: bool,
    /// The account's followers when it was published.
    pub audience: u64,
    /// What the platform reports.
    pub metrics: Metrics,
    /// Expected interactions / impressions (the noise-free rate).
    pub expected_rate: f64,
    /// The design term of the ground truth.
    pub design_term: f64,
    /// The context term of the ground truth.
    pub context_term: f64,
    /// Interactions / impressions as reported.
    pub observed_rate: f64,
    /// The label: percentile of `observed_rate` among posts of the same
    /// platform and calendar month.
    pub performance_score: f64,
    /// The same percentile of `expected_rate`: the best prediction.
    pub noise_free_score: f64,
}

/// What an A/B test changes between its variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Text contrast, low against high.
    TextContrast,
    /// Focal object off against on the thirds.
    Thirds,
    /// Clashing against harmonious hues.
    Harmony,
    /// Muted against vivid colour.
    Colour,
    /// Another layout template.
    Layout,
}

/// One arm of an A/B test.
#[derive(Debug, Clone, Serialize)]
pub struct Arm {
    /// `a` or `b`.
    pub key: String,
    /// The tool's variation id.
    pub id: String,
    /// The design shown.
    pub design: String,
    /// Visitors exposed.
    pub visitors: u64,
    /// Conversions, Binomial(visitors, true conversion rate).
    pub conversions: u64,
    /// Clicks, Binomial(visitors, true click rate).
    pub clicks: u64,
    /// The arm's true conversion rate.
    pub true_conversion_rate: f64,
    /// The arm's true click-through rate.
    pub true_click_rate: f64,
    /// The design term of its design on the test's platform.
    pub design_term: f64,
}

/// An A/B test of two variants of one design.
#[derive(Debug, Clone, Serialize)]
pub struct SynthExperiment {
    /// Its id.
    pub id: String,
    /// Where the variants ran.
    #[serde(serialize_with = "platform_name")]
    pub platform: Platform,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// What differs between the arms.
    pub change: Change,
    /// Baseline and variant.
    pub arms: [Arm; 2],
    /// 1 - p of the two-sided two-proportion z-test on conversions.
    pub significance: f64,
}

/// A generated world.
#[derive(Debug, Clone)]
pub struct SynthWorld {
    /// The configuration it was made from.
    pub config: SynthConfig,
    /// Every design: the posted ones, then the A/B variants.
    pub designs: Vec<Design>,
    /// Accounts of every posting platform.
    pub accounts: Vec<Account>,
    /// Posts, in publication order of generation (design by design).
    pub posts: Vec<SynthPost>,
    /// A/B tests.
    pub experiments: Vec<SynthExperiment>,
    /// How well the noise-free score predicts the label.
    pub ceiling: Ceiling,
}

/// Account id prefixes in each platform's style.
pub fn account_prefix(platform: Platform) -> &'static str {
    match platform {
        Platform::Instagram => "1784140",
        Platform::Facebook => "10460",
        Platform::Linkedin => "",
        Platform::Tiktok => "tt_user_",
        Platform::X => "44196",
        Platform::Dribbble => "studio",
        Platform::Behance => "designer",
        Platform::Optimizely => "project",
    }
}

/// Post id prefixes in each platform's style.
pub fn post_prefix(platform: Platform) -> &'static str {
    match platform {
        Platform::Instagram => "179",
        Platform::Facebook => "post_",
        Platform::Tiktok => "73",
        Platform::X => "18",
        _ => "",
    }
}

fn accounts(config: &SynthConfig) -> Vec<Account> {
    let mut rng = Rng::derive(config.seed, ACCOUNT_STREAM, 0);
    let mut out = Vec::new();
    for platform in posting_platforms() {
        for i in 0..config.accounts_per_platform.max(1) {
            out.push(Account {
                platform,
                id: format!("{}{}", account_prefix(platform), 1000 + i),
                followers: 10f64.powf(rng.range(2.7, 6.2)) as u64,
            });
        }
    }
    out
}

/// Platforms for a design of this aspect ratio: mostly ones it fits.
fn choose_platforms(rng: &mut Rng, ratio: f64, count: usize) -> Vec<Platform> {
    let all = posting_platforms();
    let fitting: Vec<Platform> = all
        .iter()
        .copied()
        .filter(|p| {
            native_ratios(p.name())
                .iter()
                .any(|n| (ratio / n).ln().abs() < 0.05)
        })
        .collect();
    let mut chosen = Vec::new();
    while chosen.len() < count.min(all.len()) {
        let pool = if !fitting.is_empty() && rng.chance(0.65) {
            &fitting
        } else {
            &all
        };
        let p = *rng.pick(pool);
        if !chosen.contains(&p) {
            chosen.push(p);
        } else if pool.len() == fitting.len() && fitting.iter().all(|f| chosen.contains(f)) {
            // Every fitting platform is taken: draw from all of them.
            let q = *rng.pick(&all);
            if !chosen.contains(&q) {
                chosen.push(q);
            }
        }
    }
    chosen
}

fn posting_time(rng: &mut Rng, config: &SynthConfig, peak_hour: f64) -> DateTime<Utc> {
    let start = Utc.from_utc_datetime(&config.start.and_hms_opt(0, 0, 0).expect("midnight"));
    let day = rng.below(u64::from(config.days.max(1))) as i64;
    let hour = if rng.chance(0.6) {
        (peak_hour + 3.0 * rng.normal()).rem_euclid(24.0)
    } else {
        rng.range(0.0, 24.0)
    };
    start + Duration::days(day) + Duration::seconds((hour * 3600.0) as i64)
}

fn impressions(rng: &mut Rng, platform: Platform, followers: u64, paid: bool) -> u64 {
    let share = if platform == Platform::Tiktok {
        (0.9 * rng.normal()).exp()
    } else {
        (0.25f64.ln() + 0.5 * rng.normal()).exp()
    };
    let mut shown = followers as f64 * share;
    if paid {
        shown += followers as f64 * rng.range(0.5, 3.0) + rng.range(2_000.0, 20_000.0);
    }
    shown as u64 + 50
}

fn metrics(rng: &mut Rng, platform: Platform, impressions: u64, rate: f64) -> Metrics {
    let mut left = rng.binomial(impressions, rate);
    let mut m = Metrics {
        impressions,
        views: impressions,
        reach: ((impressions as f64 / rng.range(1.05, 1.5)) as u64).max(1),
        ..Metrics::default()
    };
    let shares = reported(platform);
    let mut rest = 1.0;
    for (k, (kind, share)) in shares.iter().enumerate() {
        let n = if k + 1 == shares.len() {
            left
        } else {
            rng.binomial(left, share / rest)
        };
        left -= n;
        rest -= share;
        match kind {
            Interaction::Likes => m.likes = n,
            Interaction::Comments => m.comments = n,
            Interaction::Shares => m.shares = n,
            Interaction::Saves => m.saves = n,
            Interaction::Clicks => m.clicks = n,
        }
    }
    m
}

/// The usual number of hashtags on a platform.
fn hashtag_count(rng: &mut Rng, platform: Platform) -> u32 {
    let most = match platform {
        Platform::Instagram => 16,
        Platform::Tiktok => 9,
        Platform::X => 4,
        Platform::Linkedin => 6,
        _ => 7,
    };
    rng.below(most) as u32
}

/// Generates a world.
pub fn generate(config: &SynthConfig) -> SynthWorld {
    let accounts = accounts(config);
    let mut post_rng = Rng::derive(config.seed, POST_STREAM, 0);
    // How many posts each design gets, up to the post budget.
    let mut per_design = Vec::new();
    let mut total = 0usize;
    for _ in 0..config.designs {
        if config.max_posts.is_some_and(|m| total >= m) {
            break;
        }
        let mut k = 1 + post_rng.weighted(&[0.5, 0.35, 0.15]);
        if let Some(m) = config.max_posts {
            k = k.min(m - total);
        }
        per_design.push(k);
        total += k;
    }
    let designs: Vec<Design> = (0..per_design.len())
        .into_par_iter()
        .map(|i| {
            let seed = Rng::derive(config.seed, DESIGN_STREAM, i as u64).next_u64();
            Recipe::random(seed, None).build(&format!("d{i:06}"))
        })
        .collect();
    let mut posts = Vec::with_capacity(total);
    for (design, &k) in designs.iter().zip(&per_design) {
        let headline = design
            .text
            .iter()
            .find(|l| l.role == super::design::TextRole::Headline)
            .map(|l| l.text.as_str());
        for platform in choose_platforms(&mut post_rng, design.aspect_ratio(), k) {
            let on_platform: Vec<&Account> =
                accounts.iter().filter(|a| a.platform == platform).collect();
            let account = *post_rng.pick(&on_platform);
            let paid = post_rng.chance(0.18);
            let hashtags = hashtag_count(&mut post_rng, platform);
            let peak = config.truth.weights.get(platform).peak_hour;
            let published_at = posting_time(&mut post_rng, config, peak);
            let context = Context {
                platform,
                published_at,
                audience: account.followers,
                paid,
                hashtags,
            };
            let expected = config.truth.expected(&design.properties, &context);
            let sigma = config.truth.noise_sigma;
            let noisy =
                (expected.rate * (sigma * post_rng.normal() - 0.5 * sigma * sigma).exp()).min(0.95);
            let shown = impressions(&mut post_rng, platform, account.followers, paid);
            let metrics = metrics(&mut post_rng, platform, shown, noisy);
            let n = posts.len();
            posts.push(SynthPost {
                platform,
                account: account.id.clone(),
                id: format!("{}{}", post_prefix(platform), 10_000_000 + n),
                design: design.id.clone(),
                published_at,
                caption: text::caption(&mut post_rng, headline, hashtags as usize),
                hashtags,
                paid,
                audience: account.followers,
                observed_rate: metrics.interactions() as f64 / metrics.impressions.max(1) as f64,
                metrics,
                expected_rate: expected.rate,
                design_term: expected.design,
                context_term: expected.context,
                performance_score: 0.0,
                noise_free_score: 0.0,
            });
        }
    }
    let ceiling = label(&mut posts);
    let (experiments, variants) = experiments(config);
    let mut all_designs = designs;
    all_designs.extend(variants);
    SynthWorld {
        config: config.clone(),
        designs: all_designs,
        accounts,
        posts,
        experiments,
        ceiling,
    }
}

/// Fills each post's label and noise-free score; returns the ceiling.
fn label(posts: &mut [SynthPost]) -> Ceiling {
    let groups: Vec<(Platform, i32, u32)> = posts
        .iter()
        .map(|p| (p.platform, p.published_at.year(), p.published_at.month()))
        .collect();
    let observed: Vec<f64> = posts.iter().map(|p| p.observed_rate).collect();
    let expected: Vec<f64> = posts.iter().map(|p| p.expected_rate).collect();
    let label = percentile_in_groups(&groups, &observed);
    let clean = percentile_in_groups(&groups, &expected);
    for (p, (l, c)) in posts.iter_mut().zip(label.iter().zip(&clean)) {
        p.performance_score = *l;
        p.noise_free_score = *c;
    }
    let names: Vec<&str> = posts.iter().map(|p| p.platform.name()).collect();
    Ceiling::compute(&names, &label, &clean)
}

/// 1 - p of the two-sided two-proportion z-test.
pub fn significance(conv_a: u64, n_a: u64, conv_b: u64, n_b: u64) -> f64 {
    let (na, nb) = (n_a.max(1) as f64, n_b.max(1) as f64);
    crate::stats::two_proportion_z(conv_b as f64, nb, conv_a as f64, na)
        .map_or(0.0, |(_, p)| 1.0 - p)
}

/// A/B tests and their variant designs.
fn experiments(config: &SynthConfig) -> (Vec<SynthExperiment>, Vec<Design>) {
    let built: Vec<(SynthExperiment, [Design; 2])> = (0..config.experiments)
        .into_par_iter()
        .map(|e| experiment(config, e))
        .collect();
    let mut tests = Vec::new();
    let mut designs = Vec::new();
    for (t, [a, b]) in built {
        tests.push(t);
        designs.push(a);
        designs.push(b);
    }
    (tests, designs)
}

fn experiment(config: &SynthConfig, e: usize) -> (SynthExperiment, [Design; 2]) {
    let mut rng = Rng::derive(config.seed, EXPERIMENT_STREAM, e as u64);
    let platform = *rng.pick(&posting_platforms());
    let base = Recipe::random(rng.next_u64(), None);
    let change = *rng.pick(&[
        Change::TextContrast,
        Change::Thirds,
        Change::Harmony,
        Change::Colour,
        Change::Layout,
    ]);
    let (mut worse, mut better) = (base.clone(), base);
    match change {
        Change::TextContrast => {
            worse.text_contrast = rng.range(1.3, 3.0);
            better.text_contrast = rng.range(7.0, 15.0);
        }
        Change::Thirds => {
            worse.on_thirds = false;
            better.on_thirds = true;
        }
        Change::Harmony => {
            worse.harmony = rng.range(0.0, 0.3);
            better.harmony = rng.range(0.85, 1.0);
        }
        Change::Colour => {
            worse.vividness = rng.range(0.0, 0.2);
            better.vividness = rng.range(0.75, 1.0);
        }
        Change::Layout => {
            let other = Recipe::random(rng.next_u64(), Some((better.width, better.height)));
            better.layout = other.layout;
            better.background = other.background;
        }
    }
    // Which arm gets which recipe is a coin toss: the baseline is not always worse.
    let recipes = if rng.chance(0.5) {
        [worse, better]
    } else {
        [better, worse]
    };
    let designs = [
        recipes[0].build(&format!("ab{e:04}a")),
        recipes[1].build(&format!("ab{e:04}b")),
    ];
    let start = Utc.from_utc_datetime(&config.start.and_hms_opt(0, 0, 0).expect("midnight"));
    let started_at =
        start + Duration::seconds(rng.below(u64::from(config.days.max(1)) * 86_400) as i64);
    let weights = config.truth.weights_at(platform, started_at);
    let terms = designs
        .each_ref()
        .map(|d| GroundTruth::design_term(weights, &d.properties, platform));
    let (cvr0, ctr0) = (rng.range(0.01, 0.05), rng.range(0.04, 0.12));
    let visitors = 4_000 + rng.below(16_000);
    let first = rng.binomial(visitors, 0.5);
    let counts = [first, visitors - first];
    let arms: [Arm; 2] = std::array::from_fn(|v| {
        let lift = (terms[v] - terms[0]).exp();
        let (cvr, ctr) = ((cvr0 * lift).min(0.9), (ctr0 * lift).min(0.9));
        Arm {
            key: ["a", "b"][v].to_string(),
            id: format!("{}", 20_000 + e * 2 + v),
            design: designs[v].id.clone(),
            visitors: counts[v],
            conversions: rng.binomial(counts[v], cvr),
            clicks: rng.binomial(counts[v], ctr),
            true_conversion_rate: cvr,
            true_click_rate: ctr,
            design_term: terms[v],
        }
    });
    let significance = significance(
        arms[0].conversions,
        arms[0].visitors,
        arms[1].conversions,
        arms[1].visitors,
    );
    (
        SynthExperiment {
            id: format!("{}", 9_000_000 + e),
            platform,
            started_at,
            change,
            arms,
            significance,
        },
        designs,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_z_test_matches_the_closed_form() {
        // 105/5000 against 97/5100: z = -0.71078, two-sided p = 0.47722
        // (scipy.stats.norm and math.erf agree).
        let s = significance(105, 5000, 97, 5100);
        assert!((s - 0.522_776_752).abs() < 1e-6, "{s}");
    }

    #[test]
    fn a_post_budget_is_met_exactly() {
        let config = SynthConfig::default().with_posts(23).with_experiments(1);
        let world = generate(&config);
        assert_eq!(world.posts.len(), 23);
        assert_eq!(world.experiments.len(), 1);
        assert!(world.designs.len() <= 23 + 2);
        for p in &world.posts {
            assert_eq!(p.metrics.impressions, p.metrics.views);
            for (kind, _) in [(Interaction::Saves, 0.0), (Interaction::Clicks, 0.0)] {
                let reports = reported(p.platform).iter().any(|(k, _)| *k == kind);
                let value = if kind == Interaction::Saves {
                    p.metrics.saves
                } else {
                    p.metrics.clicks
                };
                assert!(reports || value == 0, "{:?} {kind:?}", p.platform);
            }
        }
    }
}
