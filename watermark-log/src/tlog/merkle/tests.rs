//! Known-answer and property tests for the Merkle tree module.
//!
//! Known answers are the RFC 6962 test vectors used by Certificate
//! Transparency and transparency-dev:
//! - leaf inputs, complete-subtree hashes and roots:
//!   github.com/transparency-dev/merkle, `testonly/constants.go`;
//! - inclusion and consistency proofs: github.com/transparency-dev/merkle,
//!   `proof/verify_test.go` (`inclusionProofs`, `consistencyProofs`; its leaf
//!   numbers are 1-based, ours are 0-based indices).

use proptest::prelude::*;

use super::*;

fn h(s: &str) -> Hash {
    assert_eq!(s.len(), 64, "bad hex length");
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("bad hex");
    }
    out
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("bad hex"))
        .collect()
}

const LEAF_INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

const LEAF_HASHES: [&str; 8] = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
    "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
    "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
    "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
    "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
];

const LEVEL1: [&str; 4] = [
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
];

const LEVEL2: [&str; 2] = [
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
];

/// Roots indexed by tree size, 0 to 8.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (0-based index, tree size, proof).
const INCLUSION: [(u64, u64, &[&str]); 5] = [
    (0, 1, &[]),
    (
        0,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
];

/// (old size, new size, proof).
const CONSISTENCY: [(u64, u64, &[&str]); 5] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn vector_leaves() -> Vec<Hash> {
    LEAF_INPUTS.iter().map(|s| leaf_hash(&unhex(s))).collect()
}

fn hashes(list: &[&str]) -> Vec<Hash> {
    list.iter().map(|s| h(s)).collect()
}

#[test]
fn tlog_empty_root_is_sha256_of_nothing() {
    let digest = ring::digest::digest(&SHA256, b"");
    assert_eq!(digest.as_ref(), EMPTY_ROOT);
    assert_eq!(root(&[]), EMPTY_ROOT);
    assert_eq!(Tree::new().root(), EMPTY_ROOT);
    assert_eq!(h(ROOTS[0]), EMPTY_ROOT);
}

#[test]
fn tlog_rfc6962_leaf_and_node_hashes() {
    let leaves = vector_leaves();
    assert_eq!(leaves, hashes(&LEAF_HASHES));
    for (i, want) in LEVEL1.iter().enumerate() {
        assert_eq!(node_hash(&leaves[2 * i], &leaves[2 * i + 1]), h(want));
    }
    for (i, want) in LEVEL2.iter().enumerate() {
        assert_eq!(node_hash(&h(LEVEL1[2 * i]), &h(LEVEL1[2 * i + 1])), h(want));
    }
    assert_eq!(node_hash(&h(LEVEL2[0]), &h(LEVEL2[1])), h(ROOTS[8]));
}

#[test]
fn tlog_rfc6962_roots() {
    let leaves = vector_leaves();
    let mut tree = Tree::new();
    for (size, want) in ROOTS.iter().enumerate() {
        assert_eq!(
            root(&leaves[..size]),
            h(want),
            "reference root, size {size}"
        );
        assert_eq!(tree.root(), h(want), "incremental root, size {size}");
        if size < leaves.len() {
            assert_eq!(tree.push_entry(&unhex(LEAF_INPUTS[size])), size as u64);
        }
    }
    for (size, want) in ROOTS.iter().enumerate() {
        assert_eq!(tree.root_at(size as u64).unwrap(), h(want));
    }
    assert_eq!(
        tree.root_at(9),
        Err(TlogError::TreeSizeOutOfRange {
            requested: 9,
            available: 8
        })
    );
}

#[test]
fn tlog_rfc6962_inclusion_proofs() {
    let leaves = vector_leaves();
    let tree = Tree::from_leaf_hashes(leaves.iter().copied());
    for (index, size, proof) in INCLUSION {
        let want = hashes(proof);
        let n = size as usize;
        assert_eq!(inclusion_proof(&leaves[..n], index).unwrap(), want);
        assert_eq!(tree.inclusion_proof(index, size).unwrap(), want);
        let root = h(ROOTS[n]);
        verify_inclusion(&leaves[index as usize], index, size, &want, &root).unwrap();
        assert_inclusion_corruptions_fail(&leaves[index as usize], index, size, &want, &root);
    }
}

#[test]
fn tlog_rfc6962_consistency_proofs() {
    let leaves = vector_leaves();
    let tree = Tree::from_leaf_hashes(leaves.iter().copied());
    for (old, new, proof) in CONSISTENCY {
        let want = hashes(proof);
        assert_eq!(
            consistency_proof(&leaves[..new as usize], old).unwrap(),
            want
        );
        assert_eq!(tree.consistency_proof(old, new).unwrap(), want);
        let (r1, r2) = (h(ROOTS[old as usize]), h(ROOTS[new as usize]));
        verify_consistency(old, new, &r1, &r2, &want).unwrap();
        if !want.is_empty() {
            assert_consistency_corruptions_fail(old, new, &r1, &r2, &want);
        }
    }
}

/// Mutations in the spirit of transparency-dev's `corruptInclusionProof`.
fn assert_inclusion_corruptions_fail(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) {
    let other = h("abacaba000000000000000000000000000000000000000000060061e00123456");
    let mut probes: Vec<(u64, u64, Hash, Vec<Hash>, Hash, String)> = vec![
        (
            index.wrapping_sub(1),
            size,
            *leaf,
            proof.to_vec(),
            *root,
            "index - 1".into(),
        ),
        (
            index + 1,
            size,
            *leaf,
            proof.to_vec(),
            *root,
            "index + 1".into(),
        ),
        (
            index ^ 2,
            size,
            *leaf,
            proof.to_vec(),
            *root,
            "index ^ 2".into(),
        ),
        (
            index,
            size * 2,
            *leaf,
            proof.to_vec(),
            *root,
            "size * 2".into(),
        ),
        (
            index,
            size / 2,
            *leaf,
            proof.to_vec(),
            *root,
            "size / 2".into(),
        ),
        (
            index,
            size,
            other,
            proof.to_vec(),
            *root,
            "wrong leaf".into(),
        ),
        (
            index,
            size,
            *leaf,
            proof.to_vec(),
            EMPTY_ROOT,
            "empty root".into(),
        ),
        (
            index,
            size,
            *leaf,
            proof.to_vec(),
            other,
            "other root".into(),
        ),
        (
            index,
            size,
            *leaf,
            [proof, &[*root]].concat(),
            *root,
            "trailing root".into(),
        ),
        (
            index,
            size,
            *leaf,
            [&[*root], proof].concat(),
            *root,
            "preceding root".into(),
        ),
    ];
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 8;
        probes.push((index, size, *leaf, p, *root, format!("proof[{i}] bit 3")));
    }
    if !proof.is_empty() {
        let p = proof[..proof.len() - 1].to_vec();
        probes.push((index, size, *leaf, p, *root, "removed component".into()));
    }
    for (i, s, l, p, r, desc) in probes {
        assert!(
            verify_inclusion(&l, i, s, &p, &r).is_err(),
            "corrupted inclusion proof verified: {desc} (index {index}, size {size})"
        );
    }
}

