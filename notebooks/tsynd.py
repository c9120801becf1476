# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # TSynD, Table 1: does uncertainty-targeted synthetic data help a classifier trained on 1 % or 10 % of the data?
#
# Niemeijer et al. (2024) train a classifier on a small stratified subset of a MedMNIST training split in three
# ways: on real images only (**Baseline**), with half of every batch decoded from autoencoder latents plus Gaussian
# noise (**Noise**), and with those noisy latents moved by gradient ascent on the classifier's Monte-Carlo-dropout
# mutual information before decoding (**TSynD**). Their Table 1 reports test accuracy on clean test images, with
# Gaussian noise (σ = 0.2) added, and under an FGSM attack. We re-run it on the MedMNIST files available here,
# paired by seed (a seed fixes the labelled subset and the initialisation for every method), and add
# balanced accuracy and the majority-class rate, which accuracy alone hides.
#
# We also test the targeting itself. Every TSynD run records how far the ascent moves the latents and the
# classifier's mutual information (MI) before and after; a control of ours, **Noise-matched**, starts from the same
# noisy latents as the paired TSynD run (same seed) and moves each one exactly as far as that run's ascent did, in a
# random direction, so TSynD vs Noise-matched isolates the direction.
# Robustness is judged in balanced accuracy as well, under PGD (many small steps) and a transfer attack (FGSM
# crafted on the paired model), which a model that merely hides its gradient cannot pass.

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import Markdown, display

from synthmed import claims, profiles, reference
from synthmed.data import available, load_medmnist
from synthmed.device import describe, get_device
from synthmed.display import folded, plain
from synthmed.tsynd import experiment, report, robustness

# %% tags=["parameters", "hide-cell"]
profile = None       # "smoke" | "quick" | "paper" (default: $SYNTHMED_PROFILE, else quick)
datasets = None      # MedMNIST names (the paper's without a local file are reported untestable)
fraction = None      # labelled share(s) of the training split (paper: 0.01 and 0.1)
methods = None       # subset of ["baseline", "noise", "tsynd", "noise_matched"]
seeds = None         # paired repeats: a seed fixes the labelled subset and the initialisation
backbone = None      # synthmed.models name: "smallcnn" (CPU); paper: "resnet18", "densenet121"
epochs = None        # paper: 100 epochs, best validation model; None: train `iterations` steps
iterations = None    # classifier steps when epochs is None (best validation accuracy kept)
batch_size = None    # Noise/TSynD batches are half real, half synthetic
eval_every = None    # validation every this many steps (when epochs is None)
lr = None            # classifier Adam learning rate
k = None             # MC-dropout masks per uncertainty estimate
noise_sigma = None   # latent noise σ, a standard deviation (paper: 0.1 or 1.0)
latent_units = None  # "std": σ, ascent lr in units of the latents' std; "absolute": as the paper
ascent_steps = None  # Adam steps of the uncertainty ascent (paper: 50 or 100)
ascent_lr = None     # Adam learning rate of the ascent (paper: 0.1)
vqvae_steps = None   # VQ-VAE training steps (full training split)
vqvae_hidden = None  # VQ-VAE conv width
test_sigma = None    # σ of the Gaussian noise added to test images (paper: 0.2)
fgsm_eps = None      # FGSM step in [0, 1] pixels (not stated by the paper); also PGD's, transfer's
pgd_steps = None     # PGD steps (ours)
eps_sweep = None     # FGSM ε values of the ε sweep (ours)
sweep_sigmas = None  # test-noise σ values of the sweep figure
workers = None       # single-thread worker processes for CPU training
n_samples = None     # images in the sample figure

# %%
settings = profiles.from_notebook("tsynd", globals())
settings

# %% tags=["hide-input"]
ref = reference.load("tsynd_table1")
device = get_device()
local = settings.usable(settings.datasets)
missing = [d for d, s in available(sorted(set(ref["dataset"]))).items() if s != "ok"]
fractions = [float(f) for f in experiment.as_list(settings.fraction)]
display(Markdown(f"Device: {describe(device)}. Run here: {', '.join(local) or 'none'} at "
                 f"{', '.join(map(report.fraction_label, fractions))}, seeds {settings.seeds}. "
                 f"Paper datasets without a file here: {', '.join(missing) or 'none'}."))

# %% [markdown]
# ## Train and score (cached)
#
# One VQ-VAE per dataset (full training split); then every classifier, and separately its scores under the test
# conditions, are cached: re-executing retrains nothing, and a change to the scoring retrains nothing either.

# %%
specs = experiment.make_specs(settings, local, fractions, settings.methods, settings.seeds)
results = experiment.run_many(specs, workers=settings.workers, scoring=experiment.scoring(settings),
                              device=device, attacks=experiment.attacks(settings),
                              context=settings.context)
runs = report.runs_frame(experiment.result_rows(specs, results)
                         + experiment.result_rows(specs, results, "robust"))
