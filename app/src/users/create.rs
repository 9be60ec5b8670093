//! `/o/{org}/users/new`: creates a user with a generated temporary password that must be
//! changed at the first login, and shows that password once on the new user's page.

use leptos::prelude::*;

use super::users_path;
use crate::components::FormError;
use crate::error::AppError;
use crate::home::org_param;
use crate::tenants::Capability;
use crate::tenants::gate::RequireCapability;

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "users/create")]
pub async fn create_user(
    org: String,
    #[server(default)] email: String,
    #[server(default)] firstname: String,
    #[server(default)] lastname: String,
    #[server(default)] username: String,
    #[server(default)] department: String,
    #[server(default)] job_title: String,
    #[server(default)] manager: String,
    #[server(default)] state: String,
) -> Result<(), AppError> {
    let input = ssr::NewUserInput {
        email,
        firstname,
        lastname,
        username,
        department,
        job_title,
        manager,
        active: state == "active",
    };
    crate::error::with_http_status(ssr::create(&org, input).await)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use jumpcloud::users::{NewUser, UserFields, UserState};

    use crate::email::Email;
    use crate::error::AppError;
    use crate::state::app_state;
    use crate::tenants::Capability;
    use crate::tenants::access::authorize;
    use crate::users::actions::ssr::{record, reveal_once, temporary_password};
    use crate::users::directory;

    /// What the create form (or a CSV row) sends, before validation.
    #[derive(Clone, Debug, Default, PartialEq, Eq)]
    pub struct NewUserInput {
        pub email: String,
        pub firstname: String,
        pub lastname: String,
        /// Empty: derived from the email's local part.
        pub username: String,
        pub department: String,
        pub job_title: String,
        /// Username or email of the manager; empty for none.
        pub manager: String,
        /// Active at once; otherwise staged until activated.
        pub active: bool,
    }

    /// A username from an email's local part, in the characters JumpCloud accepts.
    pub fn derived_username(email: &str) -> String {
        email
            .split('@')
            .next()
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            .collect::<String>()
            .to_lowercase()
    }

    /// Checks the form and resolves the manager, so nothing is sent to JumpCloud for
    /// input that cannot work.
    pub async fn validated(
        context: &crate::tenants::access::OrgContext,
        input: NewUserInput,
    ) -> Result<NewUser, AppError> {
        let email = Email::parse(input.email.trim()).map_err(|_| {
            AppError::bad_request(format!("{:?} is not an email address.", input.email.trim()))
        })?;
        let firstname = input.firstname.trim().to_string();
        let lastname = input.lastname.trim().to_string();
        if firstname.is_empty() || lastname.is_empty() {
            return Err(AppError::bad_request("Give both a first and a last name."));
        }
        let username = match input.username.trim() {
            "" => derived_username(email.as_str()),
            given => given.to_string(),
        };
        if username.is_empty() {
            return Err(AppError::bad_request("Give a username."));
        }
        let manager = match input.manager.trim() {
            "" => None,
            wanted => Some(
                directory::find_by_username_or_email(context, wanted)
                    .await?
                    .ok_or_else(|| {
                        AppError::bad_request(format!(
                            "No user is called {wanted:?} to be the manager."
                        ))
                    })?
                    .id,
            ),
        };
        let text = |value: String| Some(value.trim().to_string()).filter(|value| !value.is_empty());
        Ok(NewUser {
            username,
            email: email.as_str().to_string(),
            state: Some(if input.active {
                UserState::Activated
            } else {
                UserState::Staged
            }),
            password: None,
            fields: UserFields {
                displayname: Some(format!("{firstname} {lastname}")),
                firstname: Some(firstname),
                lastname: Some(lastname),
                department: text(input.department),
                job_title: text(input.job_title),
                manager,
                ..Default::default()
            },
        })
    }

    /// JumpCloud answers a taken username or email with a 400 (or 409): say which.
    fn creation_error(user: &NewUser, error: jumpcloud::Error) -> AppError {
        match &error {
            jumpcloud::Error::BadRequest(message) | jumpcloud::Error::Conflict(message)
                if message.to_lowercase().contains("exist")
                    || message.to_lowercase().contains("taken") =>
            {
                AppError::Conflict(format!(
                    "JumpCloud already has a user with the username {} or the email {}; nothing was created.",
                    user.username, user.email
                ))
            }
            _ => error.into(),
        }
    }

    pub async fn create(org: &str, input: NewUserInput) -> Result<(), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        let mut new_user = validated(&context, input).await?;
        let password = temporary_password();
        new_user.password = Some(password.clone());
        let created = match context.jumpcloud.create_user(&new_user).await {
            Ok(created) => created,
            Err(error) => {
                let summary = format!("{}: not created — {error}", new_user.email);
                let target = format!("user {}", new_user.username);
                crate::audit::org_action(
                    &state.db,
                    &context,
                    "user.created",
                    &target,
                    &summary,
                    "failed",
                )
                .await?;
                return Err(creation_error(&new_user, error));
            }
        };
        // The password must be changed at the first login; a user whose password could
        // not be expired is removed again rather than left half set up.
        if let Err(error) = context.jumpcloud.expire_password(&created.id).await {
            let removed = context.jumpcloud.delete_user(&created.id, false).await;
            let summary = match removed {
                Ok(_) => "created, then removed: the password could not be expired",
                Err(_) => "created, but the password could not be expired nor the user removed",
            };
            return record(
                &state,
                &context,
                &created,
                "user.created",
                summary,
                Err(error),
            )
            .await;
        }
        let summary = format!(
            "created ({}), temporary password set, change forced",
            if new_user.state == Some(UserState::Activated) {
                "active"
            } else {
                "staged"
            }
        );
        record(&state, &context, &created, "user.created", &summary, Ok(())).await?;
        reveal_once(&state, &context, &created.id, password);
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::derived_username;

        #[test]
        fn usernames_come_from_the_local_part() {
            assert_eq!(derived_username("Jane.Doe+x@acme.example"), "jane.doex");
            assert_eq!(derived_username("ops_team@acme.example"), "ops_team");
        }
    }
}

