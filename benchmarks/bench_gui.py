"""GUI responsiveness (offscreen): slice scrolling, vertex drags, a 1500-image project.

    .venv/bin/python benchmarks/bench_gui.py [--quick] [--screenshots DIR]

Each row times what the user waits for, with a baseline measured in the same run:
- new 512x512 axial slice + canal overlay, repainted   vs  bare ImageItem.setImage + repaint
- one vertex-drag mouse event, 17 polygons x 200 vertices, repainted
                                                        vs  the same mouse event over the bare image
- big project (1500 images x 17 polygons x 200 vertices): open / step to the next image / save
  / export COCO and VIA                                 vs  json.loads / json.dumps of project.json
  Open and save run in worker threads: their rows time how long the user waits for the
  result, how long the GUI thread itself was busy, and the longest gap between two ticks
  of a 10 ms QTimer meanwhile (what a frozen window would show as seconds).
- 3D labels on the axial slice after an edit (issue 15): GUI-thread time per update
  vs a new axial slice; edit -> labels on screen (child process, incremental) vs the same
  from scratch; longest stall vs the idle loop
- X-ray pair view on ~2600 x 1260 px (bench_gui_xray.py): blend slider step, nudge of a
  vertebra                                    vs  bare ImageItem.setImage + repaint
- live loss plot after a long training run (6 curves x 10^5 iterations): one timer redraw
  with the new points, repainted              vs  the same curves fed from Python lists
                                                  (the naive list -> setData, all points drawn)
Target: slice and drag <= 16 ms (60 frames per second); no event-loop stall over 100 ms;
the loss-plot redraw under 50 ms at any training length (the #7 stall budget).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import cast

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtCore import QEventLoop, QPoint, QPointF, Qt  # noqa: E402
from PySide6.QtGui import QMouseEvent  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

import vertapp.gui  # noqa: E402, F401  (before any Qt object: see its PySide6 guard)

LEFT = Qt.MouseButton.LeftButton


def _ms(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `fn` in milliseconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


# ------------------------------------------------------------------ data
def synthetic_volume(n: int, nz: int):  # type: ignore[no-untyped-def]
    from vertapp.io.volume import Volume

    rng = np.random.default_rng(0)
    arr = rng.normal(40, 30, (nz, n, n)).astype(np.int16)
    return Volume(arr, spacing=(0.7, 0.7, 1.0))


def canal_circles(volume, per_slice: int = 3):  # type: ignore[no-untyped-def]
    from vertapp.gui.views.axial_view import CanalCircle

    nz = volume.shape[0]
    out = []
    for k in range(nz):
        z = float(volume.index_to_lps((k, 0, 0))[2])
        for c in range(per_slice):
            out.append(CanalCircle(z, 150.0 + 40 * c, 180.0, 8.0, c, c == 1))
    return out


def polygon(cx: float, cy: float, r: float, n: int) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([cx + r * np.cos(t), cy + 0.6 * r * np.sin(t)])


# ------------------------------------------------------------------ slice scrolling
def bench_slice(app: QApplication, n: int, nz: int, repeat: int) -> tuple[float, float]:
    from vertapp.gui.views.axial_view import AxialView

    vol = synthetic_volume(n, nz)
    view = AxialView()
    view.resize(800, 800)
    view.show()
    view.set_volume(vol)
    view.set_canal(canal_circles(vol), 1)
    app.processEvents()
    vp = view.canvas.view.viewport()
    k = iter(range(10**9))

    def ours() -> None:
        view.set_slice(next(k) % nz)
        vp.repaint()

    bare_view = pg.GraphicsView()
    bare_view.resize(800, 800)
    box = pg.ViewBox(lockAspect=True, invertY=True)
    bare_view.setCentralItem(box)
    item = pg.ImageItem(axisOrder="row-major")
    box.addItem(item)
    item.setImage(vol.array[0], levels=(-500, 1300))
    bare_view.show()
    app.processEvents()
    box.autoRange(padding=0.02)  # the same framing as ours: the whole slice in view
    app.processEvents()
    bare_vp = bare_view.viewport()

    def bare() -> None:
        item.setImage(vol.array[next(k) % nz], levels=(-500, 1300))
        bare_vp.repaint()

    ours()
    bare()
    return _ms(ours, repeat), _ms(bare, repeat)


# ------------------------------------------------------------------ live loss plot
LOSS_TERMS = (
    "total",
    "loss_classifier",
    "loss_box_reg",
    "loss_mask",
    "loss_objectness",
    "loss_rpn_box_reg",
)


def bench_loss_plot(app: QApplication, iterations: int, repeat: int) -> tuple[float, float]:
    """One redraw of the training curves after `iterations` iterations (+ one new point)."""
    from vertapp.gui.model.loss_plot import LossPlot

    rng = np.random.default_rng(0)
    values = np.exp(-np.arange(iterations) / iterations)[:, None] * rng.uniform(
        0.5, 1.5, (iterations, len(LOSS_TERMS))
    )
    plot = LossPlot()
    plot._timer.stop()
    plot.resize(900, 300)
    plot.show()
    for it in range(iterations):
        plot.add_progress(
            {"iteration": it + 1, "losses": dict(zip(LOSS_TERMS, values[it], strict=True))}
        )
    plot.redraw()
    app.processEvents()
    vp = plot.loss_plot.viewport()
    k = iter(range(iterations + 1, 10**9))

    def ours() -> None:
        plot.add_progress(
            {"iteration": next(k), "losses": dict(zip(LOSS_TERMS, values[-1], strict=True))}
        )
        plot.redraw()
        vp.repaint()

    bare = pg.PlotWidget()
    bare.setLogMode(x=False, y=True)
    bare.resize(900 * 3 // 5, 300)
    bare.show()
    xs: list[float] = list(range(1, iterations + 1))
    ys = {name: values[:, j].tolist() for j, name in enumerate(LOSS_TERMS)}
    curves = {name: bare.plot([], [], name=name) for name in LOSS_TERMS}
    app.processEvents()
    bare_vp = bare.viewport()

    def naive() -> None:
        xs.append(float(next(k)))
        for name in LOSS_TERMS:
            ys[name].append(float(values[-1, 0]))
            curves[name].setData(xs, ys[name])
        bare_vp.repaint()

    ours()
    naive()
    app.processEvents()  # let both views range to their data before timing
    return _ms(ours, repeat), _ms(naive, max(3, repeat // 10))


# ------------------------------------------------------------------ vertex drag
def _send(widget, kind, pos: QPoint, button, buttons) -> None:  # type: ignore[no-untyped-def]
    ev = QMouseEvent(
        kind,
        QPointF(pos),
        QPointF(widget.mapToGlobal(pos)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, ev)


def bench_drag(
    app: QApplication, n_polys: int, n_vertices: int, repeat: int
) -> tuple[float, float]:
    from vertapp.gui.views.annotation_view import AnnotationView
    from vertapp.gui.views.polygon_layer import Shape
    from vertapp.labels import VERTEBRAE

    view = AnnotationView()
    view.resize(900, 900)
    view.show()
    h, w = 520, 220
    view.set_image((np.random.default_rng(1).random((h, w)) * 255).astype(np.uint8))
    shapes = {
        i + 1: Shape([polygon(110, 15 + 29 * i, 45, n_vertices)], VERTEBRAE[i % 17])
        for i in range(n_polys)
    }
    view.set_shapes(shapes)
    app.processEvents()
    canvas = view.canvas
    vp = canvas.view.viewport()
    view.tool.select(9)
    vx, vy = shapes[9].polygons[0][0]
    start = canvas.map_to_widget(vx, vy).toPoint()
    _send(vp, QMouseEvent.Type.MouseButtonPress, start, LEFT, LEFT)
    step = iter(range(10**9))

    def move() -> None:
        i = next(step)
        p = QPoint(start.x() + 12 + (i % 20), start.y() + (i % 7))
        _send(vp, QMouseEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, LEFT)
        vp.repaint()

    move()
    ours = _ms(move, repeat)
    _send(vp, QMouseEvent.Type.MouseButtonRelease, start, LEFT, Qt.MouseButton.NoButton)
    assert view.tool._drag is None
    # baseline: the same mouse move and repaint over the bare image (no polygons, no drag)
    view.set_shapes({})
    app.processEvents()

    def bare() -> None:
        i = next(step)
        p = QPoint(start.x() + 12 + (i % 20), start.y() + (i % 7))
        _send(vp, QMouseEvent.Type.MouseMove, p, Qt.MouseButton.NoButton, Qt.MouseButton.NoButton)
        vp.repaint()

    bare()
    return ours, _ms(bare, repeat)


# ------------------------------------------------------------------ big project
def make_big_project(folder: Path, n_images: int, n_polys: int, n_vertices: int) -> None:
    from PIL import Image

    from vertapp.annotations import store
    from vertapp.annotations.model import ImageRecord, Instance
    from vertapp.labels import VERTEBRAE

    project = store.new_project(folder)
    h, w = 400, 160
    pixels = (np.add.outer(np.arange(h), np.arange(w)) % 256).astype(np.uint8)
    for i in range(n_images):
        name = f"images/mip_{i:05d}.png"
        Image.fromarray(np.roll(pixels, i, axis=0)).save(folder / name, compress_level=1)
        rec = ImageRecord(id=i + 1, file_name=name, width=w, height=h)
        for j in range(n_polys):
            poly = polygon(80, 12 + 22 * j, 30, n_vertices)
            rec.instances.append(
                Instance(id=project.new_instance_id(), label=VERTEBRAE[j % 17], polygons=[poly])
            )
        project.add_image(rec)
    store.save_project(project, folder)


class Ticks:
    """A 10 ms QTimer: the longest gap between its ticks is the longest event-loop stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.times: list[float] = []
        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(lambda: self.times.append(time.perf_counter()))

    def __enter__(self) -> Ticks:
        self.times = [time.perf_counter()]
        self.timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.timer.stop()
        self.times.append(time.perf_counter())

    @property
    def max_gap_ms(self) -> float:
        return float(np.diff(self.times).max() * 1000)


