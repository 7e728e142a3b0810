//! RFC 6962 / RFC 9162 Merkle tree hashing, inclusion and consistency proofs.
//!
//! Leaves are hashed as `SHA-256(0x00 || entry)` and interior nodes as
//! `SHA-256(0x01 || left || right)`; the tree over `n` leaves splits at the
//! largest power of two smaller than `n` (RFC 9162 section 2.1.1).
//!
//! The free functions ([`root`], [`inclusion_proof`], [`consistency_proof`])
//! work on a slice of leaf hashes and take time linear in its length; they are
//! reference implementations. [`Tree`] caches every complete subtree hash so
//! that roots and proofs for any tree size up to its current size cost
//! `O(log² n)` hash look-ups and `O(log n)` hash computations.
//!
//! The verifiers ([`verify_inclusion`], [`verify_consistency`]) follow the
//! algorithms of RFC 9162 sections 2.1.3.2 and 2.1.4.2, after checking that
//! the proof has exactly the length the sizes require.

use std::fmt;

use ring::digest::{Context, SHA256};

use super::error::{hex, ProofError, TlogError};

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// Size in bytes of a [`Hash`](type@Hash).
pub const HASH_SIZE: usize = 32;

/// Root of the empty tree: SHA-256 of the empty string.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

fn finish(ctx: Context) -> Hash {
    let mut out = [0u8; HASH_SIZE];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// Hash of a log entry: `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[0x00]);
    ctx.update(entry);
    finish(ctx)
}

/// Hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut ctx = Context::new(&SHA256);
    ctx.update(&[0x01]);
    ctx.update(left);
    ctx.update(right);
    finish(ctx)
}

/// Largest power of two strictly smaller than `n`; `n` must be at least 2.
fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (n - 1).ilog2()
}

/// Converts a `u64` already checked to be at most a slice length.
fn to_usize(x: u64) -> usize {
    usize::try_from(x).unwrap_or(usize::MAX)
}

/// Something that can compute `MTH(D[lo:hi])` for the ranges that occur in
/// the RFC 9162 recursion.
trait RangeHash {
    fn range_hash(&self, lo: u64, hi: u64) -> Hash;
}

/// Reference hashing straight from the leaf hashes.
struct Leaves<'a>(&'a [Hash]);

impl RangeHash for Leaves<'_> {
    fn range_hash(&self, lo: u64, hi: u64) -> Hash {
        match hi - lo {
            0 => EMPTY_ROOT,
            1 => self.0[to_usize(lo)],
            n => {
                let k = split_point(n);
                node_hash(&self.range_hash(lo, lo + k), &self.range_hash(lo + k, hi))
            }
        }
    }
}

/// RFC 9162 2.1.3.1 `PATH(index, D[0:size])`, for `index < size`.
fn path(h: &impl RangeHash, index: u64, size: u64) -> Vec<Hash> {
    let (mut lo, mut hi) = (0, size);
    let mut out = Vec::new();
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            out.push(h.range_hash(lo + k, hi));
            hi = lo + k;
        } else {
            out.push(h.range_hash(lo, lo + k));
            lo += k;
        }
    }
    out.reverse();
    out
}

/// RFC 9162 2.1.4.1 `PROOF(old, D[0:new])`; empty when `old` is 0 or `new`.
fn subproof(h: &impl RangeHash, old: u64, new: u64) -> Vec<Hash> {
    let mut out = Vec::new();
    if old == 0 || old == new {
        return out;
    }
    let (mut lo, mut hi) = (0, new);
    let mut whole_old_tree = true;
    loop {
        if old == hi {
            if !whole_old_tree {
                out.push(h.range_hash(lo, hi));
            }
            break;
        }
        let k = split_point(hi - lo);
        if old <= lo + k {
            out.push(h.range_hash(lo + k, hi));
            hi = lo + k;
        } else {
            out.push(h.range_hash(lo, lo + k));
            lo += k;
            whole_old_tree = false;
        }
    }
    out.reverse();
    out
}

/// Number of hashes in the inclusion proof of `index` in a tree of `size`
/// (`index < size`).
fn inclusion_proof_len(index: u64, size: u64) -> usize {
    debug_assert!(index < size);
    let inner = 64 - (index ^ (size - 1)).leading_zeros();
    let border = index.checked_shr(inner).unwrap_or(0).count_ones();
    (inner + border) as usize
}

/// Number of hashes in the consistency proof from `old_size` to `new_size`
/// (`old_size <= new_size`).
fn consistency_proof_len(old_size: u64, new_size: u64) -> usize {
    debug_assert!(old_size <= new_size);
    if old_size == 0 || old_size == new_size {
        return 0;
    }
    // The proof is the inclusion proof of the last complete subtree of the old
    // tree (at its own level) in the new tree, preceded by that subtree's hash
    // unless the old tree is itself complete.
    let level = old_size.trailing_zeros();
    let index = (old_size - 1) >> level;
    let size = ((new_size - 1) >> level) + 1;
    inclusion_proof_len(index, size) + usize::from(index != 0)
}

