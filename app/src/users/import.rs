//! `/o/{org}/users/import`: users from CSV (email, first and last name, department, job
//! title, manager email, state). The preview says row by row what will be created, what
//! already exists and what is invalid before anything is sent to JumpCloud; the run then
//! creates the new users and reports per row.
//!
//! The parsed rows wait between the two steps in this process's memory, so the CSV never
//! travels in a URL; the run goes on in the background like a bulk action's.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use super::{RunProgress, users_path};
use crate::components::{ErrorPanel, FormError};
use crate::error::AppError;
use crate::home::org_param;

/// More rows than this are refused: split the file.
pub const MAX_ROWS: usize = 500;

/// What the run will do with one CSV row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowVerdict {
    Create,
    /// JumpCloud already has a user with this email (the username shown).
    Exists(String),
    Invalid(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRow {
    /// The line in the CSV, counting the header as line 1.
    pub line: usize,
    pub email: String,
    pub name: String,
    pub username: String,
    /// "Staged" or "Active".
    pub state: String,
    pub verdict: RowVerdict,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub rows: Vec<ImportRow>,
    /// What the run button sends to create the `Create` rows.
    pub token: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportView {
    Start,
    Preview(Option<ImportPreview>),
    Results(Option<RunProgress>),
}

/// Parses and checks the CSV, then redirects to its preview.
#[server(endpoint = "users/import/preview")]
pub async fn preview_import(org: String, #[server(default)] csv: String) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::preview(&org, &csv).await)
}

/// Creates the previewed users, then redirects to the per-row results.
#[server(endpoint = "users/import/run")]
pub async fn run_import(org: String, #[server(default)] token: String) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::run(&org, &token).await)
}

#[server(endpoint = "users/import/view")]
pub async fn load_import(
    org: String,
    preview: Option<String>,
    results: Option<String>,
) -> Result<ImportView, AppError> {
    crate::error::with_http_status(ssr::view(&org, preview, results).await)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use std::collections::HashSet;

    use futures::{StreamExt, stream};
    use jumpcloud::users::{NewUser, UserFields, UserState};
    use serde::{Deserialize, Serialize};

    use super::{ImportPreview, ImportRow, ImportView, MAX_ROWS, RowVerdict};
    use crate::error::AppError;
    use crate::state::{AppState, app_state};
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};
    use crate::users::UserOutcome;
    use crate::users::actions::ssr::record;
    use crate::users::create::ssr::{NewUserInput, validated};
    use crate::users::handoff::stored;
    use crate::users::runs::{self, CONCURRENCY};

    /// A previewed import, kept in the database until confirmed: the rows as shown,
    /// and the users to create.
    #[derive(Serialize, Deserialize)]
    struct PendingImport {
        org_id: i64,
        rows: Vec<ImportRow>,
        to_create: Vec<PendingUser>,
    }

    /// A user the import will create (a [`NewUser`] without a password, as stored).
    #[derive(Serialize, Deserialize)]
    struct PendingUser {
        line: usize,
        username: String,
        email: String,
        active: bool,
        fields: UserFields,
    }

    impl PendingUser {
        fn new(line: usize, user: NewUser) -> Self {
            PendingUser {
                line,
                username: user.username,
                email: user.email,
                active: user.state == Some(UserState::Activated),
                fields: user.fields,
            }
        }

        fn into_new_user(self) -> (usize, NewUser) {
            let state = if self.active {
                UserState::Activated
            } else {
                UserState::Staged
            };
            let user = NewUser {
                username: self.username,
                email: self.email,
                state: Some(state),
                password: None,
                fields: self.fields,
            };
            (self.line, user)
        }
    }

    const KIND: &str = "import";
    /// Long enough to read the preview and confirm it.
    const PREVIEW_SECONDS: i64 = 1800;

    /// One CSV record, by the header's column names.
    #[derive(Debug, Default, PartialEq, Eq)]
    pub struct CsvUser {
        pub line: usize,
        pub input: NewUserInput,
    }

    /// A CSV row read, or the line that could not be read and why.
    pub type CsvRow = Result<CsvUser, (usize, String)>;

    /// The CSV's rows. Columns are found by header name (case and spaces ignored):
    /// `email` (required), `firstname`, `lastname`, `department`, `jobtitle`, `manager`
    /// (or `manageremail`), `state` (`staged`, the default, or `active`).
    pub fn parse_csv(text: &str) -> Result<Vec<CsvRow>, AppError> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers: Vec<String> = reader
            .headers()
            .map_err(|error| AppError::bad_request(format!("The CSV cannot be read: {error}")))?
            .iter()
            .map(|name| name.to_lowercase().replace([' ', '_', '-'], ""))
            .collect();
        let column = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
        let email = column(&["email"]).ok_or_else(|| {
            AppError::bad_request("The CSV needs a header row with an \"email\" column.")
        })?;
        let firstname = column(&["firstname"]);
        let lastname = column(&["lastname"]);
        let department = column(&["department"]);
        let job_title = column(&["jobtitle"]);
        let manager = column(&["manager", "manageremail"]);
        let state = column(&["state"]);
        let mut rows = Vec::new();
        for (index, record) in reader.records().enumerate() {
            // The line in the file, counted from where the record starts (past any blank
            // lines before it, which are not records and which the reader does not count).
            let position = match &record {
                Ok(record) => record.position(),
                Err(error) => error.position(),
            };
            let line = position
                .and_then(|position| text.get(..position.byte() as usize))
                .map_or(index + 2, |before| {
                    let blank = text[before.len()..]
                        .chars()
                        .take_while(|c| matches!(c, '\r' | '\n'))
                        .filter(|c| *c == '\n')
                        .count();
                    before.matches('\n').count() + blank + 1
                });
            if rows.len() == MAX_ROWS {
                return Err(AppError::bad_request(format!(
                    "The CSV has more than {MAX_ROWS} users; import it in parts."
                )));
            }
            let record = match record {
                Ok(record) => record,
                Err(error) => {
                    rows.push(Err((line, error.to_string())));
                    continue;
                }
            };
            if record.iter().all(str::is_empty) {
                continue;
            }
            let field = |at: Option<usize>| {
                at.and_then(|at| record.get(at))
                    .unwrap_or_default()
                    .to_string()
            };
            let active = match field(state).to_lowercase().as_str() {
                "" | "staged" => false,
                "active" | "activated" => true,
                other => {
                    rows.push(Err((
                        line,
                        format!("state {other:?} is neither staged nor active"),
                    )));
                    continue;
                }
            };
            rows.push(Ok(CsvUser {
                line,
                input: NewUserInput {
                    email: field(Some(email)),
                    firstname: field(firstname),
                    lastname: field(lastname),
                    username: String::new(),
                    department: field(department),
                    job_title: field(job_title),
                    manager: field(manager),
                    active,
                },
            }));
        }
        if rows.is_empty() {
            return Err(AppError::bad_request(
                "The CSV has no users below its header.",
            ));
        }
        Ok(rows)
    }

    fn message(error: AppError) -> String {
        match error {
            AppError::BadRequest(message) => message,
            other => other.to_string(),
        }
    }

    async fn check(context: &OrgContext, parsed: CsvRow) -> (ImportRow, Option<NewUser>) {
        let (line, input) = match parsed {
            Ok(row) => (row.line, row.input),
            Err((line, reason)) => {
                let row = ImportRow {
                    line,
                    email: String::new(),
                    name: String::new(),
                    username: String::new(),
                    state: String::new(),
                    verdict: RowVerdict::Invalid(reason),
                };
                return (row, None);
            }
        };
        let mut row = ImportRow {
            line,
            email: input.email.clone(),
            name: format!("{} {}", input.firstname, input.lastname)
                .trim()
                .to_string(),
            username: String::new(),
            state: if input.active { "Active" } else { "Staged" }.into(),
            verdict: RowVerdict::Create,
        };
        let user = match validated(context, input).await {
            Ok(user) => user,
            Err(error) => {
                row.verdict = RowVerdict::Invalid(message(error));
                return (row, None);
            }
        };
        row.username = user.username.clone();
        match context.jumpcloud.find_users_by_email(&user.email).await {
            Ok(found) => match found
                .iter()
                .find(|existing| existing.email.eq_ignore_ascii_case(&user.email))
            {
                Some(existing) => {
                    row.verdict = RowVerdict::Exists(existing.username.clone());
                    (row, None)
                }
                None => (row, Some(user)),
            },
            Err(error) => {
                row.verdict = RowVerdict::Invalid(format!("JumpCloud could not be asked: {error}"));
                (row, None)
            }
        }
    }

    pub async fn preview(org: &str, csv: &str) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        let parsed = parse_csv(csv)?;
        let context = &context;
        let checked: Vec<(ImportRow, Option<NewUser>)> = stream::iter(parsed)
            .map(|row| check(context, row))
            .buffered(CONCURRENCY)
            .collect()
            .await;
        let mut rows = Vec::with_capacity(checked.len());
        let mut to_create = Vec::new();
        let mut emails = HashSet::new();
        let mut usernames = HashSet::new();
        for (mut row, user) in checked {
            if let Some(user) = user {
                if !emails.insert(user.email.to_lowercase()) {
                    row.verdict =
                        RowVerdict::Invalid("the email appears earlier in the CSV".into());
                } else if !usernames.insert(user.username.to_lowercase()) {
                    row.verdict =
                        RowVerdict::Invalid("the username appears earlier in the CSV".into());
                } else {
                    to_create.push(PendingUser::new(row.line, user));
                }
            }
            rows.push(row);
        }
        let pending = PendingImport {
            org_id: context.org.id,
            rows,
            to_create,
        };
        let expires_at = state.clock.now() + PREVIEW_SECONDS;
        let token =
            stored::leave(&state.db, context.account.id, KIND, &pending, expires_at).await?;
        leptos_axum::redirect(&format!(
            "{}/import?preview={token}",
            crate::users::users_path(&context.org.slug)
        ));
        Ok(())
    }

    async fn create(
        state: &AppState,
        context: &OrgContext,
        line: usize,
        user: NewUser,
    ) -> UserOutcome {
        let label = format!("line {line}: {}", user.email);
        let result = match context.jumpcloud.create_user(&user).await {
            Ok(created) => {
                let summary = format!(
                    "created by CSV import ({})",
                    if user.state == Some(jumpcloud::users::UserState::Activated) {
                        "active"
                    } else {
                        "staged"
                    }
                );
                record(state, context, &created, "user.created", &summary, Ok(())).await
            }
            Err(error) => {
                let summary = format!("{}: not created by CSV import — {error}", user.email);
                let target = format!("user {}", user.username);
                let audited = crate::audit::org_action(
                    &state.db,
                    context,
                    "user.created",
                    &target,
                    &summary,
                    "failed",
                )
                .await;
                audited.and(Err(error.into()))
            }
        };
        UserOutcome {
            user: label,
            error: result.err().map(|error| error.to_string()),
        }
    }

    pub async fn run(org: &str, token: &str) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        let now = state.clock.now();
        let pending =
            stored::take::<PendingImport>(&state.db, context.account.id, KIND, token, now)
                .await?
                .filter(|pending| pending.org_id == context.org.id)
                .ok_or_else(|| {
                    AppError::bad_request(
                        "This preview has expired or was already imported; upload the CSV again.",
                    )
                })?;
        let total = pending.to_create.len();
        let work = {
            let (state, context) = (state.clone(), context.clone());
            stream::iter(pending.to_create).map(move |pending| {
                let (line, user) = pending.into_new_user();
                let (state, context) = (state.clone(), context.clone());
                async move { create(&state, &context, line, user).await }
            })
        };
        let token = runs::start(&state, context.account.id, total, work).await?;
        leptos_axum::redirect(&format!(
            "{}/import?results={token}",
            crate::users::users_path(&context.org.slug)
        ));
        Ok(())
    }

    pub async fn view(
        org: &str,
        preview: Option<String>,
        results: Option<String>,
    ) -> Result<ImportView, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        Ok(match (preview, results) {
            (_, Some(token)) => {
                ImportView::Results(runs::progress(&state, context.account.id, &token).await?)
            }
            (Some(token), None) => ImportView::Preview(
                stored::peek::<PendingImport>(
                    &state.db,
                    context.account.id,
                    KIND,
                    &token,
                    state.clock.now(),
                )
                .await?
                .filter(|pending| pending.org_id == context.org.id)
                .map(|pending| ImportPreview {
                    rows: pending.rows,
                    token,
                }),
            ),
            (None, None) => ImportView::Start,
        })
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn columns_are_found_by_header_name_in_any_order() {
            let rows = parse_csv(
                "Last Name,EMAIL,first_name,State,Manager Email\n\
                 Doe,jane@acme.example,Jane,active,boss@acme.example\n\
                 \n\
                 Roe,rick@acme.example,Rick,,\n",
            )
            .unwrap();
            assert_eq!(rows.len(), 2, "the blank line is skipped");
            let jane = rows[0].as_ref().unwrap();
            assert_eq!(jane.line, 2);
            assert_eq!(jane.input.email, "jane@acme.example");
            assert_eq!(jane.input.firstname, "Jane");
            assert_eq!(jane.input.lastname, "Doe");
            assert_eq!(jane.input.manager, "boss@acme.example");
            assert!(jane.input.active);
            let rick = rows[1].as_ref().unwrap();
            assert_eq!(rick.line, 4);
            assert!(!rick.input.active, "staged by default");
        }

        #[test]
        fn bad_files_and_rows_say_what_is_wrong() {
            let no_email = parse_csv("name,department\nJane,R&D\n").unwrap_err();
            assert!(no_email.to_string().contains("\"email\" column"));
            let empty = parse_csv("email\n").unwrap_err();
            assert!(empty.to_string().contains("no users"));
            let rows = parse_csv("email,state\na@b.example,deleted\n").unwrap();
            assert_eq!(
                rows[0].as_ref().unwrap_err(),
                &(
                    2,
                    "state \"deleted\" is neither staged nor active".to_string()
                )
            );
            let too_many = format!("email\n{}", "x@y.example\n".repeat(MAX_ROWS + 1));
            assert!(
                parse_csv(&too_many)
                    .unwrap_err()
                    .to_string()
                    .contains("in parts")
            );
        }
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let org = org_param();
    let query = use_query_map();
    let preview = ServerAction::<PreviewImport>::new();
    let run = ServerAction::<RunImport>::new();
    let step = Memo::new(move |_| {
        let query = query.read();
        (query.get("preview"), query.get("results"))
    });
    let page = Resource::new(
        move || (org.get(), step.get()),
        |(org, (preview, results))| load_import(org, preview, results),
    );
    view! {
        <p>
            <a href=move || users_path(&org.get())>"← Users"</a>
        </p>
        <h1>"Import users from CSV"</h1>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(ImportView::Start) => view! { <UploadForm org=org.get_untracked() preview /> }.into_any(),
                    Ok(ImportView::Preview(Some(found))) => view! { <PreviewTable org=org.get_untracked() preview=found run /> }.into_any(),
                    Ok(ImportView::Preview(None)) => view! {
                        <p class="hint">"This preview has expired or was already imported."</p>
                        <UploadForm org=org.get_untracked() preview />
                    }.into_any(),
                    Ok(ImportView::Results(progress)) => view! { <crate::users::bulk::ResultsView progress /> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UploadForm(org: String, preview: ServerAction<PreviewImport>) -> impl IntoView {
    view! {
        <section class="panel">
            <ActionForm action=preview attr:class="stack" attr:aria-label="Import users">
                <FormError result=preview.value() />
                <input type="hidden" name="org" value=org />
                <label>
                    "CSV (paste the file's contents)"
                    <textarea name="csv" rows="12" required placeholder="email,first name,last name,department,job title,manager email,state"></textarea>
                </label>
                <p class="hint">
                    {format!(
                        "A header row names the columns; only \"email\" is required. State is staged (the default) or active. Up to {MAX_ROWS} users. Imported users get no password: JumpCloud's activation email lets them set one. Nothing is sent to JumpCloud before you confirm the preview."
                    )}
                </p>
                <button type="submit" class="primary">"Preview"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn PreviewTable(
    org: String,
    preview: ImportPreview,
    run: ServerAction<RunImport>,
) -> impl IntoView {
    let count = |wanted: fn(&RowVerdict) -> bool| {
        preview
            .rows
            .iter()
            .filter(|row| wanted(&row.verdict))
            .count()
    };
    let creating = count(|verdict| matches!(verdict, RowVerdict::Create));
    let existing = count(|verdict| matches!(verdict, RowVerdict::Exists(_)));
    let invalid = count(|verdict| matches!(verdict, RowVerdict::Invalid(_)));
    let again = format!("{}/import", users_path(&org));
    let token = preview.token.clone();
    view! {
        <section class="panel">
            <h2>"Preview"</h2>
            <p data-testid="import-summary">
                {format!("{creating} to create, {existing} already in JumpCloud, {invalid} invalid. Nothing has been sent yet.")}
            </p>
            <table class="data" aria-label="Import preview">
                <thead>
                    <tr>
                        <th scope="col">"Line"</th>
                        <th scope="col">"Email"</th>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Username"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Will be"</th>
                    </tr>
                </thead>
                <tbody>
                    {preview
                        .rows
                        .into_iter()
                        .map(|row| {
                            let verdict = match row.verdict {
                                RowVerdict::Create => "Created".to_string(),
                                RowVerdict::Exists(username) => format!("Skipped: already in JumpCloud as {username}"),
                                RowVerdict::Invalid(reason) => format!("Skipped: {reason}"),
                            };
                            view! {
                                <tr>
                                    <td>{row.line}</td>
                                    <td>{row.email}</td>
                                    <td>{row.name}</td>
                                    <td>{row.username}</td>
                                    <td>{row.state}</td>
                                    <td>{verdict}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            {(creating > 0).then(|| view! {
                <ActionForm action=run attr:class="stack" attr:aria-label="Run the import">
                    <FormError result=run.value() />
                    <input type="hidden" name="org" value=org />
                    <input type="hidden" name="token" value=token />
                    <button type="submit" class="primary">{format!("Create {creating} users")}</button>
                </ActionForm>
            })}
            <p><a href=again>"Start again with another CSV"</a></p>
        </section>
    }
}
