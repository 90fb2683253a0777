"""The train dialog's settings: the few a radiologist decides, in words; the rest under
Advanced, each with what it does. Remembered per project (see `review.training`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from vertapp.gui.model.settings_form import SettingsForm
from vertapp.gui.widgets.browse_row import browse_row
from vertapp.ml.config import finetune_lr
from vertapp.review import training
from vertapp.review.hidden_paths import (
    shown_chosen,
    shown_model_path,
    typed_chosen,
    typed_model_path,
)

PRESET_WORDS = {
    "fast": "Quick (smaller images; minutes on a laptop)",
    "paper": "Accurate (full-size images, as in the CT paper; needs a GPU)",
    "mobile": "Light (small network; for radiographs, trains on a CPU)",
}
DEVICE_WORDS = {"auto": "Automatic (GPU if present)", "cpu": "Processor (CPU)", "cuda": "GPU"}
START_WORDS = {
    "starter": "The starter model VertApp ships (fine-tune: minutes on a CPU)",
    "scratch": "Nothing: a new model (needs many labelled scans or a GPU)",
}

# Engine settings under Advanced: (words, what it does). Others show their code name.
ADVANCED_WORDS: dict[str, tuple[str, str]] = {
    "lr": ("Learning rate", "Step size of the optimiser; lower it if the loss jumps or is NaN."),
    "batch_size": ("Images per step", "More needs more memory; fewer makes steps noisier."),
    "min_size": ("Image size (short side, px)", "Images are scaled to this for the network."),
    "max_size": ("Image size limit (long side, px)", "Upper bound when scaling images."),
    "min_scale": (
        "Least enlargement (network px per mm)",
        "No image is shrunk below this many network pixels per image pixel (per mm on a "
        "CT MIP), so a short crop is seen as large as a whole spine; 0: image size alone.",
    ),
    "views_per_image": (
        "Partial views per image",
        "Crops drawn from each image per epoch, so the model sees few and many vertebrae.",
    ),
    "partial_view_prob": ("Share of partial views", "How often a crop is used, not the image."),
    "warmup_iters": ("Warm-up steps", "Steps with a rising learning rate at the start."),
    "lr_schedule": ("Learning-rate schedule", "'cosine' lowers it towards the end, 'constant'."),
    "momentum": ("Momentum", "Optimiser momentum (SGD)."),
    "weight_decay": ("Weight decay", "Pull on the weights towards zero, against overfitting."),
    "score_thresh": ("Lowest score kept", "Detections scored below this are dropped."),
    "detections_per_img": ("Most detections per image", "A spine has at most 24 levels."),
    "augment": ("Vary the images", "Small rotations, scaling and shifts while training."),
    "rotate_deg": ("Rotation range (degrees)", "Largest random rotation."),
    "scale_range": ("Scaling range", "Largest random zoom, as a fraction."),
    "translate_frac": ("Shift range", "Largest random shift, as a fraction of the size."),
    "hflip_prob": (
        "Mirror left-right",
        "Share of views mirrored: right for AP radiographs (no class is a left or a right "
        "one), wrong for MIPs and lateral films (the processes would point forwards).",
    ),
    "seed": ("Random seed", "Same seed, same split and same views: runs can be repeated."),
    "amp": ("Mixed precision (GPU)", "Faster on a GPU; ignored on the CPU."),
    "workers": ("Data loading threads", "0 loads in the training thread."),
    "trainable_layers": ("Trainable backbone layers", "Empty: 3 with pretrained weights, else 5."),
    "frozen_bn": ("Freeze batch norm", "Empty: frozen with pretrained weights."),
    "fpn_channels": ("Feature width", "Width of the feature pyramid (256 for COCO weights)."),
    "mask_head_channels": ("Mask head width", "Width of the mask head."),
    "box_head_width": ("Box head width", "Width of the box head's two layers (most weights)."),
    "rpn_post_nms_train": ("Proposals kept (training)", "Fewer is faster on a CPU."),
    "rpn_post_nms_test": ("Proposals kept (prediction)", "Fewer is faster on a CPU."),
    "rpn_batch_size_per_image": ("Proposal samples per image", "Sampling of the RPN."),
    "box_batch_size_per_image": ("Box samples per image", "Sampling of the box head."),
    "min_vertebrae": ("Fewest vertebrae per view", "Smallest partial view."),
    "max_vertebrae": ("Most vertebrae per view", "Largest partial view."),
    "resize_in_training": ("Resize while training", "Off for data already scaled."),
    "real_share": ("Share of real scans", "With phantoms mixed in; empty: all the same."),
    "ct_variants": (
        "Re-sliced copies per imported CT",
        "Training only: each imported labelled CT turned a few degrees, re-sliced at "
        "1-5 mm and given another kernel and noise, this many times (cached in the project).",
    ),
    "max_iterations": ("Stop after steps", "Empty: train all epochs (tests, benchmarks)."),
    "unet_width": ("U-Net width", "Only for the U-Net architecture."),
}
# Chosen with words above the Advanced part (epochs) or elsewhere (the data's val share).
OUTSIDE = frozenset({"epochs"})
WEIGHTS_AUTO = "automatic: local torch cache if present, else random"
NOT_IN_FORM = frozenset({"val_fraction", "class_names"})
OUT_TIP = "The trained model's file; you are asked before it is replaced"
# On the settings a fine-tune keeps from the starter model (ml.config.finetune_kept)
STARTER_TIP = (
    "Set by the starter model: a fine-tune keeps its value (start from Nothing: a new model "
    "to choose it)"
)
# On the settings every radiograph run sets itself (xray.training.radiograph_forced)
RADIOGRAPH_TIP = (
    "Set by every radiograph run: films are scaled so their long side is the image size "
    "limit, and trained and predicted at that size (change the limit instead)"
)
OUT_HIDDEN_TIP = (
    "The trained model's file; its folders are hidden (View > Hide names and paths). "
    "A name typed here saves in the same folder; you are asked before a file is replaced"
)


class TrainSettingsBox(QGroupBox):
    """Preset, epochs, device and file in words; architecture, weights and engine settings
    under Advanced (hidden until asked for)."""

    def __init__(
        self,
        out_path: Path,
        starter: Path | None = None,
        parent: QWidget | None = None,
        preset: str = "fast",
        names_hidden: bool = True,
        radiographs: bool = False,
    ) -> None:
        super().__init__("Model", parent)
        # the project's images are radiographs: the run's settings by the X-ray rules
        self.radiographs = radiographs
        # The starter model (None: this project's images are not CT MIPs, or it is missing).
        self.starter = starter
        # the user's (or preset's) architecture while the starter's is shown in its place
        self._chosen: tuple[str, str] | None = None
        # the user's (or preset's) values of the settings the starter keeps, while its are
        # shown in their place (None: no starter in play)
        self._own: dict[str, Any] | None = None
        self._start_read: dict[Path, dict[str, Any]] = {}  # starters' settings, read once
        self.start = _combo(
            ["starter", "scratch"] if starter else ["scratch"], "start", START_WORDS
        )
        self.start.setToolTip(
            "Fine-tuning the starter model (trained on phantoms and five real CTs) needs "
            "only a few labelled scans; its architecture and image size are kept."
        )
        self.preset = _combo(training.preset_names(), "preset", PRESET_WORDS)
        self.preset.setCurrentIndex(max(0, self.preset.findData(preset)))
        self.device = _combo(["auto", "cpu", "cuda"], "device", DEVICE_WORDS)
        self.device_label = QLabel(training.detect_device().describe())
        self.device_label.setWordWrap(True)
        # The file a run saves to; the field may show it without its folders (names hidden)
        self._model_file = out_path
        self._names_hidden = names_hidden
        self.out_path = QLineEdit()
        self.out_path.editingFinished.connect(self._path_typed)
        self.set_model_path(out_path)
        self.settings = SettingsForm(skip=NOT_IN_FORM, outside=OUTSIDE, words=ADVANCED_WORDS)
        self.settings.set_values(self.preset_values())
        long_side = self.settings.widget("max_size")
        if radiographs and isinstance(long_side, QSpinBox):  # it decides the other sizes
            long_side.valueChanged.connect(lambda _v: self._follow())
        self.epochs = self.settings.widget("epochs")
        self.epochs.setToolTip(
            "Passes over every training image. More takes longer; the best epoch by "
            "validation Dice is kept."
        )
        form = QFormLayout()
        form.addRow("Start from", self.start)
        form.addRow("Speed or accuracy", self.preset)
        form.addRow("How long to train (epochs)", self.epochs)
        form.addRow("Run on", self.device)
        form.addRow(self.device_label)
        form.addRow("Save the model as", self.out_path)
        self.more = QToolButton()
        self.more.setText("Advanced settings ▸")
        self.more.setCheckable(True)
        self.more.toggled.connect(self._show_advanced)
        self.advanced = self._advanced_part()
        self.advanced.hide()
        v = QVBoxLayout(self)
        v.addLayout(form)
        v.addWidget(self.more)
        v.addWidget(self.advanced)
        self.start.currentIndexChanged.connect(lambda _i: self.show_start())
        self.show_start()

    # -- the model file ----------------------------------------------------------------------
    def model_path(self) -> Path:
        """The file a run saves to, from what the field says (typed or shown)."""
        return typed_model_path(self.out_path.text(), self._model_file, self._names_hidden)

    def set_model_path(self, path: Path) -> None:
        self._model_file = path
        self.out_path.setText(shown_model_path(path, self._names_hidden))
        self.out_path.setToolTip(OUT_HIDDEN_TIP if self._names_hidden else OUT_TIP)

    def set_names_hidden(self, hidden: bool) -> None:
        """View > Hide names and paths changed: the same file (an edit kept), shown anew."""
        path, weights = self.model_path(), self.weights_path()  # read as the fields were shown
        self._names_hidden = hidden
        self.set_model_path(path)
        self.set_weights_path(weights)

    def weights_path(self) -> str:
        """The pretrained-weights file the field names ("" for none), typed or picked."""
        return typed_chosen(self.weights.text(), self._weights, self._names_hidden)

    def set_weights_path(self, path: str) -> None:
        # the folder a user keeps weights in may name them (a home folder): "…/NAME"
        self._weights = path
        self.weights.setText(shown_chosen(path, self._names_hidden))

    def _path_typed(self) -> None:
        # a full path typed while names are hidden is hidden again once typed
        if self._names_hidden:
            self.set_model_path(self.model_path())

    def start_from(self) -> Path | None:
        """The checkpoint to fine-tune, or None for a new model."""
        return self.starter if self.start.currentData() == "starter" else None

    def show_start(self) -> None:
        """The starter decides its architecture, input size, heads and score threshold (its
        scores are calibrated its way; ml.config.finetune_kept): shown as it has them,
        greyed out. A fine-tune starts at a tenth of the preset's learning rate
        (ml.config.finetune_lr), a new model at the preset's."""
        start = self.start_from()
        fixed = start is not None
        for widget in (self.arch, self.backbone, self.weights, self.weights_browse):
            widget.setEnabled(not fixed)
            widget.setToolTip(STARTER_TIP if fixed else "")
        preset = self.preset_values(finetune=fixed)
        values = {**self.settings.values(), "lr": preset["lr"]}
        if start is not None:  # shown as the starter has them: the preset's would not be trained
            self._chosen = self._user_architecture()
            stored = self._start_settings(start)
            self.arch.setCurrentText(str(stored.get("arch") or self.arch.currentText()))
            self.backbone.setCurrentText(str(stored.get("backbone") or self.backbone.currentText()))
            self.weights.setPlaceholderText("the starter model's own")
        else:
            if self._chosen:  # back to what was chosen before the starter was
                self.arch.setCurrentText(self._chosen[0])
                self.backbone.setCurrentText(self._chosen[1])
            self._chosen = None
            values.update(self._own or {})
            self._own = None
            self.weights.setPlaceholderText(WEIGHTS_AUTO)
        self.settings.set_values(values)
        self._show_kept()

    def show_preset_settings(self, values: dict[str, Any]) -> None:
        """A preset's (or a remembered run's) settings; those the starter keeps are shown as
        it has them while it is in play, and come back when it no longer is."""
        if self._own is not None:
            self._own.update({k: values[k] for k in self._own if k in values})
        self.settings.set_values({**values, **self._forced(values)})
        self._show_kept()

    def preset_values(self, finetune: bool = False) -> dict[str, Any]:
        """The chosen preset's settings as this project's run will use them: on radiographs
        the X-ray engine's (`xray.training.radiograph_preset`: its augmentation, films
        trained at their scaled size), else the preset's; `finetune`: at the learning
        rate a fine-tune starts from."""
        if not self.radiographs:
            return training.preset_values(self.preset_name(), finetune=finetune)
        from vertapp.xray.training import radiograph_preset

        cfg = radiograph_preset(self.preset_name())
        return (finetune_lr(cfg) if finetune else cfg).to_dict()

    def _forced(self, values: dict[str, Any]) -> dict[str, Any]:
        """What the run sets whatever the form says (radiographs: from the long side)."""
        if not self.radiographs or "max_size" not in values:
            return {}
        from vertapp.xray.training import radiograph_forced

        return radiograph_forced(int(values["max_size"]))

    def _follow(self) -> None:
        """The long side changed: show the sizes the run derives from it."""
        values = self.settings.values()
        self.settings.set_values({**values, **self._forced(values)})

    def _show_kept(self) -> None:
        """Grey out the settings a fine-tune of the starter keeps, showing its values."""
        start = self.start_from()
        if start is None:
            self.settings.hold(self._forced(self.settings.values()), RADIOGRAPH_TIP)
            return
        values = self.settings.values()
        kept = {k: v for k, v in self._start_settings(start).items() if k in values}
        if self._own is None:  # what was chosen, shown again without the starter
            self._own = {k: values[k] for k in kept}
        self.settings.set_values({**values, **kept})
        self.settings.hold(kept, STARTER_TIP)

    def _start_settings(self, start: Path) -> dict[str, Any]:
        if start not in self._start_read:  # read once: the file is megabytes
            self._start_read[start] = training.starter_kept(start)
        return self._start_read[start]

    def _user_architecture(self) -> tuple[str, str]:
        """What the user (or the preset) chose, not the starter's shown in its place."""
        return self._chosen or (self.arch.currentText(), self.backbone.currentText())

    def show_preset_architecture(self, arch: str, backbone: str) -> None:
        """A preset chosen: its architecture, shown unless the starter's is in play."""
        if self.start_from() is None:
            self.arch.setCurrentText(arch)
            self.backbone.setCurrentText(backbone)
        else:
            self._chosen = (arch, backbone)

    def _advanced_part(self) -> QWidget:
        box = QWidget()
        self.arch = _combo(training.arch_names(), "arch")
        self.backbone = _combo(training.backbone_names(), "backbone")
        self.weights = QLineEdit()
        self.weights.setPlaceholderText(WEIGHTS_AUTO)
        self._weights = ""  # the file picked (shown as "…/NAME" while names are hidden)
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Architecture", self.arch)
        form.addRow("Backbone", self.backbone)
        row = browse_row(self.weights, self._pick_weights)
        item = row.itemAt(1)
        browse = item.widget() if item is not None else None
        assert isinstance(browse, QPushButton)
        self.weights_browse = browse  # greyed out with the field
        form.addRow("Pretrained weights", row)
        note = QLabel("Engine settings (hover a name for what it does):")
        note.setWordWrap(True)
        form.addRow(note)
        form.addRow(self.settings)
        return box

    def _show_advanced(self, shown: bool) -> None:
        self.advanced.setVisible(shown)
        self.more.setText("Advanced settings ▾" if shown else "Advanced settings ▸")

    def _pick_weights(self) -> None:
        from PySide6.QtWidgets import QFileDialog

        path, _ = QFileDialog.getOpenFileName(
            self, "Pretrained weights", "", "PyTorch weights (*.pt *.pth);;All files (*)"
        )
        if path:
            self.set_weights_path(path)

    def preset_name(self) -> str:
        return str(self.preset.currentData())

    # -- remembered per project ------------------------------------------------------------
    def remembered(self, val_fraction: float) -> dict[str, Any]:
        """What to remember of this dialog for the project (JSON values only)."""
        held = self.settings.held()
        return {
            "start": str(self.start.currentData()),
            "preset": self.preset_name(),
            "device": str(self.device.currentData()),
            "arch": self._user_architecture()[0],
            "backbone": self._user_architecture()[1],
            "weights": self.weights_path(),
            "val_fraction": val_fraction,
            # what the run uses: not the starter's values shown in the greyed-out rows
            "settings": {k: v for k, v in self.settings.values().items() if k not in held},
        }

    def restore(self, saved: dict[str, Any]) -> None:
        """Show remembered values (unknown or stale ones are skipped)."""
        for combo, key in ((self.start, "start"), (self.preset, "preset"), (self.device, "device")):
            index = combo.findData(saved.get(key))
            if index >= 0:
                combo.setCurrentIndex(index)
        arch, backbone = (str(saved.get(k, "")) for k in ("arch", "backbone"))
        if self.arch.findText(arch) >= 0 and self.backbone.findText(backbone) >= 0:
            self.show_preset_architecture(arch, backbone)
        self.set_weights_path(str(saved.get("weights", "")))
        values = {**self.settings.values(), **(self._own or {})}  # the user's, not the starter's
        stored = saved.get("settings") or {}
        values.update({k: v for k, v in stored.items() if k in values})
        self.show_preset_settings(values)


def _combo(items: list[str], name: str, words: dict[str, str] | None = None) -> QComboBox:
    combo = QComboBox()
    for item in items:
        combo.addItem((words or {}).get(item, item), item)
    combo.setObjectName(name)
    return combo