#[component]
pub fn CreateUserPage() -> impl IntoView {
    let org = org_param();
    let create = ServerAction::<CreateUser>::new();
    view! {
        <p>
            <a href=move || users_path(&org.get())>"← Users"</a>
        </p>
        <RequireCapability capability=Capability::ManageDirectory>
        <h1>"Create a user"</h1>
        <section class="panel">
            <ActionForm action=create attr:class="stack" attr:aria-label="Create a user">
                <FormError result=create.value() />
                <input type="hidden" name="org" value=move || org.get() />
                <label>"Email" <input type="email" name="email" required /></label>
                <label>"First name" <input type="text" name="firstname" required /></label>
                <label>"Last name" <input type="text" name="lastname" required /></label>
                <label>
                    "Username"
                    <input type="text" name="username" placeholder="Left empty: the part of the email before @" />
                </label>
                <label>"Department" <input type="text" name="department" /></label>
                <label>"Job title" <input type="text" name="job_title" /></label>
                <label>
                    "Manager (username or email)"
                    <input type="text" name="manager" />
                </label>
                <fieldset>
                    <legend>"Initial state"</legend>
                    <label class="choice">
                        <input type="radio" name="state" value="staged" checked />
                        "Staged: no access until activated"
                    </label>
                    <label class="choice">
                        <input type="radio" name="state" value="active" />
                        "Active"
                    </label>
                </fieldset>
                <p class="hint">
                    "A strong temporary password is generated, must be changed at the first login, and is shown once on the next page."
                </p>
                <button type="submit" class="primary">"Create user"</button>
            </ActionForm>
        </section>
        </RequireCapability>
    }
}
