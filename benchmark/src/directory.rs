//! One installation for the directory sections: an organization of 10,000 users (the
//! simulator's standalone one) and a second organization beside it, both connected with
//! their own API keys through the recording proxy.

use std::path::Path;

use jumpcloud::sim::Simulator;

use crate::lanyard::{Browser, Config, DEFAULT_CALLS_PER_SECOND, Lanyard};
use crate::proxy::Proxy;
use crate::setup;

pub struct Directory<'a> {
    pub sim: &'a Simulator,
    pub proxy: Proxy,
    pub lanyard: Lanyard,
    pub browser: Browser,
    /// The organization measured.
    pub org: String,
    pub org_api_key: String,
    /// Another organization of the same installation.
    pub other_org: String,
    _data: tempfile::TempDir,
}

impl<'a> Directory<'a> {
    pub async fn start(binary: &Path, sim: &'a Simulator) -> anyhow::Result<Directory<'a>> {
        let proxy = Proxy::start(&sim.info.base_url).await?;
        let data = tempfile::tempdir()?;
        let lanyard = Lanyard::start(&Config {
            binary,
            data_dir: data.path(),
            calls_per_second: DEFAULT_CALLS_PER_SECOND,
        })
        .await?;
        let browser = lanyard.sign_in().await?;
        let measured = setup::standalone(sim)?;
        browser
            .connect("Directory", &proxy.base_url, &measured.api_key)
            .await?;
        let other = setup::client_orgs(sim)
            .into_iter()
            .next()
            .ok_or_else(|| anyhow::anyhow!("the simulator has no second organization"))?;
        browser
            .connect("Other", &proxy.base_url, &other.api_key)
            .await?;
        Ok(Directory {
            sim,
            proxy,
            lanyard,
            browser,
            org: setup::slug(measured),
            org_api_key: measured.api_key.clone(),
            other_org: setup::slug(other),
            _data: data,
        })
    }

    pub async fn stop(self) -> anyhow::Result<()> {
        self.lanyard.stop().await
    }
}
