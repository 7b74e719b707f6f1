//! The enrichment evaluation commands: one input per line in, one JSON object per line out, so a
//! classifier change can be diffed over a corpus.

use std::io::{BufRead, Write};

use crate::enrich::{Attributor, Classifier};

/// `classify`: a user agent per line → class, agent, operator, browser, browser_major, os, device.
pub fn classify(input: impl BufRead, mut out: impl Write) -> anyhow::Result<()> {
    let classifier = Classifier::from_catalog()?;
    for line in input.lines() {
        serde_json::to_writer(&mut out, &classifier.classify(&line?))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

/// `attribute`: `url<TAB>referrer` per line (the referrer may be empty or missing) → ai_source,
/// channel, matched_by.
pub fn attribute(input: impl BufRead, mut out: impl Write) -> anyhow::Result<()> {
    let attributor = Attributor::from_catalog();
    for line in input.lines() {
        let line = line?;
        let (url, referrer) = line.split_once('\t').unwrap_or((line.as_str(), ""));
        let referrer = Some(referrer.trim()).filter(|r| !r.is_empty());
        serde_json::to_writer(&mut out, &attributor.attribute(url.trim(), referrer))?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}
