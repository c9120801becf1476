"""The TSynD chapter's record (:mod:`synthmed.chapters`): its four notebooks, their profile blocks and sources, its
cost model and its entry points. Niemeijer et al. (2024), TSynD."""

from __future__ import annotations

from collections.abc import Mapping

from synthmed import cost
from synthmed.chapters import PROFILE_NAMES, Chapter, Notebook

PAPER = "Niemeijer et al. (2024), TSynD: Targeted Synthetic Data Generation for Enhanced Medical Image Classification"
TSYND_ASCENT_PER_STEP = 0.6  # DESIGN.md probe: 5 ascent steps made a run ~4x a baseline run, 20 steps ~13x

# TSynD classifier and generator settings, shared by its three notebooks (so they reuse each other's runs).
# Length: `epochs` (paper: 100, keeping the best validation model, one evaluation per epoch) or, when epochs is None,
# a fixed number of `iterations` with validation every `eval_every`. latent_units "std": noise_sigma and ascent_lr in
# units of the training latents' std (every profile: the paper does not state its latent's scale, and an absolute
# sigma of 1.0 decoded to noise on our VQ-VAE, issue 32); "absolute": the numbers as the paper prints them.
# noise_sigma is a standard deviation. Under quick the ascent can move a latent by up to ascent_steps x ascent_lr =
# 0.5 std, 5x the noise sigma (issue 24; the paper: 50 x 0.1 = 5, 5x its sigma 1.0); one BreastMNIST run moved its
# latents 0.39 std on average, as far as 4 steps of 0.15 did (0.40), at three quarters of the run's time.
# fgsm_eps and the attacks are in [0, 1] pixels. Sources of every value: _TSYND_SOURCES.
_TSYND_FIXED = {"cnn_width": 16, "select_on": "accuracy", "mc_hidden": 128, "mc_dropout": 0.5, "weight_decay": 1e-4,
                "vqvae_latent_dim": 16, "vqvae_codebook": 256, "vqvae_lr": 2e-3, "vqvae_batch": 64}
_TSYND_SHARED = {
    "smoke": {"backbone": "smallcnn", "epochs": None, "iterations": 10, "batch_size": 16, "eval_every": 5,
              "lr": 0.001, "k": 4, "noise_sigma": 0.1, "latent_units": "std", "ascent_steps": 2, "ascent_lr": 0.15,
              "vqvae_steps": 10, "vqvae_hidden": 16, "test_sigma": 0.2, "sweep_sigmas": [0.05, 0.2],
              "fgsm_eps": 0.02, "pgd_steps": 3, "eps_sweep": [0.01, 0.04], "workers": 1, **_TSYND_FIXED},
    "quick": {"backbone": "smallcnn", "epochs": None, "iterations": 200, "batch_size": 32, "eval_every": 25,
              "lr": 0.001, "k": 10, "noise_sigma": 0.1, "latent_units": "std", "ascent_steps": 2,
              "ascent_lr": 0.25, "vqvae_steps": 300, "vqvae_hidden": 32, "test_sigma": 0.2,
              "sweep_sigmas": [0.02, 0.05, 0.1, 0.2], "fgsm_eps": 0.02, "pgd_steps": 5,
              "eps_sweep": [0.005, 0.01, 0.02, 0.04], "workers": 2, **_TSYND_FIXED},
    "paper": {"backbone": "resnet18", "epochs": 100, "iterations": None, "batch_size": 32, "eval_every": None,
              "lr": 0.001, "k": 10, "noise_sigma": 1.0, "latent_units": "std", "ascent_steps": 50,
              "ascent_lr": 0.1, "vqvae_steps": 20000, "vqvae_hidden": 64, "test_sigma": 0.2,
              "sweep_sigmas": [0.02, 0.05, 0.1, 0.2], "fgsm_eps": 0.02, "pgd_steps": 10,
              "eps_sweep": [0.005, 0.01, 0.02, 0.04], "workers": 1, **_TSYND_FIXED},
}

