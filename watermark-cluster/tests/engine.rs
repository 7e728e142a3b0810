//! The toolkit's operators in a DataFusion session of this process: the
//! issuance scan gives each file's copies as issuing the file directly
//! does, and the tally aggregate gives the attribution one pass over the
//! rows gives, however the engine partitions and merges it.

use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::AsArray;
use datafusion::logical_expr::{col, ident};
use datafusion::prelude::{SessionConfig, SessionContext};
use watermark_core::{MasterKey, Policy, Tally};
use watermark_formats::split::{
    issue_part, DetectorSpec, IssueOrder, OrderRecipient, PartDone, SpecRecipient, SplitExtract,
};
use watermark_formats::{csv_to_parquet, ConvertOptions};
use watermark_synth::Kind;

use watermark_cluster::{IssueTable, LeakTable, TallyFunction, ROW_COLUMN};

const ROWS: usize = 6_000;

/// A roll split into `files` Parquet files under `root/lake`, and its
/// suggested policy.
fn lake(root: &Path, files: usize) -> (SplitExtract, Policy) {
    let mut csv = Vec::new();
    watermark_synth::write_csv(Kind::ElectoralRoll, 3, ROWS, &mut csv).unwrap();
    let text = String::from_utf8(csv).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    let body: Vec<&str> = lines.collect();
    let dir = root.join("lake");
    fs::create_dir_all(&dir).unwrap();
    for (i, chunk) in body.chunks(ROWS.div_ceil(files)).enumerate() {
        let mut part = format!("{header}\n");
        for l in chunk {
            part.push_str(l);
            part.push('\n');
        }
        let out = File::create(dir.join(format!("part-{i}.parquet"))).unwrap();
        csv_to_parquet(part.as_bytes(), out, ConvertOptions::default()).unwrap();
    }
    let policy = watermark_formats::suggest_from_csv(text.as_bytes(), 5_000, None, None)
        .unwrap()
        .policy;
    (SplitExtract::open(&dir).unwrap(), policy)
}

fn order(key: &MasterKey, policy: &Policy, split: &SplitExtract, out: &Path) -> IssueOrder {
    let mut order = IssueOrder {
        key_id: key.id().to_hex(),
        policy: policy.to_toml(),
        recipients: ["PAN", "PRI"]
            .iter()
            .enumerate()
            .map(|(slot, id)| OrderRecipient {
                id: id.to_string(),
                slot: slot as u32,
                out_dir: out.join(id),
            })
            .collect(),
        canaries: None,
        files: split.files().to_vec(),
        authorization: String::new(),
    };
    order.authorize(key);
    order
}

