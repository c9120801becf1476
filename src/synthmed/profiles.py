"""Profiles and defaults for every notebook, in one place.

A notebook's ``parameters`` cell sets each knob to ``None``; :func:`resolve` fills every ``None`` from the profile
and keeps every explicit value (a papermill ``-p`` always wins). Profiles:

- ``smoke``: seconds per notebook, tiny models. What ``make test`` executes: shows the code path runs, not that a
  paper reproduces.
- ``quick`` (default): minutes per notebook on a 2-core CPU. What the book shows when built on a laptop.
- ``paper``: the papers' own settings. Meant for a GPU.

The profile itself defaults to ``$SYNTHMED_PROFILE``, else ``quick``. :func:`from_notebook` also makes the run's
:class:`~synthmed.context.RunContext` (``settings.context``), which the notebook passes to the executor; this module
reads the environment but never writes it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from synthmed.context import RunContext

PROFILES = ("smoke", "quick", "paper")
DEFAULT_PROFILE = "quick"

# The MedMNIST files the book can use when they are present (the paper datasets not here are reported as such).
_LOCAL_MEDMNIST = ["breastmnist", "breastmnist_64", "pneumoniamnist", "retinamnist"]

# TSynD classifier and generator settings, shared by its three notebooks (so they reuse each other's runs).
# Length: `epochs` (paper: 100, keeping the best validation model, one evaluation per epoch) or, when epochs is None,
# a fixed number of `iterations` with validation every `eval_every`. latent_units "std": noise_sigma and ascent_lr in
# units of the training latents' std (CPU profiles, our small VQ-VAE); "absolute": as the paper states them.
# noise_sigma is a standard deviation. Under quick the ascent can move a latent by up to ascent_steps x ascent_lr =
# 0.6 std, 6x the noise sigma (issue 24; the paper: 50 x 0.1 = 5, 5x its sigma 1.0). fgsm_eps and the attacks are in
# [0, 1] pixels. Sources of every value: _TSYND_SOURCES.
_TSYND_FIXED = {"mc_hidden": 128, "mc_dropout": 0.5, "weight_decay": 1e-4, "vqvae_latent_dim": 16,
                "vqvae_codebook": 256, "vqvae_lr": 2e-3, "vqvae_batch": 64}
_TSYND_SHARED = {
    "smoke": {"arch": "smallcnn", "epochs": None, "iterations": 10, "batch_size": 16, "eval_every": 5, "lr": 0.001,
              "k": 4, "noise_sigma": 0.1, "latent_units": "std", "ascent_steps": 2, "ascent_lr": 0.15,
              "vqvae_steps": 10, "vqvae_hidden": 16, "test_sigma": 0.2, "fgsm_eps": 0.02, "pgd_steps": 3,
              "eps_sweep": [0.01, 0.04], "workers": 1, **_TSYND_FIXED},
    "quick": {"arch": "smallcnn", "epochs": None, "iterations": 200, "batch_size": 32, "eval_every": 25,
              "lr": 0.001, "k": 10, "noise_sigma": 0.1, "latent_units": "std", "ascent_steps": 4,
              "ascent_lr": 0.15, "vqvae_steps": 300, "vqvae_hidden": 32, "test_sigma": 0.2, "fgsm_eps": 0.02,
              "pgd_steps": 10, "eps_sweep": [0.005, 0.01, 0.02, 0.04], "workers": 2, **_TSYND_FIXED},
    "paper": {"arch": "resnet18", "epochs": 100, "iterations": None, "batch_size": 32, "eval_every": None,
              "lr": 0.001, "k": 10, "noise_sigma": 1.0, "latent_units": "absolute", "ascent_steps": 50,
              "ascent_lr": 0.1, "vqvae_steps": 20000, "vqvae_hidden": 64, "test_sigma": 0.2, "fgsm_eps": 0.02,
              "pgd_steps": 10, "eps_sweep": [0.005, 0.01, 0.02, 0.04], "workers": 1, **_TSYND_FIXED},
}
# Where each TSynD value comes from: "Sec./Table ..." of Niemeijer et al. (2024) for a value the paper states (what the
# `paper` profile uses), "ours: why" for a value it does not state or that the CPU profiles change.
_TSYND_SOURCES = {
    "datasets": "Table 1 (six MedMNIST sets; those without a local file are reported untestable); "
                "pneumoniamnist, retinamnist: ours, extensions",
    "fraction": "Sec. 4 (training split subsampled to 1 % and 10 %)",
    "methods": "Table 1 (Baseline, Noise, TSynD); noise_matched: ours, a control (the ascent's displacement in a "
               "random direction)",
    "seeds": "Sec. 4 (training repeated three times); quick: ours, 5 paired seeds for a verdict",
    "n_samples": "ours: images in the sample figure",
    "sweep_sigmas": "ours: test-noise sweep around the paper's σ = 0.2 (issue 11)",
    "arch": "Sec. 4.1 (ResNet-18 for Table 1; DenseNet-121 is the paper's second classifier, also available); "
            "quick/smoke: ours, 4-conv CNN for a CPU",
    "epochs": "Sec. 4 (100 epochs, best validation model); quick/smoke: ours, fixed iterations for a CPU",
    "iterations": "ours: CPU profiles train a fixed number of steps (unused when epochs is set)",
    "eval_every": "ours: validation interval of the CPU profiles (paper profile: once per epoch)",
    "batch_size": "ours: not stated (the paper says only that half of each batch is synthetic, Sec. 3.2)",
    "lr": "ours: not stated (Adam 1e-3)",
    "weight_decay": "ours: not stated (Adam weight decay 1e-4)",
    "mc_hidden": "ours: not stated (MC-dropout head: dropout, linear to 128 units, ReLU, dropout, linear; Sec. 3.1 "
                 "says only that dropout sits on the last layers)",
    "mc_dropout": "ours: not stated (dropout probability 0.5 in the MC head)",
    "k": "ours: not stated (K dropout masks on the last layers, Sec. 3.1)",
    "noise_sigma": "Sec. 4 (latent noise 0.1 or 1.0, absolute; the paper writes N(0, σI), which we read as a "
                   "standard deviation σ); quick/smoke: ours, 0.1 latent std",
    "latent_units": "Sec. 4 (absolute values, for the paper's VQGAN latents); quick/smoke: ours, units of the "
                    "latents' std (our small VQ-VAE's latents have another spread than the paper's VQGAN's)",
    "ascent_steps": "Sec. 4 (50 or 100 ascent iterations); quick/smoke: ours, 4 / 2 for a CPU",
    "ascent_lr": "Sec. 4 (ascent learning rate 0.1; the optimiser is not stated: Adam is ours, since plain gradient "
                 "ascent at 0.1 barely moves the latent); quick/smoke: ours, 0.15 latent std, so that steps x lr "
                 "is at least 3x the noise σ as in the paper's settings",
    "vqvae_steps": "ours: not stated (VQ-VAE trained on the full training split, Sec. 4; the paper uses a VQGAN)",
    "vqvae_hidden": "ours: not stated (VQ-VAE architecture not given)",
    "vqvae_latent_dim": "ours: not stated (channels of our VQ-VAE latent, at 1/4 of the image size)",
    "vqvae_codebook": "ours: not stated (codebook entries of our VQ-VAE)",
    "vqvae_lr": "ours: not stated (Adam learning rate of our VQ-VAE, cosine schedule)",
    "vqvae_batch": "ours: not stated (VQ-VAE batch size)",
    "test_sigma": "Sec. 4 (Gaussian noise σ = 0.2 added to the test data; the pixel range is not stated: applied on "
                  "[0, 1] pixels, and on [-1, 1] pixels as the gaussian_pm1 condition, i.e. 0.1 on [0, 1])",
    "fgsm_eps": "ours: not stated (FGSM as in Goodfellow et al., Sec. 4); also PGD's and the transfer attack's ε",
    "pgd_steps": "ours: PGD (L-inf, step ε/4, random start; ART) as a multi-step check of the FGSM result",
    "eps_sweep": "ours: FGSM ε values around fgsm_eps (issue 24)",
    "workers": "ours: parallel single-thread processes on a CPU",
}
# TSynD Table 2 (tsynd_uncertainty) and Fig. 2 (tsynd_explain): their own keys, over the shared ones above.
_TSYND_UNCERTAINTY_SOURCES = {
    "datasets": "ours: the paper's Table 2 sets (OrganSMNIST, NIH Chest X-ray, OCTMNIST) are not in the data "
                "layer; local MedMNIST sets instead",
    "fraction": "Table 2 (1 % and 10 %); quick: ours, 10 % only, to stay within the CPU budget",
    "seeds": "Sec. 4 (three repeats); quick: ours, 5 paired seeds for a verdict",
    "objectives": "Table 2, Sec. 4.2 (mutual information vs predictive entropy)",
}
_TSYND_PAPER_SOURCES = {
    "results_root": "ours: the checkout whose results/paper/tsynd/ holds the committed paper-scale runs (issue 23)",
}
_TSYND_EXPLAIN_SOURCES = {
    "dataset": "ours: the paper's Fig. 2 uses NIH Chest X-ray, not in the TSynD data layer; BreastMNIST instead",
    "fraction": "ours: the 10 % runs of Table 1, reused from the cache",
    "seeds": "Sec. 4 (three repeats); quick: ours, 5 paired seeds for a verdict",
    "n_images": "ours: every test image (the paper shows a few, Fig. 2)",
    "step": "ours: the paper's Fig. 2 is qualitative; a step well below the typical crossing distance",
    "max_steps": "ours: budget of the walk (step x max_steps latent std)",
    "n_show": "ours: images in the two figures",
}

# The chapter notebooks that judge claims and write verdicts for the Scorecard (synthmed.claims.write_verdicts).
_VERDICT_CHAPTERS = ["tsynd", "tsynd_uncertainty", "tsynd_explain", "tsynd_paper", "gan_ensemble", "gan_backbones", "gan_fidelity",
                     "imbalance"]
_SCORECARD_SOURCES = {"chapters": "ours: the chapter notebooks that write verdicts"}
_DATA_SOURCES = {
    "datasets": "ours: the MedMNIST files on this machine that the chapters use",
    "include_nih": "ours: NIH1000 and the first-visit selection shown when their files are present",
    "per_class": "ours: example images shown per class",
    "seed": "ours: which examples are drawn",
}
_COMPUTE_SOURCES = {"runs_file": "ours: the runner's record of the last build (book/executed/runs.json)"}

# Where each class-imbalance value comes from: Aloo et al. (2022) for a value the paper states, "ours: why" otherwise.
_IMBALANCE_SOURCES = {
    "experiments": "ours: three experiments on the data here (issue 12); the paper's own is the first, at full scale",
    "variants": "Sec. 5.3 (DCNN-real, DCNN-real-meta, DCNN-real-synth-meta; MLP-meta Sec. 3.2); real_synth, "
                "logreg: ours, to separate the two ingredients; real_weighted, real_oversample: ours, controls "
                "that rebalance without CycleGAN images (issue 21)",
    "backbones": "Sec. 3.2, 5 (ResNet-50, DenseNet-121, VGG-16); quick/smoke: ours, 4-conv CNN for a CPU",
    "image_size": "Sec. 4.2 (256 px); ours: NIH1000 files are 64 px, quick/smoke use 32 px for a CPU",
    "seeds": "ours: the paper reports one run; 5 seeds, each drawing subsample, CycleGAN, synthetic set, classifier",
    "epochs": "Figs. 3-5 (9-10 epochs per figure)",
    "meta_epochs": "ours: not stated (the metadata MLP alone is small and cheap)",
    "batch_size": "ours: not stated",
    "lr": "ours: not stated (Adam 1e-3 on a CPU; 1e-4 for the pretrained-size backbones)",
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

# Where each GAN-ensembles value comes from: Tronchin et al. (arXiv:2503.24258) where the paper states it.
_GAN_SOURCES = {
    "__notebooks__": ["gan_zoo", "gan_ensemble", "gan_backbones", "gan_fidelity"],
    "datasets": "Sec. 3.1 (PneumoniaMNIST, BreastMNIST; AIforCOVID is not public)",
    "gans": "ours: 7 small GANs spanning the paper's design axes (paper: 22 StudioGAN models, Sec. 3.2)",
    "gan_iters": "Sec. 3 (100 000 iterations); quick/smoke: ours, a CPU budget (the zoo page shows each "
                 "snapshot's samples and FID)",
    "gan_snapshots": "Sec. 3.2.5 (every 20 000 iterations: 5); quick/smoke: ours",
    "gan_batch": "ours: not stated here (authors' configs)",
    "gan_width": "ours: small networks for a CPU",
    "n_feat": "Sec. A2.1 (the same number of synthetic and real training images: the real training images, "
              "paper profile); quick/smoke: ours, fewer for a CPU; the same count for every backbone (Table 5)",
    "k": "Naeem et al. (2020) default k = 5 (authors' code: nearest_k = 5)",
    "simclr_steps": "ours: SimCLR-style stand-in for SwAV (no SwAV weights offline)",
    "supervised_epochs": "ours: in-domain supervised stand-in for the medical fine-tuned backbones",
    "n_inception": "ours: Inception-v3 FID images per snapshot on the zoo page; Inception at 299 px is slow on "
                   "a CPU",
    "backbones": "Table 5 (SwAV, InceptionV3, ResNet50, -Med); ours: offline substitutes; quick drops "
                 "Inception-v3 (n_feat images per candidate at 299 px is hours on a CPU)",
    "pop_size": "Sec. A2.2 (1 000 search iterations: pop_size × n_gen; the authors' code: 1 000 Optuna trials, "
                "a multi-objective TPE sampler); ours: NSGA-II from pymoo",
    "n_gen": "Sec. A2.2 (see pop_size); small spaces are enumerated exactly",
    "classifier": "Sec. 4.1 (ResNet-18); quick/smoke: ours, smallcnn for a CPU",
    "classifier_width": "ours: smallcnn width",
    "epochs": "Sec. A1 (max 100 epochs); quick/smoke: ours",
    "patience": "Sec. A1 (early stopping after 25 epochs without improvement); quick/smoke: ours",
    "warmup": "Sec. A1 (a 25-epoch warm-up before early stopping); quick/smoke: ours, none (8 / 2 epochs)",
    "plateau_patience": "Sec. A1 (learning rate divided by 10 after five epochs without improvement); "
                        "quick/smoke: ours, 2 epochs of 8 / 2",
    "batch_size": "Sec. A1 (64); quick: ours, 32 (at 64, 8 epochs of BreastMNIST stopped early on a constant "
                  "predictor)",
    "lr": "Sec. A1 (Adam, 1e-3, divided by 10 on a validation-loss plateau)",
    "n_train": "Sec. 4.1 (every training set has the real training split's size; None: the whole split); "
               "quick/smoke: ours, 600 / 128 real training images, on which the GANs are trained too, and every "
               "synthetic set has as many",
    "repeats": "Sec. 4.1 and A1 (20 runs); quick: ours, 5 paired seeds (issue 11)",
    "max_oracle": "Sec. 4.1 (every Pareto solution trained); quick/smoke: ours, the whole front up to this many "
                  "solutions, evenly spaced beyond",
    "table4_sizes": "Sec. 4.1 (3 to 7 of 22 models); ours: fewer than the 7 of the zoo",
    "table4_draws": "ours: several independent random draws per size (issue 13)",
    "fidelity_backbone": "Table 6 (FID: Inception-v3, paper profile); quick/smoke: ours, a backbone the search "
                         "did not use, cheap on a CPU; Table 6 is held out (fresh samples, validation images)",
    "workers": "ours: parallel single-thread processes on a CPU",
    "seed": "ours",
}

NOTEBOOKS: dict[str, dict[str, dict[str, Any]]] = {
    # ---- data chapter -------------------------------------------------------------------------------------------
    "data": {
        "smoke": {"datasets": ["breastmnist"], "include_nih": True, "per_class": 4, "seed": 0},
        "quick": {"datasets": _LOCAL_MEDMNIST, "include_nih": True, "per_class": 8, "seed": 0},
        "paper": {"datasets": _LOCAL_MEDMNIST, "include_nih": True, "per_class": 8, "seed": 0},
    },
    # ---- TSynD chapter (issue 3): tsynd, tsynd_uncertainty, tsynd_explain -----------------------------------------
    # The classifier/generator settings are shared (_TSYND_SHARED) so the three notebooks reuse each other's runs.
    "tsynd": {
        "smoke": {"datasets": ["breastmnist"], "fraction": [0.1],
                  "methods": ["baseline", "noise", "tsynd", "noise_matched"], "seeds": [0, 1], "n_samples": 3, "sweep_sigmas": [0.05, 0.2], **_TSYND_SHARED["smoke"]},
        "quick": {"datasets": ["breastmnist", "pneumoniamnist", "retinamnist"], "fraction": [0.01, 0.1],
                  "methods": ["baseline", "noise", "tsynd", "noise_matched"], "seeds": [0, 1, 2, 3, 4],
                  "n_samples": 6,
                  "sweep_sigmas": [0.02, 0.05, 0.1, 0.2], **_TSYND_SHARED["quick"]},
        "paper": {"datasets": ["breastmnist", "dermamnist", "octmnist", "organamnist", "organsmnist", "pathmnist",
                               "pneumoniamnist", "retinamnist"], "fraction": [0.01, 0.1],
                  "methods": ["baseline", "noise", "tsynd", "noise_matched"], "seeds": [0, 1, 2], "n_samples": 6,
                  "sweep_sigmas": [0.02, 0.05, 0.1, 0.2], **_TSYND_SHARED["paper"]},
    },
    "tsynd_uncertainty": {
        "smoke": {"datasets": ["breastmnist"], "fraction": [0.1], "seeds": [0, 1], "objectives": ["mi", "entropy"],
                  **_TSYND_SHARED["smoke"]},
        "quick": {"datasets": ["breastmnist"], "fraction": [0.1], "seeds": [0, 1, 2, 3, 4],
                  "objectives": ["mi", "entropy"], **_TSYND_SHARED["quick"]},
        "paper": {"datasets": ["breastmnist", "pneumoniamnist", "retinamnist"], "fraction": [0.01, 0.1],
                  "seeds": [0, 1, 2], "objectives": ["mi", "entropy"], **_TSYND_SHARED["paper"]},
    },
    # Fig. 2 as a measurement: step / max_steps of the latent walk (RMS per latent element, units of the latents'
    # std; synthmed.tsynd.fig2); n_images None walks the whole test split.
    "tsynd_explain": {
        "smoke": {"dataset": "breastmnist", "fraction": 0.1, "seeds": [0, 1], "n_images": 16, "step": 0.02,
                  "max_steps": 50, "n_show": 3, **_TSYND_SHARED["smoke"]},
        "quick": {"dataset": "breastmnist", "fraction": 0.1, "seeds": [0, 1, 2, 3, 4], "n_images": None,
                  "step": 0.005, "max_steps": 400, "n_show": 6, **_TSYND_SHARED["quick"]},
        "paper": {"dataset": "breastmnist", "fraction": 0.1, "seeds": [0, 1, 2], "n_images": None, "step": 0.005,
                  "max_steps": 400, "n_show": 6, **_TSYND_SHARED["paper"]},
    },
    # The paper-scale TSynD results (issue 23): read from results/paper/tsynd/ under every profile; the profile only
    # chooses which of the book's own BreastMNIST runs are shown beside them.
    "tsynd_paper": {p: {"results_root": None} for p in PROFILES},
    # ---- GAN-ensembles chapter (issues 4, 13): gan_zoo, gan_ensemble, gan_backbones, gan_fidelity -------------
    # One block shared by the four notebooks, so they read the same cached zoo, features and downstream runs.
    # n_train: the real training images every step uses (GANs, search reference, real baseline; every synthetic
    # training set has as many; None: the whole split). n_feat / n_inception: real reference images AND generated
    # images per candidate and per ensemble (equal counts; None: n_train's). Downstream: Adam lr 1e-3, LR / 10
    # after plateau_patience epochs without improvement, early stopping after patience such epochs once warmup
    # epochs have passed (paper, Sec. A1); epochs = the maximum. max_oracle: cap on trained Pareto solutions.
    **{_nb: {
        "smoke": {"datasets": ["breastmnist"], "gans": ["dcgan", "sngan", "style"], "gan_iters": 20,
                  "gan_snapshots": 2, "gan_batch": 32, "gan_width": 8, "n_feat": 30, "k": 3,
                  "simclr_steps": 5, "supervised_epochs": 1, "n_inception": 16,
                  "backbones": ["simclr", "supervised"], "pop_size": 16, "n_gen": 5, "classifier": "smallcnn",
                  "classifier_width": 8, "epochs": 2, "patience": None, "warmup": 0, "plateau_patience": 2,
                  "batch_size": 32, "lr": 1e-3,
                  "n_train": 128, "repeats": 2, "max_oracle": 3, "table4_sizes": [2], "table4_draws": 2,
                  "fidelity_backbone": "random", "workers": 1, "seed": 0},
        "quick": {"datasets": ["pneumoniamnist", "breastmnist"],
                  "gans": ["dcgan", "sngan", "acgan", "wgangp", "lsgan", "diffaug", "style"], "gan_iters": 3000,
                  "gan_snapshots": 3, "gan_batch": 32, "gan_width": 16, "n_feat": 500, "k": 5,
                  "simclr_steps": 100, "supervised_epochs": 1, "n_inception": 48,
                  "backbones": ["simclr", "supervised", "random"], "pop_size": 40, "n_gen": 40,
                  "classifier": "smallcnn", "classifier_width": 8, "epochs": 8, "patience": 4,
                  "warmup": 0, "plateau_patience": 2, "batch_size": 32, "lr": 1e-3, "n_train": 600, "repeats": 5,
                  "max_oracle": 6,
                  "table4_sizes": [3, 5], "table4_draws": 3, "fidelity_backbone": "supervised", "workers": 2,
                  "seed": 0},
        "paper": {"datasets": ["pneumoniamnist", "breastmnist"],
                  "gans": ["dcgan", "sngan", "acgan", "wgangp", "lsgan", "diffaug", "style"],
                  "gan_iters": 100000, "gan_snapshots": 5, "gan_batch": 64, "gan_width": 64, "n_feat": None,
                  "k": 5, "simclr_steps": 5000, "supervised_epochs": 20, "n_inception": 2000,
                  "backbones": ["simclr", "inception", "supervised", "random"], "pop_size": 50, "n_gen": 20,
                  "classifier": "resnet18", "classifier_width": 16, "epochs": 100, "patience": 25,
                  "warmup": 25, "plateau_patience": 5, "batch_size": 64, "lr": 1e-3, "n_train": None,
                  "repeats": 20, "max_oracle": 1000,
                  "table4_sizes": [3, 4, 5, 6], "table4_draws": 3, "fidelity_backbone": "inception",
                  "workers": 2, "seed": 0},
    } for _nb in ("gan_zoo", "gan_ensemble", "gan_backbones", "gan_fidelity")},
    # ---- class-imbalance chapter (issues 5, 12): imbalance ------------------------------------------------------
    # experiments: nih_patient | pneumonia_minority | metadata_only (synthmed.imbalance.experiment.EXPERIMENTS);
    # variants: synthmed.imbalance.experiment.VARIANTS; image_size: NIH1000 pixels; gan_*: the CycleGAN;
    # specificity: validation specificity that fixes the second threshold; cap: images per patient in val/test.
    "imbalance": {
        "smoke": {"experiments": ["nih_patient", "pneumonia_minority", "metadata_only"],
                  "variants": ["real", "real_meta", "real_synth_meta", "real_synth", "real_weighted",
                               "real_oversample", "meta", "logreg"],
                  "backbones": ["smallcnn"], "image_size": 32, "seeds": [0, 1], "epochs": 1, "meta_epochs": 2,
                  "batch_size": 64, "lr": 1e-3, "keep": "best", "synthetic_ratio": 0.5,
                  "synthetic_metadata": "source", "specificity": 0.8, "cap": 10, "gan_steps": 2, "gan_width": 4,
                  "gan_blocks": 1, "gan_batch": 2, "weights": None, "workers": 1, "n_show": 4},
        "quick": {"experiments": ["nih_patient", "pneumonia_minority", "metadata_only"],
                  "variants": ["real", "real_meta", "real_synth_meta", "real_synth", "real_weighted",
                               "real_oversample", "meta", "logreg"],
                  "backbones": ["smallcnn"], "image_size": 32, "seeds": [0, 1, 2, 3, 4], "epochs": 10,
                  "meta_epochs": 60, "batch_size": 32, "lr": 1e-3, "keep": "best", "synthetic_ratio": 0.5,
                  "synthetic_metadata": "source", "specificity": 0.8, "cap": 10, "gan_steps": 200,
                  "gan_width": 8, "gan_blocks": 2, "gan_batch": 4, "weights": None, "workers": 2, "n_show": 6},
        "paper": {"experiments": ["nih_patient", "pneumonia_minority", "metadata_only"],
                  "variants": ["real", "real_meta", "real_synth_meta", "real_synth", "real_weighted",
                               "real_oversample", "meta", "logreg"],
                  "backbones": ["resnet50", "densenet121", "vgg16"], "image_size": 64, "seeds": [0, 1, 2, 3, 4],
                  "epochs": 10, "meta_epochs": 60, "batch_size": 32, "lr": 1e-4, "keep": "last",
                  "synthetic_ratio": 0.5, "synthetic_metadata": "source", "specificity": 0.8, "cap": 10,
                  "gan_steps": 20000, "gan_width": 64, "gan_blocks": 6, "gan_batch": 1, "weights": None,
                  "workers": 1, "n_show": 8},
    },
    # ---- scorecard: reads every chapter's verdicts (synthmed.claims), trains nothing ------------------------------
    "scorecard": {p: {"chapters": _VERDICT_CHAPTERS} for p in PROFILES},
    # ---- compute chapter ----------------------------------------------------------------------------------------
    "compute": {
        "smoke": {"runs_file": None},
        "quick": {"runs_file": None},
        "paper": {"runs_file": None},
    },
}

_IPYTHON_NAMES = {"In", "Out", "exit", "quit", "get_ipython", "open"}
_PARAMETER_TYPES = (type(None), bool, int, float, str, list, tuple, dict)
_TRUE, _FALSE = {"true", "yes", "1", "on"}, {"false", "no", "0", "off"}


def sources(notebook: str) -> dict[str, str]:
    """{setting: where its value comes from} for ``notebook``: the paper's section or table for a value a paper
    states, "ours: why" for a value the project chose. Each chapter registers its own dict as ``_<CHAPTER>_SOURCES``
    beside its profile block; the notebooks a block serves share it."""
    found: dict[str, str] = {}
    for name, value in globals().items():
        if name.endswith("_SOURCES") and isinstance(value, dict):
            served = value.get("__notebooks__")
            prefix = name.strip("_").removesuffix("_SOURCES").lower()
            if (served and notebook in served) or (not served and notebook.startswith(prefix)):
                found.update({k: v for k, v in value.items() if k != "__notebooks__"})
    return found


class Settings(dict):
    """The resolved settings of one notebook run: a dict with attribute access that remembers its profile, which
    values were set explicitly, and (after :func:`from_notebook`) which datasets the data layer found
    (``data_status``: name -> "ok" or the reason it is missing). Shown in a notebook, it renders as a table with
    each value's origin and its source (the paper's section, or "ours: why")."""

    def __init__(self, notebook: str, profile: str, values: Mapping[str, Any], explicit: set[str]):
        super().__init__(values)
        self.notebook, self.profile, self.explicit = notebook, profile, frozenset(explicit)
        self.data_status: dict[str, str] = {}
        self.context: RunContext | None = None  # set by from_notebook

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as err:
            raise AttributeError(f"{self.notebook!r} has no setting {name!r}; it has: {', '.join(self)}") from err

    def usable(self, names: Any) -> list[str]:
        """The datasets among ``names`` that the data layer found (all of them before any check was made)."""
        names = names if isinstance(names, (list, tuple)) else [names]
        return [n for n in names if self.data_status.get(n, "ok") == "ok"]

    def table(self):
        """The settings as a frame: setting, value, from (explicit / profile), source."""
        import pandas as pd

        src = sources(self.notebook)
        rows = [{"setting": "profile", "value": self.profile, "from": "", "source": "smoke / quick / paper"}]
        rows += [{"setting": k, "value": repr(v), "from": "explicit" if k in self.explicit else "profile",
                  "source": src.get(k, "")} for k, v in self.items()]
        return pd.DataFrame(rows)

    def _repr_html_(self) -> str:
        import html

        rows = "".join(
            f"<tr><td><code>{html.escape(r['setting'])}</code></td><td><code>{html.escape(str(r['value']))}</code>"
            f"</td><td>{html.escape(r['from'])}</td><td>{html.escape(r['source'])}</td></tr>"
            for r in self.table().to_dict("records"))
        return (f'<table class="synthmed-settings"><thead><tr><th>setting</th><th>value</th><th>from</th>'
                f"<th>source</th></tr></thead><tbody>{rows}</tbody></table>")


def _hint(notebook: str, key: str) -> Any:
    """A non-None default of ``key`` in any profile (the type a parameter is parsed as), else None."""
    for profile in PROFILES:
        value = NOTEBOOKS[notebook][profile].get(key)
        if value is not None:
            return value
    return None


def _parse_text_list(text: str) -> list:
    stripped = text.strip()
    if stripped.startswith("["):
        import yaml

        try:
            value = yaml.safe_load(stripped)  # JSON is YAML
        except yaml.YAMLError as err:
            raise ValueError(f"not a list: {text!r} ({err})") from err
        if not isinstance(value, list):
            raise ValueError(f"not a list: {text!r}")
        return value
    return [part.strip() for part in stripped.split(",") if part.strip()]


def _convert_scalar(name: str, notebook: str, value: Any, like: Any) -> Any:
    """``value`` as the type of ``like`` (bool, int, float or str), converting text; ValueError naming ``name``."""
    def fail(expected: str):
        return ValueError(f"parameter {name!r} of notebook {notebook!r} expects {expected}, got {value!r}")

    if isinstance(like, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise fail("true or false")
    if isinstance(like, int):
        if isinstance(value, bool):
            raise fail("an integer")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                pass
        raise fail("an integer")
    if isinstance(like, float):
        if isinstance(value, bool):
            raise fail("a number")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise fail("a number")
    if isinstance(like, str):
        if isinstance(value, str):
            return value
        raise fail("a string")
    return value


def coerce(notebook: str, name: str, value: Any) -> Any:
    """Parse a parameter as the type its profiles give it.

    A list setting accepts one value, a comma-separated string ("breastmnist,pneumoniamnist") or a JSON/YAML list
    ('["breastmnist"]'); its items are converted like the profile's items (numbers given as text become numbers).
    A number, flag or string setting converts text ("0.01" -> 0.01) or raises ValueError naming the parameter.
    Settings whose profiles give no typed value (None everywhere, dicts) pass through unchanged.
    """
    like = _hint(notebook, name)
    if value is None or like is None:
        return value
    if isinstance(like, (list, tuple)):
        if isinstance(value, str):
            items = _parse_text_list(value)
        elif isinstance(value, (list, tuple)):
            items = list(value)
        else:
            items = [value]
        if not items:
            raise ValueError(f"parameter {name!r} of notebook {notebook!r} expects at least one value, got "
                             f"{value!r}")
        item_like = next((v for v in like if v is not None), None)
        if isinstance(item_like, float) or (like and all(isinstance(v, (int, float)) for v in like)
                                            and any(isinstance(v, float) for v in like)):
            item_like = 0.0
        return [_convert_scalar(name, notebook, v, item_like) if item_like is not None else v for v in items]
    if isinstance(like, dict):
        return value
    if isinstance(like, str) and isinstance(value, (list, tuple)):
        raise ValueError(f"parameter {name!r} of notebook {notebook!r} takes one value, got the list {value!r}")
    return _convert_scalar(name, notebook, value, like)


def resolve(notebook: str, profile: str | None = None, **params: Any) -> Settings:
    """Fill a notebook's parameters from a profile, each parsed as the type its profile gives it (:func:`coerce`).

    notebook: a key of :data:`NOTEBOOKS`; profile: one of :data:`PROFILES` or None ($SYNTHMED_PROFILE, else quick);
    params: the notebook's parameters, None meaning "take the profile's value". Raises ValueError naming the valid
    choices for an unknown notebook, profile or parameter, and naming the parameter for a value of the wrong type.
    """
    if notebook not in NOTEBOOKS:
        raise ValueError(f"unknown notebook {notebook!r}; valid notebooks: {', '.join(sorted(NOTEBOOKS))}")
    profile = profile or os.environ.get("SYNTHMED_PROFILE") or DEFAULT_PROFILE
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid profiles: {', '.join(PROFILES)}")
    defaults = NOTEBOOKS[notebook][profile]
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {', '.join(map(repr, unknown))} for notebook {notebook!r}; "
            f"valid parameters: profile, {', '.join(defaults)}"
        )
    explicit = {k for k, v in params.items() if v is not None}
    values = {k: (coerce(notebook, k, params[k]) if k in explicit else v) for k, v in defaults.items()}
    return Settings(notebook, profile, values, explicit)


def notebook_parameters(namespace: Mapping[str, Any]) -> dict[str, Any]:
    """The parameters a notebook holds in its global namespace: every public lower-case plain-data name (None, bool,
    number, str, list, tuple, dict) that is not an IPython built-in (capitalised names are constants), including
    those papermill injects without the parameters cell declaring them. Passing them to :func:`resolve` turns a
    mistyped papermill ``-p`` name into an error instead of a silently ignored value. ``profile`` is returned too."""
    return {
        k: v for k, v in namespace.items()
        if not k.startswith("_") and not k[0].isupper() and k not in _IPYTHON_NAMES
        and isinstance(v, _PARAMETER_TYPES)
    }


DATASET_KEYS = ("dataset", "datasets")


def environment_context(notebook: str | None = None, profile: str | None = None) -> RunContext:
    """A :class:`~synthmed.context.RunContext` from the arguments and the environment: ``notebook`` else
    ``$SYNTHMED_NOTEBOOK``; ``profile`` else ``$SYNTHMED_PROFILE`` (None when unset); the cache folder and event
    log of :mod:`synthmed.cache` (``$SYNTHMED_CACHE_DIR``, ``$SYNTHMED_CACHE_LOG``). The runner sets these variables
    in the environment of each notebook kernel it starts; nothing else writes them."""
    from synthmed import cache

    return RunContext(profile=profile or os.environ.get("SYNTHMED_PROFILE") or None,
                      notebook=notebook or os.environ.get("SYNTHMED_NOTEBOOK") or None,
                      cache_dir=cache.cache_dir(), cost_log=cache.event_log())


def from_notebook(notebook: str, namespace: Mapping[str, Any]) -> Settings:
    """The one call a notebook makes after its parameters: :func:`resolve` on the notebook's namespace, then every
    ``dataset``/``datasets`` setting checked through the data layer (:func:`synthmed.data.check.check_datasets`):
    an unknown name or a corrupt file stops the notebook with the data layer's message, and so does a missing file
    the user asked for; a missing file that only the profile lists is recorded in ``settings.data_status``.
    ``settings.context`` is the run's :class:`~synthmed.context.RunContext` (this notebook and its resolved profile,
    so the executor's cost records name them also for a notebook run by papermill alone or with ``-p profile``)."""
    from synthmed.data.check import check_datasets

    params = notebook_parameters(namespace)
    settings = resolve(notebook, **params)
    settings.context = environment_context(notebook=notebook, profile=settings.profile)
    for key in DATASET_KEYS:
        if key in settings and settings[key] is not None:
            value = settings[key]
            names = value if isinstance(value, (list, tuple)) else [value]
            settings.data_status.update(check_datasets(names, required=key in settings.explicit))
    return settings
