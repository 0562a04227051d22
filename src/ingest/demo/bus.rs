//! The mini-bus: topics with partitions and key hashing, per-partition offsets, broker (log-append)
//! timestamps, consumer groups that each get every record (pub/sub fan-out), competing members
//! inside a group (partitions assigned round-robin), acknowledgements (committed offsets),
//! redelivery with exponential backoff when a handler fails, and a dead-letter topic after the
//! last retry. Idempotent consumers skip a record whose id their group already handled.
//!
//! It is a discrete-event simulation on a virtual clock, so a seed reproduces a run exactly and
//! headless runs go as fast as the CPU allows; live, the clock follows the wall clock. Written by
//! hand: the simulation crates on crates.io are either async runtimes or general frameworks, and
//! what is needed here is a priority queue and some maps.

use crate::model::{Header, Interner};
use rustc_hash::FxHashMap;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

/// Virtual nanoseconds since the Unix epoch.
pub type Ns = i64;
pub const MS: Ns = 1_000_000;
pub const SEC: Ns = 1_000_000_000;

pub type TopicId = u8;
pub type GroupId = u8;

/// An immutable message as a producer sent it. `Arc`ed: every group and the log share it.
#[derive(Debug)]
pub struct Message {
    pub key: Arc<str>,
    pub headers: Vec<Header>,
    pub value: Box<str>,
    /// The event id (also in the headers), for idempotent consumers.
    pub id: Arc<str>,
    /// Simulation facts the handlers use (never shown to Eventscope).
    pub facts: Facts,
}

/// What the simulated services know about a message without parsing it.
#[derive(Clone, Copy, Debug)]
pub struct Facts {
    pub ty: u8,
    pub flow: u32,
    /// Event time as stamped by the producer's clock.
    pub time: Ns,
}

/// A record appended to a partition, as Eventscope's ingest sees it.
#[derive(Clone, Debug)]
pub struct Appended {
    pub topic: TopicId,
    pub partition: u32,
    pub offset: i64,
    pub broker_ts: Ns,
    pub msg: Arc<Message>,
}

pub struct TopicDef {
    pub name: &'static str,
    pub partitions: u32,
}

pub struct GroupDef {
    pub name: &'static str,
    pub topics: &'static [TopicId],
    pub members: u32,
}

/// What a handler did with a delivered record.
pub enum Handled {
    /// Done (outputs, if any, were published by the handler): acknowledge, and remember the id
    /// (an idempotent consumer skips it if it comes again).
    Ack,
    /// Not for this consumer (it only reads past it): acknowledge.
    Ignored,
    /// Failed: redeliver after a backoff, or dead-letter after the last retry.
    Fail(String),
}

/// A scheduled step of the simulation.
enum Action<T> {
    Append {
        topic: TopicId,
        msg: Arc<Message>,
    },
    Deliver {
        group: GroupId,
        rec: Box<Appended>,
        attempt: u32,
    },
    /// Something of the system's own (a timer, the next new flow...).
    System(T),
}

struct Scheduled<T> {
    at: Ns,
    seq: u64,
    action: Action<T>,
}

