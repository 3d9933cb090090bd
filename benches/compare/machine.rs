//! What the report says about the machine it ran on.

use std::time::{SystemTime, UNIX_EPOCH};

pub struct Machine {
    pub cores: usize,
    pub os: &'static str,
    pub arch: &'static str,
    /// Distribution name (`PRETTY_NAME` of `/etc/os-release`), when known.
    pub os_release: Option<String>,
    pub kernel: Option<String>,
    pub cpu: Option<String>,
    pub rustc: Option<String>,
    /// 1-minute load average when the run started (a busy machine makes
    /// noisy numbers).
    pub load_avg: Option<f64>,
    pub unix_time: u64,
    /// `YYYY-MM-DDTHH:MM:SSZ`.
    pub date_utc: String,
}

impl Machine {
    pub fn detect() -> Machine {
        let unix_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Machine {
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            os: std::env::consts::OS,
            arch: std::env::consts::ARCH,
            os_release: read("/etc/os-release").and_then(|s| {
                s.lines()
                    .find_map(|l| l.strip_prefix("PRETTY_NAME="))
                    .map(|v| v.trim_matches('"').to_string())
            }),
            kernel: read("/proc/sys/kernel/osrelease").map(|s| s.trim().to_string()),
            cpu: read("/proc/cpuinfo").and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("model name"))
                    .and_then(|l| l.split_once(':'))
                    .map(|(_, v)| v.trim().to_string())
            }),
            rustc: std::process::Command::new("rustc")
                .arg("-V")
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string()),
            load_avg: read("/proc/loadavg")
                .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok())),
            unix_time,
            date_utc: iso_utc(unix_time),
        }
    }

    /// One line for table and chart headers.
    pub fn summary(&self) -> String {
        let mut s = format!("{} cores, {} {}", self.cores, self.os, self.arch);
        if let Some(cpu) = &self.cpu {
            s.push_str(", ");
            s.push_str(cpu);
        }
        if let Some(load) = self.load_avg {
            s.push_str(&format!(", load {load:.2} at start"));
        }
        s
    }
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Formats seconds since the Unix epoch as an ISO 8601 UTC timestamp.
fn iso_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Gregorian (year, month, day) of a day count since 1970-01-01.
fn civil_from_days(mut days: i64) -> (i64, u32, u32) {
    let leap = |y: i64| (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mut year = 1970;
    loop {
        let len = if leap(year) { 366 } else { 365 };
        if days < len {
            break;
        }
        days -= len;
        year += 1;
    }
    let feb = if leap(year) { 29 } else { 28 };
    let lengths = [31, feb, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 1;
    for len in lengths {
        if days < len {
            break;
        }
        days -= len;
        month += 1;
    }
    (year, month, days as u32 + 1)
}
