//! `/o/{org}/users/check`: does JumpCloud have these users? A list of emails or user
//! ids, one per line, each looked up in Lanyard's short cache, then by id, then by
//! email, with a result per entry. A GET form, so it works without JavaScript and the
//! answer can be bookmarked.

use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{user_path, users_path};
use crate::components::ErrorPanel;
use crate::error::AppError;
use crate::home::org_param;
use crate::tenants::Capability;
use crate::tenants::gate::RequireCapability;

/// More entries than this are refused: check in parts.
pub const MAX_ENTRIES: usize = 200;

/// How an entry was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FoundBy {
    Cache,
    Id,
    Email,
}

impl FoundBy {
    pub fn label(self) -> &'static str {
        match self {
            FoundBy::Cache => "found (recently read by Lanyard)",
            FoundBy::Id => "found by id",
            FoundBy::Email => "found by email",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExistenceResult {
    pub entry: String,
    /// `(how, user id, username)` when JumpCloud has the user.
    pub found: Option<(FoundBy, String, String)>,
}

#[server(endpoint = "users/check")]
pub async fn check_users(
    org: String,
    #[server(default)] entries: String,
) -> Result<Vec<ExistenceResult>, AppError> {
    crate::error::with_http_status(ssr::check(&org, &entries).await)
}

/// The entries of the text box: trimmed, blank lines and repeats dropped, in order.
pub fn entries(text: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    text.split(['\n', ',', ';'])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .filter(|entry| seen.insert(entry.to_lowercase()))
        .map(str::to_string)
        .collect()
}

#[cfg(feature = "ssr")]
mod ssr {
    use futures::{StreamExt, TryStreamExt, stream};

    use super::{ExistenceResult, FoundBy, MAX_ENTRIES, entries};
    use crate::error::AppError;
    use crate::state::{AppState, app_state};
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};

    /// JumpCloud calls in flight at once (the client paces itself too).
    const CONCURRENCY: usize = 4;

    /// JumpCloud ids are 24 hexadecimal digits; anything else is not worth a lookup.
    fn looks_like_id(entry: &str) -> bool {
        entry.len() == 24 && entry.chars().all(|c| c.is_ascii_hexdigit())
    }

    async fn look_up(
        state: &AppState,
        context: &OrgContext,
        entry: String,
    ) -> Result<ExistenceResult, AppError> {
        let found = |by: FoundBy, user: &jumpcloud::users::SystemUser| {
            Some((by, user.id.clone(), user.username.clone()))
        };
        if looks_like_id(&entry) {
            if let Some(user) = state
                .users
                .cache
                .user(&state.db, &context.org, &entry)
                .await?
            {
                return Ok(ExistenceResult {
                    found: found(FoundBy::Cache, &user),
                    entry,
                });
            }
            match context.jumpcloud.get_user(&entry).await {
                Ok(user) => {
                    state.users.cache.put_user(&context.org, user.clone());
                    return Ok(ExistenceResult {
                        found: found(FoundBy::Id, &user),
                        entry,
                    });
                }
                Err(jumpcloud::Error::NotFound(_)) => {}
                Err(error) => return Err(error.into()),
            }
        }
        // JumpCloud keeps addresses in lower case and compares them exactly.
        let by_email = if entry.contains('@') {
            context
                .jumpcloud
                .find_users_by_email(&entry.to_lowercase())
                .await?
                .into_iter()
                .find(|user| user.email.eq_ignore_ascii_case(&entry))
        } else {
            None
        };
        Ok(ExistenceResult {
            found: by_email.and_then(|user| found(FoundBy::Email, &user)),
            entry,
        })
    }

    pub async fn check(org: &str, text: &str) -> Result<Vec<ExistenceResult>, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ViewDirectory).await?;
        let entries = entries(text);
        if entries.len() > MAX_ENTRIES {
            return Err(AppError::bad_request(format!(
                "Check at most {MAX_ENTRIES} entries at a time."
            )));
        }
        let (state, context) = (&state, &context);
        stream::iter(entries)
            .map(|entry| look_up(state, context, entry))
            .buffered(CONCURRENCY)
            .try_collect()
            .await
    }

    #[cfg(test)]
    mod tests {
        use super::looks_like_id;

        #[test]
        fn only_jumpcloud_shaped_ids_are_looked_up_by_id() {
            assert!(looks_like_id("5f1b2c3d4e5f6a7b8c9d0e1f"));
            assert!(!looks_like_id("jane@acme.example"));
            assert!(!looks_like_id("5f1b2c3d4e5f6a7b8c9d0e1"));
        }
    }
}

#[component]
pub fn CheckUsersPage() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let text = Memo::new(move |_| query.read().get("entries").unwrap_or_default());
    let results = Resource::new(
        move || (org.get(), text.get()),
        |(org, text)| async move {
            if entries(&text).is_empty() {
                Ok(None)
            } else {
                check_users(org, text).await.map(Some)
            }
        },
    );
    view! {
        <p>
            <a href=move || users_path(&org.get())>"← Users"</a>
        </p>
        <RequireCapability capability=Capability::ViewDirectory>
        <h1>"Check whether users exist"</h1>
        <section class="panel">
            <Form method="GET" action="" attr:class="stack" attr:aria-label="Check users">
                <label>
                    "Emails or JumpCloud user ids, one per line"
                    <textarea name="entries" rows="8" required>{move || text.get()}</textarea>
                </label>
                <p class="hint">
                    {format!("Each entry is looked up in what Lanyard read recently, then by id, then by email. Up to {MAX_ENTRIES} at a time.")}
                </p>
                <button type="submit" class="primary">"Check"</button>
            </Form>
        </section>
        </RequireCapability>
        <Suspense fallback=|| view! { <p class="loading">"Checking…"</p> }>
            {move || Suspend::new(async move {
                match results.await {
                    Ok(None) => ().into_any(),
                    Ok(Some(results)) => view! { <ResultTable org=org.get_untracked() results /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ResultTable(org: String, results: Vec<ExistenceResult>) -> impl IntoView {
    let found = results
        .iter()
        .filter(|result| result.found.is_some())
        .count();
    view! {
        <section class="panel">
            <h2>"Results"</h2>
            <p data-testid="check-summary">
                {format!("{found} of {} found in JumpCloud.", results.len())}
            </p>
            <table class="data" aria-label="Existence">
                <thead>
                    <tr>
                        <th scope="col">"Entry"</th>
                        <th scope="col">"Result"</th>
                        <th scope="col">"User"</th>
                    </tr>
                </thead>
                <tbody>
                    {results
                        .into_iter()
                        .map(|result| {
                            let (outcome, user) = match result.found {
                                Some((by, id, username)) => (
                                    by.label(),
                                    Some(view! { <a href=user_path(&org, &id)>{username}</a> }),
                                ),
                                None => ("not found", None),
                            };
                            view! {
                                <tr>
                                    <td>{result.entry}</td>
                                    <td>{outcome}</td>
                                    <td>{user}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::entries;

    #[test]
    fn entries_are_trimmed_and_unique() {
        assert_eq!(
            entries(" a@x.example \n\nB@x.example, a@X.example;c\n"),
            vec!["a@x.example", "B@x.example", "c"]
        );
    }
}
