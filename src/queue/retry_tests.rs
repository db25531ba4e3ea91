use super::*;

const S: i64 = 1_000;

fn policy() -> RetryPolicy {
    RetryPolicy {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(60),
        max_age: Duration::from_secs(3_600),
        max_attempts: 0,
    }
}

fn at(d: Decision) -> i64 {
    match d {
        Decision::RetryAt(t) => t,
        Decision::GiveUp(r) => panic!("gave up: {r}"),
    }
}

fn gives_up(d: Decision) -> String {
    match d {
        Decision::GiveUp(r) => r,
        Decision::RetryAt(t) => panic!("retry at {t}"),
    }
}

#[test]
fn the_first_retry_waits_at_most_the_base() {
    assert_eq!(
        at(next_attempt(&policy(), 1, 0, 10 * S, None, 0.999_999)),
        10 * S + 999
    );
}

#[test]
fn the_ceiling_doubles_with_each_attempt() {
    let p = policy();
    for (n, ceiling) in [(1, S), (2, 2 * S), (3, 4 * S), (4, 8 * S), (6, 32 * S)] {
        assert_eq!(
            at(next_attempt(&p, n, 0, 0, None, 0.5)),
            ceiling / 2,
            "attempt {n}"
        );
    }
}

#[test]
fn the_ceiling_stops_at_the_cap() {
    assert_eq!(at(next_attempt(&policy(), 7, 0, 0, None, 0.5)), 30 * S);
    assert_eq!(at(next_attempt(&policy(), 30, 0, 0, None, 0.5)), 30 * S);
}

#[test]
fn huge_attempt_counts_do_not_overflow() {
    assert_eq!(
        at(next_attempt(&policy(), u32::MAX - 1, 0, 0, None, 0.5)),
        30 * S
    );
    let p = RetryPolicy {
        base: Duration::MAX,
        cap: Duration::MAX,
        max_age: Duration::MAX,
        max_attempts: 0,
    };
    assert!(matches!(
        next_attempt(&p, 200, 0, 0, None, 0.99),
        Decision::RetryAt(t) if t > 0
    ));
}

#[test]
fn zero_jitter_retries_at_once() {
    assert_eq!(at(next_attempt(&policy(), 5, 0, 7 * S, None, 0.0)), 7 * S);
}

#[test]
fn jitter_outside_the_unit_interval_is_clamped() {
    assert_eq!(at(next_attempt(&policy(), 1, 0, 0, None, -3.0)), 0);
    assert_eq!(at(next_attempt(&policy(), 1, 0, 0, None, 7.0)), S);
    assert_eq!(at(next_attempt(&policy(), 1, 0, 0, None, f64::NAN)), 0);
}

#[test]
fn retry_after_is_a_floor() {
    let d = next_attempt(&policy(), 1, 0, 0, Some(Duration::from_secs(20)), 0.5);
    assert_eq!(at(d), 20 * S);
}

#[test]
fn a_shorter_retry_after_does_not_shorten_the_backoff() {
    let d = next_attempt(&policy(), 6, 0, 0, Some(Duration::from_secs(1)), 0.5);
    assert_eq!(at(d), 16 * S);
}

#[test]
fn retry_after_is_clamped_to_the_cap() {
    let d = next_attempt(&policy(), 1, 0, 0, Some(Duration::from_secs(86_400)), 0.1);
    assert_eq!(at(d), 60 * S);
}

#[test]
fn max_attempts_gives_up_when_reached() {
    let p = RetryPolicy {
        max_attempts: 3,
        ..policy()
    };
    assert!(matches!(
        next_attempt(&p, 2, 0, 0, None, 0.5),
        Decision::RetryAt(_)
    ));
    assert!(gives_up(next_attempt(&p, 3, 0, 0, None, 0.5)).contains("3 attempts"));
}

#[test]
fn zero_max_attempts_means_unlimited() {
    assert!(matches!(
        next_attempt(&policy(), 10_000, 0, 0, None, 0.5),
        Decision::RetryAt(_)
    ));
}

#[test]
fn an_attempt_past_the_maximum_age_gives_up() {
    // Received at 0, max age 1h: now is 59m50s and the next try would be 30s later.
    let reason = gives_up(next_attempt(&policy(), 10, 0, 3_590 * S, None, 0.5));
    assert!(reason.contains("maximum age"), "{reason}");
}

#[test]
fn an_attempt_exactly_at_the_maximum_age_is_still_made() {
    assert_eq!(
        at(next_attempt(&policy(), 10, 0, 3_570 * S, None, 0.5)),
        3_600 * S
    );
}

#[test]
fn retry_after_can_push_past_the_maximum_age() {
    let d = next_attempt(
        &policy(),
        1,
        0,
        3_590 * S,
        Some(Duration::from_secs(30)),
        0.0,
    );
    assert!(matches!(d, Decision::GiveUp(_)));
}

#[test]
fn the_time_received_not_now_sets_the_age() {
    let d = next_attempt(&policy(), 1, 5_000 * S, 5_000 * S, None, 0.5);
    assert_eq!(at(d), 5_000 * S + 500);
}