def _wait(app: QApplication, done: Callable[[], bool]) -> None:
    while not done():
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 5)
        time.sleep(0.001)


def idle_gap_ms(app: QApplication, ms: float) -> float:
    """The longest tick gap of the same timer with nothing running: the machine's noise."""
    with Ticks() as ticks:
        end = time.perf_counter() + ms / 1000
        _wait(app, lambda: time.perf_counter() > end)
    return ticks.max_gap_ms


def _json_dump_ms(path: Path, out: Path) -> float:
    data = json.loads(path.read_bytes())
    return _ms(lambda: out.write_text(json.dumps(data)), 3)


def bench_project(
    app: QApplication, n_images: int, n_polys: int, n_vertices: int, tmp: Path
) -> list[tuple[str, float, float]]:
    from vertapp.annotations import coco
    from vertapp.gui.window.main_window import MainWindow

    folder = tmp / "big"
    make_big_project(folder, n_images, n_polys, n_vertices)
    path = folder / "project.json"
    # Baselines first: their 10 M parsed floats must not be alive while ours run.
    t_json_load = _ms(lambda: json.loads(path.read_bytes()), 3)
    t_dump = _json_dump_ms(path, tmp / "plain.json")
    win = MainWindow()
    win.setProperty("headless", True)
    win.resize(1280, 800)
    win.show()
    app.processEvents()
    loaded: list[bool] = []
    win.loaded.connect(loaded.append)
    coco._area_cache.clear()  # a new session: nothing cached yet
    with Ticks() as ticks:
        t0 = time.perf_counter()
        win.open_path(folder)  # read in a worker thread: wait for it like a user would
        t_call = (time.perf_counter() - t0) * 1000
        _wait(app, lambda: bool(loaded))
        t_open = (time.perf_counter() - t0) * 1000
    assert loaded == [True] and len(win.doc.image_ids) == n_images
    rows = [
        ("open project + show first image (worker)", t_open, t_json_load),
        ("  open: GUI thread busy starting it", t_call, t_json_load),
        ("  open: longest stall (baseline: idle loop)", ticks.max_gap_ms, idle_gap_ms(app, t_open)),
    ]
    vp = win.annot.canvas.view.viewport()

    def next_image() -> None:
        win.step_image(1)
        vp.repaint()

    t_next = _ms(next_image, 30)
    rows.append(("step to next image (decode PNG, paint polygons)", t_next, t_json_load))
    for first in (True, False):  # area/bbox computed for every polygon, then cached
        current = win.doc.current
        assert current is not None
        win.annot.tool.select(current.instances[0].id)
        win.choose_label("L5" if first else "L4")  # one edit, so saving has something to write
        with Ticks() as ticks:
            t0, cpu0 = time.perf_counter(), time.thread_time()
            assert win.save()  # Ctrl+S: written in a worker thread
            t_call = (time.perf_counter() - t0) * 1000
            cpu_call = (time.thread_time() - cpu0) * 1000
            _wait(app, lambda: win._save_worker is None)
            t_save = (time.perf_counter() - t0) * 1000
        assert not win.isWindowModified(), win._last_error
        what = "first save after opening" if first else "save again (area/bbox cached)"
        rows.append((f"{what}, worker", t_save, t_dump))
        rows.append(("  save: GUI thread busy (snapshot), wall", t_call, t_dump))
        rows.append(("  save: GUI thread busy (snapshot), CPU", cpu_call, t_dump))
        idle = idle_gap_ms(app, t_save)
        rows.append(("  save: longest stall (baseline: idle loop)", ticks.max_gap_ms, idle))
    for fmt in ("coco", "via"):
        with Ticks() as ticks:
            t0 = time.perf_counter()
            assert win.export(tmp / f"export_{fmt}.json", fmt)  # written in a worker thread
            t_call = (time.perf_counter() - t0) * 1000
            _wait(app, lambda: win._export_worker is None)
            t_export = (time.perf_counter() - t0) * 1000
        assert (tmp / f"export_{fmt}.json").is_file(), win._last_error
        rows.append((f"export {fmt.upper()}, worker", t_export, t_dump))
        rows.append((f"  export {fmt.upper()}: GUI thread busy (snapshot)", t_call, t_dump))
        idle = idle_gap_ms(app, t_export)
        rows.append(
            (f"  export {fmt.upper()}: longest stall (baseline: idle)", ticks.max_gap_ms, idle)
        )
    win.close()
    return rows


