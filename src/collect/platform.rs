//! The sources the collectors know: the social platforms, and the
//! experiments API for A/B results.

use std::fmt;

/// A source of records. Its snake_case name is the CLI value, the partition
/// value (`platform=...`) and the prefix of its environment variables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, clap::ValueEnum)]
pub enum Platform {
    /// Instagram Graph API: media and media insights.
    Instagram,
    /// Facebook Pages: posts and post insights.
    Facebook,
    /// LinkedIn organisation posts and share statistics.
    Linkedin,
    /// TikTok video list.
    Tiktok,
    /// X (Twitter) API v2 tweets with public metrics.
    X,
    /// Dribbble shots.
    Dribbble,
    /// Behance projects.
    Behance,
    /// Optimizely-style experiments API: A/B results.
    Optimizely,
}

impl Platform {
    /// Every source, in a fixed order.
    pub const ALL: [Platform; 8] = [
        Platform::Instagram,
        Platform::Facebook,
        Platform::Linkedin,
        Platform::Tiktok,
        Platform::X,
        Platform::Dribbble,
        Platform::Behance,
        Platform::Optimizely,
    ];

    /// The name used on the command line, in partitions and in the lake.
    pub fn name(self) -> &'static str {
        match self {
            Platform::Instagram => "instagram",
            Platform::Facebook => "facebook",
            Platform::Linkedin => "linkedin",
            Platform::Tiktok => "tiktok",
            Platform::X => "x",
            Platform::Dribbble => "dribbble",
            Platform::Behance => "behance",
            Platform::Optimizely => "optimizely",
        }
    }

    /// The environment variable holding the API token.
    pub fn token_variable(self) -> &'static str {
        match self {
            Platform::Instagram => "INSTAGRAM_ACCESS_TOKEN",
            Platform::Facebook => "FACEBOOK_ACCESS_TOKEN",
            Platform::Linkedin => "LINKEDIN_ACCESS_TOKEN",
            Platform::Tiktok => "TIKTOK_ACCESS_TOKEN",
            Platform::X => "X_BEARER_TOKEN",
            Platform::Dribbble => "DRIBBBLE_ACCESS_TOKEN",
            Platform::Behance => "BEHANCE_API_KEY",
            Platform::Optimizely => "OPTIMIZELY_TOKEN",
        }
    }

    /// The environment variable listing the accounts to collect (comma-separated).
    pub fn accounts_variable(self) -> String {
        format!("{}_ACCOUNTS", self.name().to_uppercase())
    }

    /// The environment variable overriding the API's base URL.
    pub fn url_variable(self) -> String {
        format!("{}_API_URL", self.name().to_uppercase())
    }

    /// The real API's base URL.
    pub fn default_base_url(self) -> &'static str {
        match self {
            Platform::Instagram | Platform::Facebook => "https://graph.facebook.com",
            Platform::Linkedin => "https://api.linkedin.com",
            Platform::Tiktok => "https://open.tiktokapis.com",
            Platform::X => "https://api.x.com",
            Platform::Dribbble => "https://api.dribbble.com",
            Platform::Behance => "https://api.behance.net",
            Platform::Optimizely => "https://api.optimizely.com",
        }
    }

    /// Whether the source yields posts (the others yield A/B results).
    pub fn has_posts(self) -> bool {
        self != Platform::Optimizely
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_the_posts_contract() {
        let posts = crate::contract::table("raw.posts").unwrap();
        let allowed = posts.column("platform").unwrap().one_of.clone().unwrap();
        for p in Platform::ALL.iter().filter(|p| p.has_posts()) {
            assert!(allowed.contains(&p.name().to_string()), "{p}");
        }
    }
}