# Where each TSynD value comes from: "Sec./Table ..." of Niemeijer et al. (2024) for a value the paper states (what the
# `paper` profile uses), "ours: why" for a value it does not state or that the CPU profiles change.
_TSYND_SOURCES = {
    "datasets": "Table 1 (six MedMNIST sets; those without a local file are reported untestable); "
                "pneumoniamnist, retinamnist: ours, extensions",
    "fraction": "Sec. 4 (training split subsampled to 1 % and 10 %)",
    "methods": "Table 1 (Baseline, Noise, TSynD); noise_matched: ours, a control (the paired TSynD run's recorded "
               "per-image ascent displacement, replayed in a uniformly random direction from the same noisy latents)",
    "seeds": "Sec. 4 (training repeated three times); quick: ours, 5 paired seeds for a verdict",
    "n_samples": "ours: images in the sample figure",
    "sweep_sigmas": "ours: test-noise sweep around the paper's σ = 0.2 (issue 11)",
    "backbone": "Sec. 4.1 (ResNet-18 for Table 1; DenseNet-121 is the paper's second classifier, also available); "
                "quick/smoke: ours, 4-conv CNN for a CPU; any synthmed.models name",
    "epochs": "Sec. 4 (100 epochs, best validation model); quick/smoke: ours, fixed iterations for a CPU",
    "iterations": "ours: CPU profiles train a fixed number of steps (unused when epochs is set)",
    "eval_every": "ours: validation interval of the CPU profiles (paper profile: once per epoch)",
    "batch_size": "ours: not stated (the paper says only that half of each batch is synthetic, Sec. 3.2)",
    "lr": "ours: not stated (Adam 1e-3)",
    "weight_decay": "ours: not stated (Adam weight decay 1e-4)",
    "cnn_width": "ours: base width w of the 4-conv CNN (`smallcnn`: widths w, 2w, 4w, 4w); the paper's ResNet-18 "
                 "and the other backbones ignore it",
    "select_on": "Sec. 4 ('the best validation model'): the weights with the highest validation accuracy are kept",
    "mc_hidden": "ours: not stated (MC-dropout head: dropout, linear to 128 units, ReLU, dropout, linear; Sec. 3.1 "
                 "says only that dropout sits on the last layers)",
    "mc_dropout": "ours: not stated (dropout probability 0.5 in the MC head)",
    "k": "ours: not stated (K dropout masks on the last layers, Sec. 3.1)",
    "noise_sigma": "Sec. 4 (latent noise factor 'chosen empirically (either 0.1 or 1.0)'; the paper writes both "
                   "'uniform noise' and ε ~ N(0, σI) in the same paragraph: we draw Gaussian noise and read σ as its "
                   "standard deviation, in the units of latent_units); quick/smoke: ours, 0.1 latent std",
    "latent_units": "ours: the paper does not state the scale of σ and of the ascent learning rate (nor its "
                    "VQ-VAE's latent spread). We read both in units of the std of the VQ-VAE's training latents "
                    "(σ = 1.0: noise as large as the latent's own spread), in every profile: read as absolute "
                    "numbers, σ = 1.0 on our paper-profile VQ-VAE (latent std about 0.1 after 300 steps, 0.05 after "
                    "1,500 and still falling) decoded to noise (pixel RMS change 0.43 against the images' own pixel "
                    "std of 0.21; issue 32), so Noise and TSynD would have trained on decoder noise. Every run "
                    "records the latent std, the noise and the move in its units and the decoded pixel change",
    "ascent_steps": "Sec. 4 (50 or 100 ascent iterations); quick/smoke: ours, 2 for a CPU (steps x ascent_lr "
                    "is at least 3x noise_sigma, as in the paper)",
    "ascent_lr": "Sec. 4 (ascent learning rate 0.1, in the units of latent_units; the optimiser is not stated: Adam "
                 "is ours, since plain gradient ascent at 0.1 barely moves the latent); quick/smoke: ours, "
                 "0.25 / 0.15 latent std, so that "
                 "steps x lr is at least 3x the noise σ as in the paper's settings",
    "vqvae_steps": "ours: not stated (VQ-VAE trained on the full training split under each run's seed, Sec. 4)",
    "vqvae_hidden": "ours: not stated (VQ-VAE architecture not given)",
    "vqvae_latent_dim": "ours: not stated (channels of our VQ-VAE latent, at 1/4 of the image size)",
    "vqvae_codebook": "ours: not stated (codebook entries of our VQ-VAE)",
    "vqvae_lr": "ours: not stated (Adam learning rate of our VQ-VAE, cosine schedule)",
    "vqvae_batch": "ours: not stated (VQ-VAE batch size)",
    "test_sigma": "Sec. 4 (Gaussian noise σ = 0.2 added to the test data; the pixel range is not stated: applied on "
                  "[0, 1] pixels, and on [-1, 1] pixels as the gaussian_pm1 condition, i.e. 0.1 on [0, 1])",
    "fgsm_eps": "ours: not stated (FGSM as in Goodfellow et al., Sec. 4); also PGD's and the transfer attack's ε",
    "pgd_steps": "ours: PGD (L-inf, step ε/4, random start; ART) as a multi-step check of the FGSM result; "
                 "quick: 5 steps (they reach 1.25 ε from the random start), for the cold-build budget",
    "eps_sweep": "ours: FGSM ε values around fgsm_eps (issue 24)",
    "workers": "ours: parallel single-thread processes on a CPU",
}
# TSynD Table 2 (tsynd_uncertainty) and Fig. 2 (tsynd_explain): their own keys, over the shared ones above.
_TSYND_UNCERTAINTY_SOURCES = {
    "datasets": "Table 2 (OrganSMNIST, Chest X-ray, OCTMNIST): nih1000, a 1,000-image subset of the paper's "
                "NIH Chest X-ray set (synthmed.data.images); the OrganSMNIST and OCTMNIST files are not on this "
                "machine; paper profile: also three local MedMNIST sets (ours, extensions)",
    "fraction": "Table 2 (1 % and 10 %); quick: ours, 10 % only, to stay within the CPU budget",
    "seeds": "Sec. 4 (three repeats); quick: ours, 5 paired seeds for a verdict",
    "objectives": "Table 2, Sec. 4.2 (mutual information vs predictive entropy)",
}
_TSYND_PAPER_SOURCES = {
    "results_root": "ours: the checkout whose results/paper/ holds the committed paper-scale bundles (issues 23, 32)",
}
_TSYND_EXPLAIN_SOURCES = {
    "dataset": "Sec. 4.3 (NIH Chest X-ray): nih1000, a 1,000-image subset of it (synthmed.data.images)",
    "auc_fractions": "Sec. 4.3 (validation AUC of Baseline and TSynD at 1 % and 10 % labelled)",
    "fraction": "ours: the 10 % runs of Table 1, reused from the cache",
    "seeds": "Sec. 4 (three repeats); quick: ours, 5 paired seeds for a verdict",
    "n_images": "ours: every test image (the paper shows a few, Fig. 2)",
    "step": "ours: the paper's Fig. 2 is qualitative; a step well below the typical crossing distance",
    "max_steps": "ours: budget of the walk (step x max_steps latent std)",
    "n_show": "ours: images in the two figures",
}

