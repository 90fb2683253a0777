"""The main window's actions, menus, toolbars and context menu (one QAction per command).

Each action is built once, as an attribute of the window (`w.act_save`, ...), with its
slot on the controller that does the work; menus, toolbars and the context menu reuse
them, so every command has a visible entry and a key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QMenu, QWidget

from vertapp.gui.annotate.edit_controller import EditController
from vertapp.gui.annotate.editing import instance_name
from vertapp.gui.annotate.label_palette import VERTEBRA_KEYS, swatch
from vertapp.gui.annotate.part_palette import PartPalette
from vertapp.gui.model.axial_focus import show_outline
from vertapp.gui.views.axial_view import WINDOW_PRESETS
from vertapp.gui.views.polygon_tool import Mode
from vertapp.gui.views.radiograph_levels import KEY_PRESETS
from vertapp.gui.widgets.actions import StdKey, exclusive, make_action
from vertapp.gui.widgets.colors import label_color
from vertapp.gui.widgets.read_only_bar import lock
from vertapp.gui.window import last_folder as folder_memory
from vertapp.gui.window.files_controller import FilesController
from vertapp.gui.window.image_controller import ImageController
from vertapp.gui.window.kept_edits_prompts import TIP as KEPT_TIP
from vertapp.gui.window.landmark_import import TIP, LandmarkImport
from vertapp.gui.xray.open_pair import open_pair
from vertapp.gui.xray.project_pair import pair_from_project
from vertapp.labels import VERTEBRAE
from vertapp.review.status import FLAG_KEY, app_field

if TYPE_CHECKING:
    from vertapp.gui.window.main_window import MainWindow


def build_actions(
    w: MainWindow, files: FilesController, editor: EditController, images: ImageController
) -> None:
    a = make_action
    w.act_open_volume = a(
        w,
        "Open &volume…",
        files.ask_open_volume,
        StdKey.Open,
        "Open a CT volume file (NIfTI, MHA, NRRD)",
    )
    w.act_open_dicom = a(w, "Open &DICOM folder…", files.ask_open_dicom, "Ctrl+Shift+O")
    w.act_open_radiograph = a(w, "Open &radiograph…", files.ask_open_radiograph, "Ctrl+Shift+R")
    w.act_open_project = a(w, "Open &project…", files.ask_open_project, "Ctrl+Shift+P")
    w.act_save = a(w, "&Save", files.save, StdKey.Save, "Save the project")
    w.act_save_as = a(w, "Save project &as…", files.ask_save_as, "Ctrl+Shift+S")
    w.act_export_coco = a(w, "Export &COCO…", files.ask_export_coco, "Ctrl+E")
    w.act_export_via = a(w, "Export &VIA…", files.ask_export_via)
    w.act_export_labels3d = a(
        w,
        "Export 3D &labels…",
        w.labels3d.ask_export,
        None,
        "The masks back-projected into the CT: NIfTI (VerSe ids), centroids, DICOM SEG",
    )
    tip = "A CT and its vertebra label map (VerSe, TotalSegmentator, table) as one image"
    w.act_import_ct = a(w, "&Import labelled CT…", w.importer.ask_import, None, tip)
    # Ctrl+Q where the platform names no Quit key (Windows, a bare X11 session); through
    # close(), so the running-work and unsaved-edits questions are asked as for the X
    w.act_quit = a(w, "&Quit", w.close, quit_keys())
    w.act_undo = w.doc.stack.createUndoAction(w, "&Undo")
    w.act_undo.setShortcut(QKeySequence(StdKey.Undo))
    w.act_redo = w.doc.stack.createRedoAction(w, "&Redo")
    w.act_redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    for act in (w.act_undo, w.act_redo):
        w.addAction(act)
    # tools
    tools = (  # attribute, text, mode, key, tip
        ("act_select", "Select / edit", Mode.SELECT, "S", "Select, move polygons, drag vertices"),
        ("act_draw", "Draw polygon", Mode.DRAW, "D", "Draw a polygon by clicks"),
        ("act_brush", "Brush", Mode.BRUSH, "B", "Paint onto the selected mask"),
        ("act_eraser", "Eraser", Mode.ERASER, "E", "Erase from the selected mask"),
    )
    for attr, text, mode, key, tip in tools:
        setattr(w, attr, a(w, text, lambda m=mode: w.set_mode(m), key, tip, checkable=True))
    exclusive(w, [w.act_select, w.act_draw, w.act_brush, w.act_eraser])
    w.act_select.setChecked(True)
    w.act_finish = a(w, "Finish polygon", editor.finish_polygon, ["Return", "Enter"])
    w.act_cancel = a(w, "Cancel drawing / deselect", editor.cancel_drawing, "Esc")
    name_cancel(w.act_cancel, drawing=False)
    w.act_insert_vertex = a(
        w, "Insert vertex", editor.insert_vertex, "I", "Insert a vertex on the nearest edge"
    )
    # Del deletes what is selected, the vertex first (labelme, CVAT); the image's menu
    # has a "Delete vertex" of its own, for the handle under the cursor only
    w.act_delete_vertex = a(
        w,
        "Delete vertex or polygon",
        editor.delete_selected,
        ["Del", "Backspace"],
        "Delete the selected vertex (red handle); with no vertex selected, the selected "
        "polygon. Ctrl+Z brings either back",
    )
    w.act_delete_polygon = a(w, "Delete polygon", editor.delete_polygon, "Shift+Del")
    # CVAT's Tab, along the spine: Tab itself stays the focus key of the docks
    tip = "Select the outline {} the selected one; a label key, Del, A or R then acts on it"
    w.act_outline_below = a(
        w,
        "Select outline below",
        lambda: step_outline(w, editor, 1),
        "Alt+Down",
        tip.format("below"),
    )
    w.act_outline_above = a(
        w,
        "Select outline above",
        lambda: step_outline(w, editor, -1),
        "Alt+Up",
        tip.format("above"),
    )
    w.act_next_label = a(w, "Apply suggested label", editor.apply_suggested_label, "N")
    w.label_actions = {
        name: a(w, name, lambda n=name: editor.choose_label(n), VERTEBRA_KEYS.get(name))
        for name in VERTEBRAE
    }
    # view
    w.act_next_slice = a(
        w, "Slice down (toward the feet)", lambda: w.axial.step_toward_head(-1), "PgDown"
    )
    w.act_prev_slice = a(
        w, "Slice up (toward the head)", lambda: w.axial.step_toward_head(1), "PgUp"
    )
    w.act_next_image = a(w, "Next image", lambda: images.step_image(1), "Ctrl+Down")
    w.act_prev_image = a(w, "Previous image", lambda: images.step_image(-1), "Ctrl+Up")
    w.act_fit = a(w, "Fit images to view", images.fit_views, "F")
    w.act_load_ct = a(
        w,
        "Load source CT",
        images.load_source_ct,
        "Ctrl+L",
        "Read the CT behind this MIP again for the axial view",
    )
    w.act_toggle_polygons = a(w, "Show polygons", None, "H", checkable=True)
    w.act_toggle_polygons.setChecked(True)
    w.act_toggle_polygons.toggled.connect(w.show_polygons.setChecked)
    w.act_show_labels3d = a(
        w, "3D labels on the axial slice", None, None, "The masks back-projected", checkable=True
    )
    w.act_show_labels3d.setChecked(True)
    w.act_show_labels3d.toggled.connect(w.labels3d.set_enabled)
    w.act_hide_identifiers = a(
        w,
        "Hide names and paths",
        None,
        None,
        "Title, project list and recent files name the kind of scan, not its file or folder "
        "(which may carry a patient's name)",
        checkable=True,
    )
    w.act_hide_identifiers.setChecked(files.hide_identifiers())
    w.act_hide_identifiers.toggled.connect(files.set_hide_identifiers)
    w.preset_actions = [
        a(
            w,
            f"Window: {name}",
            lambda n=name, i=i: apply_window_preset(w, i, n),
            f"F{5 + i}",
            f"CT: {name}; radiograph: {KEY_PRESETS[i].lower()} (percentiles of the image)",
        )
        for i, name in enumerate(WINDOW_PRESETS)
    ]
    # model (train / predict dialogs are wired by the ML GUI, see add_model_actions)
    w.act_train = a(w, "&Train…", None, None, "Train a model on this project")
    w.act_predict = a(w, "&Predict and review…", None, None, "Predict vertebrae on images")
    w.act_train.setEnabled(False)
    w.act_predict.setEnabled(False)


# The toolbar's Esc button says what it does now (the menu's entry says both): it read
# "Cancel drawing" with an outline selected and nothing drawn, where it deselects. One
# action, as Esc must stay one key (two actions on it: Qt runs neither).
CANCEL_WORDS = {
    True: ("Cancel drawing", "Drop the polygon being drawn; with none, deselect the outline"),
    False: ("Deselect", "Deselect the outline (as a click on empty space)"),
}


def name_cancel(action: QAction, *, drawing: bool) -> None:
    """The Esc action's button text and tooltip, in Draw mode or not."""
    text, tip = CANCEL_WORDS[drawing]
    action.setIconText(text)
    action.setToolTip(f"{tip} (Esc)")


