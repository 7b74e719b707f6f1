//! What kind of page a URL is, from a project's path rules and then the defaults.

use serde::{Deserialize, Serialize};

use super::Vocabulary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContentType {
    Home,
    Article,
    Docs,
    Product,
    Pricing,
    Category,
    Other,
}

impl Vocabulary for ContentType {
    const ALL: &'static [Self] = &[
        ContentType::Home,
        ContentType::Article,
        ContentType::Docs,
        ContentType::Product,
        ContentType::Pricing,
        ContentType::Category,
        ContentType::Other,
    ];

    fn as_str(self) -> &'static str {
        match self {
            ContentType::Home => "home",
            ContentType::Article => "article",
            ContentType::Docs => "docs",
            ContentType::Product => "product",
            ContentType::Pricing => "pricing",
            ContentType::Category => "category",
            ContentType::Other => "other",
        }
    }
}