impl<T> PartialEq for Scheduled<T> {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl<T> Eq for Scheduled<T> {}
impl<T> PartialOrd for Scheduled<T> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<T> Ord for Scheduled<T> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

#[derive(Default)]
struct GroupState {
    /// Committed offset per (topic, partition): the next offset not yet acknowledged.
    committed: FxHashMap<(TopicId, u32), i64>,
    /// Acknowledged offsets above the committed one (out of order across keys).
    done_above: FxHashMap<(TopicId, u32), BinaryHeap<Reverse<i64>>>,
    /// Per key, when its previous record is done (records of one key are handled in order).
    key_ready: FxHashMap<Arc<str>, Ns>,
    /// Ids handled already (the inbox of an idempotent consumer), with when.
    inbox: FxHashMap<Arc<str>, Ns>,
    /// The group consumes nothing before this time (a stalled service).
    stalled_until: Ns,
    /// Keys with a failed record waiting for its retry: later records of the key wait too.
    retrying: FxHashMap<Arc<str>, Ns>,
    pub handled: u64,
    /// Records acknowledged by each member (the member a partition is assigned to).
    per_member: Vec<u64>,
}

/// Counters a UI shows.
#[derive(Clone, Debug, Default)]
pub struct BusStats {
    pub appended: u64,
    pub delivered: u64,
    pub redelivered: u64,
    pub dead_lettered: u64,
    pub skipped_duplicates: u64,
}

pub struct Bus<T> {
    pub now: Ns,
    pub topics: &'static [TopicDef],
    pub groups: &'static [GroupDef],
    /// The dead-letter topic of each topic (`None`: no dead-lettering).
    pub dead_letter: fn(TopicId) -> Option<TopicId>,
    pub max_retries: u32,
    pub backoff: Ns,
    /// How long an idempotent consumer remembers the ids it handled.
    pub inbox_for: Ns,
    next_offset: Vec<Vec<i64>>,
    state: Vec<GroupState>,
    queue: BinaryHeap<Reverse<Scheduled<T>>>,
    seq: u64,
    /// Appended records not yet taken by the ingest.
    pub out: Vec<Appended>,
    pub stats: BusStats,
    last_prune: Ns,
}

impl<T> Bus<T> {
    pub fn new(
        now: Ns,
        topics: &'static [TopicDef],
        groups: &'static [GroupDef],
        dead_letter: fn(TopicId) -> Option<TopicId>,
    ) -> Self {
        Bus {
            now,
            topics,
            groups,
            dead_letter,
            max_retries: 3,
            backoff: 100 * MS,
            inbox_for: 30 * SEC,
            next_offset: topics
                .iter()
                .map(|t| vec![0; t.partitions as usize])
                .collect(),
            state: groups.iter().map(|_| GroupState::default()).collect(),
            queue: BinaryHeap::new(),
            seq: 0,
            out: Vec::new(),
            stats: BusStats::default(),
            last_prune: now,
        }
    }

    fn schedule(&mut self, at: Ns, action: Action<T>) {
        self.seq += 1;
        let at = at.max(self.now);
        self.queue.push(Reverse(Scheduled {
            at,
            seq: self.seq,
            action,
        }));
    }

    /// Sends a message; it is appended to its partition at `at` (producer and network latency).
    pub fn publish(&mut self, at: Ns, topic: TopicId, msg: Arc<Message>) {
        self.schedule(at, Action::Append { topic, msg });
    }

    /// Runs `what` at `at` (through [`System::on_system`]).
    pub fn at(&mut self, at: Ns, what: T) {
        self.schedule(at, Action::System(what));
    }

    pub fn partition_of(&self, topic: TopicId, key: &str) -> u32 {
        (Interner::hash(key) % self.topics[topic as usize].partitions as u64) as u32
    }

    /// The member of `group` a partition is assigned to (round-robin over the group's partitions).
    pub fn member_of(&self, group: GroupId, topic: TopicId, partition: u32) -> u32 {
        let g = &self.groups[group as usize];
        let before: u32 = g
            .topics
            .iter()
            .take_while(|t| **t != topic)
            .map(|t| self.topics[*t as usize].partitions)
            .sum();
        (before + partition) % g.members.max(1)
    }

    /// Stops a group consuming until `until`.
    pub fn stall(&mut self, group: GroupId, until: Ns) {
        let s = &mut self.state[group as usize];
        s.stalled_until = s.stalled_until.max(until);
    }

    pub fn stalled_until(&self, group: GroupId) -> Ns {
        self.state[group as usize].stalled_until
    }

    /// Records acknowledged by each member of a group (competing consumers share its partitions).
    pub fn handled_per_member(&self, group: GroupId) -> &[u64] {
        &self.state[group as usize].per_member
    }

    /// Records handled by a group so far.
    pub fn handled(&self, group: GroupId) -> u64 {
        self.state[group as usize].handled
    }