# ------------------------------------------------------------------ 3D overlay (issue 15)
def bench_overlay(app: QApplication, tmp: Path, quick: bool) -> list[tuple[str, float, float]]:
    """Move one MIP polygon by a pixel, let the debounce end, wait for the 3D labels.

    A saved phantom project (T1..L5 polygons) is opened; each update is timed on the GUI
    thread (footprint + preview when the debounce ends, paint when the result comes) and
    from request to labels on screen, with the longest event-loop stall meanwhile.
    Baselines: a new axial slice on the same window (what scrolling costs), the same update
    from scratch (CT prepared again, full run: what an update without the kept child
    process and `previous` would wait for) and the idle loop's stall."""
    from vertapp.gui.annotate import editing
    from vertapp.gui.window.main_window import MainWindow

    folder = phantom_project(tmp / "overlay_project", last="L5", first="T10" if quick else "T1")
    win = MainWindow()
    win.setProperty("headless", True)
    win.resize(1280, 800)
    win.show()
    ctl = win.labels3d
    updates: list[bool] = []
    ctl.updated.connect(lambda: updates.append(True))
    loaded: list[bool] = []
    win.loaded.connect(loaded.append)
    win.open_path(folder)
    _wait(app, lambda: bool(loaded) and bool(updates))  # first labels: CT prepared
    vp = win.axial.canvas.view.viewport()
    rec = win.doc.current
    assert rec is not None
    key = rec.instances[len(rec.instances) // 2].id
    gui, waits, stalls, idles = [], [], [], []
    for n in range(3 if quick else 6):
        ctl.gui_ms.clear()
        win.editor.edit(editing.move_polygon(key, 1.0 if n % 2 == 0 else -1.0, 0.0, 10_000 + n))
        updates.clear()
        with Ticks() as ticks:
            t0 = time.perf_counter()
            ctl.timer.stop()
            ctl._request()  # the debounce's end
            vp.repaint()
            _wait(app, lambda: bool(updates))
            vp.repaint()
            waits.append((time.perf_counter() - t0) * 1000)
        gui.append(sum(ctl.gui_ms))
        stalls.append(ticks.max_gap_ms)
        idles.append(idle_gap_ms(app, waits[-1]))
    k = iter(range(10**9))
    nz = win.axial.volume.shape[0] if win.axial.volume is not None else 1

    def new_slice() -> None:
        win.axial.set_slice(next(k) % nz)
        vp.repaint()

    t_slice = _ms(new_slice, 20)
    ctl.process.ct_id = None  # baseline: the same update from scratch (prepare + full run)
    win.editor.edit(editing.move_polygon(key, 1.0, 0.0, 20_000))
    updates.clear()
    t0 = time.perf_counter()
    ctl.timer.stop()
    ctl._request()
    _wait(app, lambda: bool(updates))
    t_full = (time.perf_counter() - t0) * 1000
    win.close()
    return [
        ("3D overlay update: GUI thread (vs new axial slice)", statistics.median(gui), t_slice),
        ("3D overlay update: edit -> labels (vs from scratch)", statistics.median(waits), t_full),
        ("3D overlay update: longest stall (vs idle loop)", max(stalls), max(idles)),
    ]


# ------------------------------------------------------------------ screenshots
def phantom_project(folder: Path, seed: int = 0, first: str = "T1", last: str = "L5") -> Path:
    """A saved project: a phantom CT (written beside it) and its MIP with true vertebra polygons."""
    from vertapp.annotations import ops
    from vertapp.annotations.geometry import mask_to_polygons
    from vertapp.annotations.model import Instance
    from vertapp.gui.document.document import Document
    from vertapp.gui.document.open_jobs import OpenedCT
    from vertapp.io import write_volume
    from vertapp.labels import ID_VERTEBRA
    from vertapp.preprocess import preprocess
    from vertapp.preprocess.label_projection import project_labels
    from vertapp.synth import make_ct_phantom

    ph = make_ct_phantom(seed=seed, first=first, last=last)
    ct_path = folder.parent / f"{folder.name}_ct.nii.gz"
    folder.parent.mkdir(parents=True, exist_ok=True)
    write_volume(ph.volume, ct_path)
    mip = preprocess(ph.volume)
    truth = project_labels(ph.vertebra_labels, ph.volume, mip)
    doc = Document()
    image_id = doc.new_from_ct(OpenedCT(str(ct_path), ph.volume, mip))
    for lab in sorted(int(v) for v in np.unique(truth) if v):
        rings = mask_to_polygons(truth == lab, tolerance=1.0)
        if rings:
            inst = Instance(
                id=doc.project.new_instance_id(), label=ID_VERTEBRA[lab], polygons=rings[:1]
            )
            doc.edit(ops.AddInstance(image_id, inst), "Add")
    doc.save(folder)
    return folder


def screenshots(out_dir: Path, tmp: Path) -> None:
    folder = phantom_project(tmp / "phantom_project")
    for w, h in ((1920, 1080), (1280, 800)):
        png = out_dir / f"gui_{w}x{h}.png"
        cmd = [
            sys.executable,
            "-m",
            "vertapp",
            "gui",
            str(folder),
            "--screenshot",
            str(png),
            "--size",
            f"{w}x{h}",
        ]
        subprocess.run(cmd, check=True)
        print(f"wrote {png}")


# ------------------------------------------------------------------ main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (seconds)")
    parser.add_argument(
        "--screenshots", metavar="DIR", help="also write window screenshots of a phantom"
    )
    args = parser.parse_args()
    pg.setConfigOptions(imageAxisOrder="row-major")
    app = cast(QApplication, QApplication.instance()) or QApplication([])
    n_images = 150 if args.quick else 1500
    repeat = 20 if args.quick else 100
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        if args.screenshots:
            screenshots(Path(args.screenshots), tmp)
        rows = []
        ours, base = bench_slice(app, 512, 60 if args.quick else 200, repeat)
        rows.append(("new 512x512 slice + canal overlay", ours, base))
        ours, base = bench_drag(app, 17, 200, repeat)
        rows.append(("vertex-drag event, 17 polygons x 200 vertices", ours, base))
        n_iter = 10_000 if args.quick else 100_000
        ours, base = bench_loss_plot(app, n_iter, repeat)
        rows.append((f"loss-plot redraw, 6 curves x {n_iter} iterations", ours, base))
        rows += bench_project(app, n_images, 17, 200, tmp)
        rows += bench_overlay(app, tmp, args.quick)
        from bench_gui_xray import bench_pair_view  # the X-ray pair view's rows (issue 13)

        rows += bench_pair_view(app, repeat)
    print(
        f"\nGUI benchmark ({'quick' if args.quick else 'full'}; {n_images} images x 17 polygons for the project rows)\n"
    )
    print(f"| {'what':52s} | {'ours ms':>9s} | {'baseline ms':>11s} | {'ratio':>6s} |")
    print(f"|{'-' * 54}|{'-' * 11}|{'-' * 13}|{'-' * 8}|")
    for name, ours, base in rows:
        print(f"| {name:52s} | {ours:9.2f} | {base:11.2f} | {ours / base:6.2f} |")
    print(
        "\nbaselines: bare ImageItem.setImage + repaint; the same mouse move over the bare image;"
    )
    print("the loss curves from Python lists, every point drawn;")
    print("json.loads / json.dumps of the same project.json (open, browse / save).")
    print("stall: longest gap between two ticks of a 10 ms QTimer while the worker ran, against")
    print("the same timer on an idle event loop for as long (what the machine's load alone gives).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
