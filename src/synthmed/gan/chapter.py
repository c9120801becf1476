"""The GAN-ensembles chapter's record (:mod:`synthmed.chapters`): four notebooks sharing one profile block (so they
read the same cached zoo, features and downstream runs), its sources, cost model and entry points.
Tronchin et al. (arXiv:2503.24258)."""

from __future__ import annotations

from collections.abc import Mapping

from synthmed import cost
from synthmed.chapters import Chapter, Notebook

PAPER = "Tronchin et al. (2025), Multi-objective search of GAN ensembles for synthetic medical training data"

# Where each GAN-ensembles value comes from: Tronchin et al. (arXiv:2503.24258) where the paper states it.
_GAN_SOURCES = {
    "datasets": "Sec. 3.1 (PneumoniaMNIST, BreastMNIST; AIforCOVID is not public)",
    "gans": "ours: 7 small GANs spanning the paper's design axes (paper: 22 StudioGAN models, Sec. 3.2); quick: 5 "
            "of them (a concatenation-, projection-, auxiliary-classifier-, least-squares- and style-based GAN), "
            "as every replicate retrains the zoo (issue 33)",
    "gan_iters": "Sec. 3 (100 000 iterations); quick/smoke: ours, a CPU budget (the zoo page shows each "
                 "snapshot's samples and FID); quick 400 (was 1 000), as every replicate retrains the zoo (issue "
                 "33: three zoos per dataset in the cold-build budget)",
    "gan_snapshots": "Sec. 3.2.5 (every 20 000 iterations: 5); quick/smoke: ours, 2 (a third early snapshot "
                     "added a third of the downstream runs and features for the cold-build budget of issue 20)",
    "gan_batch": "ours: not stated here (authors' configs)",
    "image_size": "Sec. 3.1 and A1: the authors resize every image with a Lanczos filter (Pillow) before GAN and "
                  "downstream training, to the size of Sec. 3.1 (the number is missing from our copy of the "
                  "text); paper (and the CPU-scale bundle): 32 px, the size of the authors' public configs "
                  "(Lanczos, crop_long_edge: a no-op on square images); quick/smoke: ours, None keeps the MedMNIST "
                  "file's size (28 px: 32 px costs the same on this CPU but retrains every quick step and may move "
                  "its verdicts, left to a build that refreshes the reference); a size resizes every split with "
                  "Lanczos",
    "gan_width": "ours: small networks for a CPU",
    "n_feat": "Sec. A2.1 (the same number of synthetic and real training images: the real training images, "
              "paper profile); quick/smoke: ours, fewer for a CPU; the same count for every backbone (Table 5)",
    "k": "Naeem et al. (2020) default k = 5 (authors' code: nearest_k = 5)",
    "simclr_steps": "ours: SimCLR-style stand-in for SwAV (no SwAV weights offline)",
    "supervised_epochs": "ours: in-domain supervised stand-in for the medical fine-tuned backbones, trained as a "
                         "classifier for at most this many epochs",
    "supervised_patience": "ours: the supervised trunk stops after this many epochs without a better validation "
                           "balanced accuracy (its plateau; issue 33 item 3) and keeps its best epoch",
    "simclr_model": "ours: the trunk of the SimCLR stand-in for SwAV (a synthmed.models name; a small CNN, trained "
                    "here from scratch)",
    "embedding_model": "ours: the trunk of the supervised and the random embedding (a synthmed.models name); "
                       "paper: ResNet-18, as the paper's ResNet50 / -Med backbones of Table 5 are not "
                       "available here; quick/smoke: the small CNN of simclr_model, so that Table 5's in-domain "
                       "backbones differ only in training (a ResNet-18 embedding took 108-140 s per dataset and "
                       "backbone on this CPU, the small CNN 11 s)",
    "n_inception": "ours: Inception-v3 FID images per snapshot on the zoo page; Inception at 299 px is slow on "
                   "a CPU (quick: 24, since 48 took 133 s per dataset; the figure reads a trend, not a level; "
                   "smoke: 4, which only shows that the code path runs)",
    "backbones": "Table 5 (SwAV, InceptionV3, ResNet50, -Med): the search's feature-embedding networks, not the "
                 "classifier's `backbone`; ours: offline substitutes; quick drops Inception-v3 (n_feat images per "
                 "candidate at 299 px is hours on a CPU)",
    "pop_size": "Sec. A2.2 (1 000 search iterations: pop_size × n_gen, in the paper and quick profiles; the "
                "authors' code: 1 000 Optuna trials, a multi-objective TPE sampler); ours: NSGA-II from pymoo",
    "n_gen": "Sec. A2.2 (see pop_size); small spaces are enumerated exactly",
    "backbone": "Sec. 4.1 (ResNet-18, the downstream classifier); quick/smoke: ours, smallcnn for a CPU; any "
                "synthmed.models name (not one of `backbones`, which are Table 5's embedding networks)",
    "backbone_width": "ours: first-block width of the downstream smallcnn (unused by the torchvision models)",
    "epochs": "Sec. A1 (max 100 epochs); quick/smoke: ours",
    "patience": "Sec. A1 (early stopping after 25 epochs without improvement); quick/smoke: ours",
    "warmup": "Sec. A1 (a 25-epoch warm-up before early stopping); quick/smoke: ours, none (8 / 2 epochs)",
    "plateau_patience": "Sec. A1 (learning rate divided by 10 after five epochs without improvement); "
                        "quick/smoke: ours, 2 epochs of 8 / 2",
    "batch_size": "Sec. A1 (64); quick: ours, 32 (at 64, 8 epochs of BreastMNIST stopped early on a constant "
                  "predictor)",
    "lr": "Sec. A1 (Adam, 1e-3, divided by 10 on a validation-loss plateau)",
    "weight_decay": "the authors' public configs (Adam weight decay 1e-5; paper profile and the CPU-scale bundle); "
                    "quick/smoke: ours, 0 so far (1e-5 retrains every quick classifier and may move its verdicts: "
                    "left to a build that refreshes the reference)",
    "n_train": "Sec. 4.1 (every training set has the real training split's size; None: the whole split); "
               "quick/smoke: ours, 600 / 128 real training images, on which the GANs are trained too, and every "
               "synthetic set has as many",
    "repeats": "Sec. 4.1 and A1 (20 runs); the replicates of the whole chapter: replicate r's seed (seed + r) "
               "reaches the real subset, the zoo, the embeddings, the searches, the random draws, the samples "
               "and the classifier (issue 33); quick: ours, 3 (the fewest that give an interval)",
    "max_oracle": "Sec. 4.1 (every Pareto solution trained); quick/smoke: ours, the whole front up to this many "
                  "solutions, evenly spaced beyond",
    "table4_sizes": "Sec. 4.1 (3 to 7 of 22 models); ours: fewer than the 7 of the zoo",
    "table4_draws": "ours: several independent random draws per size and replicate (issue 13); quick: 2",
    "naive_im": "Sec. A4 (Tables A3-A5: Naive (I), every snapshot of one GAN; Naive (M), every GAN at one snapshot; "
                "one downstream classifier per ensemble and repeat)",
    "fidelity_backbone": "Table 6 (FID: Inception-v3, paper profile); quick/smoke: ours, a backbone the search "
                         "did not use, cheap on a CPU; Table 6 is held out (fresh samples, validation images)",
    "workers": "ours: parallel single-thread processes on a CPU",
    "seed": "ours",
}