/// Root hash of the tree over `leaves` (RFC 9162 `MTH`); [`EMPTY_ROOT`] for
/// no leaves. Linear time: use [`Tree`] for repeated roots of a growing log.
pub fn root(leaves: &[Hash]) -> Hash {
    Leaves(leaves).range_hash(0, leaves.len() as u64)
}

/// Inclusion proof (RFC 9162 2.1.3.1 `PATH`) of leaf `index` in the tree over
/// all of `leaves`, listed from the leaf upwards.
///
/// Fails with [`TlogError::IndexOutOfRange`] if `index >= leaves.len()`.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, ProofError> {
    let tree_size = leaves.len() as u64;
    if index >= tree_size {
        return Err(TlogError::IndexOutOfRange { index, tree_size });
    }
    Ok(path(&Leaves(leaves), index, tree_size))
}

/// Consistency proof (RFC 9162 2.1.4.1 `PROOF`) from the tree over the first
/// `old_size` leaves to the tree over all of `leaves`.
///
/// The proof is empty when `old_size` is 0 or equals `leaves.len()`. Fails
/// with [`TlogError::TreeSizeOutOfRange`] if `old_size > leaves.len()`.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, ProofError> {
    let new_size = leaves.len() as u64;
    if old_size > new_size {
        return Err(TlogError::TreeSizeOutOfRange {
            requested: old_size,
            available: new_size,
        });
    }
    Ok(subproof(&Leaves(leaves), old_size, new_size))
}

/// Root implied by an inclusion proof (RFC 9162 2.1.3.2 steps 1–5 without the
/// final comparison), after checking the proof length.
fn root_from_inclusion_proof(
    leaf: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
) -> Result<Hash, ProofError> {
    if index >= tree_size {
        return Err(TlogError::IndexOutOfRange { index, tree_size });
    }
    let expected = inclusion_proof_len(index, tree_size);
    if proof.len() != expected {
        return Err(TlogError::InclusionProofLength {
            got: proof.len(),
            expected,
            index,
            tree_size,
        });
    }
    let (mut fnode, mut snode) = (index, tree_size - 1);
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            // Unreachable after the length check; kept as in RFC 9162.
            return Err(TlogError::InclusionProofLength {
                got: proof.len(),
                expected,
                index,
                tree_size,
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(TlogError::InclusionProofLength {
            got: proof.len(),
            expected,
            index,
            tree_size,
        });
    }
    Ok(r)
}

/// Verifies that `leaf` (a leaf *hash*, see [`leaf_hash`]) is at `index` in
/// the tree of `tree_size` leaves whose root is `root`, using the algorithm of
/// RFC 9162 section 2.1.3.2.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    tree_size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let computed = root_from_inclusion_proof(leaf, index, tree_size, proof)?;
    if &computed != root {
        return Err(TlogError::InclusionRootMismatch {
            index,
            tree_size,
            computed,
            expected: *root,
        });
    }
    Ok(())
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a
/// prefix of the tree of `new_size` leaves with root `new_root`, using the
/// algorithm of RFC 9162 section 2.1.4.2.
///
/// Degenerate cases: equal sizes require an empty proof and equal roots; an
/// old size of 0 requires an empty proof and `old_root == EMPTY_ROOT`.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if old_size > new_size {
        return Err(TlogError::ConsistencySizesReversed { old_size, new_size });
    }
    let expected = consistency_proof_len(old_size, new_size);
    if proof.len() != expected {
        return Err(TlogError::ConsistencyProofLength {
            got: proof.len(),
            expected,
            old_size,
            new_size,
        });
    }
    if old_size == new_size {
        if old_root != new_root {
            return Err(TlogError::SameSizeRootMismatch {
                size: old_size,
                old_root: *old_root,
                new_root: *new_root,
            });
        }
        return Ok(());
    }
    if old_size == 0 {
        if old_root != &EMPTY_ROOT {
            return Err(TlogError::ConsistencyOldRootMismatch {
                old_size,
                new_size,
                computed: EMPTY_ROOT,
                expected: *old_root,
            });
        }
        return Ok(());
    }

    // RFC 9162 2.1.4.2, step 2: a complete old tree is its own first node.
    let mut path = proof.iter();
    let first = if old_size.is_power_of_two() {
        old_root
    } else {
        match path.next() {
            Some(h) => h,
            None => unreachable!("proof length checked to be at least 1"),
        }
    };
    let (mut fnode, mut snode) = (old_size - 1, new_size - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in path {
        if snode == 0 {
            // Unreachable after the length check; kept as in RFC 9162.
            return Err(TlogError::ConsistencyProofLength {
                got: proof.len(),
                expected,
                old_size,
                new_size,
            });
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    if snode != 0 {
        return Err(TlogError::ConsistencyProofLength {
            got: proof.len(),
            expected,
            old_size,
            new_size,
        });
    }
    if &fr != old_root {
        return Err(TlogError::ConsistencyOldRootMismatch {
            old_size,
            new_size,
            computed: fr,
            expected: *old_root,
        });
    }
    if &sr != new_root {
        return Err(TlogError::ConsistencyNewRootMismatch {
            old_size,
            new_size,
            computed: sr,
            expected: *new_root,
        });
    }
    Ok(())
}

/// An append-only, in-memory Merkle tree that caches the hash of every
/// complete subtree.
///
/// Appending is amortised `O(1)` hash computations; the root, an inclusion
/// proof or a consistency proof for any size up to the current one takes
/// `O(log n)` hash computations. Memory is about two hashes (64 bytes) per
/// leaf.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Tree {
    /// `levels[k][i]` is the hash of the complete subtree of `2^k` leaves
    /// starting at leaf `i * 2^k`; `levels[0]` holds the leaf hashes.
    levels: Vec<Vec<Hash>>,
}

impl fmt::Debug for Tree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tree")
            .field("size", &self.size())
            .field("root", &hex(&self.root()))
            .finish()
    }
}

