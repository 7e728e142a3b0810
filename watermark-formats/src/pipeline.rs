//! An ordered worker pipeline: the calling thread produces items and consumes
//! results, worker threads turn items into results, and results come back in
//! the order the items went out, so what is written or summed does not depend
//! on the number of threads.

use std::collections::VecDeque;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Mutex;

use watermark_core::{Error, Result};
use watermark_text::Msg;

/// Items in flight per worker. With at most `threads * DEPTH` items in
/// flight and channels that hold that many both ways, no send can block
/// while the calling thread waits, so the pipeline cannot deadlock.
pub(crate) const DEPTH: usize = 4;

/// Worker threads for `requested` (0: one per core).
pub(crate) fn threads(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
}

/// Runs `work` over the items `next` yields, one worker thread per state in
/// `states`, and hands each result to `done` in item order. Workers take
/// the next item from one shared queue whenever they are free, so a worker
/// that gets less of the CPU (the calling thread shares the cores) takes
/// fewer items rather than holding the others up. With one state it all
/// runs on the calling thread. The first error in item order, from `work`,
/// or the first from `next` or `done`, stops the pipeline and is returned.
/// `what` names the work in the error given if a worker panics.
pub(crate) fn ordered<S, I, O>(
    what: Msg,

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
    let limit = threads * DEPTH;
    let stopped = || {
        Error::io(
            what,
            io::Error::other(watermark_text::Said::new(Msg::FmWorkerStopped)),
        )
    };
    let work = &work;
    let (to_workers, queue) = sync_channel::<(usize, I)>(limit);
    let queue: &Mutex<Receiver<(usize, I)>> = &Mutex::new(queue);
    let (results_tx, results) = sync_channel::<(usize, Result<O>)>(limit);
    std::thread::scope(|scope| {
        for mut state in states {
            let results_tx = results_tx.clone();
            scope.spawn(move || loop {
                // The lock is held only while taking an item.
                let taken = match queue.lock() {
                    Ok(queue) => queue.recv(),
                    Err(_) => return,
                };
                let Ok((index, item)) = taken else { return };
                // A panic becomes this item's error, so that every item
                // taken gets a result and the calling thread never waits
                // for one that will not come.
                let result = catch_unwind(AssertUnwindSafe(|| work(&mut state, item)))
                    .unwrap_or_else(|_| Err(stopped()));
                let failed = result.is_err();
                if results_tx.send((index, result)).is_err() || failed {
                    return;
                }
            });
        }
        drop(results_tx);
        // Results that came back ahead of their turn: `pending[k]` is item
        // `delivered + k`'s.
        let mut pending: VecDeque<Option<Result<O>>> = VecDeque::with_capacity(limit);
        let (mut sent, mut delivered) = (0usize, 0usize);
        let mut exhausted = false;
        let result = (|| -> Result<()> {
            loop {
                while !exhausted && sent - delivered < limit {
                    match next()? {
                        Some(item) => {
                            // The queue holds `limit` items and at most that
                            // many are in flight: this never blocks.
                            to_workers.send((sent, item)).map_err(|_| stopped())?;
                            sent += 1;
                        }
                        None => exhausted = true,
                    }
                }
                if delivered == sent {
                    return Ok(());
                }
                // Every worker that stops has sent an error for the item it
                // took, and items are taken in order, so the items before
                // the first error all get results: this waits only for
                // results that will come, or fails if every worker is gone.
                let (index, out) = results.recv().map_err(|_| stopped())?;
                let k = index - delivered;
                if pending.len() <= k {
                    pending.resize_with(k + 1, || None);
                }
                pending[k] = Some(out);
                while let Some(Some(_)) = pending.front() {
                    let out = pending.pop_front().flatten().expect("just checked");
                    delivered += 1;
                    done(out?)?;
                }
            }
        })();
        // Closing the queue ends the workers, on success or error.
        drop(to_workers);
        result
    })
}

/// Runs `jobs` on up to `threads` threads (the calling thread one of
/// them), each taking the next job whenever it is free; returns when all
/// have run. A job's panic is raised again here once every thread is done.
pub(crate) fn run_jobs(threads: usize, jobs: Vec<watermark_core::Job<'_>>) {
    let threads = threads.min(jobs.len()).max(1);
    let queue = Mutex::new(jobs.into_iter());
    let next = || queue.lock().unwrap_or_else(|e| e.into_inner()).next();
    let work = || {
        while let Some(job) = next() {
            job();
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(work);
        }
        work();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_job_runs_once_whatever_the_threads() {
        for threads in 1..=4 {
            let runs: Vec<std::sync::atomic::AtomicUsize> = (0..50)
                .map(|_| std::sync::atomic::AtomicUsize::new(0))
                .collect();
            let jobs: Vec<watermark_core::Job<'_>> = runs
                .iter()
                .map(|r| -> watermark_core::Job<'_> {
                    Box::new(move || {
                        r.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    })
                })
                .collect();
            run_jobs(threads, jobs);
            assert!(runs
                .iter()
                .all(|r| r.load(std::sync::atomic::Ordering::Relaxed) == 1));
        }
    }

    #[test]
    fn results_come_back_in_order_whatever_the_threads() {
        for threads in 1..=4 {
            let mut items = 0..1000u64;
            let mut out = Vec::new();
            ordered(
                Msg::FmMarkingRows,
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
            Msg::FmMarkingRows,
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

    #[test]
    fn a_worker_panic_is_an_error_in_order_not_a_hang() {
        for threads in 2..=3 {
            let mut items = 0..1000u64;
            let mut seen = 0;
            let e = ordered(
                Msg::FmMarkingRows,
                vec![(); threads],
                |_, i: u64| {
                    assert!(i != 300, "a bug on item 300");
                    Ok(i)
                },
                || Ok(items.next()),
                |i| {
                    assert_eq!(i, seen);
                    seen += 1;
                    Ok(())
                },
            )
            .unwrap_err();
            assert!(e.to_string().contains("a worker thread stopped"), "{e}");
            assert_eq!(seen, 300);
        }
    }

    #[test]
    fn a_slow_worker_does_not_hold_the_others_up() {
        // One state is slow on every item; with a shared queue the fast one
        // takes most items, and the order is still kept.
        let mut items = 0..400u64;
        let mut out = Vec::new();
        let taken: Vec<std::sync::atomic::AtomicUsize> = (0..2)
            .map(|_| std::sync::atomic::AtomicUsize::new(0))
            .collect();
        ordered(
            Msg::FmMarkingRows,
            vec![0usize, 1],
            |&mut who, i: u64| {
                taken[who].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if who == 0 {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Ok(i)
            },
            || Ok(items.next()),
            |i| {
                out.push(i);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(out, (0..400).collect::<Vec<_>>());
        let slow = taken[0].load(std::sync::atomic::Ordering::Relaxed);
        assert!(slow < 100, "the slow worker took {slow} of 400 items");
    }
}