def step_outline(w: MainWindow, editor: EditController, step: int) -> None:
    """Alt+Down / Alt+Up: the next outline selected, brought into sight on the MIP and
    shown on the axial view, as selecting its review row does."""
    key = editor.select_outline(step)
    if key is not None:
        show_outline(w, key)


def quit_keys() -> list[str]:
    """The platform's Quit key(s), and Ctrl+Q (Cmd+Q on a Mac) always."""
    keys = [k.toString() for k in QKeySequence.keyBindings(StdKey.Quit)]
    return keys if "Ctrl+Q" in keys else [*keys, "Ctrl+Q"]


def fixed_text_twin(parent: QWidget, stack: QUndoStack, *, redo: bool) -> QAction:
    """A toolbar Undo/Redo whose text stays "Undo"/"Redo": the stack's own action reads
    "Undo Predict 1 image", and a button growing with it pushed the tools into the »
    overflow. The command's name is in the tooltip; the key stays on the stack's action
    (the Edit menu's, with the long text), so no key is bound twice."""
    return _StackButton(parent, stack, redo)


class _StackButton(QAction):
    def __init__(self, parent: QWidget, stack: QUndoStack, redo: bool) -> None:
        self.word = "Redo" if redo else "Undo"
        super().__init__(self.word, parent)
        self.key = "Ctrl+Shift+Z" if redo else QKeySequence(StdKey.Undo).toString()
        self.triggered.connect(stack.redo if redo else stack.undo)
        # Slots of this object, fed by the signals' own arguments: disconnected when it
        # goes, and never calling back into a stack that is being destroyed.
        if redo:
            stack.canRedoChanged.connect(self.setEnabled)
            stack.redoTextChanged.connect(self.show_command)
            self.setEnabled(stack.canRedo())
            self.show_command(stack.redoText())
        else:
            stack.canUndoChanged.connect(self.setEnabled)
            stack.undoTextChanged.connect(self.show_command)
            self.setEnabled(stack.canUndo())
            self.show_command(stack.undoText())

    def show_command(self, what: str) -> None:
        self.setToolTip(f"{self.word} {what} ({self.key})" if what else f"{self.word} ({self.key})")


