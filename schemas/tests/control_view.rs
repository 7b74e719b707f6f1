//! The control-plane fold and command validation, as pure logic.

use schemas::control::ids::{hash_secret, is_valid_id, new_id, new_secret};
use schemas::control::{
    ChangePlan, CommandError, ControlEvent, ControlView, CreateAnalystToken, CreateApiKey,
    CreateOrganization, CreateProject, CreateProperty, CreateUser, Decide, Membership, Permission,
    Plan, PropertyKind, RecordSignIn, RevokeAnalystToken, RevokeApiKey, Role, SetMembership,
    SetPlatformAdmin, SetUserActive, TokenScope, UpdateProperty,
};
use schemas::fixtures::{self, submit, Tenant};

const NOW: i64 = 1_764_000_000_000;

fn onboard(view: &mut ControlView, domain: &str, plan: Plan) -> Tenant {
    fixtures::onboard(
        view,
        domain,
        plan,
        vec![Permission::Collect, Permission::Hits],
    )
}

#[test]
fn key_resolves_through_property_and_project_to_organization_and_plan() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Growth);
    let ctx = view.key_context(&a.key).unwrap();
    assert_eq!(ctx.property.id, a.property);
    assert_eq!(ctx.project.id, a.project);
    assert_eq!(ctx.organization.id, a.org);
    assert_eq!(ctx.retention_days(), 180);
    assert!(ctx.usable());
    assert_eq!(
        view.key_context_by_secret_hash(&hash_secret(&a.secret))
            .unwrap()
            .key
            .id,
        a.key
    );
    assert!(view
        .key_context_by_secret_hash(&hash_secret("wrong"))
        .is_none());
}

#[test]
fn project_creation_brings_a_default_website_property_on_its_domain() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "https://www.Acme.com", Plan::Starter);
    let property = view.property(a.property).unwrap();
    assert_eq!(property.domain, "acme.com");
    assert_eq!(property.kind, PropertyKind::Website);
    assert!(property.active && !property.allow_subdomains);
    assert!(view.origin_allowed(a.property, "www.acme.com"));
    assert!(!view.origin_allowed(a.property, "shop.acme.com"));
}

#[test]
fn a_created_project_names_its_default_property_and_produces_the_project_first() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    let decision = submit(
        &mut view,
        CreateProject {
            id: new_id("prj"),
            organization_id: a.org.clone(),
            name: "Blog".into(),
            domain: "https://Blog.Acme.co.uk/".into(),
        },
    )
    .unwrap();
    let created = &decision.outcome;
    assert_eq!(created.project.domain, "acme.co.uk");
    assert_eq!(created.default_property.domain, "blog.acme.co.uk");
    assert_eq!(created.default_property.project_id, created.project.id);
    let carried: Vec<(&str, Option<&_>, Option<&_>)> = decision
        .events
        .iter()
        .map(|e| (e.action.as_str(), e.project.as_ref(), e.property.as_ref()))
        .collect();
    assert_eq!(
        carried,
        [
            ("project.created", Some(&created.project), None),
            ("property.created", None, Some(&created.default_property)),
        ]
    );
    assert_eq!(
        view.property(created.default_property.id),
        Some(&created.default_property)
    );
}

#[test]
fn property_ids_are_dense_and_distinct_across_tenants() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    let b = onboard(&mut view, "beta.io", Plan::Pro);
    assert_eq!((a.property, b.property), (1, 2));
    let extra = submit(
        &mut view,
        CreateProperty {
            project_id: a.project.clone(),
            domain: "api.acme.com".into(),
            kind: PropertyKind::Api,
            allow_subdomains: false,
            cookieless: false,
        },
    )
    .unwrap();
    assert_eq!(extra.outcome.id, 3);
}

#[test]
fn revoking_a_key_and_deactivating_a_property_make_keys_unusable() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    submit(
        &mut view,
        RevokeApiKey {
            key_id: a.key.clone(),
        },
    )
    .unwrap();
    assert!(view.key_context(&a.key).unwrap().key.revoked);
    assert!(!view.key_context(&a.key).unwrap().usable());

    let b = onboard(&mut view, "beta.io", Plan::Starter);
    submit(
        &mut view,
        UpdateProperty {
            property_id: b.property,
            active: false,
            allow_subdomains: false,
            honor_privacy_signals: false,
            cookieless: false,
        },
    )
    .unwrap();
    assert!(!view.key_context(&b.key).unwrap().usable());
    assert!(
        !view.origin_allowed(b.property, "beta.io"),
        "inactive property accepts no origin"
    );
}

