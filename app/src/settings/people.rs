//! Settings → People: dashboard accounts, their role in each organization, and which
//! organizations an operator (MSP technician) is limited to.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorPanel, FormError};
use crate::error::AppError;
use crate::tenants::{OrgRole, PersonView, ScopeView};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PeopleOverview {
    pub people: Vec<PersonView>,
    /// Slug and name of every organization.
    pub orgs: Vec<(String, String)>,
    /// Org group names with their organizations' names.
    pub org_groups: Vec<(String, Vec<String>)>,
}

#[server(endpoint = "people")]
pub async fn load_people() -> Result<PeopleOverview, AppError> {
    crate::error::with_http_status(ssr::overview().await)
}

#[server(endpoint = "people/create")]
pub async fn create_person(
    email: String,
    display_name: String,
    password: String,
    installation_role: String,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::create(&email, &display_name, &password, &installation_role).await,
    )
}

#[server(endpoint = "people/membership")]
pub async fn set_membership(email: String, org: String, role: String) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::membership(&email, &org, &role).await)
}

#[server(endpoint = "people/scope")]
pub async fn set_operator_scope(
    email: String,
    org: Option<String>,
    org_group: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::scope(&email, org, org_group).await)
}

#[server(endpoint = "org-groups/create")]
pub async fn create_org_group(name: String) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::create_group(&name).await)
}

#[server(endpoint = "org-groups/add")]
pub async fn add_org_to_group(org_group: String, org: String) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::add_to_group(&org_group, &org).await)
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::PeopleOverview;
    use crate::auth::accounts::{self, InstallationRole, NewAccount};
    use crate::email::Email;
    use crate::error::AppError;
    use crate::state::{AppState, app_state};
    use crate::tenants::access::require_owner;
    use crate::tenants::orgs::{self, Org};
    use crate::tenants::{OrgRole, memberships};

    async fn owner() -> Result<AppState, AppError> {
        let state = app_state()?;
        require_owner(&state).await?;
        Ok(state)
    }

    async fn record(
        state: &AppState,
        action: &str,
        target: &str,
        summary: &str,
    ) -> Result<(), AppError> {
        let owner = require_owner(state).await?;
        crate::audit::owner_action(&state.db, &owner.email, action, target, summary).await
    }

    async fn account_id(state: &AppState, email: &str) -> Result<i64, AppError> {
        let email = Email::parse(email)?;
        accounts::id_by_email(&state.db, &email)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("An account for {email}")))
    }

    async fn org(state: &AppState, slug: &str) -> Result<Org, AppError> {
        orgs::by_slug(&state.db, slug)
            .await?
            .ok_or_else(|| AppError::NotFound("That organization".into()))
    }

    pub async fn overview() -> Result<PeopleOverview, AppError> {
        let state = owner().await?;
        Ok(PeopleOverview {
            people: memberships::people(&state.db).await?,
            orgs: orgs::all(&state.db)
                .await?
                .into_iter()
                .map(|org| (org.slug, org.name))
                .collect(),
            org_groups: memberships::org_groups(&state.db).await?,
        })
    }

    pub async fn create(
        email: &str,
        display_name: &str,
        password: &str,
        installation_role: &str,
    ) -> Result<(), AppError> {
        let state = owner().await?;
        let email = Email::parse(email)?;
        let display_name = display_name.trim();
        if display_name.is_empty() {
            return Err(AppError::bad_request("Give the person a display name."));
        }
        let role = InstallationRole::from_db(installation_role);
        accounts::create(
            &state.db,
            NewAccount {
                email: &email,
                display_name,
                password,
                role,
            },
        )
        .await?;
        let summary = format!("created the account (installation role {})", role.as_str());
        record(&state, "account.created", email.as_str(), &summary).await
    }

    pub async fn membership(email: &str, slug: &str, role: &str) -> Result<(), AppError> {
        let state = owner().await?;
        let account = account_id(&state, email).await?;
        let org = org(&state, slug).await?;
        let role = match role {
            "none" => None,
            other => Some(
                OrgRole::parse(other)
                    .ok_or_else(|| AppError::bad_request(format!("{other:?} is not a role.")))?,
            ),
        };
        memberships::set(&state.db, account, org.id, role).await?;
        let summary = match role {
            Some(role) => format!("role in {:?} set to {}", org.name, role.as_str()),
            None => format!("access to {:?} removed", org.name),
        };
        record(&state, "membership.set", email, &summary).await
    }

    pub async fn scope(
        email: &str,
        slug: Option<String>,
        group: Option<String>,
    ) -> Result<(), AppError> {
        let state = owner().await?;
        let account = account_id(&state, email).await?;
        let slug = slug.filter(|value| !value.is_empty());
        let group = group.filter(|value| !value.is_empty());
        let summary = match (&slug, &group) {
            (None, None) => "operator limits cleared".to_string(),
            (Some(slug), _) => format!("operator limited to organization {slug}"),
            (None, Some(group)) => format!("operator limited to org group {group:?}"),
        };
        let changed = match (slug, group) {
            (None, None) => memberships::clear_operator_scopes(&state.db, account).await,
            (Some(slug), None) => {
                let org = org(&state, &slug).await?;
                memberships::add_operator_scope(&state.db, account, Some(org.id), None).await
            }
            (None, Some(group)) => {
                let group = memberships::org_group_by_name(&state.db, &group).await?;
                memberships::add_operator_scope(&state.db, account, None, Some(group)).await
            }
            (Some(_), Some(_)) => Err(AppError::bad_request(
                "Choose either an organization or an org group, not both.",
            )),
        };
        changed?;
        record(&state, "operator.scope", email, &summary).await
    }

    pub async fn create_group(name: &str) -> Result<(), AppError> {
        let state = owner().await?;
        memberships::create_org_group(&state.db, name).await?;
        record(
            &state,
            "org_group.created",
            name.trim(),
            "created the org group",
        )
        .await
    }

    pub async fn add_to_group(group: &str, slug: &str) -> Result<(), AppError> {
        let state = owner().await?;
        let group_id = memberships::org_group_by_name(&state.db, group).await?;
        let org = org(&state, slug).await?;
        memberships::add_to_org_group(&state.db, group_id, org.id).await?;
        record(
            &state,
            "org_group.member_added",
            group,
            &format!("added {:?}", org.name),
        )
        .await
    }
}

