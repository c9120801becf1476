"""TSynD (Niemeijer et al.): uncertainty-targeted synthetic training data from an autoencoder's latent space.

Modules, one idea each:

- :mod:`~synthmed.tsynd.classifiers`: small CNN / ResNet-18 / DenseNet-121 trunks with an MC-dropout head
  (trunk once, head K times).
- :mod:`~synthmed.tsynd.uncertainty`: predictive entropy and BALD mutual information from K log-probabilities.
- :mod:`~synthmed.tsynd.autoencoder`: a VQ-VAE (``vector-quantize-pytorch``) trained on the full training split.
- :mod:`~synthmed.tsynd.latent`: latent noise and latent uncertainty ascent (the TSynD sample generator).
- :mod:`~synthmed.tsynd.training`: Baseline / Noise / TSynD training with best-validation checkpoint and resume.
- :mod:`~synthmed.tsynd.robustness`: clean, Gaussian-noise and FGSM test conditions.
- :mod:`~synthmed.tsynd.experiment`: cached runs that build the chapter's tables.
"""