#[test]
fn plan_change_changes_retention() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    assert_eq!(view.key_context(&a.key).unwrap().retention_days(), 90);
    let decision = submit(
        &mut view,
        ChangePlan {
            organization_id: a.org.clone(),
            plan: Plan::Pro,
        },
    )
    .unwrap();
    let [event]: [ControlEvent; 1] = decision.events.try_into().expect("one event");
    assert_eq!(event.changed, ["plan"]);
    assert_eq!(view.key_context(&a.key).unwrap().retention_days(), 365);
}

#[test]
fn duplicate_ids_and_dangling_references_are_rejected_without_events() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    let before = view.clone();
    let dup_org = CreateOrganization {
        id: a.org.clone(),
        name: "Again".into(),
        domain: "other.com".into(),
        plan: Plan::Pro,
    };
    assert!(matches!(
        submit(&mut view, dup_org),
        Err(CommandError::AlreadyExists {
            kind: "organization",
            ..
        })
    ));
    let dup_key = CreateApiKey {
        id: a.key.clone(),
        property_id: a.property,
        name: "x".into(),
        permissions: vec![Permission::Read],
        secret_hash: hash_secret("s"),
    };
    assert!(matches!(
        submit(&mut view, dup_key),
        Err(CommandError::AlreadyExists { .. })
    ));
    let orphan = CreateProject {
        id: new_id("prj"),
        organization_id: "org_missing123".into(),
        name: "x".into(),
        domain: "x.com".into(),
    };
    assert!(matches!(
        submit(&mut view, orphan),
        Err(CommandError::NotFound {
            kind: "organization",
            ..
        })
    ));
    let orphan_key = CreateApiKey {
        id: new_id("key"),
        property_id: 999,
        name: "x".into(),
        permissions: vec![Permission::Read],
        secret_hash: hash_secret("s"),
    };
    assert!(matches!(
        submit(&mut view, orphan_key),
        Err(CommandError::NotFound {
            kind: "property",
            ..
        })
    ));
    let dup_property = CreateProperty {
        project_id: a.project.clone(),
        domain: "www.acme.com".into(),
        kind: PropertyKind::Website,
        allow_subdomains: false,
        cookieless: false,
    };
    assert!(matches!(
        submit(&mut view, dup_property),
        Err(CommandError::AlreadyExists {
            kind: "property",
            ..
        })
    ));
    assert_eq!(view, before, "a rejected command changes nothing");
}

#[test]
fn malformed_ids_names_emails_and_domains_are_rejected() {
    let mut view = ControlView::new();
    let bad_id = CreateOrganization {
        id: "org_short".into(),
        name: "A".into(),
        domain: "a.com".into(),
        plan: Plan::Starter,
    };
    assert!(matches!(
        submit(&mut view, bad_id),
        Err(CommandError::Invalid { field: "id", .. })
    ));
    let blank = CreateOrganization {
        id: new_id("org"),
        name: "   ".into(),
        domain: "a.com".into(),
        plan: Plan::Starter,
    };
    assert!(matches!(
        submit(&mut view, blank),
        Err(CommandError::Invalid { field: "name", .. })
    ));
    let ip = CreateOrganization {
        id: new_id("org"),
        name: "A".into(),
        domain: "10.0.0.1".into(),
        plan: Plan::Starter,
    };
    assert_eq!(submit(&mut view, ip).unwrap_err().code(), "invalid_domain");
    let email = CreateUser {
        id: new_id("usr"),
        email: "not-an-email".into(),
        name: "A".into(),
    };
    assert!(matches!(
        submit(&mut view, email),
        Err(CommandError::Invalid { field: "email", .. })
    ));
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    let no_perms = CreateApiKey {
        id: new_id("key"),
        property_id: a.property,
        name: "x".into(),
        permissions: vec![],
        secret_hash: hash_secret("s"),
    };
    assert!(matches!(
        submit(&mut view, no_perms),
        Err(CommandError::Invalid {
            field: "permissions",
            ..
        })
    ));
    let raw_secret = CreateApiKey {
        id: new_id("key"),
        property_id: a.property,
        name: "x".into(),
        permissions: vec![Permission::Read],
        secret_hash: "plaintext".into(),
    };
    assert!(matches!(
        submit(&mut view, raw_secret),
        Err(CommandError::Invalid {
            field: "secret_hash",
            ..
        })
    ));
}