    /// The committed offset of a group for a partition.
    pub fn committed(&self, group: GroupId, topic: TopicId, partition: u32) -> i64 {
        self.state[group as usize]
            .committed
            .get(&(topic, partition))
            .copied()
            .unwrap_or(0)
    }

    /// Scheduled steps not yet run.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// When the next step is due.
    pub fn next_due(&self) -> Option<Ns> {
        self.queue.peek().map(|s| s.0.at)
    }

    fn ack(&mut self, group: GroupId, rec: &Appended) {
        let member = self.member_of(group, rec.topic, rec.partition) as usize;
        let s = &mut self.state[group as usize];
        s.handled += 1;
        if s.per_member.len() <= member {
            s.per_member.resize(member + 1, 0);
        }
        s.per_member[member] += 1;
        let tp = (rec.topic, rec.partition);
        let committed = s.committed.entry(tp).or_insert(0);
        if rec.offset != *committed {
            s.done_above
                .entry(tp)
                .or_default()
                .push(Reverse(rec.offset));
            return;
        }
        *committed += 1;
        if let Some(heap) = s.done_above.get_mut(&tp) {
            while heap.peek().is_some_and(|r| r.0 == *committed) {
                heap.pop();
                *committed += 1;
            }
        }
    }

    fn append(&mut self, topic: TopicId, msg: Arc<Message>, sys: &mut impl System<T>) {
        let partition = self.partition_of(topic, &msg.key);
        let slot = &mut self.next_offset[topic as usize][partition as usize];
        let offset = *slot;
        *slot += 1;
        let rec = Appended {
            topic,
            partition,
            offset,
            broker_ts: self.now,
            msg,
        };
        self.stats.appended += 1;
        sys.on_append(self, &rec);
        for g in 0..self.groups.len() as GroupId {
            if !self.groups[g as usize].topics.contains(&topic) {
                continue;
            }
            let Some(latency) = sys.latency(self, g, &rec) else {
                // Lost on the way to this group (e.g. committed before it was handled).
                self.ack(g, &rec);
                continue;
            };
            let s = &mut self.state[g as usize];
            let ready = s.key_ready.get(&rec.msg.key).copied().unwrap_or(0);
            let done = (self.now + latency).max(ready + MS);
            s.key_ready.insert(rec.msg.key.clone(), done);
            self.schedule(
                done,
                Action::Deliver {
                    group: g,
                    rec: Box::new(rec.clone()),
                    attempt: 0,
                },
            );
        }
        self.out.push(rec);
    }

    /// Delivers `rec` to `group` at `at`; later records of its key wait until then.
    fn deliver_later(&mut self, group: GroupId, rec: Box<Appended>, attempt: u32, at: Ns) {
        let ready = self.state[group as usize]
            .key_ready
            .entry(rec.msg.key.clone())
            .or_insert(0);
        *ready = (*ready).max(at);
        self.schedule(
            at,
            Action::Deliver {
                group,
                rec,
                attempt,
            },
        );
    }

