//! A token bucket per investigator: `per_minute` requests a minute, in
//! bursts of up to `per_minute`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
struct Bucket {
    available: f64,
    last: Instant,
}

/// Rate limits for a fixed number of investigators.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<Vec<Bucket>>,
}

impl RateLimiter {
    /// `per_minute` = 0 means no limit.
    pub fn new(investigators: usize, per_minute: u32) -> RateLimiter {
        let now = Instant::now();
        RateLimiter {
            per_minute,
            buckets: Mutex::new(vec![
                Bucket {
                    available: f64::from(per_minute),
                    last: now,
                };
                investigators
            ]),
        }
    }

    /// Takes one request from investigator `i`'s bucket, or says how long
    /// until one is available.
    pub fn check(&self, i: usize) -> Result<(), Duration> {
        self.check_at(i, Instant::now())
    }

    fn check_at(&self, i: usize, now: Instant) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_sec = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let Some(b) = buckets.get_mut(i) else {
            return Ok(());
        };
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.available = (b.available + elapsed * per_sec).min(capacity);
        b.last = now;
        if b.available >= 1.0 {
            b.available -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.available) / per_sec))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_refills_at_the_rate() {
        let r = RateLimiter::new(2, 60);
        let t0 = Instant::now();
        for _ in 0..60 {
            r.check_at(0, t0).unwrap();
        }
        let wait = r.check_at(0, t0).unwrap_err();
        assert!(wait <= Duration::from_secs(1) && wait > Duration::from_millis(900));
        // The other investigator is not affected.
        r.check_at(1, t0).unwrap();
        // A second later, one more.
        r.check_at(0, t0 + Duration::from_secs(1)).unwrap();
        assert!(r.check_at(0, t0 + Duration::from_secs(1)).is_err());
        assert!(RateLimiter::new(1, 0).check(0).is_ok());
    }
}
