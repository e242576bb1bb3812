//! What the simulator serves: accounts, posts with their metrics, images and
//! A/B experiments: the synthetic world of [`crate::synth`] (rendered
//! designs whose engagement follows a known ground truth), generated
//! deterministically from a seed and shaped the way the routes read it.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};

use crate::collect::Platform;
use crate::synth::{self, Design, ImageFormat, SynthConfig};

pub use crate::synth::Rng;

/// How big a world to make.
#[derive(Debug, Clone)]
pub struct WorldConfig {
    /// Same seed, same world.
    pub seed: u64,
    /// Posts over all platforms.
    pub posts: usize,
    /// Accounts per platform.
    pub accounts_per_platform: usize,
    /// First publication day.
    pub start: NaiveDate,
    /// Days of publications.
    pub days: u32,
    /// A/B experiments.
    pub experiments: usize,
}

impl Default for WorldConfig {
    fn default() -> Self {
        WorldConfig {
            seed: 42,
            posts: 700,
            accounts_per_platform: 2,
            start: NaiveDate::from_ymd_opt(2026, 9, 1).expect("a valid date"),
            days: 60,
            experiments: 20,
        }
    }
}

/// An account on a platform.
#[derive(Debug, Clone)]
pub struct Account {
    /// Its platform.
    pub platform: Platform,
    /// Its id.
    pub id: String,
    /// Followers.
    pub followers: u64,
}

/// A published post and the metrics the platform reports for it.
#[derive(Debug, Clone)]
pub struct Post {
    /// Its platform.
    pub platform: Platform,
    /// The publishing account.
    pub account: String,
    /// The platform's id.
    pub id: String,
    /// Publication time.
    pub published_at: DateTime<Utc>,
    /// Its text.
    pub caption: String,
    /// The image's id in [`World::images`], if it has one.
    pub image: Option<String>,
    /// Promoted.
    pub paid: bool,
    /// Likes (reactions, appreciations).
    pub likes: u64,
    /// Comments.
    pub comments: u64,
    /// Shares.
    pub shares: u64,
    /// Saves.
    pub saves: u64,
    /// Clicks.
    pub clicks: u64,
    /// Views.
    pub views: u64,
    /// Reach.
    pub reach: u64,
    /// Impressions.
    pub impressions: u64,
}

impl Post {
    /// The id the platform's API gives the post, which the collector lands
    /// as `post_id`.
    pub fn served_id(&self) -> String {
        served_post_id(self.platform, &self.account, &self.id)
    }
}

/// The id a platform's API gives a post of `account` whose synthetic id
/// is `id`: Facebook's `<page>_<id>`, LinkedIn's share URN, the id itself
/// elsewhere. The world's truth is written under these ids, so it meets
/// the lake's posts (`sim serve --truth-dir`).
pub fn served_post_id(platform: Platform, account: &str, id: &str) -> String {
    match platform {
        Platform::Facebook => format!("{account}_{id}"),
        Platform::Linkedin => format!("urn:li:share:{id}"),
        _ => id.to_string(),
    }
}

/// One arm of an experiment.
#[derive(Debug, Clone)]
pub struct Variation {
    /// The tool's variation id.
    pub id: String,
    /// `a`, `b`.
    pub key: String,
    /// The design shown.
    pub image: String,
    /// Visitors exposed.
    pub visitors: u64,
    /// Conversions.
    pub conversions: u64,
    /// Clicks.
    pub clicks: u64,
}

/// An A/B experiment.
#[derive(Debug, Clone)]
pub struct Experiment {
    /// Its id.
    pub id: String,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Its arms; the first is the baseline.
    pub variations: Vec<Variation>,
    /// The significance the tool reports.
    pub significance: f64,
}

/// How to draw an image.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// A seed for its look.
    pub seed: u64,
    /// The synthetic design it shows, with its ground truth.
    pub design: Arc<Design>,
}

