"""The review workflow of model predictions, without Qt (the window and the CLI both use it).

  status.py       review status of a vertebra and an image; the next image to review
  decisions.py    accept, reject, relabel, flag as annotation ops (each undoes); new predictions
  snapshot.py     what a training or prediction job needs of the project; split by patient
  training.py     presets, device, the train request and its job on snapshots
  prediction.py   a prediction run on snapshots: shapes per image and the raw COCO
  compare.py      predictions against the hand-drawn ground truth (the engine's metrics)
  summary.py      where a project's review stands (`vertapp review PROJECT`)
  progress_text.py training progress and errors as sentences
  export_words.py what an export wrote (outlines, predictions nobody reviewed), in words
  next_label.py   the label proposed for an image's next outline (every outline counts)
It may use `vertapp.ml`, `vertapp.annotations` and `vertapp.jobs`.
"""
