"""Near-duplicate detection as pure functions: normalise, fingerprint, similarity, which copy is the
original. The store side (candidate queries, joins, regrouping) is crawler/store/groups.py and
regroup.py.

Why one simhash per sentence unit rather than one per document: measured on real Chinese texts
(see bench/dedup_eval.py and issue 8), a single whole-document simhash cannot separate a trimmed,
re-edited or tail-padded mirror from a different story at any threshold, because every edit moves
the one fingerprint. With a fingerprint per sentence unit, an edit only touches the units it
changes; two articles are copies when most of the shorter one's text is covered by units of the
other. Candidates are found through one index key per unit, since copies share many units
outright; units are then compared at a small Hamming distance.
"""
