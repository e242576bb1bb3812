//! ISO weeks (`2026-W47`): Monday 00:00 UTC to the next Monday, the unit
//! the retrain job holds out, names its run after and partitions by.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};

use super::RetrainError;

/// An ISO 8601 week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IsoWeek {
    monday: NaiveDate,
}

impl IsoWeek {
    /// The week holding `day`.
    pub fn of(day: NaiveDate) -> IsoWeek {
        let back = day.weekday().num_days_from_monday();
        IsoWeek {
            monday: day - Duration::days(i64::from(back)),
        }
    }

    /// The last week that has ended by `now`.
    pub fn last_complete(now: DateTime<Utc>) -> IsoWeek {
        IsoWeek::of(now.date_naive()).previous()
    }

    /// Its Monday.
    pub fn monday(self) -> NaiveDate {
        self.monday
    }

    /// Its first instant (Monday 00:00 UTC).
    pub fn start(self) -> DateTime<Utc> {
        self.monday
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
    }

    /// The first instant after it (the next Monday 00:00 UTC).
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    /// The week after.
    pub fn next(self) -> IsoWeek {
        IsoWeek {
            monday: self.monday + Duration::days(7),
        }
    }

    /// The week before.
    pub fn previous(self) -> IsoWeek {
        IsoWeek {
            monday: self.monday - Duration::days(7),
        }
    }

    /// This week and the ones after it up to `last`, in order.
    pub fn through(self, last: IsoWeek) -> Vec<IsoWeek> {
        let mut weeks = Vec::new();
        let mut w = self;
        while w <= last {
            weeks.push(w);
            w = w.next();
        }
        weeks
    }
}

impl fmt::Display for IsoWeek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let iso = self.monday.iso_week();
        write!(f, "{}-W{:02}", iso.year(), iso.week())
    }
}

impl FromStr for IsoWeek {
    type Err = RetrainError;

    fn from_str(s: &str) -> Result<IsoWeek, RetrainError> {
        let bad = || RetrainError::BadWeek(s.to_string());
        let (year, week) = s.split_once("-W").ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let week: u32 = week.parse().map_err(|_| bad())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .map(|monday| IsoWeek { monday })
            .ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_parse_print_and_bound_their_days() {
        let w: IsoWeek = "2026-W47".parse().unwrap();
        assert_eq!(w.to_string(), "2026-W47");
        assert_eq!(w.monday(), NaiveDate::from_ymd_opt(2026, 11, 16).unwrap());
        assert_eq!(w.end() - w.start(), Duration::days(7));
        // 1 January 2027 is a Friday: it belongs to 2026's last week.
        let jan1 = IsoWeek::of(NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        assert_eq!(jan1.to_string(), "2026-W53");
        assert_eq!(jan1.next().to_string(), "2027-W01");
        assert!("2026-W54".parse::<IsoWeek>().is_err());
        assert!("2026-47".parse::<IsoWeek>().is_err());
        let sunday = "2026-11-22T23:59:59Z".parse().unwrap();
        assert_eq!(IsoWeek::last_complete(sunday).to_string(), "2026-W46");
        assert_eq!(w.previous().through(w).len(), 2);
    }
}
