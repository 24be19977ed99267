//! The hub's index: the open connections, who may see what, and the fan-out
//! of one frame to the connections allowed to see it.
//!
//! It lives behind one mutex in the hub and is never held across an await:
//! every operation is a few map look-ups and non-blocking `try_send`s, so a
//! slow client costs the others nothing.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use commcenter::access::{self, Audience, Caller};
use commcenter::wire::{LiveFrame, Presence};
use commcenter::{Id, Timestamp};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, Notify};
use tokio_tungstenite::tungstenite::Utf8Bytes;

/// A frame ready to write, serialized once and shared by every connection
/// it goes to.
#[derive(Debug)]
pub(crate) struct OutFrame {
    /// The event's `seq` for stored events; `None` for live-only frames.
    pub seq: Option<u64>,
    pub text: Utf8Bytes,
}

impl OutFrame {
    pub fn live(frame: &LiveFrame) -> Arc<OutFrame> {
        let text = serde_json::to_string(frame).unwrap_or_else(|e| {
            tracing::error!(error = %e, "a live frame did not serialize");
            String::from(
                r#"{"type":"error","data":{"code":"internal","message":"internal error"}}"#,
            )
        });
        Arc::new(OutFrame {
            seq: None,
            text: text.into(),
        })
    }
}

/// What the hub holds of a registered connection.
pub(crate) struct Member {
    pub caller: Caller,
    pub outbox: mpsc::Sender<Arc<OutFrame>>,
    /// Told when the hub gives up on the connection: its outbox was full,
    /// or (`replaced` set first) its user opened one socket too many.
    pub evicted: Arc<Notify>,
    pub replaced: Arc<AtomicBool>,
}

#[derive(Default)]
pub(crate) struct Index {
    /// The last `seq` fanned out. A connection registered now receives
    /// every event after it, and none before.
    position: u64,
    next_id: u64,
    members: HashMap<u64, Member>,
    staff: HashSet<u64>,
    by_user: HashMap<Id, Vec<u64>>,
    /// Project → its assigned crew, as of `position`.
    crew: HashMap<Id, Vec<Id>>,
    /// Open connections per user, from upgrade to close (presence).
    online: HashMap<Id, usize>,
    /// The staff users among `online`: customers and crew are told about
    /// these ("our team is online"), staff about everyone.
    online_staff: HashSet<Id>,
}

impl Index {
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Starts from a snapshot: the log's last `seq` and its crew assignments.
    pub fn load(&mut self, position: u64, assignments: Vec<(Id, Id)>) {
        self.position = position;
        self.crew.clear();
        for (project, crew) in assignments {
            self.crew.entry(project).or_default().push(crew);
        }
    }

    /// Adds a connection to the fan-out; answers its id and the position it
    /// is live from. A user already at `per_user` sockets loses the oldest.
    pub fn register(&mut self, member: Member, per_user: usize) -> (u64, u64) {
        self.replace_oldest(member.caller.user_id, per_user);
        self.next_id += 1;
        let id = self.next_id;
        // Connections in every audience are offered every frame (see `candidates`).
        if access::in_every_audience(&member.caller) {
            self.staff.insert(id);
        }
        self.by_user
            .entry(member.caller.user_id)
            .or_default()
            .push(id);
        if !access::in_every_audience(&member.caller) {
            self.tell_staff_online(&member);
        }
        self.members.insert(id, member);
        (id, self.position)
    }

    /// Queues, for a new connection of a customer or crew member, which
    /// staff are online now; later changes reach it as they happen.
    fn tell_staff_online(&self, member: &Member) {
        let now = Timestamp::now();
        for user_id in &self.online_staff {
            let frame = OutFrame::live(&LiveFrame::Presence(Presence {
                user_id: *user_id,
                online: true,
                last_seen_at: Some(now),
            }));
            let _ = member.outbox.try_send(frame);
        }
    }

