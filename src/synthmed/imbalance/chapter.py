"""The class-imbalance chapter's record (:mod:`synthmed.chapters`): its notebook, profile blocks, sources, cost
model and entry points. Aloo et al. (2022)."""

from __future__ import annotations

from collections.abc import Mapping

from synthmed import cost
from synthmed.chapters import Chapter, Notebook

PAPER = ("Aloo et al. (2022), Addressing class imbalance in chest X-ray classification with CycleGAN minority "
         "images and patient metadata")

# Where each class-imbalance value comes from: Aloo et al. (2022) for a value the paper states, "ours: why" otherwise.
_IMBALANCE_SOURCES = {
    "experiments": "ours: three experiments on the data here (issue 12); the paper's own is the first, at full scale",
    "variants": "Sec. 5.3 (DCNN-real, DCNN-real-meta, DCNN-real-synth-meta; MLP-meta Sec. 3.2); real_synth, "
                "logreg: ours, to separate the two ingredients; real_weighted, real_oversample: ours, controls "
                "that rebalance without CycleGAN images (issue 21)",
    "backbones": "Sec. 3.2, 5 (ResNet-50, DenseNet-121, VGG-16); quick/smoke: ours, 4-conv CNN for a CPU; a list "
                 "(plural) because the paper trains three: each entry is one `backbone`, a synthmed.models name",
    "image_size": "Sec. 4.2 (256 px); ours: NIH1000 files are 64 px, quick/smoke use 32 px for a CPU",
    "seeds": "ours: the paper reports one run; 5 seeds, each drawing subsample, CycleGAN, synthetic set, classifier",
    "epochs": "Figs. 3-5 (9-10 epochs per figure)",
    "meta_epochs": "ours: not stated (the metadata MLP alone is small and cheap)",
    "batch_size": "ours: not stated",
    "lr": "ours: not stated (Adam 1e-3 on a CPU; 1e-4 for the pretrained-size backbones)",
    "weight_decay": "ours: not stated (Adam weight decay 1e-4, classifiers and metadata MLP)",
    "keep": "Table 1 = last epoch of Figs. 3-5 (paper profile: last); quick/smoke: ours, best validation ROC-AUC",
    "synthetic_ratio": "abstract, Sec. 6 (minority grown by half the majority)",
    "synthetic_metadata": "ours: not stated (a translated image keeps its source image's metadata)",
    "specificity": "ours: second threshold fixed on validation specificity, to separate prior shift (issue 12)",
    "cap": "ours: at most 10 images of one patient in NIH1000 validation or test (issue 12)",
    "gan_steps": "ours: not stated (paper: CycleGAN, Sec. 5.2); paper profile: reference implementation scale",
    "gan_width": "ours: not stated; paper profile: Zhu et al.'s reference width 64",
    "gan_blocks": "ours: not stated; paper profile: Zhu et al.'s 6 residual blocks",
    "gan_batch": "ours: not stated; paper profile: Zhu et al.'s batch size 1",
    "weights": "Sec. 5 (ImageNet-pretrained); ours: none downloadable here, random initialisation",
    "workers": "ours: parallel single-thread processes on a CPU",
    "n_show": "ours: images in the translation figure",
}

# experiments: nih_patient | pneumonia_minority | metadata_only (synthmed.imbalance.experiment.EXPERIMENTS);
# variants: synthmed.imbalance.experiment.VARIANTS; image_size: NIH1000 pixels; gan_*: the CycleGAN;
# specificity: validation specificity that fixes the second threshold; cap: images per patient in val/test.
_IMBALANCE = {
    "smoke": {"experiments": ["nih_patient", "pneumonia_minority", "metadata_only"],
              "variants": ["real", "real_meta", "real_synth_meta", "real_synth", "real_weighted",
                           "real_oversample", "meta", "logreg"],
              "backbones": ["smallcnn"], "image_size": 32, "seeds": [0, 1], "epochs": 1, "meta_epochs": 2,
              "batch_size": 64, "lr": 1e-3, "weight_decay": 1e-4, "keep": "best", "synthetic_ratio": 0.5,
              "synthetic_metadata": "source", "specificity": 0.8, "cap": 10, "gan_steps": 2, "gan_width": 4,
              "gan_blocks": 1, "gan_batch": 2, "weights": None, "workers": 1, "n_show": 4},
    "quick": {"experiments": ["nih_patient", "pneumonia_minority", "metadata_only"],
              "variants": ["real", "real_meta", "real_synth_meta", "real_synth", "real_weighted",
                           "real_oversample", "meta", "logreg"],
              "backbones": ["smallcnn"], "image_size": 32, "seeds": [0, 1, 2, 3, 4], "epochs": 10,
              "meta_epochs": 60, "batch_size": 32, "lr": 1e-3, "weight_decay": 1e-4, "keep": "best",
              "synthetic_ratio": 0.5, "synthetic_metadata": "source", "specificity": 0.8, "cap": 10, "gan_steps": 200,
              "gan_width": 8, "gan_blocks": 2, "gan_batch": 4, "weights": None, "workers": 2, "n_show": 6},
    "paper": {"experiments": ["nih_patient", "pneumonia_minority", "metadata_only"],
              "variants": ["real", "real_meta", "real_synth_meta", "real_synth", "real_weighted",
                           "real_oversample", "meta", "logreg"],
              "backbones": ["resnet50", "densenet121", "vgg16"], "image_size": 64, "seeds": [0, 1, 2, 3, 4],
              "epochs": 10, "meta_epochs": 60, "batch_size": 32, "lr": 1e-4, "weight_decay": 1e-4, "keep": "last",
              "synthetic_ratio": 0.5, "synthetic_metadata": "source", "specificity": 0.8, "cap": 10,
              "gan_steps": 20000, "gan_width": 64, "gan_blocks": 6, "gan_batch": 1, "weights": None,
              "workers": 1, "n_show": 8},
}


