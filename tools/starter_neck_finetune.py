"""How the round-11 starter model was made: the round-7 starter fine-tuned on its own
recipe's data plus neck-to-thorax phantoms (cervical vertebrae unlabelled).

    OMP_NUM_THREADS=2 .venv/bin/python tools/starter_neck_finetune.py --start ROUND7.pt \
        --out /tmp/neckft [--iters 700] [--lr 0.003] [--neck 12]
    .venv/bin/python tools/make_starter_model.py /tmp/neckft/model.last.pt \
        vertapp/resources/models/starter-ct.pt --score-thresh 0.3

Data, as benchmarks/accuracy_real.py's final stage: realistic phantoms 0-19, `--neck`
neck phantoms (`neck_options`, seeds 0..), the 5 real CTs in /work/shared/data with 12
re-acquired copies each, real share 0.5. The shipped file is the checkpoint of the first
epoch (388 iterations; model.last.pt), vertapp/resources/models/MODEL_CARD.md says why.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))


def main() -> None:
    from accuracy_real import DATA, import_real, phantom_samples

    from vertapp.jobs import run_job
    from vertapp.labels import VERTEBRAE
    from vertapp.ml.checkpoint import read_checkpoint, stored_config
    from vertapp.ml.ct_variants import with_ct_variants
    from vertapp.ml.train import train_job

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", type=Path, required=True, help="the starter to fine-tune")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--iters", type=int, default=700)
    ap.add_argument("--lr", type=float, default=0.003)
    ap.add_argument("--neck", type=int, default=12)
    a = ap.parse_args()
    t0 = time.time()
    phantoms = a.out / "phantoms"
    if not (phantoms / "project.json").is_file():
        phantom_samples(20, a.out, a.neck)
    real = with_ct_variants(import_real(a.out, DATA), a.out / "real", 12, list(VERTEBRAE), 0)
    cfg = stored_config(read_checkpoint(a.start), a.start)
    per_epoch = max(1, (len(real) + 20 + a.neck) * cfg.views_per_image // cfg.batch_size)
    cfg = cfg.override(
        lr=a.lr,
        max_iterations=a.iters,
        epochs=a.iters // per_epoch + 1,
        val_fraction=0.0,
        real_share=0.5,
    )
    job = train_job(
        cfg, real, a.out / "model.pt", val_data=[], phantoms=phantoms, finetune_from=a.start
    )
    run_job(job, lambda e: print(e.message, flush=True) if e.stage != "train" else None)
    print(f"done in {time.time() - t0:.0f} s", flush=True)


if __name__ == "__main__":
    main()