    /// Makes room for one more socket of `user`: ids grow, so the first of
    /// `by_user` is the oldest. It is told to close and leaves the fan-out.
    fn replace_oldest(&mut self, user: Id, per_user: usize) {
        let ids = self.by_user.get(&user).map_or(&[][..], Vec::as_slice);
        let excess = (ids.len() + 1).saturating_sub(per_user.max(1));
        let oldest: Vec<u64> = ids.iter().take(excess).copied().collect();
        for id in oldest {
            if let Some(member) = self.members.get(&id) {
                member.replaced.store(true, Ordering::Release);
                member.evicted.notify_one();
            }
            self.unregister(id);
        }
    }

    /// Removes a connection from the fan-out (again is harmless).
    pub fn unregister(&mut self, id: u64) {
        let Some(member) = self.members.remove(&id) else {
            return;
        };
        self.staff.remove(&id);
        let user = member.caller.user_id;
        if let Some(ids) = self.by_user.get_mut(&user) {
            ids.retain(|other| *other != id);
            if ids.is_empty() {
                self.by_user.remove(&user);
            }
        }
    }

    /// Fans a stored event out and moves the position to it. A
    /// `project.updated` event changes the crew first (`crew` is `Some`), so
    /// newly assigned crew get the event that assigns them.
    pub fn publish(
        &mut self,
        audience: &Audience,
        frame: &Arc<OutFrame>,
        crew: Option<(Id, Vec<Id>)>,
    ) {
        if let Some((project, crew_ids)) = crew {
            self.crew.insert(project, crew_ids);
        }
        if let Some(seq) = frame.seq {
            self.position = self.position.max(seq);
        }
        self.deliver(audience, frame, None);
    }

    /// Moves the position without an event (a gap in the log, see `evict_all`).
    pub fn skip_to(&mut self, seq: u64) {
        self.position = self.position.max(seq);
    }

