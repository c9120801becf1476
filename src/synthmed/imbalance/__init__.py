"""Class imbalance (Aloo et al. 2022): CycleGAN minority synthesis, balancing, and image+metadata classifiers.

Modules: :mod:`~synthmed.imbalance.data` (the chapter's three datasets as one structure, with patient ids),
:mod:`~synthmed.imbalance.cyclegan` (unpaired majority -> minority translation, checkpointed),
:mod:`~synthmed.imbalance.balance` (adding synthetic minority images to the training split),
:mod:`~synthmed.imbalance.fusion` (the metadata MLP and the fused classifier on a :mod:`synthmed.models` trunk),
:mod:`~synthmed.imbalance.train` (training through :func:`synthmed.fit.fit` with the per-epoch record),
:mod:`~synthmed.imbalance.scoring` (test metrics at the paper's 0.5 and at a validation-specificity threshold),
:mod:`~synthmed.imbalance.experiment` (one cached run per experiment and seed),
:mod:`~synthmed.imbalance.paper_check` (the paper's Table 1 against its Figs. 3-5) and
:mod:`~synthmed.imbalance.report` (the chapter's tables, figures and generated text). Claims: ``claims.yaml``.
"""
