//! Unit and property tests of the wheel.
//!
//! The property tests drive the wheel with a small deterministic generator and compare it, after
//! every operation, with a naive model: a map from timer to deadline, in which a timer is due
//! once `now`, truncated to whole milliseconds since the start, has reached its deadline.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

use super::{TimerKey, Wheel};

/// SplitMix64: tiny, deterministic, good enough to spread test inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn chance(&mut self, one_in: u64) -> bool {
        self.below(one_in) == 0
    }
}

/// A waker that appends its id to a shared log when woken.
struct Tagged {
    id: u64,
    log: Arc<Mutex<Vec<u64>>>,
}

impl Wake for Tagged {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.log.lock().unwrap().push(self.id);
    }
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A wheel plus the plumbing to see which timers fire.
struct Harness {
    wheel: Wheel,
    start: Instant,
    log: Arc<Mutex<Vec<u64>>>,
    buffer: Vec<Waker>,
}

impl Harness {
    fn new() -> Harness {
        let start = Instant::now();
        Harness {
            wheel: Wheel::new(start),
            start,
            log: Arc::default(),
            buffer: Vec::new(),
        }
    }

    fn waker(&self, id: u64) -> Waker {
        Waker::from(Arc::new(Tagged {
            id,
            log: self.log.clone(),
        }))
    }

    fn insert(&mut self, id: u64, deadline: Instant) -> TimerKey {
        let waker = self.waker(id);
        self.wheel.insert(deadline, waker)
    }

    /// Processes at `now` and returns the ids that fired, sorted.
    fn process(&mut self, now: Instant) -> Vec<u64> {
        self.wheel.process(now, &mut self.buffer);
        for waker in self.buffer.drain(..) {
            waker.wake();
        }
        let mut fired = std::mem::take(&mut *self.log.lock().unwrap());
        fired.sort_unstable();
        fired
    }

    fn at(&self, d: Duration) -> Instant {
        self.start + d
    }
}

/// The model's notion of "reached": `now` truncated to whole milliseconds since `start`.
fn reached(start: Instant, now: Instant) -> Instant {
    let whole = now.saturating_duration_since(start).as_millis();
    start + Duration::from_millis(u64::try_from(whole).unwrap())
}

/// The model's notion of when a deadline becomes due: rounded up to a whole millisecond.
fn due_at(start: Instant, deadline: Instant) -> Instant {
    let nanos = deadline.saturating_duration_since(start).as_nanos();
    start + Duration::from_millis(u64::try_from(nanos.div_ceil(1_000_000)).unwrap())
}

#[derive(Debug)]
struct ModelTimer {
    id: u64,
    key: TimerKey,
    deadline: Instant,
}

/// The naive model: every armed timer, by id and ordered by when it becomes due. A timer leaves
/// the model when it fires or is removed.
#[derive(Default)]
struct Model {
    timers: Vec<ModelTimer>,
    position: HashMap<u64, usize>,
    armed: BTreeSet<(Instant, u64)>,
}

impl Model {
    fn len(&self) -> usize {
        self.timers.len()
    }

    fn insert(&mut self, start: Instant, id: u64, key: TimerKey, deadline: Instant) {
        self.position.insert(id, self.timers.len());
        self.timers.push(ModelTimer { id, key, deadline });
        self.armed.insert((due_at(start, deadline), id));
    }

    fn pick(&self, rng: &mut Rng) -> Option<usize> {
        (!self.timers.is_empty()).then(|| rng.below(self.timers.len() as u64) as usize)
    }

    fn remove_at(&mut self, start: Instant, at: usize) -> ModelTimer {
        let timer = self.timers.swap_remove(at);
        self.position.remove(&timer.id);
        if let Some(moved) = self.timers.get(at) {
            self.position.insert(moved.id, at);
        }
        assert!(self
            .armed
            .remove(&(due_at(start, timer.deadline), timer.id)));
        timer
    }

