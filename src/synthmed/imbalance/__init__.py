"""Class imbalance (Aloo et al. 2022): CycleGAN minority synthesis, balancing, and image+metadata classifiers.

Modules: :mod:`~synthmed.imbalance.data` (the chapter's datasets as one structure), :mod:`~synthmed.imbalance.cyclegan`
(unpaired majority -> minority translation), :mod:`~synthmed.imbalance.balance` (adding synthetic minority images to
the training split), :mod:`~synthmed.imbalance.fusion` (backbones, metadata MLP, the fused classifier),
:mod:`~synthmed.imbalance.train` (training with per-epoch metrics) and :mod:`~synthmed.imbalance.experiment` (the
cached runs behind Table 1).
"""
