//! What one page render has already read about its caller: the signed-in account, and
//! the organizations it may enter with its role in each. A page's parts (the frame and
//! its organization switcher, the page's data, its gate) each ask; the database answers
//! once per render rather than once per part.
//!
//! Only a GET request uses them: a page render, or a server function that reads. A
//! request that writes (a role change, a sign-out) reads everything afresh, so nothing
//! it changed is answered from before the change.

use std::sync::Arc;

use leptos::prelude::use_context;
use tokio::sync::OnceCell;

use crate::auth::accounts::Account;
use crate::tenants::orgs::Org;
use crate::tenants::roles::OrgRole;

/// Organizations with the account's role in each.
type OrgsWithRoles = Vec<(Org, OrgRole)>;

#[derive(Clone, Default)]
pub struct RenderLookups {
    account: Arc<OnceCell<Option<Account>>>,
    /// By account id: a read about another account is never answered from it.
    orgs: Arc<OnceCell<(i64, OrgsWithRoles)>>,
}

impl RenderLookups {
    /// This request's lookups, when it is a read.
    pub fn of_this_request() -> Option<RenderLookups> {
        let reads = use_context::<axum::http::request::Parts>()
            .is_some_and(|parts| parts.method == axum::http::Method::GET);
        reads.then(use_context::<RenderLookups>).flatten()
    }

    /// The signed-in account, read once.
    pub async fn account<E>(
        &self,
        read: impl Future<Output = Result<Option<Account>, E>>,
    ) -> Result<Option<Account>, E> {
        self.account.get_or_try_init(|| read).await.cloned()
    }

    /// The organizations an account may enter, with its role in each, read once.
    pub async fn orgs<F, Fut, E>(&self, account_id: i64, read: F) -> Result<OrgsWithRoles, E>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<OrgsWithRoles, E>>,
    {
        let (owner, orgs) = self
            .orgs
            .get_or_try_init(|| async { Ok((account_id, read().await?)) })
            .await?;
        if *owner == account_id {
            Ok(orgs.clone())
        } else {
            read().await
        }
    }
}
