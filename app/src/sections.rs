//! Console sections whose pages are not built yet: each shows an honest empty state
//! instead of a broken link.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::layout::SECTIONS;

#[component]
pub fn SectionPage() -> impl IntoView {
    let location = use_location();
    let title = move || {
        let path = location.pathname.get();
        SECTIONS
            .iter()
            .find(|(href, _)| *href == path)
            .map(|(_, label)| *label)
            .unwrap_or("Section")
    };
    view! {
        <h1>{title}</h1>
        <section class="panel">
            <p class="empty">
                "Nothing here yet. This section becomes available once an organization is connected and selected."
            </p>
        </section>
    }
}