_TABLE1 = {
    "smoke": {"datasets": ["breastmnist"], "fraction": [0.1],
              "methods": ["baseline", "noise", "tsynd", "noise_matched"], "seeds": [0, 1], "n_samples": 3,
              **_TSYND_SHARED["smoke"]},
    "quick": {"datasets": ["breastmnist", "pneumoniamnist", "retinamnist"], "fraction": [0.01, 0.1],
              "methods": ["baseline", "noise", "tsynd", "noise_matched"], "seeds": [0, 1, 2, 3, 4],
              "n_samples": 6, **_TSYND_SHARED["quick"]},
    "paper": {"datasets": ["breastmnist", "dermamnist", "octmnist", "organamnist", "organsmnist", "pathmnist",
                           "pneumoniamnist", "retinamnist"], "fraction": [0.01, 0.1],
              "methods": ["baseline", "noise", "tsynd", "noise_matched"], "seeds": [0, 1, 2], "n_samples": 6,
              **_TSYND_SHARED["paper"]},
}
_TABLE2 = {
    "smoke": {"datasets": ["nih1000"], "fraction": [0.1], "seeds": [0, 1], "objectives": ["mi", "entropy"],
              **_TSYND_SHARED["smoke"]},
    "quick": {"datasets": ["nih1000"], "fraction": [0.1], "seeds": [0, 1, 2, 3, 4],
              "objectives": ["mi", "entropy"], **_TSYND_SHARED["quick"]},
    "paper": {"datasets": ["nih1000", "breastmnist", "pneumoniamnist", "retinamnist"], "fraction": [0.01, 0.1],
              "seeds": [0, 1, 2], "objectives": ["mi", "entropy"], **_TSYND_SHARED["paper"]},
}
# Fig. 2 as a measurement: step / max_steps of the latent walk (RMS per latent element, units of the latents'
# std; synthmed.tsynd.fig2); n_images None walks the whole test split.
_FIG2 = {
    "smoke": {"dataset": "nih1000", "fraction": 0.1, "auc_fractions": [0.1], "seeds": [0, 1], "n_images": 16,
              "step": 0.02,
              "max_steps": 50, "n_show": 3, **_TSYND_SHARED["smoke"]},
    "quick": {"dataset": "nih1000", "fraction": 0.1, "auc_fractions": [0.01, 0.1], "seeds": [0, 1, 2, 3, 4],
              "n_images": None,
              "step": 0.005, "max_steps": 400, "n_show": 6, **_TSYND_SHARED["quick"]},
    "paper": {"dataset": "nih1000", "fraction": 0.1, "auc_fractions": [0.01, 0.1], "seeds": [0, 1, 2],
              "n_images": None, "step": 0.005,
              "max_steps": 400, "n_show": 6, **_TSYND_SHARED["paper"]},
}
# The paper-scale TSynD results (issue 23): read from results/paper/tsynd/ under every profile; the profile only
# chooses which of the book's own BreastMNIST runs are shown beside them.
_PAPER_SCALE = {p: {"results_root": None} for p in PROFILE_NAMES}


