//! What the `services` example says: the daytime text (RFC 867) and the
//! chargen lines (RFC 864), kept here so they are tested. (The TCP echo
//! step the polling-loop echo servers share is `rstcp_testkit::echo`.)

use std::time::{SystemTime, UNIX_EPOCH};

/// Printable characters per chargen line, before CR LF (RFC 864).
pub const CHARGEN_WIDTH: usize = 72;

/// Line `n` of the chargen pattern: 72 characters of the 95 printable ASCII
/// ones, starting one further along each line, then CR LF (RFC 864).
pub fn chargen_line(n: usize, line: &mut [u8; CHARGEN_WIDTH + 2]) {
    const FIRST: u8 = b' ';
    const COUNT: usize = 95;
    for (i, b) in line[..CHARGEN_WIDTH].iter_mut().enumerate() {
        *b = FIRST + ((n + i) % COUNT) as u8;
    }
    line[CHARGEN_WIDTH] = b'\r';
    line[CHARGEN_WIDTH + 1] = b'\n';
}

/// The daytime answer (RFC 867 leaves the format free): UTC as
/// `Sunday, December 6, 2026 07:05:09-UTC` and CR LF, the form its text
/// suggests.
pub fn daytime(now: SystemTime) -> String {
    const DAYS: [&str; 7] = [
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
        "Monday",
        "Tuesday",
        "Wednesday",
    ];
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    let (y, m, d) = civil_from_days(days as i64);
    let t = secs % 86_400;
    format!(
        "{}, {} {}, {} {:02}:{:02}:{:02}-UTC\r\n",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        d,
        y,
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

/// Year, month (1-12), day (1-31) of the proleptic Gregorian calendar for
/// a count of days since 1970-01-01 (the era-based conversion of Howard
/// Hinnant's date algorithms, which needs no tables).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn daytime_names_the_date_and_time_in_utc() {
        let at = |s| UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(daytime(at(0)), "Thursday, January 1, 1970 00:00:00-UTC\r\n");
        // 2000-02-29 12:34:56, a leap day of a century year.
        assert_eq!(
            daytime(at(951_827_696)),
            "Tuesday, February 29, 2000 12:34:56-UTC\r\n"
        );
        assert_eq!(
            daytime(at(1_796_540_709)),
            "Sunday, December 6, 2026 07:05:09-UTC\r\n"
        );
    }

    #[test]
    fn chargen_lines_rotate_through_printable_ascii() {
        let mut line = [0u8; CHARGEN_WIDTH + 2];
        chargen_line(0, &mut line);
        assert!(line.starts_with(b" !\"#$%&'()*+,-./0123456789"));
        assert!(line.ends_with(b"\r\n"));
        chargen_line(1, &mut line);
        assert!(line.starts_with(b"!\"#$"));
        chargen_line(94, &mut line);
        assert_eq!(&line[..2], b"~ ", "wraps after the 95th character");
        assert!(line[..CHARGEN_WIDTH]
            .iter()
            .all(|b| (b' '..=b'~').contains(b)));
    }
}
