//! The audit log: the append-only, hash-chained store (`log`, server side), the
//! organization's audit page with its search and chain check, and the CSV export.

#[cfg(feature = "ssr")]
pub mod export;
#[cfg(feature = "ssr")]
mod log;
mod page;

#[cfg(feature = "ssr")]
pub use log::*;
pub use page::AuditPage;

/// Most entries one page of the audit page shows.
pub const PAGE_SIZE: i64 = 100;

/// The search fields of the audit page and its export, as the query string carries them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditQuery {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// A UTC date, `YYYY-MM-DD`, inclusive.
    pub from: Option<String>,
    /// A UTC date, `YYYY-MM-DD`, inclusive.
    pub until: Option<String>,
}

impl AuditQuery {
    /// The query string that repeats this search (for the next page and the export).
    pub fn query_string(&self) -> String {
        crate::components::query_string(
            [
                ("actor", &self.actor),
                ("action", &self.action),
                ("target", &self.target),
                ("from", &self.from),
                ("until", &self.until),
            ]
            .map(|(key, value)| (key, value.as_deref().unwrap_or_default())),
        )
    }

    /// The search for the log, with the dates checked: a bad date is a clear error.
    #[cfg(feature = "ssr")]
    pub fn search(&self, before: Option<i64>) -> Result<Search<'_>, crate::error::AppError> {
        Ok(Search {
            actor: self.actor.as_deref(),
            action: self.action.as_deref(),
            target: self.target.as_deref(),
            from: self.from.as_deref().map(day_start).transpose()?.flatten(),
            until: self
                .until
                .as_deref()
                .map(day_start)
                .transpose()?
                .flatten()
                .map(|start| start + 86_400),
            before,
        })
    }
}

/// Midnight UTC of `YYYY-MM-DD` in Unix seconds; nothing for an empty field.
#[cfg(feature = "ssr")]
pub(crate) fn day_start(text: &str) -> Result<Option<i64>, crate::error::AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad =
        || crate::error::AppError::bad_request(format!("{text:?} is not a date (YYYY-MM-DD)."));
    let mut parts = text
        .splitn(3, '-')
        .map(|part| part.parse::<i32>().map_err(|_| bad()));
    let (year, month, day) = (
        parts.next().ok_or_else(bad)??,
        parts.next().ok_or_else(bad)??,
        parts.next().ok_or_else(bad)??,
    );
    let month = u8::try_from(month)
        .ok()
        .and_then(|month| time::Month::try_from(month).ok())
        .ok_or_else(bad)?;
    let day = u8::try_from(day).map_err(|_| bad())?;
    let date = time::Date::from_calendar_date(year, month, day).map_err(|_| bad())?;
    Ok(Some(date.midnight().assume_utc().unix_timestamp()))
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn dates_are_whole_utc_days_and_bad_ones_are_refused() {
        assert_eq!(day_start("1970-01-02").ok().flatten(), Some(86_400));
        assert_eq!(day_start("").ok().flatten(), None);
        assert!(day_start("2026-13-01").is_err());
        assert!(day_start("yesterday").is_err());
        let query = AuditQuery {
            from: Some("1970-01-01".into()),
            until: Some("1970-01-01".into()),
            ..AuditQuery::default()
        };
        let search = query.search(None).ok();
        assert_eq!(search.as_ref().and_then(|s| s.from), Some(0));
        assert_eq!(search.and_then(|s| s.until), Some(86_400));
    }

    #[test]
    fn the_query_string_repeats_the_search() {
        let query = AuditQuery {
            actor: Some("ann@example.com".into()),
            action: Some(String::new()),
            ..AuditQuery::default()
        };
        assert_eq!(query.query_string(), "actor=ann%40example%2Ecom");
    }
}