#[test]
fn memberships_give_roles_and_emails_are_unique() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    let user = new_id("usr");
    submit(
        &mut view,
        CreateUser {
            id: user.clone(),
            email: "Ada@Acme.com".into(),
            name: "Ada".into(),
        },
    )
    .unwrap();
    assert_eq!(view.user_by_email("ada@acme.com").unwrap().id, user);
    let again = CreateUser {
        id: new_id("usr"),
        email: "ada@acme.COM".into(),
        name: "Ada 2".into(),
    };
    assert!(matches!(
        submit(&mut view, again),
        Err(CommandError::AlreadyExists { .. })
    ));

    assert_eq!(view.role_of(&user, &a.org), None);
    submit(
        &mut view,
        SetMembership {
            organization_id: a.org.clone(),
            user_id: user.clone(),
            role: Role::Admin,
            active: true,
        },
    )
    .unwrap();
    assert_eq!(view.role_of(&user, &a.org), Some(Role::Admin));
    submit(
        &mut view,
        SetMembership {
            organization_id: a.org.clone(),
            user_id: user.clone(),
            role: Role::Admin,
            active: false,
        },
    )
    .unwrap();
    assert_eq!(
        view.role_of(&user, &a.org),
        None,
        "inactive membership grants nothing"
    );
    assert!(Role::Owner > Role::Admin && Role::Admin > Role::Member);
}

#[test]
fn folding_the_same_log_gives_the_same_view_and_latest_state_wins() {
    let mut live = ControlView::new();
    let mut log = Vec::new();
    fn record(view: &mut ControlView, log: &mut Vec<ControlEvent>, command: impl Decide) {
        log.extend(submit(view, command).unwrap().events);
    }
    let org = new_id("org");
    record(
        &mut live,
        &mut log,
        CreateOrganization {
            id: org.clone(),
            name: "Acme".into(),
            domain: "acme.com".into(),
            plan: Plan::Starter,
        },
    );
    record(
        &mut live,
        &mut log,
        ChangePlan {
            organization_id: org.clone(),
            plan: Plan::Growth,
        },
    );
    record(
        &mut live,
        &mut log,
        ChangePlan {
            organization_id: org.clone(),
            plan: Plan::Pro,
        },
    );
    let rebuilt = ControlView::fold(&log);
    assert_eq!(rebuilt, live);
    assert_eq!(rebuilt.organization(&org).unwrap().plan, Plan::Pro);

    // Only the latest record per entity (what compaction keeps) rebuilds the same state.
    let latest_only: Vec<ControlEvent> = vec![log.last().unwrap().clone()];
    assert_eq!(
        ControlView::fold(&latest_only).organization(&org),
        live.organization(&org)
    );
}

#[test]
fn an_event_without_exactly_one_entity_is_rejected_by_the_fold() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    let decision = view
        .decide(
            "t",
            NOW,
            &RevokeApiKey {
                key_id: a.key.clone(),
            },
        )
        .unwrap();
    let [mut event]: [ControlEvent; 1] = decision.events.try_into().expect("one event");
    event.organization = view.organization(&a.org).cloned();
    assert!(view.apply(&event).is_err());
    event.organization = None;
    event.api_key = None;
    assert!(view.apply(&event).is_err());
}

#[test]
fn generated_ids_and_secrets_have_the_documented_shape() {
    for prefix in ["key", "prj", "org", "usr"] {
        let id = new_id(prefix);
        assert!(is_valid_id(prefix, &id), "{id}");
        assert_eq!(id.len(), prefix.len() + 11);
    }
    assert!(!is_valid_id("key", "key_abc"));
    assert!(!is_valid_id("key", "prj_AbCdEfGh12"));
    assert_ne!(new_secret(), new_secret());
    assert_eq!(hash_secret("x").len(), 64);
}

