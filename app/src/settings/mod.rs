//! Installation settings, for owners: JumpCloud connections and the organizations mapped
//! on them, and the people who may use Lanyard.

mod connections;
mod people;
mod sso;

use leptos::prelude::*;

use crate::tenants::gate::RequireOwner;

pub use connections::{ConnectionPage, ConnectionsPage};
pub use people::PeoplePage;
pub use sso::SsoSettingsPage;

#[component]
pub fn SettingsPage() -> impl IntoView {
    view! {
        <RequireOwner>
        <h1>"Settings"</h1>
        <section class="panel">
            <ul class="link-list">
                <li>
                    <a href="/settings/connections">"Connections"</a>
                    " — JumpCloud credentials and the organizations they reach"
                </li>
                <li>
                    <a href="/settings/people">"People"</a>
                    " — accounts, roles per organization, operator scopes and org groups"
                </li>
                <li>
                    <a href="/settings/sso">"Single sign-on"</a>
                    " — the OpenID Connect provider and automatic requesters per organization"
                </li>
            </ul>
        </section>
        </RequireOwner>
    }
}
