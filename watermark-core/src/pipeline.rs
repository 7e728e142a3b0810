//! An ordered worker pipeline: the calling thread produces items and consumes
//! results, worker threads turn items into results, and results come back in
//! the order the items went out, so what is written or summed does not depend
//! on the number of threads.

use std::io;
use std::sync::mpsc::sync_channel;

use crate::error::{Error, Result};

/// Items in flight per worker; with channels of this capacity both ways, no
/// send can block while the calling thread waits, so the pipeline cannot
/// deadlock.
pub(crate) const DEPTH: usize = 4;

/// Worker threads for `requested` (0: one per core).
pub(crate) fn threads(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Runs `work` over the items `next` yields, one worker thread per state in
/// `states` (dealt round-robin), and hands each result to `done` in item
/// order. With one state it all runs on the calling thread. The first error,
/// from any side, stops the pipeline and is returned. `what` names the work
/// in the error given if a worker thread dies.
pub(crate) fn ordered<S, I, O>(
    what: &str,
    states: Vec<S>,
    work: impl Fn(&mut S, I) -> Result<O> + Sync,
    mut next: impl FnMut() -> Result<Option<I>>,
    mut done: impl FnMut(O) -> Result<()>,
) -> Result<()>
where
    S: Send,
    I: Send,
    O: Send,
{
    let threads = states.len();
    assert!(threads > 0, "at least one worker state");
    if threads == 1 {
        let mut state = states.into_iter().next().expect("one state");
        while let Some(item) = next()? {
            done(work(&mut state, item)?)?;
        }
        return Ok(());
    }
    let stopped = || Error::io(what, io::Error::other("a worker thread stopped"));
    let work = &work;
    std::thread::scope(|scope| {
        let mut to_workers = Vec::with_capacity(threads);
        let mut from_workers = Vec::with_capacity(threads);
        for mut state in states {
            let (tx, rx) = sync_channel::<I>(DEPTH);
            let (rtx, rrx) = sync_channel::<Result<O>>(DEPTH);
            to_workers.push(tx);
            from_workers.push(rrx);
            scope.spawn(move || {
                for item in rx {
                    let result = work(&mut state, item);
                    let failed = result.is_err();
                    if rtx.send(result).is_err() || failed {
                        return;
                    }
                }
            });
        }
        let (mut sent, mut received) = (0usize, 0usize);
        let result = (|| -> Result<()> {
            let mut receive = |received: &mut usize| -> Result<()> {
                let out = from_workers[*received % threads]
                    .recv()
                    .map_err(|_| stopped())??;
                *received += 1;
                done(out)
            };
            while let Some(item) = next()? {
                if sent - received == threads * DEPTH {
                    receive(&mut received)?;
                }
                if to_workers[sent % threads].send(item).is_err() {
                    // The worker stopped at an error: take the results
                    // before it, in order, and return that error.
                    while received < sent {
                        receive(&mut received)?;
                    }
                    return Err(stopped());
                }
                sent += 1;
            }
            while received < sent {
                receive(&mut received)?;
            }
            Ok(())
        })();
        // Closing the channels ends the workers, on success or error.
        drop(to_workers);
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_back_in_order_whatever_the_threads() {
        for threads in 1..=4 {
            let mut items = 0..1000u64;
            let mut out = Vec::new();
            ordered(
                "squaring",
                vec![(); threads],
                |_, i: u64| {
                    if i.is_multiple_of(7) {
                        std::thread::yield_now();
                    }
                    Ok(i * i)
                },
                || Ok(items.next()),
                |o| {
                    out.push(o);
                    Ok(())
                },
            )
            .unwrap();
            assert_eq!(out, (0..1000u64).map(|i| i * i).collect::<Vec<_>>());
        }
    }

    #[test]
    fn a_worker_error_stops_the_pipeline() {
        let mut items = 0..1000u64;
        let mut seen = 0;
        let e = ordered(
            "failing",
            vec![(); 3],
            |_, i: u64| {
                if i == 500 {
                    Err(Error::state("item 500"))
                } else {
                    Ok(i)
                }
            },
            || Ok(items.next()),
            |_| {
                seen += 1;
                Ok(())
            },
        )
        .unwrap_err();
        assert!(e.to_string().contains("item 500"), "{e}");
        assert_eq!(seen, 500);
    }
}
