//! Changes to one user: profile, manager, state (now or scheduled), security resets and
//! deletion. Each is one JumpCloud change, audited with its outcome, and forgets the
//! organization's cached users so the next page load shows it.

use leptos::prelude::*;

use crate::error::AppError;

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "users/update")]
pub async fn update_user_profile(
    org: String,
    id: String,
    #[server(default)] firstname: String,
    #[server(default)] lastname: String,
    #[server(default)] email: String,
    #[server(default)] username: String,
    #[server(default)] department: String,
    #[server(default)] job_title: String,
) -> Result<(), AppError> {
    let profile = ssr::ProfileInput {
        firstname,
        lastname,
        email,
        username,
        department,
        job_title,
    };
    crate::error::with_http_status(ssr::update_profile(&org, &id, profile).await)
}

#[server(endpoint = "users/manager")]
pub async fn assign_manager(
    org: String,
    id: String,
    #[server(default)] manager: String,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::assign_manager(&org, &id, &manager).await)
}

#[server(endpoint = "users/activate")]
pub async fn activate_user(
    org: String,
    id: String,
    send_email: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::activate(&org, &id, send_email.is_some()).await)
}

#[server(endpoint = "users/suspend")]
pub async fn suspend_user(org: String, id: String) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::suspend(&org, &id).await)
}

#[server(endpoint = "users/reactivate")]
pub async fn reactivate_user(org: String, id: String) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::reactivate(&org, &id).await)
}

/// `at` is `YYYY-MM-DDTHH:MM` in UTC (an `<input type="datetime-local">`).
#[server(endpoint = "users/schedule")]
pub async fn schedule_user_state(
    org: String,
    id: String,
    #[server(default)] state: String,
    #[server(default)] at: String,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::schedule(&org, &id, &state, &at).await)
}

#[server(endpoint = "users/schedule/cancel")]
pub async fn cancel_scheduled_state(
    org: String,
    id: String,
    #[server(default)] job_id: String,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::cancel_schedule(&org, &id, &job_id).await)
}

#[server(endpoint = "users/unlock")]
pub async fn unlock_user(org: String, id: String) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::unlock(&org, &id).await)
}

#[server(endpoint = "users/expire_password")]
pub async fn expire_user_password(org: String, id: String) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::expire_password(&org, &id).await)
}

#[server(endpoint = "users/reset_mfa")]
pub async fn reset_user_mfa(
    org: String,
    id: String,
    #[server(default)] exclusion_days: u32,
) -> Result<(), AppError> {
    crate::error::with_http_status(ssr::reset_mfa(&org, &id, exclusion_days).await)
}

/// Sets a new temporary password (changed at the next login) and, with `also_mfa`,
/// resets MFA too; redirects to the user's page, which shows the password once.
#[server(endpoint = "users/reset_password")]
pub async fn reset_user_password(
    org: String,
    id: String,
    also_mfa: Option<String>,
    #[server(default)] exclusion_days: u32,
) -> Result<(), AppError> {
    let mfa_days = also_mfa.map(|_| exclusion_days);
    crate::error::with_http_status(ssr::reset_password(&org, &id, mfa_days).await)
}

#[server(endpoint = "users/delete")]
pub async fn delete_user(
    org: String,
    id: String,
    confirm: Option<String>,
    clear_reports: Option<String>,
) -> Result<(), AppError> {
    crate::error::with_http_status(
        ssr::delete(&org, &id, confirm.as_deref(), clear_reports.is_some()).await,
    )
}