# Training images (negatives, positives) of each image experiment after the paper's 212 : 700 subsampling of the
# positives, counted by synthmed.imbalance.experiment.prepare_data on the shared data (tests/test_imbalance_cost.py
# checks them): NIH1000 re-split by patient keeps 256 + 78 in training; PneumoniaMNIST 1,214 normal + 368 pneumonia.
TRAIN_IMAGES = {"nih_patient": (256, 78), "pneumonia_minority": (1214, 368)}


def workload(notebook: str, s: Mapping) -> list[cost.Workload]:
    """What the imbalance notebook trains under settings ``s``, counted as the experiment runs it
    (:func:`synthmed.imbalance.experiment.specs`): per image experiment, backbone and variant, one classifier per
    seed on the experiment's training images plus what the variant adds (CycleGAN images or copies: the synthetic
    ratio times the majority), ``epochs`` passes at ``image_size``; one CycleGAN per image experiment and seed that
    uses CycleGAN images (shared by the backbones; two generators and two discriminators, approximated by small
    CNNs of its width with its blocks). The metadata-only models (an MLP on three fields, a logistic regression)
    cost nothing beside them and are not listed."""
    from synthmed.imbalance.balance import n_synthetic  # here: these import torch
    from synthmed.imbalance.experiment import EXPERIMENTS, VARIANTS

    seeds, size = cost.count(s["seeds"]), s["image_size"]
    variants = set(cost.as_list(s["variants"]))
    out = []
    for experiment in cost.as_list(s["experiments"]):
        if experiment not in TRAIN_IMAGES:
            continue
        negatives, positives = TRAIN_IMAGES[experiment]
        added = n_synthetic(negatives, s["synthetic_ratio"])  # what "synthetic" and "copies" add
        chosen = [v for v in EXPERIMENTS[experiment][1] if v in variants and VARIANTS[v].images]
        for b in cost.as_list(s["backbones"]):
            for v in chosen:
                n = negatives + positives + (added if VARIANTS[v].adds else 0)
                out.append(cost.Workload(notebook, f"{b} classifiers ({experiment}, {v})", seeds, s["epochs"] * n,
                                         cost.model_name(b), size))
        if any(VARIANTS[v].adds == "synthetic" for v in chosen):
            out.append(cost.Workload(notebook, f"CycleGAN ({experiment})", seeds, s["gan_steps"] * s["gan_batch"],
                                     "smallcnn", size, width=s["gan_width"], factor=4.0 * (1 + s["gan_blocks"] / 3)))
    return out


CHAPTER = Chapter(
    name="imbalance", title="Class imbalance", paper=PAPER, position=30,
    notebooks=(Notebook("imbalance", _IMBALANCE, _IMBALANCE_SOURCES, workload=workload, verdicts=True),),
    claims=("claims.yaml",),
    stages={"specs": "synthmed.imbalance.experiment:specs_from_settings",
            "runs": "synthmed.imbalance.experiment:run_seed", "rows": "synthmed.imbalance.experiment:results_frame",
            "report": "synthmed.imbalance.report:prepare_claims",
            "bundle": "synthmed.imbalance.cpu_scale:bundle_spec"},
)

# The classifier of the CPU-scale bundle (synthmed.imbalance.cpu_scale, whose comment gives the probes that chose
# it): named here, with the profiles, so that model choices live in the chapter's record alone.
CPU_SCALE_BACKBONE = "smallcnn"