sweep = report.runs_frame(experiment.result_rows(specs, results, "sweep"))
eps_sweep_runs = report.runs_frame(experiment.result_rows(specs, results, "eps_sweep"))
ascent = report.ascent_frame(experiment.ascent_rows(specs, results))
plain(report.setup_table(runs, experiment.run_meta(specs, results)))

# %% [markdown]
# ## Table 1, ours beside the paper's

# %%
verdicts = claims.judge_all(report.table1_claims(ref, runs, missing), runs, settings.profile)
if len(ascent):
    verdicts += claims.judge_all(report.mechanism_claims(ascent), report.mechanism_frame(ascent),
                                 settings.profile)
verdicts = claims.in_family("tsynd", settings, verdicts)  # primary claims: across the notebooks
display(report.table1_grid(runs, ref, report.cell_verdicts(verdicts)))
display(Markdown(report.first_evaluation_text(runs)))
display(folded(runs.drop(columns=["fraction_label"]), "Every run and test condition"))

# %%
fig = report.table1_figure(runs, ref)
plt.show()
display(Markdown(report.figure_caption(runs, ref)))

# %% [markdown]
# ## Does the ascent move the latents, and does it raise the classifier's uncertainty?
#
# Per run, from the ascent's own record over every training step: how far the synthetic latents move (RMS per
# latent element, in units of the latent noise σ) and the classifier's MI on the synthetic images before and
# after the move. Noise-matched runs no ascent: it replays the displacement the paired TSynD run recorded, image by
# image and step by step, in a random direction. At every TSynD step the same lengths are also applied in a random
# direction from the same start and measured on the same (frozen) classifier, which compares the MI gain of the
# ascent with that of a matched random move on one classifier.

# %%
if len(ascent):
    fig = report.ascent_figure(ascent)
    plt.show()
    display(Markdown(report.ascent_text(ascent)))

# %% [markdown]
# ## Robustness beyond one FGSM step
#
# Balanced accuracy (%) per method and test condition, mean over seeds; FGSM at several ε; PGD at the Table 1
# ε; and the transfer attack: FGSM crafted on the paired Baseline (for Baseline: on the paired TSynD model).

# %%
display(plain(report.robustness_table(runs).reset_index()))
display(folded(report.robustness_table(runs, "accuracy").reset_index(), "The same in accuracy"))
if len(eps_sweep_runs):
    fig = report.sweep_figure(eps_sweep_runs, xlabel="FGSM ε (pixels in [0, 1])")
    plt.show()
    display(Markdown(report.sweep_text(eps_sweep_runs, symbol="ε")))
display(Markdown(report.masking_text(runs)))

# %% [markdown]
# ## What Gaussian test noise does, and at which σ
#
# We keep the paper's σ in both pixel conventions and sweep σ to see where our classifiers break (scoring
# only; no retraining). The dotted line is the majority-class rate.

# %%
sigmas = (settings.test_sigma, robustness.pm1_sigma(settings.test_sigma))
shifts = {d: tuple(robustness.clamp_shift(load_medmnist(d).test.images, s) for s in sigmas)
          for d in local}
display(Markdown(report.clamp_text(shifts, settings.test_sigma)))
display(Markdown(report.constant_text(runs, settings.test_sigma)))
fig = report.sweep_figure(sweep)
plt.show()
display(Markdown(report.sweep_text(sweep)))

# %% [markdown]
# ## The paper's cells next to the test split's class shares
#
# A classifier that predicts one class for every test image scores that class's share in accuracy. Computed from
# the data files, these are the paper's cells that accuracy alone cannot tell apart from such a predictor:

# %% tags=["hide-input"]
tests = {d: load_medmnist(d).test.labels for d in local}
shares = {d: report.class_shares(y) for d, y in tests.items()}
display(Markdown(report.paper_constant_text(ref, shares, {d: len(y) for d, y in tests.items()})))

# %% [markdown]
# ## What the generator makes
#
# Training images of the first dataset, their VQ-VAE reconstruction, a latent-noise sample and the TSynD sample
# started from the same noisy latent, each titled with the mutual information of the Baseline classifier (first
# seed) on it; the ascent targets that classifier.

# %% tags=["hide-input"]
ex = experiment.generator_examples(settings, local[0], fractions[0], settings.seeds[0],
                                   settings.n_samples, device)
fig = report.sample_figure(
    ex, f"{local[0]}: original, reconstruction, latent noise, TSynD (label kept)")
plt.show()
display(Markdown(report.sample_text(ex)))

# %% [markdown]
# ## Verdicts
#
# Each claim compares two methods seed by seed; the verdict rests on the mean paired difference and its 95 %
# t interval (`synthmed.claims`).

# %%
display(Markdown(report.pooled_text(verdicts)))
display(*claims.publish("tsynd", settings, verdicts, report.verdict_text))
