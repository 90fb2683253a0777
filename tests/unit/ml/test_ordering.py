"""Top-to-bottom label re-assignment (dynamic programming) and duplicate suppression."""

from __future__ import annotations

import itertools

import numpy as np

from vertapp.ml.ordering import increasing_labels, reorder_labels, suppress_duplicates
from vertapp.ml.predict import finish


def test_dp_matches_brute_force():
    rng = np.random.default_rng(3)
    for _ in range(30):
        n, k = int(rng.integers(1, 5)), int(rng.integers(4, 7))
        lp = np.log(rng.dirichlet(np.ones(k), size=n))
        best = max(
            itertools.combinations(range(k), n),
            key=lambda c: sum(lp[i, j] for i, j in enumerate(c)),
        )
        got = increasing_labels(lp)
        assert list(got - 1) == list(best)
        assert np.all(np.diff(got) > 0)


def _raw(rows: list[int], labels: list[int], probs: np.ndarray, scores=None) -> dict:
    masks = np.zeros((len(rows), 140, 40), bool)
    for i, r in enumerate(rows):  # a body and a process slanting down behind it, 30 rows:
        masks[i, r : r + 14, 10:30] = True  # 20-row gaps are ~0.67 of a height, as on a MIP
        masks[i, r + 8 : r + 30, 30:38] = True
    k = probs.shape[1]
    full = np.concatenate([np.zeros((len(rows), 1)), probs], axis=1)  # background column
    return {
        "masks": masks,
        "labels": np.array(labels),
        "scores": np.array(scores or [0.95] * len(rows), np.float32),
        "class_probs": full.astype(np.float32),
        "k": k,
    }


def test_swapped_neighbours_are_put_back_in_order_and_flagged():
    k = 17
    probs = np.full((4, k), 0.01)
    probs[0, 0] = 0.9  # T1
    probs[1, 2], probs[1, 1] = 0.55, 0.40  # says T3, could be T2
    probs[2, 1], probs[2, 2] = 0.50, 0.45  # says T2, could be T3
    probs[3, 3] = 0.9  # T4
    raw = _raw([10, 30, 50, 70], [1, 3, 2, 4], probs)
    pred = finish(raw, 0.5, order=True)
    assert list(pred.labels) == [1, 2, 3, 4]
    assert list(pred.order_changed) == [False, True, True, False]
    assert list(pred.original_labels) == [1, 3, 2, 4]
    unordered = finish(raw, 0.5, order=False)
    assert list(unordered.labels) == [1, 3, 2, 4]


def test_repeated_label_becomes_one_instance_per_label():
    probs = np.full((3, 17), 0.01)
    probs[:, 4] = 0.8  # all three say T5
    probs[0, 3] = probs[2, 5] = 0.15
    pred = finish(_raw([10, 30, 50], [5, 5, 5], probs), 0.5, order=True)
    assert list(pred.labels) == [4, 5, 6]
    assert len(set(pred.labels)) == 3


def test_duplicate_masks_of_one_vertebra_are_merged_and_low_scores_dropped():
    probs = np.full((3, 17), 0.01)
    probs[:, 0] = 0.9
    raw = _raw([10, 11, 60], [1, 1, 2], probs, scores=[0.97, 0.93, 0.4])
    pred = finish(raw, 0.9, order=True)
    assert len(pred) == 1 and pred.scores[0] == np.float32(0.97)


def test_a_missed_vertebra_leaves_a_gap_instead_of_shifting_the_ones_below():
    """T3 missed: the two below it lean towards T3/T4 (the net tends to count on from its
    neighbour), but the spacing says two levels lie between T2 and the next one found. The
    chain numbers them T4 and T5; the first rule (labels only increasing) gave T3, T4."""
    probs = np.full((4, 17), 0.01)
    probs[0, 0] = probs[1, 1] = 0.9
    probs[2, 2], probs[2, 3] = 0.5, 0.3  # says T3, is T4
    probs[3, 3], probs[3, 4] = 0.5, 0.3  # says T4, is T5
    pred = finish(_raw([10, 30, 70, 90], [1, 2, 3, 4], probs), 0.5, order=True)
    assert list(pred.labels) == [1, 2, 4, 5]
    assert list(pred.order_changed) == [False, False, True, True]
    log_p = np.log(probs / probs.sum(axis=1, keepdims=True))
    assert list(increasing_labels(log_p)) == [1, 2, 3, 4]


