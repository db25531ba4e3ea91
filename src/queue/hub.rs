//! Answering a group commit's callers with one wake-up per thread.
//!
//! Each webhook waits for its commit on a oneshot channel. Completing a oneshot whose waiter
//! runs on another thread's runtime wakes that runtime: a syscall (an eventfd write) per
//! webhook, and the committer paid one for every caller of every batch — about a third
//! of the gateway's wake-up syscalls under load. A [`ReplyHub`] belongs to one HTTP worker
//! thread: the committer (SQLite's write thread, or a task) sends it a batch's answers for that
//! thread as one message, and the hub's task, running on that thread, completes the oneshots
//! there, where waking a local task is only a queue push.

use super::{Accepted, StoreError};
use std::cell::OnceCell;
use std::rc::Rc;
use tokio::sync::{mpsc, oneshot};

type Reply = oneshot::Sender<Result<Accepted, StoreError>>;
/// Answers for one thread's callers.
pub(super) type Answers = Vec<(Reply, Result<Accepted, StoreError>)>;

/// One HTTP worker thread's hub (created per worker, in the app factory). Its task starts on
/// first use, from a request handler, so on that worker's `LocalSet`.
#[derive(Debug, Clone, Default)]
pub struct ReplyHub {
    tx: Rc<OnceCell<mpsc::UnboundedSender<Answers>>>,
}

impl ReplyHub {
    /// The hub's channel, starting its task on the current thread the first time.
    ///
    /// # Panics
    /// On first use outside a `LocalSet` (an actix worker always has one).
    pub(super) fn sender(&self) -> mpsc::UnboundedSender<Answers> {
        self.tx
            .get_or_init(|| {
                let (tx, mut rx) = mpsc::unbounded_channel::<Answers>();
                tokio::task::spawn_local(async move {
                    while let Some(answers) = rx.recv().await {
                        for (reply, result) in answers {
                            let _ = reply.send(result);
                        }
                    }
                });
                tx
            })
            .clone()
    }
}

/// Hands a batch's answers to their callers: one message per thread that has a hub, the
/// others one by one. `results` gives one result per reply, in order.
pub(super) fn answer(
    replies: Vec<(Reply, Option<mpsc::UnboundedSender<Answers>>)>,
    results: impl Iterator<Item = Result<Accepted, StoreError>>,
) {
    let mut by_hub: Vec<(mpsc::UnboundedSender<Answers>, Answers)> = Vec::new();
    for ((reply, hub), result) in replies.into_iter().zip(results) {
        match hub {
            None => {
                let _ = reply.send(result);
            }
            Some(hub) => match by_hub.iter_mut().find(|(h, _)| h.same_channel(&hub)) {
                Some((_, answers)) => answers.push((reply, result)),
                None => by_hub.push((hub, vec![(reply, result)])),
            },
        }
    }
    for (hub, answers) in by_hub {
        // A hub whose thread has stopped hands the answers back: send them directly.
        if let Err(mpsc::error::SendError(answers)) = hub.send(answers) {
            for (reply, result) in answers {
                let _ = reply.send(result);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply() -> (Reply, oneshot::Receiver<Result<Accepted, StoreError>>) {
        oneshot::channel()
    }

    fn new(id: i64) -> Result<Accepted, StoreError> {
        Ok(Accepted::New { id, leased: false })
    }

    #[tokio::test]
    async fn answers_go_one_message_per_hub_and_directly_without_or_past_a_hub() {
        let (hub_a, mut a) = mpsc::unbounded_channel::<Answers>();
        let (hub_b, b) = mpsc::unbounded_channel::<Answers>();
        drop(b); // B's thread has stopped
        let (r1, w1) = reply();
        let (r2, w2) = reply();
        let (r3, w3) = reply();
        let (r4, w4) = reply();
        answer(
            vec![
                (r1, Some(hub_a.clone())),
                (r2, None),
                (r3, Some(hub_a)),
                (r4, Some(hub_b)),
            ],
            (1..=4).map(new),
        );
        // Direct, and handed back by the stopped hub: answered at once.
        assert!(matches!(w2.await.unwrap(), Ok(Accepted::New { id: 2, .. })));
        assert!(matches!(w4.await.unwrap(), Ok(Accepted::New { id: 4, .. })));
        // Hub A got both of its answers in one message, in order.
        let msg = a.try_recv().unwrap();
        assert!(a.try_recv().is_err(), "one message per hub and batch");
        let ids: Vec<i64> = msg
            .into_iter()
            .map(|(reply, result)| {
                let id = match &result {
                    Ok(Accepted::New { id, .. }) => *id,
                    other => panic!("{other:?}"),
                };
                reply.send(result).unwrap();
                id
            })
            .collect();
        assert_eq!(ids, vec![1, 3]);
        assert!(w1.await.unwrap().is_ok() && w3.await.unwrap().is_ok());
    }

    #[tokio::test]
    async fn a_hub_answers_its_callers_on_its_own_thread() {
        let local = tokio::task::LocalSet::new();
        local
            .run_until(async {
                let hub = ReplyHub::default();
                let (r, w) = reply();
                answer(vec![(r, Some(hub.sender()))], std::iter::once(new(7)));
                let got = tokio::time::timeout(std::time::Duration::from_secs(5), w)
                    .await
                    .expect("the hub task never answered");
                assert!(matches!(got.unwrap(), Ok(Accepted::New { id: 7, .. })));
                assert!(hub.sender().same_channel(&hub.sender()), "one task per hub");
            })
            .await;
    }
}
