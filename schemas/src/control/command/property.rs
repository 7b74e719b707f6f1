//! Properties: adding one to a project, changing its settings.

use super::super::domain;
use super::super::events::{Entity, Property, PropertyKind};
use super::super::view::ControlView;
use super::checks::already_exists;
use super::{CommandError, Decide, Decision, Stamp};

/// The fields a `property.created` event sets.
pub(super) const PROPERTY_CREATED: &[&str] = &[
    "id",
    "project_id",
    "domain",
    "kind",
    "active",
    "allow_subdomains",
];

#[derive(Debug, Clone, PartialEq)]
pub struct CreateProperty {
    pub project_id: String,
    pub domain: String,
    pub kind: PropertyKind,
    pub allow_subdomains: bool,
    /// Start in cookieless mode, so not even the first page view sets a cookie.
    pub cookieless: bool,
}

impl Decide for CreateProperty {
    type Outcome = Property;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<Property>, CommandError> {
        view.existing_project(&self.project_id)?;
        let domain = domain::normalize(&self.domain)?.host;
        let kind = self.kind;
        if view
            .properties_of(&self.project_id)
            .any(|p| p.domain == domain && p.kind == kind)
        {
            return Err(already_exists(
                "property",
                format!("{kind:?} {domain}").to_lowercase(),
            ));
        }
        let mut property = view.new_property(&self.project_id, domain, kind, self.allow_subdomains);
        property.cookieless = self.cookieless;
        let mut fields = PROPERTY_CREATED.to_vec();
        if self.cookieless {
            fields.push("cookieless");
        }
        let event = stamp.event("property.created", &fields, Entity::Property(&property));
        Ok(Decision::one(property, event))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpdateProperty {
    pub property_id: i64,
    pub active: bool,
    pub allow_subdomains: bool,
    pub honor_privacy_signals: bool,
    pub cookieless: bool,
}

impl Decide for UpdateProperty {
    type Outcome = Property;

    fn decide(
        &self,
        view: &ControlView,
        stamp: Stamp<'_>,
    ) -> Result<Decision<Property>, CommandError> {
        let mut property = view.existing_property(self.property_id)?.clone();
        let mut changed = Vec::new();
        if property.active != self.active {
            changed.push("active");
        }
        if property.allow_subdomains != self.allow_subdomains {
            changed.push("allow_subdomains");
        }
        if property.honor_privacy_signals != self.honor_privacy_signals {
            changed.push("honor_privacy_signals");
        }
        if property.cookieless != self.cookieless {
            changed.push("cookieless");
        }
        property.active = self.active;
        property.allow_subdomains = self.allow_subdomains;
        property.honor_privacy_signals = self.honor_privacy_signals;
        property.cookieless = self.cookieless;
        let event = stamp.event("property.updated", &changed, Entity::Property(&property));
        Ok(Decision::one(property, event))
    }
}

impl ControlView {
    /// A new active property with the next free id.
    pub(super) fn new_property(
        &self,
        project_id: &str,
        domain: String,
        kind: PropertyKind,
        allow_subdomains: bool,
    ) -> Property {
        Property {
            id: self.next_property_id(),
            project_id: project_id.to_owned(),
            domain,
            kind,
            active: true,
            allow_subdomains,
            honor_privacy_signals: false,
            cookieless: false,
        }
    }
}
