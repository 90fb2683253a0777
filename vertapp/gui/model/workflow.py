"""Wire the model workflow (train, predict, review, compare) into the main window.

`install_model_workflow(window)` is the only call the window needs. It uses this much of
the window (vertapp.gui.window.main_window.MainWindow provides all of it):

- `window.doc`: the Document (`project`, `current_id`, `image_ids`, `stack`, `pending_images`,
  `set_current(id)`, `pixels(id)`, `shapes(id)`, signals `reset`, `image_changed`,
  `instances_changed`)
- `window.annot`: the AnnotationView (`canvas.viewbox`, `tool.select(id)`,
  `tool.selection_changed`, `set_shapes(shapes)`)
- `window.add_dock_panel(widget, title, area) -> QDockWidget`, `window.add_model_actions(
  train=, predict=)`, `window.menu_model`, `window.set_mode(Mode)`, `window.statusBar()`
- optionally `window.ask_stop(text) -> bool`: the window's "stop this and close?" question;
  the train dialog asks through it, so the window's conventions (headless) hold there too
- optionally `window.act_hide_identifiers`: View > Hide names and paths (checkable); the
  train dialog names images and patients neutrally while it is on (hidden without it)

The score threshold hides undecided predictions below it in the main view by filtering
the shapes handed to `window.annot.set_shapes` (a wrapper installed here).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer
from PySide6.QtWidgets import (
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from vertapp.config import config_dir
from vertapp.gui.model.axial_focus import show_on_axial
from vertapp.gui.model.compare_panel import ComparePanel
from vertapp.gui.model.completion_prompt import undecided_text
from vertapp.gui.model.jobs import project_train_factory
from vertapp.gui.model.predict_panel import PredictPanel
from vertapp.gui.model.prestart import prestart_soon
from vertapp.gui.model.review_panel import ACTIONS, DECISIONS, AfterEdits, ReviewPanel
from vertapp.gui.model.train_dialog import TrainDialog
from vertapp.gui.views.order_marks import OrderMarks
from vertapp.gui.widgets.actions import make_action
from vertapp.gui.widgets.heap import settle_heap
from vertapp.gui.widgets.read_only_bar import lock
from vertapp.ml import starter
from vertapp.review import completion, not_hu
from vertapp.review import status as rv
from vertapp.review.snapshot import data_images
from vertapp.review.training import load_train_settings, save_train_settings
from vertapp.xray.snapshot_training import has_class
from vertapp.xray.training import unclassed_sentence

RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
MIP_SHARE = 0.25  # of the width right of the project list: the MIP is where one draws
AXIAL_WIDTH = 520  # px: an axial slice big enough to judge, the narrow MIP takes the rest
REVIEW_WIDTH = 400  # px: the table's five columns and the buttons, unclipped
NOT_HU_TITLE = "Not CT in Hounsfield units"


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class ModelWorkflow(QObject):
    """Owns the predict/review/compare panels and the train dialog of one window."""

    def __init__(self, window: Any) -> None:
        super().__init__(window)
        self.window = window
        doc = window.doc
        self.predict_panel = PredictPanel(doc)
        self.review_panel = ReviewPanel(doc)
        self.compare_panel = ComparePanel(doc)
        self.train_dialog: TrainDialog | None = None
        # A box layout, not a splitter: a splitter keeps the predict panel at the height it
        # had and ignores that wrapped text needs more lines, so after a run its two lines
        # of words were drawn over each other at 1280 px; the layout gives the panel the
        # height its text needs at the dock's width and the review list the rest.
        box = QWidget()
        stack = QVBoxLayout(box)
        stack.setContentsMargins(0, 0, 0, 0)
        self.predict_panel.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        stack.addWidget(self.predict_panel)
        stack.addWidget(self.review_panel, 1)
        # Scroll areas: the panels' natural widths must not force the window wider.
        self.review_dock = window.add_dock_panel(_scrolled(box), "Predict and review", RIGHT)
        self.compare_dock = window.add_dock_panel(
            _scrolled(self.compare_panel), "Compare with truth", RIGHT
        )
        if isinstance(window, QMainWindow):
            # Review beside the axial view (a reviewer checks each vertebra on its slices;
            # stacked, each would be too short). The comparison shares its place as a tab.
            # Both stay hidden until there is something to review (Model > Predict, a
            # run, a project with predictions): drawing needs the width for the MIP.
            axial = getattr(window, "dock_axial", None)
            if axial is not None:
                window.splitDockWidget(axial, self.review_dock, Qt.Orientation.Horizontal)
            window.tabifyDockWidget(self.review_dock, self.compare_dock)
            self.review_dock.hide()
            self.compare_dock.hide()
        self.marks = OrderMarks(window.annot.canvas.viewbox)
        self.predict_panel.use_default_model(self.default_model)
        self._filter_main_view()
        self._build_actions()
        self._connect()
        self.read_only = False
        if getattr(doc, "read_only", ""):  # installed on a window already read-only
            self.set_read_only(True)

    # -- wiring ----------------------------------------------------------------------------
    def _build_actions(self) -> None:
        w = self.window
        w.add_model_actions(train=self.train, predict=self.show_review)
        w.act_train.setShortcut("Ctrl+T")
        # the review list by key (it stays hidden until asked for); R alone is Reject.
        # Ctrl+R is Align again in the pair window: another window, so no clash
        w.act_predict.setShortcut("Ctrl+R")
        w.act_predict.setToolTip("Show the Predict and review panels (Ctrl+R)")
        a = make_action
        # through the panel, shown first: its words (a run's progress, why it cannot
        # run) were written into a hidden dock, and Ctrl+P seemed to do nothing
        p = self.predict_panel
        self.act_predict_current = a(
            w, "Predict &current image", lambda: self.predict_with(p.predict_current), "Ctrl+P"
        )
        self.act_predict_all = a(
            w, "Predict &all images", lambda: self.predict_with(p.predict_all), "Ctrl+Alt+P"
        )
        menu = w.menu_model
        menu.addActions([self.act_predict_current, self.act_predict_all])
        review = menu.addMenu("&Review")
        self.review_actions = {}
        for name, (tip, key) in ACTIONS.items():
            slot = self.review_panel.slots[name]
            act = a(w, tip, slot, key or None)
            review.addAction(act)
            self.review_actions[name] = act

    def set_read_only(self, read_only: bool) -> None:
        """The review decisions, Predict and Train greyed out, in the panels, the train
        dialog and the Model menu, with why as their tooltip (the window's ReadOnlyView
        calls this when its project turns read-only or editable again). A prediction adds
        to the project: it ran to the end, then was refused; training writes its model
        into the project folder: it opened its dialog, then was refused in a box.
        Model > Predict… (it shows the panels) stays."""
        self.read_only = read_only
        self.review_panel.set_read_only(read_only)
        self.predict_panel.set_read_only(read_only)
        if self.train_dialog is not None:
            self.train_dialog.set_read_only(read_only)
        predict = [self.act_predict_current, self.act_predict_all]
        decisions = [self.review_actions[name] for name in DECISIONS]
        lock([self.window.act_train, *predict, *decisions], read_only)
        menu = getattr(self.window, "menu_model", None)
        if menu is not None:  # the greyed entries say why there too
            menu.setToolTipsVisible(read_only)

    def _connect(self) -> None:
        w, doc = self.window, self.window.doc
        p, r, c = self.predict_panel, self.review_panel, self.compare_panel
        p.threshold_changed.connect(r.set_threshold)
        p.threshold_changed.connect(c.set_threshold)
        p.threshold_changed.connect(lambda _t: self.refresh_main_view())
        p.run_finished.connect(c.set_run)
        p.run_finished.connect(lambda _run: self._show_run())
        r.edit_requested.connect(self.edit_instance)
        r.instance_selected.connect(self._select_in_view)
        w.annot.tool.selection_changed.connect(r.select_instance)
        for panel in (p, r):
            panel.message.connect(lambda text: w.statusBar().showMessage(text, 8000))
        doc.image_changed.connect(lambda _id: self._update_marks())
        # once an undo step, not once a vertebra of it (AfterEdits)
        self._marks_stale = AfterEdits(doc.stack, self._update_marks, self)
        doc.instances_changed.connect(lambda _id: self._marks_stale.schedule())
        doc.reset.connect(self._on_reset)
        r.set_threshold(p.threshold)
        c.set_threshold(p.threshold)
        if hasattr(w, "ask"):  # the window's way of asking: unattended runs get Cancel
            r.ask_undecided = self._ask_undecided
            p.ask_not_hu = self._ask_not_hu  # and Skip
        hide = getattr(w, "act_hide_identifiers", None)
        if hide is not None:  # an open train dialog renames its rows at once
            hide.toggled.connect(self._names_toggled)
        self._hide_from_3d_labels()
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    def names_hidden(self) -> bool:
        """View > Hide names and paths, as the window has it (hidden when it has none)."""
        hide = getattr(self.window, "act_hide_identifiers", None)
        return hide is None or hide.isChecked()

    def _names_toggled(self, hidden: bool) -> None:
        if self.train_dialog is not None:
            self.train_dialog.set_names_hidden(hidden)

    def _hide_from_3d_labels(self) -> None:
        """Predictions the threshold hides on the MIP are no masks of the 3D labels either."""
        labels3d = getattr(self.window, "labels3d", None)
        if labels3d is None:
            return
        panel = self.review_panel
        labels3d.keep = lambda inst: not panel.hidden_by_threshold(inst)
        self.predict_panel.threshold_changed.connect(lambda _t: labels3d.schedule())

    def running_work(self) -> list[str]:
        """A sentence per running job whose loss closing would cost: what runs, what is lost.

        Scoring against the truth is left out: its scores are only shown, never saved.
        """
        work = []
        if self.train_dialog is not None and self.train_dialog.is_running():
            work.append(self.train_dialog.running_text())
        if self.predict_panel.is_running():
            work.append("A prediction is running; closing stops it and its results are lost.")
        return work

    def shutdown(self, wait_ms: int = 300_000) -> None:
        """Cancel running training / prediction / scoring and wait for their threads.

        Call when the window closes for good (connected to QApplication.aboutToQuit too):
        a QThread destroyed while running aborts the program. A cancelled training keeps
        the checkpoint of its last finished epoch.
        """
        workers = [
            self.train_dialog.worker if self.train_dialog is not None else None,
            self.predict_panel.worker,
            self.compare_panel.worker,
        ]
        for worker in workers:
            if worker is not None and worker.isRunning():
                worker.cancel()
        for worker in workers:
            if worker is not None:
                worker.wait(wait_ms)

    def _on_reset(self) -> None:
        self._update_marks()
        prestart_soon(self)  # the first Predict finds the prediction child ready
        doc = self.window.doc
        first = self._first_to_review()
        if first is None:
            return
        # A project with predictions waiting opens with its review, on an image that has
        # some (the demo opened on a completed spine while its predictions were on another)
        current = doc.current
        if current is None or not rv.needs_review(current, self.predict_panel.threshold):
            doc.set_current(first)
        self.show_review()

    def _first_to_review(self) -> int | None:
        """The first image with predictions to review at the shown threshold, else with
        any (all hidden below it), in the project's order."""
        doc = self.window.doc
        for threshold in (self.predict_panel.threshold, 0.0):
            found = rv.next_image(doc.project, doc.image_ids, None, threshold=threshold)
            if found is not None:
                return found
        return None

    def _ask_undecided(self, n: int) -> str:
        """Mark completed with `n` undecided: the window asks (Cancel is the default)."""
        button = QMessageBox.StandardButton
        words = {button.Yes: "Accept them", button.No: "Reject them", button.Cancel: "Cancel"}
        answer = self.window.ask(
            "Predictions still undecided", undecided_text(n), words, button.Cancel
        )
        return {button.Yes: completion.ACCEPT, button.No: completion.REJECT}.get(answer, "cancel")

    def _ask_not_hu(self, verdict: str) -> bool:
        """Predict one image whose CT was read as not CT in HU: the window asks (Skip is
        the default, as `vertapp predict` skips it); True predicts it anyway."""
        button = QMessageBox.StandardButton
        words = {button.Yes: "Predict anyway", button.No: "Skip"}
        answer = self.window.ask(NOT_HU_TITLE, not_hu.question_text(verdict), words, button.No)
        return answer == button.Yes

    # -- main view -------------------------------------------------------------------------
    def hidden_ids(self) -> set[int]:
        img = self.window.doc.current
        if img is None:
            return set()
        return {i.id for i in img.instances if self.review_panel.hidden_by_threshold(i)}

    def _filter_main_view(self) -> None:
        """Drop below-threshold, undecided predictions from what the main view paints."""
        annot = self.window.annot
        original = annot.set_shapes

        def set_shapes(shapes: dict[int, Any]) -> None:
            img = self.window.doc.current
            instances = [] if img is None else img.instances
            hidden = {i.id for i in instances if self.review_panel.hidden_by_threshold(i)}
            original({k: v for k, v in shapes.items() if k not in hidden})

        annot.set_shapes = set_shapes

    def refresh_main_view(self) -> None:
        doc = self.window.doc
        if doc.current_id is not None:
            self.window.annot.set_shapes(doc.shapes(doc.current_id))
        self._update_marks()

    def _update_marks(self) -> None:
        self._marks_stale.done()
        self.marks.show(self.window.doc.current, self.hidden_ids())

    def _select_in_view(self, instance_id: int | None) -> None:
        """Select it in the MIP and move the axial view to its slice: the panel sits beside
        the axial view for checking each vertebra on its slices."""
        tool = self.window.annot.tool
        if instance_id is not None and instance_id in self.window.annot.layer.shapes:
            tool.select(instance_id)
            show_on_axial(self.window, instance_id)

    def edit_instance(self, instance_id: int) -> None:
        """Hand the instance to the window's polygon tools (select mode, selected)."""
        from vertapp.gui.views.polygon_tool import Mode

        self.window.set_mode(Mode.SELECT)
        self._select_in_view(instance_id)
        self.window.annot.setFocus()

    def predict_with(self, start: Callable[[], None]) -> None:
        """A predict request from the menu or a key: the panel shown, then `start` run."""
        self.show_review()
        start()

    def _show_run(self) -> None:
        """After a run: its review, or Compare when every prediction went there."""
        self.show_review()
        if self.predict_panel.all_to_compare():
            self.compare_dock.raise_()

    def show_review(self) -> None:
        first = self.review_dock.isHidden()
        self.review_dock.show()
        self.compare_dock.show()
        self.review_dock.raise_()
        if first:  # sized once laid out; later the user's own sizes stay
            QTimer.singleShot(0, self._size_docks)

    def _size_docks(self) -> None:
        """Share the right-hand width: review panel, axial view, and the MIP kept usable."""
        w = self.window
        axial = getattr(w, "dock_axial", None)
        central = w.centralWidget() if isinstance(w, QMainWindow) else None
        if axial is None or central is None or self.review_dock.isHidden():
            return
        total = axial.width() + self.review_dock.width() + central.width()
        review = min(REVIEW_WIDTH, int(0.4 * total))
        axial_width = max(0, min(AXIAL_WIDTH, total - review - int(MIP_SHARE * total)))
        w.resizeDocks([axial, self.review_dock], [axial_width, review], Qt.Orientation.Horizontal)

    # -- training --------------------------------------------------------------------------
    def train(self) -> TrainDialog | None:
        """Model > Train…: the dialog, refused in words when the project's folder may not
        be written (read-only, or taken over by another window): training writes its
        model, checkpoints and settings there. A copy made with Save as can be trained."""
        refusal = self.window.doc.write_refusal()
        if refusal:
            message = f"Training writes its model into the project folder. {refusal}"
            show_error = getattr(self.window, "show_error", None)
            if show_error is not None:
                show_error(message)
            else:
                self.window.statusBar().showMessage(message, 15000)
            return None
        return self.open_train_dialog()

    def open_train_dialog(self) -> TrainDialog:
        doc = self.window.doc
        if self.train_dialog is not None and self.train_dialog.is_running():
            self.train_dialog.show()
            self.train_dialog.raise_()
            return self.train_dialog
        models_dir = default_model_path(doc.project.root).parent
        labels = list(doc.project.labels)
        dialog = TrainDialog(
            # counted as the run will see them: the project's classes; radiographs by the
            # X-ray engine's rule (a body needs its level)
            data_images(doc.project, labels, has_class, unclassed_sentence),
            default_model_path(doc.project.root),
            project_train_factory(doc.project, doc.pending_images),
            class_names=labels,
            remembered=load_train_settings(models_dir) if doc.project.root else None,
            remember=(lambda v: save_train_settings(models_dir, v)) if doc.project.root else None,
            starter=starter.starter_for(list(doc.project.labels), self._kinds()),
            preset=default_preset(self._kinds()),
            names_hidden=self.names_hidden(),
            radiographs=all_radiographs(self._kinds()),
            parent=self.window,
        )
        dialog.set_read_only(self.read_only)
        dialog.checkpoint_ready.connect(self.predict_panel.set_model_path)
        ask_stop = getattr(self.window, "ask_stop", None)
        if ask_stop is not None:  # one question, asked the window's way, for both closes
            dialog.ask_stop = ask_stop
        self.train_dialog = dialog
        settle_heap()  # the dialog brought torch in: keep full GCs from rescanning it
        dialog.show()
        return dialog

    # -- prediction's model ----------------------------------------------------------------
    def _kinds(self) -> list[str]:
        return [img.kind for img in self.window.doc.project.images.values()]

    def default_model(self) -> tuple[Path, str, str]:
        """Model > Predict with no file chosen: the project's own model, else the starter
        (file, its name, why it was taken)."""
        project = self.window.doc.project
        path, is_starter = starter.model_for_project(
            project.root, list(project.labels), self._kinds()
        )
        if is_starter:
            return path, "the starter model", no_model_words(project.root)
        return path, "this project's model", ""