    fn rearm(&mut self, start: Instant, at: usize, deadline: Instant) {
        let timer = &mut self.timers[at];
        assert!(self
            .armed
            .remove(&(due_at(start, timer.deadline), timer.id)));
        timer.deadline = deadline;
        self.armed.insert((due_at(start, deadline), timer.id));
    }

    /// The armed timers that are due once `limit` is reached, in id order.
    fn due(&self, limit: Instant) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .armed
            .range(..=(limit, u64::MAX))
            .map(|&(_, id)| id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Takes the timer `id` out as fired.
    fn fire(&mut self, start: Instant, id: u64) -> ModelTimer {
        let at = *self
            .position
            .get(&id)
            .unwrap_or_else(|| panic!("timer {id} fired twice, or after its removal"));
        self.remove_at(start, at)
    }
}

/// Checks `next_deadline` against the model: `None` iff nothing is armed, otherwise never
/// later than the moment any armed timer becomes due.
fn check_next_deadline(h: &Harness, model: &Model) {
    match (h.wheel.next_deadline(), model.armed.first()) {
        (None, None) => {}
        (Some(next), Some(&(earliest, _))) => {
            assert!(
                next <= earliest,
                "next_deadline is later than an armed timer"
            )
        }
        (next, earliest) => panic!("next_deadline {next:?} but earliest armed {earliest:?}"),
    }
}

/// A deadline offset drawn from ranges that exercise every level and the overflow list.
fn random_offset(rng: &mut Rng) -> Duration {
    let max_nanos: u64 = match rng.below(8) {
        0 => 2_000_000,                         // within a couple of ticks
        1 => 100_000_000,                       // levels 0 and 1
        2 => 10_000_000_000,                    // up to level 2
        3 => 3_600_000_000_000,                 // up to level 3/4
        4 => 100 * 86_400_000_000_000,          // up to level 5
        5 => (1 << 36) * 1_000_000 + 5_000_000, // around the edge of the range
        6 => (1 << 38) * 1_000_000,             // overflow
        _ => 64 * 64 * 1_000_000,               // levels 0 to 2
    };
    Duration::from_nanos(rng.below(max_nanos))
}

/// A random step forward in time.
fn random_advance(rng: &mut Rng) -> Duration {
    match rng.below(20) {
        0 => Duration::from_nanos(rng.below((1 << 37) * 1_000_000)),
        1 | 2 => Duration::from_nanos(rng.below(5_000_000_000)),
        3..=6 => Duration::from_nanos(rng.below(300_000_000)),
        7 => Duration::ZERO,
        _ => Duration::from_nanos(rng.below(3_000_000)),
    }
}

/// A deadline for an insert or reset: usually ahead of `now`, sometimes behind it.
fn random_deadline(rng: &mut Rng, start: Instant, now: Instant) -> Instant {
    if rng.chance(10) {
        now.checked_sub(Duration::from_nanos(rng.below(50_000_000)))
            .unwrap_or(start)
    } else {
        now + random_offset(rng)
    }
}

/// Random inserts, removes, resets, waker updates and processing against the model.
fn run_model(seed: u64, steps: usize, check_structure: bool) {
    let mut rng = Rng(seed);
    let mut h = Harness::new();
    let start = h.start;
    let mut now = start;
    let mut model = Model::default();
    let mut stale: Vec<TimerKey> = Vec::new();
    let mut next_id = 0u64;
    let mut fired_total = 0usize;

    for _ in 0..steps {
        match rng.below(100) {
            0..=39 => {
                let deadline = random_deadline(&mut rng, start, now);
                let id = next_id;
                next_id += 1;
                let key = h.insert(id, deadline);
                model.insert(start, id, key, deadline);
            }
            40..=54 => {
                if let Some(at) = model.pick(&mut rng) {
                    let timer = model.remove_at(start, at);
                    assert!(h.wheel.remove(timer.key), "an armed timer was not removed");
                    assert!(!h.wheel.contains(timer.key));
                    stale.push(timer.key);
                }
            }
            55..=66 => {
                if let Some(at) = model.pick(&mut rng) {
                    let deadline = random_deadline(&mut rng, start, now);
                    let key = model.timers[at].key;
                    assert!(h.wheel.reset(key, deadline), "an armed timer was not reset");
                    model.rearm(start, at, deadline);
                }
            }
            67..=69 => {
                if let Some(at) = model.pick(&mut rng) {
                    let t = &model.timers[at];
                    let waker = h.waker(t.id);
                    h.wheel.update_waker(t.key, &waker);
                }
            }
            70..=72 => {
                if !stale.is_empty() {
                    let key = stale[rng.below(stale.len() as u64) as usize];
                    assert!(!h.wheel.remove(key), "a stale key removed a timer");
                    assert!(!h.wheel.reset(key, now), "a stale key reset a timer");
                    assert!(!h.wheel.contains(key));
                    assert!(h.wheel.is_fired(key));
                }
            }
            _ => {
                now += random_advance(&mut rng);
                let fired = h.process(now);
                let limit = reached(start, now);
                assert_eq!(
                    fired,
                    model.due(limit),
                    "fired set differs from the model at {:?}",
                    now - start
                );
                for &id in &fired {
                    let timer = model.fire(start, id);
                    assert!(timer.deadline <= limit, "timer fired before its tick");
                    assert!(timer.deadline <= now, "timer fired early");
                    assert!(h.wheel.is_fired(timer.key));
                    assert!(!h.wheel.contains(timer.key), "a fired timer stayed");
                    stale.push(timer.key);
                }
                fired_total += fired.len();
            }
        }
        assert_eq!(h.wheel.len(), model.len());
        assert_eq!(h.wheel.is_empty(), model.len() == 0);
        check_next_deadline(&h, &model);
        if check_structure {
            h.wheel.check_invariants();
        }
    }

    // Drain: everything still armed fires once its time comes, exactly then, and nothing is
    // lost.
    let armed = model.armed.len();
    let mut fired_at_end = 0;
    let mut rounds = 0;
    while let Some(next) = h.wheel.next_deadline() {
        rounds += 1;
        assert!(rounds < 1_000_000, "draining does not terminate");
        let advanced = next > now;
        now = now.max(next);
        for id in h.process(now) {
            let timer = model.fire(start, id);
            assert!(timer.deadline <= now, "timer fired early");
            if advanced {
                assert_eq!(due_at(start, timer.deadline), now, "timer fired late");
            }
            fired_at_end += 1;
        }
        check_next_deadline(&h, &model);
    }
    assert_eq!(fired_at_end, armed, "timers were lost");
    assert!(model.armed.is_empty());
    assert!(
        fired_total > 0,
        "the run never fired a timer: the generator is off"
    );
    h.wheel.check_invariants();
}

#[test]
fn model_with_structure_checks() {
    for seed in 0..12 {
        run_model(seed, 4_000, true);
    }
}

#[test]
fn model_long_runs() {
    for seed in 100..104 {
        run_model(seed, 30_000, false);
    }
}

#[test]
fn hundred_thousand_timers_within_fifty_ms_all_fire() {
    const N: u64 = 100_000;
    let mut rng = Rng(7);
    let mut h = Harness::new();
    let deadlines: Vec<Instant> = (0..N)
        .map(|_| h.at(Duration::from_nanos(rng.below(50_000_000))))
        .collect();
    let keys: Vec<TimerKey> = deadlines
        .iter()
        .enumerate()
        .map(|(id, &d)| h.insert(id as u64, d))
        .collect();
    assert_eq!(h.wheel.len(), N as usize);

    let mut fired_at: Vec<Option<Instant>> = vec![None; N as usize];
    let mut now = h.start;
    let end = h.at(ms(51));
    while now < end {
        now += Duration::from_nanos(rng.below(700_000));
        for id in h.process(now) {
            let slot = &mut fired_at[id as usize];
            assert!(slot.is_none(), "timer {id} fired twice");
            *slot = Some(now);
        }
    }
    for (id, (&deadline, fired)) in deadlines.iter().zip(&fired_at).enumerate() {
        let fired = fired.unwrap_or_else(|| panic!("timer {id} never fired"));
        assert!(fired >= deadline, "timer {id} fired early");
        assert!(h.wheel.is_fired(keys[id]));
    }
    for key in keys {
        assert!(!h.wheel.remove(key), "a fired timer left the wheel");
    }
    assert!(h.wheel.is_empty());
    assert_eq!(h.wheel.next_deadline(), None);
    h.wheel.check_invariants();
}

/// Inserting `count` timers spread over every level and driving the wheel only by
/// `next_deadline`: each timer fires exactly at its rounded-up deadline.
#[test]
fn driving_by_next_deadline_is_never_late() {
    let mut rng = Rng(42);
    let mut h = Harness::new();
    let count = 20_000u64;
    let mut deadlines = Vec::new();
    for id in 0..count {
        // Log-uniform offsets from 0 to 2^40 ms, with sub-millisecond parts.
        let bits = rng.below(41);
        let millis = if bits == 0 { 0 } else { rng.below(1 << bits) };
        let deadline = h.at(ms(millis) + Duration::from_nanos(rng.below(1_000_000)));
        deadlines.push(deadline);
        h.insert(id, deadline);
    }
    let mut fired = 0;
    let mut rounds = 0u64;
    let mut previous = h.start;
    while let Some(next) = h.wheel.next_deadline() {
        rounds += 1;
        assert!(next >= previous, "next_deadline went backwards");
        previous = next;
        for id in h.process(next) {
            assert_eq!(
                due_at(h.start, deadlines[id as usize]),
                next,
                "timer {id} fired late"
            );
            fired += 1;
        }
    }
    assert_eq!(fired, count);
    // Each timer is refiled at most once per level, and each round empties a slot.
    assert!(rounds <= count * 7, "{rounds} rounds for {count} timers");
    h.wheel.check_invariants();
}

/// The ticks at which timers change level, and their neighbours.
const BOUNDARIES: &[u64] = &[
    1,
    2,
    63,
    64,
    65,
    127,
    128,
    4_095,
    4_096,
    4_097,
    262_143,
    262_144,
    262_145,
    (1 << 24) - 1,
    1 << 24,
    (1 << 24) + 1,
    (1 << 30) - 1,
    1 << 30,
    (1 << 30) + 1,
    (1 << 36) - 1,
    1 << 36,
    (1 << 36) + 1,
    (1 << 37) + 12_345,
];

/// Starting from tick `offset`, a timer `delta` ms ahead is not due 1 ns before and is due
/// exactly at its deadline, both when driven by `next_deadline` and when processed directly.
fn check_boundary(offset: u64, delta: u64) {
    let mut h = Harness::new();
    assert!(h.process(h.at(ms(offset))).is_empty());
    let deadline = h.at(ms(offset + delta));
    let key = h.insert(1, deadline);
    h.wheel.check_invariants();

    // Directly: just before, then at the deadline.
    let mut direct = Harness::new();
    direct.process(direct.at(ms(offset)));
    let direct_deadline = direct.at(ms(offset + delta));
    direct.insert(1, direct_deadline);
    assert!(
        direct
            .process(direct_deadline - Duration::from_nanos(1))
            .is_empty(),
        "offset {offset} delta {delta}: fired early"
    );
    direct.wheel.check_invariants();
    assert_eq!(
        direct.process(direct_deadline),
        vec![1],
        "offset {offset} delta {delta}: not fired at its deadline"
    );
    direct.wheel.check_invariants();

    // By next_deadline: every step is at or before the deadline, and it fires at it.
    let mut steps = 0;
    loop {
        let next = h
            .wheel
            .next_deadline()
            .expect("an armed timer has a next deadline");
        assert!(
            next <= deadline,
            "offset {offset} delta {delta}: next_deadline is late"
        );
        let fired = h.process(next);
        h.wheel.check_invariants();
        steps += 1;
        assert!(
            steps <= 8,
            "offset {offset} delta {delta}: too many cascade steps"
        );
        if !fired.is_empty() {
            assert_eq!(fired, vec![1]);
            assert_eq!(next, deadline, "offset {offset} delta {delta}: fired late");
            break;
        }
    }
    assert!(h.wheel.is_fired(key));
    assert_eq!(h.wheel.next_deadline(), None);
}

#[test]
fn cascade_boundaries_from_zero() {
    for &delta in BOUNDARIES {
        check_boundary(0, delta);
    }
}

#[test]
fn cascade_boundaries_from_offsets() {
    for &offset in &[
        1,
        63,
        64,
        4_095,
        4_096,
        262_143,
        (1 << 30) - 1,
        (1 << 36) - 1,
        1 << 36,
    ] {
        for &delta in BOUNDARIES {
            check_boundary(offset, delta);
        }
    }
}

#[test]
fn deadlines_round_up_to_the_next_tick() {
    let mut h = Harness::new();
    h.insert(1, h.at(Duration::from_micros(1_500)));
    h.insert(2, h.at(ms(2)));
    h.insert(3, h.at(Duration::from_nanos(2_000_001)));
    assert_eq!(h.wheel.next_deadline(), Some(h.at(ms(2))));
    assert!(h.process(h.at(Duration::from_nanos(1_999_999))).is_empty());
    assert_eq!(h.process(h.at(ms(2))), vec![1, 2]);
    assert_eq!(h.wheel.next_deadline(), Some(h.at(ms(3))));
    assert!(h.process(h.at(Duration::from_nanos(2_999_999))).is_empty());
    assert_eq!(h.process(h.at(ms(3))), vec![3]);
}

#[test]
fn past_deadlines_fire_at_the_next_process() {
    let mut h = Harness::new();
    h.process(h.at(ms(100)));
    h.insert(1, h.at(ms(10)));
    h.insert(2, h.at(ms(100)));
    h.insert(3, h.start.checked_sub(ms(5)).unwrap_or(h.start));
    let next = h.wheel.next_deadline().unwrap();
    assert!(next <= h.at(ms(10)));
    // Even a process that does not move time forward fires them.
    assert_eq!(h.process(h.at(ms(100))), vec![1, 2, 3]);
    assert_eq!(h.wheel.next_deadline(), None);
}

#[test]
fn remove_reports_whether_the_timer_had_fired() {
    let mut h = Harness::new();
    let early = h.insert(1, h.at(ms(5)));
    let late = h.insert(2, h.at(ms(50)));
    assert_eq!(h.wheel.len(), 2);
    assert_eq!(h.process(h.at(ms(5))), vec![1]);
    assert_eq!(h.wheel.len(), 1, "a fired timer leaves the wheel");
    assert!(h.wheel.is_fired(early));
    assert!(!h.wheel.is_fired(late));
    assert!(!h.wheel.remove(early), "had fired");
    assert!(h.wheel.remove(late), "had not fired");
    assert!(!h.wheel.remove(late), "already removed");
    assert!(h.wheel.is_empty());
    assert_eq!(h.wheel.next_deadline(), None);
    assert!(h.process(h.at(ms(100))).is_empty(), "a removed timer fired");
}

#[test]
fn stale_keys_never_reach_a_reused_slot() {
    let mut h = Harness::new();
    let old = h.insert(1, h.at(ms(10)));
    assert!(h.wheel.remove(old));
    let new = h.insert(2, h.at(ms(20)));
    assert_ne!(old, new);
    assert!(!h.wheel.remove(old));
    assert!(!h.wheel.reset(old, h.at(ms(1))));
    assert!(h.wheel.update_waker(old, &h.waker(9)).is_none());
    assert!(h.wheel.take_waker(old).is_none());
    assert!(h.wheel.contains(new));
    assert_eq!(h.process(h.at(ms(20))), vec![2]);
}

#[test]
fn reset_moves_and_rearms() {
    let mut h = Harness::new();
    let key = h.insert(1, h.at(ms(100)));
    assert!(h.wheel.reset(key, h.at(ms(10))));
    assert_eq!(h.wheel.next_deadline(), Some(h.at(ms(10))));
    assert_eq!(h.process(h.at(ms(10))), vec![1]);

    // A fired timer is gone: its key resets nothing, and a fresh insert re-arms it.
    assert!(!h.wheel.reset(key, h.at(ms(5_000))));
    assert!(h.wheel.is_fired(key));
    assert!(h.wheel.is_empty());
    let again = h.insert(1, h.at(ms(5_000)));
    assert!(
        h.wheel.reset(again, h.at(ms(6_000))),
        "reset keeps the waker"
    );
    assert!(h.process(h.at(ms(5_999))).is_empty());
    assert_eq!(h.process(h.at(ms(6_000))), vec![1]);
    h.wheel.check_invariants();
}

#[test]
fn update_waker_clones_only_when_needed() {
    let mut h = Harness::new();
    let first = h.waker(1);
    let key = h.wheel.insert(h.at(ms(10)), first.clone());
    assert!(
        h.wheel.update_waker(key, &first).is_none(),
        "same task: kept"
    );
    let replaced = h.wheel.update_waker(key, &h.waker(2));
    assert!(replaced.is_some_and(|w| w.will_wake(&first)));
    assert_eq!(h.process(h.at(ms(10))), vec![2]);
    let taken = h.wheel.take_waker(key);
    assert!(taken.is_none(), "a fired timer has handed its waker out");
}

#[test]
fn far_future_timers_wait_in_overflow_and_come_back() {
    let mut h = Harness::new();
    let far = (1u64 << 36) + 777;
    let farther = 3 * (1u64 << 36) + 5;
    h.insert(1, h.at(ms(far)));
    h.insert(2, h.at(ms(farther)));
    h.wheel.check_invariants();
    // The first event is the start of the block holding the earliest overflow timer.
    assert_eq!(h.wheel.next_deadline(), Some(h.at(ms(1 << 36))));
    assert!(h.process(h.at(ms(far - 1))).is_empty());
    h.wheel.check_invariants();
    assert_eq!(h.process(h.at(ms(far))), vec![1]);
    assert!(h.wheel.next_deadline().unwrap() <= h.at(ms(farther)));
    assert!(h.process(h.at(ms(farther - 1))).is_empty());
    assert_eq!(h.process(h.at(ms(farther))), vec![2]);
    h.wheel.check_invariants();
}

#[test]
fn removing_the_earliest_overflow_timer_keeps_next_deadline_a_lower_bound() {
    let mut h = Harness::new();
    let a = h.insert(1, h.at(ms(1 << 37)));
    h.insert(2, h.at(ms(5 << 36)));
    assert!(h.wheel.remove(a));
    let next = h.wheel.next_deadline().unwrap();
    assert!(next <= h.at(ms(5 << 36)));
    // Processing at a stale bound makes progress: the bound moves on.
    assert!(h.process(next).is_empty());
    assert_eq!(h.wheel.next_deadline(), Some(h.at(ms(5 << 36))));
    assert_eq!(h.process(h.at(ms(5 << 36))), vec![2]);
}

#[test]
fn empty_wheel() {
    let mut h = Harness::new();
    assert!(h.wheel.is_empty());
    assert_eq!(h.wheel.len(), 0);
    assert_eq!(h.wheel.next_deadline(), None);
    assert!(h.process(h.at(ms(1_000))).is_empty());
    assert_eq!(h.wheel.next_deadline(), None);
}
