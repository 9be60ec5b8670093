//! An organization's notification channels, kept by its admins on the requests
//! management page: people's email on or off, and a webhook (generic JSON or Slack).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorPanel, FormError};
use crate::error::AppError;
use crate::when;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSettings {
    pub email: bool,
    /// Empty: no webhook.
    pub webhook_url: String,
    /// A Slack-compatible body (`{"text": …}`) instead of the generic JSON.
    pub slack: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationPanel {
    pub settings: NotificationSettings,
    /// Whether the installation has an SMTP server (`LANYARD_SMTP_HOST`).
    pub smtp_configured: bool,
    /// The newest notifications: (subject, recipient, status, last error, time).
    pub recent: Vec<(String, String, String, Option<String>, i64)>,
}

#[server(endpoint = "notifications/settings")]
pub async fn load_notification_settings(org: String) -> Result<NotificationPanel, AppError> {
    crate::error::with_http_status(ssr::load(&org).await)
}

#[server(endpoint = "notifications/settings/save")]
pub async fn save_notification_settings(
    org: String,
    email: Option<String>,
    webhook_url: Option<String>,
    webhook_format: Option<String>,
) -> Result<(), AppError> {
    let settings = NotificationSettings {
        email: email.is_some(),
        webhook_url: webhook_url.unwrap_or_default(),
        slack: webhook_format.as_deref() == Some("slack"),
    };
    crate::error::with_http_status(ssr::save(&org, settings).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::{NotificationPanel, NotificationSettings};
    use crate::error::AppError;
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::authorize;

    pub async fn load(org: &str) -> Result<NotificationPanel, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        Ok(NotificationPanel {
            settings: crate::notifications::settings(&state.db, context.org.id).await?,
            smtp_configured: state.mailer.is_some(),
            recent: crate::notifications::recent_deliveries(&state.db, context.org.id, 10).await?,
        })
    }

    pub async fn save(org: &str, settings: NotificationSettings) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageOrg).await?;
        let url = settings.webhook_url.trim();
        if !url.is_empty() {
            let parsed = url::Url::parse(url)
                .map_err(|_| AppError::bad_request(format!("{url:?} is not a URL.")))?;
            if !matches!(parsed.scheme(), "http" | "https") || parsed.host().is_none() {
                return Err(AppError::bad_request(
                    "The webhook must be an http(s) URL with a host.",
                ));
            }
        }
        crate::notifications::save_settings(
            &state.db,
            context.org.id,
            &settings,
            state.clock.now(),
        )
        .await?;
        let summary = format!(
            "email {}, webhook {}",
            if settings.email { "on" } else { "off" },
            if url.is_empty() {
                "none"
            } else if settings.slack {
                "Slack"
            } else {
                "JSON"
            }
        );
        crate::audit::org_action(
            &state.db,
            &context,
            "org.notifications",
            &format!("org {org}"),
            &summary,
            "ok",
        )
        .await
    }
}

/// The panel on the requests management page.
#[component]
pub fn NotificationSettingsPanel(org: String) -> impl IntoView {
    let save = ServerAction::<SaveNotificationSettings>::new();
    let slug = org.clone();
    let data = Resource::new(
        move || (slug.clone(), save.version().get()),
        |(org, _)| load_notification_settings(org),
    );
    view! {
        <section class="panel">
            <h2>"Notifications"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || {
                    let org = org.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(panel) => view! { <PanelView panel org save /> }.into_any(),
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

#[component]
fn PanelView(
    panel: NotificationPanel,
    org: String,
    save: ServerAction<SaveNotificationSettings>,
) -> impl IntoView {
    let settings = panel.settings;
    view! {
        <p class="hint">
            {if panel.smtp_configured {
                "Email goes through the installation's SMTP server."
            } else {
                "No SMTP server is configured (LANYARD_SMTP_HOST): email is not sent."
            }}
        </p>
        <ActionForm action=save attr:class="stack" attr:aria-label="Notification settings">
            <FormError result=save.value() />
            <input type="hidden" name="org" value=org />
            <label class="check"><input type="checkbox" name="email" value="on" checked=settings.email /> "Email people"</label>
            <label>"Webhook URL" <input type="url" name="webhook_url" maxlength="2000" value=settings.webhook_url /></label>
            <label>
                "Webhook body"
                <select name="webhook_format">
                    <option value="json" selected=!settings.slack>"Generic JSON"</option>
                    <option value="slack" selected=settings.slack>"Slack-compatible"</option>
                </select>
            </label>
            <button type="submit">"Save notification settings"</button>
        </ActionForm>
        {(!panel.recent.is_empty()).then(|| view! {
            <table class="data" aria-label="Recent notifications">
                <thead><tr><th scope="col">"When"</th><th scope="col">"To"</th><th scope="col">"What"</th><th scope="col">"Status"</th></tr></thead>
                <tbody>
                    {panel.recent.into_iter().map(|(subject, to, status, error, at)| view! {
                        <tr>
                            <td>{when::minute(at)}</td><td>{to}</td><td>{subject}</td>
                            <td>{status} {error.map(|error| format!(": {error}"))}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        })}
    }
}