/// Mutations in the spirit of transparency-dev's `corruptConsistencyProof`.
fn assert_consistency_corruptions_fail(old: u64, new: u64, r1: &Hash, r2: &Hash, proof: &[Hash]) {
    let wrong = h("abacaba000000000000000000000000000000000000000000060061e00123456");
    let mut probes: Vec<(u64, u64, Hash, Hash, Vec<Hash>, String)> = vec![
        (old - 1, new, *r1, *r2, proof.to_vec(), "old - 1".into()),
        (old + 1, new, *r1, *r2, proof.to_vec(), "old + 1".into()),
        (old ^ 2, new, *r1, *r2, proof.to_vec(), "old ^ 2".into()),
        (old, new * 2, *r1, *r2, proof.to_vec(), "new * 2".into()),
        (old, new / 2, *r1, *r2, proof.to_vec(), "new / 2".into()),
        (
            old,
            new,
            wrong,
            *r2,
            proof.to_vec(),
            "wrong old root".into(),
        ),
        (
            old,
            new,
            *r1,
            wrong,
            proof.to_vec(),
            "wrong new root".into(),
        ),
        (old, new, *r2, *r1, proof.to_vec(), "swapped roots".into()),
        (old, new, *r1, *r2, Vec::new(), "empty proof".into()),
        (
            old,
            new,
            *r1,
            *r2,
            [proof, &[*r1]].concat(),
            "trailing old root".into(),
        ),
        (
            old,
            new,
            *r1,
            *r2,
            [proof, &[*r2]].concat(),
            "trailing new root".into(),
        ),
        (
            old,
            new,
            *r1,
            *r2,
            [&[*r1], proof].concat(),
            "preceding old root".into(),
        ),
        (
            old,
            new,
            *r1,
            *r2,
            [&[*r2], proof].concat(),
            "preceding new root".into(),
        ),
        (
            old,
            new,
            *r1,
            *r2,
            [&[proof[0]], proof].concat(),
            "preceding proof[0]".into(),
        ),
        (
            old,
            new,
            *r1,
            *r2,
            proof[..proof.len() - 1].to_vec(),
            "truncated".into(),
        ),
    ];
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 16;
        probes.push((old, new, *r1, *r2, p, format!("proof[{i}] bit 4")));
    }
    for (o, n, a, b, p, desc) in probes {
        assert!(
            verify_consistency(o, n, &a, &b, &p).is_err(),
            "corrupted consistency proof verified: {desc} ({old} -> {new})"
        );
    }
}