#[component]
pub fn PeoplePage() -> impl IntoView {
    let create = ServerAction::<CreatePerson>::new();
    let membership = ServerAction::<SetMembership>::new();
    let scope = ServerAction::<SetOperatorScope>::new();
    let group = ServerAction::<CreateOrgGroup>::new();
    let group_member = ServerAction::<AddOrgToGroup>::new();
    let overview = Resource::new(
        move || {
            (
                create.version().get(),
                membership.version().get(),
                scope.version().get(),
                group.version().get(),
                group_member.version().get(),
            )
        },
        |_| load_people(),
    );
    view! {
        <h1>"People"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(overview) => {
                        let orgs = overview.orgs.clone();
                        let role_orgs = orgs.clone();
                        let scope_orgs = orgs.clone();
                        let groups: Vec<String> = overview.org_groups.iter().map(|(name, _)| name.clone()).collect();
                        view! {
                            <PeopleTable people=overview.people.clone() />
                            <section class="panel">
                                <h2>"Role in an organization"</h2>
                                <ActionForm action=membership attr:class="row" attr:aria-label="Set role">
                                    <FormError result=membership.value() />
                                    <input type="email" name="email" required placeholder="person@example.com" aria-label="Email" />
                                    <OrgSelect orgs=role_orgs name="org" required=true />
                                    <select name="role" aria-label="Role">
                                        {OrgRole::ALL.into_iter().map(|role| view! { <option value=role.as_str()>{role.label()}</option> }).collect_view()}
                                        <option value="none">"No access"</option>
                                    </select>
                                    <button type="submit">"Set role"</button>
                                </ActionForm>
                            </section>
                            <section class="panel">
                                <h2>"Limit an operator"</h2>
                                <p class="hint">"An operator without limits manages every organization. Each limit added narrows that to the named organizations and org groups; submitting with neither clears the limits."</p>
                                <ActionForm action=scope attr:class="row" attr:aria-label="Limit operator">
                                    <FormError result=scope.value() />
                                    <input type="email" name="email" required placeholder="operator@example.com" aria-label="Email" />
                                    <OrgSelect orgs=scope_orgs name="org" required=false />
                                    <select name="org_group" aria-label="Org group">
                                        <option value="">"— org group —"</option>
                                        {groups.iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                                    </select>
                                    <button type="submit">"Add limit"</button>
                                </ActionForm>
                            </section>
                            <OrgGroups groups=overview.org_groups.clone() orgs group group_member />
                        }
                            .into_any()
                    }
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
        <section class="panel">
            <h2>"Add a person"</h2>
            <ActionForm action=create attr:class="stack" attr:aria-label="Add a person">
                <FormError result=create.value() />
                <label>"Email" <input type="email" name="email" required /></label>
                <label>"Display name" <input type="text" name="display_name" required maxlength="100" /></label>
                <label>"Initial password" <input type="password" name="password" required minlength="12" autocomplete="new-password" /></label>
                <label>
                    "Installation role"
                    <select name="installation_role">
                        <option value="none">"None (roles per organization)"</option>
                        <option value="operator">"Operator (MSP technician)"</option>
                        <option value="owner">"Owner"</option>
                    </select>
                </label>
                <button type="submit" class="primary">"Add person"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn OrgSelect(orgs: Vec<(String, String)>, name: &'static str, required: bool) -> impl IntoView {
    view! {
        <select name=name required=required aria-label="Organization">
            <option value="">"— organization —"</option>
            {orgs.into_iter().map(|(slug, name)| view! { <option value=slug>{name}</option> }).collect_view()}
        </select>
    }
}

#[component]
fn PeopleTable(people: Vec<PersonView>) -> impl IntoView {
    view! {
        <section class="panel">
            <table class="data" aria-label="People">
                <thead>
                    <tr>
                        <th scope="col">"Person"</th>
                        <th scope="col">"Installation role"</th>
                        <th scope="col">"Organizations"</th>
                    </tr>
                </thead>
                <tbody>
                    {people
                        .into_iter()
                        .map(|person| {
                            let access = describe_access(&person);
                            view! {
                                <tr>
                                    <td>{person.display_name} <br /> <span class="muted">{person.email}</span></td>
                                    <td>{person.installation_role} {person.disabled.then_some(" (disabled)")}</td>
                                    <td>{access}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

fn describe_access(person: &PersonView) -> String {
    let mut parts: Vec<String> = person
        .memberships
        .iter()
        .map(|(org, role)| format!("{org}: {}", role.label()))
        .collect();
    match person.installation_role.as_str() {
        "owner" => parts.insert(0, "every organization (owner)".into()),
        "operator" if person.scopes.is_empty() => {
            parts.insert(0, "every organization (operator)".into())
        }
        "operator" => parts.extend(person.scopes.iter().map(|scope| match scope {
            ScopeView::Org(org) => format!("{org} (operator)"),
            ScopeView::OrgGroup(group) => format!("org group {group} (operator)"),
        })),
        _ => {}
    }
    if parts.is_empty() {
        "none".into()
    } else {
        parts.join(", ")
    }
}

#[component]
fn OrgGroups(
    groups: Vec<(String, Vec<String>)>,
    orgs: Vec<(String, String)>,
    group: ServerAction<CreateOrgGroup>,
    group_member: ServerAction<AddOrgToGroup>,
) -> impl IntoView {
    let names: Vec<String> = groups.iter().map(|(name, _)| name.clone()).collect();
    view! {
        <section class="panel">
            <h2>"Org groups"</h2>
            <p class="hint">"Named sets of organizations, such as “EU clients”, to limit operators with."</p>
            <ul>
                {groups
                    .into_iter()
                    .map(|(name, members)| {
                        let members = if members.is_empty() { "no organizations".to_string() } else { members.join(", ") };
                        view! { <li><strong>{name}</strong> ": " {members}</li> }
                    })
                    .collect_view()}
            </ul>
            <ActionForm action=group attr:class="row" attr:aria-label="New org group">
                <FormError result=group.value() />
                <input type="text" name="name" required maxlength="100" placeholder="EU clients" aria-label="Org group name" />
                <button type="submit">"Create org group"</button>
            </ActionForm>
            <ActionForm action=group_member attr:class="row" attr:aria-label="Add organization to org group">
                <FormError result=group_member.value() />
                <select name="org_group" required aria-label="Org group">
                    {names.into_iter().map(|name| view! { <option value=name.clone()>{name.clone()}</option> }).collect_view()}
                </select>
                <OrgSelect orgs name="org" required=true />
                <button type="submit">"Add to org group"</button>
            </ActionForm>
        </section>
    }
}