#[test]
fn analyst_tokens_belong_to_members_resolve_by_hash_and_revoke() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    let user = new_id("usr");
    submit(
        &mut view,
        CreateUser {
            id: user.clone(),
            email: "ada@acme.com".into(),
            name: "Ada".into(),
        },
    )
    .unwrap();
    let secret = new_secret();
    let create = |id: String| CreateAnalystToken {
        id,
        organization_id: a.org.clone(),
        user_id: user.clone(),
        name: "notebook".into(),
        scope: TokenScope::default(),
        secret_hash: hash_secret(&secret),
    };
    assert!(
        matches!(
            submit(&mut view, create(new_id("tok"))),
            Err(CommandError::Invalid {
                field: "user_id",
                ..
            })
        ),
        "a non-member gets no token"
    );
    submit(
        &mut view,
        SetMembership {
            organization_id: a.org.clone(),
            user_id: user.clone(),
            role: Role::Member,
            active: true,
        },
    )
    .unwrap();
    let id = new_id("tok");
    submit(&mut view, create(id.clone())).unwrap();
    let token = view
        .analyst_token_by_secret_hash(&hash_secret(&secret))
        .unwrap();
    assert_eq!(token.id, id);
    assert_eq!(token.scope, TokenScope::Read, "read-only by default");
    assert_eq!(view.analyst_tokens_of(&a.org, &user).count(), 1);
    assert!(matches!(
        submit(&mut view, create(id.clone())),
        Err(CommandError::AlreadyExists { .. })
    ));
    submit(
        &mut view,
        RevokeAnalystToken {
            token_id: id.clone(),
        },
    )
    .unwrap();
    assert!(view.analyst_token(&id).unwrap().revoked);
    assert!(matches!(
        submit(
            &mut view,
            RevokeAnalystToken {
                token_id: new_id("tok")
            }
        ),
        Err(CommandError::NotFound { .. })
    ));
}

/// Decides `command` as `actor` (a user id) and applies it.
fn submit_as<C: Decide>(
    view: &mut ControlView,
    actor: &str,
    command: C,
) -> Result<C::Outcome, CommandError> {
    let decision = view.decide(actor, NOW, &command)?;
    for event in &decision.events {
        view.apply(event).unwrap();
    }
    Ok(decision.outcome)
}

fn member(view: &mut ControlView, org: &str, email: &str, role: Role) -> String {
    let id = new_id("usr");
    let create = CreateUser {
        id: id.clone(),
        email: email.into(),
        name: "Someone".into(),
    };
    submit(view, create).unwrap();
    let membership = SetMembership {
        organization_id: org.into(),
        user_id: id.clone(),
        role,
        active: true,
    };
    submit(view, membership).unwrap();
    id
}

fn set(org: &str, user: &str, role: Role, active: bool) -> SetMembership {
    SetMembership {
        organization_id: org.into(),
        user_id: user.into(),
        role,
        active,
    }
}

