//! Browser, OS and device type of a human visitor, from the uap-core regexes through the
//! `ua-parser` crate (prefiltered matching: only regexes whose literal atoms occur are tried).

use std::borrow::Cow;

use serde::Serialize;

use schemas::catalog::UAP_REGEXES;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    Desktop,
    Mobile,
    Tablet,
    Tv,
}

impl DeviceType {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceType::Desktop => "desktop",
            DeviceType::Mobile => "mobile",
            DeviceType::Tablet => "tablet",
            DeviceType::Tv => "tv",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Browser<'a> {
    pub family: Cow<'a, str>,
    pub major: Option<&'a str>,
    pub os: Cow<'a, str>,
    pub device: DeviceType,
}

pub struct BrowserParser {
    ua: ua_parser::user_agent::Extractor<'static>,
    os: ua_parser::os::Extractor<'static>,
}

impl BrowserParser {
    pub fn new() -> anyhow::Result<Self> {
        let regexes: ua_parser::Regexes<'static> = serde_json::from_str(UAP_REGEXES)?;
        let ua = ua_parser::user_agent::Builder::new()
            .push_all(regexes.user_agent_parsers)?
            .build()?;
        let os = ua_parser::os::Builder::new()
            .push_all(regexes.os_parsers)?
            .build()?;
        Ok(Self { ua, os })
    }

    pub fn parse<'a>(&'a self, ua: &'a str) -> Browser<'a> {
        let browser = self.ua.extract(ua);
        let os = self.os.extract(ua);
        let os_family = os.map_or(Cow::Borrowed("Other"), |o| o.os);
        Browser {
            device: device_type(ua, &os_family),
            family: browser
                .as_ref()
                .map_or(Cow::Borrowed("Other"), |b| b.family.clone()),
            major: browser.and_then(|b| b.major),
            os: os_family,
        }
    }
}

/// Device type from the markers browsers put in their user agent: TV platforms, tablets (iPad,
/// Android without "Mobile", explicit "Tablet"), phones ("Mobile", iPhone), else desktop.
pub fn device_type(ua: &str, os: &str) -> DeviceType {
    let has = |needle: &str| ua.contains(needle);
    if [
        "SmartTV", "SMART-TV", "Tizen", "Web0S", "webOS.TV", "AppleTV", "CrKey", "BRAVIA", "HbbTV",
        "AFT", "Roku",
    ]
    .iter()
    .any(|m| has(m))
        && !has("Mobile")
    {
        return DeviceType::Tv;
    }
    if has("iPad") || has("Tablet") || (os == "Android" && !has("Mobile")) {
        return DeviceType::Tablet;
    }
    if has("Mobi") || has("iPhone") || has("iPod") || os == "Android" || has("Windows Phone") {
        return DeviceType::Mobile;
    }
    DeviceType::Desktop
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn device_types_follow_the_user_agents_markers() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        let ipad = "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        let android_tablet = "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";
        let tv = "Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0 TV Safari/537.36";
        let desktop = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(device_type(iphone, "iOS"), DeviceType::Mobile);
        assert_eq!(device_type(ipad, "iOS"), DeviceType::Tablet);
        assert_eq!(device_type(android_tablet, "Android"), DeviceType::Tablet);
        assert_eq!(device_type(tv, "Tizen"), DeviceType::Tv);
        assert_eq!(device_type(desktop, "Windows"), DeviceType::Desktop);
    }

    #[test]
    fn browsers_get_family_major_and_os() {
        let parser = BrowserParser::new().unwrap();
        let b = parser.parse("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36");
        assert_eq!(b.family, "Chrome");
        assert_eq!(b.major, Some("131"));
        assert_eq!(b.os, "Windows");
        assert_eq!(b.device, DeviceType::Desktop);
    }
}