def apply_window_preset(w: MainWindow, index: int, name: str) -> None:
    """F5..F7: the radiograph's preset when one is shown, else the axial CT's."""
    if not w.annot.levels.apply_key(index):
        w.axial.set_window(*WINDOW_PRESETS[name])


def connect_model_actions(w: MainWindow, train: Any = None, predict: Any = None) -> None:
    """Hook for the ML GUI: connect and enable Model > Train… / Predict…."""
    for action, slot in ((w.act_train, train), (w.act_predict, predict)):
        if slot is not None:
            action.triggered.connect(lambda _c=False, s=slot: s())
            action.setEnabled(True)


def build_menus(w: MainWindow, files: FilesController) -> None:
    bar = w.menuBar()
    m = bar.addMenu("&File")
    for act in (
        w.act_open_volume,
        w.act_open_dicom,
        w.act_open_radiograph,
        w.act_open_project,
    ):
        m.addAction(act)
    tip = "Align a low-dose radiograph's vertebrae onto the high-dose one, review, export"
    # handed in (gui/xray may not import window/): its dialogs start in the window's last
    # folders, and it refuses to export into a project open read-only (`w.doc`)
    open_it = lambda: open_pair(w, w.doc, folder_memory)  # noqa: E731
    m.addAction(make_action(w, "Open low-/high-dose &pair…", open_it, None, tip))
    tip = "The outlines of two radiographs of this project (select them in the list) as the pair"
    pair = lambda: pair_from_project(  # noqa: E731
        w.doc, w.panel.selected_rows(), w, w.show_error, folder_memory
    )
    m.addAction(make_action(w, "Pair two radiographs of the project…", pair, None, tip))
    w.menu_recent = m.addMenu("Open &recent")
    w.menu_recent.aboutToShow.connect(lambda: files.fill_recent(w.menu_recent))
    m.addSeparator()
    kept = files.prompts.kept  # enabled while the project has kept edits (watch)
    recover_kept = make_action(w, "Recover &kept edits…", kept.ask, None, KEPT_TIP)
    m.addActions([w.act_save, w.act_save_as, recover_kept])
    m.setToolTipsVisible(True)  # a disabled "Recover kept edits…" says why
    kept.watch(recover_kept, m)
    m.addSeparator()
    m.addAction(w.act_import_ct)
    landmarks = LandmarkImport(w.doc, w, w.jobs, files)  # lives as long as the job runner
    m.addAction(make_action(w, "Import landmark radio&graphs…", landmarks.ask_import, None, TIP))
    m.addActions([w.act_export_coco, w.act_export_via, w.act_export_labels3d])
    m.addSeparator()
    m.addAction(w.act_quit)
    m = bar.addMenu("&Edit")
    m.addActions([w.act_undo, w.act_redo])
    m.addSeparator()
    m.addActions([w.act_select, w.act_draw, w.act_brush, w.act_eraser])
    m.addSeparator()
    m.addActions(edit_actions(w))
    m.addActions([w.act_outline_below, w.act_outline_above])
    labels = m.addMenu("&Label")
    labels.addAction(w.act_next_label)
    labels.addActions(list(w.label_actions.values()))
    w.menu_view = bar.addMenu("&View")
    w.menu_view.addActions([w.act_prev_slice, w.act_next_slice, w.act_prev_image, w.act_next_image])
    w.menu_view.addSeparator()
    w.menu_view.addActions([w.act_fit, w.act_load_ct, w.act_toggle_polygons, w.act_show_labels3d])
    w.menu_view.addActions(w.preset_actions)
    w.menu_view.addSeparator()
    w.menu_view.addAction(w.act_hide_identifiers)
    w.menu_view.addSeparator()
    for dock in (w.dock_project, w.dock_labels, w.dock_axial):
        w.menu_view.addAction(dock.toggleViewAction())
    w.menu_model = bar.addMenu("&Model")
    w.menu_model.addActions([w.act_train, w.act_predict])


