# ---
# jupyter:
#   jupytext:
#     cell_metadata_filter: tags,-all
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # GAN ensembles (3/4): which backbone should embed the images? (Table 5)
#
# Tronchin et al. (arXiv:2503.24258, Table 5) vary the network that embeds real and generated images for
# density/coverage: ImageNet Inception-v3 and ResNet-50, their medical fine-tuned versions, and self-supervised
# SwAV (best). No ImageNet or SwAV weights can be had offline here, so this book compares an in-domain
# self-supervised encoder trained by the project (SimCLR-style), the Inception-v3 FID network, an in-domain
# supervised trunk and a randomly initialised one (the `embedding_model` setting: ResNet-18 in the `paper` profile;
# under `quick` the self-supervised encoder's small CNN, so that these three differ only in how their weights were
# obtained). For each backbone the search is rerun and, as in the
# paper's table, the oracle (test-selected) Pareto ensemble is reported. Every backbone embeds the same number of
# real and generated images per candidate.

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
from IPython.display import display

from synthmed import display as show
from synthmed.device import get_device
from synthmed.gan import experiment as ex
from synthmed.gan import report

# %% tags=["parameters", "hide-cell"]
profile = None  # smoke | quick | paper
datasets = None  # MedMNIST flags
backbones = None  # backbones compared (the first one is the search backbone of the other notebooks)
simclr_steps = None  # steps of the in-domain self-supervised backbone
supervised_epochs = None  # at most this many epochs of the in-domain supervised backbone
supervised_patience = None  # it stops after this many epochs without a better validation score
workers = None  # parallel processes for independent runs
seed = None  # random seed
# None takes the profile's value. Any other setting in the table below can be passed the same way.

# %% tags=["hide-input"]
settings = ex.settings("gan_backbones", globals())
device = get_device()
settings

# %% tags=["hide-input"]
results = ex.chapter(settings, device)
t5 = ex.backbone_runs(results)
verdicts = report.judge({"table5": t5}, settings.profile, settings.datasets,
                        notebook="gan_backbones", run=settings)

# %% [markdown]
# ## What each backbone is
#
# A trained embedding has to beat the random trunk before its training can be credited; the supervised trunk's
# validation accuracy says whether it learned anything.

# %% tags=["hide-input"]
display(report.trunk_text(ex.trunk_runs(settings, device), settings))

# %% [markdown]
# ## Table 5

# %% tags=["hide-input"]
display(report.table5_grid(t5))
show.interval_figure(t5.assign(g_mean=100 * t5.g_mean), x="backbone", y="g_mean", hue="dataset",
                     ylabel="oracle test g-mean ×100 (95 % t interval over replicates)")
plt.show()

# %% [markdown]
# ## Verdicts

# %% tags=["hide-input"]
display(*report.publish("gan_backbones", settings, verdicts, settings.datasets))
