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
use std::sync::Arc;

use axum::Router;

use crate::collect::Platform;

pub use faults::Faults;
pub use world::{World, WorldConfig};

/// A running simulator's shared state.
pub struct Sim {
    world: World,
    tokens: BTreeMap<Platform, String>,
    faults: Faults,
    base_url: String,
    limiter: faults::Limiter,
}

impl Sim {
    /// A simulator serving `world` at `base_url` (its own address).
    pub fn new(world: World, faults: Faults, base_url: &str, token_seed: u64) -> Sim {
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
            limiter: faults::Limiter::new(faults.rate_limit_per_second),
            world,
            tokens,
            faults,
            base_url: base_url.trim_end_matches('/').to_string(),
        }
    }

    /// The world served.
    pub fn world(&self) -> &World {
        &self.world
    }

    /// The token each platform accepts.
    pub fn token(&self, platform: Platform) -> &str {
        &self.tokens[&platform]
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

/// Binds `127.0.0.1:port` (0 picks a free port) and returns the address and
/// a future that serves until `shutdown` resolves.
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