def edit_actions(w: MainWindow) -> list[QAction]:
    return [
        w.act_finish,
        w.act_cancel,
        w.act_insert_vertex,
        w.act_delete_vertex,
        w.act_delete_polygon,
    ]


def build_toolbars(w: MainWindow) -> None:
    tb = w.addToolBar("File")
    tb.setObjectName("toolbar_file")
    tb.addActions(
        [
            w.act_open_volume,
            w.act_open_project,
            w.act_save,
            fixed_text_twin(tb, w.doc.stack, redo=False),
            fixed_text_twin(tb, w.doc.stack, redo=True),
        ]
    )
    tb = w.addToolBar("Tools")
    tb.setObjectName("toolbar_tools")
    tb.addActions([w.act_select, w.act_draw, w.act_brush, w.act_eraser])
    tb.addSeparator()
    tb.addActions(edit_actions(w))
    # the Esc button as wide as its longest words: the buttons after it stay in place
    # when it turns from "Deselect" to "Cancel drawing"
    button = tb.widgetForAction(w.act_cancel)
    if button is not None:
        name_cancel(w.act_cancel, drawing=True)
        button.setMinimumWidth(button.sizeHint().width())
        name_cancel(w.act_cancel, drawing=False)


def show_context_menu(w: MainWindow, editor: EditController, global_pos: Any) -> QMenu:
    """The image's right-click menu, about the outline under the cursor (the polygon tool
    selected it, or nothing on empty space, before this opens). In a read-only window its
    edits are greyed out as in the toolbar and the Edit menu, with why as their tooltip
    (shown here too)."""
    menu = QMenu(w)
    menu.setObjectName("canvas_menu")
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per right-click
    if w.annot.tool.mode is Mode.DRAW:
        menu.addActions([w.act_finish, w.act_cancel])
    else:
        _outline_entries(w, editor, menu)
    menu.addSeparator()
    menu.addActions([w.act_select, w.act_draw, w.act_brush, w.act_eraser])
    menu.addSeparator()
    menu.addActions([w.act_undo, w.act_redo])
    menu.setToolTipsVisible(bool(w.doc.read_only))
    menu.popup(global_pos)
    return menu