#[test]
fn tlog_degenerate_consistency_cases() {
    let some = h("abacaba000000000000000000000000000000000000000000060061e00123456");
    // Equal sizes: empty proof, equal roots.
    verify_consistency(3, 3, &some, &some, &[]).unwrap();
    assert!(matches!(
        verify_consistency(3, 3, &some, &EMPTY_ROOT, &[]),
        Err(TlogError::SameSizeRootMismatch { size: 3, .. })
    ));
    assert!(matches!(
        verify_consistency(3, 3, &some, &some, &[some]),
        Err(TlogError::ConsistencyProofLength {
            got: 1,
            expected: 0,
            ..
        })
    ));
    // From the empty tree: empty proof, and the old root must be the empty root.
    verify_consistency(0, 5, &EMPTY_ROOT, &some, &[]).unwrap();
    verify_consistency(0, 0, &EMPTY_ROOT, &EMPTY_ROOT, &[]).unwrap();
    assert!(verify_consistency(0, 5, &some, &some, &[]).is_err());
    assert!(verify_consistency(0, 5, &EMPTY_ROOT, &some, &[EMPTY_ROOT]).is_err());
    // Time travel.
    assert_eq!(
        verify_consistency(2, 1, &some, &some, &[]),
        Err(TlogError::ConsistencySizesReversed {
            old_size: 2,
            new_size: 1
        })
    );
    // A real step needs a non-empty proof.
    assert!(verify_consistency(1, 2, &some, &some, &[]).is_err());
}

#[test]
fn tlog_degenerate_inclusion_cases() {
    let leaf = leaf_hash(b"data");
    // A one-leaf tree's root is its leaf hash and the proof is empty.
    verify_inclusion(&leaf, 0, 1, &[], &leaf).unwrap();
    assert!(verify_inclusion(&leaf, 0, 1, &[], &EMPTY_ROOT).is_err());
    for (index, size) in [(0, 0), (1, 0), (1, 1), (2, 1)] {
        assert_eq!(
            verify_inclusion(&leaf, index, size, &[], &leaf),
            Err(TlogError::IndexOutOfRange {
                index,
                tree_size: size
            })
        );
    }
    assert!(inclusion_proof(&[], 0).is_err());
    assert!(consistency_proof(&[leaf], 2).is_err());
    let tree = Tree::from_leaf_hashes([leaf]);
    assert!(tree.inclusion_proof(1, 1).is_err());
    assert!(tree.inclusion_proof(0, 2).is_err());
    assert!(tree.consistency_proof(1, 2).is_err());
    assert!(tree.consistency_proof(2, 1).is_err());
}

