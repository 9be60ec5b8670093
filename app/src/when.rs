//! How times read on the pages: UTC days and minutes, ages, and JumpCloud's RFC 3339
//! timestamps turned into the same forms.

use time::OffsetDateTime;

const DAY: i64 = 86_400;

/// "2026-11-23".
pub fn date(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|at| at.date().to_string())
        .unwrap_or_default()
}

/// "2026-01-01 10:00 UTC".
pub fn minute(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|at| format!("{} {:02}:{:02} UTC", at.date(), at.hour(), at.minute()))
        .unwrap_or_default()
}

/// "just now", "5 minutes ago", "3 hours ago", "12 days ago".
pub fn ago(unix: i64, now: i64) -> String {
    let seconds = (now - unix).max(0);
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    match seconds {
        0..60 => "just now".into(),
        60..3_600 => plural(seconds / 60, "minute"),
        3_600..DAY => plural(seconds / 3_600, "hour"),
        _ => plural(seconds / DAY, "day"),
    }
}

/// Unix seconds of an RFC 3339 timestamp as JumpCloud writes them (parsed on the server,
/// where JumpCloud's answers are read).
#[cfg(feature = "ssr")]
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// A JumpCloud timestamp as a UTC minute; what JumpCloud sent if it is not one, and
/// nothing for nothing.
#[cfg(feature = "ssr")]
pub fn jumpcloud_time(text: &str) -> String {
    parse_rfc3339(text).map_or_else(|| text.to_string(), minute)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_795_392_000), "2026-11-23");
        assert_eq!(date(951_782_400), "2000-02-29");
    }

    #[test]
    fn times_read_as_minutes_and_ages() {
        assert_eq!(minute(1_767_225_600), "2026-01-01 00:00 UTC");
        assert_eq!(ago(100, 100), "just now");
        assert_eq!(ago(0, 120), "2 minutes ago");
        assert_eq!(ago(0, 3 * DAY + 5), "3 days ago");
        assert_eq!(ago(0, DAY), "1 day ago");
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn jumpcloud_timestamps_read_as_utc_minutes() {
        assert_eq!(
            jumpcloud_time("2026-01-01T10:05:09.123Z"),
            "2026-01-01 10:05 UTC"
        );
        assert_eq!(
            jumpcloud_time("2026-01-01T12:05:09+02:00"),
            "2026-01-01 10:05 UTC"
        );
        assert_eq!(jumpcloud_time(""), "");
        assert_eq!(jumpcloud_time("soon"), "soon");
    }
}