#[test]
fn only_owners_touch_owners_and_an_organization_keeps_one() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    let owner = member(&mut view, &a.org, "owner@acme.com", Role::Owner);
    let admin = member(&mut view, &a.org, "admin@acme.com", Role::Admin);
    let plain = member(&mut view, &a.org, "plain@acme.com", Role::Member);
    let owner_required = |r: Result<Membership, CommandError>| matches!(r, Err(CommandError::OwnerRequired { ref organization_id }) if *organization_id == a.org);

    // An admin neither demotes nor removes an owner, nor makes one.
    assert!(owner_required(submit_as(
        &mut view,
        &admin,
        set(&a.org, &owner, Role::Member, true)
    )));
    assert!(owner_required(submit_as(
        &mut view,
        &admin,
        set(&a.org, &owner, Role::Owner, false)
    )));
    assert!(owner_required(submit_as(
        &mut view,
        &admin,
        set(&a.org, &plain, Role::Owner, true)
    )));
    assert_eq!(
        view.role_of(&owner, &a.org),
        Some(Role::Owner),
        "nothing changed"
    );
    assert_eq!(view.role_of(&plain, &a.org), Some(Role::Member));
    // … but still manages everyone else.
    submit_as(&mut view, &admin, set(&a.org, &plain, Role::Admin, true)).unwrap();

    // The last owner cannot step down or leave, even by their own hand.
    for change in [
        set(&a.org, &owner, Role::Admin, true),
        set(&a.org, &owner, Role::Owner, false),
    ] {
        assert!(matches!(
            submit_as(&mut view, &owner, change),
            Err(CommandError::LastOwner { .. })
        ));
    }
    assert_eq!(view.role_of(&owner, &a.org), Some(Role::Owner));

    // With a second owner, one owner may demote the other; then the one left is the last again.
    submit_as(&mut view, &owner, set(&a.org, &admin, Role::Owner, true)).unwrap();
    submit_as(&mut view, &owner, set(&a.org, &admin, Role::Member, true)).unwrap();
    assert_eq!(view.role_of(&admin, &a.org), Some(Role::Member));
    submit_as(&mut view, &owner, set(&a.org, &admin, Role::Owner, true)).unwrap();
    submit_as(&mut view, &admin, set(&a.org, &owner, Role::Owner, false)).unwrap();
    assert_eq!(view.role_of(&owner, &a.org), None);
    assert!(matches!(
        submit_as(&mut view, &admin, set(&a.org, &admin, Role::Admin, true)),
        Err(CommandError::LastOwner { .. })
    ));

    // An owner of another organization is nobody here; a platform admin is anywhere.
    let b = onboard(&mut view, "globex.com", Plan::Starter);
    let elsewhere = member(&mut view, &b.org, "owner@globex.com", Role::Owner);
    assert!(owner_required(submit_as(
        &mut view,
        &elsewhere,
        set(&a.org, &plain, Role::Owner, true)
    )));
    submit(
        &mut view,
        SetPlatformAdmin {
            user_id: elsewhere.clone(),
            platform_admin: true,
        },
    )
    .unwrap();
    submit_as(
        &mut view,
        &elsewhere,
        set(&a.org, &plain, Role::Owner, true),
    )
    .unwrap();
    assert_eq!(view.role_of(&plain, &a.org), Some(Role::Owner));
    assert_eq!(
        CommandError::LastOwner {
            organization_id: a.org.clone()
        }
        .code(),
        "last_owner"
    );
}

#[test]
fn cookieless_mode_is_set_at_creation_or_switched_later_and_recorded_as_changed() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    assert!(
        !view.property(a.property).unwrap().cookieless,
        "cookies unless asked"
    );
    let created = submit(
        &mut view,
        CreateProperty {
            project_id: a.project.clone(),
            domain: "shop.acme.com".into(),
            kind: PropertyKind::Website,
            allow_subdomains: false,
            cookieless: true,
        },
    )
    .unwrap();
    assert!(created.outcome.cookieless);
    assert!(created.events[0].changed.contains(&"cookieless".to_owned()));
    assert!(view.property(created.outcome.id).unwrap().cookieless);

    let switch = |cookieless| UpdateProperty {
        property_id: a.property,
        active: true,
        allow_subdomains: false,
        honor_privacy_signals: false,
        cookieless,
    };
    let on = submit(&mut view, switch(true)).unwrap();
    assert_eq!(on.events[0].changed, vec!["cookieless".to_owned()]);
    assert!(view.key_context(&a.key).unwrap().property.cookieless);
    let off = submit(&mut view, switch(false)).unwrap();
    assert_eq!(off.events[0].changed, vec!["cookieless".to_owned()]);
    assert!(!view.property(a.property).unwrap().cookieless);
}

fn platform_admin(view: &mut ControlView, email: &str) -> String {
    let id = new_id("usr");
    let create = CreateUser {
        id: id.clone(),
        email: email.into(),
        name: "Admin".into(),
    };
    submit(view, create).unwrap();
    let grant = SetPlatformAdmin {
        user_id: id.clone(),
        platform_admin: true,
    };
    submit(view, grant).unwrap();
    id
}

fn active(user_id: &str, active: bool) -> SetUserActive {
    SetUserActive {
        user_id: user_id.into(),
        active,
    }
}

