use super::*;
use crate::queue::tests::harness::{awaiting, job, unmappable, T0};

#[test]
fn a_pending_job_needs_order_account_and_body() {
    assert!(validate(&job("e", "o", T0)).is_ok());
    for strip in [
        |j: &mut NewJob| j.order_id = None,
        |j: &mut NewJob| j.account_id = None,
        |j: &mut NewJob| j.body = None,
    ] {
        let mut j = job("e", "o", T0);
        strip(&mut j);
        assert!(validate(&j).is_err());
    }
}

#[test]
fn an_awaiting_job_needs_a_correlation_key_and_body_but_no_order() {
    assert!(validate(&awaiting("e", "k", T0)).is_ok());
    let mut j = awaiting("e", "k", T0);
    j.correlation_key = None;
    assert!(validate(&j)
        .unwrap_err()
        .to_string()
        .contains("correlation_key"));
}

#[test]
fn a_dead_letter_needs_nothing_translated() {
    assert!(validate(&unmappable("e", T0)).is_ok());
}

#[test]
fn repeats_point_at_their_first_occurrence() {
    let jobs = [
        job("a", "o", T0),
        job("b", "o", T0),
        job("a", "o", T0),
        job("a", "o", T0),
    ];
    assert_eq!(in_batch_repeats(&jobs, 1), [None, None, Some(0), Some(0)]);
}

#[test]
fn the_same_event_of_another_vendor_is_no_repeat() {
    let other = NewJob {
        vendor: "imocha".into(),
        ..job("a", "o", T0)
    };
    assert_eq!(
        in_batch_repeats(&[job("a", "o", T0), other], 1),
        [None, None]
    );
}

#[test]
fn without_a_window_nothing_repeats() {
    let jobs = [job("a", "o", T0), job("a", "o", T0)];
    assert_eq!(in_batch_repeats(&jobs, 0), [None, None]);
}

#[test]
fn lock_keys_are_sorted_unique_and_cover_orders_and_correlation_keys() {
    let jobs = [
        job("1", "B", T0),
        job("2", "A", T0),
        job("3", "B", T0),
        awaiting("4", "k", T0),
        unmappable("5", T0),
    ];
    let keys = lock_keys(&jobs);
    let mut want = vec![
        order_lock("acct", "A"),
        order_lock("acct", "B"),
        correlation_lock("codesignal", "k"),
    ];
    want.sort_unstable();
    assert_eq!(keys, want);
}

#[test]
fn lock_keys_are_stable_and_namespaced() {
    assert_eq!(order_lock("a", "b"), order_lock("a", "b"));
    assert_ne!(order_lock("a", "b"), correlation_lock("a", "b"));
    assert_ne!(order_lock("ab", "c"), order_lock("a", "bc"));
}

#[test]
fn a_registration_found_at_acceptance_makes_the_job_pending_with_its_order() {
    let reg = ("order-1".to_owned(), "acct-1".to_owned());
    let row = initial_row(&awaiting("e", "k", T0), 7, Some(&reg));
    assert_eq!(row.state, JobState::Pending);
    assert_eq!(row.order_id.as_deref(), Some("order-1"));
    assert_eq!(row.account_id.as_deref(), Some("acct-1"));
    let row = initial_row(&awaiting("e", "k", T0), 7, None);
    assert_eq!(row.state, JobState::AwaitingOrder);
}

#[test]
fn a_dead_letter_row_carries_its_reason() {
    let row = initial_row(&unmappable("e", T0), 1, None);
    assert_eq!(row.state, JobState::Dead);
    assert_eq!(row.last_error.as_deref(), Some("mapping: no rule matched"));
}

fn rows_for(jobs: &[NewJob]) -> Vec<NewRow> {
    jobs.iter()
        .enumerate()
        .map(|(i, j)| initial_row(j, i as i64 + 1, None))
        .collect()
}

#[test]
fn only_the_first_job_of_each_idle_order_is_leased() {
    let jobs = [
        job("1", "A", T0),
        job("2", "A", T0),
        job("3", "B", T0),
        job("4", "C", T0),
    ];
    let mut rows = rows_for(&jobs);
    let busy = HashSet::from([("acct".to_owned(), "C".to_owned())]);
    let refs: Vec<&NewJob> = jobs.iter().collect();
    choose_leased(&mut rows, &refs, &busy);
    let leased: Vec<bool> = rows.iter().map(|r| r.leased).collect();
    assert_eq!(leased, [true, false, true, false]);
}

#[test]
fn a_job_released_by_a_registration_is_never_leased_but_still_heads_its_order() {
    let reg = ("A".to_owned(), "acct".to_owned());
    let jobs = [awaiting("1", "k", T0), job("2", "A", T0)];
    let mut rows = vec![
        initial_row(&jobs[0], 1, Some(&reg)),
        initial_row(&jobs[1], 2, None),
    ];
    let refs: Vec<&NewJob> = jobs.iter().collect();
    choose_leased(&mut rows, &refs, &HashSet::new());
    assert_eq!(
        rows.iter().map(|r| r.leased).collect::<Vec<_>>(),
        [false, false]
    );
}

#[test]
fn answers_follow_input_order_with_repeats_and_existing_keys() {
    let jobs = [job("a", "o", T0), job("old", "o", T0), job("a", "o", T0)];
    let repeats = in_batch_repeats(&jobs, 1);
    let row = NewRow {
        id: 10,
        state: JobState::Pending,
        order_id: None,
        account_id: None,
        last_error: None,
        leased: true,
    };
    let existing = HashMap::from([(("codesignal".to_owned(), "old".to_owned()), 3)]);
    let out = answers(&jobs, &repeats, &[(0, &row)], &existing).unwrap();
    assert_eq!(
        out,
        [
            Accepted::New {
                id: 10,
                leased: true
            },
            Accepted::Duplicate { id: 3 },
            Accepted::Duplicate { id: 10 },
        ]
    );
}

#[test]
fn an_unclaimed_key_with_no_existing_row_is_an_error_not_a_guess() {
    let jobs = [job("a", "o", T0)];
    assert!(answers(&jobs, &[None], &[], &HashMap::new()).is_err());
}