# One block shared by the four notebooks, so they read the same cached zoo, features and downstream runs.
# n_train: the real training images every step uses (GANs, search reference, real baseline; every synthetic
# training set has as many; None: the whole split). n_feat / n_inception: real reference images AND generated
# images per candidate and per ensemble (equal counts; None: n_train's). Downstream: Adam lr 1e-3, LR / 10
# after plateau_patience epochs without improvement, early stopping after patience such epochs once warmup
# epochs have passed (paper, Sec. A1); epochs = the maximum. max_oracle: cap on trained Pareto solutions.
# backbone: the downstream classifier's network; backbones: the search's embedding networks (Table 5), whose
# trunks are simclr_model and embedding_model.
_SHARED = {
    "smoke": {"datasets": ["breastmnist"], "gans": ["dcgan", "sngan", "style"], "gan_iters": 20,
              "gan_snapshots": 2, "gan_batch": 32, "gan_width": 8, "image_size": None, "n_feat": 30, "k": 3,
              "simclr_steps": 5, "supervised_epochs": 1, "supervised_patience": None, "simclr_model": "smallcnn",
              "embedding_model": "smallcnn", "n_inception": 4,
              "backbones": ["simclr", "supervised"], "pop_size": 16, "n_gen": 5, "backbone": "smallcnn",
              "backbone_width": 8, "epochs": 2, "patience": None, "warmup": 0, "plateau_patience": 2,
              "batch_size": 32, "lr": 1e-3, "weight_decay": 0.0,
              "n_train": 128, "repeats": 2, "max_oracle": 3, "table4_sizes": [2], "table4_draws": 2,
              "naive_im": True,
              "fidelity_backbone": "random", "workers": 1, "seed": 0},
    "quick": {"datasets": ["pneumoniamnist", "breastmnist"],
              "gans": ["dcgan", "sngan", "acgan", "lsgan", "style"], "gan_iters": 400,
              "gan_snapshots": 2, "gan_batch": 32, "gan_width": 16, "image_size": None, "n_feat": 500, "k": 5,
              "simclr_steps": 100, "supervised_epochs": 15, "supervised_patience": 3, "simclr_model": "smallcnn",
              "embedding_model": "smallcnn", "n_inception": 24,
              "backbones": ["simclr", "supervised", "random"], "pop_size": 40, "n_gen": 25,
              "backbone": "smallcnn", "backbone_width": 8, "epochs": 8, "patience": 4,
              "warmup": 0, "plateau_patience": 2, "batch_size": 32, "lr": 1e-3, "weight_decay": 0.0,
              "n_train": 600, "repeats": 3,
              "max_oracle": 6,
              "table4_sizes": [3, 5], "table4_draws": 2, "naive_im": True, "fidelity_backbone": "supervised",
              "workers": 2,
              "seed": 0},
    "paper": {"datasets": ["pneumoniamnist", "breastmnist"],
              "gans": ["dcgan", "sngan", "acgan", "wgangp", "lsgan", "diffaug", "style"],
              "gan_iters": 100000, "gan_snapshots": 5, "gan_batch": 64, "gan_width": 64, "image_size": 32,
              "n_feat": None,
              "k": 5, "simclr_steps": 5000, "supervised_epochs": 100, "supervised_patience": 10,
              "simclr_model": "smallcnn",
              "embedding_model": "resnet18", "n_inception": 2000,
              "backbones": ["simclr", "inception", "supervised", "random"], "pop_size": 50, "n_gen": 20,
              "backbone": "resnet18", "backbone_width": 16, "epochs": 100, "patience": 25,
              "warmup": 25, "plateau_patience": 5, "batch_size": 64, "lr": 1e-3, "weight_decay": 1e-5,
              "n_train": None,
              "repeats": 20, "max_oracle": 1000,
              "table4_sizes": [3, 4, 5, 6], "table4_draws": 3, "naive_im": True, "fidelity_backbone": "inception",
              "workers": 2, "seed": 0},
}