impl ImageSpec {
    fn of(design: Design) -> ImageSpec {
        ImageSpec {
            width: design.width,
            height: design.height,
            seed: design.seed,
            design: Arc::new(design),
        }
    }
}

/// Everything the simulator serves.
#[derive(Debug, Clone)]
pub struct World {
    /// Accounts of every platform.
    pub accounts: Vec<Account>,
    /// Posts, grouped by account, newest first within one.
    pub posts: Vec<Post>,
    /// Experiments, oldest first.
    pub experiments: Vec<Experiment>,
    /// Image id to how to render it.
    pub images: BTreeMap<String, ImageSpec>,
}

impl World {
    /// Generates a world: the synthetic world of `config.posts` posts over
    /// the posting platforms, its designs as images, and its A/B tests.
    pub fn generate(config: &WorldConfig) -> World {
        World::from_synth(World::generate_synth(config))
    }

    /// The synthetic world [`World::generate`] serves, with its truth (to
    /// write it with [`synth::write_truth`] before serving it).
    pub fn generate_synth(config: &WorldConfig) -> synth::SynthWorld {
        let synth_config = SynthConfig::default()
            .with_seed(config.seed)
            .with_posts(config.posts)
            .with_accounts(config.accounts_per_platform)
            .with_period(config.start, config.days)
            .with_experiments(config.experiments);
        synth::generate(&synth_config)
    }

    /// The simulator's view of a synthetic world.
    pub fn from_synth(world: synth::SynthWorld) -> World {
        let accounts = world
            .accounts
            .iter()
            .map(|a| Account {
                platform: a.platform,
                id: a.id.clone(),
                followers: a.followers,
            })
            .collect();
        let mut posts: Vec<Post> = world
            .posts
            .iter()
            .map(|p| Post {
                platform: p.platform,
                account: p.account.clone(),
                id: p.id.clone(),
                published_at: p.published_at,
                caption: p.caption.clone(),
                image: Some(p.design.clone()),
                paid: p.paid,
                likes: p.metrics.likes,
                comments: p.metrics.comments,
                shares: p.metrics.shares,
                saves: p.metrics.saves,
                clicks: p.metrics.clicks,
                views: p.metrics.views,
                reach: p.metrics.reach,
                impressions: p.metrics.impressions,
            })
            .collect();
        posts.sort_by(|a, b| {
            (a.platform, &a.account)
                .cmp(&(b.platform, &b.account))
                .then(b.published_at.cmp(&a.published_at))
        });
        let mut experiments: Vec<Experiment> = world
            .experiments
            .iter()
            .map(|e| Experiment {
                id: e.id.clone(),
                started_at: e.started_at,
                variations: e
                    .arms
                    .iter()
                    .map(|a| Variation {
                        id: a.id.clone(),
                        key: a.key.clone(),
                        image: a.design.clone(),
                        visitors: a.visitors,
                        conversions: a.conversions,
                        clicks: a.clicks,
                    })
                    .collect(),
                significance: e.significance,
            })
            .collect();
        experiments.sort_by(|a, b| a.started_at.cmp(&b.started_at).then(a.id.cmp(&b.id)));
        let images = world
            .designs
            .into_iter()
            .map(|d| (d.id.clone(), ImageSpec::of(d)))
            .collect();
        World {
            accounts,
            posts,
            experiments,
            images,
        }
    }

    /// The posts of one account, newest first.
    pub fn posts_of<'a>(
        &'a self,
        platform: Platform,
        account: &'a str,
    ) -> impl Iterator<Item = &'a Post> + 'a {
        self.posts
            .iter()
            .filter(move |p| p.platform == platform && p.account == account)
    }

    /// The account with this id on this platform.
    pub fn account(&self, platform: Platform, id: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.platform == platform && a.id == id)
    }
}

/// Renders an image as PNG bytes (deterministic: the same bytes every call).
pub fn render_png(spec: &ImageSpec) -> Vec<u8> {
    synth::encode_as(&spec.design, ImageFormat::Png)
}