#[test]
fn nobody_deactivates_themselves_and_the_platform_keeps_one_active_admin() {
    let mut view = ControlView::new();
    let root = platform_admin(&mut view, "root@optiview.dev");
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    let ana = member(&mut view, &a.org, "ana@acme.com", Role::Member);

    assert!(matches!(
        submit_as(&mut view, &root, active(&root, false)),
        Err(CommandError::OwnAccount { ref user_id }) if *user_id == root
    ));
    // The only platform admin can neither be deactivated (by a tool) nor lose the flag.
    assert!(matches!(
        submit_as(&mut view, "admin-cli", active(&root, false)),
        Err(CommandError::LastPlatformAdmin { .. })
    ));
    let withdraw = SetPlatformAdmin {
        user_id: root.clone(),
        platform_admin: false,
    };
    assert!(matches!(
        submit_as(&mut view, &root, withdraw.clone()),
        Err(CommandError::LastPlatformAdmin { .. })
    ));
    assert!(
        view.active_user(&root).unwrap().platform_admin,
        "nothing changed"
    );

    // Anyone else may be deactivated: access ends, memberships stay for a reactivation.
    let off = submit_as(&mut view, &root, active(&ana, false)).unwrap();
    assert_eq!(off.deactivated_at, Some(NOW));
    assert!(view.active_user(&ana).is_none() && view.user(&ana).is_some());
    assert_eq!(view.memberships_of(&ana).count(), 1);
    let again = view.decide(&root, NOW + 5, &active(&ana, false)).unwrap();
    assert_eq!(
        again.outcome.deactivated_at,
        Some(NOW),
        "deactivating twice keeps when access ended"
    );
    // A deactivated user is granted nothing and cannot sign in.
    assert!(matches!(
        submit_as(
            &mut view,
            &root,
            SetPlatformAdmin {
                user_id: ana.clone(),
                platform_admin: true
            }
        ),
        Err(CommandError::Deactivated { .. })
    ));
    assert!(matches!(
        submit_as(&mut view, &ana, RecordSignIn { user_id: ana.clone() }),
        Err(CommandError::Deactivated { ref user_id }) if *user_id == ana
    ));
    let on = submit_as(&mut view, &root, active(&ana, true)).unwrap();
    assert!(on.is_active());
    assert_eq!(view.role_of(&ana, &a.org), Some(Role::Member));

    // With a second active admin, either may go; a deactivated admin does not count.
    let second = platform_admin(&mut view, "second@optiview.dev");
    submit_as(&mut view, &root, active(&second, false)).unwrap();
    assert!(matches!(
        submit_as(&mut view, &root, withdraw.clone()),
        Err(CommandError::LastPlatformAdmin { .. })
    ));
    submit_as(&mut view, &root, active(&second, true)).unwrap();
    submit_as(&mut view, &second, withdraw).unwrap();
    assert!(!view.user(&root).unwrap().platform_admin);
    assert_eq!(
        [
            CommandError::OwnAccount {
                user_id: root.clone()
            }
            .code(),
            CommandError::LastPlatformAdmin {
                user_id: root.clone()
            }
            .code(),
            CommandError::Deactivated { user_id: root }.code(),
        ],
        ["own_account", "last_platform_admin", "user_deactivated"]
    );
}

#[test]
fn a_recorded_sign_in_ends_the_pending_state_and_survives_a_refold() {
    let mut view = ControlView::new();
    let a = onboard(&mut view, "acme.com", Plan::Starter);
    let ana = member(&mut view, &a.org, "ana@acme.com", Role::Member);
    assert!(view.user(&ana).unwrap().is_pending());
    let decision = view
        .decide(
            &ana,
            NOW + 60_000,
            &RecordSignIn {
                user_id: ana.clone(),
            },
        )
        .unwrap();
    assert_eq!(decision.events[0].changed, ["last_sign_in_at"]);
    let mut events = Vec::new();
    for event in &decision.events {
        view.apply(event).unwrap();
        events.push(event.clone());
    }
    let user = view.user(&ana).unwrap();
    assert_eq!(user.last_sign_in_at, Some(NOW + 60_000));
    assert!(!user.is_pending());
    // Events carry full state: the latest user record alone rebuilds it.
    let rebuilt = ControlView::fold(&events);
    assert_eq!(
        rebuilt.user(&ana).unwrap().last_sign_in_at,
        Some(NOW + 60_000)
    );
    assert!(matches!(
        view.decide(
            &ana,
            NOW,
            &RecordSignIn {
                user_id: new_id("usr")
            }
        ),
        Err(CommandError::NotFound { .. })
    ));
}