def zoo_workload(notebook: str, s: Mapping) -> list[cost.Workload]:
    """GAN trainings: every replicate trains the zoo on every dataset (``repeats`` replicates); G and D of the
    GAN's width, approximated by a small CNN of that width each; D sees real and fake images."""
    size = cost.image_size(cost.as_list(s["datasets"])[0])
    runs = cost.count(s["gans"]) * cost.count(s["datasets"]) * s["repeats"]
    return [cost.Workload(notebook, "GAN trainings", runs, s["gan_iters"] * s["gan_batch"] * 2, "smallcnn", size,
                          width=s["gan_width"], factor=2.0)]


def downstream_sets(s: Mapping) -> int:
    """Training sets one replicate trains on one dataset, one classifier each (what
    :func:`synthmed.gan.experiment.replicate_record` asks for; two strategies that chose one ensemble share its run,
    so what runs can be fewer): real, eq. 6's choice, Naive (A), Naive (R)'s draw, every single candidate
    (gans x snapshots), the trained Pareto front of every backbone's search (at most ``max_oracle`` solutions each,
    and here at most one per candidate: the quick fronts had 3 to 15 solutions for 14 candidates), Naive (I) per
    GAN and Naive (M) per snapshot, the four Table A2 searches' choices and Table 4's search spaces."""
    cands = cost.count(s["gans"]) * s["gan_snapshots"]
    front = min(s["max_oracle"], cands)
    n = 4 + cands + cost.count(list(dict.fromkeys(cost.as_list(s["backbones"])))) * front + 4
    n += cost.count(s["table4_sizes"]) * s["table4_draws"]
    if s["naive_im"]:
        n += cost.count(s["gans"]) + s["gan_snapshots"]
    return n


def downstream_workload(notebook: str, s: Mapping) -> list[cost.Workload]:
    """Downstream classifiers: :func:`downstream_sets` per dataset and replicate."""
    datasets = cost.as_list(s["datasets"])
    n_train = s["n_train"] or sum(cost.train_size(d) for d in datasets) / len(datasets)
    return [cost.Workload(notebook, "downstream classifiers", len(datasets) * s["repeats"] * downstream_sets(s),
                          s["epochs"] * n_train, cost.model_name(s["backbone"]), cost.image_size(datasets[0]),
                          s["backbone_width"])]


CHAPTER = Chapter(
    name="gan", title="GAN ensembles", paper=PAPER, position=20,
    notebooks=(
        Notebook("gan_zoo", _SHARED, _GAN_SOURCES, workload=zoo_workload),
        Notebook("gan_ensemble", _SHARED, _GAN_SOURCES, workload=downstream_workload, verdicts=True),
        Notebook("gan_backbones", _SHARED, _GAN_SOURCES, verdicts=True,
                 not_modelled="its SimCLR / supervised embedding nets are not modelled; its downstream runs are "
                              "gan_ensemble's"),
        Notebook("gan_fidelity", _SHARED, _GAN_SOURCES, verdicts=True,
                 not_modelled="its Inception features are not modelled; its downstream runs are gan_ensemble's"),
    ),
    claims=("claims.yaml",),
    # No separate specs stage: experiment.chapter builds the zoo, the searches and the downstream runs from the
    # settings in one cached call.
    stages={"runs": "synthmed.gan.experiment:chapter", "rows": "synthmed.gan.experiment:strategy_runs",
            "report": "synthmed.gan.report:judge", "bundle": "synthmed.gan.cpu_scale:bundle_spec"},
)

# The network of every model role in the CPU-scale bundle (synthmed.gan.cpu_scale.CPU, with its sources there):
# named here, with the profiles, so that model choices live in the chapter's record alone.
CPU_SCALE_MODEL = "smallcnn"