#[test]
fn tlog_error_messages_are_precise() {
    let leaves = vector_leaves();
    let proof = inclusion_proof(&leaves, 5).unwrap();
    let err = verify_inclusion(&leaves[5], 5, 8, &proof[..2], &h(ROOTS[8])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "inclusion proof has 2 hashes, expected 3 for index 5 in a tree of 8"
    );
    let err = verify_inclusion(&leaves[5], 5, 8, &proof, &h(ROOTS[7])).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "inclusion proof for index 5 in a tree of 8 yields root {}, expected {}",
            ROOTS[8], ROOTS[7]
        )
    );
    let err = verify_consistency(6, 8, &h(ROOTS[6]), &h(ROOTS[8]), &[]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "consistency proof has 0 hashes, expected 3 from tree size 6 to 8"
    );
    let proof = consistency_proof(&leaves, 6).unwrap();
    let err = verify_consistency(6, 8, &h(ROOTS[5]), &h(ROOTS[8]), &proof).unwrap_err();
    assert!(
        matches!(err, TlogError::ConsistencyOldRootMismatch { .. }),
        "{err}"
    );
    let err = verify_consistency(6, 8, &h(ROOTS[6]), &h(ROOTS[7]), &proof).unwrap_err();
    assert!(
        matches!(err, TlogError::ConsistencyNewRootMismatch { .. }),
        "{err}"
    );
}

#[test]
fn tlog_tree_matches_reference_exhaustively_for_small_sizes() {
    let leaves: Vec<Hash> = (0u32..70).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let tree = Tree::from_leaf_hashes(leaves.iter().copied());
    assert_eq!(tree.size(), 70);
    assert_eq!(tree.leaf_hashes(), &leaves[..]);
    assert_eq!(tree.leaf(69), Some(&leaves[69]));
    assert_eq!(tree.leaf(70), None);
    for n in 0..=leaves.len() {
        let size = n as u64;
        let r = root(&leaves[..n]);
        assert_eq!(tree.root_at(size).unwrap(), r);
        for i in 0..size {
            let p = inclusion_proof(&leaves[..n], i).unwrap();
            assert_eq!(tree.inclusion_proof(i, size).unwrap(), p);
            assert_eq!(p.len(), inclusion_proof_len(i, size));
            verify_inclusion(&leaves[i as usize], i, size, &p, &r).unwrap();
        }
        for m in 0..=size {
            let p = consistency_proof(&leaves[..n], m).unwrap();
            assert_eq!(tree.consistency_proof(m, size).unwrap(), p);
            assert_eq!(p.len(), consistency_proof_len(m, size), "{m} -> {size}");
            verify_consistency(m, size, &root(&leaves[..m as usize]), &r, &p).unwrap();
        }
    }
}

#[test]
fn tlog_tree_large_incremental_roots() {
    // 2^17 + 3 leaves: every append updates the root in O(log n).
    let n: u32 = (1 << 17) + 3;
    let mut tree = Tree::new();
    let mut leaves = Vec::with_capacity(n as usize);
    for i in 0..n {
        let l = leaf_hash(&i.to_le_bytes());
        leaves.push(l);
        tree.push_leaf_hash(l);
        // The root is cheap enough to take after every append.
        let _ = tree.root();
    }
    assert_eq!(tree.root(), root(&leaves));
    for size in [1u64, 2, 3, 1 << 16, (1 << 16) + 1, 99_999, u64::from(n)] {
        let r = tree.root_at(size).unwrap();
        let i = size / 3;
        let p = tree.inclusion_proof(i, size).unwrap();
        verify_inclusion(&leaves[i as usize], i, size, &p, &r).unwrap();
        let old = size / 2 + 1;
        let old = old.min(size);
        let c = tree.consistency_proof(old, size).unwrap();
        verify_consistency(old, size, &tree.root_at(old).unwrap(), &r, &c).unwrap();
    }
}

