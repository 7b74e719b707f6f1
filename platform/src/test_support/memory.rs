//! The test process's own memory, for bounds on what one request may cost (test and server run
//! in one process).

/// Resets this process's peak resident set, so that [`peak_rss_kib`] reports the peak from here
/// on rather than memory freed since; returns the current resident set in KiB.
pub fn reset_peak_rss() -> u64 {
    // Linux: "5" resets VmHWM; where that is refused the peak stays the process's whole life,
    // which can only make the bound stricter.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    status_kib("VmRSS:")
}

/// The peak resident set since [`reset_peak_rss`], in KiB.
pub fn peak_rss_kib() -> u64 {
    status_kib("VmHWM:")
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}