impl Tree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// A tree over the given leaf hashes, in order.
    pub fn from_leaf_hashes<I: IntoIterator<Item = Hash>>(leaf_hashes: I) -> Self {
        let mut tree = Self::new();
        for h in leaf_hashes {
            tree.push_leaf_hash(h);
        }
        tree
    }

    /// Appends a leaf given by its hash; returns its index.
    pub fn push_leaf_hash(&mut self, leaf: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        let index = self.levels[0].len() as u64;
        self.levels[0].push(leaf);
        let mut level = 0;
        while self.levels[level].len() & 1 == 0 {
            let nodes = &self.levels[level];
            let parent = node_hash(&nodes[nodes.len() - 2], &nodes[nodes.len() - 1]);
            if self.levels.len() == level + 1 {
                self.levels.push(Vec::new());
            }
            self.levels[level + 1].push(parent);
            level += 1;
        }
        index
    }

    /// Appends a log entry, hashing it with [`leaf_hash`]; returns its index.
    pub fn push_entry(&mut self, entry: &[u8]) -> u64 {
        self.push_leaf_hash(leaf_hash(entry))
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.leaf_hashes().len() as u64
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.leaf_hashes().is_empty()
    }

    /// All leaf hashes, in order.
    pub fn leaf_hashes(&self) -> &[Hash] {
        self.levels.first().map_or(&[], Vec::as_slice)
    }

    /// The hash of leaf `index`, if present.
    pub fn leaf(&self, index: u64) -> Option<&Hash> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.leaf_hashes().get(i))
    }

    /// Root of the whole tree.
    pub fn root(&self) -> Hash {
        self.range_hash(0, self.size())
    }

    fn check_size(&self, tree_size: u64) -> Result<(), ProofError> {
        if tree_size > self.size() {
            return Err(TlogError::TreeSizeOutOfRange {
                requested: tree_size,
                available: self.size(),
            });
        }
        Ok(())
    }

    /// Root of the tree over the first `tree_size` leaves.
    pub fn root_at(&self, tree_size: u64) -> Result<Hash, ProofError> {
        self.check_size(tree_size)?;
        Ok(self.range_hash(0, tree_size))
    }

    /// Inclusion proof of leaf `index` in the tree over the first `tree_size`
    /// leaves.
    pub fn inclusion_proof(&self, index: u64, tree_size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(tree_size)?;
        if index >= tree_size {
            return Err(TlogError::IndexOutOfRange { index, tree_size });
        }
        Ok(path(self, index, tree_size))
    }

    /// Consistency proof from the tree over the first `old_size` leaves to the
    /// tree over the first `new_size` leaves.
    pub fn consistency_proof(&self, old_size: u64, new_size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(new_size)?;
        if old_size > new_size {
            return Err(TlogError::ConsistencySizesReversed { old_size, new_size });
        }
        Ok(subproof(self, old_size, new_size))
    }
}

impl RangeHash for Tree {
    /// `MTH(D[lo:hi])` as the right fold of the complete subtrees that make up
    /// the range, largest first. Valid for the ranges of the RFC recursion,
    /// whose start is a multiple of the largest power of two not above their
    /// length.
    fn range_hash(&self, lo: u64, hi: u64) -> Hash {
        if lo == hi {
            return EMPTY_ROOT;
        }
        let mut acc: Option<Hash> = None;
        // Walk the decomposition from its smallest (right-most) subtree up.
        let mut end = hi;
        while end > lo {
            let len = end - lo;
            let level = len.trailing_zeros();
            let start = end - (1 << level);
            debug_assert_eq!(start % (1 << level), 0);
            let node = self.levels[level as usize][to_usize(start >> level)];
            acc = Some(match acc {
                None => node,
                Some(right) => node_hash(&node, &right),
            });
            end = start;
        }
        acc.unwrap_or(EMPTY_ROOT)
    }
}

#[cfg(test)]
mod tests;
