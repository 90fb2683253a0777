"""The pair under review (`vertapp.xray.pair`): table rows are the core's values, a hand
correction re-fuses only where it changed (equal to fusing from scratch) and is undone
exactly, the export writes its files under neutral names."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from tests.unit.xray.zoi_pairs import pair, zoi_sets
from vertapp.jobs import run_job
from vertapp.xray.alignment_file import alignment_record
from vertapp.xray.fuse import fuse, to_display
from vertapp.xray.pair import PairInputs, PairState, export_job, nudged, pair_job
from vertapp.xray.pair_display import mix, mix_region
from vertapp.xray.similarity import Similarity


@pytest.fixture(scope="module")
def state() -> PairState:
    p = pair(0, "T12", "L5", torsion="L2")
    low, high = zoi_sets(p)
    return run_job(pair_job(PairInputs(p.low.array, p.high.array, low, high, (0.5, 0.5))))


def test_rows_are_the_core_values_in_px_and_mm(state: PairState) -> None:
    record = alignment_record(state.alignment)["vertebrae"]
    rows = state.rows()
    assert [r.level for r in rows] == [v["level"] for v in record]
    for row, v in zip(rows, record, strict=True):
        assert row.dx_px == pytest.approx(v["tx_px"], abs=1e-3)
        assert row.dy_mm == pytest.approx(v["ty_px"] * 0.5, abs=1e-3)
        assert row.rotation_deg == pytest.approx(v["rotation_deg"], abs=1e-3)
        assert row.status == v["status"]
    assert {r.level for r in rows if r.torsion} == {"L2"}
    assert next(r for r in rows if r.level == "L2").flagged


def test_fused_image_is_the_core_fuse(state: PairState) -> None:
    inp = state.inputs
    scratch = fuse(inp.low, inp.high, state.alignment, inp.high_zois)
    np.testing.assert_array_equal(state.fused, scratch)


def test_correction_refuses_locally_like_from_scratch_and_undoes(state: PairState) -> None:
    before = state.fused.copy()
    old = state.record("L1")
    sim = state.similarity("L1")
    moved = Similarity(
        sim.angle_deg + 2.0, sim.scale * 1.02, (sim.shift[0] + 4, sim.shift[1]), sim.center
    )
    state.set_similarity("L1", moved)
    inp = state.inputs
    scratch = fuse(inp.low, inp.high, state.alignment, inp.high_zois)
    # neighbours' grey fits are left as they were (fuse_layers): <= 0.2 % of the range
    np.testing.assert_allclose(state.fused, scratch, atol=2e-3 * np.ptp(scratch))
    changed = np.argwhere(np.abs(state.fused - before) > 1e-6)
    x, y, w, h = inp.high_zois["L1"].bbox
    assert changed.size and changed[:, 0].min() > y - 40 and changed[:, 0].max() < y + h + 40
    row = next(r for r in state.rows() if r.level == "L1")
    assert row.corrected and row.dx_px == pytest.approx(sim.shift[0] + 4)
    others = {r.level: r for r in state.rows() if r.level != "L1"}
    state.restore("L1", old, False)
    np.testing.assert_allclose(state.fused, before, atol=1e-4)
    assert {r.level: r for r in state.rows() if r.level != "L1"} == others
    assert not next(r for r in state.rows() if r.level == "L1").corrected


def test_export_writes_fused_alignment_and_zois(state: PairState, tmp_path: Path) -> None:
    run_job(export_job(state, tmp_path))
    tif = cv2.imread(str(tmp_path / "fused.tif"), cv2.IMREAD_UNCHANGED)
    assert tif.dtype == np.uint16 and tif.shape == state.fused.shape
    assert json.loads((tmp_path / "alignment.json").read_text()) == json.loads(
        json.dumps(alignment_record(state.alignment))
    )
    index = json.loads((tmp_path / "zois_high" / "zois.json").read_text())
    assert {z["level"] for z in index["zois"]} == set(state.inputs.high_zois)
    assert not list(tmp_path.rglob("*.tmp*"))


def test_an_export_that_fails_part_way_leaves_the_previous_one_whole(
    state: PairState, tmp_path: Path, monkeypatch
) -> None:
    """Disk full while writing the ZOIs: the earlier export's fused image and alignment
    stay as they were (not a new fused.png beside an old alignment.json), in words."""
    from vertapp.errors import InputError
    from vertapp.xray import pair as pair_module

    run_job(export_job(state, tmp_path))
    before = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    state.set_similarity("T12", nudged(state.similarity("T12"), -3.0, 2.0, 1.0, 1.01))

    def full(*_a, **_k):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pair_module, "write_zois", full)
    with pytest.raises(InputError, match="No space left"):
        run_job(export_job(state, tmp_path))
    after = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before  # nothing new, nothing staged left behind
    monkeypatch.undo()
    run_job(export_job(state, tmp_path))  # the next one replaces the set, ZOI folders too
    assert (tmp_path / "alignment.json").read_bytes() != before[Path("alignment.json")]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["alignment.json", "check.png", "fused.png", "fused.tif", "zois_high", "zois_low"]
    )


def test_exporting_into_a_file_says_so_in_words(state: PairState, tmp_path: Path) -> None:
    from vertapp.errors import InputError

    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(InputError, match="cannot export into taken"):
        run_job(export_job(state, tmp_path / "taken"))


def test_export_after_a_correction_is_the_core_fuse_of_it(state: PairState, tmp_path: Path) -> None:
    sim = state.similarity("T12")
    state.set_similarity("T12", nudged(sim, -3.0, 2.0, 1.0, 1.01))
    run_job(export_job(state, tmp_path))
    inp = state.inputs
    scratch = fuse(inp.low, inp.high, state.alignment, inp.high_zois)
    written = cv2.imread(str(tmp_path / "fused.tif"), cv2.IMREAD_UNCHANGED)
    np.testing.assert_array_equal(written, to_display(scratch, inp.low, 16))
    record = json.loads((tmp_path / "alignment.json").read_text())
    t12 = next(v for v in record["vertebrae"] if v["level"] == "T12")
    assert t12["tx_px"] == pytest.approx(sim.shift[0] - 3.0, abs=1e-3)


def test_check_image_region_update_matches_a_full_mix() -> None:
    rng = np.random.default_rng(0)
    low8, fused8 = (rng.integers(0, 256, (90, 70), dtype=np.uint8) for _ in range(2))
    for weight, tile in ((0.3, 0), (1.0, 8)):
        out = mix(low8, fused8, 0.9, tile)  # an old weight outside the region
        mix_region(out, low8, fused8, weight, tile, (13, 21, 47, 66))
        np.testing.assert_array_equal(
            out[21:66, 13:47], mix(low8, fused8, weight, tile)[21:66, 13:47]
        )
    board = mix(np.zeros_like(low8), np.full_like(fused8, 255), 0.5, 8)
    assert board[0, 0] == 0 and board[0, 8] == 255 and board[8, 8] == 0


def test_pair_files_refuse_missing_inputs_in_words(tmp_path: Path) -> None:
    from vertapp.errors import InputError
    from vertapp.xray.pair_files import PairPaths, load_job

    image = tmp_path / "a.png"
    cv2.imwrite(str(image), np.zeros((20, 10), np.uint16))
    with pytest.raises(InputError, match="choose the high-dose image"):
        run_job(load_job(PairPaths(image, Path())))
    with pytest.raises(InputError, match="a ZOI file .* or a radiograph model"):
        run_job(load_job(PairPaths(image, image)))


def test_films_of_different_pixel_spacing_are_said_to_differ() -> None:
    from vertapp.xray.pair_files import spacing_notes

    assert spacing_notes((0.5, 0.5), (0.5, 0.502)) == []  # within 1 %
    assert spacing_notes((0.5, 0.5), None) == [] and spacing_notes(None, (0.2, 0.2)) == []
    [note] = spacing_notes((0.5, 0.5), (0.2, 0.2))
    assert "low-dose 0.5 x 0.5 mm" in note and "high-dose 0.2 x 0.2 mm" in note


def test_the_frame_is_the_high_dose_zoi_box_mapped_by_its_matrix(state: PairState) -> None:
    """`landing` is what the pair view frames on the low-dose and fused views: the ZOI's box
    turned and scaled with the vertebra, not the padded region a nudge redraws (`box`)."""
    from vertapp.xray.similarity import apply_matrix

    x, y, w, h = state.inputs.high_zois["L1"].bbox
    corners = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], float)
    np.testing.assert_array_equal(state.zoi_corners("L1"), corners)
    expected = apply_matrix(state.record("L1").matrix, corners)
    np.testing.assert_allclose(state.landing("L1"), expected)
    x0, y0, x1, y1 = state.box("L1")
    assert x0 < expected[:, 0].min() and expected[:, 0].max() < x1  # inside the padded box
    assert y0 < expected[:, 1].min() and expected[:, 1].max() < y1


@pytest.mark.parametrize("grow", [0.0, -1.0, float("nan")])
def test_a_correction_that_would_shrink_a_vertebra_to_nothing_is_refused(grow: float) -> None:
    """The step's last value is a factor (1 = same): 0 collapsed the vertebra to a point, its
    frame a ~20 px square of feather padding that framed nothing."""
    sim = Similarity(2.0, 0.98, (4.0, -2.0), (150.0, 150.0))
    with pytest.raises(ValueError, match="factor"):
        nudged(sim, 2.0, 0.0, 0.0, grow)
