"""The never-lose-work questions of the window: recover, decide later, discard, restore.

Asked when a scan or project is opened after VertApp did not close normally. What can
be offered comes from the core (`annotations.recovery.recovery_plan`, the document's
untitled autosave); the question says what recovering brings back in the user's words
(`annotations.recovery_words`: "2 outlines added on 1 image") and its buttons say what
they do: Recover (the default), Decide later, Discard. Esc, closing the box and an
unattended run (no one to ask) decide later: Qt's Esc was No, and No discarded the
edits for good. Nothing is deleted that the user did not choose to discard:

- a project's edits kept for later, or discarded, are kept in .vertapp/kept/ (with the
  version of project.json they were made on) for File > Recover kept edits… (`kept`),
  and the project opens as last saved with a new journal: the edits made from then on
  are protected too (the pending journal used to stay unjournalled-over until a person
  answered, and an unattended run's new edits were in no journal at all);
- an untitled scan's autosave kept for later moves beside the folder this session
  autosaves to, and is offered again the next time the scan opens; Discard… asks once
  more before deleting it for good (nothing else keeps a copy of it).

A recovery that fails, or a journal too damaged to offer, keeps the edits (in
.vertapp/kept/) and says so; the project then opens as last saved, journalled again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMessageBox

from vertapp.annotations import recovery_words as words
from vertapp.annotations.recovery import (
    DAMAGED,
    RecoveryPlan,
    discard_into_kept,
    keep_for_later,
    recovery_plan,
    restore_backup,
    set_aside_journal,
    untitled_effect,
)
from vertapp.errors import VertAppError
from vertapp.gui.document.document import Document
from vertapp.gui.window.host import WindowHost
from vertapp.gui.window.image_controller import ImageController
from vertapp.gui.window.kept_edits_prompts import KeptEditsPrompts
from vertapp.gui.window.names import anonymous, hide_identifiers, shown_path

log = logging.getLogger(__name__)
Button = QMessageBox.StandardButton
TITLE = "Recover unsaved edits?"
# The window's `ask` makes the last one the default (Enter): Recover, which loses nothing.
# Cancel is Qt's Esc (and the box's close button): Decide later, which loses nothing either.
ANSWERS = {Button.Discard: words.DISCARD, Button.Cancel: words.LATER, Button.Yes: words.RECOVER}
UNTITLED_ANSWERS = {
    Button.Discard: words.DISCARD_FOR_GOOD,
    Button.Cancel: words.LATER,
    Button.Yes: words.RECOVER,
}
DISCARD_TITLE = "Discard unsaved edits for good?"
DISCARD_ANSWERS = {Button.Discard: "Delete them", Button.Cancel: "Go back"}


class RecoveryPrompts:
    def __init__(
        self, doc: Document, host: WindowHost, images: ImageController, open_project: Any
    ) -> None:
        self.doc, self.host, self.images, self.open_project = doc, host, images, open_project
        self.kept = KeptEditsPrompts(doc, host)  # File > Recover kept edits…

    def offer_untitled_recovery(self, title: str) -> None:
        """An untitled scan just opened: its autosaved edits from a killed session."""
        saved = self.doc.untitled_recovery()
        if saved is None:
            return
        names = not hide_identifiers()
        effect = untitled_effect(self.doc.project, saved)
        text = f"{words.untitled_question(title, effect, names)}\n\n{words.untitled_answers()}"
        while True:
            answer = self.host.ask(TITLE, text, UNTITLED_ANSWERS, None)  # unattended: later
            if answer != Button.Discard:
                break
            sure = words.discard_untitled_question(title, effect, names)
            if self.host.ask(DISCARD_TITLE, sure, DISCARD_ANSWERS, Button.Cancel) == (
                Button.Discard
            ):
                self.doc.discard_untitled_recovery()
                self.host.show_status(words.untitled_discarded_status(title), 15000)
                return
        if answer == Button.Yes:
            current = self.doc.current_id
            self.doc.adopt_untitled(saved)
            self.doc.set_current(current if current in self.doc.image_ids else None)
            self.host.update_title()
            self.host.show_status(words.recovered_status(effect, 0, names), 15000)
            return
        try:  # Decide later (Esc, the box closed), or nobody answered
            self.doc.keep_untitled_for_later()
        except OSError as err:  # it stays where it is: this session's autosave replaces it
            self.host.show_error(
                f"The unsaved annotations of {title} could not be kept for later "
                f"({err.strerror or err}): your next edit here is autosaved over them. To "
                "recover them, open the scan again before editing it."
            )
            return
        self.host.show_status(words.untitled_later_status(title), 15000)

    def offer_recovery(self) -> None:
        """A project just opened: its journal of unsaved edits (recover, keep for later or
        discard), then kept edits the user was not told of yet (said once, see
        KeptEditsPrompts: edits just kept for later among them)."""
        root = self.doc.project.root
        attended = True
        if root is not None and self.doc.has_recovery():
            attended = self._offer_journal(root)
        self.kept.tell_new(remember=attended)

    def _offer_journal(self, root: Path) -> bool:
        """Ask, and do what the answer says; False when no one was there to answer."""
        plan = recovery_plan(root)
        if plan.kind == DAMAGED:  # nothing to ask: keep it and say so
            why = anonymous(plan.message, root.name)
            self._not_recovered(root, why, lambda: set_aside_journal(root))
            return True
        names = not hide_identifiers()
        question = words.journal_question(root.name, plan.effect, plan.edits, names)
        text = f"{anonymous(question, root.name)}\n\n{words.journal_answers()}"
        answer = self.host.ask(TITLE, text, ANSWERS, None)  # unattended: decide later
        if answer == Button.Yes:
            self._recover(root, plan, names)
        elif answer == Button.Discard:
            self._discard(root, plan, names)
        else:  # Decide later, Esc, the box closed, or nobody there to answer (None)
            self._keep_for_later(root, plan, names)
        return answer is not None

    def _recover(self, root: Path, plan: RecoveryPlan, names: bool) -> None:
        try:
            notes = self.doc.recover()
        except Exception as err:  # any failure at all: see below
            # Any failure, even one the core did not foresee, must leave the project open
            # as last saved and journalled: raised from here, the open never finished and
            # later edits went unprotected. The journal is kept: by the core, which says
            # where, or else by the next journal's attach (store._keep_unreplayed).
            if not isinstance(err, (VertAppError, OSError)):  # a bug: keep its traceback
                log.exception("recovering unsaved edits failed")
            self._not_recovered(root, f"The unsaved edits could not be recovered ({err})")
            return
        self.host.show_status(words.recovered_status(plan.effect, plan.edits, names), 15000)
        if notes:  # recovered in doubt: say which version the edits went over
            self.host.show_error("\n".join(anonymous(n, root.name) for n in notes))
        self.host.update_title()

    def _keep_for_later(self, root: Path, plan: RecoveryPlan, names: bool) -> None:
        """Kept in .vertapp/kept/ (File > Recover kept edits…), and the project opens as
        last saved with a new journal, so what is drawn now is protected too. The kept
        edits are told of by KeptEditsPrompts.tell_new, right after, in the warning bar."""
        try:
            keep_for_later(root)
        except OSError as err:  # the journal stays where it is; so do later edits' risks
            self._not_kept(root, err)
            return
        self.doc.recovery_failed()  # journalled from now on (nothing left to replace)
        self.host.show_status(words.later_status(plan.effect, plan.edits, names), 15000)

    def _discard(self, root: Path, plan: RecoveryPlan, names: bool) -> None:
        """No longer offered, but kept (noted discarded: listed, never brought up again)."""
        try:
            _, problem = discard_into_kept(root)
        except OSError as err:  # not kept: then not removed either
            self._not_kept(root, err)
            return
        # Removed first to hear what could not be removed (a read-only folder): the
        # document's own removal then finds nothing left, or the same problem again.
        try:
            self.doc.discard_recovery()
        except (VertAppError, OSError) as err:
            problem = problem or str(err)
        if problem:
            self.host.show_error(problem)
            return
        self.host.show_status(words.discarded_status(plan.effect, plan.edits, names), 15000)

    def _not_kept(self, root: Path, err: OSError) -> None:
        """The edits could not be copied aside (a read-only folder, a full disk): they
        stay where they are, offered again next time; the project opens as last saved
        (a new journal would replace them: attaching one keeps them first, or fails)."""
        project = anonymous(root.name, root.name, "the project")
        self.host.show_error(
            f"The unsaved edits could not be kept aside ({err.strerror or err}); they stay "
            f"where they are and are offered again when {project} is next opened."
        )
        self.doc.recovery_failed()

    def _not_recovered(
        self, root: Path, why: str, set_aside: Callable[[], str] | None = None
    ) -> None:
        """Both versions stay: project.json as saved, the edits set aside (in words)."""
        try:
            where = set_aside() if set_aside is not None else ""
        except OSError as err:
            where = f"it could not be kept aside ({err.strerror or err}) and stays where it is"
        self.doc.recovery_failed()
        text = f"{why}; {where}" if where else why
        project = anonymous(root.name, root.name, "the project")
        self.host.show_error(f"{text}; {project} opens as last saved.")

    def open_backup_only(self, path: str) -> None:
        """A folder whose project.json is gone but its .bak is there: offer the backup."""
        plan = recovery_plan(path)
        yes_no = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
        text = anonymous(plan.message, Path(path).name, "This folder")
        answer = self.host.ask("Restore the previous version?", text, yes_no, None)
        if answer != QMessageBox.StandardButton.Yes:
            self.host.show_status(f"{shown_path(path)}: left as it is", 10000)
            self.images.report_loaded(False)
            return
        try:
            restore_backup(path)
        except (VertAppError, OSError) as err:
            self.host.show_error(str(err))
            self.images.report_loaded(False)
            return
        self.open_project(path)
