"""The main window's actions, menus and toolbars (one QAction per command, reused everywhere)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QCheckBox, QMenu

from vertapp.gui.annotate.label_palette import VERTEBRA_KEYS
from vertapp.gui.views.axial_view import WINDOW_PRESETS
from vertapp.gui.views.polygon_tool import Mode
from vertapp.gui.widgets.actions import StdKey, exclusive, make_action
from vertapp.labels import VERTEBRAE

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDockWidget

    from vertapp.gui.document.document import Document
    from vertapp.gui.views.axial_view import AxialView


if TYPE_CHECKING:  # type-check the mixin as the window it is mixed into
    from PySide6.QtWidgets import QMainWindow as _Window
else:
    _Window = object


class CommandsMixin(_Window):
    """Builds every QAction of the window; the slots live in the other mixins."""

    if TYPE_CHECKING:
        doc: Document
        axial: AxialView
        show_polygons: QCheckBox
        dock_project: QDockWidget
        dock_labels: QDockWidget
        dock_axial: QDockWidget
        menu_view: QMenu
        ask_open_volume: Callable[[], None]
        ask_open_dicom: Callable[[], None]
        ask_open_radiograph: Callable[[], None]
        ask_open_project: Callable[[], None]
        ask_save_as: Callable[[], bool]
        ask_export_coco: Callable[[], None]
        ask_export_via: Callable[[], None]
        finish_polygon: Callable[[], None]
        cancel_drawing: Callable[[], None]
        insert_vertex: Callable[[], None]
        delete_vertex: Callable[[], None]
        delete_polygon: Callable[[], None]
        apply_suggested_label: Callable[[], None]
        fit_views: Callable[[], None]
        load_source_ct: Callable[[], bool]

        def save(self) -> bool: ...
        def set_mode(self, mode: Mode) -> None: ...
        def choose_label(self, label: str) -> None: ...
        def step_image(self, step: int) -> None: ...
        def _fill_recent(self) -> None: ...

    def _build_actions(self) -> None:
        a = make_action
        self.act_open_volume = a(
            self,
            "Open &volume…",
            self.ask_open_volume,
            StdKey.Open,
            "Open a CT volume file (NIfTI, MHA, NRRD)",
        )
        self.act_open_dicom = a(self, "Open &DICOM folder…", self.ask_open_dicom, "Ctrl+Shift+O")
        self.act_open_radiograph = a(
            self, "Open &radiograph…", self.ask_open_radiograph, "Ctrl+Shift+R"
        )
        self.act_open_project = a(self, "Open &project…", self.ask_open_project, "Ctrl+Shift+P")
        self.act_save = a(self, "&Save", self.save, StdKey.Save, "Save the project")
        self.act_save_as = a(self, "Save project &as…", self.ask_save_as, "Ctrl+Shift+S")
        self.act_export_coco = a(self, "Export &COCO…", self.ask_export_coco, "Ctrl+E")
        self.act_export_via = a(self, "Export &VIA…", self.ask_export_via)
        self.act_quit = a(self, "&Quit", self.close, StdKey.Quit)
        self.act_undo = self.doc.stack.createUndoAction(self, "&Undo")
        self.act_undo.setShortcut(QKeySequence(StdKey.Undo))
        self.act_redo = self.doc.stack.createRedoAction(self, "&Redo")
        self.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for act in (self.act_undo, self.act_redo):
            self.addAction(act)
        # tools
        self.act_select = a(
            self,
            "Select / edit",
            lambda: self.set_mode(Mode.SELECT),
            "S",
            "Select, move polygons, drag vertices",
            checkable=True,
        )
        self.act_draw = a(
            self,
            "Draw polygon",
            lambda: self.set_mode(Mode.DRAW),
            "D",
            "Draw a polygon by clicks",
            checkable=True,
        )
        self.act_brush = a(
            self,
            "Brush",
            lambda: self.set_mode(Mode.BRUSH),
            "B",
            "Paint onto the selected mask",
            checkable=True,
        )
        self.act_eraser = a(
            self,
            "Eraser",
            lambda: self.set_mode(Mode.ERASER),
            "E",
            "Erase from the selected mask",
            checkable=True,
        )
        exclusive(self, [self.act_select, self.act_draw, self.act_brush, self.act_eraser])
        self.act_select.setChecked(True)
        self.act_finish = a(self, "Finish polygon", self.finish_polygon, ["Return", "Enter"])
        self.act_cancel = a(self, "Cancel drawing", self.cancel_drawing, "Esc")
        self.act_insert_vertex = a(
            self, "Insert vertex", self.insert_vertex, "I", "Insert a vertex on the nearest edge"
        )
        self.act_delete_vertex = a(self, "Delete vertex", self.delete_vertex, ["Del", "Backspace"])
        self.act_delete_polygon = a(self, "Delete polygon", self.delete_polygon, "Shift+Del")
        self.act_next_label = a(self, "Apply suggested label", self.apply_suggested_label, "N")
        self.label_actions = {
            name: a(self, name, lambda n=name: self.choose_label(n), VERTEBRA_KEYS.get(name))
            for name in VERTEBRAE
        }
        # view
        self.act_next_slice = a(
            self, "Next slice (down)", lambda: self.axial.set_slice(self.axial.index + 1), "PgDown"
        )
        self.act_prev_slice = a(
            self, "Previous slice (up)", lambda: self.axial.set_slice(self.axial.index - 1), "PgUp"
        )
        self.act_next_image = a(self, "Next image", lambda: self.step_image(1), "Ctrl+Down")
        self.act_prev_image = a(self, "Previous image", lambda: self.step_image(-1), "Ctrl+Up")
        self.act_fit = a(self, "Fit images to view", self.fit_views, "F")
        self.act_load_ct = a(
            self,
            "Load source CT",
            self.load_source_ct,
            "Ctrl+L",
            "Read the CT behind this MIP again for the axial view",
        )
        self.act_toggle_polygons = a(self, "Show polygons", None, "H", checkable=True)
        self.act_toggle_polygons.setChecked(True)
        self.act_toggle_polygons.toggled.connect(self.show_polygons.setChecked)
        self.preset_actions = [
            a(
                self,
                f"Window: {name}",
                lambda n=name: self.axial.set_window(*WINDOW_PRESETS[n]),
                f"F{5 + i}",
            )
            for i, name in enumerate(WINDOW_PRESETS)
        ]
        # model (train / predict dialogs are wired by the ML GUI, see add_model_actions)
        self.act_train = a(self, "&Train…", None, None, "Train a model on this project")
        self.act_predict = a(self, "&Predict…", None, None, "Predict vertebrae on images")
        self.act_train.setEnabled(False)
        self.act_predict.setEnabled(False)

    def add_model_actions(self, train: Any = None, predict: Any = None) -> None:
        """Hook for the ML GUI: connect and enable Model > Train… / Predict…."""
        for action, slot in ((self.act_train, train), (self.act_predict, predict)):
            if slot is not None:
                action.triggered.connect(lambda _c=False, s=slot: s())
                action.setEnabled(True)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        for act in (
            self.act_open_volume,
            self.act_open_dicom,
            self.act_open_radiograph,
            self.act_open_project,
        ):
            m.addAction(act)
        self.menu_recent = m.addMenu("Open &recent")
        self.menu_recent.aboutToShow.connect(self._fill_recent)
        m.addSeparator()
        m.addActions([self.act_save, self.act_save_as])
        m.addSeparator()
        m.addActions([self.act_export_coco, self.act_export_via])
        m.addSeparator()
        m.addAction(self.act_quit)
        m = bar.addMenu("&Edit")
        m.addActions([self.act_undo, self.act_redo])
        m.addSeparator()
        m.addActions([self.act_select, self.act_draw, self.act_brush, self.act_eraser])
        m.addSeparator()
        m.addActions(self._edit_actions())
        labels = m.addMenu("&Label")
        labels.addAction(self.act_next_label)
        labels.addActions(list(self.label_actions.values()))
        self.menu_view = bar.addMenu("&View")
        self.menu_view.addActions(
            [self.act_prev_slice, self.act_next_slice, self.act_prev_image, self.act_next_image]
        )
        self.menu_view.addSeparator()
        self.menu_view.addActions(
            [self.act_fit, self.act_load_ct, self.act_toggle_polygons, *self.preset_actions]
        )
        self.menu_view.addSeparator()
        for dock in (self.dock_project, self.dock_labels, self.dock_axial):
            self.menu_view.addAction(dock.toggleViewAction())
        self.menu_model = bar.addMenu("&Model")
        self.menu_model.addActions([self.act_train, self.act_predict])

    def _edit_actions(self) -> list[QAction]:
        return [
            self.act_finish,
            self.act_cancel,
            self.act_insert_vertex,
            self.act_delete_vertex,
            self.act_delete_polygon,
        ]

    def _build_toolbars(self) -> None:
        tb = self.addToolBar("File")
        tb.setObjectName("toolbar_file")
        tb.addActions(
            [
                self.act_open_volume,
                self.act_open_project,
                self.act_save,
                self.act_undo,
                self.act_redo,
            ]
        )
        tb = self.addToolBar("Tools")
        tb.setObjectName("toolbar_tools")
        tb.addActions([self.act_select, self.act_draw, self.act_brush, self.act_eraser])
        tb.addSeparator()
        tb.addActions(self._edit_actions())