def _outline_entries(w: MainWindow, editor: EditController, menu: QMenu) -> None:
    """Review decisions (a prediction), vertex and polygon edits, the label entries."""
    inst = editor.selected_instance()
    locked = bool(w.doc.read_only)
    review = _review_entries(w, editor, menu, inst)
    if review:
        menu.addActions(review)
        menu.addSeparator()
    # "Delete vertex" here deletes the handle under the cursor only (the Edit menu's Del
    # falls back to the outline); greyed out when the right-click was not on a handle
    vertex = QAction("Delete vertex", menu)
    vertex.setEnabled(w.annot.layer.selected_vertex is not None)
    vertex.triggered.connect(lambda _c=False: editor.delete_vertex())
    menu.addActions([w.act_insert_vertex, vertex, w.act_delete_polygon])
    palette = w.labels
    suggested = QAction("Apply suggested label" + _key_hint(w.act_next_label), menu)
    if not isinstance(palette, PartPalette):
        nxt = "none left" if palette.none_left else palette.current
        suggested.setText(f"Apply suggested label ({nxt})" + _key_hint(w.act_next_label))
        suggested.setEnabled(inst is not None and not palette.none_left)
        suggested.triggered.connect(lambda _c=False: editor.apply_suggested_label())
        menu.addAction(suggested)
    sub = menu.addMenu("Label")
    sub.setEnabled(inst is not None)
    current = inst.label if inst is not None else None
    for name in palette.labels:
        # the outline's own label checked, and a ✓ after it: with an icon, styles show
        # a checked entry as a framed icon only, easily missed
        mine = name == current
        entry = sub.addAction(swatch(label_color(name)), f"{name}   ✓" if mine else name)
        entry.setCheckable(True)
        entry.setChecked(mine)
        entry.triggered.connect(lambda _c=False, n=name: editor.choose_label(n))
    if locked:  # relabelling is an edit; so is deleting a vertex
        lock([sub.menuAction(), vertex, suggested], True)


def _key_hint(action: QAction) -> str:
    """The action's key, shown in a menu's key column ("\tN") by an entry that is not
    that action (a second action bound to the key would make it ambiguous)."""
    key = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    return f"\t{key}" if key else ""


def _review_entries(w: MainWindow, editor: EditController, menu: QMenu, inst: Any) -> list[QAction]:
    """Accept / Reject / Flag for a predicted outline, where the model workflow is
    installed: its own review actions (the review panel's decisions, on the outline
    under the cursor; the status bar says what was done)."""
    flow = getattr(w, "model_workflow", None)
    if flow is None or inst is None or inst.source == "manual":
        return []
    name = instance_name(inst)
    flagged = bool(app_field(inst, FLAG_KEY, False))
    entries = (
        ("accept", f"Accept {name}", inst.reviewed),
        ("reject", f"Reject {name} (remove it)", False),
        ("flag", f"Flag {name} for an expert", flagged),
    )
    out = []
    for what, text, checked in entries:
        source = flow.review_actions.get(what)
        if source is None:
            continue
        entry = QAction(text + _key_hint(source), menu)
        if checked:  # accepted or flagged already: shown, still allowed (flag toggles)
            entry.setCheckable(True)
            entry.setChecked(True)
        entry.setEnabled(source.isEnabled())
        entry.setToolTip(source.toolTip())
        entry.triggered.connect(
            lambda _c=False, a=source, k=inst.id: _decide(w, editor, flow, k, a)
        )
        out.append(entry)
    return out


def _decide(w: MainWindow, editor: EditController, flow: Any, key: int, action: QAction) -> None:
    """The review panel's decision on outline `key`: its row selected first (it follows
    the image's selection, but may list another row), then the workflow's own action."""
    flow.review_panel.select_instance(key)
    if key not in flow.review_panel.selected_ids():
        editor.show_status(
            "This outline is not in the review list (Model > Predict and review, Ctrl+R)", 6000
        )
        return
    action.trigger()