fn tree_of(n: u64) -> (Vec<Hash>, Tree) {
    let leaves: Vec<Hash> = (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let tree = Tree::from_leaf_hashes(leaves.iter().copied());
    (leaves, tree)
}

fn flip(mut hash: Hash, bit: usize) -> Hash {
    hash[bit / 8] ^= 1 << (bit % 8);
    hash
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn tlog_prop_inclusion_proofs_verify(size in 1u64..3000, seed in any::<u64>()) {
        let (leaves, tree) = tree_of(size);
        let index = seed % size;
        let r = tree.root();
        let p = tree.inclusion_proof(index, size).unwrap();
        prop_assert_eq!(&p, &inclusion_proof(&leaves, index).unwrap());
        prop_assert!(verify_inclusion(&leaves[index as usize], index, size, &p, &r).is_ok());
    }

    #[test]
    fn tlog_prop_consistency_proofs_verify(new in 1u64..3000, seed in any::<u64>()) {
        let (leaves, tree) = tree_of(new);
        let old = seed % (new + 1);
        let p = tree.consistency_proof(old, new).unwrap();
        prop_assert_eq!(&p, &consistency_proof(&leaves, old).unwrap());
        let (r1, r2) = (tree.root_at(old).unwrap(), tree.root());
        prop_assert!(verify_consistency(old, new, &r1, &r2, &p).is_ok());
    }

    #[test]
    fn tlog_prop_inclusion_bit_flips_fail(
        size in 1u64..1500,
        seed in any::<u64>(),
        target in any::<prop::sample::Index>(),
        bit in 0usize..256,
    ) {
        let (leaves, tree) = tree_of(size);
        let index = seed % size;
        let r = tree.root();
        let p = tree.inclusion_proof(index, size).unwrap();
        let leaf = leaves[index as usize];
        // Flip one bit of the root, the leaf, or one proof element.
        let which = target.index(p.len() + 2);
        if which == p.len() {
            prop_assert!(verify_inclusion(&leaf, index, size, &p, &flip(r, bit)).is_err());
        } else if which == p.len() + 1 {
            prop_assert!(verify_inclusion(&flip(leaf, bit), index, size, &p, &r).is_err());
        } else {
            let mut bad = p.clone();
            bad[which] = flip(bad[which], bit);
            prop_assert!(verify_inclusion(&leaf, index, size, &bad, &r).is_err());
        }
    }

    #[test]
    fn tlog_prop_consistency_bit_flips_fail(
        new in 2u64..1500,
        seed in any::<u64>(),
        target in any::<prop::sample::Index>(),
        bit in 0usize..256,
    ) {
        let (_, tree) = tree_of(new);
        let old = 1 + seed % (new - 1); // 0 < old < new: a non-trivial proof
        let p = tree.consistency_proof(old, new).unwrap();
        let (r1, r2) = (tree.root_at(old).unwrap(), tree.root());
        let which = target.index(p.len() + 2);
        if which == p.len() {
            prop_assert!(verify_consistency(old, new, &flip(r1, bit), &r2, &p).is_err());
        } else if which == p.len() + 1 {
            prop_assert!(verify_consistency(old, new, &r1, &flip(r2, bit), &p).is_err());
        } else {
            let mut bad = p.clone();
            bad[which] = flip(bad[which], bit);
            prop_assert!(verify_consistency(old, new, &r1, &r2, &bad).is_err());
        }
    }

    #[test]
    fn tlog_prop_wrong_index_or_size_fails(new in 2u64..800, seed in any::<u64>(), delta in 1u64..5) {
        // A proof binds the leaf position; doubling the claimed size always
        // changes the required proof length. (Other size changes can keep the
        // same shape: the root, not the proof, is what binds the tree size.)
        let (leaves, tree) = tree_of(new);
        let index = seed % new;
        let r = tree.root();
        let p = tree.inclusion_proof(index, new).unwrap();
        let leaf = leaves[index as usize];
        prop_assert!(verify_inclusion(&leaf, index, new * 2, &p, &r).is_err());
        let other = (index + 1 + delta % (new - 1)) % new;
        prop_assert!(verify_inclusion(&leaf, other, new, &p, &r).is_err());
        let old = 1 + seed % (new - 1);
        let c = tree.consistency_proof(old, new).unwrap();
        let r1 = tree.root_at(old).unwrap();
        prop_assert!(verify_consistency(old, new * 2, &r1, &r, &c).is_err());
    }
}