fn session(partitions: usize) -> SessionContext {
    SessionContext::new_with_config(SessionConfig::new().with_target_partitions(partitions))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_issuance_scan_marks_each_file_once_as_issuing_it_directly_does() {
    let tmp = tempfile::tempdir().unwrap();
    let (split, policy) = lake(tmp.path(), 5);
    let key = Arc::new(MasterKey::from_bytes([9; 32]));
    let order = order(&key, &policy, &split, &tmp.path().join("engine"));
    // As SQL: the issuance is a table, scanning it issues.
    let ctx = session(4);
    ctx.register_table(
        "issuance",
        Arc::new(IssueTable::new(order.clone(), Some(Arc::clone(&key)))),
    )
    .unwrap();
    let batches = ctx
        .sql("SELECT * FROM issuance")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut done: Vec<PartDone> = batches
        .iter()
        .flat_map(|b| {
            let json = b.column(1).as_string::<i32>().clone();
            (0..b.num_rows())
                .map(move |k| serde_json::from_str(json.value(k)).unwrap())
                .collect::<Vec<PartDone>>()
        })
        .collect();
    done.sort_by_key(|p| p.index);
    assert_eq!(done.len(), 5, "one result per file");
    let direct_order = order_at(&order, &tmp.path().join("direct"), &key);
    let embedder = direct_order.embedder(&key).unwrap();
    for (i, part) in done.iter().enumerate() {
        assert_eq!(part.index, i);
        let direct = issue_part(&embedder, &direct_order, i, 2).unwrap();
        assert_eq!(part.copies, direct.copies, "file {i}");
        assert_eq!(part.input, direct.input);
    }
}

fn order_at(order: &IssueOrder, out: &Path, key: &MasterKey) -> IssueOrder {
    let mut o = order.clone();
    for r in &mut o.recipients {
        r.out_dir = out.join(&r.id);
    }
    o.authorize(key);
    o
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_or_spec_not_authorised_under_the_key_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (split, policy) = lake(tmp.path(), 2);
    let key = Arc::new(MasterKey::from_bytes([9; 32]));
    let other = MasterKey::from_bytes([10; 32]);
    let good = order(&key, &policy, &split, &tmp.path().join("out"));
    assert!(good.embedder(&key).is_ok());
    // Whoever reaches the cluster without the key: a copy for slot 1 under
    // PAN's name, an order with no tag, one tagged under another key.
    let mut moved = good.clone();
    moved.recipients[0].slot = 1;
    let mut untagged = good.clone();
    untagged.authorization.clear();
    let mut forged = good.clone();
    forged.authorize(&other);
    forged.key_id = key.id().to_hex();
    for (what, bad) in [("moved", moved), ("untagged", untagged), ("forged", forged)] {
        let refused = bad.embedder(&key).unwrap_err();
        assert!(
            refused.to_string().contains("not authorised"),
            "{what}: {refused}"
        );
        // Through the engine: the scan fails and marks nothing.
        let result = session(2)
            .read_table(Arc::new(IssueTable::new(bad, Some(Arc::clone(&key)))))
            .unwrap()
            .collect()
            .await;
        assert!(result.is_err(), "{what} was issued");
    }
    assert!(!tmp.path().join("out").join("PAN").exists());
    // A spec, likewise.
    let mut spec = DetectorSpec {
        key_id: key.id().to_hex(),
        policy: policy.to_toml(),
        recipients: vec![SpecRecipient {
            id: "PAN".into(),
            slot: 0,
        }],
        canaries: Vec::new(),
        comparisons: 1,
        threshold: None,
        authorization: String::new(),
    };
    assert!(spec.detector(&key).is_err());
    spec.authorize(&key);
    assert!(spec.detector(&key).is_ok());
    spec.comparisons = 2;
    assert!(spec.detector(&key).is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tally_aggregate_gives_one_passs_attribution_however_it_is_split() {
    let tmp = tempfile::tempdir().unwrap();
    let (split, policy) = lake(tmp.path(), 6);
    let key = Arc::new(MasterKey::from_bytes([9; 32]));
    // PRI's copy leaks, whole.
    let order = order(&key, &policy, &split, &tmp.path().join("copies"));
    let embedder = order.embedder(&key).unwrap();
    for i in 0..order.files.len() {
        issue_part(&embedder, &order, i, 1).unwrap();
    }
    let leak = SplitExtract::open(&tmp.path().join("copies").join("PRI")).unwrap();
    let mut spec = DetectorSpec {
        key_id: key.id().to_hex(),
        policy: policy.to_toml(),
        recipients: vec![
            SpecRecipient {
                id: "PAN".into(),
                slot: 0,
            },
            SpecRecipient {
                id: "PRI".into(),
                slot: 1,
            },
        ],
        canaries: Vec::new(),
        comparisons: 2,
        threshold: None,
        authorization: String::new(),
    };
    spec.authorize(&key);
    let detector = spec.detector(&key).unwrap();
    let one_pass =
        watermark_core::verify_rows(&detector, leak.row_source().unwrap(), &mut |_| {}).unwrap();
    assert_eq!(one_pass.accused.len(), 1);
    assert_eq!(one_pass.accused[0].recipient, "PRI");

    // As SQL, with the function registered.
    let ctx = session(3);
    ctx.register_table("leak", Arc::new(LeakTable::new(&leak).unwrap()))
        .unwrap();
    ctx.register_udaf(TallyFunction::new(spec.clone(), Some(Arc::clone(&key))).udaf());
    let columns: Vec<String> = leak.header().iter().map(|c| format!("\"{c}\"")).collect();
    let batches = ctx
        .sql(&format!(
            "SELECT watermark_tally(__row, {}) FROM leak",
            columns.join(", ")
        ))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let json = batches[0].column(0).as_string::<i32>().value(0).to_owned();
    let tally: Tally = serde_json::from_str(&json).unwrap();
    assert_eq!(detector.finish(tally).unwrap(), one_pass, "SQL");

    for partitions in [1, 3, 8] {
        let mut args = vec![col(ROW_COLUMN)];
        args.extend(leak.header().iter().map(ident));
        let batches = session(partitions)
            .read_table(Arc::new(LeakTable::new(&leak).unwrap()))
            .unwrap()
            .aggregate(
                vec![],
                vec![TallyFunction::new(spec.clone(), Some(Arc::clone(&key)))
                    .udaf()
                    .call(args)],
            )
            .unwrap()
            .collect()
            .await
            .unwrap();
        let json = batches[0].column(0).as_string::<i32>().value(0).to_owned();
        let tally: Tally = serde_json::from_str(&json).unwrap();
        let found = detector.finish(tally).unwrap();
        assert_eq!(found, one_pass, "{partitions} partitions");
    }
}