    fn deliver(
        &mut self,
        group: GroupId,
        rec: Box<Appended>,
        attempt: u32,
        sys: &mut impl System<T>,
    ) {
        let s = &mut self.state[group as usize];
        if self.now < s.stalled_until {
            // Nothing is consumed while stalled; catch up (in order, per key) afterwards.
            let at = s.stalled_until + MS;
            self.deliver_later(group, rec, attempt, at);
            return;
        }
        if attempt == 0
            && let Some(&until) = s.retrying.get(&rec.msg.key)
        {
            // Keep the key's order: wait behind the record being retried.
            self.deliver_later(group, rec, attempt, until + MS);
            return;
        }
        if attempt > 0 {
            s.retrying.remove(&rec.msg.key);
        }
        if attempt == 0 && s.inbox.contains_key(&rec.msg.id) {
            self.stats.skipped_duplicates += 1;
            self.ack(group, &rec);
            return;
        }
        self.stats.delivered += 1;
        if attempt > 0 {
            self.stats.redelivered += 1;
        }
        match sys.handle(self, group, &rec) {
            Handled::Ack => {
                let now = self.now;
                self.state[group as usize]
                    .inbox
                    .insert(rec.msg.id.clone(), now);
                self.ack(group, &rec);
            }
            Handled::Ignored => self.ack(group, &rec),
            Handled::Fail(why) if attempt < self.max_retries => {
                let at = self.now + self.backoff * (1 << attempt);
                let _ = why;
                self.state[group as usize]
                    .retrying
                    .insert(rec.msg.key.clone(), at);
                self.deliver_later(group, rec, attempt + 1, at);
            }
            Handled::Fail(why) => {
                if let Some(dlt) = (self.dead_letter)(rec.topic) {
                    self.stats.dead_lettered += 1;
                    let copy = dead_letter_copy(&rec, self, group, &why);
                    self.publish(self.now + MS, dlt, Arc::new(copy));
                }
                self.ack(group, &rec);
            }
        }
    }

    /// Runs every step due at or before `until`; returns how many ran.
    pub fn advance_to(&mut self, until: Ns, sys: &mut impl System<T>) -> usize {
        let mut n = 0;
        while let Some(top) = self.queue.peek() {
            if top.0.at > until {
                break;
            }
            let Reverse(s) = self.queue.pop().expect("peeked");
            self.now = s.at;
            n += 1;
            match s.action {
                Action::Append { topic, msg } => self.append(topic, msg, sys),
                Action::Deliver {
                    group,
                    rec,
                    attempt,
                } => self.deliver(group, rec, attempt, sys),
                Action::System(what) => sys.on_system(self, what),
            }
        }
        self.now = self.now.max(until);
        if self.now - self.last_prune > 2 * SEC {
            self.prune();
        }
        n
    }

    /// Forgets per-key entries that are done and inbox entries older than `inbox_for` (bounded
    /// memory in long runs; a duplicate arrives within 1.5 s of its original, or right after a
    /// stall ends).
    fn prune(&mut self) {
        let now = self.now;
        self.last_prune = now;
        for s in &mut self.state {
            s.key_ready.retain(|_, t| *t > now);
            s.inbox.retain(|_, t| now - *t < self.inbox_for);
        }
    }
}

/// Spring Kafka's dead-letter headers on a copy of the failed record.
fn dead_letter_copy<T>(rec: &Appended, bus: &Bus<T>, group: GroupId, why: &str) -> Message {
    let mut headers = rec.msg.headers.clone();
    let topic = bus.topics[rec.topic as usize].name;
    for (name, value) in [
        ("kafka_dlt-original-topic", topic.to_string()),
        ("kafka_dlt-original-partition", rec.partition.to_string()),
        ("kafka_dlt-original-offset", rec.offset.to_string()),
        (
            "kafka_dlt-original-consumer-group",
            bus.groups[group as usize].name.to_string(),
        ),
        ("kafka_dlt-exception-message", why.to_string()),
    ] {
        headers.push(Header::text(name, &value));
    }
    Message {
        key: rec.msg.key.clone(),
        headers,
        value: rec.msg.value.clone(),
        id: rec.msg.id.clone(),
        facts: rec.msg.facts,
    }
}

/// The simulated system on top of the bus.
pub trait System<T> {
    /// How long `group` takes to handle `rec` from now, or `None` if the record never reaches it.
    fn latency(&mut self, bus: &Bus<T>, group: GroupId, rec: &Appended) -> Option<Ns>;
    /// Handles a delivered record (publishing outputs through `bus`).
    fn handle(&mut self, bus: &mut Bus<T>, group: GroupId, rec: &Appended) -> Handled;
    /// A record was appended (before any group sees it).
    fn on_append(&mut self, bus: &mut Bus<T>, rec: &Appended);
    fn on_system(&mut self, bus: &mut Bus<T>, what: T);
}
