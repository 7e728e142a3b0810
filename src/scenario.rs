//! Issue copies of an extract in memory and attribute leaks of them.

use rand::seq::index;
use rand::Rng;
use watermark_core::{
    Attribution, CanaryList, Detector, Embedder, ExtraRows, MasterKey, MasterMatch, Policy,
    Recipient,
};
use watermark_formats::{
    issue_csv, make_canaries, suggest_from_csv, verify_csv, verify_csv_with_master,
};
use watermark_synth::Kind;

use crate::table::Table;

/// An extract, a key, a policy, and one marked copy per recipient.
#[derive(Debug)]
pub struct Scenario {
    /// The master key (fixed bytes from the seed: this is a test harness).
    pub key: MasterKey,
    /// The policy the copies were made with.
    pub policy: Policy,
    /// Recipients, slot `i` for recipient `i`.
    pub recipients: Vec<Recipient>,
    /// The unmarked extract as CSV.
    pub master_csv: Vec<u8>,
    /// The header shared by the extract and every copy.
    pub header: Vec<String>,
    /// The canaries, when the policy asks for them.
    pub canaries: Option<CanaryList>,
    master_rows: usize,
    /// Each recipient's copy, parsed.
    copies: Vec<Vec<csv::StringRecord>>,
    /// Per copy, the index in the copy of each row of the extract (copies
    /// hold the extract's rows in order, with canary rows between them).
    real: Vec<Vec<u32>>,
    master_table: std::sync::OnceLock<Table>,
    detector: Detector,
}

impl Scenario {
    /// The policy's carrier columns, in its order.
    pub fn carrier_columns(&self) -> Vec<&str> {
        self.policy
            .carriers
            .iter()
            .map(|c| c.column.as_str())
            .collect()
    }

    /// Marks `master_csv` for `n` recipients named `r00`, `r01`, ..., with
    /// canaries if the policy has a `[canaries]` section.
    pub fn new(master_csv: Vec<u8>, policy: Policy, n: usize, seed: u64) -> Scenario {
        let mut key_bytes = [0u8; 32];
        key_bytes[..8].copy_from_slice(&seed.to_le_bytes());
        key_bytes[31] = 0xA5;
        let key = MasterKey::from_bytes(key_bytes);
        let recipients: Vec<Recipient> = (0..n)
            .map(|i| Recipient::new(format!("r{i:02}"), i as u32).expect("valid id"))
            .collect();
        let canaries = policy.canaries.as_ref().map(|_| {
            let digest = blake3::hash(&master_csv).to_hex().to_string();
            make_canaries(
                &key,
                &policy,
                &digest,
                || Ok(&master_csv[..]),
                &mut |_, _| {},
            )
            .expect("canaries can be made")
        });
        let mut embedder = Embedder::builder()
            .key(&key)
            .policy(&policy)
            .recipients(recipients.clone());
        if let Some(list) = &canaries {
            embedder = embedder.canaries(list.clone());
        }
        let embedder = embedder.build().expect("valid embedder");
        let outputs = vec![Vec::new(); n];
        let issued = issue_csv(&embedder, &master_csv[..], outputs, &mut |_| {}).expect("issue");
        let copies: Vec<Vec<csv::StringRecord>> = issued
            .outputs
            .iter()
            .map(|bytes| {
                csv::Reader::from_reader(&bytes[..])
                    .records()
                    .map(|r| r.expect("valid copy"))
                    .collect()
            })
            .collect();
        drop(issued);
        let header: Vec<String> = csv::Reader::from_reader(&master_csv[..])
            .headers()
            .expect("header")
            .iter()
            .map(str::to_string)
            .collect();
        let detector = Detector::builder()
            .key(&key)
            .policy(&policy)
            .recipients(recipients.clone())
            .canaries(canaries.iter())
            .build()
            .expect("valid detector");
        let master: Vec<csv::StringRecord> = csv::Reader::from_reader(&master_csv[..])
            .records()
            .map(|r| r.expect("valid extract"))
            .collect();
        let master_rows = master.len();
        let id: Vec<usize> = policy
            .identity
            .iter()
            .map(|c| header.iter().position(|h| h == c).expect("identity column"))
            .collect();
        let real = copies.iter().map(|c| real_rows(&master, c, &id)).collect();
        drop(master);
        Scenario {
            key,
            policy,
            recipients,
            master_csv,
            header,
            master_rows,
            canaries,
            copies,
            real,
            master_table: std::sync::OnceLock::new(),
            detector,
        }
    }

    /// A synthetic extract of `kind` with `rows` rows, marked for `n`
    /// recipients under the policy `watermark policy suggest --no-canaries`
    /// infers (with the given identity columns, if any).
    pub fn synthetic(
        kind: Kind,
        rows: usize,
        n: usize,
        seed: u64,
        identity: Option<&[String]>,
    ) -> Scenario {
        Scenario::suggested(kind, rows, n, seed, identity, None)
    }