    /// Queues `frame` for every connection in `audience`, except those of
    /// `except`. A connection whose outbox is full is evicted: it is told to
    /// close with 1013 and gets nothing more.
    pub fn deliver(&mut self, audience: &Audience, frame: &Arc<OutFrame>, except: Option<Id>) {
        let mut dropped = Vec::new();
        for id in self.candidates(audience) {
            let Some(member) = self.members.get(&id) else {
                continue;
            };
            if Some(member.caller.user_id) == except || !self.may_see(audience, &member.caller) {
                continue;
            }
            match member.outbox.try_send(frame.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    member.evicted.notify_one();
                    dropped.push(id);
                }
                Err(TrySendError::Closed(_)) => dropped.push(id),
            }
        }
        for id in dropped {
            self.unregister(id);
        }
    }

    /// Tells every connection to close with 1013: the log lost events they
    /// would have needed, so each must resume (and will be told to resync).
    pub fn evict_all(&mut self) {
        for member in self.members.values() {
            member.evicted.notify_one();
        }
        self.members.clear();
        self.staff.clear();
        self.by_user.clear();
    }

    /// Connections that might be in `audience`: staff, plus the customer's
    /// and the project crew's.
    fn candidates(&self, audience: &Audience) -> Vec<u64> {
        let mut ids: Vec<u64> = self.staff.iter().copied().collect();
        let mut add_user = |user: &Id| {
            if let Some(conns) = self.by_user.get(user) {
                ids.extend(conns.iter().filter(|id| !self.staff.contains(id)));
            }
        };
        match *audience {
            Audience::Staff => {}
            Audience::Customer { customer_id } => add_user(&customer_id),
            Audience::Crew { project_id } => self
                .crew
                .get(&project_id)
                .into_iter()
                .flatten()
                .for_each(add_user),
            Audience::Project {
                project_id,
                customer_id,
            } => {
                add_user(&customer_id);
                self.crew
                    .get(&project_id)
                    .into_iter()
                    .flatten()
                    .for_each(add_user);
            }
        }
        ids
    }

    /// The one visibility rule, [`Audience::includes`], with crew assignments
    /// as of the current position.
    fn may_see(&self, audience: &Audience, caller: &Caller) -> bool {
        audience.includes(caller, |project| {
            self.crew
                .get(&project)
                .is_some_and(|crew| crew.contains(&caller.user_id))
        })
    }

    /// Counts a new connection of `user`; on the first, tells staff (and,
    /// when `user` is staff, everyone) the user came online.
    pub fn connected(&mut self, user: Id, staff: bool, at: Timestamp) {
        let count = self.online.entry(user).or_default();
        *count += 1;
        if *count == 1 {
            if staff {
                self.online_staff.insert(user);
            }
            self.announce(user, true, at);
        }
    }

    /// Counts a closed connection of `user`; on the last, tells staff the
    /// user went offline.
    pub fn disconnected(&mut self, user: Id, at: Timestamp) {
        let Some(count) = self.online.get_mut(&user) else {
            return;
        };
        *count -= 1;
        if *count == 0 {
            self.online.remove(&user);
            let staff = self.online_staff.remove(&user);
            self.announce_as(user, staff, false, at);
        }
    }

    fn announce(&mut self, user_id: Id, online: bool, at: Timestamp) {
        let staff = self.online_staff.contains(&user_id);
        self.announce_as(user_id, staff, online, at);
    }

    /// Staff hear of everyone; customers and crew of staff only.
    fn announce_as(&mut self, user_id: Id, staff: bool, online: bool, at: Timestamp) {
        let frame = OutFrame::live(&LiveFrame::Presence(Presence {
            user_id,
            online,
            last_seen_at: Some(at),
        }));
        self.deliver(&Audience::Staff, &frame, None);
        if staff {
            self.deliver_to_non_staff(&frame);
        }
    }

    /// Queues `frame` for every connection of a customer or crew member
    /// (evicting, as `deliver` does, one whose outbox is full).
    fn deliver_to_non_staff(&mut self, frame: &Arc<OutFrame>) {
        let mut dropped = Vec::new();
        for (id, member) in &self.members {
            if self.staff.contains(id) {
                continue;
            }
            match member.outbox.try_send(frame.clone()) {
                Ok(()) => {}
                Err(TrySendError::Full(_)) => {
                    member.evicted.notify_one();
                    dropped.push(*id);
                }
                Err(TrySendError::Closed(_)) => dropped.push(*id),
            }
        }
        for id in dropped {
            self.unregister(id);
        }
    }

    pub fn is_online(&self, user: &Id) -> bool {
        self.online.contains_key(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commcenter::wire::Role;

    fn member(role: Role, capacity: usize) -> (Member, mpsc::Receiver<Arc<OutFrame>>) {
        let (outbox, rx) = mpsc::channel(capacity);
        let caller = Caller {
            user_id: Id::generate(1),
            role,
            token_id: Id::generate(1),
        };
        let evicted = Arc::new(Notify::new());
        (
            Member {
                caller,
                outbox,
                evicted,
                replaced: Default::default(),
            },
            rx,
        )
    }

    #[test]
    fn a_socket_over_the_users_share_replaces_the_oldest() {
        let mut index = Index::default();
        let (first, _a) = member(Role::Customer, 4);
        let user = first.caller.user_id;
        let (first_evicted, first_replaced) = (first.evicted.clone(), first.replaced.clone());
        let (first_id, _) = index.register(first, 2);
        let (mut second, _b) = member(Role::Customer, 4);
        second.caller.user_id = user;
        let (second_id, _) = index.register(second, 2);
        let (mut third, _c) = member(Role::Customer, 4);
        third.caller.user_id = user;
        let (third_id, _) = index.register(third, 2);
        assert!(
            first_replaced.load(Ordering::Acquire),
            "the oldest is told why"
        );
        assert!(
            futures_util::FutureExt::now_or_never(first_evicted.notified()).is_some(),
            "and to close"
        );
        assert_eq!(index.by_user[&user], vec![second_id, third_id]);
        assert!(!index.members.contains_key(&first_id));
    }

    fn event(seq: u64) -> Arc<OutFrame> {
        Arc::new(OutFrame {
            seq: Some(seq),
            text: Utf8Bytes::from_static("{}"),
        })
    }

    #[test]
    fn a_customer_gets_only_their_own_events() {
        let mut index = Index::default();
        let (agent, mut agent_rx) = member(Role::Agent, 8);
        let (customer, mut customer_rx) = member(Role::Customer, 8);
        let customer_id = customer.caller.user_id;
        index.register(agent, 16);
        index.register(customer, 16);
        index.publish(&Audience::Customer { customer_id }, &event(1), None);
        let other = Audience::Customer {
            customer_id: Id::generate(9),
        };
        index.publish(&other, &event(2), None);
        index.publish(&Audience::Staff, &event(3), None);
        assert_eq!(customer_rx.try_recv().unwrap().seq, Some(1));
        assert!(customer_rx.try_recv().is_err());
        let seen: Vec<_> = std::iter::from_fn(|| agent_rx.try_recv().ok())
            .map(|f| f.seq)
            .collect();
        assert_eq!(seen, vec![Some(1), Some(2), Some(3)]);
        assert_eq!(index.position(), 3);
    }

    #[test]
    fn crew_follow_their_current_assignment() {
        let mut index = Index::default();
        let (crew, mut crew_rx) = member(Role::Crew, 8);
        let crew_id = crew.caller.user_id;
        let project_id = Id::generate(5);
        index.register(crew, 16);
        let audience = Audience::Crew { project_id };
        index.publish(&audience, &event(1), None);
        assert!(crew_rx.try_recv().is_err());
        let project = Audience::Project {
            project_id,
            customer_id: Id::generate(6),
        };
        index.publish(&project, &event(2), Some((project_id, vec![crew_id])));
        index.publish(&audience, &event(3), None);
        assert_eq!(crew_rx.try_recv().unwrap().seq, Some(2));
        assert_eq!(crew_rx.try_recv().unwrap().seq, Some(3));
    }

    #[test]
    fn a_full_outbox_evicts_only_its_connection() {
        let mut index = Index::default();
        let (slow, _slow_rx) = member(Role::Agent, 1);
        let evicted = slow.evicted.clone();
        let (fast, mut fast_rx) = member(Role::Agent, 8);
        index.register(slow, 16);
        index.register(fast, 16);
        for seq in 1..=3 {
            index.publish(&Audience::Staff, &event(seq), None);
        }
        assert_eq!(std::iter::from_fn(|| fast_rx.try_recv().ok()).count(), 3);
        assert_eq!(index.members.len(), 1);
        let notified = evicted.notified();
        tokio::pin!(notified);
        assert!(futures_util::FutureExt::now_or_never(notified).is_some());
    }

    #[test]
    fn presence_is_announced_on_transitions_only() {
        let mut index = Index::default();
        let (agent, mut agent_rx) = member(Role::Agent, 8);
        index.register(agent, 16);
        let user = Id::generate(7);
        let now = Timestamp::now();
        index.connected(user, false, now);
        index.connected(user, false, now);
        index.disconnected(user, now);
        assert!(index.is_online(&user));
        index.disconnected(user, now);
        assert!(!index.is_online(&user));
        let frames: Vec<_> = std::iter::from_fn(|| agent_rx.try_recv().ok()).collect();
        assert_eq!(frames.len(), 2);
        assert!(frames[0].text.contains(r#""online":true"#));
        assert!(frames[1].text.contains(r#""online":false"#));
    }

    #[test]
    fn customers_hear_of_staff_presence_only() {
        let mut index = Index::default();
        let (customer, mut customer_rx) = member(Role::Customer, 8);
        index.register(customer, 16);
        let (agent, other_customer) = (Id::generate(8), Id::generate(9));
        let now = Timestamp::now();
        index.connected(agent, true, now);
        index.connected(other_customer, false, now);
        index.disconnected(other_customer, now);
        index.disconnected(agent, now);
        let frames: Vec<_> = std::iter::from_fn(|| customer_rx.try_recv().ok()).collect();
        assert_eq!(frames.len(), 2, "{frames:?}");
        assert!(frames.iter().all(|f| f.text.contains(&agent.to_string())));
    }

    #[test]
    fn a_new_customer_connection_learns_which_staff_are_online() {
        let mut index = Index::default();
        let agent = Id::generate(8);
        index.connected(agent, true, Timestamp::now());
        let (customer, mut customer_rx) = member(Role::Customer, 8);
        index.register(customer, 16);
        let frame = customer_rx.try_recv().expect("a presence frame");
        assert!(frame.text.contains(r#""online":true"#));
        assert!(frame.text.contains(&agent.to_string()));
    }
}
