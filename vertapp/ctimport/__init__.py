"""vertapp.ctimport: labelled CTs (a CT plus a 3-D vertebra label map) into a project.

Headless (no Qt). Each imported CT becomes a project image: the sagittal MIP from the
usual preprocessing with one polygon per vertebra, projected from the 3-D labels.

Public API (the window's File > Import labelled CT… and `vertapp import` both call it):
- CaseSpec(ct, labels, vocabulary="verse", table=None, name=None, patient=None,
  hide_names=False): hide_names, the window's View > Hide names and paths
- import_case_job(project, spec, params=None) -> Job[CaseReport]: adds one image to an
  open project (files written into its folder; saving project.json is the caller's step).
  It is the two halves a window runs on two threads:
    name = unique_name(project, image_name(spec))                       (GUI thread)
    prepared = yield from prepare_case_job(spec, project.root, name)    (worker: slow,
        touches no Project)
    report = add_case(project, prepared)                                (GUI thread: fast)
  try_prepare_case_job: the same, a failure its result (FailedCase(name, reason)); a case
  that fails leaves none of its files in the folder
- find_cases(folder, vocabulary, table) -> DatasetScan(cases, unmatched)
- import_dataset_job(project, cases, params=None, after_case=None) -> Job[DatasetReport]:
  every case, failures reported by name while the others go on
- import_to_folder_job(out, cases, params=None) -> Job[DatasetReport]: open or create the
  project folder `out`, import, save after every case (the CLI)

Modules: levels (vocabularies, transitional vertebrae), labelfiles (label volume files,
TotalSegmentator folders, DICOM SEG), segrefs (a SEG's UIDs against the CT's), alignment (onto the CT grid, overlap check), case
(one CT), casefiles (what a case writes), dataset (folders of CTs). See docs/import.md.
"""

from vertapp.ctimport.case import (
    CaseReport,
    CaseSpec,
    FailedCase,
    PreparedCase,
    add_case,
    case_name,
    image_name,
    import_case_job,
    prepare_case_job,
    try_prepare_case_job,
    unique_name,
)
from vertapp.ctimport.dataset import (
    DatasetReport,
    DatasetScan,
    find_cases,
    import_dataset_job,
    import_to_folder_job,
)

__all__ = [
    "CaseReport",
    "CaseSpec",
    "FailedCase",
    "PreparedCase",
    "add_case",
    "case_name",
    "image_name",
    "prepare_case_job",
    "try_prepare_case_job",
    "unique_name",
    "DatasetReport",
    "DatasetScan",
    "find_cases",
    "import_case_job",
    "import_dataset_job",
    "import_to_folder_job",
]
