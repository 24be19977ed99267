//! The roles table, one test per rule.

use super::*;

const ROLES: [Role; 4] = [Role::Admin, Role::Agent, Role::Crew, Role::Customer];

fn caller(role: Role) -> Caller {
    Caller {
        user_id: Id::generate(1),
        role,
        token_id: Id::generate(1),
    }
}

fn other() -> Id {
    Id::generate(99)
}

#[test]
fn staff_are_in_every_audience() {
    for role in [Role::Admin, Role::Agent] {
        let staff = caller(role);
        let project_id = other();
        let customer_id = other();
        for audience in [
            Audience::Staff,
            Audience::Customer { customer_id },
            Audience::Crew { project_id },
            Audience::Project {
                project_id,
                customer_id,
            },
        ] {
            assert!(
                audience.includes(&staff, |_| false),
                "{role:?} {audience:?}"
            );
        }
    }
}

#[test]
fn a_customer_is_only_in_their_own_audience() {
    let customer = caller(Role::Customer);
    let own = Audience::Customer {
        customer_id: customer.user_id,
    };
    let other_customer = Audience::Customer {
        customer_id: other(),
    };
    assert!(own.includes(&customer, |_| true));
    assert!(!other_customer.includes(&customer, |_| true));
    assert!(!Audience::Staff.includes(&customer, |_| true));
}

#[test]
fn a_customer_sees_their_project_but_not_its_crew_channel() {
    let customer = caller(Role::Customer);
    let project_id = other();
    let project = Audience::Project {
        project_id,
        customer_id: customer.user_id,
    };
    assert!(project.includes(&customer, |_| true));
    assert!(!Audience::Crew { project_id }.includes(&customer, |_| true));
}

#[test]
fn crew_see_only_assigned_projects() {
    let crew = caller(Role::Crew);
    let project_id = other();
    for audience in [
        Audience::Crew { project_id },
        Audience::Project {
            project_id,
            customer_id: other(),
        },
    ] {
        assert!(audience.includes(&crew, |p| p == project_id));
        assert!(!audience.includes(&crew, |_| false));
    }
    let customer_id = other();
    assert!(!Audience::Customer { customer_id }.includes(&crew, |_| true));
}

#[test]
fn a_failing_crew_lookup_is_passed_on_and_only_asked_for_crew() {
    let project_id = other();
    let audience = Audience::Crew { project_id };
    let failed = audience.includes_with(&caller(Role::Crew), |_| Err("store read failed"));
    assert_eq!(failed, Err("store read failed"));
    let not_asked = audience.includes_with(&caller(Role::Agent), |_| Err("asked"));
    assert_eq!(not_asked, Ok(true));
}

#[test]
fn only_staff_see_private_notes() {
    for role in ROLES {
        let c = caller(role);
        assert_eq!(may_see_private_notes(&c), role.is_staff(), "{role:?}");
        assert_eq!(may_see_message(&c, true, true), role.is_staff(), "{role:?}");
        assert!(may_see_message(&c, false, true), "{role:?}");
        assert!(!may_see_message(&c, false, false), "{role:?}");
    }
}

/// The events of a message and the message itself follow the same rule:
/// whoever is in `audience.private_if(private)` may see the message.
#[test]
fn a_notes_event_audience_agrees_with_who_may_see_the_note() {
    let project_id = other();
    let customer_id = other();
    let audiences = [
        Audience::Customer { customer_id },
        Audience::Crew { project_id },
    ];
    for role in ROLES {
        let mut c = caller(role);
        c.user_id = customer_id;
        for audience in audiences {
            for private in [false, true] {
                let sees_conversation = audience.includes(&c, |_| true);
                assert_eq!(
                    audience.private_if(private).includes(&c, |_| true),
                    may_see_message(&c, private, sees_conversation),
                    "{role:?} {audience:?} private={private}"
                );
            }
        }
    }
}

#[test]
fn staff_and_the_uploader_read_a_file_without_asking_about_messages() {
    let asked = || -> Result<bool, ()> { panic!("not needed") };
    assert_eq!(
        may_read_file(&caller(Role::Agent), other(), asked),
        Ok(true)
    );
    let customer = caller(Role::Customer);
    assert_eq!(may_read_file(&customer, customer.user_id, asked), Ok(true));
}

#[test]
fn others_read_a_file_only_through_a_message_they_see() {
    for role in [Role::Crew, Role::Customer] {
        let c = caller(role);
        assert_eq!(may_read_file(&c, other(), || Ok::<_, ()>(true)), Ok(true));
        assert_eq!(may_read_file(&c, other(), || Ok::<_, ()>(false)), Ok(false));
        assert_eq!(
            may_read_file(&c, other(), || Err("read failed")),
            Err("read failed")
        );
    }
}

#[test]
fn only_staff_look_up_users() {
    for role in ROLES {
        assert_eq!(
            may_look_up_users(&caller(role)).is_ok(),
            role.is_staff(),
            "{role:?}"
        );
    }
}

#[test]
fn only_admins_create_and_change_users() {
    for role in ROLES {
        let admin = role == Role::Admin;
        assert_eq!(may_create_user(&caller(role)).is_ok(), admin, "{role:?}");
        assert_eq!(may_change_user(&caller(role)).is_ok(), admin, "{role:?}");
    }
}

