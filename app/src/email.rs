//! Email addresses, validated once at the edge and stored lowercased.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Accepts `local@domain` with no spaces, at most 254 characters. Deliberately loose:
    /// JumpCloud and the mail server are the real judges; this only catches typos.
    pub fn parse(input: &str) -> Result<Self, AppError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(AppError::bad_request("Enter an email address."));
        }
        let valid = trimmed.len() <= 254
            && !trimmed.chars().any(char::is_whitespace)
            && matches!(trimmed.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
        if !valid {
            return Err(AppError::bad_request(format!(
                "{trimmed:?} is not a valid email address."
            )));
        }
        Ok(Email(trimmed.to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Email {
    type Error = AppError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> Self {
        email.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_and_accepts_ordinary_addresses() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "ada@example.com"
        );
        assert_eq!(
            Email::parse("admin@localhost").unwrap().as_str(),
            "admin@localhost"
        );
    }

    #[test]
    fn rejects_malformed_addresses_with_a_message() {
        for bad in [
            "",
            "no-at-sign",
            "@example.com",
            "a@",
            "a b@example.com",
            "a@b@c",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(
                matches!(err, AppError::BadRequest(_)),
                "{bad:?} gave {err:?}"
            );
        }
    }
}
