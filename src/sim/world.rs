//! What the simulator serves: accounts, posts with their metrics, images and
//! A/B experiments, generated deterministically from a seed.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};

use crate::collect::Platform;

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

/// A small deterministic generator (splitmix64): the world must not depend
/// on a crate's random stream changing between versions.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in [0, n).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

const SIZES: [(u32, u32); 6] = [
    (1080, 1080),
    (1080, 1350),
    (1080, 1920),
    (1200, 627),
    (1200, 630),
    (1600, 900),
];

impl World {
    /// Generates a world.
    pub fn generate(config: &WorldConfig) -> World {
        let mut rng = Rng::new(config.seed);
        let platforms: Vec<Platform> = Platform::ALL
            .into_iter()
            .filter(|p| p.has_posts())
            .collect();
        let mut accounts = Vec::new();
        for &platform in &platforms {
            for i in 0..config.accounts_per_platform.max(1) {
                let followers = 10f64.powf(3.0 + 3.0 * rng.unit()) as u64;
                accounts.push(Account {
                    platform,
                    id: format!("{}{}", account_prefix(platform), 1000 + i),
                    followers,
                });
            }
        }
        let start = Utc.from_utc_datetime(&config.start.and_hms_opt(0, 0, 0).expect("midnight"));
        let span = i64::from(config.days.max(1)) * 86_400;
        let mut images = BTreeMap::new();
        let mut posts = Vec::with_capacity(config.posts);
        for n in 0..config.posts {
            let account = &accounts[n % accounts.len()];
            let image_id = format!("img{n:06}");
            let (width, height) = SIZES[rng.below(SIZES.len() as u64) as usize];
            images.insert(
                image_id.clone(),
                ImageSpec {
                    width,
                    height,
                    seed: rng.next_u64(),
                },
            );
            let published_at = start + Duration::seconds(rng.below(span as u64) as i64);
            let quality = rng.unit();
            let impressions = (account.followers as f64 * (0.3 + 1.5 * rng.unit())) as u64 + 50;
            let rate = 0.01 + 0.08 * quality * quality;
            let interactions = (impressions as f64 * rate) as u64;
            let paid = rng.below(5) == 0;
            posts.push(Post {
                platform: account.platform,
                account: account.id.clone(),
                id: format!("{}{}", post_prefix(account.platform), 10_000_000 + n),
                published_at,
                caption: format!("Design {n} #creative #design{}", n % 7),
                image: Some(image_id),
                paid,
                likes: interactions * 6 / 10,
                comments: interactions / 10,
                shares: interactions / 10,
                saves: interactions / 10,
                clicks: interactions / 10,
                views: impressions + rng.below(impressions / 4 + 1),
                reach: impressions * 7 / 10,
                impressions,
            });
        }
        posts.sort_by(|a, b| {
            (a.platform, &a.account)
                .cmp(&(b.platform, &b.account))
                .then(b.published_at.cmp(&a.published_at))
        });
        let mut experiments = Vec::new();
        for e in 0..config.experiments {
            let base_rate = 0.02 + 0.03 * rng.unit();
            let lift = 1.0 + 0.4 * (rng.unit() - 0.3);
            let mut variations = Vec::new();
            for (v, key) in ["a", "b"].iter().enumerate() {
                let image_id = format!("ab{e:04}{key}");
                images.insert(
                    image_id.clone(),
                    ImageSpec {
                        width: 1080,
                        height: 1080,
                        seed: rng.next_u64(),
                    },
                );
                let visitors = 2000 + rng.below(8000);
                let rate = if v == 0 { base_rate } else { base_rate * lift };
                variations.push(Variation {
                    id: format!("{}", 20_000 + e * 2 + v),
                    key: key.to_string(),
                    image: image_id,
                    visitors,
                    conversions: (visitors as f64 * rate) as u64,
                    clicks: (visitors as f64 * rate * 4.0) as u64,
                });
            }
            experiments.push(Experiment {
                id: format!("{}", 9_000_000 + e),
                started_at: start + Duration::seconds(rng.below(span as u64) as i64),
                variations,
                significance: (0.5 + 0.5 * rng.unit()).min(0.999),
            });
        }
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

fn account_prefix(platform: Platform) -> &'static str {
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

fn post_prefix(platform: Platform) -> &'static str {
    match platform {
        Platform::Instagram => "179",
        Platform::Facebook => "post_",
        Platform::Linkedin => "",
        Platform::Tiktok => "73",
        Platform::X => "18",
        Platform::Dribbble => "",
        Platform::Behance => "",
        Platform::Optimizely => "",
    }
}

/// Renders an image as PNG bytes.
pub fn render_png(spec: &ImageSpec) -> Vec<u8> {
    let mut rng = Rng::new(spec.seed);
    let c1 = [
        rng.below(256) as u8,
        rng.below(256) as u8,
        rng.below(256) as u8,
    ];
    let c2 = [
        rng.below(256) as u8,
        rng.below(256) as u8,
        rng.below(256) as u8,
    ];
    let (w, h) = (spec.width, spec.height);
    let (bx, by) = (
        rng.below(u64::from(w / 2)) as u32,
        rng.below(u64::from(h / 2)) as u32,
    );
    let image = image::RgbImage::from_fn(w, h, |x, y| {
        if x > bx && x < bx + w / 3 && y > by && y < by + h / 4 {
            return image::Rgb(c2);
        }
        let t = y as f32 / h as f32;
        image::Rgb([
            (c1[0] as f32 * (1.0 - t) + c2[0] as f32 * t * 0.5) as u8,
            (c1[1] as f32 * (1.0 - t) + c2[1] as f32 * t * 0.5) as u8,
            (c1[2] as f32 * (1.0 - t) + c2[2] as f32 * t * 0.5) as u8,
        ])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encoding to memory cannot fail");
    out.into_inner()
}