#[test]
fn admins_manage_anyones_tokens_and_agents_only_customers_and_crews() {
    for owner in ROLES {
        assert!(may_manage_tokens_of(&caller(Role::Admin), owner).is_ok());
        assert_eq!(
            may_manage_tokens_of(&caller(Role::Agent), owner).is_ok(),
            !owner.is_staff(),
            "agent managing a {owner:?}"
        );
        for role in [Role::Crew, Role::Customer] {
            assert!(may_manage_tokens_of(&caller(role), owner).is_err());
        }
    }
}

#[test]
fn anyone_revokes_their_own_token() {
    for role in ROLES {
        let c = caller(role);
        assert_eq!(may_revoke_token(&c, c.user_id, role), Ok(()), "{role:?}");
    }
}

#[test]
fn another_users_token_is_hidden_from_customers_and_crew() {
    for role in [Role::Crew, Role::Customer] {
        assert_eq!(
            may_revoke_token(&caller(role), other(), Role::Customer),
            Err(Denied::Hidden)
        );
    }
}

#[test]
fn an_agent_may_not_revoke_a_colleagues_token() {
    let agent = caller(Role::Agent);
    assert!(matches!(
        may_revoke_token(&agent, other(), Role::Agent),
        Err(Denied::Forbidden(_))
    ));
    assert_eq!(may_revoke_token(&agent, other(), Role::Crew), Ok(()));
    assert_eq!(
        may_revoke_token(&caller(Role::Admin), other(), Role::Agent),
        Ok(())
    );
}

#[test]
fn only_staff_create_and_change_projects_and_change_conversations() {
    for role in ROLES {
        let c = caller(role);
        assert_eq!(may_create_project(&c).is_ok(), role.is_staff(), "{role:?}");
        assert_eq!(may_change_project(&c).is_ok(), role.is_staff(), "{role:?}");
        assert_eq!(
            may_change_conversation(&c).is_ok(),
            role.is_staff(),
            "{role:?}"
        );
    }
}

#[test]
fn staff_open_conversations_for_anyone_and_customers_for_themselves() {
    for role in [Role::Admin, Role::Agent] {
        assert!(may_open_conversation(&caller(role), other()).is_ok());
    }
    let customer = caller(Role::Customer);
    assert!(may_open_conversation(&customer, customer.user_id).is_ok());
    let refused = may_open_conversation(&customer, other()).unwrap_err();
    assert_eq!(refused.field, Some("customer_id"));
    let crew = caller(Role::Crew);
    assert!(may_open_conversation(&crew, crew.user_id).is_err());
}

#[test]
fn each_slot_takes_one_kind_of_user() {
    for role in ROLES {
        assert_eq!(fits(Slot::Customer, role), role == Role::Customer);
        assert_eq!(fits(Slot::Crew, role), role == Role::Crew);
        assert_eq!(fits(Slot::Assignee, role), role.is_staff());
    }
}

#[test]
fn the_channels_each_role_may_send_on() {
    let expected = |role: Role, channel: Channel| match role {
        Role::Admin | Role::Agent => true,
        Role::Crew => matches!(channel, Channel::InApp | Channel::Phone),
        Role::Customer => channel == Channel::InApp,
    };
    for role in ROLES {
        for channel in Channel::ALL {
            let answer = may_send(&caller(role), channel, false);
            assert_eq!(
                answer.is_ok(),
                expected(role, channel),
                "{role:?} {channel:?}"
            );
            if let Err(refused) = answer {
                assert_eq!(refused.field, Some("channel"));
            }
        }
    }
}

#[test]
fn only_staff_write_private_notes() {
    for role in ROLES {
        let answer = may_send(&caller(role), Channel::InApp, true);
        assert_eq!(answer.is_ok(), role.is_staff(), "{role:?}");
        if let Err(refused) = answer {
            assert_eq!(refused.field, Some("private"));
        }
    }
}

#[test]
fn the_sender_does_not_acknowledge_their_own_message() {
    let c = caller(Role::Customer);
    assert!(may_acknowledge(&c, c.user_id).is_err());
    assert!(may_acknowledge(&c, other()).is_ok());
}

#[test]
fn reading_records_receipts_for_others_messages_the_reader_sees() {
    let customer = caller(Role::Customer);
    assert!(receipts_on_read(&customer, other(), false));
    assert!(!receipts_on_read(&customer, other(), true));
    assert!(!receipts_on_read(&customer, customer.user_id, false));
    assert!(receipts_on_read(&caller(Role::Agent), other(), true));
}

#[test]
fn only_staff_use_templates() {
    for role in ROLES {
        let c = caller(role);
        assert_eq!(may_use_templates(&c).is_ok(), role.is_staff(), "{role:?}");
    }
}

#[test]
fn sending_from_a_template_is_refused_to_customers_and_crew_on_template_id() {
    for role in ROLES {
        let refused = may_send_from_template(&caller(role));
        assert_eq!(refused.is_ok(), role.is_staff(), "{role:?}");
        if let Err(refusal) = refused {
            assert_eq!(refusal.field, Some("template_id"));
        }
    }
}