def _images(s: Mapping) -> float:
    """Images per classifier run: epochs over the labelled subset when the profile trains by epochs, else steps."""
    if s["epochs"]:
        datasets = cost.as_list(s["datasets"] if "datasets" in s else s["dataset"])
        sizes = [cost.train_size(d) * f for d in datasets for f in cost.as_list(s["fraction"])]
        return s["epochs"] * sum(sizes) / len(sizes)
    return s["iterations"] * s["batch_size"]


def workload(notebook: str, s: Mapping) -> list[cost.Workload]:
    """Classifier runs of a TSynD notebook: datasets x fractions x seeds (x objectives) x methods; an ascent step
    costs :data:`TSYND_ASCENT_PER_STEP` of a training step, for TSynD only (noise_matched replays the paired TSynD
    run's recorded displacement without an ascent of its own)."""
    datasets = cost.as_list(s["datasets"] if "datasets" in s else s["dataset"])
    methods = cost.as_list(s["methods"]) if "methods" in s else ["tsynd"]
    objectives = cost.as_list(s["objectives"]) if "objectives" in s else [None]
    n = len(datasets) * cost.count(s["fraction"]) * cost.count(s["seeds"]) * len(objectives)
    ascent = 1 + TSYND_ASCENT_PER_STEP * s["ascent_steps"]
    factor = sum(ascent if m == "tsynd" else 1.0 for m in methods) / len(methods)
    return [cost.Workload(notebook, "classifier runs", n * len(methods), _images(s), cost.model_name(s["backbone"]),
                          cost.image_size(datasets[0]), factor=factor)]


def explain_workload(notebook: str, s: Mapping) -> list[cost.Workload]:
    """Classifier runs of the Fig. 2 notebook: Baseline, Noise and TSynD at ``fraction`` per seed, and Baseline and
    TSynD at every other of ``auc_fractions`` (Sec. 4.3's AUC); the walks themselves are not modelled (forward
    passes and one gradient per step, small beside training)."""
    extra = [f for f in cost.as_list(s["auc_fractions"]) if float(f) != float(s["fraction"])]
    out = workload(notebook, {**s, "methods": ["baseline", "noise", "tsynd"]})
    if extra:
        out += workload(notebook, {**s, "fraction": extra, "methods": ["baseline", "tsynd"]})
    return out


CHAPTER = Chapter(
    name="tsynd", title="TSynD", paper=PAPER, position=10,
    notebooks=(
        Notebook("tsynd", _TABLE1, {**_TSYND_SOURCES}, workload=workload, verdicts=True),
        Notebook("tsynd_uncertainty", _TABLE2, {**_TSYND_SOURCES, **_TSYND_UNCERTAINTY_SOURCES},
                 workload=workload, verdicts=True),
        Notebook("tsynd_explain", _FIG2, {**_TSYND_SOURCES, **_TSYND_EXPLAIN_SOURCES}, workload=explain_workload,
                 verdicts=True),
        Notebook("tsynd_paper", _PAPER_SCALE, _TSYND_PAPER_SOURCES, verdicts=True,
                 not_modelled="trains nothing at paper scale (reads results/paper/tsynd); its BreastMNIST "
                              "comparison runs are tsynd's"),
    ),
    claims=("claims.yaml", "claims_explain.yaml"),
    stages={"specs": "synthmed.tsynd.experiment:make_specs", "runs": "synthmed.tsynd.experiment:run_many",
            "rows": "synthmed.tsynd.experiment:result_rows", "report": "synthmed.tsynd.report:table1_claims",
            "bundle": "synthmed.tsynd.paper_scale:bundle_spec"},
)
