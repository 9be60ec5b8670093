//! The browser entry point: hydrates the server-rendered page.

// The pages' view types nest deeper than the default limit allows when laid out for
// wasm. (`--cfg erase_components` would flatten them, but then the hydrated views no
// longer match the server-rendered HTML.)
#![recursion_limit = "256"]

use leptos::prelude::document;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Marks the page as interactive, for people inspecting it and for the browser tests
    // that check forms submit without a full page load.
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
