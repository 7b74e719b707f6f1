//! Session state ↔ its changelog record on `optiview.sessions.v1`. Each record carries everything a
//! restore needs: the session, the visitor's last AI touch, the newest input offset applied for the
//! visitor and the partition's watermark.

use schemas::session::SessionUpdate;

use super::core::Restored;
use super::session::{AiTouch, Session};

/// Whose session it is; the sessionizer itself keeps only the property and visitor.
pub struct Owner<'a> {
    pub organization_id: &'a str,
    pub project_id: &'a str,
    pub property_id: i64,
    pub visitor_id: &'a str,
    pub agent_class: &'a str,
}

pub fn to_update(
    owner: &Owner<'_>,
    session: &Session,
    last_ai_touch: Option<&AiTouch>,
    applied_offset: i64,
    watermark: i64,
) -> SessionUpdate {
    SessionUpdate {
        session_id: session.session_id.clone(),
        organization_id: owner.organization_id.to_owned(),
        project_id: owner.project_id.to_owned(),
        property_id: owner.property_id,
        visitor_id: owner.visitor_id.to_owned(),
        started_at: session.started_at,
        last_seen_at: session.last_seen,
        pageviews: clamp(session.pageviews),
        events: clamp(session.events),
        entry_url: session.entry_url.clone(),
        exit_url: session.exit_url.clone(),
        referrer_host: session
            .referrer
            .as_deref()
            .and_then(|r| url::Url::parse(r).ok())
            .and_then(|u| u.host_str().map(str::to_owned)),
        ai_source: session.ai_source.clone(),
        agent_class: owner.agent_class.to_owned(),
        converted: session.conversions > 0,
        conversions: clamp(session.conversions),
        conversion_value: session.conversion_value,
        closed: false,
        input_offset: applied_offset,
        version: i32::try_from(session.version).unwrap_or(i32::MAX),
        opened_at: session.opened_at,
        referrer: session.referrer.clone(),
        channel: session.channel.clone(),
        utm: session
            .utm
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        seen: session.seen.iter().map(|&p| i64::from(p)).collect(),
        last_ai_source: last_ai_touch.map(|t| t.source.clone()),
        last_ai_at: last_ai_touch.map(|t| t.at),
        watermark,
    }
}

fn clamp(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub fn to_restored(update: SessionUpdate) -> Restored {
    let last_ai_touch = match (update.last_ai_source, update.last_ai_at) {
        (Some(source), Some(at)) => Some(AiTouch { source, at }),
        _ => None,
    };
    Restored {
        property_id: update.property_id,
        visitor_id: update.visitor_id,
        session: Session {
            session_id: update.session_id,
            opened_at: update.opened_at,
            started_at: update.started_at,
            last_seen: update.last_seen_at,
            entry_url: update.entry_url,
            exit_url: update.exit_url,
            pageviews: u32::try_from(update.pageviews).unwrap_or(0),
            events: u32::try_from(update.events).unwrap_or(0),
            conversions: u32::try_from(update.conversions).unwrap_or(0),
            conversion_value: update.conversion_value,
            referrer: update.referrer,
            channel: update.channel,
            ai_source: update.ai_source,
            utm: update.utm.into_iter().collect(),
            seen: update
                .seen
                .into_iter()
                .filter_map(|p| u32::try_from(p).ok())
                .collect(),
            version: u64::try_from(update.version).unwrap_or(0),
        },
        last_ai_touch,
        applied_offset: update.input_offset,
        watermark: update.watermark,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessionize::Visit;

    #[test]
    fn a_session_survives_the_round_trip_through_its_record() {
        let visit = Visit {
            event_id: "e1".into(),
            ts: 1_700_000_000_000,
            property_id: 3,
            visitor_id: "v1".into(),
            event_type: "conversion".into(),
            url: "https://acme.com/buy".into(),
            referrer: Some("https://chatgpt.com/".into()),
            channel: "ai".into(),
            ai_source: Some("ChatGPT".into()),
            utm: [("utm_source".to_owned(), "chatgpt.com".to_owned())].into(),
            value: Some(12.5),
        };
        let session = Session::start("ses_x".into(), &visit);
        let touch = AiTouch {
            source: "ChatGPT".into(),
            at: visit.ts,
        };
        let owner = Owner {
            organization_id: "org_1",
            project_id: "prj_1",
            property_id: 3,
            visitor_id: "v1",
            agent_class: "human",
        };
        let update = to_update(&owner, &session, Some(&touch), 41, visit.ts + 5);
        assert_eq!(update.referrer_host.as_deref(), Some("chatgpt.com"));
        assert!(update.converted);
        let bytes = schemas::encode(&update).unwrap();
        let decoded: SessionUpdate = schemas::SchemaRegistry::builtin().decode(&bytes).unwrap();
        let restored = to_restored(decoded);
        assert_eq!(restored.session, session);
        assert_eq!(restored.last_ai_touch, Some(touch));
        assert_eq!(
            (restored.property_id, restored.visitor_id.as_str()),
            (3, "v1")
        );
        assert_eq!(
            (restored.applied_offset, restored.watermark),
            (41, visit.ts + 5)
        );
    }
}
