use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::auth::{Login, Logout, session_resource};
use crate::components::FormError;
use crate::sso::SsoSignIn;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let session = session_resource();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let already_signed_in = move || {
        session
            .get()
            .is_some_and(|account| matches!(account, Ok(Some(_))))
    };

    view! {
        <main class="auth-page">
            <Transition>
                <Show when=already_signed_in>
                    <Redirect path="/" />
                </Show>
            </Transition>
            <section class="auth-card">
                <h1>"Sign in to Lanyard"</h1>
                <ActionForm action=login attr:class="stack" attr:aria-label="Sign in">
                    <FormError result=login.value() />
                    <label>
                        "Email"
                        <input type="email" name="email" autocomplete="username" required autofocus />
                    </label>
                    <label>
                        "Password"
                        <input type="password" name="password" autocomplete="current-password" required />
                    </label>
                    <input type="hidden" name="next" value=next />
                    <button type="submit" class="primary">
                        "Sign in"
                    </button>
                </ActionForm>
                <SsoSignIn next=Signal::derive(next) />
            </section>
        </main>
    }
}

#[component]
pub fn LogoutButton() -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    view! {
        <ActionForm action=logout attr:class="inline">
            <button type="submit" class="link">
                "Sign out"
            </button>
        </ActionForm>
    }
}
