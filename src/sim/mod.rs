//! `creativeiq sim serve`: a local stand-in for the platforms' APIs, so the
//! real collectors run over real HTTP on 127.0.0.1 in the demo and the
//! tests. Each platform's endpoints answer in the shape of the real API
//! (field names, nesting, paging, error bodies, rate-limit headers), and
//! fault knobs make it misbehave the way real APIs do.
//!
//! Reads: nothing but its [`WorldConfig`]. Writes: nothing; it prints (or
//! writes to `--env-file`) the tokens, accounts and URLs a collector needs.
//! To add a platform, add a file under `platforms/` with its routes.

mod faults;
mod platforms;
pub mod world;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use axum::Router;
use bytes::Bytes;

use crate::collect::Platform;

pub use faults::Faults;
pub use world::{World, WorldConfig};

use world::render_png;

/// A running simulator's shared state.
pub struct Sim {
    world: Arc<World>,
    tokens: BTreeMap<Platform, String>,
    faults: Faults,
    base_url: String,
    limiter: faults::Limiter,
    /// Each image's PNG when [`Sim::prerender`] has rendered it.
    rendered: Arc<BTreeMap<String, OnceLock<Bytes>>>,
    token_seed: u64,
}

impl Sim {
    /// A simulator serving `world` at `base_url` (its own address).
    pub fn new(world: World, faults: Faults, base_url: &str, token_seed: u64) -> Sim {
        let rendered = world
            .images
            .keys()
            .map(|id| (id.clone(), OnceLock::new()))
            .collect();
        Sim::assemble(
            Arc::new(world),
            Arc::new(rendered),
            faults,
            base_url,
            token_seed,
        )
    }

    /// A simulator serving the same world, tokens and images (those rendered
    /// already included) with other faults at another address: tests run
    /// one world under several fault settings without rendering it again.
    pub fn with_faults(&self, faults: Faults, base_url: &str) -> Sim {
        Sim::assemble(
            self.world.clone(),
            self.rendered.clone(),
            faults,
            base_url,
            self.token_seed,
        )
    }

    fn assemble(
        world: Arc<World>,
        rendered: Arc<BTreeMap<String, OnceLock<Bytes>>>,
        faults: Faults,
        base_url: &str,
        token_seed: u64,
    ) -> Sim {
        let tokens = Platform::ALL
            .into_iter()
            .map(|p| {
                (
                    p,
                    format!("sim-{}-{:016x}", p.name(), token_seed ^ (p as u64 * 0x9E37)),
                )
            })
            .collect();
        Sim {
            limiter: faults::Limiter::new(faults.rate_limit_per_second, faults.seed),
            rendered,
            world,
            tokens,
            faults,
            base_url: base_url.trim_end_matches('/').to_string(),
            token_seed,
        }
    }

    /// The faults it applies.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The base URL it serves at.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The world served.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The token each platform accepts.
    pub fn token(&self, platform: Platform) -> &str {
        &self.tokens[&platform]
    }

    /// The bytes the image CDN serves for an image id: its PNG, or a
    /// broken file when the corrupt-image fault picks it (half a PNG, or an
    /// HTML error page served as the image).
    pub fn image_bytes(&self, id: &str) -> Option<Bytes> {
        let spec = self.world.images.get(id)?;
        // Rendering is deterministic, so serving renders on demand and keeps
        // nothing: a world of 30,000 posts holds ~19,000 images, gigabytes
        // of PNG a collector fetches once. Only `prerender` keeps them.
        let png = match self.rendered.get(id)?.get() {
            Some(png) => png.clone(),
            None => Bytes::from(render_png(spec)),
        };
        if !self.faults.image_is_corrupt(id) {
            return Some(png.clone());
        }
        Some(if id.bytes().map(u32::from).sum::<u32>() % 2 == 0 {
            png.slice(..png.len() * 55 / 100)
        } else {
            Bytes::from_static(b"<html><body>502 Bad Gateway</body></html>")
        })
    }

    /// Renders every image now, on all cores, so that serving them costs
    /// nothing (benchmarks measure the collector, not the renderer).
    pub fn prerender(&self) {
        use rayon::prelude::*;
        self.rendered.par_iter().for_each(|(id, cell)| {
            cell.get_or_init(|| render_png(&self.world.images[id]).into());
        });
    }

    /// The URL of an image.
    pub fn image_url(&self, id: &str) -> String {
        format!("{}/images/{id}.png", self.base_url)
    }

    /// What a collector needs to reach this simulator, as `.env` lines.
    pub fn env_file(&self) -> String {
        let mut out = String::from(
            "# written by creativeiq sim serve: tokens, accounts and URLs of the simulator\n",
        );
        for platform in Platform::ALL {
            out.push_str(&format!(
                "{}={}\n",
                platform.token_variable(),
                self.token(platform)
            ));
            out.push_str(&format!(
                "{}={}/{}\n",
                platform.url_variable(),
                self.base_url,
                platform.name()
            ));
            let accounts: Vec<&str> = if platform.has_posts() {
                self.world
                    .accounts
                    .iter()
                    .filter(|a| a.platform == platform)
                    .map(|a| a.id.as_str())
                    .collect()
            } else {
                vec![platforms::OPTIMIZELY_PROJECT]
            };
            out.push_str(&format!(
                "{}={}\n",
                platform.accounts_variable(),
                accounts.join(",")
            ));
        }
        out
    }
}

/// Builds the router of a simulator.
pub fn router(sim: Arc<Sim>) -> Router {
    platforms::routes()
        .layer(axum::middleware::from_fn_with_state(
            sim.clone(),
            faults::inject,
        ))
        .with_state(sim)
}

/// Binds `127.0.0.1:port` (0 picks a free port); returns the listener for
/// [`serve`] and its address (for the base URL).
pub async fn bind(port: u16) -> std::io::Result<(tokio::net::TcpListener, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    let addr = listener.local_addr()?;
    Ok((listener, addr))
}

/// Serves `sim` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    sim: Arc<Sim>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(sim))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 30,000-post world once held every PNG in the serving simulator
    /// and was stopped by the OOM killer: serving must render on demand
    /// and keep nothing, unless `prerender` asked for it.
    #[test]
    fn serving_keeps_no_image_unless_prerendered() {
        let world = World::generate(&WorldConfig {
            posts: 40,
            experiments: 2,
            ..WorldConfig::default()
        });
        let sim = Sim::new(world, Faults::default(), "http://127.0.0.1:1", 1);
        let ids: Vec<String> = sim.world().images.keys().take(3).cloned().collect();
        assert!(!ids.is_empty());
        for id in &ids {
            let first = sim.image_bytes(id).expect("a known image");
            assert!(first.starts_with(b"\x89PNG"));
            assert_eq!(
                sim.image_bytes(id),
                Some(first),
                "{id}: rendering is deterministic"
            );
        }
        assert!(
            sim.rendered.values().all(|png| png.get().is_none()),
            "serving kept rendered images"
        );
        assert_eq!(sim.image_bytes("no-such-image"), None);

        let served = sim.image_bytes(&ids[0]);
        sim.prerender();
        assert!(sim.rendered.values().all(|png| png.get().is_some()));
        assert_eq!(sim.image_bytes(&ids[0]), served);
    }
}