def no_model_words(project_root: Path | None) -> str:
    """Why Predict takes the starter: the project has no model; and where a stopped run
    left its epochs when they did not become the model (a VertApp that did not yet make
    a stopped run's best epoch the model, or an unreadable file)."""
    words = "this project has no model of its own"
    if project_root is None:
        return words
    from vertapp.ml.train import checkpoint_paths

    last, best = checkpoint_paths(starter.project_model_path(project_root))
    if not last.is_file():  # a best file alone is a fine-tune's start: the starter itself
        return words
    left = best if best.is_file() else last
    return (
        f"{words}; Browse… to use the {left.name} a stopped training run left in its models folder"
    )


def default_preset(kinds: list[str]) -> str:
    """The preset the train dialog opens with: "mobile" for radiographs (the model
    `vertapp.xray.training.radiograph_config` and the AASCE benchmark train: MobileNetV3,
    long side 1024), else "fast" (CT MIPs; a fine-tune of the starter keeps its own)."""
    return "mobile" if all_radiographs(kinds) else "fast"


def all_radiographs(kinds: list[str]) -> bool:
    """A radiograph project: its runs train by `vertapp.xray.training`'s rules."""
    return bool(kinds) and all(k == "radiograph" for k in kinds)


def default_model_path(project_root: Path | None) -> Path:
    if project_root is not None:
        return starter.project_model_path(project_root)
    return config_dir() / "models" / "model.pt"


def install_model_workflow(window: Any) -> ModelWorkflow:
    """Add Model menu actions, the review and compare docks to `window`; keep a reference."""
    workflow = ModelWorkflow(window)
    window.model_workflow = workflow
    return workflow