    /// A synthetic extract of `kind` with `rows` rows, marked for `n`
    /// recipients under the policy `watermark policy suggest` infers with
    /// the given identity columns, if any, and canaries at `canary_rate`
    /// (`Some(DEFAULT_CANARY_RATE)` is what the command proposes).
    pub fn suggested(
        kind: Kind,
        rows: usize,
        n: usize,
        seed: u64,
        identity: Option<&[String]>,
        canary_rate: Option<f64>,
    ) -> Scenario {
        let mut master = Vec::new();
        watermark_synth::write_csv(kind, seed, rows, &mut master).expect("in-memory write");
        let policy = suggest_from_csv(&master[..], 10_000, identity, canary_rate)
            .expect("a policy can be inferred")
            .policy;
        Scenario::new(master, policy, n, seed)
    }

    /// Rows in the extract. Copies made without canaries have the same rows
    /// in the same order, so row `i` of one is row `i` of every other; with
    /// canaries, [`Scenario::extract_rows`] finds row `i` in each copy.
    pub fn rows(&self) -> usize {
        self.master_rows
    }

    /// Rows in recipient `r`'s copy (the extract's, and its canaries).
    pub fn copy_len(&self, r: usize) -> usize {
        self.copies[r].len()
    }

    /// Recipient `r`'s whole copy.
    pub fn copy(&self, r: usize) -> Table {
        self.copy_rows(r, &(0..self.copy_len(r)).collect::<Vec<_>>())
    }

    /// The given rows of recipient `r`'s copy, in the given order.
    pub fn copy_rows(&self, r: usize, rows: &[usize]) -> Table {
        Table {
            header: self.header.clone(),
            rows: rows
                .iter()
                .map(|&i| self.copies[r][i].iter().map(str::to_string).collect())
                .collect(),
        }
    }

    /// Rows `rows` of the extract (not counting canaries) as they stand in
    /// recipient `r`'s copy, in the given order: the same people in every
    /// copy, as a coalition lines its copies up.
    pub fn extract_rows(&self, r: usize, rows: &[usize]) -> Table {
        let at: Vec<usize> = rows.iter().map(|&i| self.real[r][i] as usize).collect();
        self.copy_rows(r, &at)
    }

    /// The unmarked extract, parsed (once).
    pub fn master(&self) -> &Table {
        self.master_table
            .get_or_init(|| Table::from_csv(&self.master_csv))
    }

    /// `n` random rows of recipient `r`'s copy, in random order.
    pub fn leak(&self, r: usize, n: usize, rng: &mut impl Rng) -> Table {
        let picked = index::sample(rng, self.copy_len(r), n.min(self.copy_len(r))).into_vec();
        self.copy_rows(r, &picked)
    }

    /// `n` random rows of the unmarked extract.
    pub fn unmarked(&self, n: usize, rng: &mut impl Rng) -> Table {
        crate::attack::sample(self.master(), n, rng)
    }

    /// Attributes a leaked CSV.
    pub fn verify(&self, leak_csv: &[u8]) -> Attribution {
        verify_csv(&self.detector, leak_csv, &mut |_| {}).expect("the leak is readable")
    }

    /// Attributes a leaked table.
    pub fn verify_table(&self, leak: &Table) -> Attribution {
        self.verify(&leak.to_csv())
    }

    /// Attributes a leaked CSV as `watermark verify --master` does: rows of
    /// a leak without the identity columns are matched to the unmarked
    /// extract and its canary rows (a leak with them is read as
    /// [`Scenario::verify`] reads it).
    pub fn verify_with_master(&self, leak_csv: &[u8]) -> (Attribution, MasterMatch) {
        let extra: Vec<ExtraRows> = self
            .canaries
            .iter()
            .map(|l| ExtraRows {
                header: l.header().to_vec(),
                rows: l.rows().map(<[String]>::to_vec).collect(),
            })
            .collect();
        verify_csv_with_master(
            &self.detector,
            leak_csv,
            &self.master_csv[..],
            &extra,
            &mut |_| {},
        )
        .expect("the leak and the extract are readable")
    }

    /// The ids of the accused.
    pub fn accused(a: &Attribution) -> Vec<&str> {
        a.accused.iter().map(|r| r.recipient.as_str()).collect()
    }
}

/// For each row of `master`, its index in `copy`: the copy holds the
/// extract's rows in order, and canary rows between them. Rows are told
/// apart by the identity columns `id`, which marking never changes and no
/// canary shares with a real row.
fn real_rows(master: &[csv::StringRecord], copy: &[csv::StringRecord], id: &[usize]) -> Vec<u32> {
    let mut out = Vec::with_capacity(master.len());
    let mut c = 0;
    for m in master {
        while c < copy.len() && !id.iter().all(|&i| m.get(i) == copy[c].get(i)) {
            c += 1;
        }
        assert!(c < copy.len(), "every row of the extract is in each copy");
        out.push(c as u32);
        c += 1;
    }
    out
}
