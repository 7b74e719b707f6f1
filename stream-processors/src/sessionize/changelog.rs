//! Session state ↔ its changelog record on `optiview.sessions.v1`. Each record carries everything a
//! restore needs: the session, the visitor's last AI touch, the newest input offset applied for the
//! visitor and the partition's watermark.

use schemas::session::SessionUpdate;
use schemas::vocab::{AgentClass, Channel, Vocabulary};

use super::core::Restored;
use super::session::{canonical_utm, utm_pairs, AiTouch, Session, SessionId};

/// Whose session it is; the sessionizer itself keeps only the property and visitor.
pub struct Owner<'a> {
    pub organization_id: &'a str,
    pub project_id: &'a str,
    pub property_id: i64,
    pub visitor_id: &'a str,
    pub agent_class: AgentClass,
}

pub fn to_update(
    owner: &Owner<'_>,
    session: &Session,
    last_ai_touch: Option<&AiTouch>,
    applied_offset: i64,
    watermark: i64,
) -> SessionUpdate {
    SessionUpdate {
        session_id: session.id.to_string(),
        organization_id: owner.organization_id.to_owned(),
        project_id: owner.project_id.to_owned(),
        property_id: owner.property_id,
        visitor_id: owner.visitor_id.to_owned(),
        started_at: session.started_at,
        last_seen_at: session.last_seen,
        pageviews: clamp(session.pageviews),
        events: clamp(session.events),
        entry_url: session.entry_url.to_string(),
        exit_url: session.exit_url.to_string(),
        referrer_host: session
            .referrer
            .as_deref()
            .and_then(|r| url::Url::parse(r).ok())
            .and_then(|u| u.host_str().map(str::to_owned)),
        ai_source: session.ai_source.as_deref().map(str::to_owned),
        agent_class: owner.agent_class.as_str().to_owned(),
        converted: session.conversions > 0,
        conversions: clamp(session.conversions),
        conversion_value: session.conversion_value,
        closed: false,
        input_offset: applied_offset,
        version: i32::try_from(session.version).unwrap_or(i32::MAX),
        opened_at: session.opened_at,
        referrer: session.referrer.as_deref().map(str::to_owned),
        channel: session.channel.map_or("", Channel::as_str).to_owned(),
        utm: utm_pairs(&session.utm)
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
        seen: session.seen.iter().map(|&p| i64::from(p)).collect(),
        last_ai_source: last_ai_touch.map(|t| t.source.to_string()),
        last_ai_at: last_ai_touch.map(|t| t.at),
        watermark,
    }
}

fn clamp(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// None for a record whose session id is not one this processor writes.
pub fn to_restored(update: SessionUpdate) -> Option<Restored> {
    let last_ai_touch = match (update.last_ai_source, update.last_ai_at) {
        (Some(source), Some(at)) => Some(AiTouch {
            source: source.into(),
            at,
        }),
        _ => None,
    };
    let utm = canonical_utm(update.utm.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    Some(Restored {
        property_id: update.property_id,
        visitor_id: update.visitor_id,
        session: Session {
            id: SessionId::parse(&update.session_id)?,
            opened_at: update.opened_at,
            started_at: update.started_at,
            last_seen: update.last_seen_at,
            entry_url: update.entry_url.into(),
            exit_url: update.exit_url.into(),
            pageviews: u32::try_from(update.pageviews).unwrap_or(0),
            events: u32::try_from(update.events).unwrap_or(0),
            conversions: u32::try_from(update.conversions).unwrap_or(0),
            conversion_value: update.conversion_value,
            referrer: update.referrer.map(Into::into),
            channel: Channel::parse(&update.channel),
            ai_source: update.ai_source.map(Into::into),
            utm: utm.into(),
            seen: update
                .seen
                .into_iter()
                .filter_map(|p| u32::try_from(p).ok())
                .collect(),
            version: u32::try_from(update.version).unwrap_or(0),
        },
        last_ai_touch,
        applied_offset: update.input_offset,
        watermark: update.watermark,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sessionize::{Interner, Visit};
    use schemas::vocab::EventType;

    #[test]
    fn a_session_survives_the_round_trip_through_its_record() {
        let utm = canonical_utm([("utm_source", "chatgpt.com"), ("utm_medium", "ai")]);
        let visit = Visit {
            event_id: "e1",
            ts: 1_700_000_000_000,
            property_id: 3,
            visitor_id: "v1",
            event_type: EventType::Conversion,
            url: "https://acme.com/buy",
            referrer: Some("https://chatgpt.com/"),
            channel: Some(Channel::Ai),
            ai_source: Some("ChatGPT"),
            utm: &utm,
            value: Some(12.5),
        };
        let session = Session::start(SessionId([7; 10]), &visit, &mut Interner::default());
        let touch = AiTouch {
            source: "ChatGPT".into(),
            at: visit.ts,
        };
        let owner = Owner {
            organization_id: "org_1",
            project_id: "prj_1",
            property_id: 3,
            visitor_id: "v1",
            agent_class: AgentClass::Human,
        };
        let update = to_update(&owner, &session, Some(&touch), 41, visit.ts + 5);
        assert_eq!(update.referrer_host.as_deref(), Some("chatgpt.com"));
        assert!(update.converted);
        let bytes = schemas::encode(&update).unwrap();
        let decoded: SessionUpdate = schemas::SchemaRegistry::builtin().decode(&bytes).unwrap();
        let restored = to_restored(decoded).unwrap();
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