def test_more_instances_than_labels_keeps_the_best_scores():
    rows = np.arange(5, dtype=float)
    probs = np.full((5, 3), 1 / 3)
    kept, labels = reorder_labels(rows, probs, np.array([0.9, 0.2, 0.8, 0.95, 0.7]))
    assert list(kept) == [0, 2, 3]
    assert list(labels) == [1, 2, 3]


def test_the_hip_landmark_anchors_l5_where_the_classes_lean_one_level_up():
    """L1-L4 found, L5 missed: a head trained on crops that all end at L5 calls the lowest
    body L5 and counts up from it. The hip bones' top (preprocess.landmarks) lies by L5's
    centre, 20 rows (one spacing) below L4: the chain moves back to L1-L4."""
    probs = np.full((4, 17), 0.01)
    for i, says in enumerate(range(13, 17)):  # is L1..L4 (12..15), says L2..L5
        probs[i, says], probs[i, says - 1] = 0.6, 0.3
    raw = _raw([10, 30, 50, 70], [14, 15, 16, 17], probs)
    assert list(finish(raw, 0.5, order=True).labels) == [14, 15, 16, 17]
    anchored = finish(raw, 0.5, order=True, hip_top_row=90 + 15 + 4)  # L5's centre, +4 rows
    assert list(anchored.labels) == [13, 14, 15, 16]
    assert list(anchored.order_changed) == [True] * 4


def test_pieces_inside_kept_vertebrae_are_dropped_whatever_their_iou():
    body = np.zeros((4, 60, 20), bool)
    body[0, 0:25, :] = True  # a vertebra
    body[1, 5:10, 5:15] = True  # a piece of it: IoU 0.1, all inside
    body[2, 22:40, :] = True  # the next vertebra, overlapping the first by 3 rows (1/6)
    body[3, 20:28, 8:12] = True  # a piece over the disc between them, half in each
    keep = suppress_duplicates(body, np.array([0.9, 0.8, 0.85, 0.7]))
    assert list(keep) == [0, 2]
    # without the rule, plain IoU keeps both pieces
    assert list(suppress_duplicates(body, np.array([0.9, 0.8, 0.85, 0.7]), inside=1.0)) == [
        0,
        1,
        2,
        3,
    ]


def test_confident_pieces_between_vertebrae_do_not_make_the_chain_skip_levels():
    """Five vertebrae found with their classes' lean one level off, and a confident piece
    (a half-vertebra, score 0.6) inside each: the pieces halved the spacing the chain read,
    so each vertebra was taken for two levels below the last (T1, T3, T5 ...)."""
    rows = [10, 30, 50, 70, 90]
    probs = np.full((10, 17), 0.01)
    for i in range(5):
        probs[i, i] = 0.6
        probs[5 + i, i] = 0.3
    raw = _raw(rows, list(range(1, 6)), probs[:5])
    pieces = np.zeros((5, 140, 40), bool)
    for i, r in enumerate(rows):
        pieces[i, r + 2 : r + 9, 12:28] = True  # inside the vertebra's body
    raw["masks"] = np.concatenate([raw["masks"], pieces])
    raw["labels"] = np.concatenate([raw["labels"], np.arange(1, 6)])
    raw["scores"] = np.concatenate([raw["scores"], np.full(5, 0.6, np.float32)])
    full = np.concatenate([np.zeros((10, 1)), probs], axis=1).astype(np.float32)
    raw["class_probs"] = full
    pred = finish(raw, 0.5, order=True)
    assert list(pred.labels) == [1, 2, 3, 4, 5]
    assert pred.masks.sum(axis=(1, 2)).min() > 7 * 16  # vertebrae, not pieces