/// The temporary password a create or reset just made, once: a second call gets `None`.
#[server(endpoint = "users/temporary_password")]
pub async fn take_temporary_password(
    org: String,
    token: String,
) -> Result<Option<String>, AppError> {
    crate::error::with_http_status(ssr::take_password(&org, &token).await)
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    use jumpcloud::Secret;
    use jumpcloud::user_states::UserStateChange;
    use jumpcloud::users::{ActivationEmail, MfaReset, SystemUser, UserFields, UserState};
    use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
    use rand::Rng;
    use rand::seq::SliceRandom;
    use time::OffsetDateTime;

    use crate::audit;
    use crate::components::typed_confirmation;
    use crate::email::Email;
    use crate::error::AppError;
    use crate::state::{AppState, app_state};
    use crate::tenants::Capability;
    use crate::tenants::access::{OrgContext, authorize};
    use crate::users::cache::Touched;
    use crate::users::{directory, user_path, users_path};

    /// The editable profile fields; empty means "leave as it is" for email and username
    /// and "clear" for the others.
    #[derive(Clone, Debug, Default)]
    pub struct ProfileInput {
        pub firstname: String,
        pub lastname: String,
        pub email: String,
        pub username: String,
        pub department: String,
        pub job_title: String,
    }

    /// An organization the account may change, and the user (read fresh) to change.
    pub async fn target(
        org: &str,
        id: &str,
    ) -> Result<(AppState, OrgContext, SystemUser), AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        let user = directory::user(&state, &context, id, true).await?;
        Ok((state, context, user))
    }

    /// Forgets the org's cached users and audits the outcome; JumpCloud's error, if
    /// any, is what the page shows.
    pub async fn record<T>(
        state: &AppState,
        context: &OrgContext,
        user: &SystemUser,
        action: &str,
        summary: &str,
        result: Result<T, jumpcloud::Error>,
    ) -> Result<T, AppError> {
        crate::directory::ssr::directory_changed(
            state,
            context.org.id,
            Touched::User(user.id.clone()),
        )
        .await?;
        let target = format!("user {}", user.id);
        match result {
            Ok(value) => {
                let summary = format!("{}: {summary}", user.username);
                audit::org_action(&state.db, context, action, &target, &summary, "ok").await?;
                Ok(value)
            }
            Err(error) => {
                let summary = format!("{}: {summary} — {error}", user.username);
                audit::org_action(&state.db, context, action, &target, &summary, "failed").await?;
                Err(error.into())
            }
        }
    }

    fn optional(text: String) -> Option<String> {
        let text = text.trim().to_string();
        (!text.is_empty()).then_some(text)
    }

    pub async fn update_profile(
        org: &str,
        id: &str,
        profile: ProfileInput,
    ) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        let email = match optional(profile.email) {
            Some(email) => Some(Email::parse(&email)?.as_str().to_string()),
            None => None,
        };
        let firstname = profile.firstname.trim().to_string();
        let lastname = profile.lastname.trim().to_string();
        let fields = UserFields {
            username: optional(profile.username),
            email,
            displayname: Some(format!("{firstname} {lastname}").trim().to_string()),
            firstname: Some(firstname),
            lastname: Some(lastname),
            department: Some(profile.department.trim().to_string()),
            job_title: Some(profile.job_title.trim().to_string()),
            ..Default::default()
        };
        let result = context.jumpcloud.update_user(&user.id, &fields).await;
        record(
            &state,
            &context,
            &user,
            "user.updated",
            "edited the profile",
            result,
        )
        .await?;
        // A new department: the user's page shows the group changes the rules imply.
        let before = user.department.clone().unwrap_or_default();
        if fields.department.as_deref() != Some(before.as_str()) {
            leptos_axum::redirect(&format!(
                "{}?moved_from={}",
                user_path(&context.org.slug, &user.id),
                utf8_percent_encode(&before, NON_ALPHANUMERIC)
            ));
        }
        Ok(())
    }

    pub async fn assign_manager(org: &str, id: &str, manager: &str) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        let manager = directory::find_by_username_or_email(&context, manager)
            .await?
            .ok_or_else(|| AppError::bad_request(format!("No user is called {manager:?}.")))?;
        if manager.id == user.id {
            return Err(AppError::bad_request("A user cannot be their own manager."));
        }
        let fields = UserFields {
            manager: Some(manager.id.clone()),
            ..Default::default()
        };
        let result = context.jumpcloud.update_user(&user.id, &fields).await;
        let summary = format!("manager set to {}", manager.username);
        record(&state, &context, &user, "user.manager", &summary, result).await?;
        Ok(())
    }

    pub async fn activate(org: &str, id: &str, send_email: bool) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        let email = if send_email {
            ActivationEmail::Default
        } else {
            ActivationEmail::Suppress
        };
        let result = context.jumpcloud.activate_user(&user.id, &email).await;
        let summary = if send_email {
            "activated, activation email sent"
        } else {
            "activated, no email"
        };
        record(&state, &context, &user, "user.activated", summary, result).await
    }

    pub async fn suspend(org: &str, id: &str) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        let result = context.jumpcloud.suspend_user(&user.id).await;
        record(
            &state,
            &context,
            &user,
            "user.suspended",
            "suspended",
            result,
        )
        .await?;
        Ok(())
    }

    pub async fn reactivate(org: &str, id: &str) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        let result = context.jumpcloud.unsuspend_user(&user.id).await;
        record(
            &state,
            &context,
            &user,
            "user.reactivated",
            "reactivated",
            result,
        )
        .await?;
        Ok(())
    }

    /// `YYYY-MM-DDTHH:MM` (seconds allowed) read as UTC.
    pub fn parse_utc(text: &str) -> Option<OffsetDateTime> {
        let (date, clock) = text.trim().split_once('T')?;
        let mut date_parts = date.split('-').map(str::parse::<i32>);
        let (year, month, day) = (
            date_parts.next()?.ok()?,
            date_parts.next()?.ok()?,
            date_parts.next()?.ok()?,
        );
        let mut clock_parts = clock.split(':').map(str::parse::<u8>);
        let (hour, minute) = (clock_parts.next()?.ok()?, clock_parts.next()?.ok()?);
        let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
        let date = time::Date::from_calendar_date(year, month, u8::try_from(day).ok()?).ok()?;
        let clock = time::Time::from_hms(hour, minute, 0).ok()?;
        Some(time::PrimitiveDateTime::new(date, clock).assume_utc())
    }

    pub fn scheduled_state(text: &str) -> Result<UserState, AppError> {
        match text {
            "activate" => Ok(UserState::Activated),
            "suspend" => Ok(UserState::Suspended),
            _ => Err(AppError::bad_request("Choose to activate or to suspend.")),
        }
    }

    pub fn future_time(at: &str) -> Result<OffsetDateTime, AppError> {
        let start = parse_utc(at)
            .ok_or_else(|| AppError::bad_request("Give a date and time (UTC) for the change."))?;
        if start <= OffsetDateTime::now_utc() {
            return Err(AppError::bad_request(
                "The date and time must be in the future.",
            ));
        }
        Ok(start)
    }

    pub async fn schedule(org: &str, id: &str, state_name: &str, at: &str) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        let new_state = scheduled_state(state_name)?;
        let start = future_time(at)?;
        let change = UserStateChange {
            user_ids: vec![user.id.clone()],
            state: new_state,
            start,
            send_activation_emails: (new_state == UserState::Activated).then_some(false),
        };
        let result = context.jumpcloud.schedule_user_states(&change).await;
        let summary = format!(
            "scheduled {} for {at} UTC",
            new_state.as_str().to_lowercase()
        );
        record(
            &state,
            &context,
            &user,
            "user.state_scheduled",
            &summary,
            result,
        )
        .await?;
        Ok(())
    }

    pub async fn cancel_schedule(org: &str, id: &str, job_id: &str) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        // Only a job that includes this user may be cancelled from this user's page.
        let scheduled = context.jumpcloud.list_scheduled_user_states().await?;
        if !scheduled
            .iter()
            .any(|entry| entry.job_id == job_id && entry.user_id == user.id)
        {
            return Err(AppError::NotFound("That scheduled change".into()));
        }
        let result = context.jumpcloud.cancel_scheduled_user_states(job_id).await;
        let summary = format!("cancelled scheduled job {job_id}");
        record(
            &state,
            &context,
            &user,
            "user.schedule_cancelled",
            &summary,
            result,
        )
        .await
    }

    pub async fn unlock(org: &str, id: &str) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        let result = context.jumpcloud.unlock_user(&user.id).await;
        record(&state, &context, &user, "user.unlocked", "unlocked", result).await
    }

    pub async fn expire_password(org: &str, id: &str) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        let result = context.jumpcloud.expire_password(&user.id).await;
        record(
            &state,
            &context,
            &user,
            "user.password_expired",
            "password expired",
            result,
        )
        .await
    }

    fn mfa_reset(exclusion_days: u32) -> MfaReset {
        MfaReset {
            exclusion: exclusion_days > 0,
            exclusion_days: (exclusion_days > 0).then_some(exclusion_days),
            exclusion_until: None,
        }
    }

    pub async fn reset_mfa(org: &str, id: &str, exclusion_days: u32) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        let result = context
            .jumpcloud
            .reset_mfa(&user.id, &mfa_reset(exclusion_days))
            .await;
        let summary = format!("MFA reset, {exclusion_days} days to enroll");
        record(&state, &context, &user, "user.mfa_reset", &summary, result).await
    }

    /// A strong temporary password: 20 characters with every character class, so it
    /// passes any JumpCloud password policy's complexity rules.
    pub fn temporary_password() -> Secret {
        const CLASSES: [&[u8]; 4] = [
            b"ABCDEFGHJKLMNPQRSTUVWXYZ",
            b"abcdefghijkmnopqrstuvwxyz",
            b"23456789",
            b"!#%+-=?@_",
        ];
        let mut rng = rand::thread_rng();
        let mut characters: Vec<u8> = CLASSES
            .iter()
            .map(|class| class[rng.gen_range(0..class.len())])
            .collect();
        let all: Vec<u8> = CLASSES.concat();
        while characters.len() < 20 {
            characters.push(all[rng.gen_range(0..all.len())]);
        }
        characters.shuffle(&mut rng);
        Secret::new(characters.into_iter().map(char::from).collect::<String>())
    }

    /// Sets `password` and expires it at once, so the user must choose their own at
    /// the first login.
    pub async fn set_temporary_password(
        context: &OrgContext,
        user_id: &str,
        password: &Secret,
    ) -> Result<(), jumpcloud::Error> {
        context.jumpcloud.set_password(user_id, password).await?;
        context.jumpcloud.expire_password(user_id).await
    }

    /// Leaves the password for the user's page and sends the browser there.
    pub fn reveal_once(state: &AppState, context: &OrgContext, user_id: &str, password: Secret) {
        let token = state.users.passwords.leave(context.account.id, password);
        leptos_axum::redirect(&format!(
            "{}?password={token}",
            user_path(&context.org.slug, user_id)
        ));
    }

    pub async fn reset_password(
        org: &str,
        id: &str,
        mfa_days: Option<u32>,
    ) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        let password = temporary_password();
        let result = set_temporary_password(&context, &user.id, &password).await;
        record(
            &state,
            &context,
            &user,
            "user.password_reset",
            "temporary password set, change forced",
            result,
        )
        .await?;
        if let Some(days) = mfa_days {
            let result = context
                .jumpcloud
                .reset_mfa(&user.id, &mfa_reset(days))
                .await;
            let summary = format!("MFA reset, {days} days to enroll");
            record(&state, &context, &user, "user.mfa_reset", &summary, result).await?;
        }
        reveal_once(&state, &context, &user.id, password);
        Ok(())
    }

    pub async fn delete(
        org: &str,
        id: &str,
        confirm: Option<&str>,
        clear_reports: bool,
    ) -> Result<(), AppError> {
        let (state, context, user) = target(org, id).await?;
        typed_confirmation(confirm, &user.username)?;
        let result = context.jumpcloud.delete_user(&user.id, clear_reports).await;
        record(&state, &context, &user, "user.deleted", "deleted", result).await?;
        leptos_axum::redirect(&users_path(&context.org.slug));
        Ok(())
    }

    pub async fn take_password(org: &str, token: &str) -> Result<Option<String>, AppError> {
        let state = app_state()?;
        let context = authorize(&state, org, Capability::ManageDirectory).await?;
        Ok(state
            .users
            .passwords
            .take(context.account.id, token)
            .map(|password| password.expose().to_string()))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn temporary_passwords_are_long_and_mixed() {
            let password = temporary_password();
            let text = password.expose();
            assert_eq!(text.len(), 20);
            assert!(text.chars().any(|c| c.is_ascii_uppercase()));
            assert!(text.chars().any(|c| c.is_ascii_lowercase()));
            assert!(text.chars().any(|c| c.is_ascii_digit()));
            assert!(text.chars().any(|c| !c.is_ascii_alphanumeric()));
            assert_ne!(text, temporary_password().expose());
        }

        #[test]
        fn schedule_times_are_utc_minutes() {
            let at = parse_utc("2030-02-03T04:05").map(|at| at.unix_timestamp());
            assert_eq!(at, Some(1_896_321_900));
            assert!(parse_utc("2030-02-30T04:05").is_none());
            assert!(parse_utc("tomorrow").is_none());
        }
    }
}
